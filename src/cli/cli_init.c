/* exosafe init: create or migrate a database, optionally with the clinic's details. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "http/http.h"
#include "service/clinic.h"

static const char init_usage[] =
	"usage: exosafe init --db PATH [--clinic-name N --clinic-phone P ...]\n"
	"\n"
	"Creates the database at PATH when absent and applies every pending schema migration,\n"
	"each in its own transaction. Safe to run again: an up-to-date database is left as is.\n"
	"\n"
	"The clinic's details may be given here (all that a live clinic needs at once) or left for\n"
	"the set-up page an admin is sent to on first log-in (/clinic-settings.html):\n"
	"  --clinic-name N            the clinic's name\n"
	"  --clinic-postal-code C     123-4567 (full-width digits and no hyphen accepted)\n"
	"  --clinic-address A\n"
	"  --clinic-phone P           03-1234-5678\n"
	"  --clinic-hours H           e.g. '平日 10:00–18:00'\n"
	"  --clinic-email E           for patients (optional)\n"
	"  --clinic-doctor-name N     the responsible doctor (管理医師)\n"
	"  --clinic-doctor-licence L  医籍登録番号\n"
	"  --clinic-bank-name B --clinic-bank-branch B --clinic-bank-account-type futsu|toza\n"
	"  --clinic-bank-account-number NNNNNNN --clinic-bank-account-holder KANA\n"
	"                             the account for bank transfers (all five, or none)\n"
	"Given details are checked as on the web page (placeholders refused) and the change is\n"
	"audited; nothing is written when any of them is refused.\n";

int cli_init(int argc, char **argv)
{
	const char *db = NULL;
	const char *clinic[CLINIC_FIELD_COUNT] = {0};
	/* One option per editable field of the clinic. */
	const cli_option opts[] = {
		{"db", &db},
		{"clinic-name", &clinic[CLINIC_NAME]},
		{"clinic-postal-code", &clinic[CLINIC_POSTAL_CODE]},
		{"clinic-address", &clinic[CLINIC_ADDRESS]},
		{"clinic-phone", &clinic[CLINIC_PHONE]},
		{"clinic-hours", &clinic[CLINIC_HOURS]},
		{"clinic-email", &clinic[CLINIC_EMAIL]},
		{"clinic-bank-name", &clinic[CLINIC_BANK_NAME]},
		{"clinic-bank-branch", &clinic[CLINIC_BANK_BRANCH]},
		{"clinic-bank-account-type", &clinic[CLINIC_BANK_ACCOUNT_TYPE]},
		{"clinic-bank-account-number", &clinic[CLINIC_BANK_ACCOUNT_NUMBER]},
		{"clinic-bank-account-holder", &clinic[CLINIC_BANK_ACCOUNT_HOLDER]},
		{"clinic-doctor-name", &clinic[CLINIC_DOCTOR_NAME]},
		{"clinic-doctor-licence", &clinic[CLINIC_DOCTOR_LICENCE]},
		{NULL},
	};
	int status = cli_parse_options("init", init_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	bool any_clinic = false;
	for (int i = 0; i < CLINIC_FIELD_COUNT; i++)
		any_clinic = any_clinic || clinic[i] != NULL;
	if (db == NULL)
		return cli_usage_error("init", "--db PATH is required");

	store *s = cli_open_store(db, 0);
	if (s == NULL)
		return 1;
	/* Before migrating, a database from a newer exosafe or with objects missing is refused as
	 * found; after, every object of the newest schema must be there, or "initialised" would
	 * be reported on a database the server then fails on. */
	store_schema_status st;
	char msg[1024];
	if (store_schema_usable(s, db, true, &st, msg, sizeof msg) != 0 && st.state != STORE_SCHEMA_EMPTY) {
		fprintf(stderr, "exosafe init: %s\n", msg);
		store_close(s);
		return 1;
	}
	int version = 0;
	if (store_migrate(s, &version) != STORE_OK) {
		fprintf(stderr, "exosafe init: %s\n", s->errmsg);
		store_close(s);
		return 1;
	}
	if (store_schema_usable(s, db, false, &st, msg, sizeof msg) != 0) {
		fprintf(stderr, "exosafe init: %s\n", msg);
		store_close(s);
		return 1;
	}
	if (any_clinic) {
		actor system = {0};
		clinic_profile stored;
		clinic_field_error errs[CLINIC_FIELD_COUNT];
		int nerr = 0;
		clinic_rc rc = clinic_profile_update(s, &system, clinic, true, &stored, errs, &nerr);
		if (rc == CLINIC_INVALID) {
			for (int i = 0; i < nerr; i++) {
				char option[64];
				snprintf(option, sizeof option, "--clinic-%s", errs[i].field);
				for (char *p = option; *p; p++)
					if (*p == '_')
						*p = '-';
				/* The reason key, then the same sentence the settings page shows. */
				fprintf(stderr, "exosafe init: %s: %s: %s\n", option, errs[i].reason,
				        message_text(LANG_EN, errs[i].reason));
			}
			fprintf(stderr, "exosafe init: the clinic's details were not saved (the database is at schema version %d)\n",
			        version);
			store_close(s);
			return 2;
		}
		if (rc != CLINIC_OK) {
			fprintf(stderr, "exosafe init: %s\n", s->errmsg);
			store_close(s);
			return 1;
		}
		printf("the clinic's details are saved: %s, %s\n", stored.name, stored.phone);
	}
	store_close(s);
	char label[1024];  /* a URL's password is never shown */
	printf("database %s is at schema version %d\n", store_db_label(db, label, sizeof label), version);
	return 0;
}
