#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "service/clinic.h"

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

int cli_parse_options(const char *cmd, const char *usage, int argc, char **argv, const cli_option *opts,
                      int *first_operand)
{
	enum { MAX_OPTIONS = 32, HELP = 0x7fff };
	struct option longopts[MAX_OPTIONS + 2];
	int n = 0;
	for (; opts[n].name != NULL; n++) {
		if (n == MAX_OPTIONS)
			return cli_usage_error(cmd, "too many options in its table (a bug)");
		longopts[n] = (struct option){opts[n].name, required_argument, NULL, 0x100 + n};
	}
	longopts[n] = (struct option){"help", no_argument, NULL, HELP};
	longopts[n + 1] = (struct option){0};
	int c;
	optind = 1;
	opterr = 0;   /* our message, not getopt's */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == HELP) {
			fputs(usage, stdout);
			return 0;
		}
		if (c < 0x100 || c >= 0x100 + n)
			return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
		*opts[c - 0x100].value = optarg;
	}
	if (first_operand != NULL)
		*first_operand = optind;
	else if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return CLI_CONTINUE;
}

store *cli_open_store(const char *path, int require_schema)
{
	if (!require_schema)
		return cli_open_checked(path, STORE_OPEN_CREATE, NULL);
	return cli_open_current(path, STORE_OPEN_EXISTING);
}

store *cli_open_current(const char *path, store_open_mode mode)
{
	store_schema_status st;
	store *s = cli_open_checked(path, mode, &st);
	if (s != NULL && st.state != STORE_SCHEMA_CURRENT) {
		char msg[1024];
		store_schema_usable(s, path, false, &st, msg, sizeof msg);
		fprintf(stderr, "exosafe: %s\n", msg);
		store_close(s);
		return NULL;
	}
	return s;
}

store *cli_open_checked(const char *path, store_open_mode mode, store_schema_status *st)
{
	char err[1024];
	store *s = store_open_url(path, mode, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "exosafe: %s\n", err);
		return NULL;
	}
	if (st == NULL)
		return s;
	/* Older and damaged databases are the caller's to judge (init migrates the one, audit
	 * verify still reads the other); empty and newer ones are of no use to any command. */
	if (store_schema_usable(s, path, true, st, err, sizeof err) != 0 && st->state != STORE_SCHEMA_DAMAGED) {
		fprintf(stderr, "exosafe: %s\n", err);
		store_close(s);
		return NULL;
	}
	return s;
}

int cli_clinic_for_documents(store *s, const char *cmd, clinic_profile *out)
{
	const char *missing[CLINIC_FIELD_COUNT];
	int n = 0;
	clinic_profile p;
	if (clinic_profile_get(s, &p) != CLINIC_OK) {
		fprintf(stderr, "exosafe %s: %s\n", cmd, s->errmsg);
		return -1;
	}
	clinic_rc rc = clinic_profile_for_documents(s, clinic_resolve_mode(MODE_AUTO, &p), out, missing, &n);
	if (rc == CLINIC_OK)
		return 0;
	if (rc == CLINIC_SETUP_NEEDED) {
		char names[256] = "";
		for (int i = 0; i < n; i++) {
			size_t len = strlen(names);
			snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", missing[i]);
		}
		fprintf(stderr,
		        "exosafe %s: the clinic's details are incomplete (missing: %s); nothing was changed. An admin sets\n"
		        "  them on /clinic-settings.html (or exosafe init --clinic-name ... on a new database).\n",
		        cmd, names);
		return -1;
	}
	fprintf(stderr, "exosafe %s: %s\n", cmd, s->errmsg);
	return -1;
}

int cli_parse_clinic(const char *cmd, const char *clinic_arg, int64_t *id)
{
	*id = 1;
	if (clinic_arg == NULL)
		return 0;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(clinic_arg, &end, 10);
	if (end == clinic_arg || *end != '\0' || v < 1 || errno != 0)
		return cli_usage_error(cmd, "--clinic must be a clinic id (a positive integer), got '%s'", clinic_arg);
	*id = v;
	return 0;
}

int cli_scope_clinic(store *s, const char *cmd, int64_t id)
{
	clinic_profile clinic;
	store_rc rc = store_clinic_get(s, id, &clinic);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "exosafe %s: clinic %lld does not exist; nothing was changed\n", cmd, (long long)id);
		return 1;
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "exosafe %s: %s; nothing was changed\n", cmd, s->errmsg);
		return 1;
	}
	store_scope_clinic(s, id);
	return 0;
}
