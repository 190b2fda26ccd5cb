/* The clinic's own details: read, updated by an admin (audited), and handed to every document
 * that names the clinic (recall notices, exports, payment instructions). Shared by the HTTP API
 * and the CLI so both give the same answer. */
#ifndef EXOSAFE_CLINIC_H
#define EXOSAFE_CLINIC_H

#include <stdbool.h>

#include "config.h"
#include "core/clinic_profile.h"
#include "service/service.h"
#include "store/store.h"

/* Each clinic's details are its own row (0009_clinics.sql); clinic_profile_get and
 * clinic_profile_update work on the clinic of the store's scope (store.h store_scope_home). */

typedef enum clinic_rc {
	CLINIC_OK = 0,
	CLINIC_INVALID,       /* field errors; nothing written */
	CLINIC_SETUP_NEEDED,  /* production, and the details a document needs are missing */
	CLINIC_ERROR,         /* storage failure; store->errmsg says why */
} clinic_rc;

/* The details of user's own clinic (the store's for a user of none): what a mail to a patient
 * names, whatever the scope it is queued in (a background job runs with every clinic).
 * Errors: CLINIC_ERROR. */
clinic_rc clinic_profile_of(store *s, const user_record *user, clinic_profile *out);

/* Reads the details of the store's clinic (its scope's; clinic 1 for every clinic) into out. CLINIC_ERROR on a storage failure.
 * Errors: CLINIC_ERROR. */
clinic_rc clinic_profile_get(store *s, clinic_profile *out);

/* A new clinic of a chain named name (1 to 100 printable characters, NFKC), audited
 * ("clinic.create" by the actor) in one transaction; its details in out. Its staff are then
 * added with exosafe user add --clinic, and its admin fills the rest of the details.
 * Errors: CLINIC_INVALID (the name), CLINIC_ERROR. */
clinic_rc clinic_create(store *s, const actor *by, const char *name, clinic_profile *out);

/* Replaces the editable details with raw (indexed by enum clinic_field; NULL or "" = empty),
 * checked by clinic_profile_check with production's placeholder rule. On success writes them
 * (is_demo unchanged) and appends a "clinic.update" audit row
 * naming the changed fields, in one transaction; out holds the stored details. On
 * CLINIC_INVALID, errs holds *nerr field errors and the database remains unaltered.
 * Errors: CLINIC_INVALID, CLINIC_ERROR. */
clinic_rc clinic_profile_update(store *s, const actor *by, const char *const raw[CLINIC_FIELD_COUNT], bool production,
                                clinic_profile *out, clinic_field_error errs[CLINIC_FIELD_COUNT], int *nerr);

/* The details for a document that names the clinic to patients or a regulator. In production,
 * CLINIC_SETUP_NEEDED while any required field is missing or a placeholder (their names in
 * missing, count in *nmissing); in demo mode the details are returned as they are.
 * Errors: CLINIC_SETUP_NEEDED, CLINIC_ERROR. */
clinic_rc clinic_profile_for_documents(store *s, server_mode mode, clinic_profile *out,
                                       const char *missing[CLINIC_FIELD_COUNT], int *nmissing);

/* Writes the clearly fictional demo clinic (name marked 【デモ】, a number in the never-assigned
 * 0000 exchange), flagged is_demo, audited as the system. For exosafe demo only.
 * Errors: CLINIC_ERROR. */
clinic_rc clinic_profile_load_demo(store *s);

/* AUTO resolves to demo for a database filled by exosafe demo, else production. */
/* The clinic's address as documents print it: "〒<postal code> <address>" (without a postal
 * code, the address alone). */
void clinic_address_line(const clinic_profile *p, char *out, size_t outlen);

server_mode clinic_resolve_mode(server_mode configured, const clinic_profile *p);

#endif
