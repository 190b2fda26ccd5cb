/* The lot state machine: every pair of states against a table written here, independently of
 * the one in lot_state.c, then the facts each legal transition needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/lot_state.h"

#define N LOT_STATUS_COUNT

/* The machine as the issue draws it, edge by edge. */
static const struct {
	lot_status from, to;
} legal[] = {
	{LOT_RECEIVED, LOT_QUARANTINE},
	{LOT_QUARANTINE, LOT_RELEASED},
	{LOT_QUARANTINE, LOT_RECALLED},
	{LOT_QUARANTINE, LOT_DESTROYED},
	{LOT_RELEASED, LOT_QUARANTINE},   /* temperature excursion, safety signal */
	{LOT_RELEASED, LOT_DEPLETED},
	{LOT_RELEASED, LOT_EXPIRED},
	{LOT_RELEASED, LOT_RECALLED},
	{LOT_DEPLETED, LOT_RECALLED},     /* units may still be with patients */
	{LOT_EXPIRED, LOT_RECALLED},
	{LOT_EXPIRED, LOT_DESTROYED},
};

static bool expected_edge(lot_status from, lot_status to)
{
	for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
		if (legal[i].from == from && legal[i].to == to)
			return true;
	return false;
}

static const lot_transition_facts all_facts = {
	.required_tests_passed = true, .by_pharmacist = true, .has_reason = true, .by_system = false,
};

static void test_every_pair_against_the_table(void **state)
{
	(void)state;
	int edges = 0;
	for (int f = 0; f < N; f++) {
		for (int t = 0; t < N; t++) {
			bool want = expected_edge((lot_status)f, (lot_status)t);
			if (lot_transition_exists((lot_status)f, (lot_status)t) != want)
				fail_msg("edge %s -> %s: expected %s", lot_status_name((lot_status)f),
					 lot_status_name((lot_status)t), want ? "legal" : "illegal");
			/* With every fact in its favour, an illegal edge is still illegal. */
			lot_transition_rc rc = lot_transition_check((lot_status)f, (lot_status)t, &all_facts);
			if (want)
				assert_int_equal(rc, LOT_TRANSITION_OK);
			else
				assert_int_equal(rc, LOT_TRANSITION_ILLEGAL);
			edges += want;
		}
	}
	assert_int_equal(edges, (int)(sizeof legal / sizeof legal[0]));
}

static void test_nothing_leaves_a_final_state(void **state)
{
	(void)state;
	lot_transition_facts sys = all_facts;
	sys.by_system = true;
	for (int t = 0; t < N; t++) {
		assert_false(lot_transition_exists(LOT_RECALLED, (lot_status)t));
		assert_false(lot_transition_exists(LOT_DESTROYED, (lot_status)t));
		assert_int_equal(lot_transition_check(LOT_RECALLED, (lot_status)t, &sys), LOT_TRANSITION_ILLEGAL);
		assert_int_equal(lot_transition_check(LOT_DESTROYED, (lot_status)t, &sys), LOT_TRANSITION_ILLEGAL);
	}
	for (int s = 0; s < N; s++)
		assert_int_equal(lot_status_final((lot_status)s), s == LOT_RECALLED || s == LOT_DESTROYED);
}

static void test_nothing_enters_received(void **state)
{
	(void)state;
	for (int f = 0; f < N; f++) {
		assert_false(lot_transition_exists((lot_status)f, LOT_RECEIVED));
		assert_int_equal(lot_transition_check((lot_status)f, LOT_RECEIVED, &all_facts), LOT_TRANSITION_ILLEGAL);
	}
}

static void test_release_needs_reason_pharmacist_and_tests(void **state)
{
	(void)state;
	lot_transition_facts f = all_facts;
	assert_int_equal(lot_transition_check(LOT_QUARANTINE, LOT_RELEASED, &f), LOT_TRANSITION_OK);

	f = all_facts;
	f.has_reason = false;
	assert_int_equal(lot_transition_check(LOT_QUARANTINE, LOT_RELEASED, &f), LOT_TRANSITION_NEEDS_REASON);

	f = all_facts;
	f.by_pharmacist = false;
	assert_int_equal(lot_transition_check(LOT_QUARANTINE, LOT_RELEASED, &f), LOT_TRANSITION_NEEDS_PHARMACIST);
	/* The system may quarantine but never release. */
	f.by_system = true;
	assert_int_equal(lot_transition_check(LOT_QUARANTINE, LOT_RELEASED, &f), LOT_TRANSITION_NEEDS_PHARMACIST);

	f = all_facts;
	f.required_tests_passed = false;
	assert_int_equal(lot_transition_check(LOT_QUARANTINE, LOT_RELEASED, &f), LOT_TRANSITION_TESTS_MISSING);
}

