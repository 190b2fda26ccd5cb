/* A patient's questionnaire answers (core/questionnaire.c questionnaire_validate) against the
 * real definitions in data/questionnaires, then the FHIR QuestionnaireResponse built from the
 * stored form (core/fhir_intake.c). The first byte chooses the version (odd: 1, even: 2);
 * the rest is the answers as the API receives them (JSON text).
 *
 * Properties: every error written names its item in text the API can send (valid UTF-8:
 * handlers_questionnaire.c packs it into the reply with jansson) and a reason; valid answers normalise to an object
 * that validates again to itself (normalising twice changes nothing), and their stored JSON
 * gives a QuestionnaireResponse. */
#include <string.h>

#include "core/fhir_intake.h"
#include "fuzz_catalog.h"

#define MAX_ERRORS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const questionnaire *q = fuzz_questionnaire((data[0] & 1) ? 1 : 2);
	json_t *answers = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (answers == NULL)
		return 0;

	answer_error errors[MAX_ERRORS];
	json_t *normalized = NULL;
	int n = questionnaire_validate(q, answers, errors, MAX_ERRORS, &normalized);
	FUZZ_CHECK(n >= 0);
	for (int i = 0; i < n && i < MAX_ERRORS; i++) {
		FUZZ_CHECK(memchr(errors[i].link_id, '\0', sizeof errors[i].link_id) != NULL);
		json_t *link_id = json_string(errors[i].link_id);
		FUZZ_CHECK(link_id != NULL);
		json_decref(link_id);
		FUZZ_CHECK(errors[i].reason[0] != '\0');
	}
	if (n > 0) {
		FUZZ_CHECK(normalized == NULL);
		json_decref(answers);
		return 0;
	}
	FUZZ_CHECK(json_is_object(normalized));

	json_t *again = NULL;
	FUZZ_CHECK(questionnaire_validate(q, normalized, errors, MAX_ERRORS, &again) == 0);
	FUZZ_CHECK(json_equal(normalized, again));
	json_decref(again);

	char *stored = json_dumps(normalized, JSON_COMPACT | JSON_SORT_KEYS);
	FUZZ_CHECK(stored != NULL);
	fhir_response_input in = {.id = "response-1", .questionnaire_id = questionnaire_id(q),
	                          .questionnaire_version = questionnaire_version(q), .answers_json = stored,
	                          .submitted_at = FUZZ_NOW};
	char err[256];
	char *fhir = fhir_questionnaire_response(q, &in, 42, err, sizeof err);
	if (fhir == NULL)
		fprintf(stderr, "fhir: %s\n", err);
	FUZZ_CHECK(fhir != NULL);
	json_t *parsed = json_loads(fhir, 0, NULL);
	FUZZ_CHECK(json_is_object(parsed));
	json_decref(parsed);
	free(fhir);
	free(stored);
	json_decref(normalized);
	json_decref(answers);
	return 0;
}
