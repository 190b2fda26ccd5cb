/* An admin's user management: find accounts (search and paging), deactivate and reactivate
 * them, change a staff role, force a password reset. Every change is audited by the service
 * (service/accounts.c), which also holds the guards (last active admin, one's own account). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/accounts.h"
#include "clock.h"

#define USERS_PAGE_DEFAULT 25
#define USERS_PAGE_MAX 100

/* A user as the admin's list shows it: json_user plus the account's state. */
static json_t *json_admin_user(const user_record *u)
{
	json_t *j = json_user(u, NULL);
	json_object_set_new(j, "active", json_boolean(u->deactivated_at == 0));
	if (u->deactivated_at != 0) {
		char at[ISO8601_LEN];
		time_iso8601(u->deactivated_at, at);
		json_object_set_new(j, "deactivated_at", json_string(at));
	} else {
		json_object_set_new(j, "deactivated_at", json_null());
	}
	json_object_set_new(j, "password_reset_required", json_boolean(u->password_reset_required));
	json_object_set_new(j, "lang", json_string(u->lang[0] ? u->lang : "ja"));
	return j;
}

static int add_admin_user(void *ctx, const user_record *u)
{
	json_array_append_new(ctx, json_admin_user(u));
	return 0;
}

void handle_admin_users_list(request *req)
{
	user_query q = {0};
	const char *text = request_query(req, "q"), *role = request_query(req, "role"), *status = request_query(req, "status");
	if (text != NULL && strlen(text) > 254) {
		reply_error(req, 400, "invalid_field", "q", "too_long");
		return;
	}
	if (role != NULL && role[0] != '\0') {
		q.roles = role_from_name(role);
		if (q.roles == ROLE_NONE) {
			reply_error(req, 400, "invalid_field", "role", "role_any_value");
			return;
		}
	}
	if (status == NULL || status[0] == '\0' || strcmp(status, "any") == 0)
		q.status = USER_ANY;
	else if (strcmp(status, "active") == 0)
		q.status = USER_ACTIVE;
	else if (strcmp(status, "deactivated") == 0)
		q.status = USER_DEACTIVATED;
	else {
		reply_error(req, 400, "invalid_field", "status", "user_status_value");
		return;
	}
	int64_t page, per_page;
	if (!query_int(req, "page", 1, 1, 1000000, &page) ||
	    !query_int(req, "per_page", USERS_PAGE_DEFAULT, 1, USERS_PAGE_MAX, &per_page))
		return;
	q.limit = (int)per_page;
	q.offset = (int)((page - 1) * per_page);

	/* Searched as names are stored: "ﾔﾏﾀﾞ" finds "ヤマダ", a full-width e-mail its ASCII form. */
	char *normalized = text != NULL ? text_normalize(text) : NULL;
	if (text != NULL && normalized == NULL) {
		reply_error(req, 400, "invalid_field", "q", "text_encoding");
		return;
	}
	q.text = normalized;
	json_t *users = json_array();
	int64_t total = 0;
	store_rc rc = req->db->m->user_search(req->db, &q, add_admin_user, users, &total);
	free(normalized);
	if (rc != STORE_OK) {
		json_decref(users);
		reply_internal(req, "search users");
		return;
	}
	if (store_audit_now(req->db, req->user.id, req->user.role, "user.list", "users", "") != STORE_OK) {
		json_decref(users);
		reply_internal(req, "audit user list");
		return;
	}
	reply_json(req, 200, json_pack("{s:o, s:I, s:I, s:I}", "users", users, "total", (json_int_t)total, "page",
	                               (json_int_t)page, "per_page", (json_int_t)per_page));
}

/* Runs one account action on the user in the path and answers with the account as stored. */
static void apply(request *req, account_action action, user_role new_role)
{
	actor by = request_actor(req);
	user_record target;
	int64_t ended = 0;
	switch (accounts_admin_apply(req->db, &by, req->path_ids[0], action, new_role, clock_now(), &target, &ended)) {
	case ACCOUNTS_OK:
		reply_json(req, 200, json_pack("{s:o, s:I}", "user", json_admin_user(&target), "sessions_ended", (json_int_t)ended));
		return;
	case ACCOUNTS_NOT_FOUND:
		reply_error(req, 404, "not_found", NULL, NULL);
		return;
	case ACCOUNTS_SELF:
		reply_error(req, 409, "cannot_change_self", NULL, NULL);
		return;
	case ACCOUNTS_LAST_ADMIN:
		reply_error(req, 409, "last_admin", NULL, NULL);
		return;
	case ACCOUNTS_ROLE_FIXED:
		reply_error(req, 409, "role_fixed", "role", NULL);
		return;
	default:
		reply_internal(req, "change account");
		return;
	}
}

void handle_admin_user_deactivate(request *req)
{
	apply(req, ACCOUNT_DEACTIVATE, ROLE_NONE);
}

void handle_admin_user_reactivate(request *req)
{
	apply(req, ACCOUNT_REACTIVATE, ROLE_NONE);
}

void handle_admin_user_role(request *req)
{
	apply(req, ACCOUNT_SET_ROLE, role_from_name(input_string(req, "role")));
}

void handle_admin_user_force_reset(request *req)
{
	apply(req, ACCOUNT_FORCE_PASSWORD_RESET, ROLE_NONE);
}
