/* The SQL stores' (SQLite and PostgreSQL) adverse-event methods (schema in 0005_adverse_events.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "store/sql/sql_store.h"

/* ---- reports ---- */

#define REPORT_SELECT                                                                                               \
	"SELECT r.id, r.patient_id, coalesce(r.order_id, 0), r.reported_by, r.reporter_role, r.symptoms_json,"         \
	" r.description, r.onset_date, r.ongoing, r.severity, coalesce(r.photo_type, ''), coalesce(r.photo_sha256, ''),"\
	" r.received_at, u.name, coalesce(a.version, 0), coalesce(a.serious, 0), coalesce(a.due_date, ''),"           \
	" coalesce(a.outcome, ''),"                                                                                     \
	" coalesce((SELECT min(assessed_at) FROM ae_assessments WHERE report_id = r.id), 0), coalesce(r.checkin_id, 0)"\
	" FROM ae_reports r JOIN users u ON u.id = r.patient_id"                                                       \
	" LEFT JOIN ae_assessments a ON a.report_id = r.id"                                                            \
	"   AND a.version = (SELECT max(version) FROM ae_assessments WHERE report_id = r.id)"

static void read_report(sqldb_stmt *st, void *out)
{
	ae_report_record *r = out;
	r->id = sqldb_column_int64(st, 0);
	r->patient_id = sqldb_column_int64(st, 1);
	r->order_id = sqldb_column_int64(st, 2);
	r->reported_by = sqldb_column_int64(st, 3);
	sql_copy_text(r->reporter_role, sizeof r->reporter_role, st, 4);
	sql_copy_text(r->symptoms_json, sizeof r->symptoms_json, st, 5);
	sql_copy_text(r->description, sizeof r->description, st, 6);
	sql_copy_text(r->onset_date, sizeof r->onset_date, st, 7);
	r->ongoing = sqldb_column_int(st, 8) != 0;
	sql_copy_text(r->severity, sizeof r->severity, st, 9);
	sql_copy_text(r->photo_type, sizeof r->photo_type, st, 10);
	sql_copy_text(r->photo_sha256, sizeof r->photo_sha256, st, 11);
	r->received_at = sqldb_column_int64(st, 12);
	sql_copy_text(r->patient_name, sizeof r->patient_name, st, 13);
	r->latest_version = sqldb_column_int(st, 14);
	r->serious = sqldb_column_int(st, 15) != 0;
	sql_copy_text(r->due_date, sizeof r->due_date, st, 16);
	sql_copy_text(r->outcome, sizeof r->outcome, st, 17);
	r->reviewed_at = sqldb_column_int64(st, 18);
	r->checkin_id = sqldb_column_int64(st, 19);
}

store_rc sql_ae_report_insert(store *s, ae_report_record *r)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO ae_reports (patient_id, order_id, reported_by, reporter_role, symptoms_json,"
	                                      " description, onset_date, ongoing, severity, received_at, checkin_id)"
	                                      " VALUES (?, nullif(CAST(? AS BIGINT), 0), ?, ?, ?, ?, ?, ?, ?, ?, nullif(CAST(? AS BIGINT), 0)) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, r->patient_id);
	sqldb_bind_int64(st, 2, r->order_id);
	sqldb_bind_int64(st, 3, r->reported_by);
	sqldb_bind_text(st, 4, r->reporter_role);
	sqldb_bind_text(st, 5, r->symptoms_json);
	sqldb_bind_text(st, 6, r->description);
	sqldb_bind_text(st, 7, r->onset_date);
	sqldb_bind_int(st, 8, r->ongoing ? 1 : 0);
	sqldb_bind_text(st, 9, r->severity);
	sqldb_bind_int64(st, 10, r->received_at);
	sqldb_bind_int64(st, 11, r->checkin_id);
	return sql_insert(ss, st, &r->id, "insert adverse event report");
}

store_rc sql_ae_report_get(store *s, int64_t id, ae_report_record *out)
{
	return sql_get_by_id(impl(s), REPORT_SELECT " WHERE r.id = ? AND " SQL_IN_SCOPE("u.clinic_id"),
	                        id, read_report, out, "read adverse event report");
}

