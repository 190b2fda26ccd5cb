/* Administration: staff accounts (the audit log is in handlers_audit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "service/accounts.h"

static int add_user(void *ctx, const user_record *u)
{
	json_array_append_new(ctx, json_user(u, NULL));
	return 0;
}

void handle_users_list(request *req)
{
	json_t *users = json_array();
	if (store_user_list(req->db, add_user, users) != STORE_OK) {
		json_decref(users);
		reply_internal(req, "list users");
		return;
	}
	if (!audit_read(req, "user.list", "users", "", "audit user list")) {
		json_decref(users);
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "users", users));
}

void handle_users_create(request *req)
{
	user_record user = {0};
	snprintf(user.email, sizeof user.email, "%s", input_string(req, "email"));
	snprintf(user.name, sizeof user.name, "%s", input_string(req, "name"));
	user.role = role_from_name(input_string(req, "role"));
	actor by = request_actor(req);
	switch (accounts_create(req->db, &by, "user.create", &user, input_string(req, "password"), NULL)) {
	case ACCOUNTS_OK:
		reply_json(req, 201, json_pack("{s:o}", "user", json_user(&user, NULL)));
		return;
	case ACCOUNTS_EMAIL_TAKEN:
		reply_error(req, 409, "email_taken", "email", NULL);
		return;
	default:
		reply_internal(req, "create user");
		return;
	}
}
