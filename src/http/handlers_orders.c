/* Orders: the patient orders under an approval; staff record payment, dispense, ship and
 * confirm delivery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/packing_slip.h"
#include "core/payment.h"
#include "http/handlers.h"
#include "service/clinic.h"
#include "service/trace.h"
#include "clock.h"

json_t *json_order(const order_record *o)
{
	const payment_method *pm = payment_method_find(o->payment_method);
	return json_pack("{s:I, s:I, s:s, s:I, s:i, s:I, s:I, s:s, s:{s:s, s:s, s:s, s:b}, s:o, s:{s:s, s:s, s:s, s:s},"
	                 " s:o, s:o, s:I}",
	                 "id", (json_int_t)o->id, "patient_id", (json_int_t)o->patient_id, "patient_name", o->patient_name,
	                 "product_id", (json_int_t)o->product_id, "quantity", o->quantity, "unit_price_jpy",
	                 (json_int_t)o->unit_price_jpy, "total_jpy", (json_int_t)o->total_jpy, "status", o->status,
	                 "payment", "method", o->payment_method, "label_ja", pm ? pm->label_ja : "", "label_en",
	                 pm ? pm->label_en : "", "paid", o->paid_at != 0, "paid_at", json_time(o->paid_at), "ship_to",
	                 "name", o->ship_name, "postal_code", o->ship_postal_code, "address", o->ship_address, "phone",
	                 o->ship_phone, "created_at", json_time(o->created_at), "cancelled_at", json_time(o->cancelled_at),
	                 "decision_id", (json_int_t)o->decision_id);
}

static int add_dispense(void *ctx, const dispense_record *d)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:i, s:o}", "lot_id", (json_int_t)d->lot_id, "lot_number",
	                                     d->lot_number, "expires_on", d->expires_on, "quantity", d->quantity,
	                                     "dispensed_at", json_time(d->dispensed_at)));
	return 0;
}

/* The order with its product, dispensed lots and shipment; NULL on a storage error. */
static json_t *order_detail(request *req, const order_record *o)
{
	json_t *j = json_order(o);
	product_record p;
	json_t *dispensed = json_array();
	shipment_record sh;
	store_rc src = store_shipment_of_order(req->db, o->id, &sh);
	if (store_product_get(req->db, o->product_id, &p) != STORE_OK || src == STORE_ERROR ||
	    store_dispenses_of_order(req->db, o->id, add_dispense, dispensed) != STORE_OK) {
		json_decref(j);
		json_decref(dispensed);
		return NULL;
	}
	json_object_set_new(j, "product", json_product(&p));
	json_object_set_new(j, "dispensed", dispensed);
	json_object_set_new(j, "shipment",
	                    src == STORE_OK ? json_pack("{s:s, s:s, s:s, s:o, s:o}", "carrier", sh.carrier, "tracking_number",
	                                                sh.tracking_number, "logger_id", sh.logger_id, "shipped_at",
	                                                json_time(sh.shipped_at), "delivered_at", json_time(sh.delivered_at))
	                                    : json_null());
	return j;
}

static int add_order(void *ctx, const order_record *o)
{
	json_array_append_new(ctx, json_order(o));
	return 0;
}

static void add_status_count(void *ctx, const char *status, int64_t n)
{
	json_object_set_new(ctx, status, json_integer(n));
}

/* GET /api/v1/orders: a patient's own orders; for staff, every order with ?q=&status=&limit=
 * &offset= and the count per status for the same search (the page's tabs). */
