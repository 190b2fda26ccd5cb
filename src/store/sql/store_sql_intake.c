/* The SQL stores' (SQLite and PostgreSQL) intake methods: slots, bookings, questionnaire responses, consent,
 * decisions and the review queue (schema in 0002_intake.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_store.h"

void response_record_clear(response_record *r)
{
	free(r->answers_json);
	free(r->flags_json);
	r->answers_json = NULL;
	r->flags_json = NULL;
}

/* ---- slots ---- */

#define SLOT_COLUMNS "s.id, s.doctor_id, s.starts_at, s.duration_minutes, s.created_by, s.created_at"

static void read_slot(sqldb_stmt *st, void *out)
{
	slot_record *r = out;
	r->id = sqldb_column_int64(st, 0);
	r->doctor_id = sqldb_column_int64(st, 1);
	r->starts_at = sqldb_column_int64(st, 2);
	r->duration_minutes = sqldb_column_int(st, 3);
	r->created_by = sqldb_column_int64(st, 4);
	r->created_at = sqldb_column_int64(st, 5);
}

store_rc sql_slot_insert(store *s, slot_record *slot)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO consultation_slots (doctor_id, starts_at, duration_minutes, created_by, created_at)"
	                                      " VALUES (?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, slot->doctor_id);
	sqldb_bind_int64(st, 2, slot->starts_at);
	sqldb_bind_int(st, 3, slot->duration_minutes);
	sqldb_bind_int64(st, 4, slot->created_by);
	sqldb_bind_int64(st, 5, slot->created_at);
	return sql_insert(ss, st, &slot->id, "insert slot");
}

store_rc sql_slot_get(store *s, int64_t id, slot_record *out)
{
	return sql_get_by_id(impl(s), "SELECT " SLOT_COLUMNS " FROM consultation_slots s WHERE s.id = ? AND " SQL_USER_IN_SCOPE("s.doctor_id"),
	                        id, read_slot, out, "read slot");
}

