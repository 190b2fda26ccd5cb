/* A recall's follow-up (core/recall_track.c): every pair of states against a table written
 * here; and the CSV writer (core/csv_out.c): RFC 4180 quoting and the OWASP CSV-injection
 * prefix, case by case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/csv_out.h"
#include "core/recall_track.h"

#define N RECALL_TRACK_STATUS_COUNT

/* allowed[from][to], as the issue draws it: forward only (skipping allowed), the two ends final. */
static const bool allowed[N][N] = {
	/*               pending notified contacted returned destroyed */
	/* pending   */ {true,   true,    true,     true,    true},
	/* notified  */ {false,  true,    true,     true,    true},
	/* contacted */ {false,  false,   true,     true,    true},
	/* returned  */ {false,  false,   false,    true,    false},
	/* destroyed */ {false,  false,   false,    false,   true},
};

static void test_every_pair_against_the_table(void **state)
{
	(void)state;
	for (int from = 0; from < N; from++)
		for (int to = 0; to < N; to++)
			assert_int_equal(recall_track_step_allowed((recall_track_status)from, (recall_track_status)to),
			                 allowed[from][to]);
}

static void test_names_round_trip(void **state)
{
	(void)state;
	static const char *const names[N] = {"pending", "notified", "contacted", "returned", "destroyed"};
	for (int i = 0; i < N; i++) {
		assert_string_equal(recall_track_status_name((recall_track_status)i), names[i]);
		assert_int_equal(recall_track_status_from_name(names[i]), i);
	}
	assert_int_equal(recall_track_status_from_name("lost"), -1);
	assert_int_equal(recall_track_status_from_name(""), -1);
	assert_int_equal(recall_track_status_from_name(NULL), -1);
	assert_true(recall_track_is_closed(RECALL_RETURNED) && recall_track_is_closed(RECALL_DESTROYED));
	assert_false(recall_track_is_closed(RECALL_CONTACTED));
}

static void test_csv_cells(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "plain"},
		{"", ""},
		{"山田 花子", "山田 花子"},
		{"a,b", "\"a,b\""},
		{"say \"hi\"", "\"say \"\"hi\"\"\""},
		{"two\nlines", "\"two\nlines\""},
		/* OWASP: = + - @ tab CR at the start are neutralised with a leading quote. */
		{"=1+1", "'=1+1"},
		{"+81-90", "'+81-90"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
		{"a=1", "a=1"},
		{"090-1234-5678", "090-1234-5678"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		strbuf b = {0};
		csv_out_cell(&b, cases[i].in);
		char *got = strbuf_finish(&b);   /* NULL when nothing was appended (the empty cell) */
		assert_string_equal(got ? got : "", cases[i].out);
		free(got);
	}
}

static void test_csv_row(void **state)
{
	(void)state;
	const char *const cells[] = {"id", "=x", NULL, "a,b"};
	strbuf b = {0};
	csv_out_row(&b, cells, 4);
	char *got = strbuf_finish(&b);
	assert_string_equal(got, "id,'=x,,\"a,b\"\r\n");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair_against_the_table),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_csv_cells),
		cmocka_unit_test(test_csv_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
