/* Screening rules: every case of tests/data/screening/cases.json run through the real
 * exosome-cream questionnaire and rules, the condition forms, and malformed rule files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/questionnaire.h"
#include "core/screening.h"
#include "testutil.h"

#define QUESTIONNAIRE_FILE "data/questionnaires/exosome-cream-v1.json"
#define RULES_FILE "data/screening/exosome-cream-v1.json"
#define CASES_FILE "tests/data/screening/cases.json"
/* The clinic date the cases are evaluated on: fixed, so no case depends on the real day. */
#define CASE_TODAY "2026-12-03"

#define QUESTIONNAIRE_V2_FILE "data/questionnaires/exosome-cream-v2.json"
#define RULES_V2_FILE "data/screening/exosome-cream-v2.json"
#define CASES_V2_FILE "tests/data/screening/cases-v2.json"

typedef struct fixture {
	questionnaire *q, *q2;
	screening_rules *r, *r2;
} fixture;

/* The questionnaire (or, with q, the rule file for it) at path; fails the test when it is refused. */
static questionnaire *load_questionnaire(const char *path)
{
	char err[256];
	char *text = slurp(path);
	questionnaire *q = questionnaire_parse(text, err, sizeof err);
	free(text);
	if (q == NULL)
		fail_msg("%s: %s", path, err);
	return q;
}

static screening_rules *load_rules(const char *path, const questionnaire *q)
{
	char err[256];
	char *text = slurp(path);
	screening_rules *r = screening_parse(text, q, err, sizeof err);
	free(text);
	if (r == NULL)
		fail_msg("%s: %s", path, err);
	return r;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	fx->q = load_questionnaire(QUESTIONNAIRE_FILE);
	fx->r = load_rules(RULES_FILE, fx->q);
	fx->q2 = load_questionnaire(QUESTIONNAIRE_V2_FILE);
	fx->r2 = load_rules(RULES_V2_FILE, fx->q2);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	screening_free(fx->r);
	questionnaire_free(fx->q);
	screening_free(fx->r2);
	questionnaire_free(fx->q2);
	free(fx);
	return 0;
}

static void test_real_rules(void **state)
{
	fixture *fx = *state;
	assert_int_equal(screening_rule_count(fx->r), 16);
}

static void check_case(const questionnaire *q, const screening_rules *rules, const char *file, const json_t *c,
                       size_t index)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *answers = json_object_get(c, "answers"), *expect = json_object_get(c, "expect");
	if (name == NULL || !json_is_object(answers) || !json_is_array(expect))
		fail_msg("%s case %zu: needs name, answers and expect", file, index + 1);
	/* Rules run on validated answers, so every case must be a valid set of answers. */
	answer_error errors[8];
	json_t *valid = NULL;
	int nerr = questionnaire_validate(q, answers, errors, 8, &valid);
	if (nerr != 0)
		fail_msg("case \"%s\": the answers are invalid (%s: %s)", name, errors[0].link_id, errors[0].reason);
	screening_flag flags[32];
	int n = screening_evaluate(rules, valid, CASE_TODAY, flags, 32);
	int same = (size_t)n == json_array_size(expect);
	for (int i = 0; same && i < n; i++)
		same = strcmp(flags[i].rule_id, json_string_value(json_array_get(expect, (size_t)i))) == 0;
	if (!same) {
		for (int i = 0; i < n && i < 32; i++)
			print_message("  got %s (%s)\n", flags[i].rule_id, screening_level_name(flags[i].level));
		fail_msg("case \"%s\": flags differ from expect", name);
	}
	for (int i = 0; i < n; i++) {
		assert_non_null(flags[i].reason_ja);
		assert_non_null(flags[i].reason_en);
		if (i > 0)
			assert_true(flags[i - 1].level <= flags[i].level);
	}
	json_decref(valid);
}

static void run_cases(const questionnaire *q, const screening_rules *rules, const char *file)
{
	json_error_t jerr;
	json_t *cases = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (cases == NULL)
		fail_msg("%s:%d: %s", file, jerr.line, jerr.text);
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		check_case(q, rules, file, c, i);

	/* Every rule fires in at least one case, and one case has no flags at all. */
	json_t *fired = json_object();
	int no_flags = 0;
	json_array_foreach(cases, i, c) {
		const json_t *expect = json_object_get(c, "expect");
		no_flags |= json_array_size(expect) == 0;
		size_t k;
		const json_t *id;
		json_array_foreach(expect, k, id)
			json_object_set_new(fired, json_string_value(id), json_true());
	}
	assert_true(no_flags);
	assert_int_equal(json_object_size(fired), (size_t)screening_rule_count(rules));
	json_decref(fired);
	json_decref(cases);
}

