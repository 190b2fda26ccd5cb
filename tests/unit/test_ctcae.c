/* CTCAE v5.0 terms: the real data/ctcae/terms.json loads and covers the seed's side effects,
 * lookups and allowed grades, and broken files are refused with the term named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctcae.h"

#define TERMS_FILE "data/ctcae/terms.json"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (tests run from the repository root)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static ctcae_table *load_real(void)
{
	char *text = slurp(TERMS_FILE);
	char err[256];
	ctcae_table *t = ctcae_parse(text, err, sizeof err);
	free(text);
	if (t == NULL)
		fail_msg("%s: %s", TERMS_FILE, err);
	return t;
}

static void test_real_file_loads(void **state)
{
	(void)state;
	ctcae_table *t = load_real();
	assert_true(ctcae_count(t) >= 12);
	assert_string_equal(ctcae_meddra_version(t), "20.1");
	for (int i = 0; i < ctcae_count(t); i++) {
		const ctcae_term *term = ctcae_at(t, i);
		assert_non_null(term);
		assert_true(strlen(term->name_ja) > 0);
		assert_true(strlen(term->soc_en) > 0);
		int n = 0;
		for (int g = 1; g <= CTCAE_MAX_GRADE; g++)
			if (ctcae_grade_allowed(term, g)) {
				assert_non_null(term->grade_en[g]);
				assert_non_null(term->grade_ja[g]);
				n++;
			}
		assert_true(n >= 1);
		/* Grade 5 is death wherever CTCAE allows it. */
		if (ctcae_grade_allowed(term, 5))
			assert_string_equal(term->grade_en[5], "Death");
	}
	assert_null(ctcae_at(t, -1));
	assert_null(ctcae_at(t, ctcae_count(t)));
	ctcae_free(t);
}

/* Every checklist symptom of the seed maps to at least one term. */
static void test_every_seed_symptom_has_a_term(void **state)
{
	(void)state;
	static const char *const symptoms[] = {"redness", "swelling", "itching", "fever",
	                                       "fatigue", "headache", "nausea", "allergic_reaction"};
	ctcae_table *t = load_real();
	for (size_t s = 0; s < sizeof symptoms / sizeof symptoms[0]; s++) {
		int found = 0;
		for (int i = 0; i < ctcae_count(t); i++)
			found += ctcae_term_has_symptom(ctcae_at(t, i), symptoms[s]);
		if (found == 0)
			fail_msg("no term for the symptom %s", symptoms[s]);
	}
	assert_true(ctcae_term_has_symptom(ctcae_find(t, "pruritus"), "itching"));
	assert_false(ctcae_term_has_symptom(ctcae_find(t, "pruritus"), "fever"));
	ctcae_free(t);
}

static void expect_grades(const ctcae_table *t, const char *code, int lo, int hi)
{
	const ctcae_term *term = ctcae_find(t, code);
	if (term == NULL)
		fail_msg("no term %s", code);
	for (int g = 0; g <= 6; g++)
		if (ctcae_grade_allowed(term, g) != (g >= lo && g <= hi))
			fail_msg("%s: grade %d should%s be allowed", code, g, g >= lo && g <= hi ? "" : " not");
}

static void test_lookups_and_allowed_grades(void **state)
{
	(void)state;
	ctcae_table *t = load_real();
	const ctcae_term *p = ctcae_find(t, "pruritus");
	assert_non_null(p);
	assert_string_equal(p->name_en, "Pruritus");
	assert_string_equal(p->name_ja, "そう痒症");
	assert_string_equal(p->meddra_code, "10037087");
	assert_string_equal(p->soc_en, "Skin and subcutaneous tissue disorders");
	assert_string_equal(ctcae_find(t, "fever")->meddra_code, "10016558");
	assert_string_equal(ctcae_find(t, "anaphylaxis")->name_en, "Anaphylaxis");
	assert_string_equal(ctcae_find(t, "rash_maculo_papular")->name_en, "Rash maculo-papular");
	assert_string_equal(ctcae_find(t, "skin_other")->name_en, "Skin and subcutaneous tissue disorders - Other, specify");
	assert_null(ctcae_find(t, "erythema_multiforme"));
	assert_null(ctcae_find(t, "injection_site_reaction"));
	assert_null(ctcae_find(t, "Pruritus"));
	assert_null(ctcae_find(t, NULL));

	expect_grades(t, "pruritus", 1, 3);
	expect_grades(t, "anaphylaxis", 3, 5);
	expect_grades(t, "fever", 1, 5);
	expect_grades(t, "fatigue", 1, 3);
	expect_grades(t, "headache", 1, 3);
	expect_grades(t, "nausea", 1, 3);
	expect_grades(t, "allergic_reaction", 1, 5);
	expect_grades(t, "urticaria", 1, 3);
	expect_grades(t, "localized_edema", 1, 3);
	expect_grades(t, "rash_maculo_papular", 1, 3);
	expect_grades(t, "skin_other", 1, 5);

	char err[200];
	assert_int_equal(ctcae_check(t, "pruritus", 2, err, sizeof err), 0);
	assert_int_equal(ctcae_check(t, "anaphylaxis", 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "Anaphylaxis"));
	assert_non_null(strstr(err, "3–5"));
	assert_int_equal(ctcae_check(t, "pruritus", 4, err, sizeof err), -1);
	assert_non_null(strstr(err, "Pruritus (pruritus)"));
	assert_non_null(strstr(err, "1–3"));
	assert_int_equal(ctcae_check(t, "fever", 0, err, sizeof err), -1);
	assert_int_equal(ctcae_check(t, "made_up", 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "made_up"));
	ctcae_free(t);
}

