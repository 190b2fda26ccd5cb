/* ISO 8601 parsing, JST days and the iCalendar file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/ical.h"
#include "core/timefmt.h"

static void test_parse_iso8601(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(time_parse_iso8601("2026-11-25T00:00:00Z", &t), 0);
	assert_int_equal(t, 1795564800);
	assert_int_equal(time_parse_iso8601("2026-11-25T09:00:00+09:00", &t), 0);
	assert_int_equal(t, 1795564800);
	assert_int_equal(time_parse_iso8601("2026-11-24T19:00-0500", &t), 0);
	assert_int_equal(t, 1795564800);
	assert_int_equal(time_parse_iso8601("2026-11-25T00:00:00.123Z", &t), 0);
	assert_int_equal(t, 1795564800);
	assert_int_equal(time_parse_iso8601("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(time_parse_iso8601("2024-02-29T12:00:00Z", &t), 0);
}

static void test_parse_refuses_ambiguous_or_impossible(void **state)
{
	(void)state;
	int64_t t;
	const char *bad[] = {"2026-11-25T09:00:00", "2026-11-25 09:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T24:00:00Z",
	                     "2026-11-25T09:60:00Z", "2026-11-25T09:00:00+25:00", "2026-11-25T09:00:00Zjunk",
	                     "2026-11-25", "", "2026-11-25T09:00:00.Z", "2023-02-29T00:00:00Z"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (time_parse_iso8601(bad[i], &t) == 0)
			fail_msg("accepted %s", bad[i]);
}

static void test_jst_days(void **state)
{
	(void)state;
	int64_t start, end;
	assert_int_equal(jst_day_bounds("2026-11-25", &start, &end), 0);
	assert_int_equal(start, 1795564800 - 9 * 3600);
	assert_int_equal(end - start, 86400);
	assert_int_equal(jst_day_bounds("2026-13-01", &start, &end), -1);
	char d[11];
	jst_date(1795564800 - 9 * 3600, d); /* 00:00 JST */
	assert_string_equal(d, "2026-11-25");
	jst_date(1795564800 - 9 * 3600 - 1, d);
	assert_string_equal(d, "2026-11-24");
}

static void test_ical(void **state)
{
	(void)state;
	ical_event ev = {"booking-1@exosafe", 1795564800, 1795600800, 1795601400, "電話診療; 10分, exosafe",
	                 "一行目\n二行目、とても長い説明がここに続きます。とても長い説明がここに続きます。とても長い説明がここに続きます。"};
	char *text = ical_event_text(&ev);
	assert_non_null(text);
	assert_non_null(strstr(text, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
	assert_non_null(strstr(text, "DTSTART:20261125T100000Z\r\n"));
	assert_non_null(strstr(text, "DTEND:20261125T101000Z\r\n"));
	assert_non_null(strstr(text, "SUMMARY:電話診療\\; 10分\\, exosafe\r\n"));
	assert_non_null(strstr(text, "一行目\\n二行目"));
	/* Every physical line is at most 75 octets and folding never splits a character. */
	for (char *line = text; *line;) {
		char *eol = strstr(line, "\r\n");
		assert_non_null(eol);
		assert_true(eol - line <= 75);
		unsigned char first = (unsigned char)(line[0] == ' ' ? line[1] : line[0]);
		assert_false(first >= 0x80 && first < 0xC0);
		line = eol + 2;
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_iso8601),
		cmocka_unit_test(test_parse_refuses_ambiguous_or_impossible),
		cmocka_unit_test(test_jst_days),
		cmocka_unit_test(test_ical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