static void test_cases(void **state)
{
	fixture *fx = *state;
	run_cases(fx->q, fx->r, CASES_FILE);
}

/* Version 2: the lesion at the site, active cancer treatment and past cancer, the 5 years
 * counted in months from CASE_TODAY. */
static void test_cases_v2(void **state)
{
	fixture *fx = *state;
	assert_int_equal(screening_rule_count(fx->r2), 19);
	run_cases(fx->q2, fx->r2, CASES_V2_FILE);
}

/* Without a usable today a "within_months" condition holds: the block is never lost. */
static void test_within_months_without_today(void **state)
{
	fixture *fx = *state;
	json_t *a = json_pack("{s:b, s:s, s:s}", "malignancy", 1, "malignancy_detail", "x", "malignancy_last", "1990-01-01");
	screening_flag flags[8];
	int n = screening_evaluate(fx->r2, a, "2026-12-03", flags, 8);
	assert_int_equal(n, 1);
	assert_string_equal(flags[0].rule_id, "past-malignancy");
	n = screening_evaluate(fx->r2, a, NULL, flags, 8);
	assert_int_equal(n, 2);
	assert_string_equal(flags[0].rule_id, "malignancy-within-5-years");
	assert_int_equal(screening_evaluate(fx->r2, a, "2026-13-03", flags, 8), 2);
	json_decref(a);
	const char *items[4];
	assert_int_equal(screening_rule_items(fx->r2, "pregnancy-or-breastfeeding", items, 4), 1);
	assert_string_equal(items[0], "pregnancy");
	assert_int_equal(screening_rule_items(fx->r2, "prior-treatment", items, 4), 2);
	assert_string_equal(items[1], "prior_treatment_reaction");
	assert_int_equal(screening_rule_items(fx->r2, "nope", items, 4), -1);
}

static void test_max_flags_keeps_blocks_first(void **state)
{
	fixture *fx = *state;
	json_t *a = json_pack("{s:i, s:b, s:b, s:[s]}", "age", 70, "anaphylaxis", 1, "immunosuppression", 1, "skin_site",
	                      "infection");
	assert_non_null(a);
	screening_flag flags[2];
	assert_int_equal(screening_evaluate(fx->r, a, CASE_TODAY, flags, 2), 4);
	assert_string_equal(flags[0].rule_id, "prior-anaphylaxis");
	assert_string_equal(flags[1].rule_id, "site-infection");
	assert_int_equal(flags[1].level, SCREENING_BLOCK);
	assert_int_equal(screening_evaluate(fx->r, a, CASE_TODAY, NULL, 0), 4);
	json_decref(a);
	/* Not an object: nothing fires. */
	json_t *arr = json_array();
	assert_int_equal(screening_evaluate(fx->r, arr, CASE_TODAY, flags, 2), 0);
	json_decref(arr);
}

static void test_level_names(void **state)
{
	(void)state;
	assert_string_equal(screening_level_name(SCREENING_BLOCK), "block");
	assert_string_equal(screening_level_name(SCREENING_ATTENTION), "needs-attention");
	assert_string_equal(screening_level_name(SCREENING_INFO), "info");
	assert_int_equal(screening_level_from_name("block"), SCREENING_BLOCK);
	assert_int_equal(screening_level_from_name("needs-attention"), SCREENING_ATTENTION);
	assert_int_equal(screening_level_from_name("info"), SCREENING_INFO);
	assert_int_equal(screening_level_from_name("warning"), -1);
	assert_int_equal(screening_level_from_name(NULL), -1);
}

#define RHEAD "{\"questionnaire\":\"exosome-cream\",\"questionnaire_version\":1,\"rules\":["
#define REASON "\"reason\":{\"ja\":\"理由\",\"en\":\"why\"}"

