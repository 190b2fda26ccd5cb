/* The SQL stores' (SQLite and PostgreSQL) audit-log search (the admins' audit page and its CSV export).
 *
 * The WHERE clause is assembled from fixed fragments, one per filter that is set, so each
 * filter can use its index from 0013_audit_search.sql (a "(? IS NULL OR col = ?)" term would
 * hide the index from SQLite's planner). Values are always bound, never pasted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "store/sql/sql_store.h"

/* The patient a row is about: patient:N, or the patient behind order:N, booking:N, ae:N,
 * recall_tracking:N, or user:N / the actor when that account is a patient's. */
#define SUBJECT_ID                                                                                                  \
	"(CASE"                                                                                                         \
	" WHEN substr(a.object, 1, 8) = 'patient:' THEN CAST(substr(a.object, 9) AS BIGINT)"                           \
	" WHEN substr(a.object, 1, 6) = 'order:' THEN"                                                                  \
	"  (SELECT patient_id FROM orders WHERE id = CAST(substr(a.object, 7) AS BIGINT))"                             \
	" WHEN substr(a.object, 1, 8) = 'booking:' THEN"                                                                \
	"  (SELECT patient_id FROM bookings WHERE id = CAST(substr(a.object, 9) AS BIGINT))"                           \
	" WHEN substr(a.object, 1, 3) = 'ae:' THEN"                                                                     \
	"  (SELECT patient_id FROM ae_reports WHERE id = CAST(substr(a.object, 4) AS BIGINT))"                         \
	" WHEN substr(a.object, 1, 16) = 'recall_tracking:' THEN"                                                       \
	"  (SELECT patient_id FROM recall_tracking WHERE id = CAST(substr(a.object, 17) AS BIGINT))"                   \
	" WHEN substr(a.object, 1, 5) = 'user:' THEN CAST(substr(a.object, 6) AS BIGINT)"                              \
	" WHEN a.actor_role = 'patient' THEN a.actor_id END)"

/* Rows about patient ?2, as object matches (each an index look-up on audit_log_object) or the
 * patient's own actions (audit_log_actor). ?2 is cast where it is concatenated: PostgreSQL
 * would otherwise type it text from 'patient:' || ?2 and refuse a.actor_id = ?2. */
#define PATIENT_ROWS                                                                                                \
	" AND (a.object = 'patient:' || CAST(?2 AS BIGINT) OR a.object = 'user:' || CAST(?2 AS BIGINT)"               \
	"  OR (a.actor_id = ?2 AND a.actor_role = 'patient')"                                                           \
	"  OR a.object IN (SELECT 'order:' || id FROM orders WHERE patient_id = ?2)"                                   \
	"  OR a.object IN (SELECT 'booking:' || id FROM bookings WHERE patient_id = ?2)"                               \
	"  OR a.object IN (SELECT 'ae:' || id FROM ae_reports WHERE patient_id = ?2)"                                  \
	"  OR a.object IN (SELECT 'recall_tracking:' || id FROM recall_tracking WHERE patient_id = ?2))"

/* The rows of chain 0, the database's own (0019_audit_chains.sql), that a clinic's admin sees
 * (store.h clinic_scope): those its own people wrote, those about its patients and staff, its
 * lots and the clinic itself; and the system's rows (the CLI, background jobs) about nothing of
 * another clinic. */
#define AUDIT_OWN_IN_SCOPE                                                                                          \
	"((SELECT clinic_id FROM users WHERE id = a.actor_id) = ?89"                                                   \
	" OR (SELECT clinic_id FROM users WHERE id = " SUBJECT_ID ") = ?89"                                            \
	" OR (substr(a.object, 1, 4) = 'lot:' AND"                                                                     \
	"     (SELECT clinic_id FROM lots WHERE id = CAST(substr(a.object, 5) AS BIGINT)) = ?89)"                       \
	" OR a.object = 'clinic:' || CAST(?89 AS BIGINT)"                                                               \
	" OR (coalesce(a.actor_id, 0) = 0 AND " SUBJECT_ID " IS NULL AND substr(a.object, 1, 4) <> 'lot:'"              \
	"     AND substr(a.object, 1, 7) <> 'clinic:'))"
/* A migrated clinic's history (its own chain, numbered by its id) is that clinic's alone. */
#define AUDIT_IN_SCOPE "(?89 = 0 OR a.chain = ?89 OR (a.chain = 0 AND " AUDIT_OWN_IN_SCOPE "))"

