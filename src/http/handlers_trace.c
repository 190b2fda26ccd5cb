/* Products, lots (tests, certificates, state), and recall: the pharmacist's side. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lot_state.h"
#include "core/recall_notice.h"
#include "core/timefmt.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "service/clinic.h"
#include "service/mail_events.h"
#include "service/recall.h"
#include "service/trace.h"
#include "clock.h"

static const error_row trace_errors[] = {
	[TRACE_OK] = {0},
	[TRACE_NOT_FOUND] = {404, "not_found"},
	[TRACE_INVALID] = {400, "invalid_field", FIELD_FROM_SERVICE},
	[TRACE_CONFLICT] = {409, "already_exists", FIELD_FROM_SERVICE},
	[TRACE_ILLEGAL_TRANSITION] = {409, "illegal_transition", "to"},
	[TRACE_TESTS_MISSING] = {409, "tests_missing"},
	[TRACE_NEEDS_PHARMACIST] = {403, "needs_pharmacist"},
	[TRACE_NO_APPROVAL] = {409, "no_approval"},
	[TRACE_CONSENT_OUTDATED] = {409, "consent_outdated"},
	[TRACE_OVER_APPROVAL] = {409, "over_approval", "quantity"},
	[TRACE_ADDRESS_REQUIRED] = {409, "address_required"},
	[TRACE_ORDER_STATE] = {409, "order_state"},
	[TRACE_NOT_PAID] = {409, "not_paid"},
	[TRACE_NO_STOCK] = {409, "no_stock"},
	[TRACE_DUPLICATE] = {409, "duplicate_certificate"},
	[TRACE_ERROR] = {500, .log_as = "traceability"},
};
static_assert(sizeof trace_errors / sizeof trace_errors[0] == TRACE_RC_COUNT, "one row per trace_rc");

void reply_trace_error(request *req, trace_rc rc, const char *field)
{
	reply_error_row(req, trace_errors, TRACE_RC_COUNT, (int)rc, field);
}

json_t *json_product(const product_record *p)
{
	return json_pack("{s:I, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:{s:f, s:f, s:i}, s:i, s:I, s:i, s:s}", "id",
	                 (json_int_t)p->id, "code", p->code, "name", "ja", p->name_ja, "en", p->name_en, "form", p->form,
	                 "manufacturer", p->manufacturer, "country", p->country, "source_cell_type", p->source_cell_type,
	                 "storage", "min_c", p->storage_min_c, "max_c", p->storage_max_c, "excursion_allowance_minutes",
	                 p->excursion_allowance_minutes, "shelf_life_days", p->shelf_life_days, "price_jpy",
	                 (json_int_t)p->price_jpy, "tax_rate_percent", p->tax_rate_percent, "units_description",
	                 p->units_description);
}

json_t *json_lot(const lot_record *l)
{
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)l->id,
	                      "product_id", (json_int_t)l->product_id, "product_code", l->product_code, "product_name",
	                      l->product_name_ja, "lot_number", l->lot_number, "manufactured_on", l->manufactured_on,
	                      "expires_on", l->expires_on, "quantity_received", (json_int_t)l->quantity_received,
	                      "quantity_available", (json_int_t)l->quantity_available, "status", l->status,
	                      "donor_screening", l->donor_screening, "storage_location", l->storage_location,
	                      "received_at", json_time(l->received_at));
	json_object_set_new(j, "donor_age", l->donor_age >= 0 ? json_integer(l->donor_age) : json_null());
	return j;
}

static int add_test(void *ctx, const lot_test_record *t)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)t->id, "kind", t->kind, "result", t->result,
	                      "value", t->value, "method", t->method, "tested_on", t->tested_on);
	json_object_set_new(j, "certificate_id", t->certificate_id ? json_integer(t->certificate_id) : json_null());
	json_array_append_new(ctx, j);
	return 0;
}

static int add_certificate(void *ctx, const certificate_record *c)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:s, s:o}", "id", (json_int_t)c->id, "filename", c->filename,
	                      "content_type", c->content_type, "size_bytes", (json_int_t)c->size_bytes, "sha256", c->sha256,
	                      "uploaded_at", json_time(c->uploaded_at));
	if (c->duplicate_of) {
		json_object_set_new(j, "duplicate_of", json_integer(c->duplicate_of));
		json_object_set_new(j, "duplicate_reason", json_string(c->duplicate_reason));
	}
	json_array_append_new(ctx, j);
	return 0;
}

typedef struct transitions_ctx {
	json_t *list;
	bool with_people;   /* staff see who and why; the public sees what and when */
} transitions_ctx;

