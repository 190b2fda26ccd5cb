/* Administration: staff accounts and the audit log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
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
	if (req->db->m->user_list(req->db, add_user, users) != STORE_OK) {
		json_decref(users);
		reply_internal(req, "list users");
		return;
	}
	if (store_audit_now(req->db, req->user.id, req->user.role, "user.list", "users", "") != STORE_OK) {
		json_decref(users);
		reply_internal(req, "audit user list");
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

static int add_entry(void *ctx, const audit_row *r)
{
	char at[ISO8601_LEN];
	time_iso8601(r->at, at);
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "id", (json_int_t)r->id, "at", at, "actor_id",
	                                     (json_int_t)r->actor_id, "actor_role", r->actor_role, "action", r->action,
	                                     "object", r->object));
	return 0;
}

static int verify_row(void *ctx, const audit_row *r)
{
	audit_verifier_feed(ctx, r);
	return 0;
}

void handle_audit_list(request *req)
{
	long limit = 50;
	const char *q = request_query(req, "limit");
	if (q != NULL) {
		char *end;
		errno = 0;
		limit = strtol(q, &end, 10);
		if (errno != 0 || end == q || *end != '\0' || limit < 1 || limit > 500) {
			reply_error(req, 400, "invalid_field", "limit", "limit_value");
			return;
		}
	}
	/* Audit the read first, so the list shows it and the verification covers it. */
	if (store_audit_now(req->db, req->user.id, req->user.role, "audit.read", "audit_log", "") != STORE_OK) {
		reply_internal(req, "audit audit read");
		return;
	}
	audit_verifier v;
	audit_verifier_init(&v);
	json_t *entries = json_array();
	if (req->db->m->audit_each(req->db, verify_row, &v) != STORE_OK ||
	    req->db->m->audit_recent(req->db, (int)limit, add_entry, entries) != STORE_OK) {
		json_decref(entries);
		reply_internal(req, "read audit log");
		return;
	}
	json_t *broken = v.broken ? json_integer(v.broken_id) : json_null();
	reply_json(req, 200, json_pack("{s:o, s:b, s:o}", "entries", entries, "intact", !v.broken, "first_broken", broken));
}
