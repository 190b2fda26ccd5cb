/* The SQL stores' shared part: the state every SQL backend (SQLite, PostgreSQL) keeps, the
 * helpers the query files (src/store/sql/store_sql_*.c) run their statements with, and the
 * methods they implement, written once in portable SQL against sqldb.h. Not part of the
 * storage interface. */
#ifndef EXOSAFE_SQL_STORE_H
#define EXOSAFE_SQL_STORE_H

#include <stdbool.h>

#include "store/sql/sqldb.h"
#include "store/store.h"

typedef struct sql_store sql_store;

/* What differs per backend below the shared queries. */
typedef struct sql_store_ops {
	/* Runs a statement that may write while no transaction is open (autocommit): steps it
	 * (sql_step_write), reads an INSERT's RETURNING id into *id_out when id_out is set, and
	 * returns what it stepped to. The backend serialises such writes with its transactions'
	 * writers (SQLite: the write gate; PostgreSQL: the advisory lock). The statement is not
	 * released. NULL: step it as it is. */
	sqldb_rc (*autocommit_write)(sql_store *ss, sqldb_stmt *st, int64_t *id_out);
	/* Called after the statement autocommit_write ran is released, with what it would return;
	 * returns the final result (SQLite waits for its group commit's sync here). NULL: none. */
	store_rc (*autocommit_done)(sql_store *ss, store_rc rc);
} sql_store_ops;

struct sql_store {
	store base;
	sqldb *sql;                /* the connection, for the store's queries (sqldb.h) */
	int64_t changes;           /* rows changed by the last sql_step_done / sql_insert */
	int in_transaction;
	const sql_store_ops *ops;
};

static inline sql_store *impl(store *s)
{
	return (sql_store *)s;
}

/* Steps st once more after a first SQLDB_ROW when id_out is set (reading the RETURNING id),
 * and records the rows changed when it is done. For sql_store_ops.autocommit_write. */
sqldb_rc sql_step_write(sql_store *ss, sqldb_stmt *st, int64_t *id_out);

/* Records the connection's message for what in errmsg, and the kind of its last error in fault
 * (STORE_FAULT_NONE for a plain error); returns STORE_ERROR. */
store_rc sql_fail(sql_store *ss, const char *what);
/* sqldb_prepare on ss's connection; NULL with "prepare: <why>" in errmsg on failure. Give the
 * statement back with sqldb_release. */
sqldb_stmt *sql_prepare(sql_store *ss, const char *sql);
/* Copies a text column into a fixed buffer ("" for NULL), truncating to fit. */
void sql_copy_text(char *dst, size_t dstlen, sqldb_stmt *st, int col);
/* Steps a statement that returns no rows and releases it; STORE_CONFLICT on a constraint. */
store_rc sql_step_done(sql_store *ss, sqldb_stmt *st, const char *what);
/* Steps a listing statement, calling read(st, row) then fn(ctx, row) per row until fn returns
 * non-zero; releases the statement. */
store_rc sql_each_row(sql_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *row), void *row,
                         int (*fn)(void *ctx, const void *row), void *ctx, const char *what);
/* Steps a statement that returns at most one row; on a row calls read(st, out) and returns
 * STORE_OK, else STORE_NOT_FOUND or STORE_ERROR. Releases the statement. */
store_rc sql_step_one(sql_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *out), void *out,
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
/* The row's clinic column col is in the store's clinic scope (store.h clinic_scope): every
 * clinic for STORE_SCOPE_ALL, none for STORE_SCOPE_NONE. sql_prepare binds ?89 to the scope in
 * every statement whose text holds it. A plain ? after ?89 would be ?90 (SQLite numbers it after
 * the largest so far, and sqldb_pg does the same): put it after the statement's plain ones, or
 * number them. */
#define SQL_CLINIC_PARAM "?89"
#define SQL_IN_SCOPE(col) "(?89 = 0 OR " col " = ?89)"
/* The same for a row that reaches its clinic through a user (a patient's records, a doctor's
 * slots), a lot (certificates, tests, alerts) or a storage unit (loggers): col is that id. */
