/* Group-committed audit rows for audited reads.
 *
 * A read of health data (GET /api/v1/me, a patient's profile, a recall list) must leave its
 * audit row durable before it is answered. Committing each row in its own transaction costs
 * one fsync per request and makes every reader queue for the write lock. The writer is one
 * thread with its own connection: requests hand it their rows and wait; it appends every row
 * waiting at that moment in one transaction (one fsync), in the order they arrived, then
 * wakes each request with the result. A row is never reported written unless its transaction
 * committed; on any failure every row of that batch gets STORE_ERROR and nothing of it stays.
 * Rows written by other transactions (write operations' own audit rows) interleave through
 * the store's write serialisation, so the hash chain stays one chain. */
#ifndef EXOSAFE_AUDIT_WRITER_H
#define EXOSAFE_AUDIT_WRITER_H

#include <stdint.h>

#include "store/store.h"

typedef struct audit_writer audit_writer;

/* Starts the writer thread on s, which it then owns (closed by audit_writer_stop, also on
 * failure here). NULL with err when the thread cannot start. */
audit_writer *audit_writer_start(store *s, char *err, size_t errlen);

/* Appends row (made with audit_row_make; id and hashes are filled in) and returns once its
 * transaction has committed: STORE_OK, or STORE_ERROR when the batch failed or the writer is
 * stopping. Safe from any number of threads; must not be called inside a transaction of the
 * same database (the writer would wait for it). */
store_rc audit_writer_append(audit_writer *w, audit_row *row);

/* Queues a copy of row and returns at once: on_done(ctx, rc) is then called on the writer's
 * thread once the row's transaction has committed (STORE_OK) or failed (STORE_ERROR), so a
 * request can wait without holding a thread. STORE_ERROR here, and on_done never called,
 * when the writer is stopping or memory is short. */
store_rc audit_writer_submit(audit_writer *w, const audit_row *row, void (*on_done)(void *ctx, store_rc rc),
                             void *ctx);

/* Writes every row queued, calls every on_done, and takes no more rows (append and submit
 * give STORE_ERROR); w stays valid until audit_writer_stop. The server drains before it
 * stops libmicrohttpd, so no connection is left suspended on a row. */
void audit_writer_drain(audit_writer *w);

/* Counters since start, for tests and the benchmark: rows handed in, rows committed, and
 * transactions committed or failed. */
typedef struct audit_writer_stats {
	int64_t submitted;
	int64_t committed;
	int64_t batches;
	int64_t failed_batches;
} audit_writer_stats;
void audit_writer_get_stats(audit_writer *w, audit_writer_stats *out);

/* Writes what is still queued, stops the thread, closes its store and frees w. NULL is a
 * no-op. */
void audit_writer_stop(audit_writer *w);

#endif
