/* A request's audit rows in flight (audit_wait.h). */
#include "http/audit_wait.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>

struct audit_wait {
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	int refs;         /* the request's own, plus one per row the writer holds */
	int outstanding;  /* rows not yet committed or failed */
	bool failed;
	bool suspended;   /* the connection waits for outstanding to reach 0 */
};

audit_wait *audit_wait_new(struct MHD_Connection *conn)
{
	audit_wait *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	w->conn = conn;
	w->refs = 1;
	return w;
}

static void drop_ref(audit_wait *w)
{
	pthread_mutex_lock(&w->lock);
	bool last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (last) {
		pthread_mutex_destroy(&w->lock);
		free(w);
	}
}

/* On the writer's thread, outside its lock. A suspended connection cannot end before it is
 * resumed, so conn is valid here; resuming outside w's lock keeps libmicrohttpd's locks
 * out of it. */
static void row_done(void *ctx, store_rc rc)
{
	audit_wait *w = ctx;
	pthread_mutex_lock(&w->lock);
	if (rc != STORE_OK)
		w->failed = true;
	bool resume = --w->outstanding == 0 && w->suspended;
	if (resume)
		w->suspended = false;
	pthread_mutex_unlock(&w->lock);
	if (resume)
		MHD_resume_connection(w->conn);
	drop_ref(w);
}

store_rc audit_wait_submit(audit_wait *w, audit_writer *aw, const audit_row *row)
{
	pthread_mutex_lock(&w->lock);
	w->refs++;
	w->outstanding++;
	pthread_mutex_unlock(&w->lock);
	if (audit_writer_submit(aw, row, row_done, w) == STORE_OK)
		return STORE_OK;
	pthread_mutex_lock(&w->lock);
	w->refs--;
	w->outstanding--;
	pthread_mutex_unlock(&w->lock);
	return STORE_ERROR;
}

bool audit_wait_suspend_if_pending(audit_wait *w)
{
	/* Suspended under the lock, so row_done cannot resume before the suspension. */
	pthread_mutex_lock(&w->lock);
	bool pending = w->outstanding > 0;
	if (pending) {
		w->suspended = true;
		MHD_suspend_connection(w->conn);
	}
	pthread_mutex_unlock(&w->lock);
	return pending;
}

bool audit_wait_failed(audit_wait *w)
{
	pthread_mutex_lock(&w->lock);
	bool failed = w->failed;
	pthread_mutex_unlock(&w->lock);
	return failed;
}

void audit_wait_release(audit_wait *w)
{
	if (w != NULL)
		drop_ref(w);
}