static int add_transition(void *ctx, const lot_transition_record *t)
{
	transitions_ctx *c = ctx;
	json_t *j = json_pack("{s:o, s:s, s:o}", "from", t->from_status[0] ? json_string(t->from_status) : json_null(), "to",
	                      t->to_status, "at", json_time(t->at));
	if (c->with_people) {
		json_object_set_new(j, "reason", json_string(t->reason));
		json_object_set_new(j, "actor", json_string(t->actor_id ? t->actor_name : "system"));
	}
	json_array_append_new(c->list, j);
	return 0;
}

/* The lot with its tests, certificates and history; NULL on a storage error. */
json_t *json_lot_detail(store *s, const lot_record *lot, bool staff)
{
	json_t *j = json_lot(lot);
	json_t *tests = json_array(), *certs = json_array();
	transitions_ctx tc = {json_array(), staff};
	if (store_lot_tests(s, lot->id, add_test, tests) != STORE_OK ||
	    store_certificates_of_lot(s, lot->id, add_certificate, certs) != STORE_OK ||
	    store_lot_transitions(s, lot->id, add_transition, &tc) != STORE_OK) {
		json_decref(j);
		json_decref(tests);
		json_decref(certs);
		json_decref(tc.list);
		return NULL;
	}
	const char *missing[LOT_REQUIRED_TEST_COUNT];
	int n = trace_missing_tests(s, lot->id, missing);
	json_t *miss = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(miss, json_string(missing[i]));
	json_object_set_new(j, "tests", tests);
	json_object_set_new(j, "certificates", certs);
	json_object_set_new(j, "history", tc.list);
	json_object_set_new(j, "tests_missing", miss);
	if (!staff) {
		json_object_del(j, "quantity_available");
		json_object_del(j, "quantity_received");
		json_object_del(j, "storage_location");
	}
	return j;
}

/* ---- products ---- */

static int add_product(void *ctx, const product_record *p)
{
	json_array_append_new(ctx, json_product(p));
	return 0;
}

void handle_products_list(request *req)
{
	json_t *list = json_array();
	reply_list(req, store_product_list(req->db, add_product, list), list, "products", "list products");
}

void handle_product_create(request *req)
{
	product_record p = {0};
	snprintf(p.code, sizeof p.code, "%s", input_string(req, "code"));
	snprintf(p.name_ja, sizeof p.name_ja, "%s", input_string(req, "name_ja"));
	snprintf(p.name_en, sizeof p.name_en, "%s", input_string(req, "name_en"));
	snprintf(p.form, sizeof p.form, "%s", input_string(req, "form"));
	snprintf(p.manufacturer, sizeof p.manufacturer, "%s", input_string(req, "manufacturer"));
	snprintf(p.country, sizeof p.country, "%s", input_string(req, "country"));
	snprintf(p.source_cell_type, sizeof p.source_cell_type, "%s", input_string(req, "source_cell_type"));
	const char *units = input_string(req, "units_description");
	snprintf(p.units_description, sizeof p.units_description, "%s", units ? units : "");
	p.storage_min_c = input_number(req, "storage_min_c", 0);
	p.storage_max_c = input_number(req, "storage_max_c", 0);
	p.excursion_allowance_minutes = (int)input_int(req, "excursion_allowance_minutes", 0);
	p.shelf_life_days = (int)input_int(req, "shelf_life_days", 0);
	p.price_jpy = input_int(req, "price_jpy", 0);
	p.tax_rate_percent = (int)input_int(req, "tax_rate_percent", 10);
	if (p.storage_min_c >= p.storage_max_c) {
		reply_error(req, 400, "invalid_field", "storage_max_c", "range_order");
		return;
	}
	actor by = request_actor(req);
	trace_rc rc = trace_create_product(req->db, &by, &p, clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, "code");
		return;
	}
	reply_json(req, 201, json_pack("{s:o}", "product", json_product(&p)));
}