/* Appends the WHERE clause for q (parameters ?1 to ?6, bound by bind_query). */
static void where_clause(strbuf *sql, const audit_query *q, bool paged)
{
	strbuf_puts(sql, " WHERE 1 = 1");
	if (q->actor_id >= 0)
		strbuf_puts(sql, " AND a.actor_id = ?1");
	if (q->patient_id > 0)
		strbuf_puts(sql, PATIENT_ROWS);
	if (q->action != NULL)
		strbuf_puts(sql, " AND a.action = ?3");
	if (q->from > 0)
		strbuf_puts(sql, " AND a.at >= ?4");
	if (q->to > 0)
		strbuf_puts(sql, " AND a.at < ?5");
	if (paged && q->before_id > 0)
		strbuf_puts(sql, " AND a.id < ?6");
	strbuf_puts(sql, " AND " AUDIT_IN_SCOPE);
}

static void bind_query(sqldb_stmt *st, const audit_query *q)
{
	sqldb_bind_int64(st, 1, q->actor_id);
	sqldb_bind_int64(st, 2, q->patient_id);
	if (q->action != NULL)
		sqldb_bind_text(st, 3, q->action);
	sqldb_bind_int64(st, 4, q->from);
	sqldb_bind_int64(st, 5, q->to);
	sqldb_bind_int64(st, 6, q->before_id);
}

/* Prepares head + the query's WHERE + tail with the query bound (?1-?6), or NULL. */
static sqldb_stmt *prepare_query(sql_store *ss, const char *head, const audit_query *q, bool with_names,
                                   const char *tail)
{
	strbuf sql = {0};
	strbuf_puts(&sql, head);
	where_clause(&sql, q, with_names);
	strbuf_puts(&sql, tail);
	char *text = strbuf_finish(&sql);
	if (text == NULL) {
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "out of memory");
		return NULL;
	}
	sqldb_stmt *st = sql_prepare(ss, text);
	free(text);
	if (st != NULL)
		bind_query(st, q);
	return st;
}

static void read_entry(sqldb_stmt *st, void *out)
{
	audit_entry *e = out;
	memset(e, 0, sizeof *e);
	e->row.id = sqldb_column_int64(st, 0);
	e->row.at = sqldb_column_int64(st, 1);
	e->row.actor_id = sqldb_column_int64(st, 2);
	sql_copy_text(e->row.actor_role, sizeof e->row.actor_role, st, 3);
	sql_copy_text(e->row.action, sizeof e->row.action, st, 4);
	sql_copy_text(e->row.object, sizeof e->row.object, st, 5);
	sql_copy_text(e->row.detail, sizeof e->row.detail, st, 6);
	sql_copy_text(e->row.prev_hash, sizeof e->row.prev_hash, st, 7);
	sql_copy_text(e->row.hash, sizeof e->row.hash, st, 8);
	sql_copy_text(e->actor_name, sizeof e->actor_name, st, 9);
	e->patient_id = sqldb_column_int64(st, 10);
	sql_copy_text(e->patient_name, sizeof e->patient_name, st, 11);
}

store_rc sql_audit_search(store *s, const audit_query *q, store_audit_entry_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = prepare_query(ss,
	                                 "SELECT a.id, a.at, a.actor_id, a.actor_role, a.action, a.object, a.detail, a.prev_hash,"
	                                 " a.hash, coalesce(au.name, ''), coalesce(su.id, 0), coalesce(su.name, '')"
	                                 " FROM audit_log a LEFT JOIN users au ON au.id = a.actor_id"
	                                 " LEFT JOIN users su ON su.id = " SUBJECT_ID " AND su.role = 'patient'",
	                                 q, true, " ORDER BY a.id DESC LIMIT ?7");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int(st, 7, q->limit > 0 ? q->limit : -1);
	audit_entry e;
	return sql_each_row(ss, st, read_entry, &e, (int (*)(void *, const void *))fn, ctx, "search audit log");
}

store_rc sql_audit_count(store *s, const audit_query *q, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = prepare_query(ss, "SELECT count(*) FROM audit_log a", q, false, "");
	if (st == NULL)
		return STORE_ERROR;
	return sql_count(ss, st, count_out, "count audit log");
}

static void read_person(sqldb_stmt *st, void *out)
{
	audit_person *p = out;
	memset(p, 0, sizeof *p);
	p->id = sqldb_column_int64(st, 0);
	sql_copy_text(p->name, sizeof p->name, st, 1);
	sql_copy_text(p->name_kana, sizeof p->name_kana, st, 2);
	p->role = role_from_name((const char *)sqldb_column_text(st, 3));
}

store_rc sql_audit_people(store *s, store_audit_person_fn fn, void *ctx)
{
	audit_person p;
	return sql_list(impl(s), "SELECT u.id, u.name, coalesce(pp.name_kana, ''), u.role FROM users u"
	                            " LEFT JOIN patient_profiles pp ON pp.user_id = u.id WHERE " SQL_IN_SCOPE("u.clinic_id")
	                            " ORDER BY u.role = 'patient', coalesce(pp.name_kana, u.name), u.id LIMIT 20000",
	                            0, read_person, &p,
	                   (int (*)(void *, const void *))fn, ctx, "list people");
}