void handle_orders_list(request *req)
{
	static const char *const statuses[] = {"awaiting_payment", "paid", "dispensed", "shipped", "delivered", "cancelled",
	                                       NULL};
	json_t *list = json_array();
	if (req->user.role == ROLE_PATIENT) {
		const char *status = request_query(req, "status");
		const char *const *known = statuses;
		while (status != NULL && *known != NULL && strcmp(*known, status) != 0)
			known++;
		if (status != NULL && *known == NULL) {
			json_decref(list);
			reply_error(req, 400, "invalid_field", "status", "status_value");
			return;
		}
		if (store_order_list(req->db, req->user.id, status, add_order, list) != STORE_OK) {
			json_decref(list);
			reply_internal(req, "list orders");
			return;
		}
		reply_json(req, 200, json_pack("{s:o}", "orders", list));
		return;
	}
	list_params p;
	if (!list_params_read(req, statuses, 50, &p)) {
		json_decref(list);
		return;
	}
	int64_t total = 0;
	json_t *counts = json_object();
	if (store_order_search(req->db, &p.filter, &total, add_order, list) != STORE_OK ||
	    store_order_status_counts(req->db, &p.filter, add_status_count, counts) != STORE_OK) {
		json_decref(list);
		json_decref(counts);
		reply_internal(req, "list orders");
		return;
	}
	if (!audit_read(req, "order.list", "orders", p.filter.status ? p.filter.status : "", "audit order list")) {
		json_decref(list);
		json_decref(counts);
		return;
	}
	json_t *reply = json_pack("{s:o, s:o}", "orders", list, "status_counts", counts);
	list_page_set(reply, &p, total);
	reply_json(req, 200, reply);
}

/* Loads the order named by the path; patients only their own (others are 404). */
static bool load_order(request *req, order_record *o)
{
	store_rc rc = store_order_get(req->db, req->path_ids[0], o);
	if (rc == STORE_ERROR) {
		reply_internal(req, "read order");
		return false;
	}
	if (rc == STORE_NOT_FOUND || (req->user.role == ROLE_PATIENT && o->patient_id != req->user.id)) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return false;
	}
	return true;
}

static void reply_order(request *req, int status, int64_t id)
{
	order_record o;
	if (store_order_get(req->db, id, &o) != STORE_OK) {
		reply_internal(req, "read order");
		return;
	}
	json_t *j = order_detail(req, &o);
	if (j == NULL) {
		reply_internal(req, "order detail");
		return;
	}
	reply_json(req, status, json_pack("{s:o}", "order", j));
}

void handle_order_get(request *req)
{
	order_record o;
	if (!load_order(req, &o))
		return;
	/* The order shows the patient's name, address and phone: a read of personal data, audited
	 * before it is sent. */
	char object[48];
	snprintf(object, sizeof object, "order:%lld", (long long)o.id);
	if (!audit_read(req, "order.read", object, "", "audit order read"))
		return;
	reply_order(req, 200, o.id);
}

void handle_order_create(request *req)
{
	actor by = request_actor(req);
	order_record o;
	const char *field = NULL;
	const char *method = input_string(req, "payment_method");
	if (method != NULL && strcmp(method, "bank_transfer") == 0) {
		/* A transfer order the patient cannot pay: refused until the clinic names its account. */
		clinic_profile clinic;
		if (clinic_profile_get(req->db, &clinic) != CLINIC_OK) {
			reply_internal(req, "read clinic");
			return;
		}
		if (!clinic_profile_has_bank(&clinic)) {
			reply_error(req, 409, "clinic_bank_missing", "payment_method", NULL);
			return;
		}
	}
	mail_settings mail = request_mail_settings(req);
	trace_rc rc = trace_place_order(req->db, &mail, req->catalog, &by, (int)input_int(req, "quantity", 0),
	                                input_string(req, "payment_method"), clock_now(), &o, &field);
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, field);
		return;
	}
	reply_order(req, 201, o.id);
}

void handle_order_cancel(request *req)
{
	actor by = request_actor(req);
	trace_rc rc = trace_cancel_order(req->db, &by, req->path_ids[0], clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, NULL);
		return;
	}
	reply_order(req, 200, req->path_ids[0]);
}

void handle_order_payment(request *req)
{
	actor by = request_actor(req);
	const char *field = NULL;
	trace_rc rc = trace_record_payment(req->db, &by, req->path_ids[0], input_string(req, "reference"),
	                                   clock_now(), &field);
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, field);
		return;
	}
	reply_order(req, 200, req->path_ids[0]);
}

void handle_order_dispense(request *req)
{
	actor by = request_actor(req);
	trace_rc rc = trace_dispense(req->db, &by, req->path_ids[0], req->cfg->dispense_expiry_margin_days,
	                             clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, NULL);
		return;
	}
	reply_order(req, 200, req->path_ids[0]);
}

