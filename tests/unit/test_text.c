/* NFKC normalisation, trimming and UTF-8 checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "core/text.h"

static void expect_normalized(const char *in, const char *want)
{
	char *out = text_normalize(in);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_nfkc_folds_width_variants(void **state)
{
	(void)state;
	expect_normalized("ＡＢＣ１２３", "ABC123");                 /* full-width Latin and digits */
	expect_normalized("ｶﾀｶﾅ", "カタカナ");                       /* half-width katakana */
	expect_normalized("ﾊﾟﾋﾟﾌﾟ", "パピプ");                       /* half-width with voicing marks */
	expect_normalized("０９０－１２３４－５６７８", "090-1234-5678");
	expect_normalized("㈱", "(株)");
}

static void test_trims_ascii_and_ideographic_space(void **state)
{
	(void)state;
	expect_normalized("  山田 花子\t\n", "山田 花子");
	expect_normalized("\xE3\x80\x80ヤマダ\xE3\x80\x80", "ヤマダ");
	expect_normalized("   ", "");
}

static void test_invalid_utf8_is_rejected(void **state)
{
	(void)state;
	assert_null(text_normalize("ab\xFF" "cd"));
	assert_null(text_normalize("\xC3"));
	assert_int_equal(text_char_count("\xE3\x81"), -1);
	assert_int_equal(text_is_clean("ok\xFF", 0), 0);
}

static void test_char_count_and_control_chars(void **state)
{
	(void)state;
	assert_int_equal(text_char_count("山田"), 2);
	assert_int_equal(text_char_count(""), 0);
	assert_int_equal(text_is_clean("line\nbreak", 0), 0);
	assert_int_equal(text_is_clean("line\nbreak", 1), 1);
	assert_int_equal(text_is_clean("bell\a", 1), 0);
	assert_int_equal(text_is_clean("del\x7F", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nfkc_folds_width_variants),
		cmocka_unit_test(test_trims_ascii_and_ideographic_space),
		cmocka_unit_test(test_invalid_utf8_is_rejected),
		cmocka_unit_test(test_char_count_and_control_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
