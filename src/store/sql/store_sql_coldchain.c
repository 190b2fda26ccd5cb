/* The SQL stores' (SQLite and PostgreSQL) cold-chain methods: storage units, loggers, lot placements, readings
 * and excursion alerts (schema in 0004_coldchain.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_store.h"

void coldchain_alert_clear(coldchain_alert_record *a)
{
	free(a->evidence_json);
	a->evidence_json = NULL;
}

/* ---- units and loggers ---- */

#define UNIT_SELECT                                                                                                 \
	"SELECT u.id, u.name, u.kind, u.location, u.created_at, coalesce(g.id, 0), coalesce(g.code, '')"              \
	" FROM storage_units u LEFT JOIN loggers g ON g.id = (SELECT min(id) FROM loggers WHERE unit_id = u.id)"

static void read_unit(sqldb_stmt *st, void *out)
{
	storage_unit_record *u = out;
	u->id = sqldb_column_int64(st, 0);
	sql_copy_text(u->name, sizeof u->name, st, 1);
	sql_copy_text(u->kind, sizeof u->kind, st, 2);
	sql_copy_text(u->location, sizeof u->location, st, 3);
	u->created_at = sqldb_column_int64(st, 4);
	u->logger_id = sqldb_column_int64(st, 5);
	sql_copy_text(u->logger_code, sizeof u->logger_code, st, 6);
}

store_rc sql_unit_insert(store *s, storage_unit_record *u)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO storage_units (name, kind, location, created_at, clinic_id) VALUES (?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, u->name);
	sqldb_bind_text(st, 2, u->kind);
	sqldb_bind_text(st, 3, u->location);
	sqldb_bind_int64(st, 4, u->created_at);
	sqldb_bind_int64(st, 5, store_scope_home(s));
	return sql_insert(ss, st, &u->id, "insert storage unit");
}

store_rc sql_unit_get(store *s, int64_t id, storage_unit_record *out)
{
	return sql_get_by_id(impl(s), UNIT_SELECT " WHERE u.id = ? AND " SQL_IN_SCOPE("u.clinic_id"), id, read_unit, out, "read storage unit");
}

store_rc sql_unit_list(store *s, store_unit_fn fn, void *ctx)
{
	storage_unit_record row;
	return sql_list(impl(s), UNIT_SELECT " WHERE " SQL_IN_SCOPE("u.clinic_id") " ORDER BY u.id", 0, read_unit, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list storage units");
}

/* A logger belongs to its storage unit's clinic; one not yet placed in a unit is shown to every
 * clinic, so whoever installs it can find it (it records temperatures, nobody's data). The
 * query joins its unit as u. */
#define LOGGER_IN_SCOPE "(?89 = 0 OR g.unit_id IS NULL OR u.clinic_id = ?89)"

#define LOGGER_SELECT                                                                                               \
	"SELECT g.id, g.code, g.description, coalesce(g.unit_id, 0), coalesce(g.api_key_hash, ''),"                   \
	" coalesce(g.interval_seconds, 0), g.created_at, coalesce(u.name, ''),"                                        \
	" (SELECT count(*) FROM readings r WHERE r.logger_id = g.id),"                                                 \
	" coalesce((SELECT min(at) FROM readings r WHERE r.logger_id = g.id), 0),"                                     \
	" coalesce((SELECT max(at) FROM readings r WHERE r.logger_id = g.id), 0)"                                      \
	" FROM loggers g LEFT JOIN storage_units u ON u.id = g.unit_id"

static void read_logger(sqldb_stmt *st, void *out)
{
	logger_record *l = out;
	l->id = sqldb_column_int64(st, 0);
	sql_copy_text(l->code, sizeof l->code, st, 1);
	sql_copy_text(l->description, sizeof l->description, st, 2);
	l->unit_id = sqldb_column_int64(st, 3);
	sql_copy_text(l->api_key_hash, sizeof l->api_key_hash, st, 4);
	l->interval_seconds = sqldb_column_int64(st, 5);
	l->created_at = sqldb_column_int64(st, 6);
	sql_copy_text(l->unit_name, sizeof l->unit_name, st, 7);
	l->readings = sqldb_column_int64(st, 8);
	l->first_at = sqldb_column_int64(st, 9);
	l->last_at = sqldb_column_int64(st, 10);
}

store_rc sql_logger_insert(store *s, logger_record *l)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO loggers (code, description, unit_id, api_key_hash, interval_seconds,"
	                                      " created_at) VALUES (?, ?, nullif(CAST(? AS BIGINT), 0), nullif(?, ''), nullif(CAST(? AS BIGINT), 0), ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, l->code);
	sqldb_bind_text(st, 2, l->description);
	sqldb_bind_int64(st, 3, l->unit_id);
	sqldb_bind_text(st, 4, l->api_key_hash);
	sqldb_bind_int64(st, 5, l->interval_seconds);
	sqldb_bind_int64(st, 6, l->created_at);
	return sql_insert(ss, st, &l->id, "insert logger");
}

store_rc sql_logger_get(store *s, int64_t id, logger_record *out)
{
	return sql_get_by_id(impl(s), LOGGER_SELECT " WHERE g.id = ? AND " LOGGER_IN_SCOPE, id, read_logger, out, "read logger");
}

store_rc sql_logger_by_code(store *s, const char *code, logger_record *out)
{
	return sql_get_by_text(impl(s), LOGGER_SELECT " WHERE g.code = ? AND " LOGGER_IN_SCOPE, code, read_logger, out, "read logger");
}

store_rc sql_logger_list(store *s, store_logger_fn fn, void *ctx)
{
	logger_record row;
	return sql_list(impl(s), LOGGER_SELECT " WHERE " LOGGER_IN_SCOPE " ORDER BY g.id", 0, read_logger, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list loggers");
}

store_rc sql_logger_set_key(store *s, int64_t id, const char *api_key_hash)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE loggers SET api_key_hash = nullif(?, '') WHERE id = ?"
	                                      " AND (?89 = 0 OR unit_id IS NULL OR " SQL_UNIT_IN_SCOPE("unit_id") ")");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, api_key_hash);
	sqldb_bind_int64(st, 2, id);
	store_rc rc = sql_step_done(ss, st, "set logger key");
	return rc == STORE_OK && ss->changes == 0 ? STORE_NOT_FOUND : rc;
}

