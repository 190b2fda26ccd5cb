/* The audit writer thread (audit_writer.h). */
#include "service/audit_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* One row: on the stack of a request waiting in audit_writer_append, or on the heap with
 * its own copy of the row and a function to call (audit_writer_submit). */
typedef struct audit_waiter {
	audit_row *row;
	store_rc rc;
	bool done;
	pthread_cond_t done_cond;
	void (*on_done)(void *ctx, store_rc rc); /* NULL: a waiting thread */
	void *ctx;
	audit_row copy;
	struct audit_waiter *next;
} audit_waiter;

/* At most this many rows in one transaction, so one batch never holds the write lock long. */
enum { AUDIT_BATCH_MAX = 512 };

struct audit_writer {
	store *s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;         /* rows arrived, or stop */
	audit_waiter *head, *tail;   /* waiting rows, oldest first */
	bool stopping;
	bool joined;
	audit_writer_stats stats;
};

/* Appends the batch in one transaction; the result for every row of it. */
static store_rc write_batch(store *s, audit_waiter *batch)
{
	if (store_begin(s) != STORE_OK)
		return STORE_ERROR;
	for (audit_waiter *w = batch; w != NULL; w = w->next) {
		if (store_audit_append(s, w->row) != STORE_OK) {
			fprintf(stderr, "exosafe: audit writer: %s\n", s->errmsg);
			store_rollback(s);
			return STORE_ERROR;
		}
	}
	if (store_commit(s) != STORE_OK) {
		fprintf(stderr, "exosafe: audit writer: %s\n", s->errmsg);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static void *writer_run(void *arg)
{
	audit_writer *aw = arg;
	pthread_mutex_lock(&aw->lock);
	for (;;) {
		while (aw->head == NULL && !aw->stopping)
			pthread_cond_wait(&aw->work, &aw->lock);
		if (aw->head == NULL)
			break;  /* stopping, and everything queued is written */
		/* Take the oldest rows, up to the batch limit. */
		audit_waiter *batch = aw->head, *last = aw->head;
		int n = 1;
		while (last->next != NULL && n < AUDIT_BATCH_MAX) {
			last = last->next;
			n++;
		}
		aw->head = last->next;
		if (aw->head == NULL)
			aw->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&aw->lock);

		store_rc rc = write_batch(aw->s, batch);

		pthread_mutex_lock(&aw->lock);
		if (rc == STORE_OK) {
			aw->stats.batches++;
			aw->stats.committed += n;
		} else {
			aw->stats.failed_batches++;
		}
		audit_waiter *callbacks = NULL;
		for (audit_waiter *w = batch, *next; w != NULL; w = next) {
			next = w->next;  /* w is gone once its owner wakes */
			w->rc = rc;
			if (w->on_done != NULL) {
				w->next = callbacks;
				callbacks = w;
				continue;
			}
			w->done = true;
			pthread_cond_signal(&w->done_cond);
		}
		/* Outside the lock: the functions take their own (a connection's resumption). */
		pthread_mutex_unlock(&aw->lock);
		for (audit_waiter *w = callbacks, *next; w != NULL; w = next) {
			next = w->next;
			w->on_done(w->ctx, w->rc);
			free(w);
		}
		pthread_mutex_lock(&aw->lock);
	}
	pthread_mutex_unlock(&aw->lock);
	return NULL;
}

audit_writer *audit_writer_start(store *s, char *err, size_t errlen)
{
	audit_writer *aw = calloc(1, sizeof *aw);
	if (aw == NULL) {
		snprintf(err, errlen, "out of memory");
		store_close(s);
		return NULL;
	}
	aw->s = s;
	pthread_mutex_init(&aw->lock, NULL);
	pthread_cond_init(&aw->work, NULL);
	if (pthread_create(&aw->thread, NULL, writer_run, aw) != 0) {
		snprintf(err, errlen, "cannot start the audit writer thread");
		pthread_mutex_destroy(&aw->lock);
		pthread_cond_destroy(&aw->work);
		store_close(s);
		free(aw);
		return NULL;
	}
	return aw;
}

store_rc audit_writer_append(audit_writer *aw, audit_row *row)
{
	audit_waiter me = {.row = row, .rc = STORE_ERROR};
	pthread_cond_init(&me.done_cond, NULL);
	pthread_mutex_lock(&aw->lock);
	if (aw->stopping) {
		pthread_mutex_unlock(&aw->lock);
		pthread_cond_destroy(&me.done_cond);
		return STORE_ERROR;
	}
	if (aw->tail != NULL)
		aw->tail->next = &me;
	else
		aw->head = &me;
	aw->tail = &me;
	aw->stats.submitted++;
	pthread_cond_signal(&aw->work);
	while (!me.done)
		pthread_cond_wait(&me.done_cond, &aw->lock);
	pthread_mutex_unlock(&aw->lock);
	pthread_cond_destroy(&me.done_cond);
	return me.rc;
}

store_rc audit_writer_submit(audit_writer *aw, const audit_row *row, void (*on_done)(void *ctx, store_rc rc),
                             void *ctx)
{
	audit_waiter *w = calloc(1, sizeof *w);
	if (w == NULL)
		return STORE_ERROR;
	w->copy = *row;
	w->row = &w->copy;
	w->rc = STORE_ERROR;
	w->on_done = on_done;
	w->ctx = ctx;
	pthread_mutex_lock(&aw->lock);
	if (aw->stopping) {
		pthread_mutex_unlock(&aw->lock);
		free(w);
		return STORE_ERROR;
	}
	if (aw->tail != NULL)
		aw->tail->next = w;
	else
		aw->head = w;
	aw->tail = w;
	aw->stats.submitted++;
	pthread_cond_signal(&aw->work);
	pthread_mutex_unlock(&aw->lock);
	return STORE_OK;
}

void audit_writer_drain(audit_writer *aw)
{
	if (aw == NULL)
		return;
	pthread_mutex_lock(&aw->lock);
	aw->stopping = true;
	pthread_cond_signal(&aw->work);
	bool joined = aw->joined;
	aw->joined = true;
	pthread_mutex_unlock(&aw->lock);
	if (!joined)
		pthread_join(aw->thread, NULL);
}

void audit_writer_get_stats(audit_writer *aw, audit_writer_stats *out)
{
	pthread_mutex_lock(&aw->lock);
	*out = aw->stats;
	pthread_mutex_unlock(&aw->lock);
}

void audit_writer_stop(audit_writer *aw)
{
	if (aw == NULL)
		return;
	audit_writer_drain(aw);
	pthread_mutex_destroy(&aw->lock);
	pthread_cond_destroy(&aw->work);
	store_close(aw->s);
	free(aw);
}