store_rc sql_ae_report_set_photo(store *s, int64_t id, const char *type, const unsigned char *data, size_t len,
                                    const char *sha256)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE ae_reports SET photo = ?, photo_type = ?, photo_sha256 = ? WHERE id = ?"
	                                      " AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_blob(st, 1, data, len);
	sqldb_bind_text(st, 2, type);
	sqldb_bind_text(st, 3, sha256);
	sqldb_bind_int64(st, 4, id);
	store_rc rc = sql_step_done(ss, st, "store photo");
	return rc == STORE_OK && ss->changes == 0 ? STORE_NOT_FOUND : rc;
}

store_rc sql_ae_report_photo(store *s, int64_t id, char type_out[16], unsigned char **data, size_t *len)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT photo_type, photo FROM ae_reports WHERE id = ? AND photo IS NOT NULL"
	                                      " AND " SQL_USER_IN_SCOPE("patient_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	store_rc out = STORE_NOT_FOUND;
	int rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		sql_copy_text(type_out, 16, st, 0);
		size_t n = 0;
		const void *blob = sqldb_column_blob(st, 1, &n);
		*data = malloc(n > 0 ? n : 1);
		if (*data == NULL) {
			out = STORE_ERROR;
		} else {
			if (n > 0)
				memcpy(*data, blob, n);
			*len = n;
			out = STORE_OK;
		}
	} else if (rc != SQLDB_DONE) {
		out = sql_fail(ss, "read photo");
	}
	sqldb_release(st);
	return out;
}

store_rc sql_ae_report_list(store *s, int64_t patient_id, store_ae_report_fn fn, void *ctx)
{
	ae_report_record row;
	return sql_list(impl(s), REPORT_SELECT " WHERE (CAST(?1 AS BIGINT) = 0 OR r.patient_id = ?1) AND " SQL_IN_SCOPE("u.clinic_id")
	                            " ORDER BY r.id DESC LIMIT 1000",
	                   patient_id, read_report, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list adverse event reports");
}

store_rc sql_ae_report_search(store *s, const list_filter *f, store_ae_report_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, REPORT_SELECT " LEFT JOIN patient_profiles pp ON pp.user_id = r.patient_id"
	                                      " WHERE " SQL_PATIENT_MATCH("u", "pp", "r.id") " AND " SQL_IN_SCOPE("u.clinic_id")
	                                      " ORDER BY r.id DESC");
	if (st == NULL)
		return STORE_ERROR;
	sql_bind_filter(st, f);
	ae_report_record row;
	return sql_each_row(ss,
	st, read_report, &row, (int (*)(void *, const void *))fn, ctx, "search adverse event reports");
}

/* ---- assessments ---- */

/* An assessment is its report's, and the report its patient's clinic's. */
#define REPORT_IN_SCOPE                                                                                             \
	"(?89 = 0 OR (SELECT ru.clinic_id FROM ae_reports rr JOIN users ru ON ru.id = rr.patient_id"                  \
	" WHERE rr.id = a.report_id) = ?89)"

#define ASSESSMENT_SELECT                                                                                           \
	"SELECT a.id, a.report_id, a.version, a.terms_json, a.death, a.life_threatening, a.hospitalization,"           \
	" a.disability, a.congenital_anomaly, a.other_medically_important, a.serious, a.outcome, a.outcome_date,"      \
	" a.causality, a.treatment, a.narrative, a.due_date, a.assessed_by, a.assessed_at, u.name,"                    \
	" u.role"                                                                                                     \
	" FROM ae_assessments a JOIN users u ON u.id = a.assessed_by"

static void read_assessment(sqldb_stmt *st, void *out)
{
	ae_assessment_record *a = out;
	a->id = sqldb_column_int64(st, 0);
	a->report_id = sqldb_column_int64(st, 1);
	a->version = sqldb_column_int(st, 2);
	sql_copy_text(a->terms_json, sizeof a->terms_json, st, 3);
	a->death = sqldb_column_int(st, 4) != 0;
	a->life_threatening = sqldb_column_int(st, 5) != 0;
	a->hospitalization = sqldb_column_int(st, 6) != 0;
	a->disability = sqldb_column_int(st, 7) != 0;
	a->congenital_anomaly = sqldb_column_int(st, 8) != 0;
	a->other_medically_important = sqldb_column_int(st, 9) != 0;
	a->serious = sqldb_column_int(st, 10) != 0;
	sql_copy_text(a->outcome, sizeof a->outcome, st, 11);
	sql_copy_text(a->outcome_date, sizeof a->outcome_date, st, 12);
	sql_copy_text(a->causality, sizeof a->causality, st, 13);
	sql_copy_text(a->treatment, sizeof a->treatment, st, 14);
	sql_copy_text(a->narrative, sizeof a->narrative, st, 15);
	sql_copy_text(a->due_date, sizeof a->due_date, st, 16);
	a->assessed_by = sqldb_column_int64(st, 17);
	a->assessed_at = sqldb_column_int64(st, 18);
	sql_copy_text(a->assessor_name, sizeof a->assessor_name, st, 19);
	a->lot_count = 0;  /* read_suspect_lots fills them */
	a->assessor_role = role_from_name(sqldb_column_text(st, 20));
}

