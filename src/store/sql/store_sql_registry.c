/* The safety officer's registry (issue 18): adverse events and lots pooled over every clinic of
 * the database, whatever the store's clinic scope, with nothing that names a patient (the
 * records carry no name, contact data, patient or order id, or free text; the service makes an
 * age band of the birth date and keeps only the codes and grades of the terms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_store.h"

/* The latest assessment of each report, as the signal readers take it. */
#define LATEST_VERSION(a, report) a ".version = (SELECT max(version) FROM ae_assessments WHERE report_id = " report ")"

typedef struct report_lot {
	int64_t report_id;
	char lot_number[65];
} report_lot;

/* Every latest assessment's suspect lot numbers, by report id descending (the reports' order). */
static store_rc read_report_lots(sql_store *ss, report_lot **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	sqldb_stmt *st = sql_prepare(ss, "SELECT a.report_id, l.lot_number FROM ae_assessments a"
	                                 " JOIN ae_suspect_lots sl ON sl.assessment_id = a.id JOIN lots l ON l.id = sl.lot_id"
	                                 " WHERE " LATEST_VERSION("a", "a.report_id")
	                                 " ORDER BY a.report_id DESC, l.lot_number");
	if (st == NULL)
		return STORE_ERROR;
	size_t cap = 0;
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		if (*count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			report_lot *grown = realloc(*out, ncap * sizeof *grown);
			if (grown == NULL) {
				sqldb_release(st);
				snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "registry: out of memory");
				return STORE_ERROR;
			}
			*out = grown;
			cap = ncap;
		}
		report_lot *r = &(*out)[(*count)++];
		r->report_id = sqldb_column_int64(st, 0);
		sql_copy_text(r->lot_number, sizeof r->lot_number, st, 1);
	}
	store_rc result = rc == SQLDB_DONE ? STORE_OK : sql_fail(ss, "registry report lots");
	sqldb_release(st);
	return result;
}

static void read_registry_ae(sqldb_stmt *st, registry_ae_row *r)
{
	memset(r, 0, sizeof *r);
	r->report_id = sqldb_column_int64(st, 0);
	r->clinic_id = sqldb_column_int64(st, 1);
	sql_copy_text(r->clinic_name, sizeof r->clinic_name, st, 2);
	sql_copy_text(r->birth_date, sizeof r->birth_date, st, 3);
	sql_copy_text(r->sex, sizeof r->sex, st, 4);
	sql_copy_text(r->onset_date, sizeof r->onset_date, st, 5);
	sql_copy_text(r->severity, sizeof r->severity, st, 6);
	sql_copy_text(r->symptoms_json, sizeof r->symptoms_json, st, 7);
	sql_copy_text(r->product_code, sizeof r->product_code, st, 8);
	r->version = sqldb_column_int(st, 9);
	sql_copy_text(r->terms_json, sizeof r->terms_json, st, 10);
	r->serious = sqldb_column_int(st, 11) != 0;
	sql_copy_text(r->outcome, sizeof r->outcome, st, 12);
	sql_copy_text(r->causality, sizeof r->causality, st, 13);
}

