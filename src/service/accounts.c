#include "service/accounts.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

accounts_rc accounts_create(store *s, const actor *by, const char *action, user_record *user,
                            const char *password, const patient_profile *profile)
{
	/* Hash before the transaction: Argon2id takes a while and must not hold the write lock. */
	if (password_hash(password, user->password_hash) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "password hashing failed (out of memory)");
		return ACCOUNTS_ERROR;
	}
	user->created_at = clock_now();
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	store_rc rc = store_user_insert(s, user);
	if (rc == STORE_CONFLICT) {
		store_rollback(s);
		return ACCOUNTS_EMAIL_TAKEN;
	}
	if (rc != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	if (user->role == ROLE_PATIENT) {
		patient_profile p = *profile;
		p.user_id = user->id;
		if (store_profile_insert(s, &p) != STORE_OK)
			return service_rollback(s, ACCOUNTS_ERROR);
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
	if (store_audit_append(s, &row) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	return store_commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

static void subjects(const login_attempt *a, char account[300], char address[80])
{
	snprintf(account, 300, "account:%s", a->email);
	snprintf(address, 80, "address:%s", a->address ? a->address : "unknown");
}

/* Appends the audit row of a log-in attempt (inside the caller's transaction). */
static store_rc audit_attempt(store *s, const login_attempt *a, const char *action, const user_record *known)
{
	audit_row row;
	char object[64] = "";
	if (known)
		snprintf(object, sizeof object, "user:%lld", (long long)known->id);
	char detail[128];
	snprintf(detail, sizeof detail, "from %s", a->address ? a->address : "unknown");
	audit_row_make(&row, 0, ROLE_NONE, action, object, detail);
	return store_audit_append(s, &row);
}

/* The same in a transaction of its own. */
static accounts_rc record_attempt(store *s, const login_attempt *a, const char *action, const user_record *known)
{
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (audit_attempt(s, a, action, known) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	return store_commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

/* Counts an attempt's failures and, unless past the limit, records the attempt as a failure
 * in the same write transaction, before its password is checked: concurrent attempts cannot
 * all pass one count, so the limit is exact. A right password takes the record back
 * (settle_success). device (a known device's cookie hash, or NULL) is judged by its own count
 * against max_per_account instead of the account's and the address's, so that strangers'
 * guesses do not lock it out. *account_failures: the account's count either way.
 * When past the limit, audit_throttled says whether an "auth.login_throttled" row is written.
 * Errors: ACCOUNTS_THROTTLED, ACCOUNTS_ERROR. */
static accounts_rc reserve_attempt(store *s, const login_limits *lim, const login_attempt *a, const char *device,
                                   const user_record *known, bool audit_throttled, int64_t now,
                                   int64_t *account_failures)
{
	char account[300], address[80], device_subject[300];
	subjects(a, account, address);
	int64_t since = now - lim->window_seconds, address_failures = 0, device_failures = 0;
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (store_login_failure_count(s, account, since, account_failures) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	bool throttled;
	if (device != NULL) {
		snprintf(device_subject, sizeof device_subject, "device:%s", device);
		if (store_login_failure_count(s, device_subject, since, &device_failures) != STORE_OK)
			return service_rollback(s, ACCOUNTS_ERROR);
		throttled = device_failures >= lim->max_per_account;
	} else {
		if (store_login_failure_count(s, address, since, &address_failures) != STORE_OK)
			return service_rollback(s, ACCOUNTS_ERROR);
		throttled = login_throttled(lim, *account_failures, address_failures);
	}
	if (throttled) {
		if (audit_throttled && audit_attempt(s, a, "auth.login_throttled", known) != STORE_OK)
			return service_rollback(s, ACCOUNTS_ERROR);
		return store_commit(s) == STORE_OK ? ACCOUNTS_THROTTLED : ACCOUNTS_ERROR;
	}
	store_rc added = device != NULL ? store_login_failure_add(s, device_subject, now)
	                 : store_login_failure_add(s, account, now) == STORE_OK ? store_login_failure_add(s, address, now)
	                                                                        : STORE_ERROR;
	if (added != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	return store_commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

/* The attempt was right: takes back what reserve_attempt recorded. A known device's failures
 * are cleared; otherwise the account's are (as before devices were known) and the address's
 * record of this attempt. With new_device, the browser is remembered for user and the cookie
 * value written there. In one transaction. Errors: ACCOUNTS_ERROR. */
static accounts_rc settle_success(store *s, const login_attempt *a, const char *device, const user_record *user,
                                  int64_t now, char *new_device)
{
	char account[300], address[80], device_subject[300];
	subjects(a, account, address);
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	store_rc rc;
	if (device != NULL) {
		snprintf(device_subject, sizeof device_subject, "device:%s", device);
		rc = store_login_failure_clear(s, device_subject);
	} else {
		rc = store_login_failure_clear(s, account);
		if (rc == STORE_OK)
			rc = store_login_failure_forget(s, address, now);
	}
	if (rc == STORE_OK && device == NULL && new_device != NULL) {
		char hash[TOKEN_HASH_HEX];
		token_random(new_device);
		token_hash(new_device, hash);
		rc = store_login_device_add(s, hash, user->id, now);
	}
	if (rc != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	return store_commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

/* A known device's right password while strangers' guesses have the account past its limit is
 * let in after this pause rather than refused: slowed, not locked out. */
enum { KNOWN_DEVICE_DELAY_MS = 1000 };

accounts_rc accounts_login(store *s, const login_limits *lim, const login_attempt *a, int64_t now,
                           user_record *out, char new_device[TOKEN_TEXT_MAX])
{
	if (new_device != NULL)
		new_device[0] = '\0';
	user_record user;
	store_rc found = store_user_by_email(s, a->email, &user);
	if (found == STORE_ERROR)
		return ACCOUNTS_ERROR;

	/* A device cookie counts only for the account it was given to. */
	char device_hash[TOKEN_HASH_HEX];
	const char *device = NULL;
	if (found == STORE_OK && a->device != NULL && a->device[0] != '\0' && strlen(a->device) < TOKEN_TEXT_MAX) {
		int64_t owner = 0;
		token_hash(a->device, device_hash);
		store_rc known = store_login_device_user(s, device_hash, &owner);
		if (known == STORE_ERROR)
			return ACCOUNTS_ERROR;
		if (known == STORE_OK && owner == user.id)
			device = device_hash;
	}

	int64_t account_failures = 0;
	accounts_rc reserved = reserve_attempt(s, lim, a, device, found == STORE_OK ? &user : NULL, true, now,
	                                       &account_failures);
	if (reserved != ACCOUNTS_OK)
		return reserved;
	if (device != NULL && account_failures >= lim->max_per_account) {
		struct timespec pause = {KNOWN_DEVICE_DELAY_MS / 1000, (KNOWN_DEVICE_DELAY_MS % 1000) * 1000000L};
		nanosleep(&pause, NULL);
	}

	/* Verify against a dummy hash for unknown accounts so timing does not reveal which exist. */
	bool ok = password_verify(found == STORE_OK ? user.password_hash : password_dummy_hash(), a->password);
	if (!ok || found != STORE_OK) {
		/* The failure was recorded by reserve_attempt; the audit row says so. */
		if (record_attempt(s, a, "auth.login_failed", found == STORE_OK ? &user : NULL) != ACCOUNTS_OK)
			return ACCOUNTS_ERROR;
		return ACCOUNTS_BAD_CREDENTIALS;
	}
	/* Only now, with the password right, may the answer say more than "wrong". */
	bool refused = user.deactivated_at != 0 || user.password_reset_required;
	if (settle_success(s, a, device, &user, now, refused ? NULL : new_device) != ACCOUNTS_OK) {
		if (new_device != NULL)
			new_device[0] = '\0';
		return ACCOUNTS_ERROR;
	}
	if (refused) {
		if (record_attempt(s, a, "auth.login_refused", &user) != ACCOUNTS_OK)
			return ACCOUNTS_ERROR;
		return user.deactivated_at != 0 ? ACCOUNTS_DEACTIVATED : ACCOUNTS_RESET_REQUIRED;
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
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (store_session_insert(s, &r) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	if (audit_action != NULL) {
		audit_row row;
		char object[64];
		snprintf(object, sizeof object, "user:%lld", (long long)user->id);
		audit_row_make(&row, user->id, user->role, audit_action, object, "");
		if (store_audit_append(s, &row) != STORE_OK)
			return service_rollback(s, ACCOUNTS_ERROR);
	}
	if (store_commit(s) != STORE_OK)
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
	store_rc rc = store_session_get(s, hash, &r);
	if (rc == STORE_NOT_FOUND)
		return ACCOUNTS_SESSION_INVALID;
	if (rc != STORE_OK)
		return ACCOUNTS_ERROR;
	if (session_expired(lim, r.created_at, r.last_seen_at, now)) {
		if (store_begin(s) == STORE_OK) {
			if (store_session_delete(s, hash) == STORE_OK)
				store_commit(s);
			else
				store_rollback(s);
		}
		return ACCOUNTS_SESSION_INVALID;
	}
	rc = store_user_by_id(s, r.user_id, user_out);
	if (rc == STORE_NOT_FOUND)
		return ACCOUNTS_SESSION_INVALID;
	if (rc != STORE_OK)
		return ACCOUNTS_ERROR;
	/* Deactivation and a forced reset end the sessions; this holds even if one survived. */
	if (user_out->deactivated_at != 0 || user_out->password_reset_required)
		return ACCOUNTS_SESSION_INVALID;
	/* Refreshing last-seen is a write: do it at most once a minute, but often enough that
	 * a short idle limit still sees the activity. */
	int64_t refresh = lim->idle_seconds / 3 < 60 ? lim->idle_seconds / 3 : 60;
	if (now - r.last_seen_at >= refresh) {
		if (store_begin(s) != STORE_OK)
			return ACCOUNTS_ERROR;
		if (store_session_touch(s, hash, now) != STORE_OK)
			return service_rollback(s, ACCOUNTS_ERROR);
		if (store_commit(s) != STORE_OK)
			return ACCOUNTS_ERROR;
		r.last_seen_at = now;
	}
	*session_out = r;
	return ACCOUNTS_OK;
}

accounts_rc accounts_session_end(store *s, const session_record *session, const user_record *user)
{
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	if (store_session_delete(s, session->token_hash) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	audit_row row;
	char object[64];
	snprintf(object, sizeof object, "user:%lld", (long long)user->id);
	audit_row_make(&row, user->id, user->role, "auth.logout", object, "");
	if (store_audit_append(s, &row) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	return store_commit(s) == STORE_OK ? ACCOUNTS_OK : ACCOUNTS_ERROR;
}

/* Appends to detail (a comma list of field names) when the text changed. */
static void note_change(char *detail, size_t len, const char *field, const char *before, const char *after)
{
	if (strcmp(before, after) == 0)
		return;
	size_t used = strlen(detail);
	snprintf(detail + used, len - used, "%s%s", used > strlen("changed=") ? "," : "", field);
}

/* Checks the current password before an e-mail change, throttled and counted like a log-in. */
static accounts_rc check_current_password(store *s, const login_limits *lim, const user_record *user,
                                          const profile_change *c, int64_t now)
{
	if (c->current_password == NULL || c->current_password[0] == '\0')
		return ACCOUNTS_PASSWORD_NEEDED;
	login_attempt a = {user->email, c->current_password, c->address_from, NULL};
	int64_t account_failures = 0;
	accounts_rc reserved = reserve_attempt(s, lim, &a, NULL, user, false, now, &account_failures);
	if (reserved != ACCOUNTS_OK)
		return reserved;
	if (password_verify(user->password_hash, c->current_password))
		return settle_success(s, &a, NULL, user, now, NULL);
	if (record_attempt(s, &a, "auth.login_failed", user) != ACCOUNTS_OK)
		return ACCOUNTS_ERROR;
	return ACCOUNTS_BAD_CREDENTIALS;
}

accounts_rc accounts_profile_update(store *s, const login_limits *lim, user_record *user, patient_profile *profile,
                                    const profile_change *c, int64_t now)
{
	user_record u = *user;
	patient_profile p = *profile;
	snprintf(u.name, sizeof u.name, "%s", c->name);
	if (c->lang != NULL)
		snprintf(u.lang, sizeof u.lang, "%s", c->lang);
	if (c->email != NULL)
		snprintf(u.email, sizeof u.email, "%s", c->email);
	snprintf(p.name_kana, sizeof p.name_kana, "%s", c->name_kana);
	snprintf(p.phone, sizeof p.phone, "%s", c->phone);
	snprintf(p.postal_code, sizeof p.postal_code, "%s", c->postal_code ? c->postal_code : "");
	snprintf(p.address, sizeof p.address, "%s", c->address ? c->address : "");

	char detail[256] = "changed=";
	note_change(detail, sizeof detail, "name", user->name, u.name);
	note_change(detail, sizeof detail, "email", user->email, u.email);
	note_change(detail, sizeof detail, "lang", user->lang, u.lang);
	note_change(detail, sizeof detail, "name_kana", profile->name_kana, p.name_kana);
	note_change(detail, sizeof detail, "phone", profile->phone, p.phone);
	note_change(detail, sizeof detail, "postal_code", profile->postal_code, p.postal_code);
	note_change(detail, sizeof detail, "address", profile->address, p.address);

	if (strcmp(user->email, u.email) != 0) {
		accounts_rc checked = check_current_password(s, lim, user, c, now);
		if (checked != ACCOUNTS_OK)
			return checked;
	}
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	store_rc rc = store_user_update(s, &u);
	if (rc == STORE_CONFLICT) {
		store_rollback(s);
		return ACCOUNTS_EMAIL_TAKEN;
	}
	if (rc != STORE_OK || store_profile_update(s, &p) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	char object[64];
	snprintf(object, sizeof object, "patient:%lld", (long long)u.id);
	audit_row row;
	audit_row_make(&row, u.id, u.role, "patient.profile.update", object, detail);
	if (store_audit_append(s, &row) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	if (store_commit(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	*user = u;
	*profile = p;
	return ACCOUNTS_OK;
}

/* Whether taking target's admin rights away (a demotion or a deactivation) leaves none. */
static accounts_rc would_leave_no_admin(store *s, const user_record *target)
{
	if (target->role != ROLE_ADMIN || target->deactivated_at != 0)
		return ACCOUNTS_OK;
	int64_t admins = 0;
	if (store_user_count_active_admins(s, &admins) != STORE_OK)
		return ACCOUNTS_ERROR;
	return admins <= 1 ? ACCOUNTS_LAST_ADMIN : ACCOUNTS_OK;
}

accounts_rc accounts_admin_apply(store *s, const actor *by, int64_t target_id, account_action action, user_role new_role,
                                 int64_t now, user_record *out, int64_t *sessions_ended)
{
	*sessions_ended = 0;
	if (store_begin(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	user_record u;
	store_rc found = store_user_by_id(s, target_id, &u);
	if (found != STORE_OK) {
		store_rollback(s);
		return found == STORE_NOT_FOUND ? ACCOUNTS_NOT_FOUND : ACCOUNTS_ERROR;
	}
	const char *audit_action = NULL;
	char detail[128] = "";
	bool end_sessions = false;
	accounts_rc guard = ACCOUNTS_OK;
	switch (action) {
	case ACCOUNT_DEACTIVATE:
		if (u.deactivated_at != 0)
			break;
		guard = would_leave_no_admin(s, &u);
		u.deactivated_at = now;
		audit_action = "user.deactivate";
		end_sessions = true;
		break;
	case ACCOUNT_REACTIVATE:
		if (u.deactivated_at == 0)
			break;
		u.deactivated_at = 0;
		audit_action = "user.reactivate";
		break;
	case ACCOUNT_SET_ROLE:
		if (u.role == ROLE_PATIENT || !(new_role & ROLE_STAFF)) {
			guard = ACCOUNTS_ROLE_FIXED;
			break;
		}
		if (u.role == new_role)
			break;
		if (new_role != ROLE_ADMIN)
			guard = would_leave_no_admin(s, &u);
		snprintf(detail, sizeof detail, "role %s -> %s", role_name(u.role), role_name(new_role));
		u.role = new_role;
		audit_action = "user.role_change";
		break;
	case ACCOUNT_FORCE_PASSWORD_RESET:
		/* Set again even when already set: the point is also to end any session. */
		u.password_reset_required = true;
		audit_action = "user.force_password_reset";
		end_sessions = true;
		break;
	}
	/* The last admin demoting themself hears that first: it is the reason that cannot be fixed
	 * by asking another admin. */
	if (guard == ACCOUNTS_OK && target_id == by->id)
		guard = ACCOUNTS_SELF;
	if (guard != ACCOUNTS_OK) {
		store_rollback(s);
		return guard;
	}
	if (audit_action == NULL) {
		store_rollback(s);
		*out = u;
		return ACCOUNTS_OK;
	}
	if (store_user_update(s, &u) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	if (end_sessions && store_session_delete_user(s, u.id, sessions_ended) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	if (end_sessions) {
		size_t used = strlen(detail);
		snprintf(detail + used, sizeof detail - used, "%ssessions_ended=%lld", used ? "; " : "", (long long)*sessions_ended);
	}
	char object[64];
	snprintf(object, sizeof object, "user:%lld", (long long)u.id);
	audit_row row;
	audit_row_make(&row, by->id, by->role, audit_action, object, detail);
	if (store_audit_append(s, &row) != STORE_OK)
		return service_rollback(s, ACCOUNTS_ERROR);
	if (store_commit(s) != STORE_OK)
		return ACCOUNTS_ERROR;
	*out = u;
	return ACCOUNTS_OK;
}