/* Fills a's suspect lots, in lot id order (a query of their own rather than SQLite's
 * group_concat, which PostgreSQL does not have). */
static store_rc read_suspect_lots(sql_store *ss, ae_assessment_record *a)
{
	sqldb_stmt *st = sql_prepare(ss, "SELECT lot_id FROM ae_suspect_lots WHERE assessment_id = ? ORDER BY lot_id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, a->id);
	sqldb_rc rc;
	a->lot_count = 0;
	while ((rc = sqldb_step(st)) == SQLDB_ROW && a->lot_count < AE_MAX_SUSPECT_LOTS)
		a->lot_ids[a->lot_count++] = sqldb_column_int64(st, 0);
	store_rc out = rc == SQLDB_ROW || rc == SQLDB_DONE ? STORE_OK : sql_fail(ss, "read suspect lots");
	sqldb_release(st);
	return out;
}

/* sql_ae_assessment_list's rows: each gets its suspect lots before fn sees it. */
typedef struct assessment_feed {
	sql_store *ss;
	ae_assessment_record *row;
	store_ae_assessment_fn fn;
	void *ctx;
	store_rc rc;
} assessment_feed;

static int feed_assessment(void *ctx, const void *unused)
{
	assessment_feed *f = ctx;
	if ((f->rc = read_suspect_lots(f->ss, f->row)) != STORE_OK)
		return 1;
	return f->fn(f->ctx, f->row);
}

store_rc sql_ae_assessment_insert(store *s, ae_assessment_record *a)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT coalesce(max(version), 0) + 1 FROM ae_assessments WHERE report_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, a->report_id);
	a->version = sqldb_step(st) == SQLDB_ROW ? sqldb_column_int(st, 0) : 0;
	sqldb_release(st);
	if (a->version == 0)
		return sql_fail(ss, "next assessment version");
	st = sql_prepare(ss, "INSERT INTO ae_assessments (report_id, version, terms_json, death, life_threatening, hospitalization,"
	                        " disability, congenital_anomaly, other_medically_important, serious, outcome, outcome_date,"
	                        " causality, treatment, narrative, due_date, assessed_by, assessed_at)"
	                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, a->report_id);
	sqldb_bind_int(st, 2, a->version);
	sqldb_bind_text(st, 3, a->terms_json);
	sqldb_bind_int(st, 4, a->death);
	sqldb_bind_int(st, 5, a->life_threatening);
	sqldb_bind_int(st, 6, a->hospitalization);
	sqldb_bind_int(st, 7, a->disability);
	sqldb_bind_int(st, 8, a->congenital_anomaly);
	sqldb_bind_int(st, 9, a->other_medically_important);
	sqldb_bind_int(st, 10, a->serious);
	sqldb_bind_text(st, 11, a->outcome);
	sqldb_bind_text(st, 12, a->outcome_date);
	sqldb_bind_text(st, 13, a->causality);
	sqldb_bind_text(st, 14, a->treatment);
	sqldb_bind_text(st, 15, a->narrative);
	sqldb_bind_text(st, 16, a->due_date);
	sqldb_bind_int64(st, 17, a->assessed_by);
	sqldb_bind_int64(st, 18, a->assessed_at);
	store_rc rc = sql_insert(ss, st, &a->id, "insert assessment");
	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < a->lot_count; i++) {
		st = sql_prepare(ss, "INSERT INTO ae_suspect_lots (assessment_id, lot_id) VALUES (?, ?) ON CONFLICT DO NOTHING");
		if (st == NULL)
			return STORE_ERROR;
		sqldb_bind_int64(st, 1, a->id);
		sqldb_bind_int64(st, 2, a->lot_ids[i]);
		if ((rc = sql_step_done(ss, st, "insert suspect lot")) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

store_rc sql_ae_assessment_latest(store *s, int64_t report_id, ae_assessment_record *out)
{
	store_rc rc = sql_get_by_id(impl(s), ASSESSMENT_SELECT " WHERE a.report_id = ? AND " REPORT_IN_SCOPE " ORDER BY a.version DESC LIMIT 1",
	                            report_id, read_assessment, out, "read assessment");
	return rc == STORE_OK ? read_suspect_lots(impl(s), out) : rc;
}

store_rc sql_ae_assessment_list(store *s, int64_t report_id, store_ae_assessment_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, ASSESSMENT_SELECT " WHERE a.report_id = ? AND " REPORT_IN_SCOPE " ORDER BY a.version");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, report_id);
	ae_assessment_record *row = malloc(sizeof *row);
	if (row == NULL) {
		sqldb_release(st);
		return STORE_ERROR;
	}
	assessment_feed feed = {ss, row, fn, ctx, STORE_OK};
	store_rc rc = sql_each_row(ss, st, read_assessment, row, feed_assessment, &feed, "list assessments");
	if (rc == STORE_OK)
		rc = feed.rc;
	free(row);
	return rc;
}

