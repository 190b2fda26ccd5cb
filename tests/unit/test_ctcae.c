/* CTCAE v5.0 terms: the real data/ctcae/terms.json loads and covers the seed's side effects,
 * lookups and allowed grades, and broken files are refused with the term named; the NCI
 * catalogue (data/ctcae/ctcae-v5.0.csv, NCI CTCAE v5.0 (27 Nov 2017), via
 * shared/reference/ctcae/ctcae-v5.0.csv) loads, the common terms are checked against it, and
 * the search finds terms by English, Japanese or MedDRA code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctcae.h"
#include "testutil.h"

#define TERMS_FILE "data/ctcae/terms.json"
#define CATALOGUE_FILE "data/ctcae/ctcae-v5.0.csv"

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
	                  "itch", "\"ja_source\": \"jcog?\", " GOOD_GRADES) "]}",
	              "itch): \"ja_source\"");
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
	assert_string_equal(ctcae_find(t, "itch")->grade_ja_source[1], "clinic");
	ctcae_free(t);

	/* NCI leaves gaps in a term's grades (Eosinophilia: 1 and 3); the error lists them. */
	t = ctcae_parse("{\"meddra_version\": \"20.1\", \"terms\": [" TERM(
	                    "itch", "\"grades\": [{\"grade\": 1, \"en\": \"x\", \"ja\": \"x\"}, "
	                            "{\"grade\": 3, \"en\": \"x\", \"ja\": \"x\", \"ja_source\": \"jcog\"}]") "]}",
	                err, sizeof err);
	assert_non_null(t);
	assert_true(ctcae_grade_allowed(ctcae_find(t, "itch"), 3));
	assert_string_equal(ctcae_find(t, "itch")->grade_ja_source[3], "jcog");
	assert_int_equal(ctcae_check(t, "itch", 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "allowed grades 1, 3"));
	ctcae_free(t);
}

static ctcae_table *load_with_catalogue(void)
{
	ctcae_table *t = load_real();
	char *csv = slurp(CATALOGUE_FILE);
	char err[300];
	if (ctcae_add_catalogue(t, csv, strlen(csv), err, sizeof err) != 0)
		fail_msg("%s: %s", CATALOGUE_FILE, err);
	free(csv);
	return t;
}

static void test_catalogue_loads_whole_table(void **state)
{
	(void)state;
	ctcae_table *t = load_with_catalogue();
	assert_int_equal(ctcae_catalogue_count(t), 837);
	assert_null(ctcae_catalogue_at(t, 837));
	int common = 0, other_specify = 0;
	for (int i = 0; i < ctcae_catalogue_count(t); i++) {
		const ctcae_term *term = ctcae_catalogue_at(t, i);
		assert_true(ctcae_meddra_code_valid(term->meddra_code));
		assert_ptr_equal(ctcae_find(t, term->code), term);
		common += term->common;
		other_specify += ctcae_is_other_specify(term);
		/* NCI's " -" is "not defined", never a grade text. */
		for (int g = 1; g <= CTCAE_MAX_GRADE; g++)
			if (term->grade_en[g] != NULL)
				assert_string_not_equal(term->grade_en[g], " -");
	}
	assert_int_equal(common, ctcae_count(t));
	assert_int_equal(other_specify, 26);

	/* The four codes terms.json lacked, now from NCI. */
	assert_string_equal(ctcae_find(t, "rash_acneiform")->meddra_code, "10037847");
	assert_string_equal(ctcae_find(t, "localized_edema")->meddra_code, "10062466");
	assert_string_equal(ctcae_find(t, "edema_face")->meddra_code, "10014222");
	assert_string_equal(ctcae_find(t, "skin_other")->meddra_code, "10040785");
	assert_true(ctcae_is_other_specify(ctcae_find(t, "skin_other")));
	assert_false(ctcae_is_other_specify(ctcae_find(t, "pruritus")));
	/* Common terms learn NCI's definition. */
	assert_non_null(strstr(ctcae_find(t, "pruritus")->definition, "itching"));

	/* A catalogue term outside the list: code from its name, no Japanese, NCI's grades. */
	const ctcae_term *em = ctcae_find(t, "erythema_multiforme");
	assert_non_null(em);
	assert_false(em->common);
	assert_string_equal(em->meddra_code, "10015218");
	assert_null(em->name_ja);
	assert_string_equal(em->grade_en[1], "Target lesions covering <10% BSA and not associated with skin tenderness");
	char err[200];
	assert_int_equal(ctcae_check(t, "erythema_multiforme", 5, err, sizeof err), 0);
	/* Gaps: Eosinophilia has grades 1 and 3 only. */
	assert_int_equal(ctcae_check(t, "eosinophilia", 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "allowed grades 1, 3"));
	/* A quoted cell spanning lines (Hypertension) is read whole. */
	assert_non_null(strstr(ctcae_find(t, "hypertension")->grade_en[1], "Hg;\n\nPediatric:"));
	/* Adding twice is refused. */
	assert_int_equal(ctcae_add_catalogue(t, "x", 1, err, sizeof err), -1);
	ctcae_free(t);
}