store_rc sql_registry_ae_list(store *s, store_registry_ae_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	report_lot *lots;
	size_t nlots;
	if (read_report_lots(ss, &lots, &nlots) != STORE_OK)
		return STORE_ERROR;
	sqldb_stmt *st = sql_prepare(
		ss, "SELECT r.id, u.clinic_id, c.name, coalesce(pp.birth_date, ''), coalesce(pp.sex, ''), r.onset_date,"
		    " r.severity, r.symptoms_json, coalesce(p.code, ''), coalesce(a.version, 0), coalesce(a.terms_json, '[]'),"
		    " coalesce(a.serious, 0), coalesce(a.outcome, ''), coalesce(a.causality, '')"
		    " FROM ae_reports r JOIN users u ON u.id = r.patient_id JOIN clinics c ON c.id = u.clinic_id"
		    " LEFT JOIN patient_profiles pp ON pp.user_id = r.patient_id"
		    " LEFT JOIN orders o ON o.id = r.order_id LEFT JOIN products p ON p.id = o.product_id"
		    " LEFT JOIN ae_assessments a ON a.report_id = r.id AND " LATEST_VERSION("a", "r.id")
		    " ORDER BY r.id DESC");
	if (st == NULL) {
		free(lots);
		return STORE_ERROR;
	}
	registry_ae_row *row = malloc(sizeof *row);
	if (row == NULL) {
		sqldb_release(st);
		free(lots);
		snprintf(s->errmsg, sizeof s->errmsg, "registry: out of memory");
		return STORE_ERROR;
	}
	size_t at = 0;   /* lots and reports both run by report id descending */
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_registry_ae(st, row);
		while (at < nlots && lots[at].report_id > row->report_id)
			at++;
		size_t n = 0;
		for (; at < nlots && lots[at].report_id == row->report_id; at++) {
			int w = snprintf(row->lot_numbers + n, sizeof row->lot_numbers - n, "%s%s", n ? ", " : "",
			                 lots[at].lot_number);
			if (w > 0 && (size_t)w < sizeof row->lot_numbers - n)
				n += (size_t)w;
		}
		if (fn(ctx, row) != 0)
			break;
	}
	store_rc result = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "registry reports");
	sqldb_release(st);
	free(row);
	free(lots);
	return result;
}

static void read_registry_lot(sqldb_stmt *st, void *out)
{
	registry_lot_row *r = out;
	memset(r, 0, sizeof *r);
	r->lot_id = sqldb_column_int64(st, 0);
	r->clinic_id = sqldb_column_int64(st, 1);
	sql_copy_text(r->clinic_name, sizeof r->clinic_name, st, 2);
	r->product_id = sqldb_column_int64(st, 3);
	sql_copy_text(r->product_code, sizeof r->product_code, st, 4);
	sql_copy_text(r->lot_number, sizeof r->lot_number, st, 5);
	sql_copy_text(r->status, sizeof r->status, st, 6);
	sql_copy_text(r->expires_on, sizeof r->expires_on, st, 7);
	r->quantity_received = sqldb_column_int64(st, 8);
	r->quantity_available = sqldb_column_int64(st, 9);
	r->reports = sqldb_column_int64(st, 10);
	r->serious_reports = sqldb_column_int64(st, 11);
}

store_rc sql_registry_lot_list(store *s, int64_t product_id, const char *lot_number, store_registry_lot_fn fn,
                               void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(
		ss, "SELECT l.id, l.clinic_id, c.name, l.product_id, p.code, l.lot_number, l.status, l.expires_on,"
		    " l.quantity_received, l.quantity_available,"
		    " (SELECT count(DISTINCT a.report_id) FROM ae_assessments a JOIN ae_suspect_lots sl ON sl.assessment_id = a.id"
		    "   WHERE sl.lot_id = l.id AND " LATEST_VERSION("a", "a.report_id") "),"
		    " (SELECT count(DISTINCT a.report_id) FROM ae_assessments a JOIN ae_suspect_lots sl ON sl.assessment_id = a.id"
		    "   WHERE sl.lot_id = l.id AND a.serious = 1 AND " LATEST_VERSION("a", "a.report_id") ")"
		    " FROM lots l JOIN products p ON p.id = l.product_id JOIN clinics c ON c.id = l.clinic_id"
		    " WHERE (CAST(?1 AS BIGINT) = 0 OR l.product_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR l.lot_number = ?2)"
		    " ORDER BY p.code, l.lot_number, l.clinic_id, l.id LIMIT 5000");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, product_id);
	sqldb_bind_text(st, 2, lot_number);
	registry_lot_row row;
	return sql_each_row(ss, st, read_registry_lot, &row, (int (*)(void *, const void *))fn, ctx, "registry lots");
}
