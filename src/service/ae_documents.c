/* Adverse-event cases as documents (see ae.h): the FHIR R4 Bundle and the ICH E2B(R3) ICSR
 * (core/ae_export), the PMDA form (core/pmda_report), and the CTCAE tables their terms come
 * from. Reads only. */
#include "service/ae.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ae_export.h"
#include "core/ctcae.h"
#include "core/growth.h"
#include "core/kana.h"
#include "core/pmda_report.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "service/clinic.h"

/* Initials for E2B: the first letter of each part of the kana name, as a clinic writes them. */
static void initials_of(const char *kana, char *out, size_t outlen)
{
	size_t n = 0;
	bool start = true;
	for (const unsigned char *p = (const unsigned char *)kana; *p && n + 5 < outlen;) {
		size_t len = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
		if (*p == ' ') {
			start = true;
			p++;
			continue;
		}
		if (start) {
			memcpy(out + n, p, len);
			n += len;
			out[n++] = '.';
			start = false;
		}
		p += len;
	}
	out[n] = '\0';
}

/* Names of the exported terms: an "Other, specify" term goes out as "<term>: <specific event>". */
typedef struct export_names {
	char en[20][512], ja[20][512];
} export_names;

/* A case loaded for export: the records, and the buffers its ae_export_case points into. */
typedef struct export_case {
	ae_report_record r;
	ae_assessment_record a;
	patient_profile profile;
	response_record q;
	json_t *term_list;
	ae_export_term terms[20];
	ae_export_lot lots[AE_MAX_SUSPECT_LOTS];
	lot_record lot_rows[AE_MAX_SUSPECT_LOTS];
	product_record product;
	char initials[64], narrative[8200];
	export_names names;
	ae_export_case c;
} export_case;

static void export_case_free(export_case *x)
{
	if (x == NULL)
		return;
	json_decref(x->term_list);
	response_record_clear(&x->q);
	free(x);
}

/* Fills *et for stored term t of the CTCAE term ct; an "Other, specify" term takes its specific
 * event's text and MedDRA code. Returns -1 with err naming the term and what to code when that
 * event is not named yet, or (require_coded) has no MedDRA code yet (NCI CTCAE v5.0: "Other,
 * specify" needs the event specified). */
static int export_term(const ctcae_term *ct, const json_t *t, int index, bool require_coded, export_names *names,
                       ae_export_term *et, char *err, size_t errlen)
{
	int grade = (int)json_integer_value(json_object_get(t, "grade"));
	*et = (ae_export_term){ct->code, ct->name_en, ct->name_ja, ct->meddra_code, grade};
	if (!ctcae_is_other_specify(ct))
		return 0;
	const char *text = json_string_value(json_object_get(t, "specify_text"));
	const char *meddra = json_string_value(json_object_get(t, "specify_meddra_code"));
	bool coded = ctcae_meddra_code_valid(meddra);
	if (text == NULL || *text == '\0' || (require_coded && !coded)) {
		snprintf(err, errlen,
		         "terms[%d] %s (%s): 「その他(具体的に記載)」の具体的な事象%sを記録してから出力してください / code the "
		         "specific event (%s) before exporting",
		         index, ct->name_en, ct->code, text && *text ? "の MedDRA コード" : "名と MedDRA コード",
		         text && *text ? "its MedDRA code" : "its name and MedDRA code");
		return -1;
	}
	snprintf(names->en[index], sizeof names->en[index], "%s: %s", ct->name_en, text);
	snprintf(names->ja[index], sizeof names->ja[index], "%s: %s", ct->name_ja ? ct->name_ja : ct->name_en, text);
	et->name_en = names->en[index];
	et->name_ja = names->ja[index];
	et->meddra_code = coded ? meddra : NULL;
	return 0;
}

/* Loads case report_id with its latest assessment. Returns AE_OK with *out (free with
 * export_case_free), AE_NOT_FOUND when there is no such report, AE_INVALID with err set when
 * it has no assessment yet (*unassessed set) or an "Other, specify" term's event is not named,
 * or (require_coded) not MedDRA-coded yet, AE_ERROR on a storage failure. */
