/* The fault-injecting test store (store_fault.h). The forwarding functions and the method
 * table come from store_fault_calls.h, generated at build time from store.h. */
#include "store/store_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fault_store {
	store base;
	store *inner;
	long calls;
	long fail_at;
	const char *failed;
	void (*on_commit)(void *ctx);
	void *on_commit_ctx;
} fault_store;

static fault_store *fault_of(store *s)
{
	return (fault_store *)s;
}

static store *fault_inner(store *s)
{
	return fault_of(s)->inner;
}

/* Counts a call; true when it is the one to fail (errmsg then names it). */
static bool fault_trip(store *s, const char *method)
{
	fault_store *fs = fault_of(s);
	if (++fs->calls != fs->fail_at)
		return false;
	fs->failed = method;
	snprintf(s->errmsg, sizeof s->errmsg, "%s: injected failure (call %ld)", method, fs->calls);
	/* A backend's failed commit rolls back (store_sqlite.c's sq_commit), so the caller is not
	 * left holding a transaction it believes ended. */
	if (strcmp(method, "commit") == 0)
		store_rollback(fs->inner);
	return true;
}

/* Passes the wrapped store's result on, with its errmsg (callers read s->errmsg), and tells
 * the test of each transaction that reached the database. */
static store_rc fault_after(store *s, const char *method, store_rc rc)
{
	fault_store *fs = fault_of(s);
	if (rc != STORE_OK)
		memcpy(s->errmsg, fs->inner->errmsg, sizeof s->errmsg);
	else if (fs->on_commit != NULL && strcmp(method, "commit") == 0)
		fs->on_commit(fs->on_commit_ctx);
	return rc;
}

static void fault_close(store *s)
{
	store_close(fault_inner(s));
	free(s);
}

#include "store_fault_calls.h"

store *store_fault_wrap(store *inner, long fail_at)
{
	fault_store *fs = calloc(1, sizeof *fs);
	if (fs == NULL) {
		store_close(inner);
		return NULL;
	}
	fs->base.m = &fault_methods;
	fs->inner = inner;
	fs->fail_at = fail_at;
	return &fs->base;
}

store *store_fault_inner(store *s)
{
	return fault_inner(s);
}

long store_fault_calls(const store *s)
{
	return ((const fault_store *)s)->calls;
}

const char *store_fault_failed(const store *s)
{
	return ((const fault_store *)s)->failed;
}

void store_fault_on_commit(store *s, void (*fn)(void *ctx), void *ctx)
{
	fault_of(s)->on_commit = fn;
	fault_of(s)->on_commit_ctx = ctx;
}
