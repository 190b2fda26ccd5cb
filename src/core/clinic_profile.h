/* The clinic's own details (name, address, phone, hours, bank account for transfers, the
 * responsible doctor) and the rules an admin's input must pass before they are stored.
 * Pure: no I/O. The storage record is this struct (src/store/store.h). */
#ifndef EXOSAFE_CLINIC_PROFILE_H
#define EXOSAFE_CLINIC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct clinic_profile {
	int64_t id;                        /* 1 for a single clinic */
	char name[401];
	char postal_code[9];               /* NNN-NNNN or "" */
	char address[801];
	char phone[32];                    /* ASCII digits and hyphens */
	char hours[801];                   /* free text, e.g. 平日 10:00–18:00 */
	char email[255];                   /* for patients, "" when none */
	char bank_name[201];
	char bank_branch[201];
	char bank_account_type[8];         /* futsu (普通) | toza (当座) | "" */
	char bank_account_number[8];       /* 7 digits or "" */
	char bank_account_holder[401];     /* katakana */
	char doctor_name[401];             /* the responsible doctor (管理医師) */
	char doctor_licence[8];            /* 医籍登録番号, digits */
	bool is_demo;                      /* fictional details loaded by exosafe demo */
	int64_t updated_at;
	int64_t updated_by;                /* 0: never edited, or by the CLI */
} clinic_profile;

/* The fields an admin edits, in the order forms and replies list them. */
enum clinic_field {
	CLINIC_NAME, CLINIC_POSTAL_CODE, CLINIC_ADDRESS, CLINIC_PHONE, CLINIC_HOURS, CLINIC_EMAIL,
	CLINIC_BANK_NAME, CLINIC_BANK_BRANCH, CLINIC_BANK_ACCOUNT_TYPE, CLINIC_BANK_ACCOUNT_NUMBER,
	CLINIC_BANK_ACCOUNT_HOLDER, CLINIC_DOCTOR_NAME, CLINIC_DOCTOR_LICENCE,
	CLINIC_FIELD_COUNT
};

/* The JSON and form name of each field ("name", "postal_code", …). */
extern const char *const clinic_field_names[CLINIC_FIELD_COUNT];

/* Returns the field named name, or -1. */
int clinic_field_find(const char *name);

/* One refused field: its name and the reason key for the message catalogue. */
typedef struct clinic_field_error {
	const char *field;
	const char *reason;
} clinic_field_error;

/* Checks and normalises every field of raw (NULL or "" = not given) into out, collecting one
 * error per refused field into errs (CLINIC_FIELD_COUNT entries) so a form can show them all
 * at once. Rules: name, postal code, address, phone, hours, the doctor's name and licence
 * number are required; the five bank fields are given together or not at all; the e-mail is
 * optional. Text is NFKC-normalised (full-width digits and letters, half-width katakana).
 * With production set, placeholders are refused as well ("exosafe クリニック", a phone of
 * zeros such as 03-0000-0000): a clinic must not go live with them.
 * Returns the number of errors; out's fields other than the edited ones are left as they were. */
int clinic_profile_check(const char *const raw[CLINIC_FIELD_COUNT], bool production, clinic_profile *out,
                         clinic_field_error errs[CLINIC_FIELD_COUNT]);

/* Writes into missing the names of the fields a live clinic must have that p lacks or holds
 * a placeholder in (at most CLINIC_FIELD_COUNT); returns how many. 0: the details are complete. */
int clinic_profile_missing(const clinic_profile *p, const char *missing[CLINIC_FIELD_COUNT]);

/* True when the bank account for transfers is filled in. */
bool clinic_profile_has_bank(const clinic_profile *p);

/* The account type in words: 普通 / 当座 (ja) or ordinary / current (en); "" when unset. */
const char *clinic_account_type_label(const char *type, bool english);

#endif
