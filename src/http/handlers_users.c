/* An admin's user management: find accounts (search and paging), deactivate and reactivate
 * them, change a staff role, force a password reset. Every change is audited by the service
 * (service/accounts.c), which also holds the guards (last active admin, one's own account). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/accounts.h"
#include "clock.h"

#define USERS_PAGE_DEFAULT 50

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

/* The list takes the staff lists' parameters (list_params.c, docs/api.md "Lists: search and
 * paging"), q also matching the e-mail, plus its own role. */
void handle_admin_users_list(request *req)
{
	static const char *const statuses[] = {"active", "deactivated", NULL};
	list_params p;
	if (!list_params_read(req, statuses, USERS_PAGE_DEFAULT, &p))
		return;
	unsigned roles = 0;
	const char *role = request_query(req, "role");
	if (role != NULL && role[0] != '\0') {
		roles = role_from_name(role);
		if (roles == ROLE_NONE) {
			reply_error(req, 400, "invalid_field", "role", "role_any_value");
			return;
		}
	}
	json_t *users = json_array();
	int64_t total = 0;
	if (store_user_search(req->db, &p.filter, roles, add_admin_user, users, &total) != STORE_OK) {
		json_decref(users);
		reply_internal(req, "search users");
		return;
	}
	if (!audit_read(req, "user.list", "users", "", "audit user list")) {
		json_decref(users);
		return;
	}
	json_t *reply = json_pack("{s:o}", "users", users);
	list_page_set(reply, &p, total);
	reply_json(req, 200, reply);
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