#define SQL_USER_IN_SCOPE(col) "(?89 = 0 OR (SELECT clinic_id FROM users WHERE id = " col ") = ?89)"
#define SQL_LOT_IN_SCOPE(col) "(?89 = 0 OR (SELECT clinic_id FROM lots WHERE id = " col ") = ?89)"
#define SQL_UNIT_IN_SCOPE(col) "(?89 = 0 OR (SELECT clinic_id FROM storage_units WHERE id = " col ") = ?89)"
/* Binds f (NULL: no filter) to the parameters of SQL_PATIENT_MATCH, SQL_STATUS_MATCH and SQL_PAGE. */
void sql_bind_filter(sqldb_stmt *st, const list_filter *f);
/* Runs an "INSERT ... RETURNING id" (as sql_step_done) and on success stores the new row's id
 * in *id_out. */
store_rc sql_insert(sql_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what);
/* Runs an "INSERT ... ON CONFLICT DO NOTHING RETURNING id": STORE_OK and the new row's id, or
 * STORE_CONFLICT when a unique constraint kept the row out. Unlike a refused plain INSERT this
 * leaves the transaction usable on PostgreSQL too, where any failed statement aborts the whole
 * transaction; callers that carry on after a conflict inside a transaction use this. */
store_rc sql_insert_new(sql_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what);
/* Prepares sql, binds key to ?1 and reads at most one row (sql_step_one). */
store_rc sql_get_by_id(sql_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *out),
                          void *out, const char *what);
store_rc sql_get_by_text(sql_store *ss, const char *sql, const char *key,
                            void (*read)(sqldb_stmt *st, void *out), void *out, const char *what);
/* Prepares sql, binds key to ?1 when the statement has a parameter, and lists its rows
 * (sql_each_row). */
store_rc sql_list(sql_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *row),
                     void *row, int (*fn)(void *ctx, const void *row), void *ctx, const char *what);
/* Counts the rows of a "SELECT count(*) ..." statement bound by the caller; releases it. */
store_rc sql_count(sql_store *ss, sqldb_stmt *st, int64_t *count_out, const char *what);

/* The intake methods (store_sql_intake.c), installed in the method table. */
store_rc sql_slot_insert(store *s, slot_record *slot);
store_rc sql_slot_get(store *s, int64_t id, slot_record *out);
store_rc sql_slot_delete(store *s, int64_t id);
store_rc sql_slot_list(store *s, const slot_query *q, store_slot_fn fn, void *ctx);
store_rc sql_booking_insert(store *s, booking_record *booking);
store_rc sql_booking_get(store *s, int64_t id, booking_record *out);
store_rc sql_booking_cancel(store *s, int64_t id, int64_t now);
store_rc sql_booking_list(store *s, int64_t patient_id, bool upcoming_only, int64_t now, store_booking_fn fn,
                             void *ctx);
store_rc sql_response_insert(store *s, response_record *r);
store_rc sql_response_get(store *s, int64_t id, response_record *out);
store_rc sql_response_latest(store *s, int64_t patient_id, response_record *out);
store_rc sql_response_list(store *s, int64_t patient_id, store_response_fn fn, void *ctx);
store_rc sql_consent_insert(store *s, consent_record *c);
store_rc sql_consent_latest(store *s, int64_t patient_id, consent_record *out);
store_rc sql_consent_withdraw(store *s, int64_t id, int64_t now);
store_rc sql_consent_list(store *s, int64_t patient_id, store_consent_fn fn, void *ctx);
store_rc sql_decision_insert(store *s, decision_record *d);
store_rc sql_decision_for_response(store *s, int64_t response_id, decision_record *out);
store_rc sql_decision_latest(store *s, int64_t patient_id, decision_record *out);
store_rc sql_call_insert(store *s, call_record *c);
store_rc sql_call_latest_held(store *s, int64_t patient_id, int64_t from, int64_t to, call_record *out);
store_rc sql_call_list(store *s, int64_t patient_id, store_call_fn fn, void *ctx);
store_rc sql_review_queue(store *s, const list_filter *f, int64_t now, int64_t *total_out, store_review_fn fn,
                             void *ctx);

