/* exosafe audit verify: check the audit log's hash chain. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "service/audit_log.h"

static const char audit_usage[] =
	"usage: exosafe audit verify --db PATH\n"
	"\n"
	"Recomputes the audit log's hash chain. Exit status 0 when every row is intact; 1 with the\n"
	"first broken row named when any row was edited, deleted or reordered, or when the schema\n"
	"lacks an object (such as the triggers that keep audit rows unchanged); 2 on usage errors.\n"
	"Opens the database read-only and writes nothing: a copy in a read-only folder can be checked.\n"
	"A database from a newer exosafe, or a missing file, is refused.\n";

static int audit_verify(int argc, char **argv)
{
	const char *db = NULL;
	const cli_option opts[] = {
		{"db", &db}, {NULL},
	};
	int status = cli_parse_options("audit verify", audit_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL)
		return cli_usage_error("audit verify", "--db PATH is required");

	/* Read-only: a copy on read-only media (or kept read-only on purpose) can be checked, and
	 * checking writes nothing. An older schema is fine; a damaged one is checked all the same
	 * (the chain is the evidence) and then fails, since a missing trigger let rows change. */
	store_schema_status st;
	store *s = cli_open_checked(db, STORE_OPEN_READ_ONLY, &st);
	if (s == NULL)
		return 1;
	char damage[1024] = "";
	if (st.state == STORE_SCHEMA_DAMAGED)
		store_schema_usable(s, db, true, &st, damage, sizeof damage);
	audit_verifier v;
	if (audit_log_verify(s, &v) != STORE_OK) {
		fprintf(stderr, "exosafe audit verify: %s\n", s->errmsg);
		store_close(s);
		return 1;
	}
	store_close(s);
	if (damage[0])
		fprintf(stderr, "exosafe audit verify: %s\n", damage);
	if (v.broken) {
		if (v.chain != 0)
			fprintf(stderr, "audit log BROKEN in the chain migrated as clinic %lld, at its row %lld: %s\n",
			        (long long)v.chain, (long long)v.broken_id, v.reason);
		else
			fprintf(stderr, "audit log BROKEN at row %lld: %s\n", (long long)v.broken_id, v.reason);
		printf("broken %lld\n", (long long)v.broken_id);
		return 1;
	}
	if (damage[0]) {
		printf("audit log chain intact (%lld rows) but the schema is damaged\n", (long long)v.rows_checked);
		return 1;
	}
	if (v.chains > 1)
		printf("audit log intact: %lld rows in %lld chains (this database's and %lld migrated clinics')\n",
		       (long long)v.rows_checked, (long long)v.chains, (long long)v.chains - 1);
	else
		printf("audit log intact: %lld rows\n", (long long)v.rows_checked);
	return 0;
}

int cli_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(audit_usage, stdout);
		return 0;
	}
	return cli_usage_error("audit", "expected the subcommand 'verify'");
}