/* ---- lots ---- */

static int add_lot(void *ctx, const lot_record *l)
{
	json_array_append_new(ctx, json_lot(l));
	return 0;
}

void handle_lots_list(request *req)
{
	int64_t product_id;
	if (!query_int(req, "product_id", 0, 0, INT64_MAX, &product_id))
		return;
	if (trace_expire_due(req->db, clock_now()) != TRACE_OK) {
		reply_internal(req, "expire lots");
		return;
	}
	json_t *list = json_array();
	reply_list(req, store_lot_list(req->db, product_id, add_lot, list), list, "lots", "list lots");
}

void handle_lot_create(request *req)
{
	lot_record l = {0};
	l.product_id = input_int(req, "product_id", 0);
	snprintf(l.lot_number, sizeof l.lot_number, "%s", input_string(req, "lot_number"));
	snprintf(l.manufactured_on, sizeof l.manufactured_on, "%s", input_string(req, "manufactured_on"));
	snprintf(l.expires_on, sizeof l.expires_on, "%s", input_string(req, "expires_on"));
	l.quantity_received = input_int(req, "quantity", 0);
	l.donor_age = (int)input_int(req, "donor_age", -1);
	const char *screening = input_string(req, "donor_screening"), *location = input_string(req, "storage_location");
	snprintf(l.donor_screening, sizeof l.donor_screening, "%s", screening ? screening : "");
	snprintf(l.storage_location, sizeof l.storage_location, "%s", location ? location : "");
	actor by = request_actor(req);
	const char *field = NULL;
	trace_rc rc = trace_receive_lot(req->db, &by, &l, clock_now(), &field);
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, rc == TRACE_CONFLICT ? "lot_number" : field);
		return;
	}
	lot_record stored;
	if (store_lot_get(req->db, l.id, &stored) != STORE_OK) {
		reply_internal(req, "read lot");
		return;
	}
	reply_json(req, 201, json_pack("{s:o}", "lot", json_lot(&stored)));
}

/* Loads the lot named by the path; replies 404 when there is none. */
static bool load_lot(request *req, lot_record *lot)
{
	store_rc rc = store_lot_get(req->db, req->path_ids[0], lot);
	if (rc == STORE_OK)
		return true;
	if (rc == STORE_NOT_FOUND)
		reply_error(req, 404, "not_found", NULL, NULL);
	else
		reply_internal(req, "read lot");
	return false;
}

void handle_lot_get(request *req)
{
	lot_record lot;
	if (!load_lot(req, &lot))
		return;
	json_t *j = json_lot_detail(req->db, &lot, true);
	if (j == NULL) {
		reply_internal(req, "lot detail");
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "lot", j));
}

/* 409 duplicate_certificate naming the earlier copy (lot, test), so the pharmacist can look
 * before confirming with a reason. */
static void reply_duplicate(request *req, const char *field, const certificate_use *dup)
{
	reply_error(req, 409, "duplicate_certificate", field, NULL);
	json_t *d = json_pack("{s:I, s:I, s:s}", "certificate_id", (json_int_t)dup->certificate_id, "lot_id",
	                      (json_int_t)dup->lot_id, "lot_number", dup->lot_number);
	json_object_set_new(d, "test_kind", dup->test_kind[0] ? json_string(dup->test_kind) : json_null());
	json_t *err = json_object_get(req->reply, "error");
	json_object_set_new(err, "duplicate_of", d);
	char message[768];
	snprintf(message, sizeof message, "%s (%s %s%s%s)", json_string_value(json_object_get(err, "message")),
	         req->lang == LANG_EN ? "lot" : "ロット", dup->lot_number, dup->test_kind[0] ? " / " : "", dup->test_kind);
	json_object_set_new(err, "message", json_string(message));
}

