/* exosafe init: create or migrate a database. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static const char init_usage[] =
	"usage: exosafe init --db PATH\n"
	"\n"
	"Creates the database at PATH when absent and applies every pending schema migration,\n"
	"each in its own transaction. Safe to run again: an up-to-date database is left as is.\n";

int cli_init(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *db = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': fputs(init_usage, stdout); return 0;
		default: return cli_usage_error("init", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
	if (db == NULL)
		return cli_usage_error("init", "--db PATH is required");

	store *s = cli_open_store(db, 0);
	if (s == NULL)
		return 1;
	int version = 0;
	if (s->m->migrate(s, &version) != STORE_OK) {
		fprintf(stderr, "exosafe init: %s\n", s->errmsg);
		s->m->close(s);
		return 1;
	}
	s->m->close(s);
	printf("database %s is at schema version %d\n", db, version);
	return 0;
}
