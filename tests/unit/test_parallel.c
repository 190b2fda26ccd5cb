/* core/parallel: every index is processed exactly once, by a worker number below
 * parallel_workers(), over many calls to the kept worker threads; a call from inside a
 * worker and calls from two threads at once still process everything. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/parallel.h"

typedef struct hits {
	atomic_uint *count;   /* [n]: times each index was processed */
	atomic_uint bad_worker;
	size_t n;
} hits;

static void mark(void *p, size_t begin, size_t end, unsigned worker)
{
	hits *h = p;
	if (worker >= parallel_workers())
		atomic_fetch_add(&h->bad_worker, 1);
	for (size_t i = begin; i < end; i++)
		atomic_fetch_add(&h->count[i], 1);
}

static void check_once(size_t n, size_t block)
{
	hits h = {calloc(n + 1, sizeof *h.count), 0, n};
	assert_non_null(h.count);
	parallel_for(n, block, mark, &h, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(atomic_load(&h.count[i]), 1);
	assert_int_equal(atomic_load(&h.bad_worker), 0);
	free(h.count);
}

static void test_every_index_once(void **state)
{
	(void)state;
	for (int round = 0; round < 500; round++) {   /* the same threads, job after job */
		check_once(1, 1);
		check_once(3, 1);
		check_once(1000, 7);
		check_once(100000, 0);
	}
}

/* A worker's block calls parallel_for again: the inner call runs on that thread. */
static void nested(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	hits *outer = p;
	for (size_t i = begin; i < end; i++) {
		check_once(50, 1);
		atomic_fetch_add(&outer->count[i], 1);
	}
}

static void test_nested_call(void **state)
{
	(void)state;
	hits h = {calloc(64, sizeof *h.count), 0, 64};
	assert_non_null(h.count);
	parallel_for(64, 1, nested, &h, NULL, NULL);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(atomic_load(&h.count[i]), 1);
	free(h.count);
}

static void *caller(void *p)
{
	(void)p;
	for (int round = 0; round < 200; round++)
		check_once(20000, 16);
	return NULL;
}

static void test_two_callers_at_once(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, caller, NULL), 0);
	caller(NULL);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_index_once),
		cmocka_unit_test(test_nested_call),
		cmocka_unit_test(test_two_callers_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