void handle_lot_certificate_upload(request *req)
{
	static const char *const allowed[] = {"application/pdf", "image/png", "image/jpeg"};
	const char *declared = request_header(req, "Content-Type");
	bool ok = false;
	for (size_t i = 0; declared && i < sizeof allowed / sizeof allowed[0]; i++)
		ok = ok || strncmp(declared, allowed[i], strlen(allowed[i])) == 0;
	if (!ok) {
		reply_error(req, 415, "unsupported_media_type", NULL, "certificate_type");
		return;
	}
	const char *filename = request_query(req, "filename");
	const char *why = validate_file_name(filename ? filename : "");
	if (why != NULL) {
		reply_error(req, 400, "invalid_field", "filename", why);
		return;
	}
	certificate_record c;
	certificate_use dup;
	actor by = request_actor(req);
	const char *field = NULL;
	trace_rc rc = trace_add_certificate(req->db, &by, req->path_ids[0], filename, (const unsigned char *)req->body,
	                                    req->body_len, req->cfg->max_upload_bytes, request_query(req, "duplicate_reason"),
	                                    clock_now(), &c, &dup, &field);
	if (rc == TRACE_DUPLICATE) {
		reply_duplicate(req, "file", &dup);
		return;
	}
	if (rc == TRACE_INVALID && strcmp(field, "content_type") == 0) {
		reply_error(req, 415, "unsupported_media_type", NULL, "certificate_type");
		return;
	}
	if (rc == TRACE_INVALID && strcmp(field, "size") == 0) {
		reply_error(req, req->body_len == 0 ? 400 : 413, req->body_len == 0 ? "invalid_field" : "body_too_large",
		            req->body_len == 0 ? "file" : NULL, req->body_len == 0 ? "empty" : NULL);
		return;
	}
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, field);
		return;
	}
	if (strncmp(declared, c.content_type, strlen(c.content_type)) != 0) {
		/* Stored by its real type; say so rather than silently trusting the header. */
		fprintf(stderr, "exosafe: certificate %lld declared %s, stored as %s\n", (long long)c.id, declared, c.content_type);
	}
	json_t *list = json_array();
	add_certificate(list, &c);
	reply_json(req, 201, json_pack("{s:O}", "certificate", json_array_get(list, 0)));
	json_decref(list);
}

void handle_lot_test_create(request *req)
{
	lot_test_record t = {0};
	t.lot_id = req->path_ids[0];
	snprintf(t.kind, sizeof t.kind, "%s", input_string(req, "kind"));
	snprintf(t.result, sizeof t.result, "%s", input_string(req, "result"));
	const char *value = input_string(req, "value");
	snprintf(t.value, sizeof t.value, "%s", value ? value : "");
	snprintf(t.method, sizeof t.method, "%s", input_string(req, "method"));
	snprintf(t.tested_on, sizeof t.tested_on, "%s", input_string(req, "tested_on"));
	t.certificate_id = input_int(req, "certificate_id", 0);
	const char *duplicate_reason = input_string(req, "duplicate_reason");
	snprintf(t.duplicate_reason, sizeof t.duplicate_reason, "%s", duplicate_reason ? duplicate_reason : "");
	actor by = request_actor(req);
	const char *field = NULL;
	certificate_use dup;
	trace_rc rc = trace_record_test(req->db, &by, &t, clock_now(), &dup, &field);
	if (rc == TRACE_DUPLICATE) {
		reply_duplicate(req, "certificate_id", &dup);
		return;
	}
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, field);
		return;
	}
	json_t *list = json_array();
	add_test(list, &t);
	reply_json(req, 201, json_pack("{s:O}", "test", json_array_get(list, 0)));
	json_decref(list);
}

void handle_lot_transition(request *req)
{
	int to = lot_status_from_name(input_string(req, "to"));
	if (to < 0) {
		reply_error(req, 400, "invalid_field", "to", "status_value");
		return;
	}
	actor by = request_actor(req);
	trace_rc rc = trace_transition(req->db, &by, req->path_ids[0], (lot_status)to, input_string(req, "reason"),
	                               clock_now());
	if (rc == TRACE_TESTS_MISSING) {
		reply_trace_error(req, rc, NULL);
		const char *missing[LOT_REQUIRED_TEST_COUNT];
		int n = trace_missing_tests(req->db, req->path_ids[0], missing);
		json_t *list = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(list, json_string(missing[i]));
		json_object_set_new(json_object_get(req->reply, "error"), "missing", list);
		return;
	}
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, "reason");
		return;
	}
	handle_lot_get(req);
}

