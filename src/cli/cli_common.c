#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "exosafe %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'exosafe %s --help' for usage.\n", cmd);
	return 2;
}

store *cli_open_store(const char *path, int require_schema)
{
	char err[300];
	store *s = store_sqlite_open(path, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "exosafe: %s\n", err);
		return NULL;
	}
	if (require_schema) {
		int version = 0;
		if (s->m->schema_version(s, &version) != STORE_OK || version == 0) {
			fprintf(stderr, "exosafe: database %s is not initialised; run: exosafe init --db %s\n", path, path);
			s->m->close(s);
			return NULL;
		}
	}
	return s;
}