store_rc sql_slot_delete(store *s, int64_t id)
{
	sql_store *ss = impl(s);
	/* Bookings (even cancelled ones) keep their slot: history is not rewritten. */
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM bookings WHERE slot_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	int used = sqldb_step(st) == SQLDB_ROW ? sqldb_column_int(st, 0) : -1;
	sqldb_release(st);
	if (used < 0)
		return sql_fail(ss, "count slot bookings");
	if (used > 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "slot %lld has bookings", (long long)id);
		return STORE_CONFLICT;
	}
	st = sql_prepare(ss, "DELETE FROM consultation_slots WHERE id = ? AND " SQL_USER_IN_SCOPE("doctor_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	store_rc rc = sql_step_done(ss, st, "delete slot");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

store_rc sql_slot_list(store *s, const slot_query *q, store_slot_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(
		ss, "SELECT " SLOT_COLUMNS ", d.name, coalesce(b.id, 0), coalesce(b.patient_id, 0), coalesce(p.name, ''),"
		    " coalesce(pp.phone, ''), coalesce(r.worst_level, ''), coalesce(r.submitted_at, 0),"
		    " coalesce(c.outcome, ''), coalesce(c.called_at, 0)"
		    " FROM consultation_slots s"
		    " JOIN users d ON d.id = s.doctor_id"
		    " LEFT JOIN bookings b ON b.slot_id = s.id AND b.status = 'booked'"
		    " LEFT JOIN users p ON p.id = b.patient_id"
		    " LEFT JOIN patient_profiles pp ON pp.user_id = b.patient_id"
		    " LEFT JOIN questionnaire_responses r ON r.id ="
		    "   (SELECT max(id) FROM questionnaire_responses WHERE patient_id = b.patient_id)"
		    /* A held call outranks failed attempts; among equals, the latest record. */
		    " LEFT JOIN consultation_calls c ON c.id ="
		    "   (SELECT id FROM consultation_calls WHERE booking_id = b.id"
		    "    ORDER BY outcome = 'held' DESC, id DESC LIMIT 1)"
		    " WHERE s.starts_at >= ?1 AND s.starts_at < ?2 AND (CAST(?3 AS BIGINT) = 0 OR s.doctor_id = ?3)"
		    "   AND (CAST(?4 AS BIGINT) = 0 OR b.id IS NULL) AND " SQL_IN_SCOPE("d.clinic_id")
		    " ORDER BY s.starts_at, s.doctor_id LIMIT ?5");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, q->from);
	sqldb_bind_int64(st, 2, q->to);
	sqldb_bind_int64(st, 3, q->doctor_id);
	sqldb_bind_int(st, 4, q->free_only ? 1 : 0);
	sqldb_bind_int(st, 5, q->limit > 0 ? q->limit : 1000);
	int rc;
	slot_view v;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		memset(&v, 0, sizeof v);
		read_slot(st, &v.slot);
		sql_copy_text(v.doctor_name, sizeof v.doctor_name, st, 6);
		v.booking_id = sqldb_column_int64(st, 7);
		v.patient_id = sqldb_column_int64(st, 8);
		sql_copy_text(v.patient_name, sizeof v.patient_name, st, 9);
		sql_copy_text(v.patient_phone, sizeof v.patient_phone, st, 10);
		sql_copy_text(v.questionnaire_level, sizeof v.questionnaire_level, st, 11);
		v.questionnaire_at = sqldb_column_int64(st, 12);
		sql_copy_text(v.call_outcome, sizeof v.call_outcome, st, 13);
		v.call_at = sqldb_column_int64(st, 14);
		if (fn(ctx, &v) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "list slots");
	sqldb_release(st);
	return out;
}

/* ---- bookings ---- */

#define BOOKING_SELECT                                                                                              \
	"SELECT b.id, b.slot_id, b.patient_id, b.status, b.created_at, coalesce(b.cancelled_at, 0), s.starts_at,"      \
	" s.duration_minutes, s.doctor_id, d.name"                                                                     \
	" FROM bookings b JOIN consultation_slots s ON s.id = b.slot_id JOIN users d ON d.id = s.doctor_id"

static void read_booking(sqldb_stmt *st, void *out)
{
	booking_record *b = out;
	b->id = sqldb_column_int64(st, 0);
	b->slot_id = sqldb_column_int64(st, 1);
	b->patient_id = sqldb_column_int64(st, 2);
	sql_copy_text(b->status, sizeof b->status, st, 3);
	b->created_at = sqldb_column_int64(st, 4);
	b->cancelled_at = sqldb_column_int64(st, 5);
	b->starts_at = sqldb_column_int64(st, 6);
	b->duration_minutes = sqldb_column_int(st, 7);
	b->doctor_id = sqldb_column_int64(st, 8);
	sql_copy_text(b->doctor_name, sizeof b->doctor_name, st, 9);
}

store_rc sql_booking_insert(store *s, booking_record *booking)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO bookings (slot_id, patient_id, status, created_at) VALUES (?, ?, 'booked', ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, booking->slot_id);
	sqldb_bind_int64(st, 2, booking->patient_id);
	sqldb_bind_int64(st, 3, booking->created_at);
	store_rc rc = sql_insert(ss, st, &booking->id, "insert booking");
	if (rc == STORE_OK) {
		snprintf(booking->status, sizeof booking->status, "booked");
	}
	return rc;
}

store_rc sql_booking_get(store *s, int64_t id, booking_record *out)
{
	return sql_get_by_id(impl(s), BOOKING_SELECT " WHERE b.id = ? AND " SQL_IN_SCOPE("d.clinic_id"), id, read_booking, out, "read booking");
}

store_rc sql_booking_cancel(store *s, int64_t id, int64_t now)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND status = 'booked'"
	                                      " AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int64(st, 2, id);
	store_rc rc = sql_step_done(ss, st, "cancel booking");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

store_rc sql_booking_list(store *s, int64_t patient_id, bool upcoming_only, int64_t now, store_booking_fn fn,
                             void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, BOOKING_SELECT " WHERE b.patient_id = ?1 AND " SQL_IN_SCOPE("d.clinic_id") " AND (?2 = 0 OR"
	                                      " (b.status = 'booked' AND s.starts_at + s.duration_minutes * 60 > ?3))"
	                                      " ORDER BY s.starts_at, b.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	sqldb_bind_int(st, 2, upcoming_only ? 1 : 0);
	sqldb_bind_int64(st, 3, now);
	int rc;
	booking_record b;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_booking(st, &b);
		if (fn(ctx, &b) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "list bookings");
	sqldb_release(st);
	return out;
}

/* ---- questionnaire responses ---- */

