/* The SQL stores' shared helpers and their account, session, login and audit-log methods,
 * written once in portable SQL (sqldb.h) for SQLite and PostgreSQL. The rest of the shared
 * queries are in store_sql_*.c; what each backend does its own way (opening, transactions,
 * migrations, schema checks) is in src/store/sqlite and src/store/pg. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql/sql_store.h"

store_rc sql_fail(sql_store *ss, const char *what)
{
	snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: %s", what, sqldb_errmsg(ss->sql));
	switch (sqldb_last_fault(ss->sql)) {
	case SQLDB_FAULT_UNAVAILABLE:
		ss->base.fault = STORE_FAULT_UNAVAILABLE;
		break;
	case SQLDB_FAULT_RETRY:
		ss->base.fault = STORE_FAULT_RETRY;
		break;
	case SQLDB_FAULT_BUSY:
		ss->base.fault = STORE_FAULT_BUSY;
		break;
	case SQLDB_FAULT_NONE:
	case SQLDB_FAULT_OTHER:
		ss->base.fault = STORE_FAULT_NONE;
		break;
	}
	return STORE_ERROR;
}

/* A ? without a number in sql (string literals skipped). */
static bool plain_parameter_after(const char *sql)
{
	for (const char *p = sql; *p != '\0'; p++) {
		if (*p == '\'') {
			while (*++p != '\0' && *p != '\'')
				;
			if (*p == '\0')
				return false;
		} else if (*p == '?' && !(p[1] >= '0' && p[1] <= '9')) {
			return true;
		}
	}
	return false;
}

sqldb_stmt *sql_prepare(sql_store *ss, const char *sql)
{
	const char *scope = strstr(sql, SQL_CLINIC_PARAM);
	if (scope != NULL && plain_parameter_after(scope + strlen(SQL_CLINIC_PARAM))) {
		/* It would be ?90, the list filter's: a query written wrong, caught by any test. */
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "prepare: a plain ? after " SQL_CLINIC_PARAM " in %.160s",
		         sql);
		return NULL;
	}
	sqldb_stmt *st = sqldb_prepare(ss->sql, sql);
	if (st == NULL)
		sql_fail(ss, "prepare");
	else if (scope != NULL)
		sqldb_bind_int64(st, 89, ss->base.clinic_scope);
	return st;
}

void sql_copy_text(char *dst, size_t dstlen, sqldb_stmt *st, int col)
{
	/* memcpy of the known length, not snprintf: a recall copies thirteen texts a row, and
	 * snprintf's formatting was a sixth of its time (bench/recall). */
	const char *t = sqldb_column_text(st, col);
	size_t n = t ? strlen(t) : 0;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, t ? t : "", n);
	dst[n] = '\0';
}

sqldb_rc sql_step_write(sql_store *ss, sqldb_stmt *st, int64_t *id_out)
{
	sqldb_rc rc = sqldb_step(st);
	if (rc == SQLDB_ROW && id_out != NULL) {
		*id_out = sqldb_column_int64(st, 0);
		rc = sqldb_step(st);
	}
	if (rc == SQLDB_DONE)
		ss->changes = sqldb_changes(st);
	return rc;
}

/* Runs a statement that writes: when id_out is set, an INSERT ... RETURNING id whose row is
 * read into *id_out. A write outside a transaction (autocommit) goes through the backend's
 * autocommit_write, which serialises it with the other writers (sql_store_ops). */
static store_rc run_write(sql_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what)
{
	bool autocommit = !ss->in_transaction && ss->ops != NULL && ss->ops->autocommit_write != NULL;
	sqldb_rc rc = autocommit ? ss->ops->autocommit_write(ss, st, id_out) : sql_step_write(ss, st, id_out);
	store_rc out = STORE_OK;
	if (rc == SQLDB_CONSTRAINT) {
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: %s", what, sqldb_errmsg(ss->sql));
		out = STORE_CONFLICT;
	} else if (rc != SQLDB_DONE) {
		out = sql_fail(ss, what);
	}
	sqldb_release(st);
	if (autocommit && ss->ops->autocommit_done != NULL)
		out = ss->ops->autocommit_done(ss, out);
	return out;
}

store_rc sql_step_done(sql_store *ss, sqldb_stmt *st, const char *what)
{
	return run_write(ss, st, NULL, what);
}