static ae_rc export_case_load(store *s, const struct ctcae_table *terms, const char *sender_name,
                              const char *meddra_version, bool require_coded, int64_t report_id, export_case **out,
                              bool *unassessed, char *err, size_t errlen)
{
	*out = NULL;
	*unassessed = false;
	export_case *x = calloc(1, sizeof *x);
	if (x == NULL)
		return AE_ERROR;
	store_rc rc = store_ae_report_get(s, report_id, &x->r);
	if (rc != STORE_OK) {
		export_case_free(x);
		return rc == STORE_NOT_FOUND ? AE_NOT_FOUND : AE_ERROR;
	}
	rc = store_ae_assessment_latest(s, report_id, &x->a);
	if (rc == STORE_NOT_FOUND) {
		snprintf(err, errlen, "the case has no assessment yet");
		*unassessed = true;
		export_case_free(x);
		return AE_INVALID;
	}
	user_record patient;
	if (rc != STORE_OK || store_user_by_id(s, x->r.patient_id, &patient) != STORE_OK ||
	    store_profile_get(s, x->r.patient_id, &x->profile) != STORE_OK) {
		export_case_free(x);
		return AE_ERROR;
	}
	x->term_list = json_loads(x->a.terms_json, 0, NULL);
	int nterms = 0;
	size_t i;
	json_t *t;
	json_array_foreach(x->term_list, i, t) {
		const ctcae_term *ct = ctcae_find(terms, json_string_value(json_object_get(t, "code")));
		if (ct == NULL || nterms >= 20)
			continue;
		/* Assessments stored before duplicates were refused may repeat a term: one reaction
		 * is exported once, with the first grade given. */
		bool seen = false;
		for (int k = 0; k < nterms && !seen; k++)
			seen = strcmp(x->terms[k].code, ct->code) == 0;
		if (seen)
			continue;
		if (export_term(ct, t, nterms, require_coded, &x->names, &x->terms[nterms], err, errlen) != 0) {
			export_case_free(x);
			return AE_INVALID;
		}
		nterms++;
	}
	int nlots = 0;
	for (int k = 0; k < x->a.lot_count; k++) {
		if (store_lot_get(s, x->a.lot_ids[k], &x->lot_rows[nlots]) != STORE_OK ||
		    (nlots == 0 && store_product_get(s, x->lot_rows[0].product_id, &x->product) != STORE_OK)) {
			export_case_free(x);
			return AE_ERROR;
		}
		x->lots[nlots] = (ae_export_lot){x->lot_rows[nlots].lot_number, x->lot_rows[nlots].expires_on};
		nlots++;
	}
	bool have_q = store_response_latest(s, x->r.patient_id, &x->q) == STORE_OK;
	initials_of(x->profile.name_kana, x->initials, sizeof x->initials);
	snprintf(x->narrative, sizeof x->narrative, "%s%s%s", x->r.description, x->a.narrative[0] ? "\n" : "",
	         x->a.narrative);
	const char *qualification = strcmp(x->r.reporter_role, "patient") == 0   ? "patient"
	                            : strcmp(x->r.reporter_role, "doctor") == 0     ? "physician"
	                            : strcmp(x->r.reporter_role, "pharmacist") == 0 ? "pharmacist"
	                                                                             : "other";
	const ae_assessment_record *a = &x->a;
	x->c = (ae_export_case){
		.case_id = x->r.id, .version = a->version, .received_at = x->r.received_at, .assessed_at = a->assessed_at,
		.sender_name = sender_name, .meddra_version = meddra_version, .reporter_qualification = qualification,
		.patient_id = x->r.patient_id, .patient_initials = x->initials, .birth_date = x->profile.birth_date,
		.sex = x->profile.sex,
		.narrative = x->narrative, .onset_date = x->r.onset_date, .ongoing = x->r.ongoing,
		.terms = x->terms, .term_count = nterms,
		.death = a->death, .life_threatening = a->life_threatening, .hospitalization = a->hospitalization,
		.disability = a->disability, .congenital_anomaly = a->congenital_anomaly,
		.other_medically_important = a->other_medically_important,
		.outcome = a->outcome, .outcome_date = a->outcome_date, .causality = a->causality, .treatment = a->treatment,
		.product_code = nlots ? x->product.code : NULL, .product_name = nlots ? x->product.name_ja : NULL,
		.manufacturer = nlots ? x->product.manufacturer : NULL, .lots = x->lots, .lot_count = nlots,
		.questionnaire_id = have_q ? x->q.questionnaire_id : NULL, .questionnaire_version = have_q ? x->q.questionnaire_version : 0,
		.questionnaire_answers_json = have_q ? x->q.answers_json : NULL,
		.questionnaire_submitted_at = have_q ? x->q.submitted_at : 0,
	};
	*out = x;
	return AE_OK;
}

