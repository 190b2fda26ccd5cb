/* Questionnaire definitions and answer validation: the real exosome-cream questionnaire, every
 * case of tests/data/questionnaire/answers.json, and malformed definitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/questionnaire.h"
#include "testutil.h"

#define QUESTIONNAIRE_FILE "data/questionnaires/exosome-cream-v1.json"
#define CASES_FILE "tests/data/questionnaire/answers.json"

static questionnaire *load_real(void)
{
	char *text = slurp(QUESTIONNAIRE_FILE);
	char err[256];
	questionnaire *q = questionnaire_parse(text, err, sizeof err);
	free(text);
	if (q == NULL)
		fail_msg("%s: %s", QUESTIONNAIRE_FILE, err);
	return q;
}

static void test_real_questionnaire_parses(void **state)
{
	(void)state;
	questionnaire *q = load_real();
	assert_string_equal(questionnaire_id(q), "exosome-cream");
	assert_int_equal(questionnaire_version(q), 1);
	assert_int_equal(questionnaire_item_count(q), 21);
	assert_string_equal(questionnaire_item_link_id(q, 0), "age");
	assert_null(questionnaire_item_link_id(q, 21));
	int repeats = 0;
	assert_int_equal(questionnaire_item_type_of(q, "skin_site", &repeats), QITEM_CHOICE);
	assert_true(repeats);
	assert_int_equal(questionnaire_item_type_of(q, "age", &repeats), QITEM_INTEGER);
	assert_false(repeats);
	assert_int_equal(questionnaire_item_type_of(q, "nope", NULL), -1);
	assert_true(questionnaire_item_has_option(q, "pregnancy", "possibly_pregnant"));
	assert_false(questionnaire_item_has_option(q, "pregnancy", "maybe"));
	assert_false(questionnaire_item_has_option(q, "age", "none"));
	const json_t *def = questionnaire_definition(q);
	assert_string_equal(json_string_value(json_object_get(json_object_get(def, "title"), "en")),
	                    "Questionnaire before using the exosome cream (for men)");
	questionnaire_free(q);
}

static void check_case(const questionnaire *q, const json_t *c, size_t index)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *answers = json_object_get(c, "answers");
	const json_t *want = json_object_get(c, "errors");
	int valid = json_is_true(json_object_get(c, "valid"));
	if (name == NULL || answers == NULL || !json_is_array(want))
		fail_msg("%s case %zu: needs name, answers and errors", CASES_FILE, index + 1);
	if (valid != (json_array_size(want) == 0))
		fail_msg("case \"%s\": valid disagrees with errors", name);
	answer_error errors[32];
	json_t *normalized = NULL;
	int n = questionnaire_validate(q, answers, errors, 32, &normalized);
	if ((size_t)n != json_array_size(want)) {
		for (int i = 0; i < n && i < 32; i++)
			print_message("  got %s: %s\n", errors[i].link_id, errors[i].reason);
		fail_msg("case \"%s\": %d errors, want %zu", name, n, json_array_size(want));
	}
	for (int i = 0; i < n; i++) {
		const json_t *w = json_array_get(want, (size_t)i);
		const char *link = json_string_value(json_object_get(w, "link_id"));
		const char *reason = json_string_value(json_object_get(w, "reason"));
		if (strcmp(errors[i].link_id, link) != 0 || strcmp(errors[i].reason, reason) != 0)
			fail_msg("case \"%s\": error %d is %s/%s, want %s/%s", name, i + 1, errors[i].link_id, errors[i].reason,
			         link, reason);
	}
	if (valid) {
		if (normalized == NULL)
			fail_msg("case \"%s\": valid but no normalised answers", name);
		const json_t *want_norm = json_object_get(c, "normalized");
		if (want_norm != NULL && !json_equal(normalized, want_norm)) {
			char *got = json_dumps(normalized, JSON_ENSURE_ASCII);
			print_message("  got %s\n", got);
			free(got);
			fail_msg("case \"%s\": normalised answers differ", name);
		}
		/* Normalised answers are valid answers, and stable. */
		json_t *again = NULL;
		assert_int_equal(questionnaire_validate(q, normalized, NULL, 0, &again), 0);
		assert_true(json_equal(again, normalized));
		json_decref(again);
	} else if (normalized != NULL) {
		fail_msg("case \"%s\": invalid but normalised answers were returned", name);
	}
	json_decref(normalized);
}