/* ---- lot statistics, alerts and signal pairs ---- */

static void read_lot_stat(sqldb_stmt *st, void *out)
{
	ae_lot_stat *x = out;
	x->lot_id = sqldb_column_int64(st, 0);
	sql_copy_text(x->lot_number, sizeof x->lot_number, st, 1);
	x->reports = sqldb_column_int64(st, 2);
	x->serious_reports = sqldb_column_int64(st, 3);
	x->units = sqldb_column_int64(st, 4);
}

/* The latest assessment of every report, as a reusable subquery. */
#define LATEST_ASSESSMENTS                                                                                          \
	"(SELECT a.* FROM ae_assessments a WHERE a.version = (SELECT max(version) FROM ae_assessments WHERE report_id = a.report_id))"

store_rc sql_ae_lot_stats(store *s, int64_t product_id, store_ae_lot_stat_fn fn, void *ctx)
{
	ae_lot_stat row;
	return sql_list(impl(s), "SELECT l.id, l.lot_number,"
	                            " (SELECT count(DISTINCT la.report_id) FROM " LATEST_ASSESSMENTS " la"
	                            "   JOIN ae_suspect_lots sl ON sl.assessment_id = la.id WHERE sl.lot_id = l.id),"
	                            " (SELECT count(DISTINCT la.report_id) FROM " LATEST_ASSESSMENTS " la"
	                            "   JOIN ae_suspect_lots sl ON sl.assessment_id = la.id WHERE sl.lot_id = l.id AND la.serious = 1),"
	                            " (SELECT coalesce(sum(quantity), 0) FROM dispenses d WHERE d.lot_id = l.id)"
	                            " FROM lots l WHERE l.product_id = ? AND " SQL_IN_SCOPE("l.clinic_id") " ORDER BY l.id",
	                            product_id, read_lot_stat, &row,
	                   (int (*)(void *, const void *))fn, ctx, "lot event statistics");
}

static void read_lot_alert(sqldb_stmt *st, void *out)
{
	ae_lot_alert_record *a = out;
	a->id = sqldb_column_int64(st, 0);
	a->lot_id = sqldb_column_int64(st, 1);
	sql_copy_text(a->lot_number, sizeof a->lot_number, st, 2);
	sql_copy_text(a->rule, sizeof a->rule, st, 3);
	sql_copy_text(a->evidence_json, sizeof a->evidence_json, st, 4);
	a->quarantined = sqldb_column_int(st, 5) != 0;
	a->created_at = sqldb_column_int64(st, 6);
}

store_rc sql_ae_lot_alert_insert(store *s, ae_lot_alert_record *a)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO ae_lot_alerts (lot_id, rule, evidence_json, quarantined, created_at)"
	                                      " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, a->lot_id);
	sqldb_bind_text(st, 2, a->rule);
	sqldb_bind_text(st, 3, a->evidence_json);
	sqldb_bind_int(st, 4, a->quarantined);
	sqldb_bind_int64(st, 5, a->created_at);
	/* The assessment that raised it goes on after a conflict (the lot has this alert already). */
	return sql_insert_new(ss, st, &a->id, "insert lot alert");
}

