/* A fault-injecting store for tests: it wraps a real store and fails the Nth method call.
 *
 * Every method of store_methods is forwarded to the wrapped store (the table is generated from
 * store.h by scripts/gen_store_calls.py, so it cannot fall behind the interface). Each call
 * except close and rollback is counted; the fail_at-th one returns STORE_ERROR with an errmsg
 * naming it, without reaching the wrapped store. close and rollback always work, because a
 * caller must always be able to give up. An injected commit failure leaves no transaction open,
 * as the SQLite backend's failed COMMIT does (it rolls back). Used by tests/fault to prove that
 * every service operation leaves nothing partial behind when any one store call fails. */
#ifndef EXOSAFE_STORE_FAULT_H
#define EXOSAFE_STORE_FAULT_H

#include "store/store.h"

/* Wraps inner, which the fault store owns from now on (store_close closes both). fail_at 0:
 * never fail (to count the calls an operation makes). NULL when out of memory (inner closed). */
store *store_fault_wrap(store *inner, long fail_at);

/* The wrapped store (to check it directly, e.g. that no transaction was left open). */
store *store_fault_inner(store *s);

/* How many calls were counted so far. */
long store_fault_calls(const store *s);

/* The method whose call was failed, or NULL when none was (fail_at not reached). */
const char *store_fault_failed(const store *s);

/* Calls fn(ctx) after each commit that succeeded, with no transaction open (a test reads the
 * database there: an operation made of several transactions must leave each one whole). */
void store_fault_on_commit(store *s, void (*fn)(void *ctx), void *ctx);

#endif