store_rc sql_step_one(sql_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *out), void *out,
                      const char *what)
{
	sqldb_rc rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW)
		read(st, out);
	else if (rc == SQLDB_DONE)
		result = STORE_NOT_FOUND;
	else
		result = sql_fail(ss, what);
	sqldb_release(st);
	return result;
}

store_rc sql_insert(sql_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what)
{
	return run_write(ss, st, id_out, what);
}

store_rc sql_insert_new(sql_store *ss, sqldb_stmt *st, int64_t *id_out, const char *what)
{
	int64_t id = 0;   /* ids start at 1: 0 means the statement returned no row */
	store_rc rc = run_write(ss, st, &id, what);
	if (rc == STORE_OK && id == 0) {
		snprintf(ss->base.errmsg, sizeof ss->base.errmsg, "%s: already there", what);
		return STORE_CONFLICT;
	}
	if (rc == STORE_OK)
		*id_out = id;
	return rc;
}

store_rc sql_get_by_id(sql_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *out),
                          void *out, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, key);
	return sql_step_one(ss, st, read, out, what);
}

store_rc sql_get_by_text(sql_store *ss, const char *sql, const char *key,
                            void (*read)(sqldb_stmt *st, void *out), void *out, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, key);
	return sql_step_one(ss, st, read, out, what);
}

store_rc sql_list(sql_store *ss, const char *sql, int64_t key, void (*read)(sqldb_stmt *st, void *row),
                     void *row, int (*fn)(void *ctx, const void *row), void *ctx, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, key);  /* ignored by a statement without parameters */
	return sql_each_row(ss, st, read, row, fn, ctx, what);
}

store_rc sql_each_row(sql_store *ss, sqldb_stmt *st, void (*read)(sqldb_stmt *st, void *row), void *row,
                         int (*fn)(void *ctx, const void *row), void *ctx, const char *what)
{
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read(st, row);
		if (fn(ctx, row) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, what);
	sqldb_release(st);
	return out;
}

static void read_user(sqldb_stmt *st, user_record *u)
{
	u->id = sqldb_column_int64(st, 0);
	sql_copy_text(u->email, sizeof u->email, st, 1);
	sql_copy_text(u->name, sizeof u->name, st, 2);
	u->role = role_from_name((const char *)sqldb_column_text(st, 3));
	sql_copy_text(u->password_hash, sizeof u->password_hash, st, 4);
	u->created_at = sqldb_column_int64(st, 5);
	sql_copy_text(u->lang, sizeof u->lang, st, 6);
	u->password_reset_required = sqldb_column_int(st, 7) != 0;
	u->deactivated_at = sqldb_column_int64(st, 8);
	u->clinic_id = sqldb_column_int64(st, 9);
}

#define USER_COLUMNS "id, email, name, role, password_hash, created_at, lang, password_reset_required, coalesce(deactivated_at, 0), coalesce(clinic_id, 0)"

store_rc sql_user_insert(store *s, user_record *u)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO users (email, name, role, password_hash, created_at, lang, clinic_id)"
	                                      " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, u->email);
	sqldb_bind_text(st, 2, u->name);
	sqldb_bind_text(st, 3, role_name(u->role));
	sqldb_bind_text(st, 4, u->password_hash);
	sqldb_bind_int64(st, 5, u->created_at);
	sqldb_bind_text(st, 6, u->lang[0] ? u->lang : "ja");
	if (u->role == ROLE_SAFETY_OFFICER)
		sqldb_bind_null(st, 7);    /* of no clinic: 0018's CHECK holds the two together */
	else
		sqldb_bind_int64(st, 7, u->clinic_id > 0 ? u->clinic_id : store_scope_home(s));
	return sql_insert(ss, st, &u->id, "insert user");
}

static store_rc user_query_one(sql_store *ss, sqldb_stmt *st, user_record *out)
{
	int rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW)
		read_user(st, out);
	else if (rc == SQLDB_DONE)
		result = STORE_NOT_FOUND;
	else
		result = sql_fail(ss, "read user");
	sqldb_release(st);
	return result;
}

store_rc sql_user_by_email(store *s, const char *email, user_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " USER_COLUMNS " FROM users WHERE email = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, email);
	return user_query_one(ss, st, out);
}

store_rc sql_user_by_id(store *s, int64_t id, user_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " USER_COLUMNS " FROM users WHERE id = ? AND " SQL_IN_SCOPE("clinic_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, id);
	return user_query_one(ss, st, out);
}

