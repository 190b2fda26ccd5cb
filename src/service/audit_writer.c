/* The audit writer thread (audit_writer.h). */
#include "service/audit_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* One request's row, on the request's stack while it waits. */
typedef struct audit_waiter {
	audit_row *row;
	store_rc rc;
	bool done;
	pthread_cond_t done_cond;
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
		for (audit_waiter *w = batch, *next; w != NULL; w = next) {
			next = w->next;  /* w is gone once its owner wakes */
			w->rc = rc;
			w->done = true;
			pthread_cond_signal(&w->done_cond);
		}
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
	pthread_mutex_lock(&aw->lock);
	aw->stopping = true;
	pthread_cond_signal(&aw->work);
	pthread_mutex_unlock(&aw->lock);
	pthread_join(aw->thread, NULL);
	pthread_mutex_destroy(&aw->lock);
	pthread_cond_destroy(&aw->work);
	store_close(aw->s);
	free(aw);
}
