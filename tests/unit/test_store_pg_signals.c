/* pg_ae_signal_pairs (src/store/pg/store_pg_signals.c) against the SQLite store's
 * ae_signal_pairs: the same adverse events, written with the same SQL into a migrated SQLite
 * store and into PostgreSQL through its migrations, give the same pairs, by product and by lot.
 * The terms_json values cover both of its readers: plain JSON read in place, and everything
 * else (escapes, UTF-8, reals, duplicates, bad JSON) through jansson. Run through
 * scripts/with-pg.sh (EXOSAFE_TEST_PG_URL); skipped without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migration.h"
#include "store/pg/store_pg_signals.h"
#include "store/sql/sqldb.h"
#include "store/store.h"
#include "testutil_store.h"

/* 260 bytes of product code: the item is cut at 255 bytes by both stores. */
#define LONG_CODE                                                                                      \
	"LONG-0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890" \
	"1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234"    \
	"56789012345678901234567890123456789012345678901234567890123456789012"

/* The same rows for both databases: portable SQL with explicit ids. */
static const char *const data_sql[] = {
	"INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES"
	" (101, 'p1@example.jp', '患者 一', 'patient', 'x', 0), (102, 'd1@example.jp', '医師', 'doctor', 'x', 0)",
	"INSERT INTO products (id, code, name_ja, name_en, form, manufacturer, country, source_cell_type,"
	" storage_min_c, storage_max_c, excursion_allowance_minutes, shelf_life_days, price_jpy, tax_rate_percent,"
	" created_at) VALUES"
	" (201, 'EXO-A', 'A', 'A', 'vial', 'm', 'JP', 'MSC', 2, 8, 0, 365, 1000, 10, 0),"
	" (202, 'EXO-B', 'B', 'B', 'vial', 'm', 'JP', 'MSC', 2, 8, 0, 365, 1000, 10, 0),"
	" (203, '" LONG_CODE "', 'L', 'L', 'vial', 'm', 'JP', 'MSC', 2, 8, 0, 365, 1000, 10, 0)",
	/* Lot 303 is clinic 2's: a clinic's staff see only their clinic's lots' pairs. */
	"INSERT INTO clinics (id, name) VALUES (2, 'two')",
	"INSERT INTO lots (id, product_id, lot_number, manufactured_on, expires_on, quantity_received,"
	" quantity_available, status, received_at, received_by, clinic_id) VALUES"
	" (301, 201, 'A-001', '2026-01-01', '2027-01-01', 10, 10, 'released', 0, 102, 1),"
	" (302, 201, 'A-002', '2026-01-01', '2027-01-01', 10, 10, 'released', 0, 102, 1),"
	" (303, 202, 'ロット\tB', '2026-01-01', '2027-01-01', 10, 10, 'released', 0, 102, 2),"
	" (304, 203, 'L\\1', '2026-01-01', '2027-01-01', 10, 10, 'released', 0, 102, 1)",
	NULL,
};

/* report id, assessment version, terms_json, suspect lots (0-terminated). */
typedef struct case_row {
	int64_t report;
	int version;
	const char *terms;
	int64_t lots[4];
} case_row;

static const case_row cases[] = {
	{1, 1, "[{\"code\":\"10012735\",\"grade\":2},{\"code\":\"10037087\",\"grade\":1}]", {301, 303}},
	{2, 1, "[{\"code\": 10012735, \"grade\": 3}, {\"code\": -0}]", {302}},
	{3, 1, "[{\"code\":\"発熱\",\"grade\":1}]", {301, 302, 303}},
	{4, 1, "[{\"code\":\"a\\u0041b\"},{\"code\":\"back\\\\slash\"},{\"code\":\"tab\\tnl\\n\"}]", {303}},
	{5, 1, "[{\"code\":1.5},{\"grade\":2},{\"code\":true},{\"code\":null},{\"code\":[\"x\"]}]", {301}},
	{6, 1, "not json", {301}},
	{7, 1, "[{\"code\":\"x\",\"code\":\"y\"}]", {302}},
	{8, 1, "[]", {301}},
	{9, 1, "{\"code\":\"top\"}", {301}},
	{10, 1, "[{\"code\":\"A\"},{\"code\":\"A\"},{\"code\":\"B\"}]", {301, 302}},
	{11, 1, "[{\"code\":\"raw\ttab\"}]", {301}},                                /* invalid JSON */
	{12, 1, "[{\"code\":99999999999999999999}]", {301}},                        /* too big for jansson */
	{13, 1, "[{\"code\":\"old\"}]", {301}},                                     /* replaced by version 2 */
	{13, 2, " \n[ { \"code\" : \"new\" , \"grade\" : 4 } ,\r\n{\"code\":\"newer\"} ] \t", {302, 303}},
	{14, 1, "[{\"code\":\"no lot\"}]", {0}},
	{15, 1, "[{\"code\":\"long\"},{\"code\":\"tail\"}]", {304, 301}},
	{16, 1, "[{\"code\":\"C\"}],", {301}},                                      /* trailing garbage */
	{17, 1, "[{\"code\":\"ok\"},{\"nested\":{\"code\":\"no\"}}]", {303}},
	{18, 1, "[{\"code\":01}]", {301}},                                          /* a leading zero */
	{19, 1, "[{\"code\":\"\"}]", {301}},
};

