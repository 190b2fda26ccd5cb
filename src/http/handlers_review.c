/* The doctor's side of intake: the review queue, a patient's file, and the decision. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/handlers.h"
#include "service/intake.h"
#include "clock.h"

typedef struct review_ctx {
	json_t *items;
	const intake_catalog *cat;
} review_ctx;

static int add_review_item(void *ctx, const review_item *it)
{
	review_ctx *queue = ctx;
	json_t *flags = json_loads(it->flags_json, 0, NULL);
	/* The doctor sees which consent version the patient accepted and whether it is the one in
	 * force: an outdated acceptance cannot back an approval or an order. */
	consent_record latest = {.id = it->consent_id[0] != '\0' ? 1 : 0, .consent_version = it->consent_version,
	                         .withdrawn_at = it->consent_in_force ? 0 : 1};
	snprintf(latest.consent_id, sizeof latest.consent_id, "%s", it->consent_id);
	const char *state = intake_consent_state(queue->cat, &latest);
	const consent_text *current = intake_current_consent(queue->cat, INTAKE_CONSENT_ID);
	json_t *consent = json_pack("{s:s, s:o, s:i}", "state", state, "version",
	                            latest.id != 0 ? json_integer(it->consent_version) : json_null(), "current_version",
	                            current ? current->version : 0);
	json_array_append_new(queue->items, json_pack("{s:I, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:b, s:o}", "patient_id",
	                                           (json_int_t)it->patient_id, "patient_name", it->patient_name,
	                                           "patient_phone", it->patient_phone, "response_id",
	                                           (json_int_t)it->response_id, "worst_level", it->worst_level, "flags",
	                                           flags ? flags : json_array(), "submitted_at", json_time(it->submitted_at),
	                                           "next_call_at", json_time(it->next_call_at), "consent_in_force",
	                                           strcmp(state, "current") == 0, "consent", consent));
	return 0;
}

/* GET /api/v1/review/queue?q=&status=&limit=&offset=: status is the worst screening level. */
void handle_review_queue(request *req)
{
	static const char *const levels[] = {"block", "needs-attention", "info", "none", NULL};
	list_params p;
	if (!list_params_read(req, levels, 50, &p))
		return;
	json_t *items = json_array();
	review_ctx ctx = {items, req->catalog};
	int64_t total = 0;
	if (store_review_queue(req->db, &p.filter, clock_now(), &total, add_review_item, &ctx) != STORE_OK) {
		json_decref(items);
		reply_internal(req, "review queue");
		return;
	}
	/* The queue shows screening flags (health data) of every listed patient. */
	char detail[48];
	snprintf(detail, sizeof detail, "%zu patients", json_array_size(items));
	if (!audit_read(req, "review.queue.read", "review_queue", detail, "audit review queue")) {
		json_decref(items);
		return;
	}
	json_t *reply = json_pack("{s:o}", "queue", items);
	list_page_set(reply, &p, total);
	reply_json(req, 200, reply);
}

/* Loads the patient named by the path, replying 404 when there is none. */
static bool load_patient(request *req, user_record *patient, patient_profile *profile)
{
	store_rc rc = store_user_by_id(req->db, req->path_ids[0], patient);
	if (rc == STORE_ERROR) {
		reply_internal(req, "read patient");
		return false;
	}
	if (rc == STORE_NOT_FOUND || patient->role != ROLE_PATIENT) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return false;
	}
	rc = store_profile_get(req->db, patient->id, profile);
	if (rc == STORE_ERROR) {
		reply_internal(req, "read profile");
		return false;
	}
	if (rc == STORE_NOT_FOUND)
		memset(profile, 0, sizeof *profile);
	return true;
}

void handle_patient_intake(request *req)
{
	user_record patient;
	patient_profile profile;
	if (!load_patient(req, &patient, &profile))
		return;
	json_t *status = intake_status_json(req, patient.id, true);
	if (status == NULL) {
		reply_internal(req, "intake status");
		return;
	}
	char object[48];
	snprintf(object, sizeof object, "patient:%lld", (long long)patient.id);
	if (!audit_read(req, "patient.intake.read", object, "", "audit intake read")) {
		json_decref(status);
		return;
	}
	reply_json(req, 200, json_pack("{s:o, s:o}", "patient", json_user(&patient, &profile), "intake", status));
}

void handle_patient_decision(request *req)
{
	const char *decision = input_string(req, "decision");
	decision_input in = {
		.response_id = input_int(req, "response_id", 0),
		.approve = decision != NULL && strcmp(decision, "approved") == 0,
		.notes = input_string(req, "notes"),
		.product_id = input_int(req, "product_id", 0),
		.quantity = (int)input_int(req, "quantity", 0),
		.directions = input_string(req, "directions"),
		.valid_until = input_string(req, "valid_until"),
		.decline_reason = input_string(req, "decline_reason"),
		.override_reason = input_string(req, "override_reason"),
		.no_call_reason = input_string(req, "no_call_reason"),
	};
	intake_policy p = request_intake_policy(req);
	actor by = request_actor(req);
	decision_record d;
	const char *field = NULL;
	mail_settings mail = request_mail_settings(req);
	intake_rc rc = intake_decide(req->db, &mail, req->catalog, &p, &by, req->path_ids[0], &in, clock_now(), &d, &field);
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, field);
		return;
	}
	json_t *dj = json_decision(&d);
	json_object_set_new(dj, "notes", json_string(d.notes));
	json_object_set_new(dj, "override_reason", json_string(d.override_reason));
	json_object_set_new(dj, "call_id", d.call_id ? json_integer(d.call_id) : json_null());
	json_object_set_new(dj, "no_call_reason", json_string(d.no_call_reason));
	reply_json(req, 201, json_pack("{s:o}", "decision", dj));
}
