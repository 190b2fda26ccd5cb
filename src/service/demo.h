/* Demonstration data for a new, empty database (exosafe demo): accounts for every role, the
 * demo clinic's details, the clinic's product with one released lot, and a call due now. Never
 * for a clinic's real data: loading refuses a database that has users. */
#ifndef EXOSAFE_SERVICE_DEMO_H
#define EXOSAFE_SERVICE_DEMO_H

#include "store/store.h"

typedef struct demo_account {
	user_role role;
	const char *email, *name, *password;
	patient_profile profile;
} demo_account;

/* The demo log-ins, in the order they are created (the fourth is the patient with the call). */
#define DEMO_ACCOUNT_COUNT 5
extern const demo_account demo_accounts[DEMO_ACCOUNT_COUNT];

typedef enum demo_rc {
	DEMO_OK = 0,
	DEMO_NOT_EMPTY,     /* the database has users (or they could not be counted) */
	DEMO_ACCOUNT,       /* an account could not be created (*failed_email names it) */
	DEMO_CLINIC,        /* the demo clinic's details could not be stored */
	DEMO_PRODUCT,       /* the product, its lot, tests or release failed */
	DEMO_CALL,          /* the call could not be published or booked */
	DEMO_FOLLOWUP,      /* the follow-up cohort (followup_demo.c) could not be stored */
} demo_rc;

/* Loads the demo data into s, each part in its own transactions; s->errmsg says why a part
 * failed (what was loaded before it stays).
 * Errors: DEMO_NOT_EMPTY, DEMO_ACCOUNT, DEMO_CLINIC, DEMO_PRODUCT, DEMO_CALL, DEMO_FOLLOWUP. */
demo_rc demo_load(store *s, const char **failed_email);

/* Attaches a certificate and a passing result of every required release test (tested on
 * tested_on, YYYY-MM-DD) to lot_id and releases it, as the demo pharmacist. 0 or -1. */
int demo_release_lot(store *s, int64_t pharmacist_id, int64_t lot_id, const char *tested_on, int64_t now);

#endif
