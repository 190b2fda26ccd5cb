/* The patient's side of intake: the questionnaire, informed consent, and their status. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/handlers.h"
#include "core/answer_history.h"
#include "service/intake.h"
#include "clock.h"

void handle_questionnaire_current(request *req)
{
	const questionnaire *q = intake_current_questionnaire(req->catalog, INTAKE_QUESTIONNAIRE_ID);
	if (q == NULL) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return;
	}
	reply_json(req, 200, json_pack("{s:O}", "questionnaire", questionnaire_definition(q)));
}

void handle_questionnaire_submit(request *req)
{
	answer_error errors[32];
	int nerrors = 0;
	response_record r;
	actor by = request_actor(req);
	intake_policy p = request_intake_policy(req);
	intake_rc rc = intake_submit_answers(req->db, req->catalog, &p, &by, input_string(req, "questionnaire_id"),
	                                     (int)input_int(req, "version", 0), input_object(req, "answers"),
	                                     clock_now(), errors, 32, &nerrors, &r);
	if (rc == INTAKE_INVALID_ANSWERS) {
		reply_intake_error(req, rc, NULL);
		json_t *items = json_array();
		for (int i = 0; i < nerrors; i++) {
			char key[48];
			snprintf(key, sizeof key, "answer_%s", errors[i].reason);
			json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "link_id", errors[i].link_id, "reason",
			                                       errors[i].reason, "message", message_text(req->lang, key)));
		}
		json_object_set_new(json_object_get(req->reply, "error"), "items", items);
		return;
	}
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, "version");
		return;
	}
	json_t *body = json_pack("{s:I, s:s, s:i, s:o}", "id", (json_int_t)r.id, "questionnaire_id", r.questionnaire_id,
	                         "version", r.questionnaire_version, "submitted_at", json_time(r.submitted_at));
	response_record_clear(&r);
	reply_json(req, 201, json_pack("{s:o}", "response", body));
}

static void add_changes(void *ctx, const consent_text *t)
{
	if (t->changes_ja != NULL)
		json_array_append_new(ctx, json_pack("{s:i, s:{s:s, s:s}}", "version", t->version, "summary", "ja",
		                                     t->changes_ja, "en", t->changes_en));
}

/* The consent text with "changes": what each version after the first changed, lowest first,
 * so a patient who accepted version n is shown the entries above n. */
static json_t *json_consent_text(const intake_catalog *cat, const consent_text *c)
{
	json_t *changes = json_array();
	intake_consent_each_since(cat, c->id, 0, add_changes, changes);
	return json_pack("{s:s, s:i, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:o}", "id", c->id, "version", c->version,
	                 "title", "ja", c->title_ja, "en", c->title_en, "text", "ja", c->text_ja, "en", c->text_en, "sha256",
	                 "ja", c->sha256_ja, "en", c->sha256_en, "changes", changes);
}

json_t *json_consent_record(const intake_catalog *cat, const consent_record *c)
{
	return json_pack("{s:I, s:s, s:i, s:s, s:s, s:o, s:o, s:b}", "id", (json_int_t)c->id, "consent_id", c->consent_id,
	                 "version", c->consent_version, "lang", c->lang, "sha256", c->text_sha256, "accepted_at",
	                 json_time(c->accepted_at), "withdrawn_at", json_time(c->withdrawn_at), "current",
	                 intake_consent_current(cat, c));
}

void handle_consent_current(request *req)
{
	const consent_text *c = intake_current_consent(req->catalog, INTAKE_CONSENT_ID);
	if (c == NULL) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "consent", json_consent_text(req->catalog, c)));
}

void handle_consent_accept(request *req)
{
	consent_record c;
	actor by = request_actor(req);
	intake_rc rc = intake_accept_consent(req->db, req->catalog, &by, input_string(req, "consent_id"),
	                                     (int)input_int(req, "version", 0), input_string(req, "lang"),
	                                     input_string(req, "sha256"), clock_now(), &c);
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, "lang");
		return;
	}
	reply_json(req, 201, json_pack("{s:o}", "acceptance", json_consent_record(req->catalog, &c)));
}

void handle_consent_withdraw(request *req)
{
	actor by = request_actor(req);
	intake_rc rc = intake_withdraw_consent(req->db, &by, clock_now());
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, NULL);
		return;
	}
	reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

