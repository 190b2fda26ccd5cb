/* Shared by the SQLite backend's files; not part of the storage interface. */
#ifndef EXOSAFE_SQLITE_INTERNAL_H
#define EXOSAFE_SQLITE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store/sql/sqldb.h"
#include "store/store.h"

struct sqlite_write_gate;

typedef struct sqlite_store {
	store base;
	sqlite3 *db;               /* for what stays SQLite-only: write gate, PRAGMAs, backup, checks */
	sqldb *sql;                /* db wrapped for the store's queries (src/store/sql/sqldb.h) */
	int64_t changes;           /* rows changed by the last sql_step_done / sql_insert */
	int in_transaction;
	/* This process's write gate for the database file (store_sqlite.c), found at the first
	 * write; held from BEGIN IMMEDIATE to COMMIT / ROLLBACK. */
	struct sqlite_write_gate *gate;
	int64_t data_version;      /* PRAGMA data_version when data_generation last looked */
	bool group_commit;         /* synchronous=NORMAL, the WAL synced by wait_durable */
} sqlite_store;

static inline sqlite_store *impl(store *s)
{
	return (sqlite_store *)s;
}

/* The table of applied migrations, created before the first one runs. */
#define SQLITE_SCHEMA_VERSION_TABLE \
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"

/* store_sqlite_schema.c: the schema_check, integrity_check and snapshot_to methods. */
store_rc sqlite_schema_check(store *s, store_schema_status *out);
store_rc sqlite_integrity_check(store *s);
store_rc sqlite_snapshot_to(store *s, const char *path);
/* Opens path read-only without writing anything beside it, read-only folders included (see
 * STORE_OPEN_READ_ONLY). NULL with the reason in err on failure. */
sqlite3 *sqlite_open_read_only(const char *path, char *err, size_t errlen);

/* The group commit's counters for s's database file (for tests): whether s commits that way,
 * commits numbered, commits synced, and syncs made. */
void sqlite_group_commit_counts(store *s, bool *enabled, uint64_t *committed, uint64_t *durable, uint64_t *syncs);

/* Records sqlite's message for what in errmsg; returns STORE_ERROR. */
store_rc sql_fail(sqlite_store *ss, const char *what);
/* True when st (of the SQLite driver) does not write: such a statement skips the write gate. */
bool sqldb_sqlite_stmt_readonly(sqldb_stmt *st);
/* sqldb_prepare on ss's connection; NULL with "prepare: <why>" in errmsg on failure. Give the
 * statement back with sqldb_release. */
sqldb_stmt *sql_prepare(sqlite_store *ss, const char *sql);
/* Copies a text column into a fixed buffer ("" for NULL), truncating to fit. */
void sql_copy_text(char *dst, size_t dstlen, sqldb_stmt *st, int col);
/* Steps a statement that returns no rows and releases it; STORE_CONFLICT on a constraint. */
store_rc sql_step_done(sqlite_store *ss, sqldb_stmt *st, const char *what);
/* Steps a listing statement, calling read(st, row) then fn(ctx, row) per row until fn returns
 * non-zero; releases the statement. */
store_rc sql_each_row(sqlite_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *row), void *row,
                         int (*fn)(void *ctx, const void *row), void *ctx, const char *what);
/* Steps a statement that returns at most one row; on a row calls read(st, out) and returns
 * STORE_OK, else STORE_NOT_FOUND or STORE_ERROR. Releases the statement. */
store_rc sql_step_one(sqlite_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *out), void *out,
                         const char *what);

/* A staff list's filter (list_filter) as SQL, shared by the list queries: bind it with
 * sql_bind_filter. u is the alias of the patient's users row, pp of their profile, num the
 * row's own number column. Parameters ?90 to ?96 are reserved for it. */
/* "%p%" with LIKE's wildcards (% _) and the escape character in p taken literally, so a search
 * for "10%" finds "10%" and not everything starting with "10" (ESCAPE '\'). */
