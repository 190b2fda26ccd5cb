/* The per-lot sequential MaxSPRT replay (core/maxsprt_lots.h) on small cases computed by hand
 * (the arithmetic is in the comments), in any input order. The false-alarm rate and the power
 * over 10,000 simulated lots are tests/sim/maxsprt_lots.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/maxsprt.h"
#include "core/maxsprt_lots.h"

static const maxsprt_lot_settings defaults = {0.05, 20.0, 2};

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

static const maxsprt_lot_result *find_lot(const maxsprt_lot_result *r, size_t n, int64_t lot_id)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].lot_id == lot_id)
			return &r[i];
	fail_msg("lot %lld missing", (long long)lot_id);
	return NULL;
}

/* {lot, unit, prev_day, day, answered_at, first_event} */
static const maxsprt_lot_checkin three_lots[] = {
	/* Lot 2 starts alone: nothing to compare with, left out of the test (no_baseline). */
	{2, 10, 0, 3, 100, 0},
	{2, 11, 0, 3, 101, 1},
	{2, 12, 0, 3, 102, 0},
	{2, 13, 0, 3, 103, 0},
	/* Lot 1: key (0,3) in lot 2 before: 1 event in 4 rows, q = 0.25. Look 1: 1 / 0.25. */
	{1, 1, 0, 3, 200, 1},
	/* Look 2: q 0.25 again: observed 2, expected 0.5, LLR = 0.5 - 2 + 2 ln 4 = 1.2725887…
	 * below CV 3.43. Unit 1's (3,14) row comes after its event: not at risk, not counted. */
	{1, 2, 0, 3, 300, 1},
	{1, 1, 3, 14, 300, 0},
	/* Lot 2, key (3,14): lot 1 has no at-risk row with it. Fallback: lot 1's rate = 2 events /
	 * (3 + 3) at-risk days = 1/3 per day; q = 1 - exp(-11/3) = 0.97442… Lot 2 monitoring,
	 * observed 0 (its event was before any baseline), events 1. */
	{2, 10, 3, 14, 400, 0},
	/* Lot 3, key (0,3) in lots 1 and 2: 2 + 1 events in 2 + 4 rows: q = 0.5. */
	{3, 20, 0, 3, 500, 0},
	/* Lot 3, key (3,14): lot 2's one row without an event: half an event, q = 0.5 / 1. */
	{3, 20, 3, 14, 600, 0},
};

static void check_three_lots(const maxsprt_lot_result *r, size_t n)
{
	assert_int_equal(n, 3);
	assert_int_equal(r[0].lot_id, 1); /* sorted by lot */
	assert_int_equal(r[1].lot_id, 2);
	assert_int_equal(r[2].lot_id, 3);

	const maxsprt_lot_result *l1 = find_lot(r, n, 1), *l2 = find_lot(r, n, 2), *l3 = find_lot(r, n, 3);
	assert_int_equal(l1->units, 2);
	assert_int_equal(l1->events, 2);
	assert_int_equal(l1->observed, 2);
	assert_near(l1->expected, 0.5, 1e-15);
	assert_near(l1->llr, -1.5 + 2.0 * log(4.0), 1e-14);
	assert_int_equal(l1->looks, 2);
	assert_int_equal(l1->state, MAXSPRT_LOT_MONITORING);
	assert_int_equal(l1->signal_at, 0);
	double cv;
	assert_int_equal(maxsprt_critical_value(20.0, 2, 0.05, &cv), 0);
	assert_near(l1->cv, cv, 0.0);

	assert_int_equal(l2->units, 4);
	assert_int_equal(l2->events, 1);
	assert_int_equal(l2->observed, 0);
	assert_near(l2->expected, 1.0 - exp(-11.0 / 3.0), 1e-15);
	assert_near(l2->llr, 0.0, 0.0);
	assert_int_equal(l2->looks, 1);
	assert_int_equal(l2->state, MAXSPRT_LOT_MONITORING);

	assert_int_equal(l3->units, 1);
	assert_int_equal(l3->observed, 0);
	assert_near(l3->expected, 1.0, 1e-15);
	assert_int_equal(l3->looks, 2);
	assert_string_equal(maxsprt_lot_state_name(l3->state), "monitoring");
}

static void test_hand_computed(void **state)
{
	(void)state;
	maxsprt_lot_result *r;
	size_t n;
	assert_int_equal(maxsprt_lots_run(three_lots, sizeof three_lots / sizeof three_lots[0], &defaults, &r, &n), 0);
	check_three_lots(r, n);
	free(r);
}