void handle_order_ship(request *req)
{
	actor by = request_actor(req);
	mail_settings mail = request_mail_settings(req);
	trace_rc rc = trace_ship(req->db, &mail, &by, req->path_ids[0], input_string(req, "carrier"),
	                         input_string(req, "tracking_number"), input_string(req, "logger_id"), clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, "logger_id");
		return;
	}
	reply_order(req, 200, req->path_ids[0]);
}

void handle_order_delivered(request *req)
{
	actor by = request_actor(req);
	trace_rc rc = trace_deliver(req->db, &by, req->path_ids[0], clock_now());
	if (rc != TRACE_OK) {
		reply_trace_error(req, rc, NULL);
		return;
	}
	reply_order(req, 200, req->path_ids[0]);
}

void handle_payment_methods(request *req)
{
	json_t *list = json_array();
	for (const payment_method *const *pm = payment_methods(); *pm; pm++)
		json_array_append_new(list, json_pack("{s:s, s:{s:s, s:s}, s:b}", "code", (*pm)->code, "label", "ja",
		                                      (*pm)->label_ja, "en", (*pm)->label_en, "paid_before_dispensing",
		                                      (*pm)->paid_before_dispensing));
	reply_json(req, 200, json_pack("{s:o}", "payment_methods", list));
}

typedef struct slip_lines {
	packing_slip_line items[32];
	char lot_numbers[32][65];
	char expires[32][11];
	int n;
} slip_lines;

static int add_slip_line(void *ctx, const dispense_record *d)
{
	slip_lines *l = ctx;
	if (l->n >= 32)
		return 1;
	snprintf(l->lot_numbers[l->n], sizeof l->lot_numbers[l->n], "%s", d->lot_number);
	snprintf(l->expires[l->n], sizeof l->expires[l->n], "%s", d->expires_on);
	l->items[l->n] = (packing_slip_line){l->lot_numbers[l->n], l->expires[l->n], d->quantity};
	l->n++;
	return 0;
}

/* GET /api/v1/orders/{id}/packing-slip: the printable slip for the parcel, once the order's
 * units are dispensed (before that there are no lots to list: 409 order_state). */
void handle_order_packing_slip(request *req)
{
	order_record o;
	if (!load_order(req, &o))
		return;
	/* The slip names the clinic as sender: production refuses it until the details are set. */
	clinic_profile clinic;
	if (!clinic_for_document(req, &clinic))
		return;
	product_record p;
	shipment_record sh = {0};
	slip_lines *lines = calloc(1, sizeof *lines);
	if (lines == NULL) {
		reply_internal(req, "packing slip");
		return;
	}
	store_rc src = store_shipment_of_order(req->db, o.id, &sh);
	if (store_product_get(req->db, o.product_id, &p) != STORE_OK || src == STORE_ERROR ||
	    store_dispenses_of_order(req->db, o.id, add_slip_line, lines) != STORE_OK) {
		free(lines);
		reply_internal(req, "packing slip");
		return;
	}
	if (lines->n == 0) {
		free(lines);
		reply_error(req, 409, "order_state", NULL, NULL);
		return;
	}
	/* The slip shows the patient's name and address: a read of personal data, audited. */
	char object[48];
	snprintf(object, sizeof object, "order:%lld", (long long)o.id);
	if (!audit_read(req, "order.packing_slip", object, "", "audit packing slip")) {
		free(lines);
		return;
	}
	char storage[64];
	snprintf(storage, sizeof storage, "%.1f〜%.1f ℃", p.storage_min_c, p.storage_max_c);
	packing_slip slip = {clinic.name, clinic.phone, o.id, o.created_at, o.ship_name,
	                     o.ship_postal_code, o.ship_address, o.ship_phone, p.name_ja, storage, o.quantity,
	                     lines->items, lines->n, src == STORE_OK ? sh.carrier : "", src == STORE_OK ? sh.tracking_number : "",
	                     src == STORE_OK ? sh.shipped_at : 0};
	char *html = packing_slip_html(&slip);
	free(lines);
	if (html == NULL) {
		reply_internal(req, "render packing slip");
		return;
	}
	reply_raw(req, 200, html, strlen(html), "text/html; charset=utf-8", NULL);
	/* The slip carries its own print style and no script. */
	snprintf(req->raw_csp, sizeof req->raw_csp,
	         "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}
