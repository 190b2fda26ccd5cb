/* The weekly slot pattern (core/slot_pattern.c), folding search queries to katakana
 * (core/kana.c kana_fold) and the JST date-time of the audit CSV (core/timefmt.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/kana.h"
#include "core/slot_pattern.h"
#include "core/timefmt.h"

static void test_weekday(void **state)
{
	(void)state;
	/* Known days: the epoch was a Thursday; 2000-01-01 a Saturday; 2024-02-29 a Thursday;
	 * 2026-12-07 a Monday; 2027-01-03 a Sunday. */
	assert_int_equal(slot_pattern_weekday("1970-01-01"), 4);
	assert_int_equal(slot_pattern_weekday("2000-01-01"), 6);
	assert_int_equal(slot_pattern_weekday("2024-02-29"), 4);
	assert_int_equal(slot_pattern_weekday("2026-12-07"), 1);
	assert_int_equal(slot_pattern_weekday("2027-01-03"), 0);
	assert_int_equal(slot_pattern_weekday("1969-12-31"), 3);
	assert_int_equal(slot_pattern_weekday("2026-02-30"), -1);
}

static void test_minutes(void **state)
{
	(void)state;
	assert_int_equal(slot_pattern_minutes("00:00"), 0);
	assert_int_equal(slot_pattern_minutes("10:15"), 615);
	assert_int_equal(slot_pattern_minutes("24:00"), 1440);
	const char *bad[] = {"24:01", "25:00", "10:60", "1000", "10:0", "ab:cd", "", "10:00+09:00", "-1:00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (slot_pattern_minutes(bad[i]) != -1)
			fail_msg("accepted %s", bad[i]);
}

static void test_expand_mon_wed_fri(void **state)
{
	(void)state;
	/* Mon/Wed/Fri 10:00-12:00 every 15 minutes, 2026-12-07 (Mon) to 2027-01-03 (Sun): four
	 * weeks, 12 days, 8 slots a day, across the new year. */
	slot_pattern p = {"2026-12-07", "2027-01-03", (1u << 1) | (1u << 3) | (1u << 5), "10:00", "12:00", 15};
	int64_t starts[200];
	size_t n;
	const char *field = NULL;
	assert_null(slot_pattern_expand(&p, starts, 200, &n, &field));
	assert_int_equal(n, 12 * 8);
	int64_t first;
	assert_int_equal(time_parse_iso8601("2026-12-07T10:00:00+09:00", &first), 0);
	assert_int_equal(starts[0], first);
	assert_int_equal(starts[1], first + 15 * 60);
	assert_int_equal(starts[7], first + 105 * 60);      /* 11:45, the last that ends by 12:00 */
	assert_int_equal(starts[8], first + 2 * 86400);     /* Wednesday 10:00 */
	int64_t last;
	assert_int_equal(time_parse_iso8601("2027-01-01T11:45:00+09:00", &last), 0);
	assert_int_equal(starts[n - 1], last);              /* Friday 1 January 2027 */
	for (size_t i = 1; i < n; i++)
		assert_true(starts[i] > starts[i - 1]);
}

static void test_expand_whole_days_and_uneven_hours(void **state)
{
	(void)state;
	int64_t starts[2000];
	size_t n;
	const char *field = NULL;
	/* 00:00-24:00 every 120 minutes: 12 a day, the last 22:00-24:00. */
	slot_pattern day = {"2026-12-07", "2026-12-07", 0x7F, "00:00", "24:00", 120};
	assert_null(slot_pattern_expand(&day, starts, 2000, &n, &field));
	assert_int_equal(n, 12);
	/* 10:00-10:50 every 20 minutes: 10:00 and 10:20; 10:40 would end past 10:50. */
	slot_pattern uneven = {"2026-12-07", "2026-12-07", 0x7F, "10:00", "10:50", 20};
	assert_null(slot_pattern_expand(&uneven, starts, 2000, &n, &field));
	assert_int_equal(n, 2);
	/* 90 days, first and last included, is allowed. */
	slot_pattern ninety = {"2026-12-07", "2027-03-06", 0x7F, "10:00", "10:10", 10};
	assert_null(slot_pattern_expand(&ninety, starts, 2000, &n, &field));
	assert_int_equal(n, 90);
}

static void test_expand_refuses(void **state)
{
	(void)state;
	struct {
		slot_pattern p;
		const char *field, *reason;
	} cases[] = {
		{{"2026-12-10", "2026-12-07", 0x7F, "10:00", "12:00", 15}, "last_date", "date_order"},
		{{"2026-12-07", "2027-03-07", 0x7F, "10:00", "12:00", 15}, "last_date", "pattern_days"},
		{{"2026-12-32", "2027-01-03", 0x7F, "10:00", "12:00", 15}, "first_date", "date_format"},
		{{"2026-12-07", "2027-02-29", 0x7F, "10:00", "12:00", 15}, "last_date", "date_format"},
		{{"2026-12-07", "2026-12-08", 0, "10:00", "12:00", 15}, "weekdays", "weekdays_value"},
		{{"2026-12-07", "2026-12-08", 0x80, "10:00", "12:00", 15}, "weekdays", "weekdays_value"},
		{{"2026-12-07", "2026-12-08", 0x7F, "24:00", "24:00", 15}, "day_start", "time_format"},
		{{"2026-12-07", "2026-12-08", 0x7F, "10:00", "1200", 15}, "day_end", "time_format"},
		{{"2026-12-07", "2026-12-08", 0x7F, "12:00", "10:00", 15}, "day_end", "end_before_start"},
		{{"2026-12-07", "2026-12-08", 0x7F, "10:00", "10:00", 15}, "day_end", "end_before_start"},
		{{"2026-12-07", "2026-12-08", 0x7F, "10:00", "10:10", 15}, "day_end", "end_before_start"},
		{{"2026-12-07", "2026-12-08", 0x7F, "10:00", "12:00", 4}, "slot_minutes", "out_of_range"},
		{{"2026-12-07", "2026-12-08", 0x7F, "10:00", "12:00", 121}, "slot_minutes", "out_of_range"},
		/* 2026-12-07 and 08 are Monday and Tuesday: no Saturday in the range. */
		{{"2026-12-07", "2026-12-08", 1u << 6, "10:00", "12:00", 15}, "weekdays", "pattern_empty"},
		{{"2026-12-07", "2027-03-06", 0x7F, "00:00", "24:00", 5}, "last_date", "pattern_too_many"},
	};
	static int64_t starts[SLOT_PATTERN_MAX_SLOTS];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = 99;
		const char *field = NULL;
		const char *reason = slot_pattern_expand(&cases[i].p, starts, SLOT_PATTERN_MAX_SLOTS, &n, &field);
		if (reason == NULL || strcmp(reason, cases[i].reason) != 0 || strcmp(field, cases[i].field) != 0)
			fail_msg("case %zu: got %s on %s, want %s on %s", i, reason ? reason : "OK", field ? field : "-",
			         cases[i].reason, cases[i].field);
		assert_int_equal(n, 0);
	}
}

