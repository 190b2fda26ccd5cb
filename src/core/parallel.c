#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

unsigned parallel_workers(void)
{
	const char *env = getenv("EXOSAFE_THREADS");
	if (env != NULL) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*env && *end == '\0' && v >= 1 && v <= PARALLEL_MAX_WORKERS)
			return (unsigned)v;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > PARALLEL_MAX_WORKERS ? PARALLEL_MAX_WORKERS : (unsigned)n;
}

typedef struct job {
	size_t n, block;
	atomic_size_t next;
	parallel_range_fn fn;
	void *ctx;
} job;

typedef struct worker_arg {
	job *job;
	unsigned worker;
} worker_arg;

/* Takes blocks until none is left; returns after each block when progress is wanted. */
static int take_block(job *j, unsigned worker)
{
	size_t begin = atomic_fetch_add(&j->next, j->block);
	if (begin >= j->n)
		return 0;
	size_t end = j->n - begin < j->block ? j->n : begin + j->block;
	j->fn(j->ctx, begin, end, worker);
	return 1;
}

static void *worker_main(void *p)
{
	worker_arg *a = p;
	while (take_block(a->job, a->worker))
		;
	return NULL;
}

void parallel_for(size_t n, size_t block, parallel_range_fn fn, void *ctx, parallel_progress_fn progress,
                  void *progress_ctx)
{
	if (n == 0)
		return;
	unsigned workers = parallel_workers();
	if (block == 0) {
		block = n / ((size_t)workers * 64) + 1;
		if (block < 256)
			block = 256;
	}
	job j = {.n = n, .block = block, .fn = fn, .ctx = ctx};
	atomic_init(&j.next, 0);
	pthread_t tid[PARALLEL_MAX_WORKERS];
	worker_arg args[PARALLEL_MAX_WORKERS];
	unsigned started = 0;
	for (unsigned w = 1; w < workers && n > block; w++) {
		args[w] = (worker_arg){&j, w};
		if (pthread_create(&tid[w], NULL, worker_main, &args[w]) != 0)
			break;
		started = w;
	}
	while (take_block(&j, 0))
		if (progress) {
			size_t done = atomic_load(&j.next);
			progress(progress_ctx, done >= n ? 1.0 : (double)done / (double)n);
		}
	for (unsigned w = 1; w <= started; w++)
		pthread_join(tid[w], NULL);
	if (progress)
		progress(progress_ctx, 1.0);
}
