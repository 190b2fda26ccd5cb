/* The safety officer's pooled registry (issue 18): adverse events, lots and signals over every
 * clinic of the database, de-identified, and the cross-clinic lot alert.
 *
 * A report leaves its clinic as: a case reference "C<clinic>-<report>" (the clinic can find its
 * case when the officer asks; the officer cannot reach the clinic's records), the clinic, a
 * five-year age band, sex, onset month, the product and suspect lot numbers, the symptoms from
 * the seed's checklist and the CTCAE codes and grades with seriousness, outcome and causality.
 * Never a name, contact data, birth or onset date, patient or order id, photo, or free text
 * (description, narrative, treatment, a term's "specify" text). Every read is audited. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "core/ctcae.h"
#include "core/registry.h"
#include "http/handlers.h"
#include "service/registry.h"

/* The terms of an assessment as codes and grades with their CTCAE names; nothing else of
 * terms_json (its "specify_text" is free text). */
static json_t *registry_terms(const ctcae_table *ctcae, const char *terms_json)
{
	json_t *out = json_array();
	json_t *terms = json_loads(terms_json, 0, NULL);
	size_t i;
	json_t *t;
	json_array_foreach(terms, i, t) {
		const char *code = json_string_value(json_object_get(t, "code"));
		json_t *grade = json_object_get(t, "grade");
		if (code == NULL || !json_is_integer(grade))
			continue;
		const ctcae_term *term = ctcae_find(ctcae, code);
		json_array_append_new(out, json_pack("{s:s, s:I, s:s?, s:s?}", "code", code, "grade",
		                                     json_integer_value(grade), "name_en", term ? term->name_en : NULL,
		                                     "name_ja", term ? term->name_ja : NULL));
	}
	json_decref(terms);
	return out;
}

/* "a, b" as ["a", "b"]. */
static json_t *split_list(const char *s)
{
	json_t *out = json_array();
	while (*s != '\0') {
		const char *end = strstr(s, ", ");
		size_t n = end ? (size_t)(end - s) : strlen(s);
		json_array_append_new(out, json_stringn(s, n));
		s += n;
		if (end)
			s += 2;
	}
	return out;
}

typedef struct ae_list {
	request *req;
	json_t *reports;
} ae_list;

static int add_registry_report(void *ctx, const registry_ae_row *r)
{
	ae_list *l = ctx;
	char ref[48], age[8], month[8];
	snprintf(ref, sizeof ref, "C%lld-%lld", (long long)r->clinic_id, (long long)r->report_id);
	registry_age_band(r->birth_date, r->onset_date, age);
	registry_onset_month(r->onset_date, month);
	json_t *symptoms = json_loads(r->symptoms_json, 0, NULL);
	if (!json_is_array(symptoms)) {
		json_decref(symptoms);
		symptoms = json_array();
	}
	json_t *j = json_pack("{s:s, s:{s:I, s:s}, s:s?, s:s?, s:s?, s:s, s:o, s:s?, s:o, s:b}", "case_ref", ref, "clinic",
	                      "id", (json_int_t)r->clinic_id, "name", r->clinic_name, "age_band", age[0] ? age : NULL,
	                      "sex", r->sex[0] ? r->sex : NULL, "onset_month", month[0] ? month : NULL, "severity",
	                      r->severity, "symptoms", symptoms, "product_code", r->product_code[0] ? r->product_code : NULL,
	                      "lot_numbers", split_list(r->lot_numbers), "assessed", r->version > 0);
	if (r->version > 0) {
		json_object_set_new(j, "terms", registry_terms(l->req->ctcae, r->terms_json));
		json_object_set_new(j, "serious", json_boolean(r->serious));
		json_object_set_new(j, "outcome", json_string(r->outcome));
		json_object_set_new(j, "causality", json_string(r->causality));
	}
	json_array_append_new(l->reports, j);
	return 0;
}

void handle_registry_adverse_events(request *req)
{
	ae_list l = {req, json_array()};
	if (store_registry_ae_list(req->db, add_registry_report, &l) != STORE_OK) {
		json_decref(l.reports);
		reply_internal(req, "registry reports");
		return;
	}
	char detail[64];
	snprintf(detail, sizeof detail, "reports=%zu", json_array_size(l.reports));
	if (!audit_read(req, "registry.read", "registry:adverse-events", detail, "audit registry read")) {
		json_decref(l.reports);
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "reports", l.reports));
}

