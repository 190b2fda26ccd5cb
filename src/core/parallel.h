/* Data parallelism for the registry-scale steps (signal detection): a range [0, n) cut into
 * blocks that worker threads take in turn, so uneven blocks still keep every core busy. The
 * calling thread works too and is the one that reports progress. */
#ifndef EXOSAFE_PARALLEL_H
#define EXOSAFE_PARALLEL_H

#include <stddef.h>

/* Processes [begin, end) for worker number worker (0 .. parallel_workers() - 1). */
typedef void (*parallel_range_fn)(void *ctx, size_t begin, size_t end, unsigned worker);

/* Called on the calling thread with the fraction done (0..1) after each of its blocks. */
typedef void (*parallel_progress_fn)(void *ctx, double fraction);

/* The workers parallel_for uses: the online processors, at most PARALLEL_MAX_WORKERS; the
 * environment variable EXOSAFE_THREADS (1 .. PARALLEL_MAX_WORKERS) overrides it. */
#define PARALLEL_MAX_WORKERS 16
unsigned parallel_workers(void);

/* Runs fn over [0, n) in blocks of block items (0: a size chosen from n) on parallel_workers()
 * threads and returns when every block is done. The worker threads are started at the first
 * call and kept. A call made while another is running (from another thread, or from inside
 * a block) runs on the calling thread alone, as does every call when no thread can be
 * started, so it always completes. */
void parallel_for(size_t n, size_t block, parallel_range_fn fn, void *ctx, parallel_progress_fn progress,
                  void *progress_ctx);

#endif