json_t *json_decision(const decision_record *d)
{
	json_t *j = json_pack("{s:I, s:s, s:I, s:s, s:I, s:o}", "id", (json_int_t)d->id, "decision", d->decision,
	                      "doctor_id", (json_int_t)d->doctor_id, "doctor_name", d->doctor_name, "response_id",
	                      (json_int_t)d->response_id, "decided_at", json_time(d->decided_at));
	if (strcmp(d->decision, "approved") == 0) {
		json_object_set_new(j, "product_id", json_integer(d->product_id));
		json_object_set_new(j, "product", json_string(d->product));
		json_object_set_new(j, "quantity", json_integer(d->quantity));
		json_object_set_new(j, "directions", json_string(d->directions));
		json_object_set_new(j, "valid_until", json_string(d->valid_until));
	} else {
		json_object_set_new(j, "decline_reason", json_string(d->decline_reason));
	}
	return j;
}

typedef struct consent_list_ctx {
	json_t *items;
	const intake_catalog *cat;
} consent_list_ctx;

static int add_consent_json(void *ctx, const consent_record *c)
{
	consent_list_ctx *l = ctx;
	json_array_append_new(l->items, json_consent_record(l->cat, c));
	return 0;
}

static int add_booking_json(void *ctx, const booking_record *b)
{
	json_array_append_new(ctx, json_booking(b));
	return 0;
}

/* Adds one stored version of the answers to the doctor's history (oldest first). */
static int add_history_version(void *ctx, const response_record *r)
{
	json_t *list = ctx;
	json_t *flags = json_loads(r->flags_json, 0, NULL);
	json_t *v = json_pack("{s:I, s:i, s:i, s:o, s:s, s:b, s:o, s:o}", "id", (json_int_t)r->id, "number",
	                      (int)json_array_size(list) + 1, "questionnaire_version", r->questionnaire_version,
	                      "submitted_at", json_time(r->submitted_at), "worst_level", r->worst_level,
	                      "override_required", answer_flags_need_override(flags, r->worst_level), "flags",
	                      flags ? flags : json_array(), "answers", json_loads(r->answers_json, 0, NULL));
	return v == NULL || json_array_append_new(list, v) != 0;
}

static int add_call_json(void *ctx, const call_record *c)
{
	json_array_append_new(ctx, json_call(c));
	return 0;
}

/* The questionnaire part of a patient's intake status: the current version and the latest
 * answers (with staff_view the answers, their flags and every earlier version). NULL on a
 * storage error. */
static json_t *questionnaire_status_json(request *req, int64_t patient_id, bool staff_view, int64_t now)
{
	store *s = req->db;
	const questionnaire *current = intake_current_questionnaire(req->catalog, INTAKE_QUESTIONNAIRE_ID);
	json_t *qstatus = json_pack("{s:s, s:i}", "questionnaire_id", INTAKE_QUESTIONNAIRE_ID, "current_version",
	                            current ? questionnaire_version(current) : 0);
	response_record r;
	store_rc rc = store_response_latest(s, patient_id, &r);
	if (rc == STORE_ERROR) {
		json_decref(qstatus);
		return NULL;
	}
	if (rc == STORE_OK) {
		bool outdated = current == NULL || r.questionnaire_version != questionnaire_version(current);
		bool expired = now - r.submitted_at > req->cfg->questionnaire_valid_seconds;
		json_t *latest = json_pack("{s:I, s:i, s:o, s:b, s:b}", "id", (json_int_t)r.id, "version",
		                           r.questionnaire_version, "submitted_at", json_time(r.submitted_at), "outdated",
		                           outdated, "expired", expired);
		if (staff_view) {
			json_t *flags = json_loads(r.flags_json, 0, NULL);
			json_object_set_new(latest, "answers", json_loads(r.answers_json, 0, NULL));
			json_object_set_new(latest, "override_required",
			                    json_boolean(answer_flags_need_override(flags, r.worst_level)));
			json_object_set_new(latest, "flags", flags);
			json_object_set_new(latest, "worst_level", json_string(r.worst_level));
		}
		json_object_set_new(qstatus, "latest", latest);
		response_record_clear(&r);
	} else {
		json_object_set_new(qstatus, "latest", json_null());
	}
	if (staff_view) {
		/* Every version the patient submitted, each with the flags it raised, so a contraindication
		 * answered away later stays in sight. */
		json_t *history = json_array();
		if (store_response_list(s, patient_id, add_history_version, history) != STORE_OK) {
			json_decref(history);
			json_decref(qstatus);
			return NULL;
		}
		json_object_set_new(qstatus, "history", history);
	}
	return qstatus;
}

