/* Consultation slots, bookings and the doctor's day schedule. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ical.h"
#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/intake.h"
#include "clock.h"

static const error_row intake_errors[] = {
	[INTAKE_OK] = {0},
	[INTAKE_NOT_FOUND] = {404, "not_found"},
	[INTAKE_INVALID] = {400, "invalid_field", FIELD_FROM_SERVICE},
	[INTAKE_SLOT_TAKEN] = {409, "slot_taken", "slot_id"},
	[INTAKE_SLOT_PAST] = {409, "slot_past"},
	[INTAKE_SLOT_TOO_FAR] = {400, "invalid_field", "start", "slot_too_far"},
	[INTAKE_SLOT_OVERLAP] = {409, "slot_overlap"},
	[INTAKE_SLOT_BOOKED] = {409, "slot_booked"},
	[INTAKE_ALREADY_BOOKED] = {409, "already_booked"},
	[INTAKE_TOO_LATE] = {409, "too_late"},
	[INTAKE_QUESTIONNAIRE_OUTDATED] = {409, "questionnaire_outdated"},
	[INTAKE_QUESTIONNAIRE_EXPIRED] = {409, "questionnaire_expired"},
	[INTAKE_INVALID_ANSWERS] = {400, "invalid_answers"},
	[INTAKE_CONSENT_OUTDATED] = {409, "consent_outdated"},
	[INTAKE_CONSENT_MISMATCH] = {409, "consent_mismatch", "sha256"},
	[INTAKE_CONSENT_REQUIRED] = {409, "consent_required"},
	[INTAKE_NO_CONSENT] = {409, "no_consent"},
	[INTAKE_RESPONSE_SUPERSEDED] = {409, "response_superseded", "response_id"},
	[INTAKE_ALREADY_DECIDED] = {409, "already_decided"},
	[INTAKE_OVERRIDE_REQUIRED] = {400, "override_required", "override_reason"},
	[INTAKE_CALL_TOO_EARLY] = {409, "call_too_early"},
	[INTAKE_CALL_ALREADY_HELD] = {409, "call_already_held"},
	[INTAKE_CALL_REQUIRED] = {409, "call_required", "no_call_reason"},
	[INTAKE_ERROR] = {500, .log_as = "intake"},
};
static_assert(sizeof intake_errors / sizeof intake_errors[0] == INTAKE_RC_COUNT, "one row per intake_rc");

void reply_intake_error(request *req, intake_rc rc, const char *field)
{
	reply_error_row(req, intake_errors, INTAKE_RC_COUNT, (int)rc, field);
}

intake_policy request_intake_policy(const request *req)
{
	intake_policy p = {req->cfg->booking_cutoff_seconds, req->cfg->questionnaire_valid_seconds};
	return p;
}

json_t *json_time(int64_t t)
{
	char iso[ISO8601_LEN];
	if (t == 0)
		return json_null();
	time_iso8601(t, iso);
	return json_string(iso);
}

json_t *json_booking(const booking_record *b)
{
	return json_pack("{s:I, s:I, s:s, s:o, s:i, s:o, s:I, s:s, s:o, s:o}", "id", (json_int_t)b->id, "slot_id",
	                 (json_int_t)b->slot_id, "status", b->status, "starts_at", json_time(b->starts_at),
	                 "duration_minutes", b->duration_minutes, "ends_at",
	                 json_time(b->starts_at + (int64_t)b->duration_minutes * 60), "doctor_id", (json_int_t)b->doctor_id,
	                 "doctor_name", b->doctor_name, "created_at", json_time(b->created_at), "cancelled_at",
	                 json_time(b->cancelled_at));
}

/* ---- slots ---- */

typedef struct slot_list_ctx {
	json_t *list;
	bool with_patients;   /* schedule view: patient name, phone, questionnaire status */
} slot_list_ctx;

