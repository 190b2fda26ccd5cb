/* The SQLite backend under concurrency: writers of one process queue at the write gate (never
 * in SQLite's sleeping busy handler), and prepared statements are reused per connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/credentials.h"
#include "service/accounts.h"
#include "store/store.h"
#include "store/sqlite/sqlite_internal.h"

#include "testutil_store.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	store *s;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (test_store_open("speed", f->dir, f->path, &f->s) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	int rc = test_store_close(f->dir, f->s);
	free(f);
	return rc;
}

/* Counts SQLite's busy callbacks and gives up at once: a writer that collides with another
 * fails instead of sleeping, so a failure is a collision the gate should have queued. */
static atomic_int busy_calls;

static int count_busy(void *ctx, int tries)
{
	(void)ctx;
	(void)tries;
	atomic_fetch_add(&busy_calls, 1);
	return 0;
}

enum { WRITERS = 8, ROUNDS = 60 };

typedef struct writer_arg {
	const char *path;
	int index;
	int failures;
} writer_arg;

static void *writer_run(void *arg)
{
	writer_arg *w = arg;
	char err[256];
	store *s = store_sqlite_open(w->path, err, sizeof err);
	if (s == NULL) {
		w->failures = ROUNDS;
		return NULL;
	}
	sqlite3_busy_handler(sq_impl(s)->db, count_busy, NULL);
	char subject[64];
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(subject, sizeof subject, "writer-%d-%d", w->index, i);
		/* A transaction of two writes, then an autocommit write: both queue. */
		if (store_begin(s) != STORE_OK || store_login_failure_add(s, subject, i) != STORE_OK ||
		    store_login_failure_add(s, subject, i + 1) != STORE_OK || store_commit(s) != STORE_OK) {
			store_rollback(s);
			w->failures++;
		}
		if (store_login_failure_add(s, subject, i + 2) != STORE_OK)
			w->failures++;
	}
	store_close(s);
	return NULL;
}