/* The consent part: the current version, the latest acceptance, whether it is in force, and
 * every acceptance as recorded. NULL on a storage error. */
static json_t *consent_status_json(request *req, int64_t patient_id)
{
	store *s = req->db;
	const consent_text *ct = intake_current_consent(req->catalog, INTAKE_CONSENT_ID);
	json_t *cstatus = json_pack("{s:i}", "current_version", ct ? ct->version : 0);
	consent_record c;
	store_rc rc = store_consent_latest(s, patient_id, &c);
	if (rc == STORE_ERROR) {
		json_decref(cstatus);
		return NULL;
	}
	json_object_set_new(cstatus, "latest", rc == STORE_OK ? json_consent_record(req->catalog, &c) : json_null());
	json_object_set_new(cstatus, "in_force", json_boolean(rc == STORE_OK && intake_consent_current(req->catalog, &c)));
	json_object_set_new(cstatus, "state", json_string(intake_consent_state(req->catalog, rc == STORE_OK ? &c : NULL)));
	/* Every acceptance as recorded (older versions and withdrawn ones included, newest first). */
	consent_list_ctx history = {json_array(), req->catalog};
	json_object_set_new(cstatus, "history", history.items);
	if (store_consent_list(s, patient_id, add_consent_json, &history) != STORE_OK) {
		json_decref(cstatus);
		return NULL;
	}
	return cstatus;
}

/* Adds the latest decision (with staff_view its notes and reasons, the calls and whether one
 * held recently enough lets the doctor approve) to out. false on a storage error. */
static bool add_decision_and_calls(request *req, int64_t patient_id, bool staff_view, int64_t now, json_t *out)
{
	store *s = req->db;
	decision_record d;
	store_rc rc = store_decision_latest(s, patient_id, &d);
	if (rc == STORE_ERROR)
		return false;
	json_t *dj = json_null();
	if (rc == STORE_OK) {
		dj = json_decision(&d);
		if (staff_view) {
			json_object_set_new(dj, "notes", json_string(d.notes));
			json_object_set_new(dj, "override_reason", json_string(d.override_reason));
			json_object_set_new(dj, "call_id", d.call_id ? json_integer(d.call_id) : json_null());
			json_object_set_new(dj, "no_call_reason", json_string(d.no_call_reason));
		}
	}
	json_object_set_new(out, "decision", dj);
	if (!staff_view)
		return true;
	json_t *calls = json_array();
	if (store_call_list(s, patient_id, add_call_json, calls) != STORE_OK) {
		json_decref(calls);
		return false;
	}
	call_record held;
	rc = store_call_latest_held(s, patient_id, now - req->cfg->questionnaire_valid_seconds, now, &held);
	if (rc == STORE_ERROR) {
		json_decref(calls);
		return false;
	}
	json_object_set_new(out, "calls", calls);
	json_object_set_new(out, "call_held", json_boolean(rc == STORE_OK));
	return true;
}

/* Builds the intake status of one patient: bookings, latest questionnaire, consent,
 * latest decision. With staff_view, the answers and screening flags and the doctor's
 * notes are included. Returns NULL on a storage error. */
json_t *intake_status_json(request *req, int64_t patient_id, bool staff_view)
{
	int64_t now = clock_now();
	json_t *upcoming = json_array();
	if (store_booking_list(req->db, patient_id, true, now, add_booking_json, upcoming) != STORE_OK) {
		json_decref(upcoming);
		return NULL;
	}
	json_t *out = json_pack("{s:o}", "upcoming_bookings", upcoming);
	json_t *qstatus = questionnaire_status_json(req, patient_id, staff_view, now);
	if (qstatus == NULL) {
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "questionnaire", qstatus);
	json_t *cstatus = consent_status_json(req, patient_id);
	if (cstatus == NULL) {
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "consent", cstatus);
	if (!add_decision_and_calls(req, patient_id, staff_view, now, out)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

void handle_my_intake(request *req)
{
	json_t *status = intake_status_json(req, req->user.id, false);
	if (status == NULL) {
		reply_internal(req, "intake status");
		return;
	}
	char object[48];
	snprintf(object, sizeof object, "patient:%lld", (long long)req->user.id);
	if (!audit_read(req, "patient.intake.read", object, "", "audit intake read")) {
		json_decref(status);
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "intake", status));
}
