/* Shared by the SQLite backend's files; not part of the storage interface. */
#ifndef EXOSAFE_SQLITE_INTERNAL_H
#define EXOSAFE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

typedef struct sqlite_store {
	store base;
	sqlite3 *db;
	int in_transaction;
} sqlite_store;

static inline sqlite_store *impl(store *s)
{
	return (sqlite_store *)s;
}

/* Records sqlite's message for what in errmsg; returns STORE_ERROR. */
store_rc sqlite_fail(sqlite_store *ss, const char *what);
/* Prepares sql; NULL (and errmsg set) on failure. */
sqlite3_stmt *sqlite_prepare(sqlite_store *ss, const char *sql);
/* Copies a text column into a fixed buffer ("" for NULL), truncating to fit. */
void sqlite_copy_text(char *dst, size_t dstlen, sqlite3_stmt *st, int col);
/* Steps a statement that returns no rows and finalizes it; STORE_CONFLICT on a constraint. */
store_rc sqlite_step_done(sqlite_store *ss, sqlite3_stmt *st, const char *what);
/* Steps a statement that returns at most one row; on a row calls read(st, out) and returns
 * STORE_OK, else STORE_NOT_FOUND or STORE_ERROR. Finalizes the statement. */
store_rc sqlite_step_one(sqlite_store *ss, sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out), void *out,
                         const char *what);

/* The intake methods (store_sqlite_intake.c), installed in the method table. */
store_rc sqlite_slot_insert(store *s, slot_record *slot);
store_rc sqlite_slot_get(store *s, int64_t id, slot_record *out);
store_rc sqlite_slot_delete(store *s, int64_t id);
store_rc sqlite_slot_list(store *s, const slot_query *q, store_slot_fn fn, void *ctx);
store_rc sqlite_booking_insert(store *s, booking_record *booking);
store_rc sqlite_booking_get(store *s, int64_t id, booking_record *out);
store_rc sqlite_booking_cancel(store *s, int64_t id, int64_t now);
store_rc sqlite_booking_list(store *s, int64_t patient_id, bool upcoming_only, int64_t now, store_booking_fn fn,
                             void *ctx);
store_rc sqlite_response_insert(store *s, response_record *r);
store_rc sqlite_response_get(store *s, int64_t id, response_record *out);
store_rc sqlite_response_latest(store *s, int64_t patient_id, response_record *out);
store_rc sqlite_consent_insert(store *s, consent_record *c);
store_rc sqlite_consent_latest(store *s, int64_t patient_id, consent_record *out);
store_rc sqlite_consent_withdraw(store *s, int64_t id, int64_t now);
store_rc sqlite_decision_insert(store *s, decision_record *d);
store_rc sqlite_decision_for_response(store *s, int64_t response_id, decision_record *out);
store_rc sqlite_decision_latest(store *s, int64_t patient_id, decision_record *out);
store_rc sqlite_review_queue(store *s, store_review_fn fn, void *ctx);

#endif