store_rc sql_ae_lot_alert_list(store *s, store_ae_lot_alert_fn fn, void *ctx)
{
	ae_lot_alert_record row;
	return sql_list(impl(s), "SELECT a.id, a.lot_id, l.lot_number, a.rule, a.evidence_json, a.quarantined, a.created_at"
	                            " FROM ae_lot_alerts a JOIN lots l ON l.id = a.lot_id WHERE " SQL_IN_SCOPE("l.clinic_id")
	                            " ORDER BY a.id DESC LIMIT 500",
	                            0, read_lot_alert, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list lot alerts");
}

/* One report's distinct (item, event) pairs, gathered from its rows before they are passed on
 * (the rows' suspect lots × terms may repeat a pair: two lots of one product, a term twice). */
typedef struct pair_batch {
	int64_t report_id;
	char **pairs;  /* "item\036event", malloc'd */
	size_t count, cap;
} pair_batch;

/* Adds item/event to b unless it is there already; -1 when out of memory. */
static int batch_add(pair_batch *b, const char *item, const char *event)
{
	size_t n = strlen(item) + 1 + strlen(event) + 1;
	char *pair = malloc(n);
	if (pair == NULL)
		return -1;
	snprintf(pair, n, "%s\036%s", item, event);
	for (size_t i = 0; i < b->count; i++)
		if (strcmp(b->pairs[i], pair) == 0) {
			free(pair);
			return 0;
		}
	if (b->count == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		char **grown = realloc(b->pairs, cap * sizeof *grown);
		if (grown == NULL) {
			free(pair);
			return -1;
		}
		b->pairs = grown;
		b->cap = cap;
	}
	b->pairs[b->count++] = pair;
	return 0;
}

/* Passes b's pairs to fn (until it returns non-zero: *stopped) and empties b. */
static void batch_flush(pair_batch *b, store_ae_pair_fn fn, void *ctx, bool *stopped)
{
	for (size_t i = 0; i < b->count; i++) {
		char *sep = strchr(b->pairs[i], '\036');
		*sep = '\0';
		if (!*stopped && fn(ctx, b->report_id, b->pairs[i], sep + 1) != 0)
			*stopped = true;
		free(b->pairs[i]);
	}
	b->count = 0;
}

store_rc sql_ae_signal_pairs(store *s, bool by_lot, store_ae_pair_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	/* Each latest assessment's suspect lots × its terms, kept by migration 0017's triggers in
	 * ae_signal_pairs: the product (or, by lot, the product code and the lot number joined by
	 * U+001F, as signal.h's lot items are: a lot number is unique only within its product) and
	 * the event. A clinic's staff see the pairs of their clinic's lots only (the store's clinic
	 * scope); the safety officer's pooled signals read with scope STORE_SCOPE_ALL. */
	sqldb_stmt *st = sql_prepare(ss, "SELECT sp.report_id, p.code, l.lot_number, sp.event"
	                                 " FROM ae_signal_pairs sp JOIN lots l ON l.id = sp.lot_id"
	                                 " JOIN products p ON p.id = l.product_id"
	                                 " WHERE " SQL_IN_SCOPE("l.clinic_id")
	                                 " ORDER BY sp.report_id, sp.lot_id, sp.term_no");
	if (st == NULL)
		return STORE_ERROR;
	pair_batch batch = {0};
	bool stopped = false, failed = false;
	sqldb_rc rc = SQLDB_DONE;
	while (!stopped && !failed && (rc = sqldb_step(st)) == SQLDB_ROW) {
		int64_t report_id = sqldb_column_int64(st, 0);
		if (report_id != batch.report_id)
			batch_flush(&batch, fn, ctx, &stopped);
		batch.report_id = report_id;
		const char *code = sqldb_column_text(st, 1), *lot = sqldb_column_text(st, 2);
		const char *event = sqldb_column_text(st, 3);
		char item[256];
		snprintf(item, sizeof item, by_lot ? "%s\037%s" : "%s", code ? code : "", lot ? lot : "");
		if (batch_add(&batch, item, event ? event : "") != 0)
			failed = true;
	}
	if (!stopped && !failed)
		batch_flush(&batch, fn, ctx, &stopped);
	else
		batch_flush(&batch, fn, ctx, &(bool){true});
	free(batch.pairs);
	store_rc out = STORE_OK;
	if (failed) {
		snprintf(s->errmsg, sizeof s->errmsg, "signal pairs: out of memory");
		out = STORE_ERROR;
	} else if (!stopped && rc != SQLDB_DONE) {
		out = sql_fail(ss, "signal pairs");
	}
	sqldb_release(st);
	return out;
}
