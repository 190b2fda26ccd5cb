/* exosafe clinic add: a new clinic of a chain on one database (issue 18). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "service/clinic.h"

static const char clinic_usage[] =
	"usage: exosafe clinic add --db PATH --name NAME\n"
	"\n"
	"Adds a clinic to the database and prints its id. Its staff are added with\n"
	"exosafe user add --clinic ID; its admin fills in the rest of its details on the web.\n"
	"Each clinic's staff see only their own clinic's patients, lots, slots and storage.\n"
	"The creation is written to the audit log.\n";

static int clinic_add(int argc, char **argv)
{
	const char *db = NULL, *name_arg = NULL;
	const cli_option opts[] = {{"db", &db}, {"name", &name_arg}, {NULL}};
	int status = cli_parse_options("clinic add", clinic_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL || name_arg == NULL)
		return cli_usage_error("clinic add", "--db and --name are both required");
	char *name = text_normalize(name_arg);
	if (name == NULL)
		return cli_usage_error("clinic add", "--name must be valid UTF-8");
	store *s = cli_open_store(db, 1);
	if (s == NULL) {
		free(name);
		return 1;
	}
	actor system = {.id = 0, .role = ROLE_NONE};
	clinic_profile c;
	int rc = 1;
	switch (clinic_create(s, &system, name, &c)) {
	case CLINIC_OK:
		printf("created clinic %lld %s\n", (long long)c.id, c.name);
		rc = 0;
		break;
	case CLINIC_INVALID:
		rc = cli_usage_error("clinic add", "--name must be 1 to 100 printable characters");
		break;
	default:
		fprintf(stderr, "exosafe clinic add: %s; nothing was changed\n", s->errmsg);
		break;
	}
	store_close(s);
	free(name);
	return rc;
}

int cli_clinic(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return clinic_add(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(clinic_usage, stdout);
		return 0;
	}
	return cli_usage_error("clinic", "expected the subcommand 'add'");
}
