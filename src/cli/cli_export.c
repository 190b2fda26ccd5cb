/* exosafe export fhir|e2b|pmda|questionnaire|questionnaire-response|consent: an adverse-event
 * case for a regulator or another system, the PMDA form, and the intake as FHIR for an EHR. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "clock.h"
#include "config.h"
#include "core/ae_export.h"
#include "core/ctcae.h"
#include "core/field_check.h"
#include "service/intake_catalog.h"
#include "service/intake_fhir.h"
#include "service/ae.h"

static const char export_usage[] =
	"usage: exosafe export fhir|e2b|pmda --db PATH --case ID [--out FILE] [--data DIR] [--config FILE]\n"
	"                                    [--meddra-version N.N]\n"
	"       exosafe export questionnaire [--version N] [--out FILE] [--data DIR]\n"
	"       exosafe export questionnaire-response|consent --db PATH --patient ID [--out FILE] [--data DIR]\n"
	"                                    [--config FILE]\n"
	"\n"
	"Writes to standard output, or to FILE (whole or not at all):\n"
	"  fhir      adverse-event case ID (its latest assessment) as a FHIR R4 Bundle (JSON): Patient,\n"
	"            Medication with its lots, QuestionnaireResponse, AdverseEvent\n"
	"  e2b       the case as an ICH E2B(R3) ICSR (XML): an ICH interchange file between\n"
	"            pharmacovigilance systems, NOT a PMDA gateway submission. Every reaction needs a\n"
	"            MedDRA code.\n"
	"  pmda      the case's 医薬品安全性情報報告書 (HTML, printable on A4) a medical institution\n"
	"            sends to PMDA (薬機法 第68条の10 第2項); only when the latest assessment is a\n"
	"            doctor's. exosafe does not send it: the clinic submits it to PMDA itself.\n"
	"  questionnaire           the clinic's questionnaire (current, or --version N) as a FHIR R4\n"
	"                          Questionnaire\n"
	"  questionnaire-response  patient ID's latest answers as a FHIR R4 QuestionnaireResponse\n"
	"  consent                 patient ID's latest consent acceptance as a FHIR R4 Consent\n"
	"--report is another name for --case. --data names the folder with ctcae/, questionnaires/ and\n"
	"consent/ (default data).\n"
	"--config reads the INI file for [pharmacovigilance] meddra_version; --meddra-version overrides\n"
	"it (the MedDRA release reactions are coded in). The clinic's name, address and phone come from\n"
	"the database (set on /clinic-settings.html): exports that name the clinic are refused while\n"
	"they are incomplete, except on a database filled by exosafe demo.\n"
	"Exports of a case or of a patient's data are audited; a case whose \"Other, specify\" term lacks\n"
	"its specific event's MedDRA code is refused.\n";

typedef enum export_kind {
	EXPORT_FHIR, EXPORT_E2B, EXPORT_PMDA, EXPORT_QUESTIONNAIRE, EXPORT_RESPONSE, EXPORT_CONSENT
} export_kind;

static const struct {
	const char *name;
	export_kind kind;
	const char *audit_action;
} kinds[] = {
	{"fhir", EXPORT_FHIR, "ae.export.fhir"},
	{"e2b", EXPORT_E2B, "ae.export.e2b"},
	{"pmda", EXPORT_PMDA, "ae.export.pmda"},
	{"questionnaire", EXPORT_QUESTIONNAIRE, NULL},
	{"questionnaire-response", EXPORT_RESPONSE, "intake.export.questionnaire_response"},
	{"consent", EXPORT_CONSENT, "intake.export.consent"},
};

/* Parses a positive id; returns it or 0. */
static long long positive_id(const char *arg)
{
	char *end;
	errno = 0;
	long long id = strtoll(arg, &end, 10);
	return errno != 0 || end == arg || *end != '\0' || id <= 0 ? 0 : id;
}

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

/* Exports one case (fhir|e2b|pmda) to out_path (NULL: standard output); returns the exit status. */
static int export_case(store *s, const server_config *cfg, const char *data, long long id, export_kind kind,
                       const char *audit_action, const char *out_path)
{
	char err[512];
	ctcae_table *terms = ae_load_ctcae(data, err, sizeof err);
	if (terms == NULL) {
		fprintf(stderr, "exosafe export: %s\n", err);
		return 1;
	}
	char *text = NULL;
	int rc = 1;
	ae_rc prc;
	clinic_profile profile;
	if (cli_clinic_for_documents(s, "export", &profile) != 0) {
		ctcae_free(terms);
		return 1;
	}
	if (kind == EXPORT_PMDA) {
		const char *refusal;
		prc = ae_pmda_form(s, terms, &profile, id, clock_now(), &text, &refusal, err, sizeof err);
	} else {
		prc = ae_export_report(s, terms, profile.name, cfg->meddra_version, id,
		                       kind == EXPORT_FHIR ? AE_EXPORT_FHIR : AE_EXPORT_E2B, &text, err, sizeof err);
	}
	char object[48];
	snprintf(object, sizeof object, "ae:%lld", id);
	if (prc == AE_NOT_FOUND)
		fprintf(stderr, "exosafe export: no case %lld\n", id);
	else if (prc == AE_INVALID)
		fprintf(stderr, "exosafe export: case %lld cannot be exported: %s\n", id, err);
	else if (prc != AE_OK)
		fprintf(stderr, "exosafe export: %s\n", s->errmsg);
	else if (store_audit_now(s, 0, ROLE_NONE, audit_action, object, "cli") != STORE_OK)
		fprintf(stderr, "exosafe export: %s\n", s->errmsg);
	else {
		if (kind == EXPORT_E2B)
			fprintf(stderr, "exosafe export: note: %s\n", AE_E2B_NOTICE);
		rc = write_export(text, out_path);
	}
	free(text);
	ctcae_free(terms);
	return rc;
}