static void test_answer_cases(void **state)
{
	(void)state;
	questionnaire *q = load_real();
	json_error_t jerr;
	json_t *cases = json_load_file(CASES_FILE, JSON_REJECT_DUPLICATES, &jerr);
	if (cases == NULL)
		fail_msg("%s:%d: %s", CASES_FILE, jerr.line, jerr.text);
	assert_true(json_is_array(cases));
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
		check_case(q, c, i);
	assert_true(json_array_size(cases) >= 40);
	json_decref(cases);
	questionnaire_free(q);
}

static void test_errors_beyond_max_are_counted(void **state)
{
	(void)state;
	questionnaire *q = load_real();
	json_t *empty = json_object();
	answer_error errors[2];
	memset(errors, 0, sizeof errors);
	json_t *out = empty;   /* must be reset to NULL */
	assert_int_equal(questionnaire_validate(q, empty, errors, 2, &out), 10);
	assert_null(out);
	assert_string_equal(errors[0].link_id, "age");
	assert_string_equal(errors[1].link_id, "allergy");
	assert_int_equal(questionnaire_validate(q, empty, NULL, 0, NULL), 10);
	json_decref(empty);
	questionnaire_free(q);
}

/* A small definition for operators the real questionnaire does not use. */
static const char *const ops_definition =
	"{\"resourceType\":\"Questionnaire\",\"id\":\"ops\",\"version\":3,\"status\":\"draft\","
	"\"title\":{\"ja\":\"t\",\"en\":\"t\"},\"item\":["
	"{\"linkId\":\"n\",\"type\":\"integer\",\"text\":{\"ja\":\"n\",\"en\":\"n\"}},"
	"{\"linkId\":\"d\",\"type\":\"date\",\"text\":{\"ja\":\"d\",\"en\":\"d\"}},"
	"{\"linkId\":\"c\",\"type\":\"choice\",\"repeats\":true,\"text\":{\"ja\":\"c\",\"en\":\"c\"},"
	" \"answerOption\":[{\"code\":\"a\",\"display\":{\"ja\":\"a\",\"en\":\"a\"}},"
	"                  {\"code\":\"b\",\"display\":{\"ja\":\"b\",\"en\":\"b\"}}]},"
	"{\"linkId\":\"big\",\"type\":\"boolean\",\"text\":{\"ja\":\"x\",\"en\":\"x\"},"
	" \"enableWhen\":[{\"question\":\"n\",\"operator\":\">=\",\"answer\":10}]},"
	"{\"linkId\":\"recent\",\"type\":\"boolean\",\"text\":{\"ja\":\"x\",\"en\":\"x\"},"
	" \"enableWhen\":[{\"question\":\"d\",\"operator\":\">\",\"answer\":\"2024-12-31\"}]},"
	"{\"linkId\":\"no_n\",\"type\":\"boolean\",\"text\":{\"ja\":\"x\",\"en\":\"x\"},"
	" \"enableWhen\":[{\"question\":\"n\",\"operator\":\"exists\",\"answer\":false}]},"
	"{\"linkId\":\"either\",\"type\":\"string\",\"text\":{\"ja\":\"x\",\"en\":\"x\"},\"enableBehavior\":\"any\","
	" \"enableWhen\":[{\"question\":\"c\",\"operator\":\"includes\",\"answer\":\"b\"},"
	"               {\"question\":\"n\",\"operator\":\"<\",\"answer\":0}]}]}";

static int validate_text(const questionnaire *q, const char *answers_json, answer_error *first)
{
	json_t *a = json_loads(answers_json, 0, NULL);
	assert_non_null(a);
	answer_error errors[8];
	int n = questionnaire_validate(q, a, errors, 8, NULL);
	if (n > 0 && first != NULL)
		*first = errors[0];
	json_decref(a);
	return n;
}