static char *column_strdup(sqldb_stmt *st, int col)
{
	const char *t = sqldb_column_text(st, col);
	return strdup(t ? t : "");
}

static void read_response(sqldb_stmt *st, void *out)
{
	response_record *r = out;
	r->id = sqldb_column_int64(st, 0);
	r->patient_id = sqldb_column_int64(st, 1);
	sql_copy_text(r->questionnaire_id, sizeof r->questionnaire_id, st, 2);
	r->questionnaire_version = sqldb_column_int(st, 3);
	r->answers_json = column_strdup(st, 4);
	r->flags_json = column_strdup(st, 5);
	sql_copy_text(r->worst_level, sizeof r->worst_level, st, 6);
	r->submitted_at = sqldb_column_int64(st, 7);
}

#define RESPONSE_SELECT                                                                                             \
	"SELECT id, patient_id, questionnaire_id, questionnaire_version, answers_json, flags_json, worst_level,"       \
	" submitted_at FROM questionnaire_responses"

static store_rc response_one(sql_store *ss, sqldb_stmt *st, response_record *out)
{
	memset(out, 0, sizeof *out);
	store_rc rc = sql_step_one(ss, st, read_response, out, "read questionnaire response");
	if (rc == STORE_OK && (out->answers_json == NULL || out->flags_json == NULL)) {
		response_record_clear(out);
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "out of memory");
		return STORE_ERROR;
	}
	return rc;
}

store_rc sql_response_insert(store *s, response_record *r)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO questionnaire_responses (patient_id, questionnaire_id, questionnaire_version,"
	                                      " answers_json, flags_json, worst_level, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, r->patient_id);
	sqldb_bind_text(st, 2, r->questionnaire_id);
	sqldb_bind_int(st, 3, r->questionnaire_version);
	sqldb_bind_text(st, 4, r->answers_json);
	sqldb_bind_text(st, 5, r->flags_json);
	sqldb_bind_text(st, 6, r->worst_level);
	sqldb_bind_int64(st, 7, r->submitted_at);
	return sql_insert(ss, st, &r->id, "insert questionnaire response");
}

store_rc sql_response_get(store *s, int64_t id, response_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, RESPONSE_SELECT " WHERE id = ? AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	return response_one(ss, st, out);
}

store_rc sql_response_latest(store *s, int64_t patient_id, response_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, RESPONSE_SELECT " WHERE patient_id = ? AND " SQL_USER_IN_SCOPE("patient_id") " ORDER BY id DESC LIMIT 1");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	return response_one(ss, st, out);
}

store_rc sql_response_list(store *s, int64_t patient_id, store_response_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, RESPONSE_SELECT " WHERE patient_id = ? AND " SQL_USER_IN_SCOPE("patient_id") " ORDER BY id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	int rc;
	store_rc out = STORE_OK;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		response_record r = {0};
		read_response(st, &r);
		if (r.answers_json == NULL || r.flags_json == NULL) {
			response_record_clear(&r);
			snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "out of memory");
			out = STORE_ERROR;
			break;
		}
		int stop = fn(ctx, &r);
		response_record_clear(&r);
		if (stop != 0)
			break;
	}
	if (out == STORE_OK && rc != SQLDB_ROW && rc != SQLDB_DONE)
		out = sql_fail(ss, "list questionnaire responses");
	sqldb_release(st);
	return out;
}

/* ---- consent ---- */

static void read_consent(sqldb_stmt *st, void *out)
{
	consent_record *c = out;
	c->id = sqldb_column_int64(st, 0);
	c->patient_id = sqldb_column_int64(st, 1);
	sql_copy_text(c->consent_id, sizeof c->consent_id, st, 2);
	c->consent_version = sqldb_column_int(st, 3);
	sql_copy_text(c->lang, sizeof c->lang, st, 4);
	sql_copy_text(c->text_sha256, sizeof c->text_sha256, st, 5);
	c->accepted_at = sqldb_column_int64(st, 6);
	c->withdrawn_at = sqldb_column_int64(st, 7);
}

