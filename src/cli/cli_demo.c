/* exosafe demo: load demonstration accounts so a new user can try every role. */
#include <stdio.h>

#include "cli/cli.h"
#include "service/demo.h"

static const char demo_usage[] =
	"usage: exosafe demo --db PATH\n"
	"\n"
	"Loads demo accounts (an admin, a doctor, a pharmacist and two patients), the clinic's\n"
	"exosome cream, one released lot with its release tests, and a call of the first patient\n"
	"with the doctor due ten minutes ago (to record as held or not reached) into an\n"
	"initialised, empty database and prints their log-ins. Refuses a database that already\n"
	"has users, so it can never add known passwords to a clinic's real data.\n";

int cli_demo(int argc, char **argv)
{
	const char *db = NULL;
	const cli_option opts[] = {
		{"db", &db}, {NULL},
	};
	int status = cli_parse_options("demo", demo_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL)
		return cli_usage_error("demo", "--db PATH is required");

	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	const char *failed_email = NULL;
	demo_rc rc = demo_load(s, &failed_email);
	if (rc == DEMO_NOT_EMPTY)
		fprintf(stderr, "exosafe demo: %s already has users; demo data goes only into an empty database\n",
		        store_db_label(db, (char[1024]){0}, 1024));
	else if (rc == DEMO_ACCOUNT)
		fprintf(stderr, "exosafe demo: cannot create %s: %s\n", failed_email, s->errmsg);
	else if (rc == DEMO_CLINIC)
		fprintf(stderr, "exosafe demo: cannot load the demo clinic's details: %s\n", s->errmsg);
	else if (rc == DEMO_PRODUCT)
		fprintf(stderr, "exosafe demo: cannot create the demo product and lot: %s\n", s->errmsg);
	else if (rc == DEMO_CALL)
		fprintf(stderr, "exosafe demo: cannot book the demo call: %s\n", s->errmsg);
	else if (rc == DEMO_FOLLOWUP)
		fprintf(stderr, "exosafe demo: cannot store the follow-up cohort: %s\n", s->errmsg);
	store_close(s);
	if (rc != DEMO_OK)
		return 1;
	printf("Demo call: %s's booking with the doctor, due about ten minutes ago (record it on the schedule).\n",
	       demo_accounts[3].email);
	printf("Demo clinic: fictional details (【デモ】…, 03-0000-1234); served in demo mode, every page marked デモ.\n");
	printf("Demo product EXO-CREAM-M with one released lot (demo certificates, not real).\n");
	printf("Demo log-ins (for trying exosafe only; never use them for real patients):\n");
	for (size_t i = 0; i < DEMO_ACCOUNT_COUNT; i++)
		printf("  %-10s  %-28s  %s\n", role_name(demo_accounts[i].role), demo_accounts[i].email,
		       demo_accounts[i].password);
	return 0;
}