static int add_slot(void *ctx, const slot_view *v)
{
	slot_list_ctx *c = ctx;
	json_t *j = json_pack("{s:I, s:I, s:s, s:o, s:i, s:o, s:b}", "id", (json_int_t)v->slot.id, "doctor_id",
	                      (json_int_t)v->slot.doctor_id, "doctor_name", v->doctor_name, "starts_at",
	                      json_time(v->slot.starts_at), "duration_minutes", v->slot.duration_minutes, "ends_at",
	                      json_time(v->slot.starts_at + (int64_t)v->slot.duration_minutes * 60), "booked",
	                      v->booking_id != 0);
	if (c->with_patients && v->booking_id != 0)
		json_object_set_new(j, "booking",
		                    json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)v->booking_id,
		                              "patient_id", (json_int_t)v->patient_id, "patient_name", v->patient_name,
		                              "patient_phone", v->patient_phone, "questionnaire_level",
		                              v->questionnaire_level[0] ? v->questionnaire_level : "missing",
		                              "questionnaire_submitted_at", json_time(v->questionnaire_at), "call_result",
		                              v->call_outcome[0] ? json_string(v->call_outcome) : json_null(), "called_at",
		                              json_time(v->call_at)));
	json_array_append_new(c->list, j);
	return 0;
}

/* Reads ?date=YYYY-MM-DD (JST; default today) and ?days=N into a time range. */
static bool date_range(request *req, int64_t max_days, int64_t *from, int64_t *to)
{
	const char *date = request_query(req, "date");
	char today[11];
	if (date == NULL) {
		jst_date(clock_now(), today);
		date = today;
	}
	int64_t start, end, days;
	if (jst_day_bounds(date, &start, &end) != 0) {
		reply_error(req, 400, "invalid_field", "date", "date_format");
		return false;
	}
	if (!query_int(req, "days", 1, 1, max_days, &days))
		return false;
	*from = start;
	*to = start + days * 86400;
	return true;
}

void handle_slots_list(request *req)
{
	int64_t from, to, doctor_id;
	if (!date_range(req, 31, &from, &to) || !query_int(req, "doctor_id", 0, 0, INT64_MAX, &doctor_id))
		return;
	int64_t now = clock_now();
	/* Patients see only what they can book: free slots in the future. */
	bool patient = req->user.role == ROLE_PATIENT;
	slot_query q = {.doctor_id = doctor_id, .from = patient && from < now ? now : from, .to = to, .free_only = patient,
	                .limit = 1000};
	slot_list_ctx ctx = {json_array(), false};
	if (q.from >= q.to || store_slot_list(req->db, &q, add_slot, &ctx) == STORE_OK) {
		reply_json(req, 200, json_pack("{s:o}", "slots", ctx.list));
		return;
	}
	json_decref(ctx.list);
	reply_internal(req, "list slots");
}

void handle_slots_publish(request *req)
{
	int64_t start, end;
	if (time_parse_iso8601(input_string(req, "start"), &start) != 0) {
		reply_error(req, 400, "invalid_field", "start", "datetime_format");
		return;
	}
	if (time_parse_iso8601(input_string(req, "end"), &end) != 0) {
		reply_error(req, 400, "invalid_field", "end", "datetime_format");
		return;
	}
	int64_t doctor_id = input_int(req, "doctor_id", 0);
	if (req->user.role == ROLE_DOCTOR) {
		if (doctor_id != 0 && doctor_id != req->user.id) {
			reply_error(req, 403, "forbidden", "doctor_id", NULL);
			return;
		}
		doctor_id = req->user.id;
	} else if (doctor_id == 0) {
		reply_error(req, 400, "missing_field", "doctor_id", NULL);
		return;
	}
	int minutes = (int)input_int(req, "slot_minutes", 10);
	if (end <= start) {
		reply_error(req, 400, "invalid_field", "end", "end_before_start");
		return;
	}
	if ((end - start) / ((int64_t)minutes * 60) > 144 || end - start < (int64_t)minutes * 60) {
		reply_error(req, 400, "invalid_field", "end", "slot_range");
		return;
	}
	actor by = request_actor(req);
	int created = 0;
	intake_rc rc = intake_publish_slots(req->db, &by, doctor_id, start, end, minutes, clock_now(), &created);
	if (rc == INTAKE_NOT_FOUND) {
		reply_error(req, 400, "invalid_field", "doctor_id", "not_a_doctor");
		return;
	}
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, "slot_minutes");
		return;
	}
	reply_json(req, 201, json_pack("{s:i}", "created", created));
}

/* The doctor a publishing request is for: a doctor publishes their own slots, an admin names
 * the doctor. Replies and returns 0 when that is not so. */
static int64_t publishing_doctor(request *req)
{
	int64_t doctor_id = input_int(req, "doctor_id", 0);
	if (req->user.role == ROLE_DOCTOR) {
		if (doctor_id != 0 && doctor_id != req->user.id) {
			reply_error(req, 403, "forbidden", "doctor_id", NULL);
			return 0;
		}
		return req->user.id;
	}
	if (doctor_id == 0)
		reply_error(req, 400, "missing_field", "doctor_id", NULL);
	return doctor_id;
}