#define SQL_LIKE_CONTAINS(p) "('%' || replace(replace(replace(" p ", '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')"
/* col contains p, ignoring ASCII case as SQLite's LIKE does; PostgreSQL's LIKE does not, so both
 * sides are lowered (ASCII only: SQLite without ICU, PostgreSQL in the C locale). */
#define SQL_CONTAINS(col, p) "lower(" col ") LIKE lower(" SQL_LIKE_CONTAINS(p) ") ESCAPE '\\'"
#define SQL_PATIENT_MATCH(u, pp, num)                                                                                 \
	"(?90 = 0 OR " SQL_CONTAINS("replace(replace(" u ".name, ' ', ''), '　', '')", "?91")                           \
	" OR " SQL_CONTAINS("replace(replace(replace(coalesce(" pp ".name_kana, ''), ' ', ''), '　', ''), '・', '')", "?92") \
	" OR " num " = ?93)"
/* The CAST types the parameter for PostgreSQL, which cannot infer it from "IS NULL" alone. */
#define SQL_STATUS_MATCH(col) "(CAST(?94 AS TEXT) IS NULL OR " col " = ?94)"
#define SQL_PAGE " LIMIT ?95 OFFSET ?96"
/* Binds f (NULL: no filter) to the parameters of SQL_PATIENT_MATCH, SQL_STATUS_MATCH and SQL_PAGE. */
void sql_bind_filter(sqldb_stmt *st, const list_filter *f);
/* Runs an "INSERT ... RETURNING id" (as sql_step_done) and on success stores the new row's id
 * in *id_out. */
store_rc sql_insert(sqlite_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what);
/* Runs an "INSERT ... ON CONFLICT DO NOTHING RETURNING id": STORE_OK and the new row's id, or
 * STORE_CONFLICT when a unique constraint kept the row out. Unlike a refused plain INSERT this
 * leaves the transaction usable on PostgreSQL too, where any failed statement aborts the whole
 * transaction; callers that carry on after a conflict inside a transaction use this. */
store_rc sql_insert_new(sqlite_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what);
/* Prepares sql, binds key to ?1 and reads at most one row (sql_step_one). */
store_rc sql_get_by_id(sqlite_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *out),
                          void *out, const char *what);
store_rc sql_get_by_text(sqlite_store *ss, const char *sql, const char *key,
                            void (*read)(sqldb_stmt *st, void *out), void *out, const char *what);
/* Prepares sql, binds key to ?1 when the statement has a parameter, and lists its rows
 * (sql_each_row). */
store_rc sql_list(sqlite_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *row),
                     void *row, int (*fn)(void *ctx, const void *row), void *ctx, const char *what);
/* Counts the rows of a "SELECT count(*) ..." statement bound by the caller; releases it. */
store_rc sql_count(sqlite_store *ss, sqldb_stmt *st, int64_t *count_out, const char *what);

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
store_rc sqlite_response_list(store *s, int64_t patient_id, store_response_fn fn, void *ctx);
store_rc sqlite_consent_insert(store *s, consent_record *c);
store_rc sqlite_consent_latest(store *s, int64_t patient_id, consent_record *out);
store_rc sqlite_consent_withdraw(store *s, int64_t id, int64_t now);
store_rc sqlite_consent_list(store *s, int64_t patient_id, store_consent_fn fn, void *ctx);
store_rc sqlite_decision_insert(store *s, decision_record *d);
store_rc sqlite_decision_for_response(store *s, int64_t response_id, decision_record *out);
store_rc sqlite_decision_latest(store *s, int64_t patient_id, decision_record *out);
store_rc sqlite_call_insert(store *s, call_record *c);
store_rc sqlite_call_latest_held(store *s, int64_t patient_id, int64_t from, int64_t to, call_record *out);
store_rc sqlite_call_list(store *s, int64_t patient_id, store_call_fn fn, void *ctx);
store_rc sqlite_review_queue(store *s, const list_filter *f, int64_t now, int64_t *total_out, store_review_fn fn,
                             void *ctx);

