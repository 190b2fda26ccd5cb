/* The audit chain: hashes are deterministic, and any edit, deletion or reordering is found
 * at the first row it affects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/audit_chain.h"

#define ROWS 6

static void build_chain(audit_row rows[ROWS])
{
	const char *prev = AUDIT_GENESIS_HASH;
	for (int i = 0; i < ROWS; i++) {
		memset(&rows[i], 0, sizeof rows[i]);
		rows[i].id = i + 1;
		rows[i].at = 1795564800 + i;
		rows[i].actor_id = i % 3;
		snprintf(rows[i].actor_role, sizeof rows[i].actor_role, "doctor");
		snprintf(rows[i].action, sizeof rows[i].action, "patient.profile.read");
		snprintf(rows[i].object, sizeof rows[i].object, "patient:%d", 10 + i);
		snprintf(rows[i].prev_hash, sizeof rows[i].prev_hash, "%s", prev);
		assert_int_equal(audit_chain_hash(&rows[i], rows[i].hash), 0);
		prev = rows[i].hash;
	}
}

/* Feeds rows and returns the first broken id, or 0 when intact. */
static int64_t verify(const audit_row *rows, int n)
{
	audit_verifier v;
	audit_verifier_init(&v);
	for (int i = 0; i < n; i++)
		audit_verifier_feed(&v, &rows[i]);
	return v.broken ? v.broken_id : 0;
}

static void test_intact_chain_verifies(void **state)
{
	(void)state;
	audit_row rows[ROWS];
	build_chain(rows);
	assert_int_equal(verify(rows, ROWS), 0);
}

static void test_hash_is_deterministic_and_field_sensitive(void **state)
{
	(void)state;
	audit_row rows[ROWS];
	build_chain(rows);
	char again[AUDIT_HASH_HEX];
	audit_chain_hash(&rows[2], again);
	assert_string_equal(again, rows[2].hash);
	/* Moving a character between adjacent fields must change the hash (length prefixes). */
	audit_row a = rows[0], b = rows[0];
	snprintf(a.action, sizeof a.action, "ab");
	snprintf(a.object, sizeof a.object, "c");
	snprintf(b.action, sizeof b.action, "a");
	snprintf(b.object, sizeof b.object, "bc");
	char ha[AUDIT_HASH_HEX], hb[AUDIT_HASH_HEX];
	audit_chain_hash(&a, ha);
	audit_chain_hash(&b, hb);
	assert_string_not_equal(ha, hb);
}

static void test_edited_row_is_found(void **state)
{
	(void)state;
	audit_row rows[ROWS];
	build_chain(rows);
	snprintf(rows[3].object, sizeof rows[3].object, "patient:99");
	assert_int_equal(verify(rows, ROWS), 4);
}

static void test_deleted_row_is_found(void **state)
{
	(void)state;
	audit_row rows[ROWS];
	build_chain(rows);
	memmove(&rows[2], &rows[3], sizeof rows[0] * (ROWS - 3));
	assert_int_equal(verify(rows, ROWS - 1), 4);
}

static void test_renumbered_deletion_is_found(void **state)
{
	(void)state;
	/* Deleting row 3 and renumbering the rest to hide the gap still breaks prev_hash. */
	audit_row rows[ROWS];
	build_chain(rows);
	memmove(&rows[2], &rows[3], sizeof rows[0] * (ROWS - 3));
	for (int i = 2; i < ROWS - 1; i++)
		rows[i].id = i + 1;
	assert_int_equal(verify(rows, ROWS - 1), 3);
}

static void test_swapped_rows_are_found(void **state)
{
	(void)state;
	audit_row rows[ROWS];
	build_chain(rows);
	/* Swap the contents of rows 2 and 3 but keep their ids in order. */
	audit_row tmp = rows[1];
	rows[1] = rows[2];
	rows[2] = tmp;
	rows[1].id = 2;
	rows[2].id = 3;
	assert_int_equal(verify(rows, ROWS), 2);
}

static void test_first_break_is_kept(void **state)
{
	(void)state;
	audit_row rows[ROWS];
	build_chain(rows);
	snprintf(rows[1].detail, sizeof rows[1].detail, "edited");
	snprintf(rows[4].detail, sizeof rows[4].detail, "edited");
	assert_int_equal(verify(rows, ROWS), 2);
}

/* Two chains back to back (the database's own, then a migrated clinic's, 0019): each starts
 * from id 1 and the genesis hash, and a break in the second names its chain and row. */
static void test_chains_verify_each_on_its_own(void **state)
{
	(void)state;
	audit_row rows[2 * ROWS];
	build_chain(rows);
	build_chain(rows + ROWS);
	for (int i = 0; i < ROWS; i++)
		rows[ROWS + i].chain = 5;
	audit_verifier v;
	audit_verifier_init(&v);
	for (int i = 0; i < 2 * ROWS; i++)
		assert_true(audit_verifier_feed(&v, &rows[i]));
	assert_int_equal(v.chains, 2);
	assert_int_equal(v.rows_checked, 2 * ROWS);

	snprintf(rows[ROWS + 2].detail, sizeof rows[ROWS + 2].detail, "edited");
	audit_verifier_init(&v);
	for (int i = 0; i < 2 * ROWS; i++)
		audit_verifier_feed(&v, &rows[i]);
	assert_true(v.broken);
	assert_int_equal(v.chain, 5);
	assert_int_equal(v.broken_id, 3);

	/* The second chain's first row deleted: its next row cannot start a chain. */
	audit_verifier_init(&v);
	for (int i = 0; i < 2 * ROWS; i++)
		if (i != ROWS)
			audit_verifier_feed(&v, &rows[i]);
	assert_true(v.broken);
	assert_int_equal(v.chain, 5);
	assert_int_equal(v.broken_id, 2);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact_chain_verifies),
		cmocka_unit_test(test_hash_is_deterministic_and_field_sensitive),
		cmocka_unit_test(test_edited_row_is_found),
		cmocka_unit_test(test_deleted_row_is_found),
		cmocka_unit_test(test_renumbered_deletion_is_found),
		cmocka_unit_test(test_swapped_rows_are_found),
		cmocka_unit_test(test_first_break_is_kept),
		cmocka_unit_test(test_chains_verify_each_on_its_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
