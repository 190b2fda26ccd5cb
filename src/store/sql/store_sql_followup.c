/* The SQL stores' (SQLite and PostgreSQL) active safety follow-up: plans, check-ins with their lots and
 * symptoms, withdrawals, staff calls and the statistics' inputs (schema in 0016_followup.sql).
 * The SQL is plain enough to run on PostgreSQL as written, but for the partial index's
 * ON CONFLICT handling (see checkin_insert). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/sql/sql_store.h"

/* ---- plans ---- */

static void read_plan(sqldb_stmt *st, void *out)
{
	followup_plan *p = out;
	*p = (followup_plan){.product_id = sqldb_column_int64(st, 0)};
	json_t *days = json_loads((const char *)sqldb_column_text(st, 1), 0, NULL);
	size_t i;
	json_t *d;
	json_array_foreach(days, i, d)
	{
		if (p->first_count < FOLLOWUP_MAX_FIRST_DAYS && json_is_integer(d))
			p->first_days[p->first_count++] = (int)json_integer_value(d);
	}
	json_decref(days);
	p->repeat_days = sqldb_column_int(st, 2);
	p->disclose = sqldb_column_int(st, 3) != 0;
	p->updated_at = sqldb_column_int64(st, 4);
	p->updated_by = sqldb_column_int64(st, 5);
}

store_rc sql_followup_plan_get(store *s, int64_t product_id, followup_plan *out)
{
	return sql_get_by_id(impl(s),
	                        "SELECT product_id, first_days, repeat_days, disclose, updated_at, coalesce(updated_by, 0)"
	                        " FROM followup_plans WHERE product_id = ?",
	                        product_id, read_plan, out, "read follow-up plan");
}

store_rc sql_followup_plan_put(store *s, const followup_plan *p)
{
	sql_store *ss = impl(s);
	char days[FOLLOWUP_MAX_FIRST_DAYS * 12 + 4];
	size_t n = 0;
	days[n++] = '[';
	for (int i = 0; i < p->first_count; i++)
		n += (size_t)snprintf(days + n, sizeof days - n, "%s%d", i ? "," : "", p->first_days[i]);
	snprintf(days + n, sizeof days - n, "]");
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO followup_plans (product_id, first_days, repeat_days, disclose,"
	                                      " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, nullif(CAST(? AS BIGINT), 0))"
	                                      " ON CONFLICT (product_id) DO UPDATE SET first_days = excluded.first_days,"
	                                      " repeat_days = excluded.repeat_days, disclose = excluded.disclose,"
	                                      " updated_at = excluded.updated_at, updated_by = excluded.updated_by");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, p->product_id);
	sqldb_bind_text(st, 2, days);  /* days outlives the step below */
	sqldb_bind_int(st, 3, p->repeat_days);
	sqldb_bind_int(st, 4, p->disclose ? 1 : 0);
	sqldb_bind_int64(st, 5, p->updated_at);
	sqldb_bind_int64(st, 6, p->updated_by);
	return sql_step_done(ss, st, "write follow-up plan");
}

/* ---- deliveries ---- */

static void read_delivery(sqldb_stmt *st, void *row)
{
	followup_delivery *d = row;
	d->order_id = sqldb_column_int64(st, 0);
	d->patient_id = sqldb_column_int64(st, 1);
	d->product_id = sqldb_column_int64(st, 2);
	d->delivered_at = sqldb_column_int64(st, 3);
	d->brings_new_lot = sqldb_column_int(st, 4) != 0;
}

store_rc sql_followup_deliveries(store *s, store_followup_delivery_fn fn, void *ctx)
{
	followup_delivery row;
	/* A lot is new to the patient when no delivery of theirs before this one (earlier time, or
	 * the same time and a smaller order id) held it. */
	return sql_list(impl(s),
	                   "SELECT o.id, o.patient_id, o.product_id, sh.delivered_at,"
	                   " EXISTS (SELECT 1 FROM dispenses d WHERE d.order_id = o.id AND NOT EXISTS ("
	                   "   SELECT 1 FROM dispenses d2 JOIN orders o2 ON o2.id = d2.order_id"
	                   "   JOIN shipments sh2 ON sh2.order_id = o2.id"
	                   "   WHERE d2.lot_id = d.lot_id AND o2.patient_id = o.patient_id AND o2.status = 'delivered'"
	                   "   AND sh2.delivered_at IS NOT NULL AND (sh2.delivered_at < sh.delivered_at"
	                   "   OR (sh2.delivered_at = sh.delivered_at AND o2.id < o.id))))"
	                   " FROM orders o JOIN shipments sh ON sh.order_id = o.id"
	                   " WHERE o.status = 'delivered' AND sh.delivered_at IS NOT NULL"
	                   " ORDER BY o.patient_id, o.product_id, sh.delivered_at, o.id",
	                   0, read_delivery, &row, (int (*)(void *, const void *))fn, ctx, "list deliveries");
}