/* The traceability methods (store_sql_trace.c). */
store_rc sql_product_insert(store *s, product_record *p);
store_rc sql_product_get(store *s, int64_t id, product_record *out);
store_rc sql_product_list(store *s, store_product_fn fn, void *ctx);
store_rc sql_lot_insert(store *s, lot_record *lot);
store_rc sql_lot_get(store *s, int64_t id, lot_record *out);
store_rc sql_lot_find_number(store *s, const char *lot_number, store_lot_fn fn, void *ctx);
store_rc sql_lot_list(store *s, int64_t product_id, store_lot_fn fn, void *ctx);
store_rc sql_lot_set_status(store *s, int64_t lot_id, const char *status);
store_rc sql_lot_transition_insert(store *s, lot_transition_record *t);
store_rc sql_lot_transitions(store *s, int64_t lot_id, store_transition_fn fn, void *ctx);
store_rc sql_lot_dispensable(store *s, int64_t product_id, const char *min_expires_on, store_lot_fn fn, void *ctx);
store_rc sql_lot_take_stock(store *s, int64_t lot_id, int64_t qty);
store_rc sql_lot_expired_released(store *s, const char *today, store_lot_fn fn, void *ctx);
store_rc sql_lot_test_insert(store *s, lot_test_record *t);
store_rc sql_lot_tests(store *s, int64_t lot_id, store_lot_test_fn fn, void *ctx);
store_rc sql_certificate_insert(store *s, certificate_record *c);
store_rc sql_certificate_get(store *s, int64_t id, certificate_record *out);
store_rc sql_certificates_of_lot(store *s, int64_t lot_id, store_certificate_fn fn, void *ctx);
store_rc sql_order_insert(store *s, order_record *o);
store_rc sql_order_get(store *s, int64_t id, order_record *out);
store_rc sql_order_list(store *s, int64_t patient_id, const char *status, store_order_fn fn, void *ctx);
store_rc sql_order_search(store *s, const list_filter *f, int64_t *total_out, store_order_fn fn, void *ctx);
store_rc sql_order_status_counts(store *s, const list_filter *f, store_status_count_fn fn, void *ctx);
store_rc sql_order_quantity_for_decision(store *s, int64_t decision_id, int64_t *qty_out);
store_rc sql_order_set_status(store *s, int64_t id, const char *from_status, const char *to_status, int64_t now);
store_rc sql_order_record_payment(store *s, int64_t id, const char *reference, int64_t paid_at, int64_t by);
store_rc sql_dispense_insert(store *s, dispense_record *d);
store_rc sql_dispenses_of_order(store *s, int64_t order_id, store_dispense_fn fn, void *ctx);
store_rc sql_shipment_insert(store *s, shipment_record *sh);
store_rc sql_shipment_of_order(store *s, int64_t order_id, shipment_record *out);
store_rc sql_shipment_delivered(store *s, int64_t order_id, int64_t at);
store_rc sql_recall_recipients(store *s, int64_t lot_id, store_recipient_fn fn, void *ctx);
store_rc sql_certificate_uses(store *s, const char *sha256, store_certificate_use_fn fn, void *ctx);
store_rc sql_recall_track_open(store *s, int64_t lot_id, int64_t now);
store_rc sql_recall_track_get(store *s, int64_t id, recall_track_record *out);
store_rc sql_recall_track_update(store *s, const recall_track_record *t);
store_rc sql_recall_tracks_of_patient(store *s, int64_t patient_id, store_recall_track_fn fn, void *ctx);