/* The traceability methods (store_sqlite_trace.c). */
store_rc sqlite_product_insert(store *s, product_record *p);
store_rc sqlite_product_get(store *s, int64_t id, product_record *out);
store_rc sqlite_product_list(store *s, store_product_fn fn, void *ctx);
store_rc sqlite_lot_insert(store *s, lot_record *lot);
store_rc sqlite_lot_get(store *s, int64_t id, lot_record *out);
store_rc sqlite_lot_find_number(store *s, const char *lot_number, store_lot_fn fn, void *ctx);
store_rc sqlite_lot_list(store *s, int64_t product_id, store_lot_fn fn, void *ctx);
store_rc sqlite_lot_set_status(store *s, int64_t lot_id, const char *status);
store_rc sqlite_lot_transition_insert(store *s, lot_transition_record *t);
store_rc sqlite_lot_transitions(store *s, int64_t lot_id, store_transition_fn fn, void *ctx);
store_rc sqlite_lot_dispensable(store *s, int64_t product_id, const char *min_expires_on, store_lot_fn fn, void *ctx);
store_rc sqlite_lot_take_stock(store *s, int64_t lot_id, int64_t qty);
store_rc sqlite_lot_expired_released(store *s, const char *today, store_lot_fn fn, void *ctx);
store_rc sqlite_lot_test_insert(store *s, lot_test_record *t);
store_rc sqlite_lot_tests(store *s, int64_t lot_id, store_lot_test_fn fn, void *ctx);
store_rc sqlite_certificate_insert(store *s, certificate_record *c);
store_rc sqlite_certificate_get(store *s, int64_t id, certificate_record *out);
store_rc sqlite_certificates_of_lot(store *s, int64_t lot_id, store_certificate_fn fn, void *ctx);
store_rc sqlite_order_insert(store *s, order_record *o);
store_rc sqlite_order_get(store *s, int64_t id, order_record *out);
store_rc sqlite_order_list(store *s, int64_t patient_id, const char *status, store_order_fn fn, void *ctx);
store_rc sqlite_order_search(store *s, const list_filter *f, int64_t *total_out, store_order_fn fn, void *ctx);
store_rc sqlite_order_status_counts(store *s, const list_filter *f, store_status_count_fn fn, void *ctx);
store_rc sqlite_order_quantity_for_decision(store *s, int64_t decision_id, int64_t *qty_out);
store_rc sqlite_order_set_status(store *s, int64_t id, const char *from_status, const char *to_status, int64_t now);
store_rc sqlite_order_record_payment(store *s, int64_t id, const char *reference, int64_t paid_at, int64_t by);
store_rc sqlite_dispense_insert(store *s, dispense_record *d);
store_rc sqlite_dispenses_of_order(store *s, int64_t order_id, store_dispense_fn fn, void *ctx);
store_rc sqlite_shipment_insert(store *s, shipment_record *sh);
store_rc sqlite_shipment_of_order(store *s, int64_t order_id, shipment_record *out);
store_rc sqlite_shipment_delivered(store *s, int64_t order_id, int64_t at);
store_rc sqlite_recall_recipients(store *s, int64_t lot_id, store_recipient_fn fn, void *ctx);
store_rc sqlite_certificate_uses(store *s, const char *sha256, store_certificate_use_fn fn, void *ctx);
store_rc sqlite_recall_track_open(store *s, int64_t lot_id, int64_t now);
store_rc sqlite_recall_track_get(store *s, int64_t id, recall_track_record *out);
store_rc sqlite_recall_track_update(store *s, const recall_track_record *t);
store_rc sqlite_recall_tracks_of_patient(store *s, int64_t patient_id, store_recall_track_fn fn, void *ctx);

