/* Screening (core/screening.c screening_evaluate) with the real rules of data/screening on
 * answers the questionnaire accepted, as the intake service runs it: the age replaced by the
 * one from the date of birth on file (answer_age_from_birth), then every rule evaluated on the
 * clinic's date. Input: byte 0 chooses the version (odd: 1, even: 2) and whether "today" is
 * the fixed date or the second line; then the date of birth up to a newline, then (when
 * chosen) today up to a newline, then the answers (JSON text).
 *
 * Properties: no more flags than rules, flags ordered by level (block first), each with an id
 * and both reasons; evaluating twice gives the same flags; every rule's items are known. */
#include <string.h>

#include "core/answer_history.h"
#include "fuzz_catalog.h"

#define MAX_FLAGS 64

/* The text up to the next newline (at most cap - 1 bytes kept), advancing *p. */
static void take_line(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	size_t n = 0;
	while (*p < end && **p != '\n') {
		if (n + 1 < cap)
			out[n++] = (char)**p;
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const questionnaire *q = fuzz_questionnaire((data[0] & 1) ? 1 : 2);
	const screening_rules *rules = intake_rules_for(fuzz_catalog(), q);
	FUZZ_CHECK(rules != NULL);
	const uint8_t *p = data + 1, *end = data + size;
	char birth[32], today[32] = FUZZ_TODAY;
	take_line(&p, end, birth, sizeof birth);
	if (data[0] & 2)
		take_line(&p, end, today, sizeof today);

	json_t *answers = json_loadb((const char *)p, (size_t)(end - p), JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (answers == NULL)
		return 0;
	answer_error errors[4];
	json_t *normalized = NULL;
	if (questionnaire_validate(q, answers, errors, 4, &normalized) != 0) {
		json_decref(answers);
		return 0;
	}
	json_t *age_flag = answer_age_from_birth(normalized, birth, today);
	if (age_flag != NULL) {
		FUZZ_CHECK(json_is_object(age_flag));
		json_decref(age_flag);
	}

	screening_flag flags[MAX_FLAGS], flags_again[MAX_FLAGS];
	int n = screening_evaluate(rules, normalized, today, flags, MAX_FLAGS);
	int n_again = screening_evaluate(rules, normalized, today, flags_again, MAX_FLAGS);
	FUZZ_CHECK(n >= 0 && n <= screening_rule_count(rules) && n <= MAX_FLAGS);
	FUZZ_CHECK(n == n_again);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(flags[i].rule_id != NULL && flags[i].reason_ja != NULL && flags[i].reason_en != NULL);
		FUZZ_CHECK(strcmp(flags[i].rule_id, flags_again[i].rule_id) == 0);
		FUZZ_CHECK(screening_level_name(flags[i].level) != NULL);
		if (i > 0)
			FUZZ_CHECK(flags[i - 1].level <= flags[i].level);
		const char *items[32];
		int n_items = screening_rule_items(rules, flags[i].rule_id, items, 32);
		FUZZ_CHECK(n_items >= 0);
		for (int k = 0; k < n_items && k < 32; k++)
			FUZZ_CHECK(questionnaire_item_type_of(q, items[k], NULL) >= 0 || strcmp(items[k], "age") == 0);
	}
	json_decref(normalized);
	json_decref(answers);
	return 0;
}