/* Recall and destruction are quality decisions: a pharmacist, or the system. */
static void check_needs_pharmacist_or_system(lot_status from, lot_status to)
{
	lot_transition_facts f = {.has_reason = true};
	assert_int_equal(lot_transition_check(from, to, &f), LOT_TRANSITION_NEEDS_PHARMACIST);
	f.by_pharmacist = true;
	assert_int_equal(lot_transition_check(from, to, &f), LOT_TRANSITION_OK);
	f.by_pharmacist = false;
	f.by_system = true;
	assert_int_equal(lot_transition_check(from, to, &f), LOT_TRANSITION_OK);
	/* Release tests are irrelevant here, a reason is not. */
	f = (lot_transition_facts){.by_pharmacist = true};
	assert_int_equal(lot_transition_check(from, to, &f), LOT_TRANSITION_NEEDS_REASON);
}

static void test_recall_needs_pharmacist_or_system(void **state)
{
	(void)state;
	check_needs_pharmacist_or_system(LOT_QUARANTINE, LOT_RECALLED);
	check_needs_pharmacist_or_system(LOT_RELEASED, LOT_RECALLED);
	check_needs_pharmacist_or_system(LOT_DEPLETED, LOT_RECALLED);
	check_needs_pharmacist_or_system(LOT_EXPIRED, LOT_RECALLED);
}

static void test_destroy_needs_pharmacist_or_system(void **state)
{
	(void)state;
	check_needs_pharmacist_or_system(LOT_QUARANTINE, LOT_DESTROYED);
	check_needs_pharmacist_or_system(LOT_EXPIRED, LOT_DESTROYED);
}

static void test_quarantine_may_be_automatic(void **state)
{
	(void)state;
	lot_transition_facts sys = {.has_reason = true, .by_system = true};
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_QUARANTINE, &sys), LOT_TRANSITION_OK);
	assert_int_equal(lot_transition_check(LOT_RECEIVED, LOT_QUARANTINE, &sys), LOT_TRANSITION_OK);
	lot_transition_facts pharmacist = {.has_reason = true, .by_pharmacist = true};
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_QUARANTINE, &pharmacist), LOT_TRANSITION_OK);
	/* Even the system explains itself. */
	sys.has_reason = false;
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_QUARANTINE, &sys), LOT_TRANSITION_NEEDS_REASON);
}

static void test_depletion_and_expiry_need_a_reason(void **state)
{
	(void)state;
	lot_transition_facts f = {.has_reason = true, .by_system = true};
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_DEPLETED, &f), LOT_TRANSITION_OK);
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_EXPIRED, &f), LOT_TRANSITION_OK);
	f.has_reason = false;
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_DEPLETED, &f), LOT_TRANSITION_NEEDS_REASON);
	assert_int_equal(lot_transition_check(LOT_RELEASED, LOT_EXPIRED, &f), LOT_TRANSITION_NEEDS_REASON);
}

static void test_only_released_is_dispensable(void **state)
{
	(void)state;
	for (int s = 0; s < N; s++)
		assert_int_equal(lot_status_dispensable((lot_status)s), s == LOT_RELEASED);
	assert_false(lot_status_dispensable(LOT_STATUS_COUNT));
}

static void test_names_round_trip(void **state)
{
	(void)state;
	static const char *const want[N] = {
		"received", "quarantine", "released", "depleted", "expired", "recalled", "destroyed",
	};
	for (int s = 0; s < N; s++) {
		assert_string_equal(lot_status_name((lot_status)s), want[s]);
		assert_int_equal(lot_status_from_name(want[s]), s);
	}
	assert_int_equal(lot_status_from_name(NULL), -1);
	assert_int_equal(lot_status_from_name(""), -1);
	assert_int_equal(lot_status_from_name("Released"), -1);
	assert_int_equal(lot_status_from_name("released "), -1);
	assert_int_equal(lot_status_from_name("recall"), -1);
}

static void test_out_of_range_values(void **state)
{
	(void)state;
	const lot_status bad[] = {LOT_STATUS_COUNT, (lot_status)(LOT_STATUS_COUNT + 1), (lot_status)-1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(lot_status_name(bad[i]));
		assert_false(lot_status_final(bad[i]));
		for (int s = 0; s < N; s++) {
			assert_false(lot_transition_exists(bad[i], (lot_status)s));
			assert_false(lot_transition_exists((lot_status)s, bad[i]));
			assert_int_equal(lot_transition_check(bad[i], (lot_status)s, &all_facts), LOT_TRANSITION_ILLEGAL);
			assert_int_equal(lot_transition_check((lot_status)s, bad[i], &all_facts), LOT_TRANSITION_ILLEGAL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair_against_the_table),
		cmocka_unit_test(test_nothing_leaves_a_final_state),
		cmocka_unit_test(test_nothing_enters_received),
		cmocka_unit_test(test_release_needs_reason_pharmacist_and_tests),
		cmocka_unit_test(test_recall_needs_pharmacist_or_system),
		cmocka_unit_test(test_destroy_needs_pharmacist_or_system),
		cmocka_unit_test(test_quarantine_may_be_automatic),
		cmocka_unit_test(test_depletion_and_expiry_need_a_reason),
		cmocka_unit_test(test_only_released_is_dispensable),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_out_of_range_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
