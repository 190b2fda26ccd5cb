/* The SQL stores' (SQLite and PostgreSQL) mail outbox and password-reset tokens (schema in 0011_mail_outbox.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_store.h"

/* Kinds whose body holds a secret (a single-use reset link): once the relay has it, the copy
 * in the outbox is replaced, so the database keeps no usable link. */
#define MAIL_SECRET_KINDS "'password_reset', 'checkin_due', 'checkin_reminder'"
#define MAIL_SECRET_REMOVED "(removed after sending: held a single-use link)"

#define MAIL_SELECT                                                                                                 \
	"SELECT id, coalesce(recipient_user_id, 0), to_address, kind, subject, body_text, coalesce(dedupe_key, ''),"  \
	" created_at, not_before, attempts, next_attempt_at, last_error, coalesce(sent_at, 0), status FROM mail_outbox"

/* Fills m from a MAIL_SELECT row; subject and body point into the statement (valid until the
 * next step). */
static void read_mail_borrowed(sqldb_stmt *st, mail_record *m)
{
	m->id = sqldb_column_int64(st, 0);
	m->recipient_user_id = sqldb_column_int64(st, 1);
	sql_copy_text(m->to_address, sizeof m->to_address, st, 2);
	sql_copy_text(m->kind, sizeof m->kind, st, 3);
	m->subject = (const char *)sqldb_column_text(st, 4);
	m->body_text = (const char *)sqldb_column_text(st, 5);
	sql_copy_text(m->dedupe_key, sizeof m->dedupe_key, st, 6);
	m->created_at = sqldb_column_int64(st, 7);
	m->not_before = sqldb_column_int64(st, 8);
	m->attempts = sqldb_column_int(st, 9);
	m->next_attempt_at = sqldb_column_int64(st, 10);
	sql_copy_text(m->last_error, sizeof m->last_error, st, 11);
	m->sent_at = sqldb_column_int64(st, 12);
	sql_copy_text(m->status, sizeof m->status, st, 13);
}

store_rc sql_mail_insert(store *s, mail_record *m, bool *queued)
{
	sql_store *ss = impl(s);
	/* ON CONFLICT DO NOTHING: a duplicate key is the expected case (a reminder queued twice),
	 * not an error that would abort the caller's transaction. */
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO mail_outbox (recipient_user_id, to_address, kind, subject,"
	                                      " body_text, dedupe_key, created_at, not_before, next_attempt_at)"
	                                      " VALUES (nullif(CAST(? AS BIGINT), 0), ?, ?, ?, ?, nullif(?, ''), ?, ?, ?)"
	                                      " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, m->recipient_user_id);
	sqldb_bind_text(st, 2, m->to_address);
	sqldb_bind_text(st, 3, m->kind);
	sqldb_bind_text(st, 4, m->subject);
	sqldb_bind_text(st, 5, m->body_text);
	sqldb_bind_text(st, 6, m->dedupe_key);
	sqldb_bind_int64(st, 7, m->created_at);
	sqldb_bind_int64(st, 8, m->not_before);
	sqldb_bind_int64(st, 9, m->not_before > m->created_at ? m->not_before : m->created_at);
	m->id = 0;  /* stays 0 when the key was queued already (no row returned) */
	store_rc rc = sql_insert(ss, st, &m->id, "queue mail");
	if (rc != STORE_OK)
		return rc;
	*queued = ss->changes == 1;
	if (!*queued)
		m->id = 0;
	return STORE_OK;
}

store_rc sql_mail_get(store *s, int64_t id, mail_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, MAIL_SELECT " WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	store_rc rc = STORE_NOT_FOUND;
	int step = sqldb_step(st);
	if (step == SQLDB_ROW) {
		*out = (mail_record){0};
		read_mail_borrowed(st, out);
		const char *subject = out->subject ? out->subject : "", *body = out->body_text ? out->body_text : "";
		size_t ls = strlen(subject), lb = strlen(body);
		out->owned_text = malloc(ls + lb + 2);
		if (out->owned_text == NULL) {
			out->subject = out->body_text = NULL;
			snprintf(s->errmsg, sizeof s->errmsg, "read mail: out of memory");
			rc = STORE_ERROR;
		} else {
			memcpy(out->owned_text, subject, ls + 1);
			memcpy(out->owned_text + ls + 1, body, lb + 1);
			out->subject = out->owned_text;
			out->body_text = out->owned_text + ls + 1;
			rc = STORE_OK;
		}
	} else if (step != SQLDB_DONE) {
		rc = sql_fail(ss, "read mail");
	}
	sqldb_release(st);
	return rc;
}

/* Steps a MAIL_SELECT listing, handing each row to fn with borrowed subject and body. */
static store_rc each_mail(sql_store *ss, sqldb_stmt *st, store_mail_fn fn, void *ctx, const char *what)
{
	int rc;
	mail_record m;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_mail_borrowed(st, &m);
		if (fn(ctx, &m) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, what);
	sqldb_release(st);
	return out;
}

store_rc sql_mail_due(store *s, int64_t now, int limit, store_mail_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, MAIL_SELECT " WHERE status = 'queued' AND next_attempt_at <= ?1"
	                                      " AND not_before <= ?1 ORDER BY next_attempt_at, id LIMIT ?2");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int(st, 2, limit);
	return each_mail(ss, st, fn, ctx, "list due mail");
}