store_rc sql_user_count(store *s, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM users");
	if (st == NULL)
		return STORE_ERROR;
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*count_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, "count users");
	sqldb_release(st);
	return rc;
}

store_rc sql_user_list(store *s, store_user_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " USER_COLUMNS " FROM users WHERE " SQL_IN_SCOPE("clinic_id") " ORDER BY id");
	if (st == NULL)
		return STORE_ERROR;
	int rc;
	user_record u;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_user(st, &u);
		if (fn(ctx, &u) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "list users");
	sqldb_release(st);
	return out;
}

static void read_user_row(sqldb_stmt *st, void *row)
{
	read_user(st, row);
}

store_rc sql_user_search(store *s, const list_filter *f, unsigned roles, store_user_fn fn, void *ctx,
                               int64_t *total_out)
{
	sql_store *ss = impl(s);
	/* One WHERE for the count and the page, the staff lists' search (SQL_PATIENT_MATCH: name
	 * without spaces, a patient's kana, the user id) plus the e-mail, which only accounts have;
	 * the state is named as the list's status. Each condition is off when its parameter is NULL
	 * or 0. SQL_CONTAINS ignores ASCII case, so "DOCTOR@" finds the stored lower-case address. */
	static const char where[] =
		" FROM users u LEFT JOIN patient_profiles pp ON pp.user_id = u.id"
		" WHERE (" SQL_PATIENT_MATCH("u", "pp", "u.id") " OR " SQL_CONTAINS("u.email", "?91") ")"
		" AND (CAST(?1 AS BIGINT) = 0 OR (?1 & CASE u.role WHEN 'patient' THEN ?2 WHEN 'doctor' THEN ?3 WHEN 'pharmacist' THEN ?4"
		" WHEN 'admin' THEN ?5 ELSE 0 END) != 0)"
		" AND " SQL_STATUS_MATCH("CASE WHEN u.deactivated_at IS NULL THEN 'active' ELSE 'deactivated' END")
		" AND " SQL_IN_SCOPE("u.clinic_id");
	char count_sql[sizeof where + 32], page_sql[sizeof where + sizeof USER_COLUMNS + 64];
	snprintf(count_sql, sizeof count_sql, "SELECT count(*)%s", where);
	snprintf(page_sql, sizeof page_sql, "SELECT " USER_COLUMNS "%s ORDER BY u.id" SQL_PAGE, where);
	sqldb_stmt *sts[2] = {sql_prepare(ss, count_sql), sql_prepare(ss, page_sql)};
	if (sts[0] == NULL || sts[1] == NULL) {
		sqldb_release(sts[0]);
		sqldb_release(sts[1]);
		return STORE_ERROR;
	}
	for (int i = 0; i < 2; i++) {
		sql_bind_filter(sts[i], f);
		sqldb_bind_int64(sts[i], 1, roles);
		sqldb_bind_int64(sts[i], 2, ROLE_PATIENT);
		sqldb_bind_int64(sts[i], 3, ROLE_DOCTOR);
		sqldb_bind_int64(sts[i], 4, ROLE_PHARMACIST);
		sqldb_bind_int64(sts[i], 5, ROLE_ADMIN);
	}
	store_rc rc = sql_count(ss, sts[0], total_out, "count users");
	if (rc != STORE_OK) {
		sqldb_release(sts[1]);
		return rc;
	}
	user_record u;
	return sql_each_row(ss, sts[1], read_user_row, &u, (int (*)(void *, const void *))fn, ctx, "search users");
}

store_rc sql_user_update(store *s, const user_record *u)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE users SET email = ?, name = ?, role = ?, lang = ?, password_reset_required = ?,"
	                                      " deactivated_at = nullif(CAST(? AS BIGINT), 0) WHERE id = ? AND " SQL_IN_SCOPE("clinic_id"));
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, u->email);
	sqldb_bind_text(st, 2, u->name);
	sqldb_bind_text(st, 3, role_name(u->role));
	sqldb_bind_text(st, 4, u->lang[0] ? u->lang : "ja");
	sqldb_bind_int(st, 5, u->password_reset_required ? 1 : 0);
	sqldb_bind_int64(st, 6, u->deactivated_at);
	sqldb_bind_int64(st, 7, u->id);
	store_rc rc = sql_step_done(ss, st, "update user");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

