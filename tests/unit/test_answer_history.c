/* Answers over time: every case of tests/data/answer_history/cases.json (changed answers
 * through the real version-2 questionnaire and rules, and ages from dates of birth), and
 * which stored flags need an override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer_history.h"
#include "core/timefmt.h"
#include "testutil.h"

#define QUESTIONNAIRE_FILE "data/questionnaires/exosome-cream-v2.json"
#define RULES_FILE "data/screening/exosome-cream-v2.json"
#define CASES_FILE "tests/data/answer_history/cases.json"

static void check_change_case(const questionnaire *q, const screening_rules *r, const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *earlier = json_object_get(c, "earlier"), *cur = json_object_get(c, "current");
	const json_t *expect = json_object_get(c, "expect");
	answer_version versions[8];
	size_t n = json_array_size(earlier);
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(earlier, i);
		int64_t at = 0;
		assert_int_equal(time_parse_iso8601(json_string_value(json_object_get(e, "submitted_at")), &at), 0);
		versions[i] = (answer_version){.response_id = (int64_t)i + 100,
		                               .number = (int)json_integer_value(json_object_get(e, "number")),
		                               .submitted_at = at, .answers = json_object_get(e, "answers"),
		                               .flags = json_object_get(e, "flags"), .q = q, .rules = r};
	}
	answer_version current = {.number = 9, .answers = json_object_get(cur, "answers"),
	                          .flags = json_object_get(cur, "flags"), .q = q, .rules = r};
	json_t *got = answer_changes(&current, versions, n);
	assert_non_null(got);
	if (json_array_size(got) != json_array_size(expect)) {
		char *dump = json_dumps(got, JSON_INDENT(1));
		fail_msg("case \"%s\": %zu flags, want %zu\n%s", name, json_array_size(got), json_array_size(expect), dump);
	}
	size_t i;
	json_t *want;
	json_array_foreach(expect, i, want) {
		const json_t *g = json_array_get(got, i);
		assert_string_equal(json_string_value(json_object_get(g, "rule")), ANSWER_CHANGED_RULE);
		assert_string_equal(json_string_value(json_object_get(g, "level")), "needs-attention");
		assert_true(json_is_true(json_object_get(g, "override_required")));
		const char *key;
		json_t *v;
		json_object_foreach(want, key, v) {
			const json_t *have = strcmp(key, "ja") == 0 || strcmp(key, "en") == 0
			                             ? json_object_get(json_object_get(g, "reason"), key)
			                             : json_object_get(g, key);
			if (!json_equal(have, v)) {
				char *a = json_dumps(have, JSON_ENCODE_ANY), *b = json_dumps(v, JSON_ENCODE_ANY);
				fail_msg("case \"%s\", flag %zu, %s:\n got  %s\n want %s", name, i + 1, key, a, b);
			}
		}
	}
	/* What answer_changes returns is what the service stores: an override is then needed. */
	assert_true(answer_flags_need_override(got, "needs-attention") == (json_array_size(got) > 0));
	json_decref(got);
}

static void test_cases(void **state)
{
	(void)state;
	char err[256];
	char *text = slurp(QUESTIONNAIRE_FILE);
	questionnaire *q = questionnaire_parse(text, err, sizeof err);
	free(text);
	if (q == NULL)
		fail_msg("%s: %s", QUESTIONNAIRE_FILE, err);
	text = slurp(RULES_FILE);
	screening_rules *r = screening_parse(text, q, err, sizeof err);
	free(text);
	if (r == NULL)
		fail_msg("%s: %s", RULES_FILE, err);
	json_error_t jerr;
	json_t *cases = json_load_file(CASES_FILE, JSON_REJECT_DUPLICATES, &jerr);
	if (cases == NULL)
		fail_msg("%s:%d: %s", CASES_FILE, jerr.line, jerr.text);
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(cases, "changes"), i, c)
		check_change_case(q, r, c);
	assert_true(i >= 5);
	json_array_foreach(json_object_get(cases, "ages"), i, c) {
		const char *birth = json_string_value(json_object_get(c, "birth"));
		const char *today = json_string_value(json_object_get(c, "today"));
		int want = (int)json_integer_value(json_object_get(c, "age"));
		if (answer_age_on(birth, today) != want)
			fail_msg("age of %s on %s: got %d, want %d", birth, today, answer_age_on(birth, today), want);
	}
	json_decref(cases);
	screening_free(r);
	questionnaire_free(q);
}

static void test_age_from_birth(void **state)
{
	(void)state;
	json_t *a = json_pack("{s:i}", "age", 42);
	json_t *flag = answer_age_from_birth(a, "1985-04-01", "2026-12-03");
	assert_int_equal(json_integer_value(json_object_get(a, "age")), 41);
	assert_non_null(flag);
	assert_string_equal(json_string_value(json_object_get(flag, "rule")), AGE_MISMATCH_RULE);
	assert_string_equal(json_string_value(json_object_get(flag, "level")), "needs-attention");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(flag, "reason"), "ja")), "回答の年齢(42歳)"));
	json_decref(flag);
	/* The same age: no flag. */
	assert_null(answer_age_from_birth(a, "1985-04-01", "2026-12-03"));
	/* No usable date of birth: the answered age stays. */
	json_object_set_new(a, "age", json_integer(30));
	assert_null(answer_age_from_birth(a, "", "2026-12-03"));
	assert_int_equal(json_integer_value(json_object_get(a, "age")), 30);
	json_decref(a);
}

static void test_which_flags_need_an_override(void **state)
{
	(void)state;
	json_t *none = json_array();
	assert_false(answer_flags_need_override(none, "none"));
	assert_true(answer_flags_need_override(none, "block"));
	json_t *attention = json_pack("[{s:s, s:s}]", "rule", "immunosuppression", "level", "needs-attention");
	assert_false(answer_flags_need_override(attention, "needs-attention"));
	json_t *blocked = json_pack("[{s:s, s:s}]", "rule", "x", "level", "block");
	assert_true(answer_flags_need_override(blocked, NULL));
	json_t *changed = json_pack("[{s:s, s:s, s:b}]", "rule", ANSWER_CHANGED_RULE, "level", "needs-attention",
	                            "override_required", 1);
	assert_true(answer_flags_need_override(changed, "needs-attention"));
	json_decref(none);
	json_decref(attention);
	json_decref(blocked);
	json_decref(changed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_age_from_birth),
		cmocka_unit_test(test_which_flags_need_an_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