/* The same rows reversed and rotated give the same results: the replay sorts them. */
static void test_any_order(void **state)
{
	(void)state;
	size_t count = sizeof three_lots / sizeof three_lots[0];
	maxsprt_lot_checkin rows[sizeof three_lots / sizeof three_lots[0]];
	for (size_t shift = 0; shift < count; shift++) {
		for (size_t i = 0; i < count; i++)
			rows[i] = three_lots[(count - 1 - i + shift) % count];
		maxsprt_lot_result *r;
		size_t n;
		assert_int_equal(maxsprt_lots_run(rows, count, &defaults, &r, &n), 0);
		check_three_lots(r, n);
		free(r);
	}
}

/* Lot 2: 100 rows at key (0,3), one event: q = 0.01. Lot 1's first two units report events:
 * look 1 has 1 event (< M 2), look 2: LLR(2, 0.02) = 0.02 - 2 + 2 ln 100 = 7.2303… >= CV 3.43:
 * a signal at look 2, answered_at 2001. Lot 1 keeps its signal; its counts go on. */
static void test_signal(void **state)
{
	(void)state;
	maxsprt_lot_checkin rows[103];
	for (int i = 0; i < 100; i++)
		rows[i] = (maxsprt_lot_checkin){2, 100 + i, 0, 3, 1000 + i, i == 50};
	rows[100] = (maxsprt_lot_checkin){1, 1, 0, 3, 2000, 1};
	rows[101] = (maxsprt_lot_checkin){1, 2, 0, 3, 2001, 1};
	rows[102] = (maxsprt_lot_checkin){1, 3, 0, 3, 2002, 0};
	maxsprt_lot_result *r;
	size_t n;
	assert_int_equal(maxsprt_lots_run(rows, 103, &defaults, &r, &n), 0);
	const maxsprt_lot_result *l1 = find_lot(r, n, 1), *l2 = find_lot(r, n, 2);
	assert_string_equal(maxsprt_lot_state_name(l1->state), "signal");
	assert_int_equal(l1->signal_at, 2001);
	assert_int_equal(l1->signal_look, 2);
	assert_int_equal(l1->signal_observed, 2);
	assert_near(l1->signal_expected, 0.02, 1e-15);
	assert_int_equal(l1->looks, 2); /* no look after the signal */
	assert_int_equal(l1->observed, 2);
	assert_near(l1->expected, 0.03, 1e-15);
	assert_near(l1->llr, 0.03 - 2.0 + 2.0 * log(2.0 / 0.03), 1e-13);
	/* Lot 2 was alone before lot 1: no_baseline. */
	assert_string_equal(maxsprt_lot_state_name(l2->state), "no_baseline");
	assert_int_equal(l2->looks, 0);
	assert_int_equal(l2->events, 1);
	free(r);
}

/* T = 1 with M = 1 (a CV exists: P(N(1) >= 1) = 0.63 > alpha): lot 2's 2 rows at key (0,30),
 * 1 event, q = 0.5; lot 1's 3 rows without events: expected 0.5, 1.0, 1.5; the look at 1.5 > T
 * ends the lot. */
static void test_ended(void **state)
{
	(void)state;
	const maxsprt_lot_checkin rows[] = {
		{2, 1, 0, 30, 10, 0}, {2, 2, 0, 30, 11, 1},
		{1, 1, 0, 30, 20, 0}, {1, 2, 0, 30, 21, 0}, {1, 3, 0, 30, 22, 0}, {1, 4, 0, 30, 23, 1},
	};
	const maxsprt_lot_settings small = {0.05, 1.0, 1};
	maxsprt_lot_result *r;
	size_t n;
	assert_int_equal(maxsprt_lots_run(rows, 6, &small, &r, &n), 0);
	const maxsprt_lot_result *l1 = find_lot(r, n, 1);
	assert_string_equal(maxsprt_lot_state_name(l1->state), "ended");
	assert_int_equal(l1->looks, 3);
	assert_near(l1->expected, 2.0, 1e-15);
	assert_int_equal(l1->observed, 1);
	free(r);
}

/* Rows answered in the same second do not see each other; one look per lot per second. */
static void test_same_second(void **state)
{
	(void)state;
	const maxsprt_lot_checkin rows[] = {
		{1, 1, 0, 3, 50, 1}, {2, 1, 0, 3, 50, 0},                       /* both first: no baseline */
		{1, 2, 0, 3, 60, 0}, {1, 3, 0, 3, 60, 0}, {2, 2, 0, 3, 60, 1}, /* from second 50 only */
		/* Unit 4 of lot 1 twice in one second: its (3,14) row follows its event. */
		{1, 4, 3, 14, 70, 0}, {1, 4, 0, 3, 70, 1},
	};
	maxsprt_lot_result *r;
	size_t n;
	assert_int_equal(maxsprt_lots_run(rows, 7, &defaults, &r, &n), 0);
	const maxsprt_lot_result *l1 = find_lot(r, n, 1), *l2 = find_lot(r, n, 2);
	/* Second 60: lot 1's two rows get lot 2's (0,3) share at 50: 0 events in 1 row: 0.5 each;
	 * lot 2's row gets lot 1's: 1 in 1: 1.0. Second 70: lot 1 unit 4 (0,3): lot 2 has 1 event
	 * in 2 rows: 0.5; its (3,14) row is after the event: nothing. */
	assert_near(l1->expected, 1.5, 1e-15);
	assert_int_equal(l1->observed, 1);
	assert_int_equal(l1->events, 2);
	assert_int_equal(l1->looks, 2);
	assert_near(l2->expected, 1.0, 1e-15);
	assert_int_equal(l2->observed, 1);
	assert_int_equal(l2->looks, 1);
	free(r);
}