static void test_concurrent_writers_queue_without_busy_waits(void **state)
{
	fixture *f = *state;
	atomic_store(&busy_calls, 0);
	pthread_t threads[WRITERS];
	writer_arg args[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		args[i] = (writer_arg){.path = f->path, .index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, writer_run, &args[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(atomic_load(&busy_calls), 0);
	int64_t count = 0;
	for (int i = 0; i < WRITERS; i++) {
		int64_t n = 0;
		char subject[64];
		snprintf(subject, sizeof subject, "writer-%d-%d", i, ROUNDS - 1);
		assert_int_equal(store_login_failure_count(f->s, subject, 0, &n), STORE_OK);
		count += n;
	}
	assert_int_equal(count, WRITERS * 3);
	/* Every commit was acknowledged after a sync that covered it; syncs were shared. */
	bool enabled;
	uint64_t committed, durable, syncs;
	sqlite_group_commit_counts(f->s, &enabled, &committed, &durable, &syncs);
	assert_true(enabled);
	assert_true(committed >= WRITERS * ROUNDS * 2);
	assert_int_equal(durable, committed);
	assert_true(syncs >= 1 && syncs <= committed);
	printf("group commit: %llu commits, %llu syncs\n", (unsigned long long)committed, (unsigned long long)syncs);
}

/* Alone, each commit syncs the WAL before it returns (synchronous=NORMAL leaves that to us). */
static void test_each_commit_is_synced_before_it_returns(void **state)
{
	fixture *f = *state;
	bool enabled;
	uint64_t committed, durable, syncs, syncs_before;
	sqlite_group_commit_counts(f->s, &enabled, &committed, &durable, &syncs_before);
	assert_true(enabled);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(store_begin(f->s), STORE_OK);
		assert_int_equal(store_login_failure_add(f->s, "alone", i), STORE_OK);
		assert_int_equal(store_commit(f->s), STORE_OK);
		sqlite_group_commit_counts(f->s, &enabled, &committed, &durable, &syncs);
		assert_int_equal(durable, committed);
		assert_int_equal(syncs, syncs_before + (uint64_t)i);
	}
	/* An autocommit write too. */
	assert_int_equal(store_login_failure_add(f->s, "alone", 9), STORE_OK);
	sqlite_group_commit_counts(f->s, &enabled, &committed, &durable, &syncs);
	assert_int_equal(durable, committed);
	assert_int_equal(syncs, syncs_before + 4);
	/* A rollback commits nothing and syncs nothing. */
	assert_int_equal(store_begin(f->s), STORE_OK);
	store_rollback(f->s);
	sqlite_group_commit_counts(f->s, &enabled, &committed, &durable, &syncs);
	assert_int_equal(syncs, syncs_before + 4);
}

typedef struct late_writer {
	const char *path;
	atomic_int began;
	store_rc rc;
} late_writer;

static void *late_writer_run(void *arg)
{
	late_writer *w = arg;
	char err[256];
	store *s = store_sqlite_open(w->path, err, sizeof err);
	if (s == NULL)
		return NULL;
	sqlite3_busy_handler(sq_impl(s)->db, count_busy, NULL);
	w->rc = store_begin(s);
	atomic_store(&w->began, 1);
	if (w->rc == STORE_OK)
		w->rc = store_login_failure_add(s, "late", 1);
	if (w->rc == STORE_OK)
		w->rc = store_commit(s);
	store_close(s);
	return NULL;
}

/* A writer that arrives while another connection's transaction is open waits for it (however
 * long it lasts) and then goes in, instead of failing or sleeping in the busy handler. */
static void test_writer_waits_for_open_transaction(void **state)
{
	fixture *f = *state;
	atomic_store(&busy_calls, 0);
	assert_int_equal(store_begin(f->s), STORE_OK);
	late_writer w = {.path = f->path, .rc = STORE_ERROR};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, late_writer_run, &w), 0);
	usleep(100 * 1000);
	assert_int_equal(atomic_load(&w.began), 0);
	assert_int_equal(store_login_failure_add(f->s, "first", 1), STORE_OK);
	assert_int_equal(store_commit(f->s), STORE_OK);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, STORE_OK);
	assert_int_equal(atomic_load(&busy_calls), 0);
	/* A rollback passes the turn on as well. */
	assert_int_equal(store_begin(f->s), STORE_OK);
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s), STORE_OK);
	assert_int_equal(store_commit(f->s), STORE_OK);
}

/* No statement of the connection holds a read snapshot (each was reset). */
static void assert_no_statement_busy(sqlite3 *db)
{
	for (sqlite3_stmt *p = sqlite3_next_stmt(db, NULL); p != NULL; p = sqlite3_next_stmt(db, p))
		assert_int_equal(sqlite3_stmt_busy(p), 0);
}

/* The same SQL gives back the same statement, reset and with its bindings cleared (the SQLite
 * driver's statement cache, src/store/sql/sqldb_sqlite.c). */
static void test_statement_cache_reuses_and_resets(void **state)
{
	fixture *f = *state;
	sqlite_store *ss = sq_impl(f->s);
	const char *sql = "SELECT ?1 UNION ALL SELECT 2";
	sqldb_stmt *st = sql_prepare(&ss->sql_base, sql);
	assert_non_null(st);
	sqldb_bind_int(st, 1, 7);
	assert_int_equal(sqldb_step(st), SQLDB_ROW);
	assert_int_equal(sqldb_column_int(st, 0), 7);
	/* Stopped with a row left: released, it must hold no read snapshot. */
	sqldb_release(st);
	assert_no_statement_busy(ss->db);
	sqldb_stmt *again = sql_prepare(&ss->sql_base, sql);
	assert_ptr_equal(again, st);
	assert_int_equal(sqldb_step(again), SQLDB_ROW);
	assert_true(sqldb_column_is_null(again, 0));  /* the 7 is gone */
	/* Used again while handed out (a nested query): a separate statement, finalized on release. */
	sqldb_stmt *nested = sql_prepare(&ss->sql_base, sql);
	assert_non_null(nested);
	assert_ptr_not_equal(nested, again);
	sqldb_release(nested);
	sqldb_release(again);
	assert_ptr_equal(sql_prepare(&ss->sql_base, sql), st);
	sqldb_release(st);
	/* A bad query fails with the message, and nothing is cached for it. */
	assert_null(sql_prepare(&ss->sql_base, "SELECT nope FROM nowhere"));
	assert_non_null(strstr(f->s->errmsg, "no such"));
	sqldb_release(NULL);
}