/* POST /api/v1/slots/pattern: a weekly pattern of slots in one step (preview: true answers
 * what would be made and writes nothing). The reply lists every slot of the pattern with its
 * fate: created, existing (overlaps a slot the doctor has: skipped) or past (skipped). */
void handle_slots_pattern(request *req)
{
	unsigned weekdays = 0;
	const json_t *days = input_array(req, "weekdays");
	size_t i;
	json_t *d;
	json_array_foreach(days, i, d) {
		json_int_t v = json_is_integer(d) ? json_integer_value(d) : -1;
		if (v < 0 || v > 6 || (weekdays & (1u << v))) {
			reply_error(req, 400, "invalid_field", "weekdays", "weekdays_value");
			return;
		}
		weekdays |= 1u << v;
	}
	int64_t doctor_id = publishing_doctor(req);
	if (doctor_id == 0)
		return;
	slot_pattern p = {input_string(req, "first_date"), input_string(req, "last_date"), weekdays,
	                  input_string(req, "day_start"), input_string(req, "day_end"),
	                  (int)input_int(req, "slot_minutes", 10)};
	bool preview = input_bool(req, "preview", false);
	actor by = request_actor(req);
	slot_pattern_result r;
	const char *field = NULL, *reason = NULL;
	intake_rc rc = intake_publish_pattern(req->db, &by, doctor_id, &p, preview, clock_now(), &r, &field, &reason);
	if (rc == INTAKE_OK) {
		static const char *const fates[] = {['c'] = "created", ['e'] = "existing", ['p'] = "past"};
		json_t *slots = json_array();
		for (size_t k = 0; k < r.count; k++)
			json_array_append_new(slots, json_pack("{s:o, s:s}", "starts_at", json_time(r.starts[k]), "fate",
			                                       fates[r.fate[k]]));
		reply_json(req, preview ? 200 : 201,
		           json_pack("{s:b, s:i, s:i, s:i, s:i, s:o}", "preview", preview, "created", r.created,
		                     "skipped_existing", r.skipped_existing, "skipped_past", r.skipped_past, "slot_minutes",
		                     p.slot_minutes, "slots", slots));
	} else if (rc == INTAKE_INVALID) {
		reply_error(req, 400, "invalid_field", field, reason);
	} else if (rc == INTAKE_NOT_FOUND) {
		reply_error(req, 400, "invalid_field", "doctor_id", "not_a_doctor");
	} else if (rc == INTAKE_SLOT_TOO_FAR) {
		reply_error(req, 400, "invalid_field", "last_date", "slot_too_far");
	} else {
		reply_intake_error(req, rc, NULL);
	}
	free(r.starts);
	free(r.fate);
}

void handle_slot_delete(request *req)
{
	actor by = request_actor(req);
	intake_rc rc = intake_delete_slot(req->db, &by, req->path_ids[0]);
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, NULL);
		return;
	}
	reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

void handle_schedule(request *req)
{
	int64_t from, to, doctor_id;
	if (!date_range(req, 7, &from, &to) || !query_int(req, "doctor_id", 0, 0, INT64_MAX, &doctor_id))
		return;
	if (req->user.role == ROLE_DOCTOR)
		doctor_id = req->user.id;
	slot_query q = {.doctor_id = doctor_id, .from = from, .to = to, .limit = 1000};
	slot_list_ctx ctx = {json_array(), true};
	if (store_slot_list(req->db, &q, add_slot, &ctx) != STORE_OK) {
		json_decref(ctx.list);
		reply_internal(req, "schedule");
		return;
	}
	/* The schedule names patients with their phone numbers and screening status. */
	char detail[64];
	jst_date(from, detail);
	if (!audit_read(req, "schedule.read", doctor_id ? "doctor" : "schedule", detail, "audit schedule read")) {
		json_decref(ctx.list);
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "slots", ctx.list));
}

/* ---- bookings ---- */

json_t *json_call(const call_record *c)
{
	return json_pack("{s:I, s:I, s:I, s:s, s:s, s:o, s:s, s:o, s:o}", "id", (json_int_t)c->id, "booking_id",
	                 (json_int_t)c->booking_id, "doctor_id", (json_int_t)c->doctor_id, "doctor_name", c->doctor_name,
	                 "result", c->outcome, "called_at", json_time(c->called_at), "notes", c->notes, "recorded_at",
	                 json_time(c->recorded_at), "slot_starts_at", json_time(c->slot_starts_at));
}