store_rc sql_mail_mark_sent(store *s, int64_t id, int64_t at)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE mail_outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
	                                      " last_error = '', body_text = CASE WHEN kind IN (" MAIL_SECRET_KINDS ")"
	                                      " THEN '" MAIL_SECRET_REMOVED "' ELSE body_text END"
	                                      " WHERE id = ? AND status = 'queued'");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_int64(st, 2, id);
	store_rc rc = sql_step_done(ss, st, "mark mail sent");
	return rc == STORE_OK && ss->changes == 0 ? STORE_NOT_FOUND : rc;
}

store_rc sql_mail_mark_attempt(store *s, int64_t id, int attempts, int64_t next_attempt_at, const char *last_error,
                                  bool failed)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE mail_outbox SET attempts = ?1, next_attempt_at = ?2, last_error = ?3,"
	                                      " status = ?4, body_text = CASE WHEN ?4 = 'failed' AND kind IN ("
	                                      MAIL_SECRET_KINDS ") THEN '" MAIL_SECRET_REMOVED "' ELSE body_text END"
	                                      " WHERE id = ?5 AND status = 'queued'");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int(st, 1, attempts);
	sqldb_bind_int64(st, 2, next_attempt_at);
	sqldb_bind_text(st, 3, last_error ? last_error : "");
	sqldb_bind_text(st, 4, failed ? "failed" : "queued");
	sqldb_bind_int64(st, 5, id);
	store_rc rc = sql_step_done(ss, st, "record mail attempt");
	return rc == STORE_OK && ss->changes == 0 ? STORE_NOT_FOUND : rc;
}

store_rc sql_mail_cancel(store *s, const char *key_prefix, int64_t *cancelled_out)
{
	sql_store *ss = impl(s);
	/* substr, not LIKE: keys may hold '%' or '_'. */
	sqldb_stmt *st = sql_prepare(ss, "UPDATE mail_outbox SET status = 'cancelled' WHERE status = 'queued'"
	                                      " AND substr(dedupe_key, 1, length(?1)) = ?1");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, key_prefix);
	store_rc rc = sql_step_done(ss, st, "cancel mail");
	if (rc == STORE_OK && cancelled_out)
		*cancelled_out = ss->changes;
	return rc;
}

store_rc sql_mail_list(store *s, const char *status, int limit, store_mail_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, MAIL_SELECT " WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1)"
	                                      " AND (?89 = 0 OR recipient_user_id IS NULL OR " SQL_USER_IN_SCOPE("recipient_user_id") ")"
	                                      " ORDER BY id DESC LIMIT ?2");
	if (st == NULL)
		return STORE_ERROR;
	if (status)
		sqldb_bind_text(st, 1, status);
	sqldb_bind_int(st, 2, limit);
	return each_mail(ss, st, fn, ctx, "list mail");
}

store_rc sql_mail_count(store *s, const char *key_prefix, mail_counts *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(CASE WHEN status = 'queued' THEN 1 END), count(CASE WHEN status = 'sent' THEN 1 END),"
	                                 " count(CASE WHEN status = 'failed' THEN 1 END), count(CASE WHEN status = 'cancelled' THEN 1 END),"
	                                      " coalesce(min(CASE WHEN status = 'queued' THEN created_at END), 0)"
	                                      " FROM mail_outbox WHERE ?1 = '' OR substr(dedupe_key, 1, length(?1)) = ?1");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, key_prefix ? key_prefix : "");
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW) {
		out->queued = sqldb_column_int64(st, 0);
		out->sent = sqldb_column_int64(st, 1);
		out->failed = sqldb_column_int64(st, 2);
		out->cancelled = sqldb_column_int64(st, 3);
		out->oldest_queued_at = sqldb_column_int64(st, 4);
	} else {
		rc = sql_fail(ss, "count mail");
	}
	sqldb_release(st);
	return rc;
}

