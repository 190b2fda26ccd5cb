/* The intake as FHIR R4 for an EHR: the questionnaire definition, a patient's latest answers
 * and the consent the patient accepted (see core/fhir_intake.h for the resources). The API
 * and the CLI both call these, and audit the reads of a patient's data themselves. */
#ifndef EXOSAFE_INTAKE_FHIR_H
#define EXOSAFE_INTAKE_FHIR_H

#include <stddef.h>
#include <stdint.h>

#include "service/intake.h"

/* The clinic's questionnaire (INTAKE_QUESTIONNAIRE_ID) as an R4 Questionnaire: version, or
 * the current one when version is 0. INTAKE_OK with *out (heap, the caller frees),
 * INTAKE_NOT_FOUND when there is no such version, INTAKE_ERROR when memory runs out.
 * Errors: INTAKE_NOT_FOUND, INTAKE_ERROR. */
intake_rc intake_fhir_questionnaire(const intake_catalog *cat, int version, char **out, char *err, size_t errlen);

/* Patient patient_id's latest questionnaire response as an R4 QuestionnaireResponse, its
 * answers typed by the questionnaire version answered. INTAKE_NOT_FOUND when the patient has
 * none; INTAKE_INVALID with err when the stored answers cannot be written; INTAKE_ERROR on a
 * storage failure (s->errmsg).
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_ERROR. */
intake_rc intake_fhir_response(store *s, const intake_catalog *cat, int64_t patient_id, char **out, char *err,
                               size_t errlen);

/* Patient patient_id's latest consent acceptance (in force or withdrawn) as an R4 Consent
 * with the exact text accepted. INTAKE_NOT_FOUND when there is none; INTAKE_INVALID with err
 * when the consent text of that version is no longer loaded or no longer has the SHA-256 the
 * acceptance recorded (the text must not change under a version); INTAKE_ERROR as above.
 * Errors: INTAKE_NOT_FOUND, INTAKE_INVALID, INTAKE_ERROR. */
intake_rc intake_fhir_consent(store *s, const intake_catalog *cat, int64_t patient_id, const char *clinic_name,
                              char **out, char *err, size_t errlen);

#endif