store_rc sql_consent_insert(store *s, consent_record *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO consent_acceptances (patient_id, consent_id, consent_version, lang,"
	                                      " text_sha256, accepted_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->patient_id);
	sqldb_bind_text(st, 2, c->consent_id);
	sqldb_bind_int(st, 3, c->consent_version);
	sqldb_bind_text(st, 4, c->lang);
	sqldb_bind_text(st, 5, c->text_sha256);
	sqldb_bind_int64(st, 6, c->accepted_at);
	return sql_insert(ss, st, &c->id, "insert consent");
}

store_rc sql_consent_latest(store *s, int64_t patient_id, consent_record *out)
{
	return sql_get_by_id(impl(s), "SELECT id, patient_id, consent_id, consent_version, lang, text_sha256, accepted_at,"
	                                 " coalesce(withdrawn_at, 0) FROM consent_acceptances WHERE patient_id = ?"
	                                 " AND " SQL_USER_IN_SCOPE("patient_id") " ORDER BY id DESC LIMIT 1", patient_id, read_consent, out, "read consent");
}

store_rc sql_consent_list(store *s, int64_t patient_id, store_consent_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT id, patient_id, consent_id, consent_version, lang, text_sha256, accepted_at,"
	                                      " coalesce(withdrawn_at, 0) FROM consent_acceptances WHERE patient_id = ?"
	                                      " AND " SQL_USER_IN_SCOPE("patient_id") " ORDER BY id DESC");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	int rc;
	consent_record c;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		memset(&c, 0, sizeof c);
		read_consent(st, &c);
		if (fn(ctx, &c) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "list consents");
	sqldb_release(st);
	return out;
}

store_rc sql_consent_withdraw(store *s, int64_t id, int64_t now)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE consent_acceptances SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL"
	                                      " AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int64(st, 2, id);
	store_rc rc = sql_step_done(ss, st, "withdraw consent");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

/* ---- decisions ---- */

#define DECISION_SELECT                                                                                             \
	"SELECT t.id, t.patient_id, t.doctor_id, d.name, t.response_id, coalesce(t.consent_id, 0), t.decision, t.notes,"  \
	" t.product, t.quantity, t.directions, t.valid_until, t.decline_reason, t.override_reason, t.decided_at,"       \
	" coalesce(t.product_id, 0), coalesce(t.call_id, 0), t.no_call_reason"                                          \
	" FROM treatment_decisions t JOIN users d ON d.id = t.doctor_id"

static void read_decision(sqldb_stmt *st, void *out)
{
	decision_record *d = out;
	d->id = sqldb_column_int64(st, 0);
	d->patient_id = sqldb_column_int64(st, 1);
	d->doctor_id = sqldb_column_int64(st, 2);
	sql_copy_text(d->doctor_name, sizeof d->doctor_name, st, 3);
	d->response_id = sqldb_column_int64(st, 4);
	d->consent_id = sqldb_column_int64(st, 5);
	sql_copy_text(d->decision, sizeof d->decision, st, 6);
	sql_copy_text(d->notes, sizeof d->notes, st, 7);
	sql_copy_text(d->product, sizeof d->product, st, 8);
	d->quantity = sqldb_column_int(st, 9);
	sql_copy_text(d->directions, sizeof d->directions, st, 10);
	sql_copy_text(d->valid_until, sizeof d->valid_until, st, 11);
	sql_copy_text(d->decline_reason, sizeof d->decline_reason, st, 12);
	sql_copy_text(d->override_reason, sizeof d->override_reason, st, 13);
	d->decided_at = sqldb_column_int64(st, 14);
	d->product_id = sqldb_column_int64(st, 15);
	d->call_id = sqldb_column_int64(st, 16);
	sql_copy_text(d->no_call_reason, sizeof d->no_call_reason, st, 17);
}

store_rc sql_decision_insert(store *s, decision_record *d)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO treatment_decisions (patient_id, doctor_id, response_id, consent_id, decision,"
	                                      " notes, product, quantity, directions, valid_until, decline_reason, override_reason,"
	                                      " decided_at, product_id, call_id, no_call_reason)"
	                                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(CAST(? AS BIGINT), 0), nullif(CAST(? AS BIGINT), 0), ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, d->patient_id);
	sqldb_bind_int64(st, 2, d->doctor_id);
	sqldb_bind_int64(st, 3, d->response_id);
	if (d->consent_id > 0)
		sqldb_bind_int64(st, 4, d->consent_id);
	else
		sqldb_bind_null(st, 4);
	sqldb_bind_text(st, 5, d->decision);
	sqldb_bind_text(st, 6, d->notes);
	sqldb_bind_text(st, 7, d->product);
	sqldb_bind_int(st, 8, d->quantity);
	sqldb_bind_text(st, 9, d->directions);
	sqldb_bind_text(st, 10, d->valid_until);
	sqldb_bind_text(st, 11, d->decline_reason);
	sqldb_bind_text(st, 12, d->override_reason);
	sqldb_bind_int64(st, 13, d->decided_at);
	sqldb_bind_int64(st, 14, d->product_id);
	sqldb_bind_int64(st, 15, d->call_id);
	sqldb_bind_text(st, 16, d->no_call_reason);
	return sql_insert(ss, st, &d->id, "insert decision");
}