ae_rc ae_export_report(store *s, const struct ctcae_table *terms, const char *sender_name, const char *meddra_version,
                       int64_t report_id, ae_export_format format, char **out, char *err, size_t errlen)
{
	*out = NULL;
	export_case *x;
	bool unassessed;
	ae_rc rc = export_case_load(s, terms, sender_name, meddra_version, true, report_id, &x, &unassessed, err, errlen);
	if (rc != AE_OK)
		return rc;
	*out = format == AE_EXPORT_FHIR ? ae_export_fhir(&x->c, err, errlen) : ae_export_e2b(&x->c, err, errlen);
	export_case_free(x);
	return *out ? AE_OK : AE_INVALID;
}

ae_rc ae_pmda_form(store *s, const struct ctcae_table *terms, const clinic_profile *clinic, int64_t report_id,
                   int64_t now, char **out, const char **refusal_out, char *err, size_t errlen)
{
	*out = NULL;
	*refusal_out = "export_refused";
	export_case *x;
	bool unassessed;
	/* The form names reactions in words; a MedDRA code is not asked for. */
	ae_rc rc = export_case_load(s, terms, clinic->name, NULL, false, report_id, &x, &unassessed, err, errlen);
	if (rc == AE_INVALID && unassessed)
		*refusal_out = "not_assessed";
	if (rc != AE_OK)
		return rc;
	/* The form reports a doctor's causality assessment: the latest version must be a doctor's. */
	if (x->a.assessor_role != ROLE_DOCTOR) {
		snprintf(err, errlen, "the latest assessment (version %d) was not made by a doctor; a doctor must assess causality",
		         x->a.version);
		*refusal_out = "needs_doctor_assessment";
		export_case_free(x);
		return AE_INVALID;
	}
	/* Latin initials on the PMDA form (see kana.h); blank when the kana cannot be read. */
	kana_initials_latin(x->profile.name_kana, x->initials, sizeof x->initials);
	char today[11], address[sizeof clinic->address + 32];
	jst_date(now, today);
	clinic_address_line(clinic, address, sizeof address);
	pmda_report_info info = {
		.reporter_name = x->a.assessor_name,
		.reporter_profession = "doctor",
		.facility_name = clinic->name,
		.facility_address = address,
		.facility_phone = clinic->phone,
		.report_date = today,
	};
	*out = pmda_report_html(&x->c, &info, err, errlen);
	export_case_free(x);
	return *out ? AE_OK : AE_INVALID;
}

/* Reads the whole file at path, NUL-terminated, its length in *len_out; NULL with the path and
 * the reason in err. The caller frees. */
static char *read_data_file(const char *path, size_t *len_out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[8192];
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		char *grown = growth_reserve(text, &cap, len + n + 1, 1);
		if (grown == NULL) {
			free(text);
			fclose(f);
			snprintf(err, errlen, "%.200s: out of memory", path);
			return NULL;
		}
		text = grown;
		memcpy(text + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "%.200s: empty file", path);
		return NULL;
	}
	text[len] = '\0';
	*len_out = len;
	return text;
}

/* Reads data_dir/ctcae/terms.json (the clinic's common terms) and data_dir/ctcae/ctcae-v5.0.csv
 * (NCI CTCAE v5.0 (27 Nov 2017), via shared/reference/ctcae/ctcae-v5.0.csv, the whole
 * catalogue), which the common terms are checked against. */
struct ctcae_table *ae_load_ctcae(const char *data_dir, char *err, size_t errlen)
{
	char path[4200], why[300];
	size_t len;
	snprintf(path, sizeof path, "%s/ctcae/terms.json", data_dir);
	char *text = read_data_file(path, &len, err, errlen);
	if (text == NULL)
		return NULL;
	ctcae_table *t = ctcae_parse(text, why, sizeof why);
	free(text);
	if (t == NULL) {
		snprintf(err, errlen, "%.200s: %.250s", path, why);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/ctcae/ctcae-v5.0.csv", data_dir);
	text = read_data_file(path, &len, err, errlen);
	if (text == NULL) {
		ctcae_free(t);
		return NULL;
	}
	int rc = ctcae_add_catalogue(t, text, len, why, sizeof why);
	free(text);
	if (rc != 0) {
		snprintf(err, errlen, "%.200s: %.250s", path, why);
		ctcae_free(t);
		return NULL;
	}
	return t;
}