static const char *pg_url(void)
{
	const char *u = getenv("EXOSAFE_TEST_PG_URL");
	return u && *u ? u : NULL;
}

static void exec_ok(sqldb *db, const char *sql)
{
	if (sqldb_exec(db, sql) != SQLDB_DONE)
		fail_msg("%s: %s", sql, sqldb_errmsg(db));
}

/* Writes the rows into db (either dialect) with the same statements. */
static void load(sqldb *db)
{
	for (int i = 0; data_sql[i]; i++)
		exec_ok(db, data_sql[i]);
	int64_t assessment = 500;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const case_row *c = &cases[i];
		if (c->version == 1) {
			sqldb_stmt *st = sqldb_prepare(db, "INSERT INTO ae_reports (id, patient_id, reported_by, reporter_role,"
			                                   " symptoms_json, description, onset_date, ongoing, severity, received_at)"
			                                   " VALUES (?, 101, 101, 'patient', '[]', '', '2026-02-01', 0, 'mild', 0)");
			assert_non_null(st);
			sqldb_bind_int64(st, 1, c->report);
			assert_int_equal(sqldb_step(st), SQLDB_DONE);
			sqldb_release(st);
		}
		sqldb_stmt *st = sqldb_prepare(db, "INSERT INTO ae_assessments (id, report_id, version, terms_json, death,"
		                                   " life_threatening, hospitalization, disability, congenital_anomaly,"
		                                   " other_medically_important, serious, outcome, causality, assessed_by,"
		                                   " assessed_at) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 'unknown',"
		                                   " 'possible', 102, 0)");
		assert_non_null(st);
		sqldb_bind_int64(st, 1, ++assessment);
		sqldb_bind_int64(st, 2, c->report);
		sqldb_bind_int(st, 3, c->version);
		sqldb_bind_text(st, 4, c->terms);
		if (sqldb_step(st) != SQLDB_DONE)
			fail_msg("assessment %lld: %s", (long long)assessment, sqldb_errmsg(db));
		sqldb_release(st);
		for (int k = 0; c->lots[k]; k++) {
			st = sqldb_prepare(db, "INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (?, ?)");
			sqldb_bind_int64(st, 1, assessment);
			sqldb_bind_int64(st, 2, c->lots[k]);
			assert_int_equal(sqldb_step(st), SQLDB_DONE);
			sqldb_release(st);
		}
	}
}

/* Pairs as "report|item|event" lines, in the order given. */
typedef struct pair_list {
	char **lines;
	size_t n, cap;
	size_t stop_after;   /* 0: never stop */
} pair_list;

static int collect(void *ctx, int64_t report_id, const char *item, const char *event)
{
	pair_list *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->lines = realloc(l->lines, l->cap * sizeof *l->lines);
		assert_non_null(l->lines);
	}
	size_t len = strlen(item) + strlen(event) + 32;
	l->lines[l->n] = malloc(len);
	snprintf(l->lines[l->n], len, "%lld|%s|%s", (long long)report_id, item, event);
	l->n++;
	return l->stop_after && l->n == l->stop_after;
}

static void list_free(pair_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->lines[i]);
	free(l->lines);
	*l = (pair_list){0};
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pairs of each report are a set: SQLite orders only by report, so its rows within one may
 * come in another order. Sorted, the two lists must be equal; unsorted, both keep reports in
 * ascending order. */
