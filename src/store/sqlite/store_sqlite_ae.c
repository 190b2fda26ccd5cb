/* The SQLite backend's adverse-event methods (schema in 0005_adverse_events.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_internal.h"

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

static void read_report(sqlite3_stmt *st, void *out)
{
	ae_report_record *r = out;
	r->id = sqlite3_column_int64(st, 0);
	r->patient_id = sqlite3_column_int64(st, 1);
	r->order_id = sqlite3_column_int64(st, 2);
	r->reported_by = sqlite3_column_int64(st, 3);
	sqlite_copy_text(r->reporter_role, sizeof r->reporter_role, st, 4);
	sqlite_copy_text(r->symptoms_json, sizeof r->symptoms_json, st, 5);
	sqlite_copy_text(r->description, sizeof r->description, st, 6);
	sqlite_copy_text(r->onset_date, sizeof r->onset_date, st, 7);
	r->ongoing = sqlite3_column_int(st, 8) != 0;
	sqlite_copy_text(r->severity, sizeof r->severity, st, 9);
	sqlite_copy_text(r->photo_type, sizeof r->photo_type, st, 10);
	sqlite_copy_text(r->photo_sha256, sizeof r->photo_sha256, st, 11);
	r->received_at = sqlite3_column_int64(st, 12);
	sqlite_copy_text(r->patient_name, sizeof r->patient_name, st, 13);
	r->latest_version = sqlite3_column_int(st, 14);
	r->serious = sqlite3_column_int(st, 15) != 0;
	sqlite_copy_text(r->due_date, sizeof r->due_date, st, 16);
	sqlite_copy_text(r->outcome, sizeof r->outcome, st, 17);
	r->reviewed_at = sqlite3_column_int64(st, 18);
	r->checkin_id = sqlite3_column_int64(st, 19);
}

store_rc sqlite_ae_report_insert(store *s, ae_report_record *r)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, "INSERT INTO ae_reports (patient_id, order_id, reported_by, reporter_role, symptoms_json,"
	                                      " description, onset_date, ongoing, severity, received_at, checkin_id)"
	                                      " VALUES (?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0))");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, r->patient_id);
	sqlite3_bind_int64(st, 2, r->order_id);
	sqlite3_bind_int64(st, 3, r->reported_by);
	sqlite3_bind_text(st, 4, r->reporter_role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->symptoms_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->onset_date, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, r->ongoing ? 1 : 0);
	sqlite3_bind_text(st, 9, r->severity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, r->received_at);
	sqlite3_bind_int64(st, 11, r->checkin_id);
	return sqlite_insert(ss, st, &r->id, "insert adverse event report");
}

store_rc sqlite_ae_report_get(store *s, int64_t id, ae_report_record *out)
{
	return sqlite_get_by_id(impl(s), REPORT_SELECT " WHERE r.id = ?",
	                        id, read_report, out, "read adverse event report");
}

store_rc sqlite_ae_report_set_photo(store *s, int64_t id, const char *type, const unsigned char *data, size_t len,
                                    const char *sha256)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, "UPDATE ae_reports SET photo = ?, photo_type = ?, photo_sha256 = ? WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob64(st, 1, data, (sqlite3_uint64)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	store_rc rc = sqlite_step_done(ss, st, "store photo");
	return rc == STORE_OK && sqlite3_changes(ss->db) == 0 ? STORE_NOT_FOUND : rc;
}

store_rc sqlite_ae_report_photo(store *s, int64_t id, char type_out[16], unsigned char **data, size_t *len)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, "SELECT photo_type, photo FROM ae_reports WHERE id = ? AND photo IS NOT NULL");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	store_rc out = STORE_NOT_FOUND;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite_copy_text(type_out, 16, st, 0);
		int n = sqlite3_column_bytes(st, 1);
		*data = malloc(n > 0 ? (size_t)n : 1);
		if (*data == NULL) {
			out = STORE_ERROR;
		} else {
			memcpy(*data, sqlite3_column_blob(st, 1), (size_t)n);
			*len = (size_t)n;
			out = STORE_OK;
		}
	} else if (rc != SQLITE_DONE) {
		out = sqlite_fail(ss, "read photo");
	}
	sqlite_release(ss, st);
	return out;
}

store_rc sqlite_ae_report_list(store *s, int64_t patient_id, store_ae_report_fn fn, void *ctx)
{
	ae_report_record row;
	return sqlite_list(impl(s), REPORT_SELECT " WHERE (?1 = 0 OR r.patient_id = ?1) ORDER BY r.id DESC LIMIT 1000",
	                   patient_id, read_report, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list adverse event reports");
}

store_rc sqlite_ae_report_search(store *s, const list_filter *f, store_ae_report_fn fn, void *ctx)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, REPORT_SELECT " LEFT JOIN patient_profiles pp ON pp.user_id = r.patient_id"
	                                      " WHERE " SQL_PATIENT_MATCH("u", "pp", "r.id") " ORDER BY r.id DESC");
	if (st == NULL)
		return STORE_ERROR;
	sqlite_bind_filter(st, f);
	ae_report_record row;
	return sqlite_each_row(ss,
	st, read_report, &row, (int (*)(void *, const void *))fn, ctx, "search adverse event reports");
}

/* ---- assessments ---- */