/* ---- password-reset tokens ---- */

store_rc sql_reset_token_insert(store *s, const reset_token_record *t)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO password_reset_tokens (token_hash, user_id, created_at, expires_at)"
	                                      " VALUES (?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, t->token_hash);
	sqldb_bind_int64(st, 2, t->user_id);
	sqldb_bind_int64(st, 3, t->created_at);
	sqldb_bind_int64(st, 4, t->expires_at);
	return sql_step_done(ss, st, "store reset token");
}

static void read_token(sqldb_stmt *st, void *out)
{
	reset_token_record *t = out;
	sql_copy_text(t->token_hash, sizeof t->token_hash, st, 0);
	t->user_id = sqldb_column_int64(st, 1);
	t->created_at = sqldb_column_int64(st, 2);
	t->expires_at = sqldb_column_int64(st, 3);
	t->used_at = sqldb_column_int64(st, 4);
}

store_rc sql_reset_token_get(store *s, const char *token_hash, reset_token_record *out)
{
	return sql_get_by_text(impl(s), "SELECT token_hash, user_id, created_at, expires_at, coalesce(used_at, 0)"
	                                   " FROM password_reset_tokens WHERE token_hash = ?",
	                                   token_hash, read_token, out, "read reset token");
}

store_rc sql_reset_token_use(store *s, const char *token_hash, int64_t at)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE password_reset_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_text(st, 2, token_hash);
	store_rc rc = sql_step_done(ss, st, "use reset token");
	if (rc != STORE_OK || ss->changes == 1)
		return rc;
	reset_token_record t;
	rc = sql_reset_token_get(s, token_hash, &t);
	return rc == STORE_OK ? STORE_CONFLICT : rc;
}

store_rc sql_reset_tokens_void_user(store *s, int64_t user_id, int64_t at, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE password_reset_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_int64(st, 2, user_id);
	store_rc rc = sql_step_done(ss, st, "void reset tokens");
	if (rc == STORE_OK && count_out)
		*count_out = ss->changes;
	return rc;
}

store_rc sql_reset_token_count(store *s, int64_t user_id, int64_t since, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM password_reset_tokens WHERE user_id = ? AND created_at >= ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, user_id);
	sqldb_bind_int64(st, 2, since);
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*count_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, "count reset tokens");
	sqldb_release(st);
	return rc;
}

static void read_user_short(sqldb_stmt *st, void *out)
{
	user_record *u = out;
	*u = (user_record){0};
	u->id = sqldb_column_int64(st, 0);
	sql_copy_text(u->email, sizeof u->email, st, 1);
	sql_copy_text(u->name, sizeof u->name, st, 2);
	sql_copy_text(u->lang, sizeof u->lang, st, 3);
	u->role = ROLE_PATIENT;
}

store_rc sql_consent_outdated(store *s, const char *consent_id, int version, store_user_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT u.id, u.email, u.name, u.lang FROM consent_acceptances c JOIN users u ON u.id = c.patient_id"
	                                      " WHERE c.id = (SELECT max(id) FROM consent_acceptances WHERE patient_id = c.patient_id)"
	                                      " AND c.consent_id = ? AND c.consent_version < ? AND c.withdrawn_at IS NULL"
	                                      " ORDER BY u.id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, consent_id);
	sqldb_bind_int(st, 2, version);
	user_record row;
	return sql_each_row(ss,
	st, read_user_short, &row, (int (*)(void *, const void *))fn, ctx, "list outdated consents");
}

store_rc sql_user_set_password(store *s, int64_t user_id, const char *password_hash)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE users SET password_hash = ? WHERE id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, password_hash);
	sqldb_bind_int64(st, 2, user_id);
	store_rc rc = sql_step_done(ss, st, "set password");
	return rc == STORE_OK && ss->changes == 0 ? STORE_NOT_FOUND : rc;
}
