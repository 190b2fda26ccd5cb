/* exosafe export fhir|e2b: one adverse-event case for a regulator or another system. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "core/ctcae.h"
#include "service/pharmacovigilance.h"

static const char export_usage[] =
	"usage: exosafe export fhir|e2b --db PATH --case ID [--data DIR]\n"
	"\n"
	"Writes adverse-event case ID (its latest assessment) to standard output:\n"
	"  fhir  a FHIR R4 Bundle (JSON): Patient, Medication with its lots, QuestionnaireResponse,\n"
	"        AdverseEvent\n"
	"  e2b   an ICH E2B(R3) ICSR (XML) for regulator reporting\n"
	"--data names the folder with ctcae/terms.json and ctcae/ctcae-v5.0.csv (default data). The export is\n"
	"audited; a case whose \"Other, specify\" term lacks its specific event's MedDRA code is refused.\n";

int cli_export(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(export_usage, stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "fhir") != 0 && strcmp(argv[1], "e2b") != 0))
		return cli_usage_error("export", "expected fhir or e2b");
	pv_export_format format = strcmp(argv[1], "fhir") == 0 ? PV_EXPORT_FHIR : PV_EXPORT_E2B;
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'}, {"case", required_argument, NULL, 'c'},
		{"data", required_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db = NULL, *case_arg = NULL, *data = "data";
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
	server_config cfg;
	config_defaults(&cfg);
	char *text = NULL;
	int rc = 1;
	pv_rc prc = pv_export(s, terms, cfg.clinic_name, id, format, &text, err, sizeof err);
	if (prc == PV_NOT_FOUND)
		fprintf(stderr, "exosafe export: no case %lld\n", id);
	else if (prc == PV_INVALID)
		fprintf(stderr, "exosafe export: case %lld cannot be exported: %s\n", id, err);
	else if (prc != PV_OK)
		fprintf(stderr, "exosafe export: %s\n", s->errmsg);
	else {
		char object[48];
		snprintf(object, sizeof object, "ae:%lld", id);
		if (store_audit_now(s, 0, ROLE_NONE, format == PV_EXPORT_FHIR ? "ae.export.fhir" : "ae.export.e2b", object, "cli") !=
		    STORE_OK) {
			fprintf(stderr, "exosafe export: %s\n", s->errmsg);
		} else {
			fputs(text, stdout);
			if (text[0] && text[strlen(text) - 1] != '\n')
				fputc('\n', stdout);
			rc = 0;
		}
	}
	free(text);
	s->m->close(s);
	ctcae_free(terms);
	return rc;
}
