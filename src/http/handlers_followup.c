/* Active safety follow-up (CONTRACT17.md section 5): the patient's check-ins and answers (in
 * the app and through the e-mailed link), stopping and resuming follow-up, staff calls to
 * non-responders, the summaries per product and lot, and the plans. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "http/handlers.h"
#include "service/followup.h"
#include "clock.h"

static const error_row followup_errors[] = {
	[FOLLOWUP_OK] = {0},
	[FOLLOWUP_NOT_FOUND] = {404, "not_found"},
	[FOLLOWUP_INVALID] = {400, "invalid_field", FIELD_FROM_SERVICE},
	[FOLLOWUP_ANSWERED] = {409, "checkin_answered"},
	[FOLLOWUP_CLOSED] = {409, "checkin_closed"},
	[FOLLOWUP_WITHDRAWN] = {409, "followup_withdrawn"},
	[FOLLOWUP_LINK_EXPIRED] = {410, "checkin_link_expired"},
	[FOLLOWUP_NOT_WITHDRAWN] = {409, "followup_not_withdrawn"},
	[FOLLOWUP_ALREADY_WITHDRAWN] = {409, "followup_already_withdrawn"},
	[FOLLOWUP_ERROR] = {500, .log_as = "follow-up"},
};
static_assert(sizeof followup_errors / sizeof followup_errors[0] == FOLLOWUP_RC_COUNT, "one row per followup_rc");

static void reply_followup_error(request *req, followup_rc rc, const char *field)
{
	reply_error_row(req, followup_errors, FOLLOWUP_RC_COUNT, (int)rc, field);
}

static const char *req_lang(const request *req)
{
	return req->lang == LANG_EN ? "en" : "ja";
}

/* The token segment of /api/v1/checkin-links/{token}[/answers] (the route matched its form). */
static void link_token(const request *req, char out[129])
{
	const char *prefix = "/api/v1/checkin-links/";
	const char *t = strncmp(req->path, prefix, strlen(prefix)) == 0 ? req->path + strlen(prefix) : "";
	size_t n = strcspn(t, "/");
	if (n > 128)
		n = 128;
	memcpy(out, t, n);
	out[n] = '\0';
}

/* The answer body's fields, from the validated input (an app or link answer) or from a call's
 * "answers" object (checked here: the route's table cannot look inside it). False with the
 * error replied when the object is malformed. *note_out is heap (the caller frees). */
static bool answer_input(request *req, const json_t *obj, followup_answer_input *in, char **note_out)
{
	*note_out = NULL;
	const json_t *nothing = json_object_get(obj, "nothing_changed");
	const json_t *symptoms = json_object_get(obj, "symptoms");
	const json_t *note = json_object_get(obj, "note");
	const char *bad = NULL;
	/* nothing_changed is required, so a known key more than the three is an unknown one. */
	size_t known = 1 + (symptoms != NULL) + (note != NULL);
	if (json_object_size(obj) != known)
		bad = "answers";
	if (!json_is_boolean(nothing))
		bad = "nothing_changed";
	else if (symptoms != NULL && !json_is_array(symptoms))
		bad = "symptoms";
	else if (note != NULL && !json_is_null(note) && !json_is_string(note))
		bad = "note";
	if (bad == NULL && json_is_string(note)) {
		*note_out = text_normalize(json_string_value(note));
		if (*note_out == NULL || !text_is_clean(*note_out, 1) || text_char_count(*note_out) > 2000)
			bad = "note";
	}
	if (bad) {
		free(*note_out);
		*note_out = NULL;
		reply_error(req, 400, "invalid_field", bad, NULL);
		return false;
	}
	*in = (followup_answer_input){.nothing_changed = json_is_true(nothing), .symptoms = symptoms, .note = *note_out};
	return true;
}

static void reply_answered(request *req, const checkin_record *c, json_t *prefill, bool link)
{
	json_t *j = followup_checkin_json(req->db, c, req_lang(req));
	if (j == NULL) {
		json_decref(prefill);
		reply_internal(req, "check-in view");
		return;
	}
	if (link && prefill && !json_is_null(prefill))
		/* Through a link the report is not sent: the patient logs in to confirm it. */
		json_object_set_new(prefill, "log_in_to_confirm", json_true());
	reply_json(req, 200, json_pack("{s:o, s:o}", "checkin", j, "ae_prefill", prefill ? prefill : json_null()));
}

void handle_my_checkins(request *req)
{
	json_t *out;
	followup_rc rc = followup_mine(req->db, req->user.id, req_lang(req), clock_now(), &out);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	reply_json(req, 200, out);
}

void handle_checkin_get(request *req)
{
	actor by = request_actor(req);
	checkin_record c;
	followup_rc rc = followup_checkin_visible(req->db, &by, req->path_ids[0], &c);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	if (req->user.role != ROLE_PATIENT) {
		char object[48], detail[64];
		snprintf(object, sizeof object, "patient:%lld", (long long)c.patient_id);
		snprintf(detail, sizeof detail, "check-in %lld", (long long)c.id);
		if (!audit_read(req, "followup.checkin.read", object, detail, "check-in read audit"))
			return;
	}
	json_t *j = followup_checkin_json(req->db, &c, req_lang(req));
	if (j == NULL) {
		reply_internal(req, "check-in view");
		return;
	}
	reply_json(req, 200, j);
}

