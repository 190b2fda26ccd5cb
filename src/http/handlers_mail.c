/* Password reset by e-mail, and the outbox as the admins see it. */
#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/password_reset.h"
#include "clock.h"

void handle_password_reset_request(request *req)
{
	const char *mail_lang = input_string(req, "lang");
	if (mail_lang == NULL)
		mail_lang = req->lang == LANG_EN ? "en" : "ja";
	if (password_reset_request(req->db, req->cfg, input_string(req, "email"), mail_lang, clock_now()) != RESET_OK) {
		reply_internal(req, "password reset request");
		return;
	}
	/* The same answer whether or not the address has an account. */
	reply_json(req, 202, json_pack("{s:s}", "status", "accepted"));
}

void handle_password_reset_confirm(request *req)
{
	int64_t user_id = 0, ended = 0;
	switch (password_reset_confirm(req->db, input_string(req, "token"), input_string(req, "password"), clock_now(),
	                               &user_id, &ended)) {
	case RESET_OK:
		reply_json(req, 200, json_pack("{s:s, s:I}", "status", "password_changed", "sessions_ended", (json_int_t)ended));
		return;
	case RESET_TOKEN_UNKNOWN:
		reply_error(req, 400, "reset_token_unknown", "token", NULL);
		return;
	case RESET_TOKEN_USED:
		reply_error(req, 400, "reset_token_used", "token", NULL);
		return;
	case RESET_TOKEN_EXPIRED:
		reply_error(req, 400, "reset_token_expired", "token", NULL);
		return;
	default:
		reply_internal(req, "password reset");
		return;
	}
}

static int add_mail_row(void *ctx, const mail_record *m)
{
	json_t *list = ctx;
	char created[ISO8601_LEN], next[ISO8601_LEN], sent[ISO8601_LEN];
	time_iso8601(m->created_at, created);
	time_iso8601(m->next_attempt_at, next);
	json_t *row = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "id", (json_int_t)m->id, "status",
	                        m->status, "kind", m->kind, "to", m->to_address, "subject", m->subject ? m->subject : "",
	                        "created_at", created, "attempts", m->attempts, "next_attempt_at", next, "last_error",
	                        m->last_error);
	if (m->sent_at) {
		time_iso8601(m->sent_at, sent);
		json_object_set_new(row, "sent_at", json_string(sent));
	} else {
		json_object_set_new(row, "sent_at", json_null());
	}
	json_array_append_new(list, row);
	return 0;
}

void handle_admin_mail(request *req)
{
	mail_counts c;
	if (store_mail_count(req->db, "", &c) != STORE_OK) {
		reply_internal(req, "mail counts");
		return;
	}
	const char *status = request_query(req, "status");
	if (status && strcmp(status, "queued") != 0 && strcmp(status, "sent") != 0 && strcmp(status, "failed") != 0 &&
	    strcmp(status, "cancelled") != 0) {
		reply_error(req, 400, "invalid_field", "status", NULL);
		return;
	}
	json_t *list = json_array();
	if (store_mail_list(req->db, status, 200, add_mail_row, list) != STORE_OK) {
		json_decref(list);
		reply_internal(req, "mail list");
		return;
	}
	/* Addresses and subjects are personal data: the admin's look is audited. */
	if (!audit_read(req, "mail.outbox.read", "mail_outbox", status ? status : "all", "audit")) {
		json_decref(list);
		return;
	}
	char oldest[ISO8601_LEN] = "";
	if (c.oldest_queued_at)
		time_iso8601(c.oldest_queued_at, oldest);
	const mail_config *mc = &req->cfg->mail;
	bool configured = mc->smtp_url[0] != '\0' && mc->from[0] != '\0';
	reply_json(req, 200,
	           json_pack("{s:b, s:s, s:{s:I, s:I, s:I, s:I}, s:o, s:o}", "configured", configured, "from", mc->from,
	                     "counts", "queued", (json_int_t)c.queued, "sent", (json_int_t)c.sent, "failed",
	                     (json_int_t)c.failed, "cancelled", (json_int_t)c.cancelled, "oldest_queued_at",
	                     oldest[0] ? json_string(oldest) : json_null(), "messages", list));
}