/* The cold-chain methods (store_sqlite_coldchain.c). */
store_rc sqlite_unit_insert(store *s, storage_unit_record *u);
store_rc sqlite_unit_get(store *s, int64_t id, storage_unit_record *out);
store_rc sqlite_unit_list(store *s, store_unit_fn fn, void *ctx);
store_rc sqlite_logger_insert(store *s, logger_record *l);
store_rc sqlite_logger_get(store *s, int64_t id, logger_record *out);
store_rc sqlite_logger_by_code(store *s, const char *code, logger_record *out);
store_rc sqlite_logger_list(store *s, store_logger_fn fn, void *ctx);
store_rc sqlite_logger_set_key(store *s, int64_t id, const char *api_key_hash);
store_rc sqlite_lot_place(store *s, int64_t lot_id, int64_t unit_id, int64_t at);
store_rc sqlite_exposures_of_logger(store *s, int64_t logger_id, int64_t from, int64_t to, store_exposure_fn fn, void *ctx);
store_rc sqlite_exposures_of_lot(store *s, int64_t lot_id, store_exposure_fn fn, void *ctx);
store_rc sqlite_reading_put(store *s, int64_t logger_id, int64_t at, double celsius, int *added);
store_rc sqlite_readings_range(store *s, int64_t logger_id, int64_t from, int64_t to, store_reading_fn fn, void *ctx);
store_rc sqlite_reading_import_insert(store *s, reading_import_record *r);
store_rc sqlite_alert_insert(store *s, coldchain_alert_record *a);
store_rc sqlite_alert_get(store *s, int64_t id, coldchain_alert_record *out);
store_rc sqlite_alert_list(store *s, const char *status, int64_t lot_id, store_alert_fn fn, void *ctx);
store_rc sqlite_alert_dispose(store *s, int64_t id, const char *disposition, const char *justification, int64_t by, int64_t at);
store_rc sqlite_silence_open(store *s, logger_silence_record *r);
store_rc sqlite_silence_recover(store *s, int64_t logger_id, int64_t recovered_at, logger_silence_record *out);
store_rc sqlite_silence_list(store *s, int64_t recovered_since, store_silence_fn fn, void *ctx);

/* The adverse-event methods (store_sqlite_ae.c). */
store_rc sqlite_ae_report_insert(store *s, ae_report_record *r);
store_rc sqlite_ae_report_get(store *s, int64_t id, ae_report_record *out);
store_rc sqlite_ae_report_set_photo(store *s, int64_t id, const char *type, const unsigned char *data, size_t len, const char *sha256);
store_rc sqlite_ae_report_photo(store *s, int64_t id, char type_out[16], unsigned char **data, size_t *len);
store_rc sqlite_ae_report_list(store *s, int64_t patient_id, store_ae_report_fn fn, void *ctx);
store_rc sqlite_ae_report_search(store *s, const list_filter *f, store_ae_report_fn fn, void *ctx);
store_rc sqlite_ae_assessment_insert(store *s, ae_assessment_record *a);
store_rc sqlite_ae_assessment_latest(store *s, int64_t report_id, ae_assessment_record *out);
store_rc sqlite_ae_assessment_list(store *s, int64_t report_id, store_ae_assessment_fn fn, void *ctx);
store_rc sqlite_ae_lot_stats(store *s, int64_t product_id, store_ae_lot_stat_fn fn, void *ctx);
store_rc sqlite_ae_lot_alert_insert(store *s, ae_lot_alert_record *a);
store_rc sqlite_ae_lot_alert_list(store *s, store_ae_lot_alert_fn fn, void *ctx);
store_rc sqlite_ae_signal_pairs(store *s, bool by_lot, store_ae_pair_fn fn, void *ctx);

/* The mail outbox and password-reset methods (store_sqlite_mail.c). */
store_rc sqlite_mail_insert(store *s, mail_record *m, bool *queued);
store_rc sqlite_mail_get(store *s, int64_t id, mail_record *out);
store_rc sqlite_mail_due(store *s, int64_t now, int limit, store_mail_fn fn, void *ctx);
store_rc sqlite_mail_mark_sent(store *s, int64_t id, int64_t at);
store_rc sqlite_mail_mark_attempt(store *s, int64_t id, int attempts, int64_t next_attempt_at, const char *last_error,
                                  bool failed);
