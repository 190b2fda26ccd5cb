/* Password reset by e-mail (see password_reset.h). */
#include "service/password_reset.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/credentials.h"
#include "service/clinic.h"
#include "service/mail.h"

reset_rc password_reset_request(store *s, const server_config *cfg, const char *email, const char *lang, int64_t now)
{
	user_record user;
	store_rc found = store_user_by_email(s, email, &user);
	/* A deactivated account gets no link: it could not log in with the new password. */
	if (found == STORE_NOT_FOUND || (found == STORE_OK && user.deactivated_at != 0))
		return RESET_OK;
	if (found != STORE_OK)
		return RESET_ERROR;
	int64_t recent = 0;
	if (store_reset_token_count(s, user.id, now - 3600, &recent) != STORE_OK)
		return RESET_ERROR;
	if (recent >= RESET_MAX_PER_HOUR)
		return RESET_OK;

	char token[TOKEN_TEXT_MAX];
	reset_token_record t = {.user_id = user.id, .created_at = now,
	                        .expires_at = now + (int64_t)cfg->mail.reset_valid_minutes * 60};
	token_random(token);
	token_hash(token, t.token_hash);
	/* In the fragment, not the query: a fragment is not sent to the server when the page
	 * loads, so the token stays out of access logs and Referer headers. */
	char link[700], minutes[16], object[64];
	snprintf(link, sizeof link, "%s/reset-password.html#token=%s", cfg->mail.public_url, token);
	snprintf(minutes, sizeof minutes, "%d", cfg->mail.reset_valid_minutes);
	snprintf(object, sizeof object, "user:%lld", (long long)user.id);
	clinic_profile clinic;
	if (clinic_profile_of(s, &user, &clinic) != CLINIC_OK)
		return RESET_ERROR;
	mail_var vars[] = {{"name", user.name}, {"link", link}, {"valid_minutes", minutes},
	                   {"clinic_name", clinic.name}, {"clinic_phone", clinic.phone}};
	mail_item item = {.recipient_user_id = user.id, .to_address = user.email, .kind = "password_reset"};

	if (store_begin(s) != STORE_OK)
		return RESET_ERROR;
	audit_row row;
	audit_row_make(&row, 0, ROLE_NONE, "auth.password_reset_requested", object, "reset link mailed");
	if (store_reset_token_insert(s, &t) != STORE_OK ||
	    mail_render_enqueue(s, cfg->data_dir, lang, &item, vars, sizeof vars / sizeof vars[0]) != STORE_OK ||
	    store_audit_append(s, &row) != STORE_OK)
		return service_rollback(s, RESET_ERROR);
	sodium_memzero(token, sizeof token);
	return store_commit(s) == STORE_OK ? RESET_OK : RESET_ERROR;
}

reset_rc password_reset_confirm(store *s, const char *token, const char *password, int64_t now, int64_t *user_id_out,
                                int64_t *sessions_ended)
{
	char hash[TOKEN_HASH_HEX];
	token_hash(token, hash);
	reset_token_record t;
	store_rc rc = store_reset_token_get(s, hash, &t);
	if (rc == STORE_NOT_FOUND)
		return RESET_TOKEN_UNKNOWN;
	if (rc != STORE_OK)
		return RESET_ERROR;
	if (t.used_at != 0)
		return RESET_TOKEN_USED;
	if (now >= t.expires_at)
		return RESET_TOKEN_EXPIRED;
	char new_hash[PASSWORD_HASH_MAX];
	if (password_hash(password, new_hash) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "password hashing failed (out of memory)");
		return RESET_ERROR;
	}
	user_record user;
	if (store_user_by_id(s, t.user_id, &user) != STORE_OK)
		return RESET_ERROR;

	if (store_begin(s) != STORE_OK)
		return RESET_ERROR;
	/* Used inside the transaction: of two confirmations racing with one link, one wins and
	 * the other sees STORE_CONFLICT. */
	rc = store_reset_token_use(s, hash, now);
	if (rc == STORE_CONFLICT) {
		store_rollback(s);
		return RESET_TOKEN_USED;
	}
	int64_t ended = 0, voided = 0;
	char object[64], detail[128], account[300];
	snprintf(object, sizeof object, "user:%lld", (long long)user.id);
	/* A reset also lifts a log-in lock-out on the account (same subject as accounts.c). */
	snprintf(account, sizeof account, "account:%s", user.email);
	/* An admin's forced reset (password_reset_required) is satisfied by this one. */
	bool was_required = user.password_reset_required;
	user.password_reset_required = false;
	if (rc != STORE_OK || store_user_set_password(s, user.id, new_hash) != STORE_OK ||
	    (was_required && store_user_update(s, &user) != STORE_OK) ||
	    store_session_delete_user(s, user.id, &ended) != STORE_OK ||
	    store_reset_tokens_void_user(s, user.id, now, &voided) != STORE_OK ||
	    store_login_failure_clear(s, account) != STORE_OK)
		return service_rollback(s, RESET_ERROR);
	snprintf(detail, sizeof detail, "sessions ended: %lld; other reset links voided: %lld%s", (long long)ended,
	         (long long)voided, was_required ? "; forced reset satisfied" : "");
	audit_row row;
	audit_row_make(&row, user.id, user.role, "auth.password_reset", object, detail);
	if (store_audit_append(s, &row) != STORE_OK)
		return service_rollback(s, RESET_ERROR);
	if (store_commit(s) != STORE_OK)
		return RESET_ERROR;
	*user_id_out = user.id;
	*sessions_ended = ended;
	return RESET_OK;
}