/* ---- placements and exposures ---- */

store_rc sql_lot_place(store *s, int64_t lot_id, int64_t unit_id, int64_t at)
{
	sql_store *ss = impl(s);
	/* A move within the second the current stay began corrects that stay rather than
	 * recording one of no length. */
	sqldb_stmt *st = sql_prepare(ss, "UPDATE lot_placements SET unit_id = ?2 WHERE lot_id = ?1 AND to_at IS NULL AND from_at >= ?3");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, lot_id);
	sqldb_bind_int64(st, 2, unit_id);
	sqldb_bind_int64(st, 3, at);
	store_rc first = sql_step_done(ss, st, "correct placement");
	if (first != STORE_OK || ss->changes > 0)
		return first;
	st = sql_prepare(ss, "UPDATE lot_placements SET to_at = ?2 WHERE lot_id = ?1 AND to_at IS NULL");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, lot_id);
	sqldb_bind_int64(st, 2, at);
	store_rc rc = sql_step_done(ss, st, "close placement");
	if (rc != STORE_OK)
		return rc;
	st = sql_prepare(ss, "INSERT INTO lot_placements (lot_id, unit_id, from_at) VALUES (?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, lot_id);
	sqldb_bind_int64(st, 2, unit_id);
	sqldb_bind_int64(st, 3, at);
	return sql_step_done(ss, st, "place lot");
}

static void read_exposure(sqldb_stmt *st, void *out)
{
	lot_exposure *e = out;
	e->lot_id = sqldb_column_int64(st, 0);
	sql_copy_text(e->lot_number, sizeof e->lot_number, st, 1);
	sql_copy_text(e->lot_status, sizeof e->lot_status, st, 2);
	e->product_id = sqldb_column_int64(st, 3);
	e->min_celsius = sqldb_column_double(st, 4);
	e->max_celsius = sqldb_column_double(st, 5);
	e->allowance_minutes = sqldb_column_int(st, 6);
	e->logger_id = sqldb_column_int64(st, 7);
	sql_copy_text(e->place, sizeof e->place, st, 8);
	e->from_at = sqldb_column_int64(st, 9);
	e->to_at = sqldb_column_int64(st, 10);
}

#define EXPOSURE_COLUMNS                                                                                            \
	"l.id, l.lot_number, l.status, p.id, p.storage_min_c, p.storage_max_c, p.excursion_allowance_minutes, g.id"