static void assert_same_pairs(pair_list *lite, pair_list *pg)
{
	for (size_t i = 1; i < pg->n; i++)
		assert_true(strtoll(pg->lines[i - 1], NULL, 10) <= strtoll(pg->lines[i], NULL, 10));
	/* An empty list has no array (a scope of no clinic): qsort must not be handed NULL. */
	if (lite->n > 0)
		qsort(lite->lines, lite->n, sizeof *lite->lines, by_text);
	if (pg->n > 0)
		qsort(pg->lines, pg->n, sizeof *pg->lines, by_text);
	for (size_t i = 0; i < lite->n && i < pg->n; i++)
		assert_string_equal(pg->lines[i], lite->lines[i]);
	assert_int_equal(pg->n, lite->n);
}

static void test_same_pairs_as_sqlite(void **state)
{
	(void)state;
	if (pg_url() == NULL) {
		print_message("EXOSAFE_TEST_PG_URL not set: run through scripts/with-pg.sh\n");
		skip();
	}
	char dir[64], path[128];
	store *lite = NULL;
	assert_int_equal(test_store_open("pgsignals", dir, path, &lite), 0);
	sqlite3 *conn;
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	sqldb *lite_db = sqldb_sqlite_wrap(conn);
	load(lite_db);
	sqldb_close(lite_db);
	sqlite3_close(conn);

	char err[256] = "";
	sqldb *pg = sqldb_pg_open(pg_url(), err, sizeof err);
	if (pg == NULL)
		fail_msg("open: %s", err);
	exec_ok(pg, "DROP SCHEMA IF EXISTS pgsignals CASCADE; CREATE SCHEMA pgsignals; SET search_path TO pgsignals");
	for (int i = 0; i < pg_migrations_count; i++)
		exec_ok(pg, pg_migrations[i].sql);
	load(pg);

	/* Every clinic, clinic 1, clinic 2 (lot 303 only) and none: the same pairs from both stores. */
	static const int64_t scopes[] = {STORE_SCOPE_ALL, 1, 2, STORE_SCOPE_NONE};
	for (size_t k = 0; k < sizeof scopes / sizeof scopes[0]; k++) {
		int64_t scope = scopes[k];
		store_scope_clinic(lite, scope);
		for (int by_lot = 0; by_lot <= 1; by_lot++) {
			pair_list a = {0}, b = {0}, c = {0};
			assert_int_equal(store_ae_signal_pairs(lite, by_lot, collect, &a), STORE_OK);
			if (pg_ae_signal_pairs(pg, by_lot, scope, collect, &b, err, sizeof err) != STORE_OK)
				fail_msg("pg_ae_signal_pairs: %s", err);
			if (pg_ae_signal_pairs_stepped(pg, by_lot, scope, collect, &c, err, sizeof err) != STORE_OK)
				fail_msg("pg_ae_signal_pairs_stepped: %s", err);
			/* COPY and row by row: the same pairs in the same order. */
			assert_int_equal(b.n, c.n);
			for (size_t i = 0; i < b.n; i++)
				assert_string_equal(b.lines[i], c.lines[i]);
			if (scope == STORE_SCOPE_ALL)
				assert_true(b.n > 20);
			if (scope == 1 || scope == 2)
				assert_true(b.n >= 6);
			if (scope == STORE_SCOPE_NONE)
				assert_int_equal(b.n, 0);
			/* Clinic 2 sees its lot 303's pairs (product EXO-B) and nothing of clinic 1's lots. */
			for (size_t i = 0; i < b.n; i++) {
				bool lot_303 = strstr(b.lines[i], "|EXO-B") != NULL;
				assert_true(scope == 2 ? lot_303 : scope == 1 ? !lot_303 : true);
			}
			assert_same_pairs(&a, &b);
			list_free(&a);
			list_free(&b);
			list_free(&c);
		}
	}
	store_scope_clinic(lite, STORE_SCOPE_ALL);

	/* The callback stops: no more calls, STORE_OK, and the connection goes on. */
	pair_list few = {.stop_after = 3};
	assert_int_equal(pg_ae_signal_pairs(pg, false, STORE_SCOPE_ALL, collect, &few, err, sizeof err), STORE_OK);
	assert_int_equal(few.n, 3);
	list_free(&few);
	/* A missing table is an error with PostgreSQL's message. */
	exec_ok(pg, "SET search_path TO pg_catalog");
	assert_int_equal(pg_ae_signal_pairs(pg, false, STORE_SCOPE_ALL, collect, &few, err, sizeof err), STORE_ERROR);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(few.n, 0);
	exec_ok(pg, "DROP SCHEMA pgsignals CASCADE");
	sqldb_close(pg);
	assert_int_equal(test_store_close(dir, lite), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_pairs_as_sqlite),
	};
	return cmocka_run_group_tests_name("store_pg_signals", tests, NULL, NULL);
}