#define ASSESSMENT_SELECT                                                                                           \
	"SELECT a.id, a.report_id, a.version, a.terms_json, a.death, a.life_threatening, a.hospitalization,"           \
	" a.disability, a.congenital_anomaly, a.other_medically_important, a.serious, a.outcome, a.outcome_date,"      \
	" a.causality, a.treatment, a.narrative, a.due_date, a.assessed_by, a.assessed_at, u.name,"                    \
	" (SELECT group_concat(lot_id) FROM ae_suspect_lots WHERE assessment_id = a.id), u.role"                       \
	" FROM ae_assessments a JOIN users u ON u.id = a.assessed_by"

static void read_assessment(sqlite3_stmt *st, void *out)
{
	ae_assessment_record *a = out;
	a->id = sqlite3_column_int64(st, 0);
	a->report_id = sqlite3_column_int64(st, 1);
	a->version = sqlite3_column_int(st, 2);
	sqlite_copy_text(a->terms_json, sizeof a->terms_json, st, 3);
	a->death = sqlite3_column_int(st, 4) != 0;
	a->life_threatening = sqlite3_column_int(st, 5) != 0;
	a->hospitalization = sqlite3_column_int(st, 6) != 0;
	a->disability = sqlite3_column_int(st, 7) != 0;
	a->congenital_anomaly = sqlite3_column_int(st, 8) != 0;
	a->other_medically_important = sqlite3_column_int(st, 9) != 0;
	a->serious = sqlite3_column_int(st, 10) != 0;
	sqlite_copy_text(a->outcome, sizeof a->outcome, st, 11);
	sqlite_copy_text(a->outcome_date, sizeof a->outcome_date, st, 12);
	sqlite_copy_text(a->causality, sizeof a->causality, st, 13);
	sqlite_copy_text(a->treatment, sizeof a->treatment, st, 14);
	sqlite_copy_text(a->narrative, sizeof a->narrative, st, 15);
	sqlite_copy_text(a->due_date, sizeof a->due_date, st, 16);
	a->assessed_by = sqlite3_column_int64(st, 17);
	a->assessed_at = sqlite3_column_int64(st, 18);
	sqlite_copy_text(a->assessor_name, sizeof a->assessor_name, st, 19);
	a->lot_count = 0;
	const char *lots = (const char *)sqlite3_column_text(st, 20);
	while (lots && *lots && a->lot_count < AE_MAX_SUSPECT_LOTS) {
		char *end;
		a->lot_ids[a->lot_count++] = strtoll(lots, &end, 10);
		lots = *end == ',' ? end + 1 : end;
	}
	a->assessor_role = role_from_name((const char *)sqlite3_column_text(st, 21));
}