/* Lots in a logger's unit, and lots in shipments that carried the logger. */
#define EXPOSURES_UNION                                                                                             \
	"SELECT " EXPOSURE_COLUMNS ", 'unit:' || pl.unit_id, pl.from_at, coalesce(pl.to_at, 0)"                        \
	" FROM lot_placements pl JOIN loggers g ON g.unit_id = pl.unit_id"                                             \
	" JOIN lots l ON l.id = pl.lot_id JOIN products p ON p.id = l.product_id"                                      \
	" WHERE %s AND pl.from_at < ?3 AND (pl.to_at IS NULL OR pl.to_at > ?2)"                                        \
	" UNION ALL "                                                                                                  \
	"SELECT " EXPOSURE_COLUMNS ", 'shipment:' || sh.id, sh.shipped_at, coalesce(sh.delivered_at, 0)"               \
	" FROM shipments sh JOIN loggers g ON g.code = sh.logger_id JOIN dispenses d ON d.order_id = sh.order_id"      \
	" JOIN lots l ON l.id = d.lot_id JOIN products p ON p.id = l.product_id"                                       \
	" WHERE %s AND sh.shipped_at < ?3 AND (sh.delivered_at IS NULL OR sh.delivered_at > ?2)"                       \
	" ORDER BY 1, 10"

static store_rc exposures(store *s, const char *where, int64_t key, int64_t from, int64_t to, store_exposure_fn fn,
                          void *ctx)
{
	sql_store *ss = impl(s);
	char sql[2048];
	snprintf(sql, sizeof sql, EXPOSURES_UNION, where, where);
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, key);
	sqldb_bind_int64(st, 2, from);
	sqldb_bind_int64(st, 3, to);
	lot_exposure row;
	return sql_each_row(ss, st, read_exposure, &row, (int (*)(void *, const void *))fn, ctx, "exposures");
}

store_rc sql_exposures_of_logger(store *s, int64_t logger_id, int64_t from, int64_t to, store_exposure_fn fn,
                                    void *ctx)
{
	return exposures(s, "g.id = ?1", logger_id, from, to, fn, ctx);
}

store_rc sql_exposures_of_lot(store *s, int64_t lot_id, store_exposure_fn fn, void *ctx)
{
	return exposures(s, "l.id = ?1", lot_id, INT64_MIN, INT64_MAX, fn, ctx);
}

/* ---- readings ---- */

store_rc sql_reading_put(store *s, int64_t logger_id, int64_t at, double celsius, int *added)
{
	sql_store *ss = impl(s);
	/* The import's hot loop: one cached statement found again per reading (sqldb_prepare). */
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO readings (logger_id, at, celsius) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, logger_id);
	sqldb_bind_int64(st, 2, at);
	sqldb_bind_double(st, 3, celsius);
	sqldb_rc rc = sqldb_step(st);
	int64_t changed = rc == SQLDB_DONE ? sqldb_changes(st) : 0;
	sqldb_release(st);
	if (rc != SQLDB_DONE)
		return sql_fail(ss, "insert reading");
	if (changed == 1) {
		*added = 1;
		return STORE_OK;
	}
	/* Already there: the same reading again is fine, a different value is a conflict. */
	*added = 0;
	st = sql_prepare(ss, "SELECT celsius FROM readings WHERE logger_id = ? AND at = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, logger_id);
	sqldb_bind_int64(st, 2, at);
	store_rc out = STORE_ERROR;
	if (sqldb_step(st) == SQLDB_ROW) {
		double stored = sqldb_column_double(st, 0);
		double diff = stored - celsius;
		/* Equal to the logger's precision: files round-trip through text. */
		out = diff < 1e-6 && diff > -1e-6 ? STORE_OK : STORE_CONFLICT;
		if (out == STORE_CONFLICT)
			snprintf(s->errmsg, sizeof s->errmsg, "a reading at this time is already stored with %.2f °C", stored);
	} else {
		sql_fail(ss, "read reading");
	}
	sqldb_release(st);
	return out;
}

store_rc sql_readings_range(store *s, int64_t logger_id, int64_t from, int64_t to, store_reading_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT at, celsius FROM readings WHERE logger_id = ? AND at >= ? AND at < ? ORDER BY at");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, logger_id);
	sqldb_bind_int64(st, 2, from);
	sqldb_bind_int64(st, 3, to);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW)
		if (fn(ctx, sqldb_column_int64(st, 0), sqldb_column_double(st, 1)) != 0)
			break;
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "read readings");
	sqldb_release(st);
	return out;
}

store_rc sql_reading_import_insert(store *s, reading_import_record *r)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO reading_imports (logger_id, source, sha256, rows_read, rows_added, first_at,"
	                                      " last_at, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, nullif(CAST(? AS BIGINT), 0), nullif(CAST(? AS BIGINT), 0), ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, r->logger_id);
	sqldb_bind_text(st, 2, r->source);
	sqldb_bind_text(st, 3, r->sha256);
	sqldb_bind_int64(st, 4, r->rows_read);
	sqldb_bind_int64(st, 5, r->rows_added);
	sqldb_bind_int64(st, 6, r->first_at);
	sqldb_bind_int64(st, 7, r->last_at);
	sqldb_bind_int64(st, 8, r->imported_by);
	sqldb_bind_int64(st, 9, r->imported_at);
	return sql_insert(ss, st, &r->id, "record import");
}