/* Prospective: what the replay finds up to a time is what it found when only the answers up
 * to that time existed (the live check's signal is the replay's). Three lots, one at a high
 * rate, of random answers; every cut-off. */
static void test_prefix_stable(void **state)
{
	(void)state;
	enum { UNITS = 40, PER_UNIT = 5 };
	static const int32_t days[PER_UNIT] = {3, 14, 30, 121, 212};
	maxsprt_lot_checkin rows[3 * UNITS * PER_UNIT];
	size_t n = 0;
	uint64_t x = 12345;
	for (int lot = 1; lot <= 3; lot++)
		for (int u = 0; u < UNITS; u++) {
			int32_t prev = 0;
			int64_t entry = 1000000 + (int64_t)lot * 20 * 86400 + (int64_t)u * 86400;
			for (int k = 0; k < PER_UNIT; k++) {
				x = x * 6364136223846793005u + 1442695040888963407u;
				unsigned r = (unsigned)(x >> 33) % 100;
				if (r < 15)
					continue; /* missed */
				int event = (int)((x >> 20) % 100) < (lot == 2 ? 30 : 8);
				rows[n++] = (maxsprt_lot_checkin){lot, u, prev, days[k], entry + days[k] * 86400 + r * 600, event};
				prev = days[k];
				if (event)
					break;
			}
		}
	maxsprt_lot_result *full;
	size_t n_full;
	assert_int_equal(maxsprt_lots_run(rows, n, &defaults, &full, &n_full), 0);
	assert_string_equal(maxsprt_lot_state_name(full[1].state), "signal"); /* lot 2 */
	for (size_t cut = 0; cut < n; cut += 7) {
		int64_t until = rows[cut].answered_at;
		maxsprt_lot_checkin prefix[sizeof rows / sizeof rows[0]];
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (rows[i].answered_at <= until)
				prefix[m++] = rows[i];
		maxsprt_lot_result *part;
		size_t n_part;
		assert_int_equal(maxsprt_lots_run(prefix, m, &defaults, &part, &n_part), 0);
		for (size_t k = 0; k < n_part; k++) {
			const maxsprt_lot_result *f = find_lot(full, n_full, part[k].lot_id);
			if (f->signal_at != 0 && f->signal_at <= until) {
				assert_int_equal(part[k].signal_at, f->signal_at);
				assert_int_equal(part[k].signal_look, f->signal_look);
				assert_near(part[k].signal_expected, f->signal_expected, 0.0);
			} else {
				assert_int_equal(part[k].signal_at, 0);
			}
		}
		free(part);
	}
	free(full);
}

static void test_bad_input(void **state)
{
	(void)state;
	maxsprt_lot_result *r = (maxsprt_lot_result *)1;
	size_t n = 9;
	assert_int_equal(maxsprt_lots_run(NULL, 0, &defaults, &r, &n), 0);
	assert_null(r);
	assert_int_equal(n, 0);
	const maxsprt_lot_checkin backwards[] = {{1, 1, 14, 3, 10, 0}};
	assert_int_equal(maxsprt_lots_run(backwards, 1, &defaults, &r, &n), -1);
	assert_null(r);
	const maxsprt_lot_checkin negative[] = {{1, 1, -1, 3, 10, 0}};
	assert_int_equal(maxsprt_lots_run(negative, 1, &defaults, &r, &n), -1);
	assert_int_equal(maxsprt_lots_run(NULL, 1, &defaults, &r, &n), -1);
	assert_int_equal(maxsprt_lots_run(three_lots, 1, NULL, &r, &n), -1);
	/* Settings without a critical value: computed, never a signal. */
	const maxsprt_lot_settings none = {0.05, 1.0, 4};
	assert_int_equal(maxsprt_lots_run(three_lots, 10, &none, &r, &n), 0);
	assert_true(isnan(r[0].cv));
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(r[i].state, MAXSPRT_LOT_SIGNAL);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_computed), cmocka_unit_test(test_any_order), cmocka_unit_test(test_signal),
		cmocka_unit_test(test_ended), cmocka_unit_test(test_same_second), cmocka_unit_test(test_prefix_stable),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