/* ---- recall ---- */

static json_t *json_recipient(const recall_recipient *r)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:s, s:s, s:s, s:s, s:o, s:o}", "patient_id",
	                      (json_int_t)r->patient_id, "patient_name", r->patient_name, "name_kana", r->name_kana, "email",
	                      r->email, "phone", r->phone, "order_id", (json_int_t)r->order_id, "quantity", r->quantity,
	                      "dispensed_at", json_time(r->dispensed_at), "postal_code", r->ship_postal_code, "address",
	                      r->ship_address, "carrier", r->carrier, "tracking_number", r->tracking_number, "shipped_at",
	                      json_time(r->shipped_at), "delivered_at", json_time(r->delivered_at));
	json_t *track = json_null();
	if (r->track_id)
		track = json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:o}", "id", (json_int_t)r->track_id, "status",
		                  r->track_status, "acknowledged_at", json_time(r->acknowledged_at), "notified_at",
		                  json_time(r->notified_at), "contacted_at", json_time(r->contacted_at), "notes",
		                  r->contact_notes, "closed_on", r->closed_on[0] ? json_string(r->closed_on) : json_null());
	json_object_set_new(j, "tracking", track);
	return j;
}

/* Lists the lot's recipients with their follow-up and the recall's progress (audited:
 * contact data of patients). */
static void reply_recipients(request *req, int status, const lot_record *lot)
{
	actor by = request_actor(req);
	recall_list list;
	if (recall_recipients_read(req->db, &by, lot->id, "recall.recipients.read", &list) != TRACE_OK) {
		reply_internal(req, "recall recipients");
		return;
	}
	json_t *rows = json_array();
	for (int i = 0; i < list.n; i++)
		json_array_append_new(rows, json_recipient(&list.rows[i]));
	int counts[RECALL_TRACK_STATUS_COUNT];
	recall_progress(&list, counts);
	json_t *progress = json_object();
	int open = 0;
	for (int i = 0; i < RECALL_TRACK_STATUS_COUNT; i++) {
		json_object_set_new(progress, recall_track_status_name((recall_track_status)i), json_integer(counts[i]));
		if (!recall_track_is_closed((recall_track_status)i))
			open += counts[i];
	}
	json_object_set_new(progress, "open", json_integer(open));
	recall_list_free(&list);
	/* The recall notices by e-mail: queued, accepted by the relay (sent), failed. */
	mail_counts mail;
	if (mail_event_recall_counts(req->db, lot->id, &mail) != STORE_OK) {
		json_decref(rows);
		json_decref(progress);
		reply_internal(req, "recall mail counts");
		return;
	}

	lot_record fresh;
	if (store_lot_get(req->db, lot->id, &fresh) != STORE_OK)
		fresh = *lot;
	reply_json(req, status,
	           json_pack("{s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "lot", json_lot(&fresh), "recipients", rows, "progress",
	                     progress, "mail", "queued", (json_int_t)mail.queued, "sent", (json_int_t)mail.sent, "failed",
	                     (json_int_t)mail.failed));
}

void handle_lot_recall(request *req)
{
	lot_record lot;
	if (!load_lot(req, &lot))
		return;
	actor by = request_actor(req);
	mail_settings mail = request_mail_settings(req);
	trace_rc rc = trace_recall(req->db, &mail, &by, lot.id, input_string(req, "reason"), clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, "reason");
		return;
	}
	reply_recipients(req, 200, &lot);
}

void handle_lot_recipients(request *req)
{
	lot_record lot;
	if (load_lot(req, &lot))
		reply_recipients(req, 200, &lot);
}

void handle_lot_recipients_csv(request *req)
{
	lot_record lot;
	if (!load_lot(req, &lot))
		return;
	actor by = request_actor(req);
	recall_list list;
	if (recall_recipients_read(req->db, &by, lot.id, "recall.recipients.csv", &list) != TRACE_OK) {
		reply_internal(req, "recall recipients");
		return;
	}
	char *csv = recall_recipients_csv(&list);
	recall_list_free(&list);
	if (csv == NULL) {
		reply_internal(req, "recall csv");
		return;
	}
	char filename[96];
	snprintf(filename, sizeof filename, "recall-%s.csv", lot.lot_number);
	reply_raw(req, 200, csv, strlen(csv), "text/csv; charset=utf-8", filename);
}

