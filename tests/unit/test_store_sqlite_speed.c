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
	sqlite3_busy_handler(impl(s)->db, count_busy, NULL);
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
	sqlite3_busy_handler(impl(s)->db, count_busy, NULL);
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

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_writers_queue_without_busy_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_waits_for_open_transaction, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