/* Exports patient id's questionnaire response or consent; returns the exit status. */
static int export_patient(store *s, const intake_catalog *cat, long long id,
                          export_kind kind, const char *audit_action, const char *out_path)
{
	char err[512] = "", *text = NULL, object[48];
	clinic_profile clinic = {0};
	/* The consent names the clinic as its organization: not a placeholder. */
	if (kind != EXPORT_RESPONSE && cli_clinic_for_documents(s, "export", &clinic) != 0)
		return 1;
	intake_rc irc = kind == EXPORT_RESPONSE ? intake_fhir_response(s, cat, id, &text, err, sizeof err)
	                                        : intake_fhir_consent(s, cat, id, clinic.name, &text, err, sizeof err);
	snprintf(object, sizeof object, "patient:%lld", id);
	int rc = 1;
	if (irc == INTAKE_NOT_FOUND)
		fprintf(stderr, "exosafe export: patient %lld has no %s\n", id,
		        kind == EXPORT_RESPONSE ? "questionnaire response" : "consent acceptance");
	else if (irc == INTAKE_INVALID)
		fprintf(stderr, "exosafe export: patient %lld cannot be exported: %s\n", id, err);
	else if (irc != INTAKE_OK)
		fprintf(stderr, "exosafe export: %s\n", err[0] ? err : s->errmsg);
	else if (store_audit_now(s, 0, ROLE_NONE, audit_action, object, "cli") != STORE_OK)
		fprintf(stderr, "exosafe export: %s\n", s->errmsg);
	else
		rc = write_export(text, out_path);
	free(text);
	return rc;
}

int cli_export(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(export_usage, stdout);
		return 0;
	}
	int k = -1;
	for (size_t i = 0; argc >= 2 && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(argv[1], kinds[i].name) == 0)
			k = (int)i;
	if (k < 0)
		return cli_usage_error("export", "expected fhir, e2b, pmda, questionnaire, questionnaire-response or consent");
	export_kind kind = kinds[k].kind;
	const char *db = NULL, *case_arg = NULL, *patient_arg = NULL, *version_arg = NULL, *data = "data";
	const char *config_file = NULL, *meddra = NULL, *out_path = NULL;
	const cli_option opts[] = {
		{"db", &db}, {"case", &case_arg}, {"report", &case_arg}, {"out", &out_path}, {"patient", &patient_arg},
		{"version", &version_arg}, {"data", &data}, {"config", &config_file}, {"meddra-version", &meddra}, {NULL},
	};
	/* argv[1] is the kind of export. */
	int status = cli_parse_options("export", export_usage, argc - 1, argv + 1, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;

	server_config cfg;
	config_defaults(&cfg);
	char err[512];
	if (config_file != NULL && config_load_file(&cfg, config_file, err, sizeof err) != 0) {
		fprintf(stderr, "exosafe export: %s\n", err);
		return 2;
	}
	if (meddra != NULL) {
		/* The same rule as the INI key: E2B E.i.2.1a "N.N". */
		if (!field_is_meddra_version(meddra))
			return cli_usage_error("export", "--meddra-version must be a MedDRA version N.N (e.g. 27.1), got '%s'",
			                       meddra);
		snprintf(cfg.meddra_version, sizeof cfg.meddra_version, "%s", meddra);
	}

	if (kind == EXPORT_QUESTIONNAIRE) {
		long long version = 0;
		if (version_arg != NULL && (version = positive_id(version_arg)) == 0)
			return cli_usage_error("export", "--version must be a questionnaire version, got '%s'", version_arg);
		intake_catalog *cat = intake_catalog_load(data, err, sizeof err);
		if (cat == NULL) {
			fprintf(stderr, "exosafe export: %s\n", err);
			return 1;
		}
		char *text = NULL;
		intake_rc irc = intake_fhir_questionnaire(cat, (int)version, &text, err, sizeof err);
		int rc = irc == INTAKE_OK ? write_export(text, out_path) : (fprintf(stderr, "exosafe export: %s\n", err), 1);
		free(text);
		intake_catalog_free(cat);
		return rc;
	}

	bool is_case = kind == EXPORT_FHIR || kind == EXPORT_E2B || kind == EXPORT_PMDA;
	const char *id_arg = is_case ? case_arg : patient_arg;
	if (db == NULL || id_arg == NULL)
		return cli_usage_error("export", is_case ? "--db and --case are required" : "--db and --patient are required");
	long long id = positive_id(id_arg);
	if (id == 0)
		return cli_usage_error("export", is_case ? "--case must be a case number, got '%s'"
		                                         : "--patient must be a patient number, got '%s'", id_arg);

	intake_catalog *cat = NULL;
	if (!is_case && (cat = intake_catalog_load(data, err, sizeof err)) == NULL) {
		fprintf(stderr, "exosafe export: %s\n", err);
		return 1;
	}
	store *s = cli_open_store(db, 1);
	if (s == NULL) {
		intake_catalog_free(cat);
		return 1;
	}
	int rc = is_case ? export_case(s, &cfg, data, id, kind, kinds[k].audit_action, out_path)
	                 : export_patient(s, cat, id, kind, kinds[k].audit_action, out_path);
	store_close(s);
	intake_catalog_free(cat);
	return rc;
}