static store_rc count_one(sql_store *ss, const char *sql, int64_t bind, int64_t *count_out, const char *what)
{
	sqldb_stmt *st = sql_prepare(ss, sql);
	if (st == NULL)
		return STORE_ERROR;
	if (bind != 0)
		sqldb_bind_int64(st, 1, bind);
	return sql_count(ss, st, count_out, what);
}

store_rc sql_user_count_active_admins(store *s, int64_t *count_out)
{
	return count_one(impl(s), "SELECT count(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL AND " SQL_IN_SCOPE("clinic_id"), 0, count_out,
	                 "count admins");
}

store_rc sql_profile_update(store *s, const patient_profile *p)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE patient_profiles SET name_kana = ?, birth_date = ?, sex = ?, phone = ?,"
	                                      " postal_code = ?, address = ? WHERE user_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, p->name_kana);
	sqldb_bind_text(st, 2, p->birth_date);
	sqldb_bind_text(st, 3, p->sex);
	sqldb_bind_text(st, 4, p->phone);
	sqldb_bind_text(st, 5, p->postal_code);
	sqldb_bind_text(st, 6, p->address);
	sqldb_bind_int64(st, 7, p->user_id);
	store_rc rc = sql_step_done(ss, st, "update patient profile");
	if (rc == STORE_OK && ss->changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

store_rc sql_profile_insert(store *s, const patient_profile *p)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO patient_profiles (user_id, name_kana, birth_date, sex, phone, postal_code, address)"
	                               " VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, p->user_id);
	sqldb_bind_text(st, 2, p->name_kana);
	sqldb_bind_text(st, 3, p->birth_date);
	sqldb_bind_text(st, 4, p->sex);
	sqldb_bind_text(st, 5, p->phone);
	sqldb_bind_text(st, 6, p->postal_code);
	sqldb_bind_text(st, 7, p->address);
	return sql_step_done(ss, st, "insert patient profile");
}

store_rc sql_profile_get(store *s, int64_t user_id, patient_profile *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT user_id, name_kana, birth_date, sex, phone, postal_code, address"
	                               " FROM patient_profiles WHERE user_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, user_id);
	int rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW) {
		out->user_id = sqldb_column_int64(st, 0);
		sql_copy_text(out->name_kana, sizeof out->name_kana, st, 1);
		sql_copy_text(out->birth_date, sizeof out->birth_date, st, 2);
		sql_copy_text(out->sex, sizeof out->sex, st, 3);
		sql_copy_text(out->phone, sizeof out->phone, st, 4);
		sql_copy_text(out->postal_code, sizeof out->postal_code, st, 5);
		sql_copy_text(out->address, sizeof out->address, st, 6);
	} else if (rc == SQLDB_DONE) {
		result = STORE_NOT_FOUND;
	} else {
		result = sql_fail(ss, "read patient profile");
	}
	sqldb_release(st);
	return result;
}

store_rc sql_session_insert(store *s, const session_record *r)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
	                               " VALUES (?, ?, ?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, r->token_hash);
	sqldb_bind_int64(st, 2, r->user_id);
	sqldb_bind_text(st, 3, r->csrf_token);
	sqldb_bind_int64(st, 4, r->created_at);
	sqldb_bind_int64(st, 5, r->last_seen_at);
	return sql_step_done(ss, st, "insert session");
}

store_rc sql_session_get(store *s, const char *token_hash, session_record *out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT token_hash, user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	int rc = sqldb_step(st);
	store_rc result = STORE_OK;
	if (rc == SQLDB_ROW) {
		sql_copy_text(out->token_hash, sizeof out->token_hash, st, 0);
		out->user_id = sqldb_column_int64(st, 1);
		sql_copy_text(out->csrf_token, sizeof out->csrf_token, st, 2);
		out->created_at = sqldb_column_int64(st, 3);
		out->last_seen_at = sqldb_column_int64(st, 4);
	} else if (rc == SQLDB_DONE) {
		result = STORE_NOT_FOUND;
	} else {
		result = sql_fail(ss, "read session");
	}
	sqldb_release(st);
	return result;
}

store_rc sql_session_touch(store *s, const char *token_hash, int64_t now)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, token_hash);
	return sql_step_done(ss, st, "touch session");
}