static void test_enable_when_operators(void **state)
{
	(void)state;
	char err[256];
	questionnaire *q = questionnaire_parse(ops_definition, err, sizeof err);
	if (q == NULL)
		fail_msg("%s", err);
	answer_error e;
	assert_int_equal(validate_text(q, "{\"n\":10,\"big\":true}", NULL), 0);
	assert_int_equal(validate_text(q, "{\"n\":9,\"big\":true}", &e), 1);
	assert_string_equal(e.reason, "not_enabled");
	assert_int_equal(validate_text(q, "{\"d\":\"2025-01-01\",\"recent\":false,\"no_n\":true}", NULL), 0);
	assert_int_equal(validate_text(q, "{\"d\":\"2024-12-31\",\"recent\":false}", &e), 1);
	assert_string_equal(e.link_id, "recent");
	assert_int_equal(validate_text(q, "{\"n\":1,\"no_n\":true}", &e), 1);
	assert_string_equal(e.link_id, "no_n");
	assert_int_equal(validate_text(q, "{\"c\":[\"a\",\"b\"],\"either\":\"x\"}", NULL), 0);
	assert_int_equal(validate_text(q, "{\"n\":-1,\"either\":\"x\"}", NULL), 0);
	assert_int_equal(validate_text(q, "{\"n\":0,\"c\":[\"a\"],\"either\":\"x\"}", &e), 1);
	assert_string_equal(e.link_id, "either");
	assert_string_equal(e.reason, "not_enabled");
	questionnaire_free(q);
}

static void test_string_with_nul_is_rejected(void **state)
{
	(void)state;
	questionnaire *q = load_real();
	json_t *a = json_loads("{\"age\":45,\"allergy\":false,\"allergy_biologic\":false,\"allergy_cosmetic\":false,"
	                       "\"anaphylaxis\":false,\"skin_site\":[\"none\"],\"pregnancy\":\"no\","
	                       "\"immunosuppression\":false,\"cancer\":false,\"prior_treatment\":false}",
	                       0, NULL);
	assert_non_null(a);
	json_object_set_new(a, "notes", json_stringn("a\0b", 3));
	answer_error e[4];
	assert_int_equal(questionnaire_validate(q, a, e, 4, NULL), 1);
	assert_string_equal(e[0].link_id, "notes");
	assert_string_equal(e[0].reason, "characters");
	json_decref(a);
	questionnaire_free(q);
}

