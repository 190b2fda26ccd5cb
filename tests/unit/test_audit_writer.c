/* The audit writer: rows from many threads in one hash chain, each in its caller's order; a
 * caller returns only once its row is committed; rows waiting together share a transaction;
 * a failed batch is an error to every caller in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit_chain.h"
#include "service/audit_writer.h"
#include "store/store.h"

#include "testutil_store.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	store *s;
	audit_writer *w;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (test_store_open("auditw", f->dir, f->path, &f->s) != 0)
		return -1;
	char err[256];
	store *own = store_open_url(f->path, STORE_OPEN_CREATE, err, sizeof err);  /* SQLite, or PostgreSQL (TEST_PG) */
	if (own == NULL || (f->w = audit_writer_start(own, err, sizeof err)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	audit_writer_stop(f->w);
	int rc = test_store_close(f->dir, f->s);
	free(f);
	return rc;
}

enum { THREADS = 8, ROWS = 40 };

typedef struct appender {
	audit_writer *w;
	int index;
	int count;
	int failures;
} appender;

static void *append_run(void *arg)
{
	appender *a = arg;
	for (int i = 0; i < a->count; i++) {
		audit_row row;
		char object[32];
		snprintf(object, sizeof object, "t%d:%03d", a->index, i);
		audit_row_make(&row, a->index + 1, ROLE_PATIENT, "patient.profile.read", object, "");
		if (audit_writer_append(a->w, &row) != STORE_OK)
			a->failures++;
	}
	return NULL;
}

typedef struct chain_check {
	audit_verifier v;
	int last_seq[THREADS];
	int out_of_order;
	int rows;
} chain_check;

static int check_row(void *ctx, const audit_row *row)
{
	chain_check *c = ctx;
	audit_verifier_feed(&c->v, row);
	int t, seq;
	if (sscanf(row->object, "t%d:%d", &t, &seq) == 2 && t >= 0 && t < THREADS) {
		if (seq != c->last_seq[t] + 1)
			c->out_of_order++;
		c->last_seq[t] = seq;
		c->rows++;
	}
	return 0;
}

static void test_many_threads_one_chain_in_order(void **state)
{
	fixture *f = *state;
	pthread_t threads[THREADS];
	appender args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (appender){.w = f->w, .index = i, .count = ROWS};
		assert_int_equal(pthread_create(&threads[i], NULL, append_run, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	chain_check c = {0};
	audit_verifier_init(&c.v);
	for (int i = 0; i < THREADS; i++)
		c.last_seq[i] = -1;
	assert_int_equal(store_audit_each(f->s, check_row, &c), STORE_OK);
	assert_false(c.v.broken);
	assert_int_equal(c.rows, THREADS * ROWS);
	assert_int_equal(c.out_of_order, 0);
	audit_writer_stats st;
	audit_writer_get_stats(f->w, &st);
	assert_int_equal(st.submitted, THREADS * ROWS);
	assert_int_equal(st.committed, THREADS * ROWS);
	assert_int_equal(st.failed_batches, 0);
	assert_true(st.batches <= THREADS * ROWS);
}

static int newest(void *ctx, const audit_row *row)
{
	*(audit_row *)ctx = *row;
	return 1;
}

/* When append returns, another connection already reads the row: it was committed. Rows of
 * ordinary transactions on other connections join the same chain. */
static void test_row_is_committed_before_return(void **state)
{
	fixture *f = *state;
	for (int i = 0; i < 5; i++) {
		audit_row row, seen = {0};
		audit_row_make(&row, 7, ROLE_DOCTOR, "patient.profile.read", "patient:9", "");
		assert_int_equal(audit_writer_append(f->w, &row), STORE_OK);
		assert_true(row.id > 0);
		assert_int_equal(store_audit_recent(f->s, 1, newest, &seen), STORE_OK);
		assert_int_equal(seen.id, row.id);
		assert_string_equal(seen.hash, row.hash);
		assert_int_equal(store_audit_now(f->s, 0, ROLE_NONE, "auth.logout", "user:1", ""), STORE_OK);
	}
	chain_check c = {0};
	audit_verifier_init(&c.v);
	assert_int_equal(store_audit_each(f->s, check_row, &c), STORE_OK);
	assert_false(c.v.broken);
	assert_int_equal(c.v.rows_checked, 10);
}

/* Rows that arrive while the writer waits for the write lock go into one transaction. */
static void test_waiting_rows_share_a_transaction(void **state)
{
	fixture *f = *state;
	assert_int_equal(store_begin(f->s), STORE_OK);  /* the writer's next batch must wait */
	pthread_t threads[THREADS];
	appender args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (appender){.w = f->w, .index = i, .count = 1};
		assert_int_equal(pthread_create(&threads[i], NULL, append_run, &args[i]), 0);
	}
	audit_writer_stats st;
	for (int waited = 0; waited < 10000; waited += 10) {
		audit_writer_get_stats(f->w, &st);
		if (st.submitted == THREADS)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(st.submitted, THREADS);
	assert_int_equal(st.committed, 0);  /* nobody was answered while the lock was taken */
	assert_int_equal(store_commit(f->s), STORE_OK);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	audit_writer_get_stats(f->w, &st);
	assert_int_equal(st.committed, THREADS);
	assert_true(st.batches <= 2);  /* the one taken before the lock was free, then the rest */
}

/* A writer whose store cannot append (no audit table) answers every caller with an error and
 * leaves nothing behind. */
static void test_failed_batch_is_an_error(void **state)
{
	(void)state;
	char dir[] = "/tmp/exosafe-auditw-bad-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], err[256];
#ifdef TEST_PG
	assert_int_equal(test_pg_create_db(path, sizeof path), 0);
	store *own = store_pg_open(path, STORE_OPEN_EXISTING, err, sizeof err);
#else
	snprintf(path, sizeof path, "%s/empty.db", dir);
	store *own = store_sqlite_open(path, err, sizeof err);
#endif
	assert_non_null(own);
	audit_writer *w = audit_writer_start(own, err, sizeof err);
	assert_non_null(w);
	appender a = {.w = w, .index = 0, .count = 3};
	append_run(&a);
	assert_int_equal(a.failures, 3);
	audit_writer_stats st;
	audit_writer_get_stats(w, &st);
	assert_int_equal(st.committed, 0);
	assert_true(st.failed_batches >= 1);
	audit_writer_stop(w);
#ifdef TEST_PG
	assert_int_equal(test_pg_drop_db(path), 0);
#endif
	assert_int_equal(test_store_close(dir, NULL), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_threads_one_chain_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_is_committed_before_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_rows_share_a_transaction, setup, teardown),
		cmocka_unit_test(test_failed_batch_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
