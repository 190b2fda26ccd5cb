#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned workers_configured;
static pthread_once_t workers_once = PTHREAD_ONCE_INIT;

static void workers_init(void)
{
	workers_configured = 1;
	const char *env = getenv("EXOSAFE_THREADS");
	if (env != NULL) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*env && *end == '\0' && v >= 1 && v <= PARALLEL_MAX_WORKERS) {
			workers_configured = (unsigned)v;
			return;
		}
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n > 1)
		workers_configured = n > PARALLEL_MAX_WORKERS ? PARALLEL_MAX_WORKERS : (unsigned)n;
}

unsigned parallel_workers(void)
{
	pthread_once(&workers_once, workers_init);
	return workers_configured;
}

typedef struct job {
	size_t n, block;
	atomic_size_t next;
	parallel_range_fn fn;
	void *ctx;
} job;


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

/* The worker threads, started once and kept: a registry-sized run calls parallel_for
 * hundreds of times (every likelihood evaluation of the fit), and starting and joining
 * threads each time cost more than some of the work. They wait for a job's generation, take
 * blocks, and count themselves out. One caller at a time uses them (busy); a second caller,
 * or a nested call from a worker, runs its blocks on its own thread instead. */
typedef struct pool {
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	unsigned threads;       /* workers 1 .. threads */
	unsigned long generation;
	job *job;
	unsigned running;       /* pool threads not yet done with the current job */
} pool;

static pool the_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL, 0};
static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void *pool_main(void *p)
{
	unsigned worker = (unsigned)(uintptr_t)p;
	unsigned long seen = 0;
	pthread_mutex_lock(&the_pool.lock);
	for (;;) {
		while (the_pool.generation == seen)
			pthread_cond_wait(&the_pool.wake, &the_pool.lock);
		seen = the_pool.generation;
		job *j = the_pool.job;
		pthread_mutex_unlock(&the_pool.lock);
		while (take_block(j, worker))
			;
		pthread_mutex_lock(&the_pool.lock);
		if (--the_pool.running == 0)
			pthread_cond_signal(&the_pool.done);
	}
	return NULL;
}

static void pool_start(void)
{
	unsigned want = parallel_workers() - 1;
	for (unsigned w = 1; w <= want; w++) {
		pthread_t tid;
		if (pthread_create(&tid, NULL, pool_main, (void *)(uintptr_t)w) != 0)
			break;
		pthread_detach(tid);
		the_pool.threads = w;
	}
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
	bool pooled = workers > 1 && n > block && pthread_mutex_trylock(&pool_busy) == 0;
	if (pooled) {
		pthread_once(&pool_once, pool_start);
		if (the_pool.threads == 0) {
			pthread_mutex_unlock(&pool_busy);
			pooled = false;
		}
	}
	if (pooled) {
		pthread_mutex_lock(&the_pool.lock);
		the_pool.job = &j;
		the_pool.running = the_pool.threads;
		the_pool.generation++;
		pthread_cond_broadcast(&the_pool.wake);
		pthread_mutex_unlock(&the_pool.lock);
	}
	while (take_block(&j, 0))
		if (progress) {
			size_t done = atomic_load(&j.next);
			progress(progress_ctx, done >= n ? 1.0 : (double)done / (double)n);
		}
	if (pooled) {
		pthread_mutex_lock(&the_pool.lock);
		while (the_pool.running > 0)
			pthread_cond_wait(&the_pool.done, &the_pool.lock);
		pthread_mutex_unlock(&the_pool.lock);
		pthread_mutex_unlock(&pool_busy);
	}
	if (progress)
		progress(progress_ctx, 1.0);
}
