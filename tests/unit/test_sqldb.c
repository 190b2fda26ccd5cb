/* The SQL access layer's contract (src/store/sql/sqldb.h) on the SQLite driver: what the store's
 * portable SQL relies on — RETURNING ids, changes, constraint errors, NULL reads, ?NNN
 * parameters with gaps, bindings a statement does not have, released statements cleared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <string.h>

#include "store/sql/sqldb.h"

typedef struct fixture {
	sqlite3 *conn;
	sqldb *db;
} fixture;

static int setup(void **state)
{
	static fixture f;
	if (sqlite3_open(":memory:", &f.conn) != SQLITE_OK)
		return -1;
	f.db = sqldb_sqlite_wrap(f.conn);
	if (f.db == NULL)
		return -1;
	if (sqldb_exec(f.db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, data BLOB);"
	                     " CREATE TABLE u (k INTEGER PRIMARY KEY)") != SQLDB_DONE)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	sqldb_close(f->db);
	sqlite3_close(f->conn);
	return 0;
}

static int64_t insert(sqldb *db, const char *name, sqldb_rc *rc_out)
{
	sqldb_stmt *st = sqldb_prepare(db, "INSERT INTO t (name) VALUES (?) RETURNING id");
	assert_non_null(st);
	sqldb_bind_text(st, 1, name);
	int64_t id = 0;
	sqldb_rc rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		id = sqldb_column_int64(st, 0);
		rc = sqldb_step(st);
	}
	*rc_out = rc;
	if (rc == SQLDB_DONE)
		assert_int_equal(sqldb_changes(st), 1);
	sqldb_release(st);
	return id;
}

static void test_returning_changes_and_constraints(void **state)
{
	fixture *f = *state;
	assert_int_equal(sqldb_dialect_of(f->db), SQLDB_SQLITE);
	sqldb_rc rc;
	int64_t a = insert(f->db, "a", &rc);
	assert_int_equal(rc, SQLDB_DONE);
	int64_t b = insert(f->db, "b", &rc);
	assert_int_equal(rc, SQLDB_DONE);
	assert_true(a > 0 && b == a + 1);
	/* A UNIQUE violation is SQLDB_CONSTRAINT, with the database's message. */
	insert(f->db, "a", &rc);
	assert_int_equal(rc, SQLDB_CONSTRAINT);
	assert_non_null(strstr(sqldb_errmsg(f->db), "UNIQUE"));
	/* ON CONFLICT DO NOTHING: done, nothing changed, no row returned. */
	sqldb_stmt *st = sqldb_prepare(f->db, "INSERT INTO t (name) VALUES (?) ON CONFLICT DO NOTHING RETURNING id");
	sqldb_bind_text(st, 1, "a");
	assert_int_equal(sqldb_step(st), SQLDB_DONE);
	assert_int_equal(sqldb_changes(st), 0);
	sqldb_release(st);
	st = sqldb_prepare(f->db, "UPDATE t SET score = ?1 WHERE name IN ('a', 'b')");
	sqldb_bind_double(st, 1, 1.5);
	assert_int_equal(sqldb_step(st), SQLDB_DONE);
	assert_int_equal(sqldb_changes(st), 2);
	sqldb_release(st);
}

static void test_values_nulls_and_parameters(void **state)
{
	fixture *f = *state;
	const unsigned char bytes[] = {1, 0, 2, 0, 3};
	sqldb_stmt *st = sqldb_prepare(f->db, "INSERT INTO t (name, score, data) VALUES (?, ?, ?)");
	sqldb_bind_text(st, 1, "blob");
	sqldb_bind_null(st, 2);
	sqldb_bind_blob(st, 3, bytes, sizeof bytes);
	sqldb_bind_int(st, 9, 1);  /* not a parameter of this statement: ignored */
	assert_int_equal(sqldb_step(st), SQLDB_DONE);
	sqldb_release(st);
	st = sqldb_prepare(f->db, "SELECT score, data, name, NULL FROM t WHERE name = ?");
	sqldb_bind_text(st, 1, "blob");
	assert_int_equal(sqldb_step(st), SQLDB_ROW);
	assert_true(sqldb_column_is_null(st, 0));
	assert_true(sqldb_column_double(st, 0) == 0.0);
	size_t len = 0;
	const void *data = sqldb_column_blob(st, 1, &len);
	assert_int_equal(len, sizeof bytes);
	assert_memory_equal(data, bytes, sizeof bytes);
	assert_string_equal(sqldb_column_text(st, 2), "blob");
	assert_null(sqldb_column_text(st, 3));
	assert_int_equal(sqldb_column_int64(st, 3), 0);
	assert_false(sqldb_column_is_null(st, 2));
	assert_int_equal(sqldb_step(st), SQLDB_DONE);
	sqldb_release(st);
	/* ?NNN with gaps, each bound by its number, one used twice. */
	st = sqldb_prepare(f->db, "SELECT ?90 + ?2 * ?90, ?3");
	sqldb_bind_int64(st, 90, 10);
	sqldb_bind_int64(st, 2, INT64_C(3000000000));
	sqldb_bind_text(st, 3, "x");
	assert_int_equal(sqldb_step(st), SQLDB_ROW);
	assert_int_equal(sqldb_column_int64(st, 0), INT64_C(30000000010));
	assert_string_equal(sqldb_column_text(st, 1), "x");
	sqldb_release(st);
}

static void test_release_clears_and_errors(void **state)
{
	fixture *f = *state;
	const char *sql = "SELECT ?1";
	sqldb_stmt *st = sqldb_prepare(f->db, sql);
	sqldb_bind_int(st, 1, 7);
	assert_int_equal(sqldb_step(st), SQLDB_ROW);
	assert_int_equal(sqldb_column_int(st, 0), 7);
	sqldb_release(st);
	sqldb_stmt *again = sqldb_prepare(f->db, sql);
	assert_ptr_equal(again, st);  /* the cached statement */
	assert_int_equal(sqldb_step(again), SQLDB_ROW);
	assert_true(sqldb_column_is_null(again, 0));
	sqldb_release(again);
	assert_null(sqldb_prepare(f->db, "SELECT nope FROM nowhere"));
	assert_non_null(strstr(sqldb_errmsg(f->db), "no such"));
	assert_int_equal(sqldb_exec(f->db, "INSERT INTO u (k) VALUES (1); INSERT INTO u (k) VALUES (1)"), SQLDB_CONSTRAINT);
	assert_int_equal(sqldb_exec(f->db, "SELEC 1"), SQLDB_ERROR);
	sqldb_release(NULL);
}

static int never_called(void *ctx, char *line, size_t len)
{
	(void)ctx;
	(void)line;
	(void)len;
	fail_msg("a row from SQLite's copy_out");
	return 1;
}

/* COPY is PostgreSQL's: SQLite refuses it with a message, and the next error is SQLite's own. */
static void test_copy_out_not_supported(void **state)
{
	fixture *f = *state;
	assert_int_equal(sqldb_copy_out(f->db, "COPY (SELECT 1) TO STDOUT", never_called, NULL), SQLDB_ERROR);
	assert_non_null(strstr(sqldb_errmsg(f->db), "not supported"));
	assert_null(sqldb_prepare(f->db, "SELECT nope FROM nowhere"));
	assert_non_null(strstr(sqldb_errmsg(f->db), "no such"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_returning_changes_and_constraints),
		cmocka_unit_test(test_values_nulls_and_parameters),
		cmocka_unit_test(test_release_clears_and_errors),
		cmocka_unit_test(test_copy_out_not_supported),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
