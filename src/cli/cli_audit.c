/* exosafe audit verify: check the audit log's hash chain. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "service/audit_log.h"

static const char audit_usage[] =
	"usage: exosafe audit verify --db PATH\n"
	"\n"
	"Recomputes the audit log's hash chain. Exit status 0 when every row is intact; 1 with the\n"
	"first broken row named when any row was edited, deleted or reordered; 2 on usage errors.\n";

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

	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	audit_verifier v;
	if (audit_log_verify(s, &v) != STORE_OK) {
		fprintf(stderr, "exosafe audit verify: %s\n", s->errmsg);
		store_close(s);
		return 1;
	}
	store_close(s);
	if (v.broken) {
		fprintf(stderr, "audit log BROKEN at row %lld: %s\n", (long long)v.broken_id, v.reason);
		printf("broken %lld\n", (long long)v.broken_id);
		return 1;
	}
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