/* Lot rows come by product, lot number and clinic: one entry per manufacturer's lot with the
 * clinics that hold it. */
typedef struct lot_list {
	json_t *lots;
	json_t *current;      /* borrowed: the last entry of lots */
	int64_t product_id;
	char lot_number[65];
} lot_list;

static int add_registry_lot(void *ctx, const registry_lot_row *r)
{
	lot_list *l = ctx;
	if (l->current == NULL || l->product_id != r->product_id || strcmp(l->lot_number, r->lot_number) != 0) {
		l->current = json_pack("{s:I, s:s, s:s, s:I, s:I, s:[]}", "product_id", (json_int_t)r->product_id,
		                       "product_code", r->product_code, "lot_number", r->lot_number, "reports", (json_int_t)0,
		                       "serious_reports", (json_int_t)0, "clinics");
		json_array_append_new(l->lots, l->current);
		l->product_id = r->product_id;
		snprintf(l->lot_number, sizeof l->lot_number, "%s", r->lot_number);
	}
	json_t *reports = json_object_get(l->current, "reports"), *serious = json_object_get(l->current, "serious_reports");
	json_integer_set(reports, json_integer_value(reports) + r->reports);
	json_integer_set(serious, json_integer_value(serious) + r->serious_reports);
	json_array_append_new(json_object_get(l->current, "clinics"),
	                      json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I}", "clinic_id", (json_int_t)r->clinic_id,
	                                "clinic_name", r->clinic_name, "lot_id", (json_int_t)r->lot_id, "status", r->status,
	                                "expires_on", r->expires_on, "quantity_received", (json_int_t)r->quantity_received,
	                                "quantity_available", (json_int_t)r->quantity_available, "reports",
	                                (json_int_t)r->reports, "serious_reports", (json_int_t)r->serious_reports));
	return 0;
}

void handle_registry_lots(request *req)
{
	lot_list l = {.lots = json_array()};
	if (store_registry_lot_list(req->db, 0, NULL, add_registry_lot, &l) != STORE_OK) {
		json_decref(l.lots);
		reply_internal(req, "registry lots");
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "lots", l.lots));
}

void handle_registry_lot_alert(request *req)
{
	int64_t product_id = input_int(req, "product_id", 0);
	const char *lot_number = input_string(req, "lot_number"), *reason = input_string(req, "reason");
	actor by = request_actor(req);
	registry_alert_result *r = malloc(sizeof *r);
	if (r == NULL) {
		reply_internal(req, "registry alert memory");
		return;
	}
	switch (registry_lot_alert(req->db, &by, product_id, lot_number, reason, clock_now(), r)) {
	case REGISTRY_OK:
		break;
	case REGISTRY_NOT_FOUND:
		free(r);
		reply_error(req, 404, "not_found", "lot_number", "registry_lot_unknown");
		return;
	default:
		free(r);
		reply_internal(req, "registry alert");
		return;
	}
	json_t *clinics = json_array();
	for (int i = 0; i < r->count; i++) {
		const registry_alert_clinic *c = &r->clinics[i];
		json_array_append_new(clinics, json_pack("{s:I, s:s, s:I, s:s, s:s, s:b}", "clinic_id", (json_int_t)c->clinic_id,
		                                         "clinic_name", c->clinic_name, "lot_id", (json_int_t)c->lot_id,
		                                         "status_before", c->status_before, "status", c->status,
		                                         "alert_raised", c->alert_raised));
	}
	free(r);
	reply_json(req, 200, json_pack("{s:{s:I, s:s, s:o}}", "alert", "product_id", (json_int_t)product_id, "lot_number",
	                               lot_number, "clinics", clinics));
}

void handle_registry_signals(request *req)
{
	/* Every clinic's reports, whatever the officer's own scope (none). */
	store_scope_clinic(req->db, STORE_SCOPE_ALL);
	handle_signals(req);
	store_scope_clinic(req->db, STORE_SCOPE_NONE);
}