store_rc sql_session_delete(store *s, const char *token_hash)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM sessions WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	return sql_step_done(ss, st, "delete session");
}

store_rc sql_session_delete_user(store *s, int64_t user_id, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM sessions WHERE user_id = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, user_id);
	store_rc rc = sql_step_done(ss, st, "delete user sessions");
	if (rc == STORE_OK)
		*count_out = ss->changes;
	return rc;
}

store_rc sql_session_purge(store *s, int64_t idle_cutoff, int64_t absolute_cutoff)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, idle_cutoff);
	sqldb_bind_int64(st, 2, absolute_cutoff);
	return sql_step_done(ss, st, "purge sessions");
}

store_rc sql_login_failure_add(store *s, const char *subject, int64_t at)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO login_failures (subject, at) VALUES (?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	sqldb_bind_int64(st, 2, at);
	return sql_step_done(ss, st, "record login failure");
}

store_rc sql_login_failure_count(store *s, const char *subject, int64_t since, int64_t *count_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT count(*) FROM login_failures WHERE subject = ? AND at >= ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	sqldb_bind_int64(st, 2, since);
	store_rc rc = STORE_OK;
	if (sqldb_step(st) == SQLDB_ROW)
		*count_out = sqldb_column_int64(st, 0);
	else
		rc = sql_fail(ss, "count login failures");
	sqldb_release(st);
	return rc;
}

store_rc sql_login_failure_clear(store *s, const char *subject)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM login_failures WHERE subject = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	return sql_step_done(ss, st, "clear login failures");
}

store_rc sql_login_failure_purge(store *s, int64_t before)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM login_failures WHERE at < ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, before);
	return sql_step_done(ss, st, "purge login failures");
}

store_rc sql_login_failure_forget(store *s, const char *subject, int64_t at)
{
	sql_store *ss = impl(s);
	/* One row of a table without a key: by SQLite's rowid, or PostgreSQL's ctid (the one
	 * statement that cannot be written for both). */
	sqldb_stmt *st = sql_prepare(ss, sqldb_dialect_of(ss->sql) == SQLDB_POSTGRES
	                                     ? "DELETE FROM login_failures WHERE ctid = "
	                                       "(SELECT ctid FROM login_failures WHERE subject = ? AND at = ? LIMIT 1)"
	                                     : "DELETE FROM login_failures WHERE rowid = "
	                                       "(SELECT rowid FROM login_failures WHERE subject = ? AND at = ? LIMIT 1)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, subject);
	sqldb_bind_int64(st, 2, at);
	return sql_step_done(ss, st, "forget login failure");
}

store_rc sql_login_device_add(store *s, const char *token_hash, int64_t user_id, int64_t at)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "INSERT INTO login_devices (token_hash, user_id, created_at) VALUES (?, ?, ?)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	sqldb_bind_int64(st, 2, user_id);
	sqldb_bind_int64(st, 3, at);
	return sql_step_done(ss, st, "remember login device");
}

store_rc sql_login_device_user(store *s, const char *token_hash, int64_t *user_id_out)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT user_id FROM login_devices WHERE token_hash = ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_text(st, 1, token_hash);
	store_rc rc = STORE_NOT_FOUND;
	int step = sqldb_step(st);
	if (step == SQLDB_ROW) {
		*user_id_out = sqldb_column_int64(st, 0);
		rc = STORE_OK;
	} else if (step != SQLDB_DONE) {
		rc = sql_fail(ss, "read login device");
	}
	sqldb_release(st);
	return rc;
}

store_rc sql_login_device_purge(store *s, int64_t before)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "DELETE FROM login_devices WHERE created_at < ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, before);
	return sql_step_done(ss, st, "purge login devices");
}