/* A store read run many times runs one prepared statement, and the connection's statements do
 * not grow with the number of calls. */
static void test_store_reads_do_not_prepare_per_call(void **state)
{
	fixture *f = *state;
	sqlite_store *ss = sq_impl(f->s);
	int64_t n;
	assert_int_equal(store_login_failure_count(f->s, "x", 0, &n), STORE_OK);
	int before = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(ss->db, NULL); st != NULL; st = sqlite3_next_stmt(ss->db, st))
		before++;
	for (int i = 0; i < 100; i++)
		assert_int_equal(store_login_failure_count(f->s, "x", 0, &n), STORE_OK);
	int after = 0;
	sqlite3_stmt *counted = NULL;
	for (sqlite3_stmt *st = sqlite3_next_stmt(ss->db, NULL); st != NULL; st = sqlite3_next_stmt(ss->db, st)) {
		after++;
		if (strstr(sqlite3_sql(st), "FROM login_failures WHERE subject") != NULL)
			counted = st;
	}
	assert_int_equal(after, before);
	assert_non_null(counted);
	assert_int_equal(sqlite3_stmt_status(counted, SQLITE_STMTSTATUS_RUN, 0), 101);
	assert_int_equal(sqlite3_stmt_busy(counted), 0);
}

/* Resolving a session reads; it writes last-seen only when that is a minute old (a third of
 * a shorter idle limit), and the idle limit still ends the session. */
static void test_session_resolve_writes_last_seen_rarely(void **state)
{
	fixture *f = *state;
	user_record u = {.role = ROLE_PATIENT};
	snprintf(u.email, sizeof u.email, "seen@patient.example");
	snprintf(u.name, sizeof u.name, "Seen");
	snprintf(u.password_hash, sizeof u.password_hash, "x");
	assert_int_equal(store_user_insert(f->s, &u), STORE_OK);
	char token[TOKEN_TEXT_MAX];
	token_random(token);
	session_record r = {.user_id = u.id, .created_at = 1000, .last_seen_at = 1000};
	token_hash(token, r.token_hash);
	snprintf(r.csrf_token, sizeof r.csrf_token, "c");
	assert_int_equal(store_session_insert(f->s, &r), STORE_OK);
	session_limits lim = {.idle_seconds = 1800, .absolute_seconds = 43200};
	session_record got, stored;
	user_record who;
	int before = sqlite3_total_changes(sq_impl(f->s)->db);
	for (int64_t t = 1001; t < 1060; t += 7)
		assert_int_equal(accounts_session_resolve(f->s, &lim, token, t, &got, &who), ACCOUNTS_OK);
	assert_int_equal(sqlite3_total_changes(sq_impl(f->s)->db), before);  /* no write within the minute */
	assert_int_equal(accounts_session_resolve(f->s, &lim, token, 1060, &got, &who), ACCOUNTS_OK);
	assert_int_equal(store_session_get(f->s, r.token_hash, &stored), STORE_OK);
	assert_int_equal(stored.last_seen_at, 1060);
	/* A 90 s idle limit refreshes every 30 s, so activity every 30 s keeps the session. */
	lim.idle_seconds = 90;
	for (int64_t t = 1090; t <= 1300; t += 30)
		assert_int_equal(accounts_session_resolve(f->s, &lim, token, t, &got, &who), ACCOUNTS_OK);
	assert_int_equal(store_session_get(f->s, r.token_hash, &stored), STORE_OK);
	assert_int_equal(stored.last_seen_at, 1300);
	assert_int_equal(accounts_session_resolve(f->s, &lim, token, 1300 + 90, &got, &who), ACCOUNTS_SESSION_INVALID);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_writers_queue_without_busy_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_waits_for_open_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_commit_is_synced_before_it_returns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_cache_reuses_and_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_reads_do_not_prepare_per_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_resolve_writes_last_seen_rarely, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
