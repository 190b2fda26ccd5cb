/* Runs every case of tests/data/validators.tsv through the named validator, and every case of
 * tests/data/normalize.tsv through the HTTP input table's normalisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include "core/jp_contact.h"
#include "core/text.h"
#include "core/validate.h"
#include "testutil.h"

/* Fixed "now" so date cases do not drift: 2026-11-25T00:00:00Z. */
#define NOW ((int64_t)1795564800)

static const char *run_validator(const char *name, const char *input)
{
	if (strcmp(name, "email") == 0) return validate_email(input);
	if (strcmp(name, "password") == 0) return validate_password(input);
	if (strcmp(name, "birth_date") == 0) return validate_birth_date(input, NOW);
	if (strcmp(name, "sex") == 0) return validate_sex(input);
	if (strcmp(name, "kana") == 0) return validate_kana(input);
	if (strcmp(name, "phone") == 0) return validate_phone(input);
	if (strcmp(name, "postal_code") == 0) return validate_postal_code(input);
	if (strcmp(name, "staff_role") == 0) return validate_staff_role(input);
	if (strcmp(name, "file_name") == 0) return validate_file_name(input);
	fail_msg("unknown validator %s in validators.tsv", name);
	return NULL;
}

/* Decodes, in place, the escapes an input may hold: \xNN (a byte, two hex digits), a doubled
 * backslash (one backslash), and the input \0 alone stands for the empty string. */
static void unescape(char *s)
{
	if (strcmp(s, "\\0") == 0) {
		s[0] = '\0';
		return;
	}
	char *out = s;
	for (const char *p = s; *p; p++) {
		unsigned byte;
		if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &byte) == 1) {
			*out++ = (char)byte;
			p += 3;
		} else if (p[0] == '\\' && p[1] == '\\') {
			*out++ = '\\';
			p++;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

static void test_validator_cases(void **state)
{
	(void)state;
	tsv_cases t;
	tsv_open(&t, "tests/data/validators.tsv");
	char *col[3];
	int cases = 0;
	while (tsv_next(&t, col, 3)) {
		char *name = col[0], *input = col[1], *expected = col[2];
		unescape(input);
		const char *got = run_validator(name, input);
		const char *got_s = got ? got : "ok";
		if (strcmp(got_s, expected) != 0)
			fail_msg("validators.tsv line %d: %s(\"%s\") gave %s, want %s", t.lineno, name, input, got_s, expected);
		cases++;
	}
	tsv_close(&t);
	assert_true(cases >= 50);
}

/* tests/data/normalize.tsv: each input goes through text_normalize (NFKC, trim) and the field's
 * normaliser, as the HTTP input table does; the stored value and the validator's answer on it
 * must be the ones listed. */
static void test_normalize_cases(void **state)
{
	(void)state;
	tsv_cases t;
	tsv_open(&t, "tests/data/normalize.tsv");
	char *col[4];
	int cases = 0;
	while (tsv_next(&t, col, 4)) {
		char *name = col[0], *input = col[1], *want = col[2], *verdict = col[3];
		bool phone = strcmp(name, "phone") == 0;
		char *nfkc = text_normalize(input);
		assert_non_null(nfkc);
		char *got = phone ? jp_phone_tidy(nfkc) : jp_postal_tidy(nfkc);
		assert_non_null(got);
		if (strcmp(got, want) != 0)
			fail_msg("normalize.tsv line %d: %s(\"%s\") gave \"%s\", want \"%s\"", t.lineno, name, input, got, want);
		const char *reason = phone ? validate_phone(got) : validate_postal_code(got);
		if (strcmp(reason ? reason : "ok", verdict) != 0)
			fail_msg("normalize.tsv line %d: validating \"%s\" gave %s, want %s", t.lineno, got, reason ? reason : "ok", verdict);
		free(got);
		free(nfkc);
		cases++;
	}
	tsv_close(&t);
	assert_true(cases >= 30);
}

static void test_normalize_invalid_utf8(void **state)
{
	(void)state;
	assert_null(jp_phone_tidy("090\xff" "1111"));
	assert_null(jp_postal_tidy("\xe3\x80"));
}

static void test_date_is_valid(void **state)
{
	(void)state;
	assert_true(date_is_valid(2024, 2, 29));
	assert_false(date_is_valid(2023, 2, 29));
	assert_true(date_is_valid(2000, 2, 29));
	assert_false(date_is_valid(2100, 2, 29));
	assert_false(date_is_valid(2026, 4, 31));
	assert_true(date_is_valid(2026, 12, 31));
	assert_false(date_is_valid(2026, 0, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_cases),
		cmocka_unit_test(test_date_is_valid),
		cmocka_unit_test(test_normalize_cases),
		cmocka_unit_test(test_normalize_invalid_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