/* The cold-chain methods (store_sql_coldchain.c). */
store_rc sql_unit_insert(store *s, storage_unit_record *u);
store_rc sql_unit_get(store *s, int64_t id, storage_unit_record *out);
store_rc sql_unit_list(store *s, store_unit_fn fn, void *ctx);
store_rc sql_logger_insert(store *s, logger_record *l);
store_rc sql_logger_get(store *s, int64_t id, logger_record *out);
store_rc sql_logger_by_code(store *s, const char *code, logger_record *out);
store_rc sql_logger_list(store *s, store_logger_fn fn, void *ctx);
store_rc sql_logger_set_key(store *s, int64_t id, const char *api_key_hash);
store_rc sql_lot_place(store *s, int64_t lot_id, int64_t unit_id, int64_t at);
store_rc sql_exposures_of_logger(store *s, int64_t logger_id, int64_t from, int64_t to, store_exposure_fn fn, void *ctx);
store_rc sql_exposures_of_lot(store *s, int64_t lot_id, store_exposure_fn fn, void *ctx);
store_rc sql_reading_put(store *s, int64_t logger_id, int64_t at, double celsius, int *added);
store_rc sql_readings_range(store *s, int64_t logger_id, int64_t from, int64_t to, store_reading_fn fn, void *ctx);
store_rc sql_reading_import_insert(store *s, reading_import_record *r);
store_rc sql_alert_insert(store *s, coldchain_alert_record *a);
store_rc sql_alert_get(store *s, int64_t id, coldchain_alert_record *out);
store_rc sql_alert_list(store *s, const char *status, int64_t lot_id, store_alert_fn fn, void *ctx);
store_rc sql_alert_dispose(store *s, int64_t id, const char *disposition, const char *justification, int64_t by, int64_t at);
store_rc sql_silence_open(store *s, logger_silence_record *r);
store_rc sql_silence_recover(store *s, int64_t logger_id, int64_t recovered_at, logger_silence_record *out);
store_rc sql_silence_list(store *s, int64_t recovered_since, store_silence_fn fn, void *ctx);

/* The adverse-event methods (store_sql_ae.c). */
store_rc sql_ae_report_insert(store *s, ae_report_record *r);
store_rc sql_ae_report_get(store *s, int64_t id, ae_report_record *out);
store_rc sql_ae_report_set_photo(store *s, int64_t id, const char *type, const unsigned char *data, size_t len, const char *sha256);
store_rc sql_ae_report_photo(store *s, int64_t id, char type_out[16], unsigned char **data, size_t *len);
store_rc sql_ae_report_list(store *s, int64_t patient_id, store_ae_report_fn fn, void *ctx);
store_rc sql_ae_report_search(store *s, const list_filter *f, store_ae_report_fn fn, void *ctx);
store_rc sql_ae_assessment_insert(store *s, ae_assessment_record *a);
store_rc sql_ae_assessment_latest(store *s, int64_t report_id, ae_assessment_record *out);
store_rc sql_ae_assessment_list(store *s, int64_t report_id, store_ae_assessment_fn fn, void *ctx);
store_rc sql_ae_lot_stats(store *s, int64_t product_id, store_ae_lot_stat_fn fn, void *ctx);
store_rc sql_ae_lot_alert_insert(store *s, ae_lot_alert_record *a);
store_rc sql_ae_lot_alert_list(store *s, store_ae_lot_alert_fn fn, void *ctx);
store_rc sql_ae_signal_pairs(store *s, bool by_lot, store_ae_pair_fn fn, void *ctx);

/* The mail outbox and password-reset methods (store_sql_mail.c). */
store_rc sql_mail_insert(store *s, mail_record *m, bool *queued);
store_rc sql_mail_get(store *s, int64_t id, mail_record *out);
store_rc sql_mail_due(store *s, int64_t now, int limit, store_mail_fn fn, void *ctx);
store_rc sql_mail_mark_sent(store *s, int64_t id, int64_t at);
store_rc sql_mail_mark_attempt(store *s, int64_t id, int attempts, int64_t next_attempt_at, const char *last_error,
                                  bool failed);