/* ---- check-ins ---- */

#define CHECKIN_SELECT                                                                                              \
	"SELECT c.id, c.patient_id, c.product_id, c.anchor_order_id, c.lots_order_id, c.day_offset, c.due_at, c.status," \
	" c.link_token_hash, c.link_expires_at, coalesce(c.mailed_at, 0), coalesce(c.reminded_at, 0),"                 \
	" coalesce(c.answered_at, 0), coalesce(c.answered_via, ''), coalesce(c.answered_by, 0),"                       \
	" coalesce(c.nothing_changed, -1), c.note, coalesce(c.closed_at, 0), c.created_at, p.name_ja, p.name_en,"     \
	" coalesce((SELECT min(r.id) FROM ae_reports r WHERE r.checkin_id = c.id), 0),"                                \
	" (SELECT count(*) FROM followup_calls fc WHERE fc.checkin_id = c.id), u.name, coalesce(pp.phone, ''),"       \
	" u.email, u.lang"                                                                                              \
	" FROM checkins c JOIN products p ON p.id = c.product_id JOIN users u ON u.id = c.patient_id"                  \
	" LEFT JOIN patient_profiles pp ON pp.user_id = c.patient_id"

static void read_checkin(sqldb_stmt *st, void *out)
{
	checkin_record *c = out;
	c->id = sqldb_column_int64(st, 0);
	c->patient_id = sqldb_column_int64(st, 1);
	c->product_id = sqldb_column_int64(st, 2);
	c->anchor_order_id = sqldb_column_int64(st, 3);
	c->lots_order_id = sqldb_column_int64(st, 4);
	c->day_offset = sqldb_column_int(st, 5);
	c->due_at = sqldb_column_int64(st, 6);
	sql_copy_text(c->status, sizeof c->status, st, 7);
	sql_copy_text(c->link_token_hash, sizeof c->link_token_hash, st, 8);
	c->link_expires_at = sqldb_column_int64(st, 9);
	c->mailed_at = sqldb_column_int64(st, 10);
	c->reminded_at = sqldb_column_int64(st, 11);
	c->answered_at = sqldb_column_int64(st, 12);
	sql_copy_text(c->answered_via, sizeof c->answered_via, st, 13);
	c->answered_by = sqldb_column_int64(st, 14);
	c->nothing_changed = sqldb_column_int(st, 15);
	sql_copy_text(c->note, sizeof c->note, st, 16);
	c->closed_at = sqldb_column_int64(st, 17);
	c->created_at = sqldb_column_int64(st, 18);
	sql_copy_text(c->product_name_ja, sizeof c->product_name_ja, st, 19);
	sql_copy_text(c->product_name_en, sizeof c->product_name_en, st, 20);
	c->ae_report_id = sqldb_column_int64(st, 21);
	c->calls = sqldb_column_int64(st, 22);
	sql_copy_text(c->patient_name, sizeof c->patient_name, st, 23);
	sql_copy_text(c->patient_phone, sizeof c->patient_phone, st, 24);
	sql_copy_text(c->patient_email, sizeof c->patient_email, st, 25);
	sql_copy_text(c->patient_lang, sizeof c->patient_lang, st, 26);
}

store_rc sql_checkin_slot_taken(store *s, int64_t patient_id, int64_t product_id, int64_t anchor_order_id,
                                   int day_offset)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM checkins WHERE patient_id = ? AND product_id = ?"
	                                      " AND anchor_order_id = ? AND day_offset = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	sqldb_bind_int64(st, 2, product_id);
	sqldb_bind_int64(st, 3, anchor_order_id);
	sqldb_bind_int(st, 4, day_offset);
	int64_t n = 0;
	store_rc rc = sql_count(ss, st, &n, "find check-in slot");
	if (rc != STORE_OK)
		return rc;
	return n > 0 ? STORE_OK : STORE_NOT_FOUND;
}