/* ---- alerts ---- */

#define ALERT_SELECT                                                                                                \
	"SELECT a.id, a.lot_id, a.logger_id, a.place, a.first_at, a.last_at, a.minutes_outside, a.allowance_minutes,"  \
	" a.peak_celsius, a.status, a.created_at, coalesce(a.disposition, ''), coalesce(a.justification, ''),"        \
	" coalesce(a.disposed_by, 0), coalesce(a.disposed_at, 0), l.lot_number, p.name_ja, g.code, a.evidence_json"    \
	" FROM coldchain_alerts a JOIN lots l ON l.id = a.lot_id JOIN products p ON p.id = l.product_id"               \
	" JOIN loggers g ON g.id = a.logger_id"

static void read_alert_meta(sqldb_stmt *st, void *out)
{
	coldchain_alert_record *a = out;
	a->id = sqldb_column_int64(st, 0);
	a->lot_id = sqldb_column_int64(st, 1);
	a->logger_id = sqldb_column_int64(st, 2);
	sql_copy_text(a->place, sizeof a->place, st, 3);
	a->first_at = sqldb_column_int64(st, 4);
	a->last_at = sqldb_column_int64(st, 5);
	a->minutes_outside = sqldb_column_int64(st, 6);
	a->allowance_minutes = sqldb_column_int64(st, 7);
	a->peak_celsius = sqldb_column_double(st, 8);
	sql_copy_text(a->status, sizeof a->status, st, 9);
	a->created_at = sqldb_column_int64(st, 10);
	sql_copy_text(a->disposition, sizeof a->disposition, st, 11);
	sql_copy_text(a->justification, sizeof a->justification, st, 12);
	a->disposed_by = sqldb_column_int64(st, 13);
	a->disposed_at = sqldb_column_int64(st, 14);
	sql_copy_text(a->lot_number, sizeof a->lot_number, st, 15);
	sql_copy_text(a->product_name_ja, sizeof a->product_name_ja, st, 16);
	sql_copy_text(a->logger_code, sizeof a->logger_code, st, 17);
	a->evidence_json = NULL;
}

static void read_alert_full(sqldb_stmt *st, void *out)
{
	coldchain_alert_record *a = out;
	read_alert_meta(st, out);
	const char *t = sqldb_column_text(st, 18);
	a->evidence_json = strdup(t ? t : "{}");
}

store_rc sql_alert_insert(store *s, coldchain_alert_record *a)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO coldchain_alerts (lot_id, logger_id, place, first_at, last_at, minutes_outside,"
	                                      " allowance_minutes, peak_celsius, evidence_json, status, created_at)"
	                                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, a->lot_id);
	sqldb_bind_int64(st, 2, a->logger_id);
	sqldb_bind_text(st, 3, a->place);
	sqldb_bind_int64(st, 4, a->first_at);
	sqldb_bind_int64(st, 5, a->last_at);
	sqldb_bind_int64(st, 6, a->minutes_outside);
	sqldb_bind_int64(st, 7, a->allowance_minutes);
	sqldb_bind_double(st, 8, a->peak_celsius);
	sqldb_bind_text(st, 9, a->evidence_json ? a->evidence_json : "{}");
	sqldb_bind_int64(st, 10, a->created_at);
	return sql_insert(ss, st, &a->id, "insert alert");
}

store_rc sql_alert_get(store *s, int64_t id, coldchain_alert_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, ALERT_SELECT " WHERE a.id = ? AND " SQL_IN_SCOPE("l.clinic_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	memset(out, 0, sizeof *out);
	store_rc rc = sql_step_one(ss, st, read_alert_full, out, "read alert");
	if (rc == STORE_OK && out->evidence_json == NULL) {
		snprintf(s->errmsg, sizeof s->errmsg, "out of memory");
		return STORE_ERROR;
	}
	return rc;
}

store_rc sql_alert_list(store *s, const char *status, int64_t lot_id, store_alert_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, ALERT_SELECT " WHERE (CAST(?1 AS TEXT) IS NULL OR a.status = ?1) AND (CAST(?2 AS BIGINT) = 0 OR a.lot_id = ?2)"
	                                      " AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY a.id DESC LIMIT 500");
	if (st == NULL)
		return STORE_ERROR;
	if (status)
		sqldb_bind_text(st, 1, status);
	else
		sqldb_bind_null(st, 1);
	sqldb_bind_int64(st, 2, lot_id);
	/* Evidence is small (the episodes and the range): lists carry it so QA sees why at once. */
	coldchain_alert_record row;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_alert_full(st, &row);
		int stop = fn(ctx, &row);
		coldchain_alert_clear(&row);
		if (stop)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "list alerts");
	sqldb_release(st);
	return out;
}