/* Condition forms: all / any / not, "in", "answered", and unanswered items. */
static void test_condition_forms(void **state)
{
	fixture *fx = *state;
	static const char rules[] = RHEAD
		"{\"id\":\"not-answered-age\",\"level\":\"info\",\"when\":{\"not\":{\"item\":\"age\",\"op\":\"answered\"}}," REASON "},"
		"{\"id\":\"ne-false\",\"level\":\"info\",\"when\":{\"item\":\"cancer\",\"op\":\"!=\",\"value\":false}," REASON "},"
		"{\"id\":\"any\",\"level\":\"needs-attention\",\"when\":{\"any\":[{\"item\":\"age\",\"op\":\">\",\"value\":80},"
		"  {\"item\":\"age\",\"op\":\"<=\",\"value\":21}]}," REASON "},"
		"{\"id\":\"all\",\"level\":\"block\",\"when\":{\"all\":[{\"item\":\"skin_site\",\"op\":\"includes\",\"value\":\"eczema\"},"
		"  {\"item\":\"pregnancy\",\"op\":\"in\",\"value\":[\"no\",\"not_applicable\"]}]}," REASON "},"
		"{\"id\":\"date\",\"level\":\"info\",\"when\":{\"item\":\"prior_treatment_last\",\"op\":\">=\",\"value\":\"2025-01-01\"},"
		REASON "}]}";
	char err[256];
	screening_rules *r = screening_parse(rules, fx->q, err, sizeof err);
	if (r == NULL)
		fail_msg("%s", err);
	static const struct {
		const char *answers;
		const char *want;   /* fired ids joined by spaces */
	} cases[] = {
		{"{}", "not-answered-age"},
		{"{\"age\":null}", "not-answered-age"},
		{"{\"age\":50,\"cancer\":true}", "ne-false"},
		{"{\"age\":21}", "any"},
		{"{\"age\":81}", "any"},
		{"{\"age\":22,\"skin_site\":[\"wound\",\"eczema\"],\"pregnancy\":\"no\"}", "all"},
		{"{\"age\":22,\"skin_site\":[\"eczema\"],\"pregnancy\":\"pregnant\"}", ""},
		{"{\"age\":22,\"skin_site\":[\"eczema\"]}", ""},
		{"{\"age\":30,\"prior_treatment_last\":\"2025-01-01\"}", "date"},
		{"{\"age\":30,\"prior_treatment_last\":\"2024-12-31\"}", ""},
		{"{\"age\":\"30\"}", ""},   /* a wrong kind never compares */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *a = json_loads(cases[i].answers, 0, NULL);
		assert_non_null(a);
		screening_flag flags[8];
		int n = screening_evaluate(r, a, CASE_TODAY, flags, 8);
		char got[256] = "";
		for (int k = 0; k < n; k++) {
			if (k > 0)
				strcat(got, " ");
			strcat(got, flags[k].rule_id);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("forms case %zu (%s): got \"%s\", want \"%s\"", i + 1, cases[i].answers, got, cases[i].want);
		json_decref(a);
	}
	screening_free(r);
}

static void test_malformed_rules(void **state)
{
	fixture *fx = *state;
#define RULE(id, level, when) "{\"id\":\"" id "\",\"level\":\"" level "\",\"when\":" when "," REASON "}"
	static const struct {
		const char *json, *want;
	} cases[] = {
		{"{", "invalid JSON"},
		{"[]", "JSON object"},
		{"{\"rules\":[]}", "\"questionnaire\" (id)"},
		{"{\"questionnaire\":\"exosome-cream\",\"questionnaire_version\":2,\"rules\":[]}", "not for exosome-cream v1"},
		{"{\"questionnaire\":\"other\",\"questionnaire_version\":1,\"rules\":[]}", "not for exosome-cream v1"},
		{RHEAD "]}", "\"rules\" must be"},
		{RHEAD "{\"level\":\"info\"}]}", "rule 1: id"},
		{RHEAD RULE("r1", "info", "{\"item\":\"age\",\"op\":\"answered\"}") ","
		       RULE("r1", "info", "{\"item\":\"age\",\"op\":\"answered\"}") "]}",
		 "rule \"r1\": id used twice"},
		{RHEAD RULE("r1", "warning", "{\"item\":\"age\",\"op\":\"answered\"}") "]}", "rule \"r1\": level \"warning\""},
		{RHEAD "{\"id\":\"r1\",\"level\":\"info\",\"when\":{\"item\":\"age\",\"op\":\"answered\"},\"reason\":{\"ja\":\"x\"}}]}",
		 "rule \"r1\": reason"},
		{RHEAD "{\"id\":\"r1\",\"level\":\"info\"," REASON "}]}", "rule \"r1\": \"when\" is missing"},
		{RHEAD RULE("r1", "block", "{\"item\":\"shoe_size\",\"op\":\"=\",\"value\":1}") "]}",
		 "rule \"r1\": names item \"shoe_size\""},
		{RHEAD RULE("r1", "block", "{\"item\":\"age\",\"op\":\"~\",\"value\":1}") "]}", "rule \"r1\": unknown op \"~\""},
		{RHEAD RULE("r1", "block", "{\"item\":\"age\",\"op\":\"=\",\"value\":\"20\"}") "]}",
		 "rule \"r1\": item \"age\" op \"=\": value must be an integer"},
		{RHEAD RULE("r1", "block", "{\"item\":\"anaphylaxis\",\"op\":\"<\",\"value\":true}") "]}",
		 "rule \"r1\": item \"anaphylaxis\" op \"<\""},
		{RHEAD RULE("r1", "block", "{\"item\":\"anaphylaxis\",\"op\":\"includes\",\"value\":true}") "]}",
		 "rule \"r1\": item \"anaphylaxis\" op \"includes\": \"includes\" needs a repeating choice"},
		{RHEAD RULE("r1", "block", "{\"item\":\"skin_site\",\"op\":\"=\",\"value\":\"wound\"}") "]}",
		 "rule \"r1\": item \"skin_site\" op \"=\": = and != do not apply"},
		{RHEAD RULE("r1", "block", "{\"item\":\"skin_site\",\"op\":\"includes\",\"value\":\"burn\"}") "]}",
		 "rule \"r1\": item \"skin_site\" op \"includes\": value must be one of"},
		{RHEAD RULE("r1", "block", "{\"item\":\"pregnancy\",\"op\":\"in\",\"value\":\"pregnant\"}") "]}",
		 "rule \"r1\": item \"pregnancy\" op \"in\": \"in\" needs a non-empty array"},
		{RHEAD RULE("r1", "block", "{\"item\":\"pregnancy\",\"op\":\"in\",\"value\":[\"pregnant\",\"twins\"]}") "]}",
		 "rule \"r1\": item \"pregnancy\" op \"in\": value must be one of"},
		{RHEAD RULE("r1", "block", "{\"item\":\"age\",\"op\":\"=\"}") "]}", "rule \"r1\": item \"age\" op \"=\": value is missing"},
		{RHEAD RULE("r1", "info", "{\"item\":\"medications\",\"op\":\"answered\",\"value\":true}") "]}",
		 "rule \"r1\": item \"medications\" op \"answered\": \"answered\" takes no value"},
		{RHEAD RULE("r1", "info", "{\"item\":\"prior_treatment_last\",\"op\":\">\",\"value\":\"2025-02-30\"}") "]}",
		 "rule \"r1\": item \"prior_treatment_last\" op \">\": value must be a date"},
		{RHEAD RULE("r1", "info", "{\"all\":[]}") "]}", "rule \"r1\": \"all\" needs a non-empty array"},
		{RHEAD RULE("r1", "info", "{\"any\":[{\"item\":\"age\",\"op\":\"answered\"},{\"item\":\"nope\",\"op\":\"answered\"}]}") "]}",
		 "rule \"r1\": names item \"nope\""},
		{RHEAD RULE("r1", "info", "{\"not\":{\"item\":\"age\",\"op\":\"answered\"},\"item\":\"age\"}") "]}",
		 "rule \"r1\": a condition is exactly one of"},
		{RHEAD RULE("r1", "info", "{\"not\":5}") "]}", "rule \"r1\": a condition must be an object"},
		{RHEAD RULE("r1", "info", "{\"item\":\"age\"}") "]}", "rule \"r1\": a condition needs"},
		{RHEAD RULE("r1", "info",
		            "{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":"
		            "{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"item\":\"age\",\"op\":\"answered\"}"
		            "}}}}}}}}}}}}}}}}}") "]}",
		 "rule \"r1\": conditions nest deeper"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "untouched";
		screening_rules *r = screening_parse(cases[i].json, fx->q, err, sizeof err);
		if (r != NULL) {
			screening_free(r);
			fail_msg("malformed rules %zu were accepted", i + 1);
		}
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("malformed rules %zu: error \"%s\" does not mention \"%s\"", i + 1, err, cases[i].want);
	}
#undef RULE
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_rules),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_cases_v2),
		cmocka_unit_test(test_within_months_without_today),
		cmocka_unit_test(test_max_flags_keeps_blocks_first),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_condition_forms),
		cmocka_unit_test(test_malformed_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
