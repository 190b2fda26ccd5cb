/* The audit log for admins: a filtered, keyset-paged listing, its CSV export, and the choices
 * the audit page offers (actions in words, people by name).
 *
 * Filters, as query parameters (docs/api.md "Audit log"):
 *   actor=ID      rows written by that account (0: the system or an anonymous client)
 *   patient=ID    rows about that patient (see audit_query)
 *   action=CODE   one of core/audit_actions.c
 *   date_from=, date_to=  YYYY-MM-DD, days in Japan time, both inclusive
 *   after=ID      the next page: rows older than that id (newest first)
 *   limit=N       1 to 500, default 50 (the listing only)
 * A bad filter is a 400 naming the parameter; nothing is read or written then. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit_actions.h"
#include "core/csv_out.h"
#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/audit_log.h"

/* How many rows one CSV export may hold: enough for years of a clinic's log filtered to a
 * person or a month, and bounded so one request cannot exhaust the server's memory. */
#define AUDIT_EXPORT_MAX_ROWS 100000

/* Reads the filters into q. Replies 400 and returns false on a bad one. */
static bool read_filters(request *req, audit_query *q)
{
	memset(q, 0, sizeof *q);
	q->actor_id = -1;
	if (request_query(req, "actor") != NULL && !query_int(req, "actor", 0, 0, INT64_MAX, &q->actor_id))
		return false;
	if (!query_int(req, "patient", 0, 1, INT64_MAX, &q->patient_id))
		return false;
	const char *action = request_query(req, "action");
	if (action != NULL && action[0] != '\0') {
		if (audit_action_find(action) == NULL) {
			reply_error(req, 400, "invalid_field", "action", "audit_action_value");
			return false;
		}
		q->action = action;
	}
	int64_t from_start = 0, from_end = 0, to_start = 0, to_end = 0;
	const char *from = request_query(req, "date_from"), *to = request_query(req, "date_to");
	if (from != NULL && from[0] != '\0') {
		if (jst_day_bounds(from, &from_start, &from_end) != 0) {
			reply_error(req, 400, "invalid_field", "date_from", "date_format");
			return false;
		}
		q->from = from_start;
	}
	if (to != NULL && to[0] != '\0') {
		if (jst_day_bounds(to, &to_start, &to_end) != 0) {
			reply_error(req, 400, "invalid_field", "date_to", "date_format");
			return false;
		}
		q->to = to_end;  /* inclusive: up to the end of that day in Japan */
	}
	if (q->from != 0 && q->to != 0 && from_start > to_start) {
		reply_error(req, 400, "invalid_field", "date_to", "date_order");
		return false;
	}
	return query_int(req, "after", 0, 1, INT64_MAX, &q->before_id);
}

static const char *action_label(const char *code, lang l)
{
	const audit_action_label *a = audit_action_find(code);
	if (a == NULL)
		return code;  /* written by a newer program, or by a path not yet named: show the code */
	return l == LANG_EN ? a->label_en : a->label_ja;
}

typedef struct entry_list {
	json_t *entries;
	lang lang;
	int64_t last_id;
	int count;
} entry_list;

static int add_entry(void *ctx, const audit_entry *e)
{
	entry_list *l = ctx;
	char at[ISO8601_LEN];
	time_iso8601(e->row.at, at);
	const audit_action_label *known = audit_action_find(e->row.action);
	json_t *j = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "id", (json_int_t)e->row.id, "at", at,
	                      "actor_id", (json_int_t)e->row.actor_id, "actor_role", e->row.actor_role, "actor_name",
	                      e->actor_name, "action", e->row.action, "action_label", action_label(e->row.action, l->lang),
	                      "action_known", json_boolean(known != NULL), "object", e->row.object, "detail", e->row.detail);
	json_object_set_new(j, "patient_id", e->patient_id ? json_integer(e->patient_id) : json_null());
	json_object_set_new(j, "patient_name", e->patient_id ? json_string(e->patient_name) : json_null());
	json_array_append_new(l->entries, j);
	l->last_id = e->row.id;
	l->count++;
	return 0;
}

/* GET /api/v1/audit: a page of rows, newest first, with next_after for the following page. */
void handle_audit_list(request *req)
{
	audit_query q;
	if (!read_filters(req, &q))
		return;
	int64_t limit;
	if (!query_int(req, "limit", 50, 1, 500, &limit)) {
		reply_error(req, 400, "invalid_field", "limit", "limit_value");
		return;
	}
	/* Audit the read first, so the first page shows it and the verification covers it. */
	if (!audit_read_now(req, "audit.read", "audit_log", "", "audit audit read"))
		return;
	/* One row more than the page tells whether another page follows. */
	q.limit = (int)limit + 1;
	entry_list l = {json_array(), req->lang, 0, 0};
	int64_t total = 0;
	if (store_audit_search(req->db, &q, add_entry, &l) != STORE_OK ||
	    store_audit_count(req->db, &q, &total) != STORE_OK) {
		json_decref(l.entries);
		reply_internal(req, "read audit log");
		return;
	}
	json_t *next = json_null();
	if (l.count > limit) {
		json_array_remove(l.entries, (size_t)limit);
		next = json_integer(json_integer_value(json_object_get(json_array_get(l.entries, (size_t)limit - 1), "id")));
	}
	json_t *reply = json_pack("{s:o, s:o, s:I, s:I}", "entries", l.entries, "next_after", next, "total",
	                          (json_int_t)total, "limit", (json_int_t)limit);
	/* The chain is verified from its start, so only on the first page: a paging admin is not
	 * made to wait for the whole log once per page. */
	if (q.before_id == 0) {
		audit_verifier v;
		if (audit_log_verify(req->db, &v) != STORE_OK) {
			json_decref(reply);
			reply_internal(req, "verify audit log");
			return;
		}
		json_object_set_new(reply, "intact", json_boolean(!v.broken));
		json_object_set_new(reply, "first_broken", v.broken ? json_integer(v.broken_id) : json_null());
	}
	reply_json(req, 200, reply);
}

