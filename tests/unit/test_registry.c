/* The registry's de-identification (core/registry.c): five-year age bands at onset, with the
 * birthday counted on its day, 90 and over as one band (HIPAA Safe Harbor, 45 CFR
 * 164.514(b)(2)(i)(C)), and the onset month; anything that is not a date gives nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/registry.h"

static void band(const char *birth, const char *onset, const char *want)
{
	char out[8];
	registry_age_band(birth, onset, out);
	if (strcmp(out, want) != 0)
		fail_msg("%s at %s: %s, want %s", birth, onset, out, want);
}

static void test_age_bands(void **state)
{
	(void)state;
	band("1990-05-06", "2026-05-05", "35-39");   /* 35 the day before the birthday */
	band("1990-05-06", "2026-05-06", "35-39");   /* 36 on it */
	band("1991-05-06", "2026-05-05", "30-34");   /* 34 */
	band("1991-05-06", "2026-05-06", "35-39");   /* 35 */
	band("2026-01-01", "2026-01-01", "0-4");
	band("1936-12-04", "2026-12-03", "85-89");   /* 89 */
	band("1936-12-04", "2026-12-04", "90+");     /* 90 */
	band("1900-01-01", "2026-12-04", "90+");
	band("2000-02-29", "2026-02-28", "25-29");   /* a leap day's birthday: not yet on 28 Feb */
}

static void test_nothing_from_what_is_not_a_date(void **state)
{
	(void)state;
	band("", "2026-01-01", "");
	band("1990-05-06", "", "");
	band("1990-13-01", "2026-01-01", "");
	band("1990/05/06", "2026-01-01", "");
	band("2027-01-01", "2026-01-01", "");        /* onset before birth */
	char out[8];
	registry_age_band(NULL, "2026-01-01", out);
	assert_string_equal(out, "");
}

static void test_onset_month(void **state)
{
	(void)state;
	char out[8];
	registry_onset_month("2026-12-04", out);
	assert_string_equal(out, "2026-12");
	registry_onset_month("2026-12", out);
	assert_string_equal(out, "");
	registry_onset_month("2026-00-04", out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_bands),
		cmocka_unit_test(test_nothing_from_what_is_not_a_date),
		cmocka_unit_test(test_onset_month),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
