/* exosafe export fhir|e2b|pmda: one adverse-event case for a regulator or another system. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "clock.h"
#include "config.h"
#include "core/ctcae.h"
#include "service/pharmacovigilance.h"

static const char export_usage[] =
	"usage: exosafe export fhir|e2b|pmda --db PATH --case ID [--out FILE] [--data DIR] [--config FILE]\n"
	"\n"
	"Writes adverse-event case ID (its latest assessment) to standard output, or to FILE:\n"
	"  fhir  a FHIR R4 Bundle (JSON): Patient, Medication with its lots, QuestionnaireResponse,\n"
	"        AdverseEvent\n"
	"  e2b   an ICH E2B(R3) ICSR (XML) for regulator reporting\n"
	"  pmda  the 医薬品安全性情報報告書 (HTML, printable on A4) a medical institution sends to\n"
	"        PMDA (薬機法 第68条の10 第2項); only for a case whose latest assessment is a\n"
	"        doctor's. exosafe does not send it: the clinic submits it to PMDA itself.\n"
	"--report is another name for --case. --data names the folder with ctcae/terms.json\n"
	"(default data); --config the server's INI file, for the clinic's name and phone. The export\n"
	"is audited.\n";

/* Writes text (with a final newline) to path, or to standard output when path is NULL. A file
 * is written whole or not at all: to a temporary name first, then renamed over path. Returns
 * the exit status. */
static int write_export(const char *text, const char *path)
{
	size_t len = strlen(text);
	bool newline = len == 0 || text[len - 1] != '\n';
	if (path == NULL) {
		fputs(text, stdout);
		if (newline)
			fputc('\n', stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (f == NULL) {
		fprintf(stderr, "exosafe export: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	bool ok = fwrite(text, 1, len, f) == len && (!newline || fputc('\n', f) != EOF);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "exosafe export: %s: %s\n", path, strerror(errno));
		remove(tmp);
		return 1;
	}
	return 0;
}

int cli_export(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(export_usage, stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "fhir") != 0 && strcmp(argv[1], "e2b") != 0 && strcmp(argv[1], "pmda") != 0))
		return cli_usage_error("export", "expected fhir, e2b or pmda");
	const char *kind = argv[1];
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},     {"case", required_argument, NULL, 'c'},
		{"report", required_argument, NULL, 'c'}, {"out", required_argument, NULL, 'o'},
		{"data", required_argument, NULL, 'a'},   {"config", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},         {0},
	};
	const char *db = NULL, *case_arg = NULL, *data = "data", *out_path = NULL, *config_path = NULL;
	int c;
	optind = 1;
	opterr = 0;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'c': case_arg = optarg; break;
		case 'a': data = optarg; break;
		case 'o': out_path = optarg; break;
		case 'f': config_path = optarg; break;
		case 'h': fputs(export_usage, stdout); return 0;
		default: return cli_usage_error("export", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (db == NULL || case_arg == NULL)
		return cli_usage_error("export", "--db and --case are required");
	char *end;
	errno = 0;
	long long id = strtoll(case_arg, &end, 10);
	if (errno != 0 || end == case_arg || *end != '\0' || id <= 0)
		return cli_usage_error("export", "--case must be a case number, got '%s'", case_arg);

	char err[512];
	server_config cfg;
	config_defaults(&cfg);
	if (config_path != NULL && config_load_file(&cfg, config_path, err, sizeof err) != 0) {
		fprintf(stderr, "exosafe export: %s\n", err);
		return 1;
	}
	ctcae_table *terms = pv_load_ctcae(data, err, sizeof err);
	if (terms == NULL) {
		fprintf(stderr, "exosafe export: %s\n", err);
		return 1;
	}
	store *s = cli_open_store(db, 1);
	if (s == NULL) {
		ctcae_free(terms);
		return 1;
	}
	char *text = NULL;
	const char *refusal = NULL;
	int rc = 1;
	pv_rc prc;
	if (strcmp(kind, "pmda") == 0) {
		pv_clinic clinic = {cfg.clinic_name, "", cfg.clinic_phone};
		prc = pv_pmda_form(s, terms, &clinic, id, clock_now(), &text, &refusal, err, sizeof err);
	} else {
		prc = pv_export(s, terms, cfg.clinic_name, id, strcmp(kind, "fhir") == 0 ? PV_EXPORT_FHIR : PV_EXPORT_E2B, &text,
		                err, sizeof err);
	}
	char action[32], object[48];
	snprintf(action, sizeof action, "ae.export.%s", kind);
	snprintf(object, sizeof object, "ae:%lld", id);
	if (prc == PV_NOT_FOUND)
		fprintf(stderr, "exosafe export: no case %lld\n", id);
	else if (prc == PV_INVALID)
		fprintf(stderr, "exosafe export: case %lld cannot be exported: %s\n", id, err);
	else if (prc != PV_OK)
		fprintf(stderr, "exosafe export: %s\n", s->errmsg);
	else if (store_audit_now(s, 0, ROLE_NONE, action, object, "cli") != STORE_OK)
		fprintf(stderr, "exosafe export: %s\n", s->errmsg);
	else
		rc = write_export(text, out_path);
	free(text);
	s->m->close(s);
	ctcae_free(terms);
	return rc;
}