/* Malformed definitions: each is refused, and the message names what is wrong. */
static void test_malformed_definitions(void **state)
{
	(void)state;
#define HEAD "{\"resourceType\":\"Questionnaire\",\"id\":\"x\",\"version\":1,\"status\":\"active\"," \
	     "\"title\":{\"ja\":\"t\",\"en\":\"t\"},\"item\":["
#define TXT "\"text\":{\"ja\":\"q\",\"en\":\"q\"}"
#define BOOL(id) "{\"linkId\":\"" id "\",\"type\":\"boolean\"," TXT "}"
	static const struct {
		const char *json, *want;
	} cases[] = {
		{"{", "invalid JSON"},
		{"[]", "JSON object"},
		{"{\"resourceType\":\"Patient\"}", "resourceType"},
		{HEAD "]}", "item must be an array"},
		{"{\"resourceType\":\"Questionnaire\",\"id\":\"x\",\"version\":0,\"status\":\"active\"}", "version"},
		{"{\"resourceType\":\"Questionnaire\",\"id\":\"X Y\",\"version\":1}", "id is missing"},
		{"{\"resourceType\":\"Questionnaire\",\"id\":\"x\",\"version\":1,\"status\":\"active\",\"title\":{\"ja\":\"t\"},"
		 "\"item\":[" BOOL("a") "]}", "title"},
		{HEAD BOOL("a") "," BOOL("a") "]}", "item \"a\": linkId used twice"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"number\"," TXT "}]}", "item \"a\": unknown type \"number\""},
		{HEAD "{\"linkId\":\"a\",\"type\":\"boolean\",\"text\":{\"ja\":\"q\",\"en\":\"\"}}]}", "item \"a\": text"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"boolean\",\"text\":{\"ja\":\"q\"}}]}", "item \"a\": text"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"choice\"," TXT "}]}", "item \"a\": a choice needs"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"choice\"," TXT ",\"answerOption\":[{\"code\":\"x\",\"display\":"
		      "{\"ja\":\"x\",\"en\":\"x\"}},{\"code\":\"x\",\"display\":{\"ja\":\"x\",\"en\":\"x\"}}]}]}",
		 "item \"a\": answerOption codes repeat"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"choice\"," TXT ",\"answerOption\":[{\"code\":\"x\"}]}]}",
		 "item \"a\": an answerOption display"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"string\",\"repeats\":true," TXT "}]}", "item \"a\": only a choice can repeat"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"string\",\"minValue\":1," TXT "}]}", "item \"a\": minValue"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"integer\",\"minValue\":5,\"maxValue\":1," TXT "}]}", "item \"a\": minValue is above"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"text\",\"maxLength\":0," TXT "}]}", "item \"a\": maxLength"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"boolean\",\"maxLength\":5," TXT "}]}", "item \"a\": maxLength on"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"boolean\",\"required\":\"yes\"," TXT "}]}", "item \"a\": required"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"boolean\"," TXT ",\"enableWhen\":[{\"question\":\"b\",\"operator\":\"=\","
		      "\"answer\":true}]}," BOOL("b") "]}",
		 "item \"a\": enableWhen names \"b\", which is not an earlier item"},
		{HEAD BOOL("a") ",{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableWhen\":[{\"question\":\"a\","
		      "\"operator\":\"~\",\"answer\":true}]}]}",
		 "item \"b\": unknown enableWhen operator"},
		{HEAD BOOL("a") ",{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableWhen\":[{\"question\":\"a\","
		      "\"operator\":\"=\",\"answer\":\"yes\"}]}]}",
		 "item \"b\": enableWhen on \"a\": the answer must be true or false"},
		{HEAD BOOL("a") ",{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableWhen\":[{\"question\":\"a\","
		      "\"operator\":\"includes\",\"answer\":true}]}]}",
		 "item \"b\": enableWhen on \"a\": \"includes\" needs a repeating choice"},
		{HEAD BOOL("a") ",{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableWhen\":[{\"question\":\"a\","
		      "\"operator\":\"<\",\"answer\":true}]}]}",
		 "item \"b\": enableWhen on \"a\": <, >"},
		{HEAD BOOL("a") ",{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableWhen\":[]}]}",
		 "item \"b\": enableWhen must be a non-empty array"},
		{HEAD BOOL("a") ",{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableBehavior\":\"some\","
		      "\"enableWhen\":[{\"question\":\"a\",\"operator\":\"exists\",\"answer\":true}]}]}",
		 "item \"b\": enableBehavior"},
		{HEAD "{\"linkId\":\"a\",\"type\":\"choice\"," TXT ",\"answerOption\":[{\"code\":\"x\",\"display\":"
		      "{\"ja\":\"x\",\"en\":\"x\"}}]},{\"linkId\":\"b\",\"type\":\"boolean\"," TXT ",\"enableWhen\":"
		      "[{\"question\":\"a\",\"operator\":\"=\",\"answer\":\"y\"}]}]}",
		 "item \"b\": enableWhen on \"a\": the answer must be one of"},
		{HEAD "{\"type\":\"boolean\"," TXT "}]}", "item 1: linkId"},
		{"{\"resourceType\":\"Questionnaire\",\"id\":\"x\",\"id\":\"y\"}", "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "untouched";
		questionnaire *q = questionnaire_parse(cases[i].json, err, sizeof err);
		if (q != NULL) {
			questionnaire_free(q);
			fail_msg("malformed definition %zu was accepted", i + 1);
		}
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("malformed definition %zu: error \"%s\" does not mention \"%s\"", i + 1, err, cases[i].want);
	}
#undef HEAD
#undef TXT
#undef BOOL
}

static void test_is_date(void **state)
{
	(void)state;
	assert_true(questionnaire_is_date("2024-02-29"));
	assert_false(questionnaire_is_date("2023-02-29"));
	assert_false(questionnaire_is_date("2024-2-29"));
	assert_false(questionnaire_is_date("2024-02-29T00"));
	assert_false(questionnaire_is_date("abcd-ef-gh"));
	assert_false(questionnaire_is_date(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_questionnaire_parses),
		cmocka_unit_test(test_answer_cases),
		cmocka_unit_test(test_errors_beyond_max_are_counted),
		cmocka_unit_test(test_enable_when_operators),
		cmocka_unit_test(test_string_with_nul_is_rejected),
		cmocka_unit_test(test_malformed_definitions),
		cmocka_unit_test(test_is_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