store_rc sqlite_ae_assessment_insert(store *s, ae_assessment_record *a)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, "SELECT coalesce(max(version), 0) + 1 FROM ae_assessments WHERE report_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, a->report_id);
	a->version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite_release(ss, st);
	if (a->version == 0)
		return sqlite_fail(ss, "next assessment version");
	st = sqlite_prepare(ss, "INSERT INTO ae_assessments (report_id, version, terms_json, death, life_threatening, hospitalization,"
	                        " disability, congenital_anomaly, other_medically_important, serious, outcome, outcome_date,"
	                        " causality, treatment, narrative, due_date, assessed_by, assessed_at)"
	                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, a->report_id);
	sqlite3_bind_int(st, 2, a->version);
	sqlite3_bind_text(st, 3, a->terms_json, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, a->death);
	sqlite3_bind_int(st, 5, a->life_threatening);
	sqlite3_bind_int(st, 6, a->hospitalization);
	sqlite3_bind_int(st, 7, a->disability);
	sqlite3_bind_int(st, 8, a->congenital_anomaly);
	sqlite3_bind_int(st, 9, a->other_medically_important);
	sqlite3_bind_int(st, 10, a->serious);
	sqlite3_bind_text(st, 11, a->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, a->outcome_date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, a->causality, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, a->treatment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, a->narrative, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, a->due_date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 17, a->assessed_by);
	sqlite3_bind_int64(st, 18, a->assessed_at);
	store_rc rc = sqlite_step_done(ss, st, "insert assessment");
	if (rc != STORE_OK)
		return rc;
	a->id = sqlite3_last_insert_rowid(ss->db);
	for (int i = 0; i < a->lot_count; i++) {
		st = sqlite_prepare(ss, "INSERT OR IGNORE INTO ae_suspect_lots (assessment_id, lot_id) VALUES (?, ?)");
		if (st == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(st, 1, a->id);
		sqlite3_bind_int64(st, 2, a->lot_ids[i]);
		if ((rc = sqlite_step_done(ss, st, "insert suspect lot")) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

store_rc sqlite_ae_assessment_latest(store *s, int64_t report_id, ae_assessment_record *out)
{
	return sqlite_get_by_id(impl(s), ASSESSMENT_SELECT " WHERE a.report_id = ? ORDER BY a.version DESC LIMIT 1",
	                        report_id, read_assessment, out, "read assessment");
}

store_rc sqlite_ae_assessment_list(store *s, int64_t report_id, store_ae_assessment_fn fn, void *ctx)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, ASSESSMENT_SELECT " WHERE a.report_id = ? ORDER BY a.version");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, report_id);
	ae_assessment_record *row = malloc(sizeof *row);
	if (row == NULL)
		return STORE_ERROR;
	store_rc rc = sqlite_each_row(ss,
	st, read_assessment, row, (int (*)(void *, const void *))fn, ctx, "list assessments");
	free(row);
	return rc;
}

/* ---- lot statistics, alerts and signal pairs ---- */

static void read_lot_stat(sqlite3_stmt *st, void *out)
{
	ae_lot_stat *x = out;
	x->lot_id = sqlite3_column_int64(st, 0);
	sqlite_copy_text(x->lot_number, sizeof x->lot_number, st, 1);
	x->reports = sqlite3_column_int64(st, 2);
	x->serious_reports = sqlite3_column_int64(st, 3);
	x->units = sqlite3_column_int64(st, 4);
}

/* The latest assessment of every report, as a reusable subquery. */
#define LATEST_ASSESSMENTS                                                                                          \
	"(SELECT a.* FROM ae_assessments a WHERE a.version = (SELECT max(version) FROM ae_assessments WHERE report_id = a.report_id))"