#define GOOD_GRADES "\"grades\": [{\"grade\": 1, \"en\": \"Mild\", \"ja\": \"軽度\"}]"
#define TERM(code, extra)                                                                                          \
	"{\"code\": \"" code "\", \"term\": \"Term\", \"ja\": \"用語\", \"meddra_code\": \"\", "                   \
	"\"soc\": {\"en\": \"S\", \"ja\": \"S\"}, \"symptoms\": [\"itching\"], " extra "}"

static void expect_broken(const char *json, const char *needle)
{
	char err[256] = "";
	ctcae_table *t = ctcae_parse(json, err, sizeof err);
	if (t != NULL) {
		ctcae_free(t);
		fail_msg("accepted: %s", json);
	}
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not name \"%s\"", err, needle);
}

static void test_broken_files_are_named(void **state)
{
	(void)state;
	expect_broken("{", "JSON");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": []}", "terms");
	expect_broken("{\"terms\": [" TERM("ok", GOOD_GRADES) "]}", "meddra_version");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM("ok", GOOD_GRADES) ", " TERM("ok", GOOD_GRADES) "]}",
	              "terms[1] (ok): the code is used twice");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM("Bad Code", GOOD_GRADES) "]}", "terms[0]");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM(
	                  "itch", "\"grades\": [{\"grade\": 7, \"en\": \"x\", \"ja\": \"x\"}]") "]}",
	              "terms[0] (itch): grades[0].grade");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM(
	                  "itch", "\"grades\": [{\"grade\": 1, \"en\": \"x\", \"ja\": \"x\"}, "
	                          "{\"grade\": 1, \"en\": \"x\", \"ja\": \"x\"}]") "]}",
	              "itch): grade 1 is listed twice");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM(
	                  "itch", "\"grades\": [{\"grade\": 1, \"en\": \"x\", \"ja\": \"x\"}, "
	                          "{\"grade\": 3, \"en\": \"x\", \"ja\": \"x\"}]") "]}",
	              "itch): grades must be contiguous");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM(
	                  "itch", "\"grades\": [{\"grade\": 2, \"en\": \"x\"}]") "]}",
	              "itch): grade 2 needs");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [" TERM("itch", "\"grades\": []") "]}",
	              "itch): \"grades\"");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [{\"code\": \"itch\", \"term\": \"Itch\", \"ja\": \"x\", "
	              "\"meddra_code\": \"123\", \"soc\": {\"en\": \"S\", \"ja\": \"S\"}, \"symptoms\": [], " GOOD_GRADES
	              "}]}",
	              "itch): \"meddra_code\"");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [{\"code\": \"itch\", \"term\": \"Itch\", \"ja\": \"x\", "
	              "\"meddra_code\": \"\", \"soc\": {\"en\": \"S\", \"ja\": \"S\"}, \"symptoms\": [\"sneezing\"], "
	              GOOD_GRADES "}]}",
	              "itch): symptoms[0]");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [{\"code\": \"itch\", \"ja\": \"x\", \"meddra_code\": \"\", "
	              "\"soc\": {\"en\": \"S\", \"ja\": \"S\"}, \"symptoms\": [], " GOOD_GRADES "}]}",
	              "terms[0] (itch): \"term\"");
	expect_broken("{\"meddra_version\": \"20.1\", \"terms\": [{\"code\": \"itch\", \"term\": \"Itch\", \"ja\": \"x\", "
	              "\"meddra_code\": \"\", \"soc\": {\"en\": \"S\"}, \"symptoms\": [], " GOOD_GRADES "}]}",
	              "itch): \"soc\"");
	char err[64];
	assert_null(ctcae_parse(NULL, err, sizeof err));

	/* A minimal valid file parses. */
	ctcae_table *t = ctcae_parse("{\"meddra_version\": \"20.1\", \"terms\": [" TERM("itch", GOOD_GRADES) "]}", err,
	                             sizeof err);
	assert_non_null(t);
	assert_int_equal(ctcae_count(t), 1);
	assert_true(ctcae_grade_allowed(ctcae_find(t, "itch"), 1));
	assert_false(ctcae_grade_allowed(ctcae_find(t, "itch"), 2));
	ctcae_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_file_loads),
		cmocka_unit_test(test_every_seed_symptom_has_a_term),
		cmocka_unit_test(test_lookups_and_allowed_grades),
		cmocka_unit_test(test_broken_files_are_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