store_rc sql_mail_cancel(store *s, const char *key_prefix, int64_t *cancelled_out);
store_rc sql_mail_list(store *s, const char *status, int limit, store_mail_fn fn, void *ctx);
store_rc sql_mail_count(store *s, const char *key_prefix, mail_counts *out);
store_rc sql_reset_token_insert(store *s, const reset_token_record *t);
store_rc sql_reset_token_get(store *s, const char *token_hash, reset_token_record *out);
store_rc sql_reset_token_use(store *s, const char *token_hash, int64_t at);
store_rc sql_reset_tokens_void_user(store *s, int64_t user_id, int64_t at, int64_t *count_out);
store_rc sql_reset_token_count(store *s, int64_t user_id, int64_t since, int64_t *count_out);
store_rc sql_consent_outdated(store *s, const char *consent_id, int version, store_user_fn fn, void *ctx);
store_rc sql_user_set_password(store *s, int64_t user_id, const char *password_hash);
/* The clinic's details (store_sql_clinic.c). */
store_rc sql_clinic_get(store *s, int64_t id, clinic_profile *out);
store_rc sql_clinic_put(store *s, const clinic_profile *c);
store_rc sql_clinic_insert(store *s, clinic_profile *c);
store_rc sql_clinic_list(store *s, store_clinic_fn fn, void *ctx);
store_rc sql_registry_ae_list(store *s, store_registry_ae_fn fn, void *ctx);
store_rc sql_registry_lot_list(store *s, int64_t product_id, const char *lot_number, store_registry_lot_fn fn,
                               void *ctx);
/* The audit log's search (store_sql_audit.c). */
store_rc sql_audit_search(store *s, const audit_query *q, store_audit_entry_fn fn, void *ctx);
store_rc sql_audit_count(store *s, const audit_query *q, int64_t *count_out);
store_rc sql_audit_people(store *s, store_audit_person_fn fn, void *ctx);

/* The active safety follow-up (store_sql_followup.c). */
store_rc sql_followup_plan_get(store *s, int64_t product_id, followup_plan *out);
store_rc sql_followup_plan_put(store *s, const followup_plan *p);
store_rc sql_followup_deliveries(store *s, store_followup_delivery_fn fn, void *ctx);
store_rc sql_checkin_slot_taken(store *s, int64_t patient_id, int64_t product_id, int64_t anchor_order_id, int day_offset);
store_rc sql_checkin_insert(store *s, checkin_record *c);
store_rc sql_checkins_close_open(store *s, int64_t patient_id, int64_t product_id, const char *status, int64_t at, int64_t *count_out);
store_rc sql_checkins_expire(store *s, int64_t now, int64_t *count_out);
store_rc sql_checkin_get(store *s, int64_t id, checkin_record *out);
store_rc sql_checkin_by_token(store *s, const char *token_hash, checkin_record *out);
store_rc sql_checkins_of_patient(store *s, int64_t patient_id, store_checkin_fn fn, void *ctx);
store_rc sql_checkin_symptoms(store *s, int64_t checkin_id, store_checkin_symptom_fn fn, void *ctx);
store_rc sql_checkin_lots(store *s, int64_t checkin_id, store_checkin_lot_fn fn, void *ctx);
store_rc sql_checkin_answer(store *s, const checkin_record *c);
store_rc sql_checkin_symptom_insert(store *s, int64_t checkin_id, const checkin_symptom *sy);
store_rc sql_checkin_mark_mailed(store *s, int64_t id, int64_t at);
store_rc sql_checkin_mark_reminded(store *s, int64_t id, int64_t at, const char *link_token_hash);
store_rc sql_checkins_to_remind(store *s, int64_t due_before, store_checkin_fn fn, void *ctx);
store_rc sql_checkins_nonresponders(store *s, int64_t reminded_before, store_checkin_fn fn, void *ctx);
store_rc sql_followup_call_insert(store *s, followup_call_record *c);
store_rc sql_followup_withdrawal_get(store *s, int64_t patient_id, int64_t *withdrawn_at_out);
store_rc sql_followup_withdrawal_put(store *s, int64_t patient_id, int64_t at, const char *reason);
store_rc sql_followup_withdrawal_delete(store *s, int64_t patient_id);
store_rc sql_followup_answers(store *s, int64_t product_id, store_followup_answer_fn fn, void *ctx);
store_rc sql_followup_exposures(store *s, int64_t product_id, store_followup_exposure_fn fn, void *ctx);