store_rc sqlite_ae_lot_stats(store *s, int64_t product_id, store_ae_lot_stat_fn fn, void *ctx)
{
	ae_lot_stat row;
	return sqlite_list(impl(s), "SELECT l.id, l.lot_number,"
	                            " (SELECT count(DISTINCT la.report_id) FROM " LATEST_ASSESSMENTS " la"
	                            "   JOIN ae_suspect_lots sl ON sl.assessment_id = la.id WHERE sl.lot_id = l.id),"
	                            " (SELECT count(DISTINCT la.report_id) FROM " LATEST_ASSESSMENTS " la"
	                            "   JOIN ae_suspect_lots sl ON sl.assessment_id = la.id WHERE sl.lot_id = l.id AND la.serious = 1),"
	                            " (SELECT coalesce(sum(quantity), 0) FROM dispenses d WHERE d.lot_id = l.id)"
	                            " FROM lots l WHERE l.product_id = ? ORDER BY l.id",
	                            product_id, read_lot_stat, &row,
	                   (int (*)(void *, const void *))fn, ctx, "lot event statistics");
}

static void read_lot_alert(sqlite3_stmt *st, void *out)
{
	ae_lot_alert_record *a = out;
	a->id = sqlite3_column_int64(st, 0);
	a->lot_id = sqlite3_column_int64(st, 1);
	sqlite_copy_text(a->lot_number, sizeof a->lot_number, st, 2);
	sqlite_copy_text(a->rule, sizeof a->rule, st, 3);
	sqlite_copy_text(a->evidence_json, sizeof a->evidence_json, st, 4);
	a->quarantined = sqlite3_column_int(st, 5) != 0;
	a->created_at = sqlite3_column_int64(st, 6);
}

store_rc sqlite_ae_lot_alert_insert(store *s, ae_lot_alert_record *a)
{
	sqlite_store *ss = impl(s);
	sqlite3_stmt *st = sqlite_prepare(ss, "INSERT INTO ae_lot_alerts (lot_id, rule, evidence_json, quarantined, created_at)"
	                                      " VALUES (?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, a->lot_id);
	sqlite3_bind_text(st, 2, a->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->evidence_json, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, a->quarantined);
	sqlite3_bind_int64(st, 5, a->created_at);
	return sqlite_insert(ss, st, &a->id, "insert lot alert");
}

store_rc sqlite_ae_lot_alert_list(store *s, store_ae_lot_alert_fn fn, void *ctx)
{
	ae_lot_alert_record row;
	return sqlite_list(impl(s), "SELECT a.id, a.lot_id, l.lot_number, a.rule, a.evidence_json, a.quarantined, a.created_at"
	                            " FROM ae_lot_alerts a JOIN lots l ON l.id = a.lot_id ORDER BY a.id DESC LIMIT 500",
	                            0, read_lot_alert, &row,
	                   (int (*)(void *, const void *))fn, ctx, "list lot alerts");
}

store_rc sqlite_ae_signal_pairs(store *s, bool by_lot, store_ae_pair_fn fn, void *ctx)
{
	sqlite_store *ss = impl(s);
	/* Each latest assessment's suspect lots × its terms: the product (or, by lot, the product
	 * code and the lot number joined by U+001F, as signal.h's lot items are: a lot number is
	 * unique only within its product) and the event. */
	sqlite3_stmt *st = sqlite_prepare(
		ss, "SELECT DISTINCT la.report_id, CASE WHEN ?1 THEN p.code || char(31) || l.lot_number ELSE p.code END,"
		    " json_extract(t.value, '$.code')"
		    " FROM " LATEST_ASSESSMENTS " la JOIN ae_suspect_lots sl ON sl.assessment_id = la.id"
		    " JOIN lots l ON l.id = sl.lot_id JOIN products p ON p.id = l.product_id, json_each(la.terms_json) t"
		    " ORDER BY la.report_id");
	if (st == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(st, 1, by_lot ? 1 : 0);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *item = (const char *)sqlite3_column_text(st, 1), *event = (const char *)sqlite3_column_text(st, 2);
		if (item && event && fn(ctx, sqlite3_column_int64(st, 0), item, event) != 0)
			break;
	}
	store_rc out = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? STORE_OK : sqlite_fail(ss, "signal pairs");
	sqlite_release(ss, st);
	return out;
}