store_rc sqlite_mail_cancel(store *s, const char *key_prefix, int64_t *cancelled_out);
store_rc sqlite_mail_list(store *s, const char *status, int limit, store_mail_fn fn, void *ctx);
store_rc sqlite_mail_count(store *s, const char *key_prefix, mail_counts *out);
store_rc sqlite_reset_token_insert(store *s, const reset_token_record *t);
store_rc sqlite_reset_token_get(store *s, const char *token_hash, reset_token_record *out);
store_rc sqlite_reset_token_use(store *s, const char *token_hash, int64_t at);
store_rc sqlite_reset_tokens_void_user(store *s, int64_t user_id, int64_t at, int64_t *count_out);
store_rc sqlite_reset_token_count(store *s, int64_t user_id, int64_t since, int64_t *count_out);
store_rc sqlite_consent_outdated(store *s, const char *consent_id, int version, store_user_fn fn, void *ctx);
store_rc sqlite_user_set_password(store *s, int64_t user_id, const char *password_hash);
/* The clinic's details (store_sqlite_clinic.c). */
store_rc sqlite_clinic_get(store *s, int64_t id, clinic_profile *out);
store_rc sqlite_clinic_put(store *s, const clinic_profile *c);
/* The audit log's search (store_sqlite_audit.c). */
store_rc sqlite_audit_search(store *s, const audit_query *q, store_audit_entry_fn fn, void *ctx);
store_rc sqlite_audit_count(store *s, const audit_query *q, int64_t *count_out);
store_rc sqlite_audit_people(store *s, store_audit_person_fn fn, void *ctx);

/* The active safety follow-up (store_sqlite_followup.c). */
store_rc sqlite_followup_plan_get(store *s, int64_t product_id, followup_plan *out);
store_rc sqlite_followup_plan_put(store *s, const followup_plan *p);
store_rc sqlite_followup_deliveries(store *s, store_followup_delivery_fn fn, void *ctx);
store_rc sqlite_checkin_slot_taken(store *s, int64_t patient_id, int64_t product_id, int64_t anchor_order_id, int day_offset);
store_rc sqlite_checkin_insert(store *s, checkin_record *c);
store_rc sqlite_checkins_close_open(store *s, int64_t patient_id, int64_t product_id, const char *status, int64_t at, int64_t *count_out);
store_rc sqlite_checkins_expire(store *s, int64_t now, int64_t *count_out);
store_rc sqlite_checkin_get(store *s, int64_t id, checkin_record *out);
store_rc sqlite_checkin_by_token(store *s, const char *token_hash, checkin_record *out);
store_rc sqlite_checkins_of_patient(store *s, int64_t patient_id, store_checkin_fn fn, void *ctx);
store_rc sqlite_checkin_symptoms(store *s, int64_t checkin_id, store_checkin_symptom_fn fn, void *ctx);
store_rc sqlite_checkin_lots(store *s, int64_t checkin_id, store_checkin_lot_fn fn, void *ctx);
store_rc sqlite_checkin_answer(store *s, const checkin_record *c);
store_rc sqlite_checkin_symptom_insert(store *s, int64_t checkin_id, const checkin_symptom *sy);
store_rc sqlite_checkin_mark_mailed(store *s, int64_t id, int64_t at);
store_rc sqlite_checkin_mark_reminded(store *s, int64_t id, int64_t at, const char *link_token_hash);
store_rc sqlite_checkins_to_remind(store *s, int64_t due_before, store_checkin_fn fn, void *ctx);
store_rc sqlite_checkins_nonresponders(store *s, int64_t reminded_before, store_checkin_fn fn, void *ctx);
store_rc sqlite_followup_call_insert(store *s, followup_call_record *c);
store_rc sqlite_followup_withdrawal_get(store *s, int64_t patient_id, int64_t *withdrawn_at_out);
store_rc sqlite_followup_withdrawal_put(store *s, int64_t patient_id, int64_t at, const char *reason);
store_rc sqlite_followup_withdrawal_delete(store *s, int64_t patient_id);
store_rc sqlite_followup_answers(store *s, int64_t product_id, store_followup_answer_fn fn, void *ctx);
store_rc sqlite_followup_exposures(store *s, int64_t product_id, store_followup_exposure_fn fn, void *ctx);

#endif
