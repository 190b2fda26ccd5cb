#include "service/intake_fhir.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fhir_intake.h"

intake_rc intake_fhir_questionnaire(const intake_catalog *cat, int version, char **out, char *err, size_t errlen)
{
	*out = NULL;
	const questionnaire *q = version == 0 ? intake_current_questionnaire(cat, INTAKE_QUESTIONNAIRE_ID)
	                                      : intake_questionnaire(cat, INTAKE_QUESTIONNAIRE_ID, version);
	if (q == NULL) {
		snprintf(err, errlen, "no questionnaire %s version %d", INTAKE_QUESTIONNAIRE_ID, version);
		return INTAKE_NOT_FOUND;
	}
	*out = fhir_questionnaire(q, err, errlen);
	return *out ? INTAKE_OK : INTAKE_ERROR;
}

intake_rc intake_fhir_response(store *s, const intake_catalog *cat, int64_t patient_id, char **out, char *err,
                               size_t errlen)
{
	*out = NULL;
	response_record r = {0};
	store_rc rc = store_response_latest(s, patient_id, &r);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? INTAKE_NOT_FOUND : INTAKE_ERROR;
	char id[48];
	snprintf(id, sizeof id, "questionnaire-response-%" PRId64, r.id);
	fhir_response_input in = {
		.id = id,
		.questionnaire_id = r.questionnaire_id,
		.questionnaire_version = r.questionnaire_version,
		.answers_json = r.answers_json,
		.submitted_at = r.submitted_at,
	};
	/* NULL when that version is no longer loaded: the answers are then typed by their values. */
	const questionnaire *q = intake_questionnaire(cat, r.questionnaire_id, r.questionnaire_version);
	*out = fhir_questionnaire_response(q, &in, patient_id, err, errlen);
	response_record_clear(&r);
	return *out ? INTAKE_OK : INTAKE_INVALID;
}

intake_rc intake_fhir_consent(store *s, const intake_catalog *cat, int64_t patient_id, const char *clinic_name,
                              char **out, char *err, size_t errlen)
{
	*out = NULL;
	consent_record c;
	store_rc rc = store_consent_latest(s, patient_id, &c);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? INTAKE_NOT_FOUND : INTAKE_ERROR;
	const consent_text *t = intake_consent(cat, c.consent_id, c.consent_version);
	if (t == NULL) {
		snprintf(err, errlen, "consent %s version %d: the text is not loaded", c.consent_id, c.consent_version);
		return INTAKE_INVALID;
	}
	bool ja = strcmp(c.lang, "ja") == 0;
	if (strcmp(ja ? t->sha256_ja : t->sha256_en, c.text_sha256) != 0) {
		snprintf(err, errlen, "consent %s version %d (%s): the text no longer has the SHA-256 the acceptance recorded",
		         c.consent_id, c.consent_version, c.lang);
		return INTAKE_INVALID;
	}
	fhir_consent_input in = {
		.record_id = c.id,
		.patient_id = patient_id,
		.consent_id = c.consent_id,
		.consent_version = c.consent_version,
		.lang = c.lang,
		.title = ja ? t->title_ja : t->title_en,
		.text = ja ? t->text_ja : t->text_en,
		.accepted_at = c.accepted_at,
		.withdrawn_at = c.withdrawn_at,
		.organization = clinic_name,
	};
	*out = fhir_consent(&in, err, errlen);
	return *out ? INTAKE_OK : INTAKE_INVALID;
}