static void test_kana_fold(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(kana_fold("やまだ はなこ", out, sizeof out), 0);
	assert_string_equal(out, "ヤマダハナコ");
	assert_int_equal(kana_fold("ヤマダ　タロウ", out, sizeof out), 0);
	assert_string_equal(out, "ヤマダタロウ");
	assert_int_equal(kana_fold("ジョン・スミス", out, sizeof out), 0);
	assert_string_equal(out, "ジョンスミス");
	assert_int_equal(kana_fold("ぁゖゔ山田abc123", out, sizeof out), 0);
	assert_string_equal(out, "ァヶヴ山田abc123");
	char small[4];
	assert_int_equal(kana_fold("やまだ", small, sizeof small), -1);
	assert_string_equal(small, "");
	assert_int_equal(kana_fold("\xff", out, sizeof out), -1);
}

static void test_jst_datetime(void **state)
{
	(void)state;
	char out[JST_DATETIME_LEN];
	jst_datetime(1795564800, out);  /* 2026-11-25T00:00:00Z */
	assert_string_equal(out, "2026-11-25 09:00:00");
	jst_datetime(1795564800 + 15 * 3600, out);
	assert_string_equal(out, "2026-11-26 00:00:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_minutes),
		cmocka_unit_test(test_expand_mon_wed_fri),
		cmocka_unit_test(test_expand_whole_days_and_uneven_hours),
		cmocka_unit_test(test_expand_refuses),
		cmocka_unit_test(test_kana_fold),
		cmocka_unit_test(test_jst_datetime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