/* The account, session, login and audit-log methods (store_sql.c). */
store_rc sql_user_insert(store *s, user_record *u);
store_rc sql_user_by_email(store *s, const char *email, user_record *out);
store_rc sql_user_by_id(store *s, int64_t id, user_record *out);
store_rc sql_user_count(store *s, int64_t *count_out);
store_rc sql_user_list(store *s, store_user_fn fn, void *ctx);
store_rc sql_user_search(store *s, const list_filter *f, unsigned roles, store_user_fn fn, void *ctx,
                               int64_t *total_out);
store_rc sql_user_update(store *s, const user_record *u);
store_rc sql_user_count_active_admins(store *s, int64_t *count_out);
store_rc sql_profile_update(store *s, const patient_profile *p);
store_rc sql_profile_insert(store *s, const patient_profile *p);
store_rc sql_profile_get(store *s, int64_t user_id, patient_profile *out);
store_rc sql_session_insert(store *s, const session_record *r);
store_rc sql_session_get(store *s, const char *token_hash, session_record *out);
store_rc sql_session_touch(store *s, const char *token_hash, int64_t now);
store_rc sql_session_delete(store *s, const char *token_hash);
store_rc sql_session_delete_user(store *s, int64_t user_id, int64_t *count_out);
store_rc sql_session_purge(store *s, int64_t idle_cutoff, int64_t absolute_cutoff);
store_rc sql_login_failure_add(store *s, const char *subject, int64_t at);
store_rc sql_login_failure_count(store *s, const char *subject, int64_t since, int64_t *count_out);
store_rc sql_login_failure_clear(store *s, const char *subject);
store_rc sql_login_failure_purge(store *s, int64_t before);
store_rc sql_login_failure_forget(store *s, const char *subject, int64_t at);
store_rc sql_login_device_add(store *s, const char *token_hash, int64_t user_id, int64_t at);
store_rc sql_login_device_user(store *s, const char *token_hash, int64_t *user_id_out);
store_rc sql_login_device_purge(store *s, int64_t before);
store_rc sql_audit_append(store *s, audit_row *e);
store_rc sql_audit_recent(store *s, int limit, store_audit_fn fn, void *ctx);
store_rc sql_audit_each(store *s, store_audit_fn fn, void *ctx);

/* The shared methods (SQL_STORE_METHODS) as designated initialisers, for a backend's method
 * table beside its own: backend_name, close, migrate, schema_version, schema_check,
 * integrity_check, snapshot_to, begin, commit, rollback and data_generation, and
 * ae_signal_pairs (sql_ae_signal_pairs row by row; PostgreSQL reads them with COPY). */