void handle_recall_track_update(request *req)
{
	actor by = request_actor(req);
	const char *field = NULL;
	trace_rc rc = recall_track_set(req->db, &by, req->path_ids[0], req->path_ids[1], input_string(req, "status"),
	                               input_string(req, "contact_notes"), input_string(req, "closed_on"), clock_now(), &field);
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, field);
		return;
	}
	lot_record lot;
	if (load_lot(req, &lot))
		reply_recipients(req, 200, &lot);
}

static int add_my_recall(void *ctx, const recall_track_record *t)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:{s:s, s:s}, s:I, s:i, s:s, s:o, s:o}", "id",
	                                     (json_int_t)t->id, "lot_id", (json_int_t)t->lot_id, "lot_number",
	                                     t->lot_number, "product_name", "ja", t->product_name_ja, "en",
	                                     t->product_name_en, "order_id", (json_int_t)t->order_id, "quantity",
	                                     t->quantity, "status", t->status, "recalled_at", json_time(t->created_at),
	                                     "acknowledged_at", json_time(t->acknowledged_at)));
	return 0;
}

/* The signed-in patient's recalls, with whom to call; staff get an empty list. */
void handle_my_recalls(request *req)
{
	json_t *list = json_array();
	if (req->user.role == ROLE_PATIENT &&
	    store_recall_tracks_of_patient(req->db, req->user.id, add_my_recall, list) != STORE_OK) {
		json_decref(list);
		reply_internal(req, "my recalls");
		return;
	}
	clinic_profile clinic;
	if (clinic_profile_get(req->db, &clinic) != CLINIC_OK) {
		json_decref(list);
		reply_internal(req, "my recalls");
		return;
	}
	/* Whom to call: whatever the clinic has set (the page says so when the phone is missing). */
	reply_json(req, 200, json_pack("{s:o, s:{s:s, s:s, s:s}}", "recalls", list, "contact", "clinic_name", clinic.name,
	                               "clinic_phone", clinic.phone, "clinic_hours", clinic.hours));
}

void handle_my_recall_acknowledge(request *req)
{
	actor by = request_actor(req);
	trace_rc rc = recall_acknowledge(req->db, &by, req->path_ids[0], clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, NULL);
		return;
	}
	handle_my_recalls(req);
}

typedef struct recall_reason {
	char reason[1001];
	int64_t at;
} recall_reason;

static int find_recall(void *ctx, const lot_transition_record *t)
{
	recall_reason *r = ctx;
	if (strcmp(t->to_status, "recalled") == 0) {
		snprintf(r->reason, sizeof r->reason, "%s", t->reason);
		r->at = t->at;
	}
	return 0;
}

void handle_lot_recall_notices(request *req)
{
	lot_record lot;
	if (!load_lot(req, &lot))
		return;
	if (strcmp(lot.status, "recalled") != 0) {
		reply_error(req, 409, "not_recalled", NULL, NULL);
		return;
	}
	clinic_profile clinic;
	if (!clinic_for_document(req, &clinic))
		return;
	recall_reason why = {"", 0};
	if (store_lot_transitions(req->db, lot.id, find_recall, &why) != STORE_OK) {
		reply_internal(req, "recall notices");
		return;
	}
	actor by = request_actor(req);
	recall_list list;
	if (recall_recipients_read(req->db, &by, lot.id, "recall.notices.print", &list) != TRACE_OK) {
		reply_internal(req, "recall notices");
		return;
	}
	char *html = recall_notices_html(&list, &clinic, &lot, why.reason, why.at);
	recall_list_free(&list);
	if (html == NULL) {
		reply_internal(req, "render notices");
		return;
	}
	reply_raw(req, 200, html, strlen(html), "text/html; charset=utf-8", NULL);
	/* The notice carries its own print style and no script. */
	snprintf(req->raw_csp, sizeof req->raw_csp,
	         "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}