store_rc sql_checkin_insert(store *s, checkin_record *c)
{
	sql_store *ss = impl(s);
	/* A plain INSERT: a constraint (the slot's UNIQUE, the one-open partial index) fails only
	 * this statement, and sql_step_done answers STORE_CONFLICT. */
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO checkins (patient_id, product_id, anchor_order_id, lots_order_id,"
	                                      " day_offset, due_at, status, link_token_hash, link_expires_at, created_at)"
	                                      " VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->patient_id);
	sqldb_bind_int64(st, 2, c->product_id);
	sqldb_bind_int64(st, 3, c->anchor_order_id);
	sqldb_bind_int64(st, 4, c->lots_order_id);
	sqldb_bind_int(st, 5, c->day_offset);
	sqldb_bind_int64(st, 6, c->due_at);
	sqldb_bind_text(st, 7, c->link_token_hash);
	sqldb_bind_int64(st, 8, c->link_expires_at);
	sqldb_bind_int64(st, 9, c->created_at);
	store_rc rc = sql_insert(ss, st, &c->id, "insert check-in");
	if (rc != STORE_OK)
		return rc;
	snprintf(c->status, sizeof c->status, "open");
	st = sql_prepare(ss, "INSERT INTO checkin_lots (checkin_id, lot_id)"
	                        " SELECT DISTINCT CAST(? AS BIGINT), lot_id FROM dispenses WHERE order_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->id);
	sqldb_bind_int64(st, 2, c->lots_order_id);
	return sql_step_done(ss, st, "insert check-in lots");
}

store_rc sql_checkins_close_open(store *s, int64_t patient_id, int64_t product_id, const char *status, int64_t at,
                                    int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE checkins SET status = ?, closed_at = ?"
	                                      " WHERE patient_id = ? AND (CAST(? AS BIGINT) = 0 OR product_id = ?) AND status = 'open'");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, status);
	sqldb_bind_int64(st, 2, at);
	sqldb_bind_int64(st, 3, patient_id);
	sqldb_bind_int64(st, 4, product_id);
	sqldb_bind_int64(st, 5, product_id);
	store_rc rc = sql_step_done(ss, st, "close open check-ins");
	if (rc == STORE_OK && count_out)
		*count_out = ss->changes;
	return rc;
}

store_rc sql_checkins_expire(store *s, int64_t now, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE checkins SET status = 'missed', closed_at = ?"
	                                      " WHERE status = 'open' AND link_expires_at <= ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int64(st, 2, now);
	store_rc rc = sql_step_done(ss, st, "expire check-ins");
	if (rc == STORE_OK && count_out)
		*count_out = ss->changes;
	return rc;
}

store_rc sql_checkin_get(store *s, int64_t id, checkin_record *out)
{
	return sql_get_by_id(impl(s), CHECKIN_SELECT " WHERE c.id = ? AND " SQL_IN_SCOPE("u.clinic_id"), id, read_checkin, out, "read check-in");
}

store_rc sql_checkin_by_token(store *s, const char *token_hash, checkin_record *out)
{
	return sql_get_by_text(impl(s), CHECKIN_SELECT " WHERE c.id = (SELECT id FROM checkins WHERE link_token_hash = ?1"
	                                          " UNION ALL SELECT id FROM checkins WHERE reminder_token_hash = ?1 LIMIT 1)",
	                          token_hash, read_checkin, out,
	                          "read check-in by link");
}

store_rc sql_checkins_of_patient(store *s, int64_t patient_id, store_checkin_fn fn, void *ctx)
{
	checkin_record row;
	return sql_list(impl(s), CHECKIN_SELECT " WHERE c.patient_id = ? AND " SQL_IN_SCOPE("u.clinic_id")
	                                        " ORDER BY c.due_at DESC, c.id DESC", patient_id,
	                   read_checkin, &row, (int (*)(void *, const void *))fn, ctx, "list check-ins");
}

static void read_symptom(sqldb_stmt *st, void *row)
{
	checkin_symptom *sy = row;
	sql_copy_text(sy->symptom, sizeof sy->symptom, st, 0);
	sql_copy_text(sy->severity, sizeof sy->severity, st, 1);
	sy->still_present = sqldb_column_int(st, 2) != 0;
}

