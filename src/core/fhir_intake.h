/* The intake as FHIR R4 for an EHR: the questionnaire (Questionnaire), a patient's answers
 * (QuestionnaireResponse) and the consent the patient accepted (Consent). Pure: builds JSON
 * text from parsed definitions and records the caller passes in; no I/O. */
#ifndef EXOSAFE_FHIR_INTAKE_H
#define EXOSAFE_FHIR_INTAKE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/questionnaire.h"

/* Canonical URLs of exosafe's definitions, e.g. FHIR_BASE "/Questionnaire/exosome-cream". */
#define FHIR_BASE "https://exosafe.example"
/* The identifier system of exosafe's patient numbers. */
#define FHIR_PATIENT_SYSTEM FHIR_BASE "/patient"

/* Returns a new R4 Questionnaire (JSON text) for definition q: url FHIR_BASE/Questionnaire/<id>,
 * version, Japanese texts with English translations (extension "translation"), items with
 * their types, required, repeats, maxLength, minValue/maxValue, answerOption codings and
 * enableWhen. NULL with a reason in err when memory runs out. The caller frees it. */
char *fhir_questionnaire(const questionnaire *q, char *err, size_t errlen);

typedef struct fhir_response_input {
	const char *id;                /* Resource.id */
	const char *questionnaire_id;  /* e.g. "exosome-cream" */
	int questionnaire_version;     /* 1 or more */
	const char *answers_json;      /* {"linkId": value, …} as stored */
	int64_t submitted_at;          /* unix s */
} fhir_response_input;

/* Returns a new QuestionnaireResponse object (status completed, questionnaire
 * "url|version", authored) whose subject is the reference object subject (stolen, also on
 * failure). Answers are typed by q's items when q is not NULL (choice codes then carry their
 * Japanese display), else by their JSON values: boolean, integer (decimal beyond 32 bits),
 * real, a "YYYY-MM-DD" date, other strings, an array of codes. null, "" and [] are unanswered
 * and left out. NULL with err naming the field when the input is malformed or memory runs out. */
json_t *fhir_questionnaire_response_object(const questionnaire *q, const fhir_response_input *in, json_t *subject,
                                           char *err, size_t errlen);

/* As fhir_questionnaire_response_object, as JSON text, with the subject the patient
 * patient_id (reference "Patient/patient-<id>" and identifier FHIR_PATIENT_SYSTEM). The caller
 * frees it. */
char *fhir_questionnaire_response(const questionnaire *q, const fhir_response_input *in, int64_t patient_id,
                                  char *err, size_t errlen);

typedef struct fhir_consent_input {
	int64_t record_id;           /* the acceptance record */
	int64_t patient_id;
	const char *consent_id;      /* e.g. "exosome-cream-consent" */
	int consent_version;
	const char *lang;            /* "ja" | "en": the language of the text accepted */
	const char *title;           /* in lang */
	const char *text;            /* the exact text accepted, in lang */
	int64_t accepted_at;         /* unix s */
	int64_t withdrawn_at;        /* 0 while in force */
	const char *organization;    /* the clinic */
} fhir_consent_input;

/* Returns a new R4 Consent (JSON text): status active (inactive once withdrawn), scope
 * treatment, category LOINC 59284-0 Patient Consent, the patient as patient and performer,
 * dateTime of acceptance, the clinic, policy uri FHIR_BASE/consent/<id>/<version>, the exact
 * text accepted as sourceAttachment (base64 data, so its SHA-256 can be checked against the
 * acceptance record), provision permit over the period it was in force. NULL with err naming
 * the field when the input is incomplete or memory runs out. The caller frees it. */
char *fhir_consent(const fhir_consent_input *in, char *err, size_t errlen);

#endif