store_rc sql_audit_append(store *s, audit_row *e)
{
	sql_store *ss = impl(s);
	if (!ss->in_transaction) {
		snprintf(s->errmsg, sizeof s->errmsg, "audit_append outside a transaction");
		return STORE_ERROR;
	}
	/* The application appends to chain 0, the database's own (0019_audit_chains.sql); the
	 * table's id comes after every chain's rows, the row's place (seq) after chain 0's. */
	sqldb_stmt *st = sql_prepare(ss, "SELECT coalesce((SELECT max(id) FROM audit_log), 0),"
	                                 " (SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1),"
	                                 " (SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1)");
	if (st == NULL)
		return STORE_ERROR;
	int64_t table_id = 0;
	int rc = sqldb_step(st);
	if (rc == SQLDB_ROW) {
		table_id = sqldb_column_int64(st, 0) + 1;
		e->chain = 0;
		if (sqldb_column_is_null(st, 1)) {
			e->id = 1;
			snprintf(e->prev_hash, sizeof e->prev_hash, "%s", AUDIT_GENESIS_HASH);
		} else {
			e->id = sqldb_column_int64(st, 1) + 1;
			sql_copy_text(e->prev_hash, sizeof e->prev_hash, st, 2);
		}
	} else {
		sqldb_release(st);
		return sql_fail(ss, "read audit head");
	}
	sqldb_release(st);
	if (audit_chain_hash(e, e->hash) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "audit hash failed");
		return STORE_ERROR;
	}
	st = sql_prepare(ss, "INSERT INTO audit_log (id, at, actor_id, actor_role, action, object, detail, prev_hash, hash,"
	                 " chain, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int64(st, 1, table_id);
	sqldb_bind_int64(st, 10, e->id);
	sqldb_bind_int64(st, 2, e->at);
	sqldb_bind_int64(st, 3, e->actor_id);
	sqldb_bind_text(st, 4, e->actor_role);
	sqldb_bind_text(st, 5, e->action);
	sqldb_bind_text(st, 6, e->object);
	sqldb_bind_text(st, 7, e->detail);
	sqldb_bind_text(st, 8, e->prev_hash);
	sqldb_bind_text(st, 9, e->hash);
	return sql_step_done(ss, st, "append audit row");
}

static void read_audit(sqldb_stmt *st, audit_row *r)
{
	r->id = sqldb_column_int64(st, 0);
	r->at = sqldb_column_int64(st, 1);
	r->actor_id = sqldb_column_int64(st, 2);
	sql_copy_text(r->actor_role, sizeof r->actor_role, st, 3);
	sql_copy_text(r->action, sizeof r->action, st, 4);
	sql_copy_text(r->object, sizeof r->object, st, 5);
	sql_copy_text(r->detail, sizeof r->detail, st, 6);
	sql_copy_text(r->prev_hash, sizeof r->prev_hash, st, 7);
	sql_copy_text(r->hash, sizeof r->hash, st, 8);
	r->chain = sqldb_column_int64(st, 9);
}

static store_rc audit_rows(sql_store *ss, sqldb_stmt *st, store_audit_fn fn, void *ctx)
{
	int rc;
	audit_row r;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		read_audit(st, &r);
		if (fn(ctx, &r) != 0)
			break;
	}
	store_rc out = (rc == SQLDB_ROW || rc == SQLDB_DONE) ? STORE_OK : sql_fail(ss, "read audit log");
	sqldb_release(st);
	return out;
}

#define AUDIT_COLUMNS "id, at, actor_id, actor_role, action, object, detail, prev_hash, hash, chain"

store_rc sql_audit_recent(store *s, int limit, store_audit_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	sqldb_stmt *st = sql_prepare(ss, "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY id DESC LIMIT ?");
	if (st == NULL)
		return STORE_ERROR;
	sqldb_bind_int(st, 1, limit);
	return audit_rows(ss, st, fn, ctx);
}

store_rc sql_audit_each(store *s, store_audit_fn fn, void *ctx)
{
	sql_store *ss = impl(s);
	/* Each chain in the order it was appended, with the values its hashes cover: a migrated
	 * row's source numbers (0019_audit_chains.sql). A database not yet migrated to 0019 (audit
	 * verify checks one before `exosafe init` changes it) has one chain, in id order. */
	int version = 0;
	if (store_schema_version(s, &version) != STORE_OK)
		return STORE_ERROR;
	sqldb_stmt *st = sql_prepare(ss, version >= 19 ? "SELECT seq, at, coalesce(orig_actor_id, actor_id), actor_role, action,"
	                                                 " coalesce(orig_object, object), detail, prev_hash, hash, chain"
	                                                 " FROM audit_log ORDER BY chain, seq"
	                                               : "SELECT id, at, actor_id, actor_role, action, object, detail, prev_hash,"
	                                                 " hash, 0 FROM audit_log ORDER BY id");
	if (st == NULL)
		return STORE_ERROR;
	return audit_rows(ss, st, fn, ctx);
}