static void expect_catalogue_refused(const char *csv, const char *needle)
{
	ctcae_table *t = load_real();
	char err[300] = "";
	int before = ctcae_catalogue_count(t);
	if (ctcae_add_catalogue(t, csv, strlen(csv), err, sizeof err) == 0)
		fail_msg("accepted: %s", csv);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not name \"%s\"", err, needle);
	assert_int_equal(ctcae_catalogue_count(t), before); /* unaltered */
	ctcae_free(t);
}

#define HEADER "MedDRA.Code,MedDRA.SOC,CTCAE.Term,G1,G2,G3,G4,G5,Definition,Navigational.Note,CTCAE.v5.0.Change\n"

static void test_catalogue_disagreeing_with_common_terms_is_refused(void **state)
{
	(void)state;
	char *real = slurp(CATALOGUE_FILE);
	/* The real table with Pruritus' grade 2 text changed: terms.json no longer matches. */
	char *changed = strdup(real);
	char *at = strstr(changed, "Widespread and intermittent");
	assert_non_null(at);
	at[0] = 'w';
	expect_catalogue_refused(changed, "(pruritus): grade 2 text differs");
	/* Pruritus under another MedDRA code. */
	strcpy(changed, real);
	at = strstr(changed, "10037087");
	at[7] = '9';
	expect_catalogue_refused(changed, "(pruritus): meddra_code");
	free(changed);
	free(real);
	/* A table without the common terms. */
	expect_catalogue_refused(HEADER "12345678,\"Immune system disorders\",\"Made up\",\" -\",\" -\",\"x\",\"y\","
	                         "\"Death\",NA,NA,NA\n",
	                         "terms[0] (skin_other): \"Skin and subcutaneous tissue disorders - Other, specify\" is not a term "
	                         "of NCI CTCAE v5.0");
	expect_catalogue_refused("a,b\n", "columns");
	expect_catalogue_refused("Code,SOC,Term,1,2,3,4,5,D,N,C\n", "header");
	expect_catalogue_refused(HEADER "123,S,T,a,b,c,d,e,NA,NA,NA\n", "record 2 (the header is 1): MedDRA.Code");
	expect_catalogue_refused(HEADER "12345678,S,T,\" -\",\" -\",\" -\",\" -\",\" -\",NA,NA,NA\n", "defines no grade");
	expect_catalogue_refused(HEADER "12345678,S,\"T,a,b,c,d,e,NA,NA,NA\n", "not valid CSV");
}

static const char *first_hit(const ctcae_table *t, const char *query, int *total)
{
	const ctcae_term *out[10];
	*total = ctcae_search(t, query, out, 10);
	return *total > 0 ? out[0]->code : NULL;
}

static void test_search(void **state)
{
	(void)state;
	ctcae_table *t = load_with_catalogue();
	int n;
	assert_string_equal(first_hit(t, "Erythema multiforme", &n), "erythema_multiforme");
	assert_int_equal(n, 1);
	/* Case, width (NFKC) and punctuation do not matter. */
	assert_string_equal(first_hit(t, "ＥＲＹＴＨＥＭＡ　ＭＵＬＴＩＦＯＲＭＥ", &n), "erythema_multiforme");
	assert_string_equal(first_hit(t, "rash maculopapular", &n), "rash_maculo_papular");
	/* A MedDRA code matches exactly, full-width digits too. */
	assert_string_equal(first_hit(t, "10002218", &n), "anaphylaxis");
	assert_int_equal(n, 1);
	assert_string_equal(first_hit(t, "１００１５２１８", &n), "erythema_multiforme");
	assert_null(first_hit(t, "99999999", &n));
	assert_int_equal(n, 0);
	/* Japanese where known. */
	assert_string_equal(first_hit(t, "そう痒", &n), "pruritus");
	/* Exact before prefix before contains; common terms first among equals. */
	assert_string_equal(first_hit(t, "rash", &n), "rash_acneiform"); /* NCI's order among the common */
	assert_true(n >= 3);
	assert_string_equal(first_hit(t, "fever", &n), "fever");
	/* More matches than room: the total says so. */
	const ctcae_term *out[3];
	assert_true(ctcae_search(t, "a", out, 3) > 3);
	/* Nothing to search for. */
	assert_int_equal(ctcae_search(t, "  ", out, 3), -1);
	assert_int_equal(ctcae_search(t, "\xff", out, 3), -1);
	assert_int_equal(ctcae_search(t, NULL, out, 3), -1);
	ctcae_free(t);

	/* Without the catalogue only the common terms are searched. */
	t = load_real();
	assert_string_equal(first_hit(t, "Pruritus", &n), "pruritus");
	assert_null(first_hit(t, "Erythema multiforme", &n));
	ctcae_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_file_loads),
		cmocka_unit_test(test_every_seed_symptom_has_a_term),
		cmocka_unit_test(test_lookups_and_allowed_grades),
		cmocka_unit_test(test_broken_files_are_named),
		cmocka_unit_test(test_catalogue_loads_whole_table),
		cmocka_unit_test(test_catalogue_disagreeing_with_common_terms_is_refused),
		cmocka_unit_test(test_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