store_rc sql_checkin_symptoms(store *s, int64_t checkin_id, store_checkin_symptom_fn fn, void *ctx)
{
	checkin_symptom row;
	/* In the checklist's order (the CHECK constraint's), as the form shows them. */
	return sql_list(impl(s),
	                   "SELECT symptom, severity, still_present FROM checkin_symptoms WHERE checkin_id = ?"
	                   " ORDER BY CASE symptom WHEN 'redness' THEN 1 WHEN 'swelling' THEN 2 WHEN 'itching' THEN 3"
	                   " WHEN 'fever' THEN 4 WHEN 'fatigue' THEN 5 WHEN 'headache' THEN 6 WHEN 'nausea' THEN 7"
	                   " WHEN 'allergic_reaction' THEN 8 ELSE 9 END",
	                   checkin_id, read_symptom, &row, (int (*)(void *, const void *))fn, ctx, "list check-in symptoms");
}

static void read_lot(sqldb_stmt *st, void *row)
{
	checkin_lot *l = row;
	l->lot_id = sqldb_column_int64(st, 0);
	sql_copy_text(l->lot_number, sizeof l->lot_number, st, 1);
}

store_rc sql_checkin_lots(store *s, int64_t checkin_id, store_checkin_lot_fn fn, void *ctx)
{
	checkin_lot row;
	return sql_list(impl(s),
	                   "SELECT l.id, l.lot_number FROM checkin_lots cl JOIN lots l ON l.id = cl.lot_id"
	                   " WHERE cl.checkin_id = ? ORDER BY l.id",
	                   checkin_id, read_lot, &row, (int (*)(void *, const void *))fn, ctx, "list check-in lots");
}

store_rc sql_checkin_answer(store *s, const checkin_record *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE checkins SET status = 'answered', answered_at = ?, answered_via = ?,"
	                                      " answered_by = nullif(CAST(? AS BIGINT), 0), nothing_changed = ?, note = ?"
	                                      " WHERE id = ? AND status = 'open'");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->answered_at);
	sqldb_bind_text(st, 2, c->answered_via);
	sqldb_bind_int64(st, 3, c->answered_by);
	sqldb_bind_int(st, 4, c->nothing_changed ? 1 : 0);
	sqldb_bind_text(st, 5, c->note);
	sqldb_bind_int64(st, 6, c->id);
	store_rc rc = sql_step_done(ss, st, "answer check-in");
	if (rc == STORE_OK && ss->changes != 1)
		return STORE_CONFLICT;
	return rc;
}

store_rc sql_checkin_symptom_insert(store *s, int64_t checkin_id, const checkin_symptom *sy)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO checkin_symptoms (checkin_id, symptom, severity, still_present)"
	                                      " VALUES (?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, checkin_id);
	sqldb_bind_text(st, 2, sy->symptom);
	sqldb_bind_text(st, 3, sy->severity);
	sqldb_bind_int(st, 4, sy->still_present ? 1 : 0);
	return sql_step_done(ss, st, "insert check-in symptom");
}

static store_rc set_time(store *s, const char *sql, int64_t id, int64_t at, const char *what)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_int64(st, 2, id);
	return sql_step_done(ss, st, what);
}

store_rc sql_checkin_mark_mailed(store *s, int64_t id, int64_t at)
{
	return set_time(s, "UPDATE checkins SET mailed_at = ? WHERE id = ?", id, at, "mark check-in mailed");
}

store_rc sql_checkin_mark_reminded(store *s, int64_t id, int64_t at, const char *link_token_hash)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE checkins SET reminded_at = ?, reminder_token_hash = ? WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_text(st, 2, link_token_hash);
	sqldb_bind_int64(st, 3, id);
	return sql_step_done(ss, st, "mark check-in reminded");
}

store_rc sql_checkins_to_remind(store *s, int64_t due_before, store_checkin_fn fn, void *ctx)
{
	checkin_record row;
	return sql_list(impl(s),
	                   CHECKIN_SELECT " WHERE c.status = 'open' AND c.mailed_at IS NOT NULL AND c.reminded_at IS NULL"
	                                  " AND c.due_at <= ? ORDER BY c.due_at, c.id",
	                   due_before, read_checkin, &row, (int (*)(void *, const void *))fn, ctx, "list check-ins to remind");
}

store_rc sql_checkins_nonresponders(store *s, int64_t reminded_before, store_checkin_fn fn, void *ctx)
{
	checkin_record row;
	return sql_list(impl(s),
	                   CHECKIN_SELECT " WHERE c.status = 'open' AND c.reminded_at IS NOT NULL AND c.reminded_at <= ?"
	                                  " AND " SQL_IN_SCOPE("u.clinic_id") " ORDER BY c.due_at, c.id",
	                   reminded_before, read_checkin, &row, (int (*)(void *, const void *))fn, ctx,
	                   "list follow-up non-responders");
}