void handle_checkin_answer(request *req)
{
	followup_answer_input in;
	char *note;
	if (!answer_input(req, req->input, &in, &note))
		return;
	actor by = request_actor(req);
	followup_settings fs = followup_settings_from_config(req->cfg);
	checkin_record c;
	json_t *prefill = NULL;
	const char *field = NULL;
	followup_rc rc = followup_answer(req->db, &by, &fs, req->path_ids[0], &in, clock_now(), &c, &prefill, &field);
	free(note);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, field);
		return;
	}
	reply_answered(req, &c, prefill, false);
}

void handle_checkin_link_get(request *req)
{
	char token[129];
	link_token(req, token);
	checkin_record c;
	followup_rc rc = followup_link_checkin(req->db, token, clock_now(), &c);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	/* Only what the answer page needs: no name, no lots (the link may be forwarded). */
	reply_json(req, 200, json_pack("{s:{s:I, s:I, s:i, s:s, s:s}}", "checkin", "id", (json_int_t)c.id, "due_at",
	                               (json_int_t)c.due_at, "day_offset", c.day_offset, "product_name",
	                               req->lang == LANG_EN ? c.product_name_en : c.product_name_ja, "status", c.status));
}

void handle_checkin_link_answer(request *req)
{
	char token[129];
	link_token(req, token);
	followup_answer_input in;
	char *note;
	if (!answer_input(req, req->input, &in, &note))
		return;
	followup_settings fs = followup_settings_from_config(req->cfg);
	checkin_record c;
	json_t *prefill = NULL;
	const char *field = NULL;
	followup_rc rc = followup_answer_link(req->db, &fs, token, &in, clock_now(), &c, &prefill, &field);
	free(note);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, field);
		return;
	}
	reply_answered(req, &c, prefill, true);
}

void handle_followup_withdraw(request *req)
{
	actor by = request_actor(req);
	followup_rc rc = followup_withdraw(req->db, &by, input_string(req, "reason"), clock_now());
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	handle_my_checkins(req);
}

void handle_followup_resume(request *req)
{
	actor by = request_actor(req);
	followup_rc rc = followup_resume(req->db, &by, clock_now());
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	handle_my_checkins(req);
}

void handle_followup_nonresponders(request *req)
{
	followup_settings fs = followup_settings_from_config(req->cfg);
	json_t *out;
	followup_rc rc = followup_nonresponders(req->db, &fs, req_lang(req), clock_now(), &out);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	char detail[48];
	snprintf(detail, sizeof detail, "%zu listed", json_array_size(json_object_get(out, "items")));
	if (!audit_read(req, "followup.nonresponders.read", "followup:nonresponders", detail, "non-responders audit")) {
		json_decref(out);
		return;
	}
	reply_json(req, 200, out);
}

void handle_checkin_call(request *req)
{
	const json_t *answers = input_object(req, "answers");
	followup_answer_input in;
	char *note = NULL;
	if (answers != NULL && !answer_input(req, answers, &in, &note))
		return;
	actor by = request_actor(req);
	followup_settings fs = followup_settings_from_config(req->cfg);
	checkin_record c;
	json_t *prefill = NULL;
	const char *field = NULL;
	followup_rc rc = followup_call(req->db, &by, &fs, req->path_ids[0], input_string(req, "outcome"),
	                               answers ? &in : NULL, clock_now(), &c, &prefill, &field);
	free(note);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, field);
		return;
	}
	reply_answered(req, &c, prefill, false);
}

static void reply_summary(request *req, int64_t product_id, int64_t lot_id)
{
	followup_settings fs = followup_settings_from_config(req->cfg);
	json_t *out;
	followup_rc rc = followup_summary(req->db, &fs, product_id, lot_id, req_lang(req), &out);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, NULL);
		return;
	}
	reply_json(req, 200, out);
}

void handle_followup_product(request *req)
{
	reply_summary(req, req->path_ids[0], 0);
}

void handle_followup_lot(request *req)
{
	reply_summary(req, 0, req->path_ids[0]);
}

void handle_followup_plan_put(request *req)
{
	actor by = request_actor(req);
	followup_plan plan;
	const char *field = NULL;
	followup_rc rc = followup_plan_set(req->db, &by, req->path_ids[0], input_array(req, "first_days"),
	                                   input_int(req, "repeat_days", 0), input_bool(req, "disclose", false), clock_now(),
	                                   &plan, &field);
	if (rc != FOLLOWUP_OK) {
		reply_followup_error(req, rc, field);
		return;
	}
	json_t *days = json_array();
	for (int i = 0; i < plan.first_count; i++)
		json_array_append_new(days, json_integer(plan.first_days[i]));
	reply_json(req, 200, json_pack("{s:{s:o, s:i, s:b}}", "plan", "first_days", days, "repeat_days", plan.repeat_days,
	                               "disclose", plan.disclose));
}