store_rc sql_alert_dispose(store *s, int64_t id, const char *disposition, const char *justification, int64_t by,
                              int64_t at)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE coldchain_alerts SET status = 'disposed', disposition = ?, justification = ?,"
	                                      " disposed_by = ?, disposed_at = ? WHERE id = ? AND status = 'open' AND " SQL_LOT_IN_SCOPE("lot_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, disposition);
	sqldb_bind_text(st, 2, justification);
	sqldb_bind_int64(st, 3, by);
	sqldb_bind_int64(st, 4, at);
	sqldb_bind_int64(st, 5, id);
	store_rc rc = sql_step_done(ss, st, "dispose alert");
	return rc == STORE_OK && ss->changes == 0 ? STORE_CONFLICT : rc;
}

/* ---- silent sensors ---- */

#define SILENCE_SELECT                                                                                             \
	"SELECT x.id, x.logger_id, x.since_at, x.detected_at, coalesce(x.resumed_at, 0), coalesce(x.recovered_at, 0),"  \
	" g.code, coalesce(u.name, ''), coalesce(g.interval_seconds, 0)"                                              \
	" FROM logger_silences x JOIN loggers g ON g.id = x.logger_id LEFT JOIN storage_units u ON u.id = g.unit_id"

static void read_silence(sqldb_stmt *st, void *out)
{
	logger_silence_record *r = out;
	r->id = sqldb_column_int64(st, 0);
	r->logger_id = sqldb_column_int64(st, 1);
	r->since_at = sqldb_column_int64(st, 2);
	r->detected_at = sqldb_column_int64(st, 3);
	r->resumed_at = sqldb_column_int64(st, 4);
	r->recovered_at = sqldb_column_int64(st, 5);
	sql_copy_text(r->logger_code, sizeof r->logger_code, st, 6);
	sql_copy_text(r->unit_name, sizeof r->unit_name, st, 7);
	r->interval_seconds = sqldb_column_int64(st, 8);
}

store_rc sql_silence_open(store *s, logger_silence_record *r)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO logger_silences (logger_id, since_at, detected_at) VALUES (?, ?, ?)"
	                                      " ON CONFLICT DO NOTHING RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, r->logger_id);
	sqldb_bind_int64(st, 2, r->since_at);
	sqldb_bind_int64(st, 3, r->detected_at);
	/* The service carries on after a conflict (already silent) in its transaction. */
	return sql_insert_new(ss, st, &r->id, "open silence");
}

store_rc sql_silence_recover(store *s, int64_t logger_id, int64_t recovered_at, logger_silence_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE logger_silences SET recovered_at = ?1, resumed_at ="
	                                      " (SELECT min(r.at) FROM readings r WHERE r.logger_id = ?2 AND r.at > since_at)"
	                                      " WHERE logger_id = ?2 AND recovered_at IS NULL"
	                                      " AND EXISTS (SELECT 1 FROM readings r WHERE r.logger_id = ?2 AND r.at > since_at)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, recovered_at);
	sqldb_bind_int64(st, 2, logger_id);
	store_rc rc = sql_step_done(ss, st, "recover silence");
	if (rc != STORE_OK)
		return rc;
	if (ss->changes == 0)
		return STORE_NOT_FOUND;
	st = sql_prepare(ss, SILENCE_SELECT " WHERE x.logger_id = ? AND x.recovered_at = ? ORDER BY x.id DESC LIMIT 1");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, logger_id);
	sqldb_bind_int64(st, 2, recovered_at);
	return sql_step_one(ss, st, read_silence, out, "read silence");
}

store_rc sql_silence_list(store *s, int64_t recovered_since, store_silence_fn fn, void *ctx)
{
	logger_silence_record row;
	return sql_list(impl(s), SILENCE_SELECT " WHERE (x.recovered_at IS NULL OR x.recovered_at >= ?) AND " LOGGER_IN_SCOPE
	                            " ORDER BY x.recovered_at IS NOT NULL, x.detected_at DESC, x.id DESC LIMIT 200",
	                            recovered_since, read_silence, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list silences");
}