store_rc sql_followup_call_insert(store *s, followup_call_record *c)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO followup_calls (checkin_id, called_by, called_at, outcome)"
	                                      " VALUES (?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, c->checkin_id);
	sqldb_bind_int64(st, 2, c->called_by);
	sqldb_bind_int64(st, 3, c->called_at);
	sqldb_bind_text(st, 4, c->outcome);
	return sql_insert(ss, st, &c->id, "insert follow-up call");
}

/* ---- withdrawals ---- */

static void read_withdrawn_at(sqldb_stmt *st, void *out)
{
	*(int64_t *)out = sqldb_column_int64(st, 0);
}

store_rc sql_followup_withdrawal_get(store *s, int64_t patient_id, int64_t *withdrawn_at_out)
{
	return sql_get_by_id(impl(s), "SELECT withdrawn_at FROM followup_withdrawals WHERE patient_id = ?", patient_id,
	                        read_withdrawn_at, withdrawn_at_out, "read follow-up withdrawal");
}

store_rc sql_followup_withdrawal_put(store *s, int64_t patient_id, int64_t at, const char *reason)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO followup_withdrawals (patient_id, withdrawn_at, reason)"
	                                      " VALUES (?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	sqldb_bind_int64(st, 2, at);
	sqldb_bind_text(st, 3, reason ? reason : "");
	return sql_step_done(ss, st, "record follow-up withdrawal");
}

store_rc sql_followup_withdrawal_delete(store *s, int64_t patient_id)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM followup_withdrawals WHERE patient_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, patient_id);
	store_rc rc = sql_step_done(ss, st, "end follow-up withdrawal");
	if (rc == STORE_OK && ss->changes != 1)
		return STORE_NOT_FOUND;
	return rc;
}

/* ---- the statistics' inputs ---- */

static void read_answer(sqldb_stmt *st, void *row)
{
	followup_answer_row *r = row;
	r->checkin_id = sqldb_column_int64(st, 0);
	r->patient_id = sqldb_column_int64(st, 1);
	r->answered_at = sqldb_column_int64(st, 2);
	r->lot_id = sqldb_column_int64(st, 3);
	sql_copy_text(r->symptom, sizeof r->symptom, st, 4);
	r->due_at = sqldb_column_int64(st, 5);
}

store_rc sql_followup_answers(store *s, int64_t product_id, store_followup_answer_fn fn, void *ctx)
{
	followup_answer_row row;
	return sql_list(impl(s),
	                   "SELECT c.id, c.patient_id, c.answered_at, coalesce(cl.lot_id, 0), coalesce(cs.symptom, ''), c.due_at"
	                   " FROM checkins c LEFT JOIN checkin_lots cl ON cl.checkin_id = c.id"
	                   " LEFT JOIN checkin_symptoms cs ON cs.checkin_id = c.id"
	                   " WHERE c.product_id = ? AND c.status = 'answered' AND " SQL_USER_IN_SCOPE("c.patient_id")
	                   " ORDER BY c.patient_id, c.answered_at, c.id",
	                   product_id, read_answer, &row, (int (*)(void *, const void *))fn, ctx, "list follow-up answers");
}

static void read_exposure(sqldb_stmt *st, void *row)
{
	followup_exposure_row *e = row;
	e->patient_id = sqldb_column_int64(st, 0);
	e->lot_id = sqldb_column_int64(st, 1);
	sql_copy_text(e->lot_number, sizeof e->lot_number, st, 2);
	e->entry_at = sqldb_column_int64(st, 3);
}

store_rc sql_followup_exposures(store *s, int64_t product_id, store_followup_exposure_fn fn, void *ctx)
{
	followup_exposure_row row;
	return sql_list(impl(s),
	                   "SELECT o.patient_id, d.lot_id, l.lot_number, min(sh.delivered_at)"
	                   " FROM orders o JOIN shipments sh ON sh.order_id = o.id JOIN dispenses d ON d.order_id = o.id"
	                   " JOIN lots l ON l.id = d.lot_id"
	                   " WHERE o.product_id = ? AND o.status = 'delivered' AND sh.delivered_at IS NOT NULL"
	                   " AND " SQL_IN_SCOPE("l.clinic_id") " GROUP BY o.patient_id, d.lot_id, l.lot_number ORDER BY o.patient_id, d.lot_id",
	                   product_id, read_exposure, &row, (int (*)(void *, const void *))fn, ctx,
	                   "list follow-up exposures");
}