store_rc sql_decision_for_response(store *s, int64_t response_id, decision_record *out)
{
	return sql_get_by_id(impl(s), DECISION_SELECT " WHERE t.response_id = ? AND " SQL_USER_IN_SCOPE("t.patient_id"),
	                        response_id, read_decision, out, "read decision");
}

store_rc sql_decision_latest(store *s, int64_t patient_id, decision_record *out)
{
	return sql_get_by_id(impl(s), DECISION_SELECT " WHERE t.patient_id = ? AND " SQL_USER_IN_SCOPE("t.patient_id") " ORDER BY t.id DESC LIMIT 1",
	                        patient_id, read_decision, out, "read decision");
}

/* ---- consultation calls ---- */

#define CALL_SELECT                                                                                                 \
	"SELECT c.id, c.booking_id, c.patient_id, c.doctor_id, d.name, c.outcome, c.called_at, c.notes, c.recorded_at,"  \
	" s.starts_at"                                                                                                  \
	" FROM consultation_calls c JOIN users d ON d.id = c.doctor_id"                                                 \
	" JOIN bookings b ON b.id = c.booking_id JOIN consultation_slots s ON s.id = b.slot_id"

static void read_call(sqldb_stmt *st, void *out)
{
	call_record *c = out;
	c->id = sqldb_column_int64(st, 0);
	c->booking_id = sqldb_column_int64(st, 1);
	c->patient_id = sqldb_column_int64(st, 2);
	c->doctor_id = sqldb_column_int64(st, 3);
	sql_copy_text(c->doctor_name, sizeof c->doctor_name, st, 4);
	sql_copy_text(c->outcome, sizeof c->outcome, st, 5);
	c->called_at = sqldb_column_int64(st, 6);
	sql_copy_text(c->notes, sizeof c->notes, st, 7);
	c->recorded_at = sqldb_column_int64(st, 8);
	c->slot_starts_at = sqldb_column_int64(st, 9);
}

store_rc sql_call_insert(store *s, call_record *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO consultation_calls (booking_id, patient_id, doctor_id, outcome, called_at,"
	                                      " notes, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->booking_id);
	sqldb_bind_int64(st, 2, c->patient_id);
	sqldb_bind_int64(st, 3, c->doctor_id);
	sqldb_bind_text(st, 4, c->outcome);
	sqldb_bind_int64(st, 5, c->called_at);
	sqldb_bind_text(st, 6, c->notes);
	sqldb_bind_int64(st, 7, c->recorded_at);
	return sql_insert(ss, st, &c->id, "insert call");
}

store_rc sql_call_latest_held(store *s, int64_t patient_id, int64_t from, int64_t to, call_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, CALL_SELECT " WHERE c.patient_id = ? AND c.outcome = 'held'"
	                                      " AND c.called_at >= ? AND c.called_at <= ? AND " SQL_IN_SCOPE("d.clinic_id")
	                                      " ORDER BY c.called_at DESC, c.id DESC LIMIT 1");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	sqldb_bind_int64(st, 2, from);
	sqldb_bind_int64(st, 3, to);
	return sql_step_one(ss, st, read_call, out, "read call");
}

store_rc sql_call_list(store *s, int64_t patient_id, store_call_fn fn, void *ctx)
{
	call_record c;
	return sql_list(impl(s), CALL_SELECT " WHERE c.patient_id = ? AND " SQL_IN_SCOPE("d.clinic_id") " ORDER BY c.called_at DESC, c.id DESC LIMIT 100",
	                   patient_id, read_call, &c,
	                   (int (*)(void *, const void *))fn, ctx, "list calls");
}

/* ---- review queue ---- */

