/* exosafe migrate: one clinic's SQLite database into a shared PostgreSQL database as a new
 * clinic (issue 18; the copy and its proof are store/sql/store_sql_migrate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "store/store_migrate.h"

static const char migrate_usage[] =
	"usage: exosafe migrate --from PATH --to postgres://... [--name NAME]\n"
	"\n"
	"Moves a one-clinic SQLite database (PATH) into a PostgreSQL database shared by a chain of\n"
	"clinics, as a new clinic (named NAME, or as in PATH). Every row gets the target's numbers;\n"
	"products and follow-up plans, which every clinic shares, must be equal to the target's or\n"
	"absent from it. The audit log comes along as the clinic's own hash chain, unchanged.\n"
	"\n"
	"All of it happens in one transaction, proven before it commits: per table the rows read\n"
	"back from the target give the source's row count and SHA-256 checksum, and the audit chain\n"
	"verifies on the target. Any difference, a clash (an e-mail already on the target) or a\n"
	"second run for the same database (or a copy of it) changes nothing and exits 1.\n"
	"Both databases must be at this exosafe's schema (exosafe init --db on each first). PATH\n"
	"is only read. Writes on the target wait while the copy runs.\n";

int cli_migrate(int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *name_arg = NULL;
	const cli_option opts[] = {{"from", &from}, {"to", &to}, {"name", &name_arg}, {NULL}};
	int status = cli_parse_options("migrate", migrate_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (from == NULL || to == NULL)
		return cli_usage_error("migrate", "--from PATH and --to postgres://... are both required");
	if (!store_db_is_url(to))
		return cli_usage_error("migrate", "--to must be a PostgreSQL URL (postgres://...): the shared database");
	if (store_db_is_url(from))
		return cli_usage_error("migrate", "--from must be the path of a clinic's SQLite database");
	char *name = NULL;
	if (name_arg != NULL && ((name = text_normalize(name_arg)) == NULL || name[0] == '\0' || strlen(name) > 300)) {
		free(name);
		return cli_usage_error("migrate", "--name must be 1 to 100 printable characters");
	}

	store_schema_status st;
	store *source = cli_open_checked(from, STORE_OPEN_READ_ONLY, &st);
	if (source != NULL && st.state != STORE_SCHEMA_CURRENT) {
		char msg[1024];
		store_schema_usable(source, from, false, &st, msg, sizeof msg);
		fprintf(stderr, "exosafe migrate: %s\n", msg);
		store_close(source);
		source = NULL;
	}
	store *target = source ? cli_open_store(to, 1) : NULL;
	if (source == NULL || target == NULL) {
		if (source)
			store_close(source);
		free(name);
		return 1;
	}
	migrate_result *r = malloc(sizeof *r);
	int rc = 1;
	if (r == NULL) {
		fprintf(stderr, "exosafe migrate: out of memory; nothing was changed\n");
	} else if (store_migrate_clinic(source, target, name, from, r) != MIGRATE_OK) {
		fprintf(stderr, "exosafe migrate: %s\n", target->errmsg);
	} else {
		printf("migrated %s into clinic %lld (%s)\n", from, (long long)r->clinic_id, r->clinic_name);
		printf("%-24s %-8s %8s %8s  %s\n", "table", "how", "source", "target", "sha-256 (both sides)");
		for (int i = 0; i < r->ntables; i++)
			printf("%-24s %-8s %8lld %8lld  %.16s\n", r->tables[i].name, r->tables[i].how,
			       (long long)r->tables[i].source_rows, (long long)r->tables[i].target_rows, r->tables[i].target_sum);
		printf("%-24s %-8s %8lld %8lld  verified as the clinic's chain, first hash %.16s\n", "audit_log", "chain",
		       (long long)r->audit_rows, (long long)r->audit_rows, r->genesis);
		rc = 0;
	}
	free(r);
	free(name);
	store_close(source);
	store_close(target);
	return rc;
}