#define SQL_STORE_METHODS \
	.user_insert = sql_user_insert, \
	.user_by_email = sql_user_by_email, \
	.user_by_id = sql_user_by_id, \
	.user_count = sql_user_count, \
	.user_list = sql_user_list, \
	.user_search = sql_user_search, \
	.user_update = sql_user_update, \
	.user_count_active_admins = sql_user_count_active_admins, \
	.profile_insert = sql_profile_insert, \
	.profile_get = sql_profile_get, \
	.profile_update = sql_profile_update, \
	.session_insert = sql_session_insert, \
	.session_get = sql_session_get, \
	.session_touch = sql_session_touch, \
	.session_delete = sql_session_delete, \
	.session_delete_user = sql_session_delete_user, \
	.session_purge = sql_session_purge, \
	.login_failure_add = sql_login_failure_add, \
	.login_failure_count = sql_login_failure_count, \
	.login_failure_clear = sql_login_failure_clear, \
	.login_failure_purge = sql_login_failure_purge, \
	.login_failure_forget = sql_login_failure_forget, \
	.login_device_add = sql_login_device_add, \
	.login_device_user = sql_login_device_user, \
	.login_device_purge = sql_login_device_purge, \
	.audit_append = sql_audit_append, \
	.audit_recent = sql_audit_recent, \
	.audit_search = sql_audit_search, \
	.audit_count = sql_audit_count, \
	.audit_people = sql_audit_people, \
	.audit_each = sql_audit_each, \
	.slot_insert = sql_slot_insert, \
	.slot_get = sql_slot_get, \
	.slot_delete = sql_slot_delete, \
	.slot_list = sql_slot_list, \
	.booking_insert = sql_booking_insert, \
	.booking_get = sql_booking_get, \
	.booking_cancel = sql_booking_cancel, \
	.booking_list = sql_booking_list, \
	.response_insert = sql_response_insert, \
	.response_get = sql_response_get, \
	.response_latest = sql_response_latest, \
	.response_list = sql_response_list, \
	.consent_insert = sql_consent_insert, \
	.consent_latest = sql_consent_latest, \
	.consent_withdraw = sql_consent_withdraw, \
	.consent_list = sql_consent_list, \
	.decision_insert = sql_decision_insert, \
	.decision_for_response = sql_decision_for_response, \
	.decision_latest = sql_decision_latest, \
	.call_insert = sql_call_insert, \
	.call_latest_held = sql_call_latest_held, \
	.call_list = sql_call_list, \
	.review_queue = sql_review_queue, \
	.product_insert = sql_product_insert, \
	.product_get = sql_product_get, \
	.product_list = sql_product_list, \
	.lot_insert = sql_lot_insert, \
	.lot_get = sql_lot_get, \
	.lot_find_number = sql_lot_find_number, \
	.lot_list = sql_lot_list, \
	.lot_set_status = sql_lot_set_status, \
	.lot_transition_insert = sql_lot_transition_insert, \
	.lot_transitions = sql_lot_transitions, \
	.lot_dispensable = sql_lot_dispensable, \
	.lot_take_stock = sql_lot_take_stock, \
	.lot_expired_released = sql_lot_expired_released, \
	.lot_test_insert = sql_lot_test_insert, \
	.lot_tests = sql_lot_tests, \
	.certificate_insert = sql_certificate_insert, \
	.certificate_get = sql_certificate_get, \
	.certificates_of_lot = sql_certificates_of_lot, \
	.order_insert = sql_order_insert, \
	.order_get = sql_order_get, \
	.order_list = sql_order_list, \
	.order_search = sql_order_search, \
	.order_status_counts = sql_order_status_counts, \
	.order_quantity_for_decision = sql_order_quantity_for_decision, \
	.order_set_status = sql_order_set_status, \
	.order_record_payment = sql_order_record_payment, \
	.dispense_insert = sql_dispense_insert, \
	.dispenses_of_order = sql_dispenses_of_order, \
	.shipment_insert = sql_shipment_insert, \
	.shipment_of_order = sql_shipment_of_order, \
	.shipment_delivered = sql_shipment_delivered, \
	.recall_recipients = sql_recall_recipients, \
	.certificate_uses = sql_certificate_uses, \
	.recall_track_open = sql_recall_track_open, \
	.recall_track_get = sql_recall_track_get, \
	.recall_track_update = sql_recall_track_update, \
	.recall_tracks_of_patient = sql_recall_tracks_of_patient, \
	.unit_insert = sql_unit_insert, \
	.unit_get = sql_unit_get, \
	.unit_list = sql_unit_list, \
	.logger_insert = sql_logger_insert, \
	.logger_get = sql_logger_get, \
	.logger_by_code = sql_logger_by_code, \
	.logger_list = sql_logger_list, \
	.logger_set_key = sql_logger_set_key, \
	.lot_place = sql_lot_place, \
	.exposures_of_logger = sql_exposures_of_logger, \
	.exposures_of_lot = sql_exposures_of_lot, \
	.reading_put = sql_reading_put, \
	.readings_range = sql_readings_range, \
	.reading_import_insert = sql_reading_import_insert, \
	.alert_insert = sql_alert_insert, \
	.alert_get = sql_alert_get, \
	.alert_list = sql_alert_list, \
	.alert_dispose = sql_alert_dispose, \
	.silence_open = sql_silence_open, \
	.silence_recover = sql_silence_recover, \
	.silence_list = sql_silence_list, \
	.ae_report_insert = sql_ae_report_insert, \
	.ae_report_get = sql_ae_report_get, \
	.ae_report_set_photo = sql_ae_report_set_photo, \
	.ae_report_photo = sql_ae_report_photo, \
	.ae_report_list = sql_ae_report_list, \
	.ae_report_search = sql_ae_report_search, \
	.ae_assessment_insert = sql_ae_assessment_insert, \
	.ae_assessment_latest = sql_ae_assessment_latest, \
	.ae_assessment_list = sql_ae_assessment_list, \
	.ae_lot_stats = sql_ae_lot_stats, \
	.ae_lot_alert_insert = sql_ae_lot_alert_insert, \
	.ae_lot_alert_list = sql_ae_lot_alert_list, \
	.mail_insert = sql_mail_insert, \
	.mail_get = sql_mail_get, \
	.mail_due = sql_mail_due, \
	.mail_mark_sent = sql_mail_mark_sent, \
	.mail_mark_attempt = sql_mail_mark_attempt, \
	.mail_cancel = sql_mail_cancel, \
	.mail_list = sql_mail_list, \
	.mail_count = sql_mail_count, \
	.reset_token_insert = sql_reset_token_insert, \
	.reset_token_get = sql_reset_token_get, \
	.reset_token_use = sql_reset_token_use, \
	.reset_tokens_void_user = sql_reset_tokens_void_user, \
	.reset_token_count = sql_reset_token_count, \
	.consent_outdated = sql_consent_outdated, \
	.user_set_password = sql_user_set_password, \
	.clinic_get = sql_clinic_get, \
	.clinic_put = sql_clinic_put, \
	.clinic_insert = sql_clinic_insert, \
	.clinic_list = sql_clinic_list, \
	.registry_ae_list = sql_registry_ae_list, \
	.registry_lot_list = sql_registry_lot_list, \
	.followup_plan_get = sql_followup_plan_get, \
	.followup_plan_put = sql_followup_plan_put, \
	.followup_deliveries = sql_followup_deliveries, \
	.checkin_slot_taken = sql_checkin_slot_taken, \
	.checkin_insert = sql_checkin_insert, \
	.checkins_close_open = sql_checkins_close_open, \
	.checkins_expire = sql_checkins_expire, \
	.checkin_get = sql_checkin_get, \
	.checkin_by_token = sql_checkin_by_token, \
	.checkins_of_patient = sql_checkins_of_patient, \
	.checkin_symptoms = sql_checkin_symptoms, \
	.checkin_lots = sql_checkin_lots, \
	.checkin_answer = sql_checkin_answer, \
	.checkin_symptom_insert = sql_checkin_symptom_insert, \
	.checkin_mark_mailed = sql_checkin_mark_mailed, \
	.checkin_mark_reminded = sql_checkin_mark_reminded, \
	.checkins_to_remind = sql_checkins_to_remind, \
	.checkins_nonresponders = sql_checkins_nonresponders, \
	.followup_call_insert = sql_followup_call_insert, \
	.followup_withdrawal_get = sql_followup_withdrawal_get, \
	.followup_withdrawal_put = sql_followup_withdrawal_put, \
	.followup_withdrawal_delete = sql_followup_withdrawal_delete, \
	.followup_answers = sql_followup_answers, \
	.followup_exposures = sql_followup_exposures,

#endif