/* The queue's rows: each patient's latest response that has no decision, narrowed by the
 * list filter (status: the worst level). */
#define REVIEW_FROM                                                                                                 \
	" FROM questionnaire_responses r"                                                                               \
	" JOIN users u ON u.id = r.patient_id"                                                                          \
	" LEFT JOIN patient_profiles pp ON pp.user_id = u.id"                                                           \
	" WHERE r.id = (SELECT max(id) FROM questionnaire_responses WHERE patient_id = r.patient_id)"                   \
	"   AND NOT EXISTS (SELECT 1 FROM treatment_decisions t WHERE t.response_id = r.id)"                            \
	"   AND " SQL_PATIENT_MATCH("u", "pp", "u.id") " AND " SQL_STATUS_MATCH("r.worst_level")                      \
	"   AND " SQL_IN_SCOPE("u.clinic_id")

static void read_review_item(sqldb_stmt *st, void *out)
{
	review_item *it = out;
	memset(it, 0, sizeof *it);
	it->patient_id = sqldb_column_int64(st, 0);
	sql_copy_text(it->patient_name, sizeof it->patient_name, st, 1);
	sql_copy_text(it->patient_phone, sizeof it->patient_phone, st, 2);
	it->response_id = sqldb_column_int64(st, 3);
	sql_copy_text(it->worst_level, sizeof it->worst_level, st, 4);
	sql_copy_text(it->flags_json, sizeof it->flags_json, st, 5);
	it->submitted_at = sqldb_column_int64(st, 6);
	it->next_call_at = sqldb_column_int64(st, 7);
	it->consent_in_force = sqldb_column_int(st, 8) != 0;
	sql_copy_text(it->consent_id, sizeof it->consent_id, st, 9);
	it->consent_version = sqldb_column_int(st, 10);
}

store_rc sql_review_queue(store *s, const list_filter *f, int64_t now, int64_t *total_out, store_review_fn fn,
                             void *ctx)
{
	sql_store *ss = impl(s);
	if (total_out != NULL) {
		sqldb_stmt *count = sql_prepare(ss, "SELECT count(*)" REVIEW_FROM);
		if (count == NULL)
			return STORE_ERROR;
		sql_bind_filter(count, f);
		if (sql_count(ss, count, total_out, "count review queue") != STORE_OK)
			return STORE_ERROR;
	}
	sqldb_stmt *st = sql_prepare(
		ss, "SELECT u.id, u.name, coalesce(pp.phone, ''), r.id, r.worst_level, r.flags_json, r.submitted_at,"
		    " coalesce((SELECT min(sl.starts_at) FROM bookings b JOIN consultation_slots sl ON sl.id = b.slot_id"
		    "           WHERE b.patient_id = u.id AND b.status = 'booked'"
		    "             AND sl.starts_at + sl.duration_minutes * 60 > ?97), 0),"
		    " CASE WHEN c.id IS NOT NULL AND c.withdrawn_at IS NULL THEN 1 ELSE 0 END, coalesce(c.consent_id, ''), coalesce(c.consent_version, 0)"
		    " FROM (SELECT r.id AS response_id" REVIEW_FROM
		    "       ORDER BY CASE r.worst_level WHEN 'block' THEN 0 WHEN 'needs-attention' THEN 1 WHEN 'info' THEN 2"
		    "         ELSE 3 END, r.submitted_at, r.id" SQL_PAGE ") page"
		    " JOIN questionnaire_responses r ON r.id = page.response_id"
		    " JOIN users u ON u.id = r.patient_id"
		    " LEFT JOIN patient_profiles pp ON pp.user_id = u.id"
		    " LEFT JOIN consent_acceptances c"
		    "   ON c.id = (SELECT max(id) FROM consent_acceptances WHERE patient_id = u.id)"
		    " ORDER BY CASE r.worst_level WHEN 'block' THEN 0 WHEN 'needs-attention' THEN 1 WHEN 'info' THEN 2 ELSE 3 END,"
		    "   r.submitted_at, r.id");
	if (st == NULL)
		return STORE_ERROR;
	sql_bind_filter(st, f);
	sqldb_bind_int64(st, 97, now);  /* ?97: past the filter's ?90..?96 */
	review_item it;
	return sql_each_row(ss, st, read_review_item, &it, (int (*)(void *, const void *))fn, ctx, "review queue");
}
