/* Building replies and reading request metadata. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "http/http.h"
#include "http/audit_wait.h"
#include "service/audit_writer.h"

void reply_json(request *req, int status, json_t *body)
{
	if (req->reply)
		json_decref(req->reply);
	req->status = status;
	req->reply = body;
}

json_t *error_json(request *req, const char *code, const char *field, const char *reason)
{
	char message[512];
	const char *text = message_text(req->lang, reason ? reason : code);
	if (field != NULL)
		snprintf(message, sizeof message, "%s: %s", field_label(req->lang, field), text);
	else
		snprintf(message, sizeof message, "%s", text);
	json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
	if (field != NULL)
		json_object_set_new(err, "field", json_string(field));
	return err;
}

void reply_error(request *req, int status, const char *code, const char *field, const char *reason)
{
	reply_json(req, status, json_pack("{s:o}", "error", error_json(req, code, field, reason)));
}

/* Seconds a client is asked to wait (Retry-After): a restart or failover of the database
 * takes seconds; a busy database frees up within one. */
enum { RETRY_AFTER_UNAVAILABLE = 5, RETRY_AFTER_BUSY = 1 };

void reply_internal(request *req, const char *what)
{
	fprintf(stderr, "exosafe: %s %s: %s: %s\n", req->method, req->path, what, req->db ? req->db->errmsg : "");
	/* req->db's fault is its last failure in this request (the pool clears it per request);
	 * a failure that did not come from req->db (none recorded) stays a 500. */
	switch (req->db ? req->db->fault : STORE_FAULT_NONE) {
	case STORE_FAULT_UNAVAILABLE:
		req->retry_after = RETRY_AFTER_UNAVAILABLE;
		reply_error(req, 503, "database_unavailable", NULL, NULL);
		return;
	case STORE_FAULT_RETRY:
		/* Run again by the server; this is the answer once the runs allowed are used up. */
		req->rerun_wanted = true;
		req->retry_after = RETRY_AFTER_BUSY;
		reply_error(req, 503, "database_busy", NULL, NULL);
		return;
	case STORE_FAULT_BUSY:
		req->retry_after = RETRY_AFTER_BUSY;
		reply_error(req, 503, "database_busy", NULL, NULL);
		return;
	case STORE_FAULT_NONE:
		break;
	}
	reply_error(req, 500, "internal", NULL, NULL);
}

const char FIELD_FROM_SERVICE[] = "(the service's field)";

void reply_error_row(request *req, const error_row *table, int count, int rc, const char *service_field)
{
	if (rc < 0 || rc >= count) {
		reply_internal(req, "unknown service result");
		return;
	}
	const error_row *row = &table[rc];
	if (rc == 0)
		return;   /* every *_OK is 0 */
	if (row->status == 0) {
		/* A table with a row left out in the middle (the static_assert sees only its length). */
		reply_internal(req, "a service result without an error row");
		return;
	}
	if (row->status == 500) {
		reply_internal(req, row->log_as);
		return;
	}
	reply_error(req, row->status, row->code, row->field == FIELD_FROM_SERVICE ? service_field : row->field,
	            row->reason);
}

void reply_raw(request *req, int status, char *body, size_t len, const char *content_type, const char *filename)
{
	free(req->raw_body);
	req->status = status;
	req->raw_body = body;
	req->raw_len = len;
	snprintf(req->raw_content_type, sizeof req->raw_content_type, "%s", content_type);
	snprintf(req->raw_filename, sizeof req->raw_filename, "%s", filename ? filename : "");
}

void reply_cookie(request *req, const char *name, const char *value, bool http_only, int max_age)
{
	if (req->cookie_count >= MAX_COOKIES)
		return;
	char age[48] = "";
	if (max_age >= 0)
		snprintf(age, sizeof age, "; Max-Age=%d", max_age);
	snprintf(req->set_cookies[req->cookie_count++], sizeof req->set_cookies[0], "%s=%s; Path=/; SameSite=Strict%s%s%s",
	         name, value, http_only ? "; HttpOnly" : "", req->cfg->secure_cookies ? "; Secure" : "", age);
}

const char *request_header(request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *request_cookie(request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_COOKIE_KIND, name);
}

const char *request_query(request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

actor request_actor(const request *req)
{
	actor a = {.id = req->user.id, .role = req->user.role};
	return a;
}

void reply_list(request *req, store_rc rc, json_t *list, const char *key, const char *what)
{
	if (rc != STORE_OK) {
		json_decref(list);
		reply_internal(req, what);
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", key, list));
}

store_rc request_audit(request *req, const char *action, const char *object, const char *detail)
{
	if (req->audit == NULL)
		return store_audit_now(req->db, req->user.id, req->user.role, action, object, detail);
	audit_row row;
	audit_row_make(&row, req->user.id, req->user.role, action, object, detail);
	if (req->audit_async) {
		if (req->audit_wait == NULL && (req->audit_wait = audit_wait_new(req->connection)) == NULL)
			return STORE_ERROR;
		return audit_wait_submit(req->audit_wait, req->audit, &row);
	}
	return audit_writer_append(req->audit, &row);
}

bool audit_read_now(request *req, const char *action, const char *object, const char *detail, const char *what)
{
	bool async = req->audit_async;
	req->audit_async = false;
	bool ok = audit_read(req, action, object, detail, what);
	req->audit_async = async;
	return ok;
}

bool audit_read(request *req, const char *action, const char *object, const char *detail, const char *what)
{
	if (request_audit(req, action, object, detail) == STORE_OK)
		return true;
	reply_internal(req, what);
	return false;
}

mail_settings request_mail_settings(const request *req)
{
	return mail_settings_from_config(req->cfg);
}