/* POST /api/v1/bookings/{id}/call: the doctor records how the booked call went. */
void handle_booking_call(request *req)
{
	int64_t called_at = 0;
	const char *at = input_string(req, "called_at");
	if (at != NULL && time_parse_iso8601(at, &called_at) != 0) {
		reply_error(req, 400, "invalid_field", "called_at", "datetime_format");
		return;
	}
	actor by = request_actor(req);
	call_record c;
	const char *field = NULL;
	intake_rc rc = intake_record_call(req->db, &by, req->path_ids[0], input_string(req, "result"), called_at,
	                                  input_string(req, "notes"), clock_now(), &c, &field);
	if (rc == INTAKE_INVALID && field != NULL && strcmp(field, "called_at") == 0) {
		reply_error(req, 400, "invalid_field", "called_at", "call_time_range");
		return;
	}
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, field);
		return;
	}
	snprintf(c.doctor_name, sizeof c.doctor_name, "%s", req->user.name);
	reply_json(req, 201, json_pack("{s:o}", "call", json_call(&c)));
}

void handle_booking_create(request *req)
{
	actor by = request_actor(req);
	booking_record b;
	mail_settings mail = request_mail_settings(req);
	intake_rc rc = intake_book(req->db, &mail, &by, input_int(req, "slot_id", 0), clock_now(), &b);
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, "slot_id");
		return;
	}
	reply_json(req, 201, json_pack("{s:o}", "booking", json_booking(&b)));
}

static int add_booking(void *ctx, const booking_record *b)
{
	json_array_append_new(ctx, json_booking(b));
	return 0;
}

void handle_bookings_list(request *req)
{
	json_t *list = json_array();
	reply_list(req, store_booking_list(req->db, req->user.id, false, 0, add_booking, list), list, "bookings",
	           "list bookings");
}

void handle_booking_cancel(request *req)
{
	actor by = request_actor(req);
	intake_policy p = request_intake_policy(req);
	mail_settings mail = request_mail_settings(req);
	intake_rc rc = intake_cancel(req->db, &mail, &by, &p, req->path_ids[0], clock_now());
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, NULL);
		return;
	}
	booking_record b;
	if (store_booking_get(req->db, req->path_ids[0], &b) != STORE_OK) {
		reply_internal(req, "read booking");
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "booking", json_booking(&b)));
}

void handle_booking_reschedule(request *req)
{
	actor by = request_actor(req);
	intake_policy p = request_intake_policy(req);
	booking_record b;
	mail_settings mail = request_mail_settings(req);
	intake_rc rc = intake_reschedule(req->db, &mail, &by, &p, req->path_ids[0], input_int(req, "slot_id", 0),
	                                 clock_now(), &b);
	if (rc != INTAKE_OK) {
		reply_intake_error(req, rc, "slot_id");
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "booking", json_booking(&b)));
}

void handle_booking_ics(request *req)
{
	booking_record b;
	store_rc rc = store_booking_get(req->db, req->path_ids[0], &b);
	if (rc == STORE_ERROR) {
		reply_internal(req, "read booking");
		return;
	}
	if (rc == STORE_NOT_FOUND || b.patient_id != req->user.id) {
		reply_error(req, 404, "not_found", NULL, NULL);
		return;
	}
	char uid[64], description[1200];
	snprintf(uid, sizeof uid, "booking-%lld@exosafe", (long long)b.id);
	snprintf(description, sizeof description,
	         "exosafe: 医師(%s)からお電話します。事前に問診票への回答と同意書の確認をお願いします。\n"
	         "The doctor (%s) will call you. Please answer the questionnaire and read the consent form first.",
	         b.doctor_name, b.doctor_name);
	ical_event ev = {uid, clock_now(), b.starts_at, b.starts_at + (int64_t)b.duration_minutes * 60,
	                 "電話診療 / Phone consultation (exosafe)", description};
	char *text = ical_event_text(&ev);
	if (text == NULL) {
		reply_internal(req, "calendar");
		return;
	}
	char filename[64];
	snprintf(filename, sizeof filename, "exosafe-booking-%lld.ics", (long long)b.id);
	reply_raw(req, 200, text, strlen(text), "text/calendar; charset=utf-8", filename);
}