typedef struct csv_export {
	strbuf out;
	lang lang;
	int64_t rows;
} csv_export;

static int add_csv_row(void *ctx, const audit_entry *e)
{
	csv_export *x = ctx;
	char id[24], at[JST_DATETIME_LEN], actor_id[24], patient_id[24];
	snprintf(id, sizeof id, "%lld", (long long)e->row.id);
	jst_datetime(e->row.at, at);
	snprintf(actor_id, sizeof actor_id, "%lld", (long long)e->row.actor_id);
	snprintf(patient_id, sizeof patient_id, "%lld", (long long)e->patient_id);
	const char *cells[] = {id, at, actor_id, e->row.actor_id ? e->actor_name : (x->lang == LANG_EN ? "system" : "システム"),
	                       e->row.actor_role, e->row.action, action_label(e->row.action, x->lang), e->row.object,
	                       e->patient_id ? patient_id : "", e->patient_id ? e->patient_name : "", e->row.detail};
	csv_out_row(&x->out, cells, sizeof cells / sizeof cells[0]);
	x->rows++;
	return 0;
}

/* Describes the filters for the export's own audit row. */
static void describe_filters(request *req, char *out, size_t outlen)
{
	static const char *const names[] = {"actor", "patient", "action", "date_from", "date_to"};
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0] && n < outlen; i++) {
		const char *v = request_query(req, names[i]);
		if (v != NULL && v[0] != '\0')
			n += (size_t)snprintf(out + n, outlen - n, "%s%s=%.64s", n ? " " : "", names[i], v);
	}
}

/* GET /api/v1/audit.csv: every row matching the filters (at most AUDIT_EXPORT_MAX_ROWS),
 * newest first, times in JST, actions and people in words; formula-like cells neutralised
 * (core/csv_out). The export itself is audited (audit.export), with its filters and size. */
void handle_audit_csv(request *req)
{
	audit_query q;
	if (!read_filters(req, &q))
		return;
	q.before_id = 0;
	int64_t total = 0;
	if (store_audit_count(req->db, &q, &total) != STORE_OK) {
		reply_internal(req, "count audit log");
		return;
	}
	if (total > AUDIT_EXPORT_MAX_ROWS) {
		reply_error(req, 400, "invalid_field", "date_from", "audit_export_too_large");
		return;
	}
	csv_export x = {{0}, req->lang, 0};
	const char *header_ja[] = {"番号", "日時(日本時間)", "操作した人の番号", "操作した人", "役割", "操作コード", "操作",
	                           "対象", "患者番号", "患者", "詳細"};
	const char *header_en[] = {"id", "time (JST)", "actor id", "actor", "role", "action code", "action",
	                           "object", "patient id", "patient", "detail"};
	csv_out_row(&x.out, req->lang == LANG_EN ? header_en : header_ja, 11);
	q.limit = AUDIT_EXPORT_MAX_ROWS;
	if (store_audit_search(req->db, &q, add_csv_row, &x) != STORE_OK) {
		free(strbuf_finish(&x.out));
		reply_internal(req, "export audit log");
		return;
	}
	char filters[400], detail[480];
	describe_filters(req, filters, sizeof filters);
	snprintf(detail, sizeof detail, "%lld rows%s%s", (long long)x.rows, filters[0] ? ": " : "", filters);
	if (!audit_read(req, "audit.export", "audit_log", detail, "audit audit export")) {
		free(strbuf_finish(&x.out));
		return;
	}
	size_t len = x.out.len;
	char *csv = strbuf_finish(&x.out);
	if (csv == NULL) {
		reply_internal(req, "audit csv");
		return;
	}
	reply_raw(req, 200, csv, len, "text/csv; charset=utf-8", "audit-log.csv");
}

/* GET /api/v1/audit/filters: the actions (code and label in both languages) and the people the
 * audit page offers as filters. */
static int add_person(void *ctx, const audit_person *p)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)p->id, "name", p->name, "name_kana",
	                                     p->name_kana, "role", role_name(p->role)));
	return 0;
}

void handle_audit_filters(request *req)
{
	json_t *actions = json_array();
	for (size_t i = 0; i < audit_action_count; i++)
		json_array_append_new(actions, json_pack("{s:s, s:s, s:s}", "code", audit_actions[i].code, "label_ja",
		                                         audit_actions[i].label_ja, "label_en", audit_actions[i].label_en));
	json_t *people = json_array();
	if (store_audit_people(req->db, add_person, people) != STORE_OK) {
		json_decref(actions);
		json_decref(people);
		reply_internal(req, "audit people");
		return;
	}
	if (!audit_read(req, "user.list", "users", "audit filters", "audit user list")) {
		json_decref(actions);
		json_decref(people);
		return;
	}
	reply_json(req, 200, json_pack("{s:o, s:o}", "actions", actions, "people", people));
}
