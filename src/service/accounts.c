#include "service/accounts.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static accounts_rc abort_tx(store *s)
{
	s->m->rollback(s);
	return ACCOUNTS_ERROR;
}

accounts_rc accounts_create(store *s, const actor *by, const char *action, user_record *user,
                            const char *password, const patient_profile *profile)
{
	/* Hash before the transaction: Argon2id takes a while and must not hold the write lock. */
	if (password_hash(password, user->password_hash) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "password hashing failed (out of memory)");
		return ACCOUNTS_ERROR;
	}
	user->created_at = clock_now();
	if (s->m->begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	store_rc rc = s->m->user_insert(s, user);
	if (rc == STORE_CONFLICT) {
		s->m->rollback(s);
		return ACCOUNTS_EMAIL_TAKEN;
	}
	if (rc != STORE_OK)
		return abort_tx(s);
	if (user->role == ROLE_PATIENT) {
		patient_profile p = *profile;
		p.user_id = user->id;
		if (s->m->profile_insert(s, &p) != STORE_OK)
			return abort_tx(s);
	}
	char object[64], detail[128];
	snprintf(object, sizeof object, "%s:%lld", user->role == ROLE_PATIENT ? "patient" : "user", (long long)user->id);
	snprintf(detail, sizeof detail, "role=%s", role_name(user->role));
	audit_row row;
	if (by->self)
		audit_row_make(&row, user->id, user->role, action, object, detail);
	else
		audit_row_make(&row, by->id, by->role, action, object, detail);
	if (!by->self && by->id == 0)
		snprintf(row.actor_role, sizeof row.actor_role, "system");
	if (s->m->audit_append(s, &row) != STORE_OK)
		return abort_tx(s);
	return s->m->commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

static void subjects(const login_attempt *a, char account[300], char address[80])
{
	snprintf(account, 300, "account:%s", a->email);
	snprintf(address, 80, "address:%s", a->address ? a->address : "unknown");
}

static accounts_rc record_failure(store *s, const login_attempt *a, int64_t now, const char *action,
                                  const user_record *known)
{
	char account[300], address[80];
	subjects(a, account, address);
	if (s->m->begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (strcmp(action, "auth.login_failed") == 0 &&
	    (s->m->login_failure_add(s, account, now) != STORE_OK || s->m->login_failure_add(s, address, now) != STORE_OK))
		return abort_tx(s);
	audit_row row;
	char object[64] = "";
	if (known)
		snprintf(object, sizeof object, "user:%lld", (long long)known->id);
	char detail[128];
	snprintf(detail, sizeof detail, "from %s", a->address ? a->address : "unknown");
	audit_row_make(&row, 0, ROLE_NONE, action, object, detail);
	if (s->m->audit_append(s, &row) != STORE_OK)
		return abort_tx(s);
	return s->m->commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

accounts_rc accounts_login(store *s, const login_limits *lim, const login_attempt *a, int64_t now,
                           user_record *out)
{
	char account[300], address[80];
	int64_t account_failures = 0, address_failures = 0;
	subjects(a, account, address);
	if (s->m->login_failure_count(s, account, now - lim->window_seconds, &account_failures) != STORE_OK ||
	    s->m->login_failure_count(s, address, now - lim->window_seconds, &address_failures) != STORE_OK)
		return ACCOUNTS_ERROR;

	user_record user;
	store_rc found = s->m->user_by_email(s, a->email, &user);
	if (found == STORE_ERROR)
		return ACCOUNTS_ERROR;

	if (login_throttled(lim, account_failures, address_failures)) {
		if (record_failure(s, a, now, "auth.login_throttled", found == STORE_OK ? &user : NULL) != ACCOUNTS_OK)
			return ACCOUNTS_ERROR;
		return ACCOUNTS_THROTTLED;
	}
	/* Verify against a dummy hash for unknown accounts so timing does not reveal which exist. */
	bool ok = password_verify(found == STORE_OK ? user.password_hash : password_dummy_hash(), a->password);
	if (!ok || found != STORE_OK) {
		if (record_failure(s, a, now, "auth.login_failed", found == STORE_OK ? &user : NULL) != ACCOUNTS_OK)
			return ACCOUNTS_ERROR;
		return ACCOUNTS_BAD_CREDENTIALS;
	}
	if (account_failures > 0) {
		if (s->m->begin(s) != STORE_OK)
			return ACCOUNTS_ERROR;
		if (s->m->login_failure_clear(s, account) != STORE_OK)
			return abort_tx(s);
		if (s->m->commit(s) != STORE_OK)
			return ACCOUNTS_ERROR;
	}
	*out = user;
	return ACCOUNTS_OK;
}

accounts_rc accounts_session_start(store *s, const user_record *user, int64_t now, const char *audit_action,
                                   char token_out[TOKEN_TEXT_MAX], session_record *session_out)
{
	session_record r = {0};
	token_random(token_out);
	token_hash(token_out, r.token_hash);
	token_random(r.csrf_token);
	r.user_id = user->id;
	r.created_at = now;
	r.last_seen_at = now;
	if (s->m->begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (s->m->session_insert(s, &r) != STORE_OK)
		return abort_tx(s);
	if (audit_action != NULL) {
		audit_row row;
		char object[64];
		snprintf(object, sizeof object, "user:%lld", (long long)user->id);
		audit_row_make(&row, user->id, user->role, audit_action, object, "");
		if (s->m->audit_append(s, &row) != STORE_OK)
			return abort_tx(s);
	}
	if (s->m->commit(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	*session_out = r;
	return ACCOUNTS_OK;
}

accounts_rc accounts_session_resolve(store *s, const session_limits *lim, const char *token, int64_t now,
                                     session_record *session_out, user_record *user_out)
{
	if (token == NULL || *token == '\0' || strlen(token) >= TOKEN_TEXT_MAX)
		return ACCOUNTS_SESSION_INVALID;
	char hash[TOKEN_HASH_HEX];
	token_hash(token, hash);
	session_record r;
	store_rc rc = s->m->session_get(s, hash, &r);
	if (rc == STORE_NOT_FOUND)
		return ACCOUNTS_SESSION_INVALID;
	if (rc != STORE_OK)
		return ACCOUNTS_ERROR;
	if (session_expired(lim, r.created_at, r.last_seen_at, now)) {
		if (s->m->begin(s) == STORE_OK) {
			if (s->m->session_delete(s, hash) == STORE_OK)
				s->m->commit(s);
			else
				s->m->rollback(s);
		}
		return ACCOUNTS_SESSION_INVALID;
	}
	rc = s->m->user_by_id(s, r.user_id, user_out);
	if (rc == STORE_NOT_FOUND)
		return ACCOUNTS_SESSION_INVALID;
	if (rc != STORE_OK)
		return ACCOUNTS_ERROR;
	/* Refreshing last-seen is a write: do it at most once a minute, but often enough that
	 * a short idle limit still sees the activity. */
	int64_t refresh = lim->idle_seconds / 3 < 60 ? lim->idle_seconds / 3 : 60;
	if (now - r.last_seen_at >= refresh) {
		if (s->m->begin(s) != STORE_OK)
			return ACCOUNTS_ERROR;
		if (s->m->session_touch(s, hash, now) != STORE_OK)
			return abort_tx(s);
		if (s->m->commit(s) != STORE_OK)
			return ACCOUNTS_ERROR;
		r.last_seen_at = now;
	}
	*session_out = r;
	return ACCOUNTS_OK;
}

accounts_rc accounts_session_end(store *s, const session_record *session, const user_record *user)
{
	if (s->m->begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (s->m->session_delete(s, session->token_hash) != STORE_OK)
		return abort_tx(s);
	audit_row row;
	char object[64];
	snprintf(object, sizeof object, "user:%lld", (long long)user->id);
	audit_row_make(&row, user->id, user->role, "auth.logout", object, "");
	if (s->m->audit_append(s, &row) != STORE_OK)
		return abort_tx(s);
	return s->m->commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}
