/* A request's audit rows in flight: its connection waits for them without holding a thread.
 *
 * An audited read is answered only once its audit row is durable. Waiting on a worker thread
 * caps the rows in one group commit at the number of threads (4), and with it the audited
 * reads a second. Instead the request hands its rows to the audit writer, is suspended in
 * libmicrohttpd when its reply is ready, and is resumed by the writer's thread once the last
 * row has committed; a failed row turns the reply into a 500 before anything is sent. */
#ifndef EXOSAFE_HTTP_AUDIT_WAIT_H
#define EXOSAFE_HTTP_AUDIT_WAIT_H

#include <stdbool.h>

#include "service/audit_writer.h"

struct MHD_Connection;
typedef struct audit_wait audit_wait;

/* A new wait for conn's rows, or NULL when memory is short. */
audit_wait *audit_wait_new(struct MHD_Connection *conn);

/* Queues a copy of row with the writer, counted against w. STORE_ERROR when the writer does
 * not take it (stopping); nothing is counted then. */
store_rc audit_wait_submit(audit_wait *w, audit_writer *aw, const audit_row *row);

/* Called by libmicrohttpd's thread once the reply is ready: suspends the connection and
 * returns true while rows are still in flight (the writer resumes it), false when all have
 * committed or failed already (answer now). */
bool audit_wait_suspend_if_pending(audit_wait *w);

/* True when a row of w failed to commit: the request must not be answered with its data. */
bool audit_wait_failed(audit_wait *w);

/* The request is over: frees w once the writer holds none of its rows. NULL is a no-op. */
void audit_wait_release(audit_wait *w);

#endif
