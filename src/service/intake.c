#include "service/intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer_history.h"
#include "core/growth.h"
#include "core/screening.h"
#include "core/timefmt.h"
#include "core/validate.h"
#include "service/mail_events.h"

#define MAX_SLOTS_PER_PUBLISH 144
#define MAX_FLAGS 64

/* Opens the operation's transaction and checks that user_id is a user with role: INTAKE_OK
 * with the transaction open, else the error with it rolled back. */
static intake_rc begin_with_user(store *s, int64_t user_id, user_role role)
{
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	user_record user;
	store_rc rc = store_user_by_id(s, user_id, &user);
	if (rc == STORE_ERROR)
		return service_rollback(s, INTAKE_ERROR);
	if (rc == STORE_NOT_FOUND || user.role != role)
		return service_rollback(s, INTAKE_NOT_FOUND);
	return INTAKE_OK;
}

/* ---- slots ---- */

typedef struct overlap_check {
	int64_t start, end;
	bool overlaps;
} overlap_check;

static int find_overlap(void *ctx, const slot_view *v)
{
	overlap_check *c = ctx;
	int64_t s_end = v->slot.starts_at + (int64_t)v->slot.duration_minutes * 60;
	if (v->slot.starts_at < c->end && s_end > c->start) {
		c->overlaps = true;
		return 1;
	}
	return 0;
}

intake_rc intake_publish_slots(store *s, const actor *by, int64_t doctor_id, int64_t start, int64_t end,
                               int slot_minutes, int64_t now, int *created_out)
{
	*created_out = 0;
	if (slot_minutes < 5 || slot_minutes > 120)
		return INTAKE_INVALID;
	if (end <= start || (end - start) / (slot_minutes * 60) > MAX_SLOTS_PER_PUBLISH || (end - start) < slot_minutes * 60)
		return INTAKE_INVALID;
	if (start <= now)
		return INTAKE_SLOT_PAST;
	if (start > now + INTAKE_SLOT_MAX_AHEAD_SECONDS)
		return INTAKE_SLOT_TOO_FAR;
	intake_rc found = begin_with_user(s, doctor_id, ROLE_DOCTOR);
	if (found != INTAKE_OK)
		return found;

	overlap_check check = {start, end, false};
	slot_query q = {.doctor_id = doctor_id, .from = start - 120 * 60, .to = end, .limit = 10000};
	if (store_slot_list(s, &q, find_overlap, &check) != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	if (check.overlaps)
		return service_rollback(s, INTAKE_SLOT_OVERLAP);

	int created = 0;
	for (int64_t t = start; t + slot_minutes * 60 <= end; t += slot_minutes * 60) {
		slot_record slot = {0, doctor_id, t, slot_minutes, by->id, now};
		store_rc rc = store_slot_insert(s, &slot);
		if (rc == STORE_CONFLICT)
			return service_rollback(s, INTAKE_SLOT_OVERLAP);
		if (rc != STORE_OK)
			return service_rollback(s, INTAKE_ERROR);
		created++;
	}
	char detail[128], from_s[ISO8601_LEN];
	time_iso8601(start, from_s);
	snprintf(detail, sizeof detail, "%d slots of %d min from %s", created, slot_minutes, from_s);
	if (!service_audit(s, by, "slot.publish", "doctor", doctor_id, detail))
		return service_rollback(s, INTAKE_ERROR);
	if (!service_commit(s))
		return INTAKE_ERROR;
	*created_out = created;
	return INTAKE_OK;
}

/* The doctor's existing slots in a pattern's span, for the overlap test (ascending). */
typedef struct existing_slots {
	int64_t *start, *end;
	size_t n, cap;
	bool failed;
} existing_slots;

static int collect_slot(void *ctx, const slot_view *v)
{
	existing_slots *e = ctx;
	/* Two arrays of one capacity: both grow from the same cap to the same need. */
	size_t start_cap = e->cap, end_cap = e->cap;
	int64_t *start = growth_reserve(e->start, &start_cap, e->n + 1, sizeof *start);
	if (start != NULL)
		e->start = start;
	int64_t *end = growth_reserve(e->end, &end_cap, e->n + 1, sizeof *end);
	if (end != NULL)
		e->end = end;
	if (start == NULL || end == NULL) {
		e->failed = true;
		return 1;
	}
	e->cap = start_cap;
	e->start[e->n] = v->slot.starts_at;
	e->end[e->n] = v->slot.starts_at + (int64_t)v->slot.duration_minutes * 60;
	e->n++;
	return 0;
}

static bool overlaps_existing(const existing_slots *e, int64_t start, int64_t end)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->start[i] < end && e->end[i] > start)
			return true;
	return false;
}

intake_rc intake_publish_pattern(store *s, const actor *by, int64_t doctor_id, const slot_pattern *p, bool preview,
                                 int64_t now, slot_pattern_result *out, const char **field, const char **reason)
{
	memset(out, 0, sizeof *out);
	out->starts = malloc(SLOT_PATTERN_MAX_SLOTS * sizeof *out->starts);
	out->fate = malloc(SLOT_PATTERN_MAX_SLOTS);
	if (out->starts == NULL || out->fate == NULL)
		return INTAKE_ERROR;
	*reason = slot_pattern_expand(p, out->starts, SLOT_PATTERN_MAX_SLOTS, &out->count, field);
	if (*reason != NULL)
		return INTAKE_INVALID;
	char today[11];
	jst_date(now, today);
	if (strcmp(p->first_date, today) < 0) {
		*field = "first_date";
		*reason = "date_past";
		return INTAKE_INVALID;
	}
	int64_t length = (int64_t)p->slot_minutes * 60;
	if (out->starts[out->count - 1] > now + INTAKE_SLOT_MAX_AHEAD_SECONDS)
		return INTAKE_SLOT_TOO_FAR;

	/* Preview or not, the same reads inside one transaction, so what the preview promises is
	 * what publishing does unless someone else publishes in between. */
	intake_rc found = begin_with_user(s, doctor_id, ROLE_DOCTOR);
	if (found != INTAKE_OK)
		return found;
	existing_slots have = {0};
	slot_query q = {.doctor_id = doctor_id, .from = out->starts[0] - 120 * 60,
	                .to = out->starts[out->count - 1] + length, .limit = 100000};
	store_rc rc = store_slot_list(s, &q, collect_slot, &have);
	if (rc != STORE_OK || have.failed) {
		free(have.start);
		free(have.end);
		return service_rollback(s, INTAKE_ERROR);
	}
	for (size_t i = 0; i < out->count; i++) {
		int64_t t = out->starts[i];
		if (t <= now) {
			out->fate[i] = 'p';
			out->skipped_past++;
		} else if (overlaps_existing(&have, t, t + length)) {
			out->fate[i] = 'e';
			out->skipped_existing++;
		} else {
			out->fate[i] = 'c';
			out->created++;
		}
	}
	free(have.start);
	free(have.end);
	if (preview) {
		store_rollback(s);
		return INTAKE_OK;
	}
	for (size_t i = 0; i < out->count; i++) {
		if (out->fate[i] != 'c')
			continue;
		slot_record slot = {0, doctor_id, out->starts[i], p->slot_minutes, by->id, now};
		rc = store_slot_insert(s, &slot);
		if (rc != STORE_OK)
			return service_rollback(s, rc == STORE_CONFLICT ? INTAKE_SLOT_OVERLAP : INTAKE_ERROR);
	}
	char detail[200];
	snprintf(detail, sizeof detail, "pattern %s..%s days %02x %s-%s every %d min: %d created, %d existing, %d past",
	         p->first_date, p->last_date, p->weekdays, p->day_start, p->day_end, p->slot_minutes, out->created,
	         out->skipped_existing, out->skipped_past);
	return service_audit_commit(s, by, "slot.publish", "doctor", doctor_id, detail) ? INTAKE_OK : INTAKE_ERROR;
}

intake_rc intake_delete_slot(store *s, const actor *by, int64_t slot_id)
{
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	slot_record slot;
	store_rc rc = store_slot_get(s, slot_id, &slot);
	if (rc == STORE_ERROR)
		return service_rollback(s, INTAKE_ERROR);
	/* Doctors manage their own slots; admins any. */
	if (rc == STORE_NOT_FOUND || (by->role == ROLE_DOCTOR && slot.doctor_id != by->id))
		return service_rollback(s, INTAKE_NOT_FOUND);
	rc = store_slot_delete(s, slot_id);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, INTAKE_SLOT_BOOKED);
	if (rc != STORE_OK)
		return service_rollback(s, rc == STORE_NOT_FOUND ? INTAKE_NOT_FOUND : INTAKE_ERROR);
	return service_audit_commit(s, by, "slot.delete", "slot", slot_id, "") ? INTAKE_OK : INTAKE_ERROR;
}

/* ---- bookings ---- */

typedef struct upcoming {
	int64_t except_id;
	int count;
} upcoming;

static int count_upcoming(void *ctx, const booking_record *b)
{
	upcoming *u = ctx;
	if (b->id != u->except_id)
		u->count++;
	return 0;
}

/* Inserts a booking for slot_id inside the caller's transaction. */
static intake_rc book_in_tx(store *s, const mail_settings *mail, const actor *patient, int64_t slot_id, int64_t now,
                            booking_record *out)
{
	slot_record slot;
	store_rc rc = store_slot_get(s, slot_id, &slot);
	if (rc == STORE_ERROR)
		return INTAKE_ERROR;
	if (rc == STORE_NOT_FOUND)
		return INTAKE_NOT_FOUND;
	if (slot.starts_at <= now)
		return INTAKE_SLOT_PAST;
	booking_record b = {0};
	b.slot_id = slot_id;
	b.patient_id = patient->id;
	b.created_at = now;
	rc = store_booking_insert(s, &b);
	if (rc == STORE_CONFLICT)
		return INTAKE_SLOT_TAKEN;
	if (rc != STORE_OK)
		return INTAKE_ERROR;
	if (store_booking_get(s, b.id, out) != STORE_OK || mail_event_booked(s, mail, out) != STORE_OK)
		return INTAKE_ERROR;
	return service_audit(s, patient, "booking.create", "booking", b.id, "") ? INTAKE_OK : INTAKE_ERROR;
}

intake_rc intake_book(store *s, const mail_settings *mail, const actor *patient, int64_t slot_id, int64_t now,
                      booking_record *out)
{
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	upcoming u = {0, 0};
	if (store_booking_list(s, patient->id, true, now, count_upcoming, &u) != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	if (u.count > 0)
		return service_rollback(s, INTAKE_ALREADY_BOOKED);
	intake_rc rc = book_in_tx(s, mail, patient, slot_id, now, out);
	if (rc != INTAKE_OK)
		return service_rollback(s, rc);
	return service_commit(s) ? INTAKE_OK : INTAKE_ERROR;
}

/* Loads the patient's own live booking and checks the cut-off. */
static intake_rc own_changeable_booking(store *s, const actor *patient, const intake_policy *p, int64_t booking_id,
                                        int64_t now, booking_record *b)
{
	store_rc rc = store_booking_get(s, booking_id, b);
	if (rc == STORE_ERROR)
		return INTAKE_ERROR;
	if (rc == STORE_NOT_FOUND || b->patient_id != patient->id || strcmp(b->status, "booked") != 0)
		return INTAKE_NOT_FOUND;
	if (b->starts_at - p->cutoff_seconds <= now)
		return INTAKE_TOO_LATE;
	return INTAKE_OK;
}

intake_rc intake_cancel(store *s, const mail_settings *mail, const actor *patient, const intake_policy *p,
                        int64_t booking_id, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	booking_record b;
	intake_rc rc = own_changeable_booking(s, patient, p, booking_id, now, &b);
	if (rc != INTAKE_OK)
		return service_rollback(s, rc);
	if (store_booking_cancel(s, booking_id, now) != STORE_OK ||
	    mail_event_booking_cancelled(s, mail, booking_id) != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	return service_audit_commit(s, patient, "booking.cancel", "booking", booking_id, "") ? INTAKE_OK : INTAKE_ERROR;
}

intake_rc intake_reschedule(store *s, const mail_settings *mail, const actor *patient, const intake_policy *p,
                            int64_t booking_id, int64_t new_slot_id, int64_t now, booking_record *out)
{
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	booking_record old;
	intake_rc rc = own_changeable_booking(s, patient, p, booking_id, now, &old);
	if (rc != INTAKE_OK)
		return service_rollback(s, rc);
	if (old.slot_id == new_slot_id)
		return service_rollback(s, INTAKE_SLOT_TAKEN);
	if (store_booking_cancel(s, booking_id, now) != STORE_OK ||
	    mail_event_booking_cancelled(s, mail, booking_id) != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	char detail[64];
	snprintf(detail, sizeof detail, "rescheduled to slot %lld", (long long)new_slot_id);
	if (!service_audit(s, patient, "booking.cancel", "booking", booking_id, detail))
		return service_rollback(s, INTAKE_ERROR);
	rc = book_in_tx(s, mail, patient, new_slot_id, now, out);
	if (rc != INTAKE_OK)
		return service_rollback(s, rc);
	return service_commit(s) ? INTAKE_OK : INTAKE_ERROR;
}

/* ---- questionnaire ---- */

static const char *level_rank_name(int worst)
{
	switch (worst) {
	case SCREENING_BLOCK: return "block";
	case SCREENING_ATTENTION: return "needs-attention";
	case SCREENING_INFO: return "info";
	default: return "none";
	}
}

/* The patient's earlier versions inside the window, kept for the comparison. */
typedef struct history {
	int64_t since;
	const intake_catalog *cat;
	int count;                  /* every version seen, for the numbering */
	answer_version *v;
	json_t **owned;             /* answers and flags of each kept version */
	size_t n, cap;
	bool failed;
} history;

static int keep_version(void *ctx, const response_record *r)
{
	history *h = ctx;
	h->count++;
	if (r->submitted_at < h->since)
		return 0;
	/* owned holds two documents per version: it is kept at twice v's capacity. */
	size_t cap = h->cap, owned_cap = 2 * h->cap;
	answer_version *v = growth_reserve(h->v, &cap, h->n + 1, sizeof *v);
	if (v != NULL)
		h->v = v;
	json_t **owned = v == NULL ? NULL : growth_reserve(h->owned, &owned_cap, 2 * cap, sizeof *owned);
	if (owned != NULL)
		h->owned = owned;
	if (v == NULL || owned == NULL) {
		h->failed = true;
		return 1;
	}
	h->cap = cap;
	json_t *answers = json_loads(r->answers_json, 0, NULL), *flags = json_loads(r->flags_json, 0, NULL);
	h->owned[2 * h->n] = answers;
	h->owned[2 * h->n + 1] = flags;
	const questionnaire *q = intake_questionnaire(h->cat, r->questionnaire_id, r->questionnaire_version);
	h->v[h->n++] = (answer_version){.response_id = r->id, .number = h->count, .submitted_at = r->submitted_at,
	                                .answers = answers, .flags = flags, .q = q,
	                                .rules = q ? intake_rules_for(h->cat, q) : NULL};
	return 0;
}

static void history_clear(history *h)
{
	for (size_t i = 0; i < 2 * h->n; i++)
		json_decref(h->owned[i]);
	free(h->owned);
	free(h->v);
}

/* Evaluates the rules on answers (the age from the date of birth on file, see
 * answer_age_from_birth), then adds a flag for each earlier flag the answers no longer raise.
 * Runs inside the caller's transaction so the history cannot change under it. */
static intake_rc screen_answers(store *s, const intake_catalog *cat, const intake_policy *p, const actor *patient,
                                const questionnaire *q, const json_t *answers, int64_t now, json_t *flag_list,
                                int *worst, int *version_number)
{
	char today[11];
	jst_date(now, today);
	patient_profile profile;
	store_rc rc = store_profile_get(s, patient->id, &profile);
	if (rc == STORE_ERROR)
		return INTAKE_ERROR;
	json_t *for_rules = json_deep_copy(answers);
	if (for_rules == NULL)
		return INTAKE_ERROR;
	json_t *age_flag = rc == STORE_OK ? answer_age_from_birth(for_rules, profile.birth_date, today) : NULL;

	screening_flag flags[MAX_FLAGS];
	const screening_rules *rules = intake_rules_for(cat, q);
	int nflags = rules ? screening_evaluate(rules, for_rules, today, flags, MAX_FLAGS) : 0;
	json_decref(for_rules);
	if (nflags > MAX_FLAGS)
		nflags = MAX_FLAGS;
	for (int i = 0; i < nflags; i++)
		json_array_append_new(flag_list,
		                      json_pack("{s:s, s:s, s:{s:s, s:s}}", "rule", flags[i].rule_id, "level",
		                                screening_level_name(flags[i].level), "reason", "ja", flags[i].reason_ja, "en",
		                                flags[i].reason_en));
	if (age_flag != NULL)
		json_array_append_new(flag_list, age_flag);

	history h = {.since = now - p->questionnaire_valid_seconds, .cat = cat};
	if (store_response_list(s, patient->id, keep_version, &h) != STORE_OK || h.failed) {
		history_clear(&h);
		return INTAKE_ERROR;
	}
	*version_number = h.count + 1;
	answer_version current = {.number = h.count + 1, .submitted_at = now, .answers = answers, .flags = flag_list,
	                          .q = q, .rules = rules};
	json_t *changes = answer_changes(&current, h.v, h.n);
	history_clear(&h);
	if (changes == NULL)
		return INTAKE_ERROR;
	json_array_extend(flag_list, changes);
	json_decref(changes);

	*worst = 3;
	size_t i;
	const json_t *f;
	json_array_foreach(flag_list, i, f) {
		int level = screening_level_from_name(json_string_value(json_object_get(f, "level")));
		if (level >= 0 && level < *worst)
			*worst = level;
	}
	return INTAKE_OK;
}

intake_rc intake_submit_answers(store *s, const intake_catalog *cat, const intake_policy *p, const actor *patient,
                                const char *questionnaire_id, int version, const json_t *answers, int64_t now,
                                answer_error *errors, int max_errors, int *error_count, response_record *out)
{
	*error_count = 0;
	const questionnaire *current = intake_current_questionnaire(cat, questionnaire_id);
	if (current == NULL)
		return INTAKE_NOT_FOUND;
	if (version != questionnaire_version(current))
		return intake_questionnaire(cat, questionnaire_id, version) ? INTAKE_QUESTIONNAIRE_OUTDATED : INTAKE_NOT_FOUND;

	json_t *normalized = NULL;
	int n = questionnaire_validate(current, answers, errors, max_errors, &normalized);
	if (n > 0) {
		*error_count = n < max_errors ? n : max_errors;
		return INTAKE_INVALID_ANSWERS;
	}

	if (store_begin(s) != STORE_OK) {
		json_decref(normalized);
		return INTAKE_ERROR;
	}
	json_t *flag_list = json_array();
	int worst = 3, number = 0;
	intake_rc result = screen_answers(s, cat, p, patient, current, normalized, now, flag_list, &worst, &number);
	response_record r = {0};
	r.patient_id = patient->id;
	snprintf(r.questionnaire_id, sizeof r.questionnaire_id, "%s", questionnaire_id);
	r.questionnaire_version = version;
	r.answers_json = json_dumps(normalized, JSON_COMPACT | JSON_SORT_KEYS);
	r.flags_json = json_dumps(flag_list, JSON_COMPACT);
	snprintf(r.worst_level, sizeof r.worst_level, "%s", level_rank_name(worst));
	r.submitted_at = now;
	size_t nflags = json_array_size(flag_list);
	json_decref(normalized);
	json_decref(flag_list);
	if (result != INTAKE_OK || r.answers_json == NULL || r.flags_json == NULL || store_response_insert(s, &r) != STORE_OK) {
		store_rollback(s);
		response_record_clear(&r);
		return INTAKE_ERROR;
	}
	char detail[128];
	snprintf(detail, sizeof detail, "%s v%d response %lld (patient's version %d), %zu flags, worst %s",
	         questionnaire_id, version, (long long)r.id, number, nflags, r.worst_level);
	if (!service_audit(s, patient, "questionnaire.submit", "patient", patient->id, detail) || !service_commit(s)) {
		store_rollback(s);
		response_record_clear(&r);
		return INTAKE_ERROR;
	}
	*out = r;
	return INTAKE_OK;
}

/* ---- consent ---- */

bool intake_consent_current(const intake_catalog *cat, const consent_record *c)
{
	const consent_text *current = intake_current_consent(cat, c->consent_id);
	return c->withdrawn_at == 0 && current != NULL && current->version == c->consent_version;
}

const char *intake_consent_state(const intake_catalog *cat, const consent_record *c)
{
	if (c == NULL || c->id == 0)
		return "none";
	if (c->withdrawn_at != 0)
		return "withdrawn";
	return intake_consent_current(cat, c) ? "current" : "outdated";
}

intake_rc intake_accept_consent(store *s, const intake_catalog *cat, const actor *patient, const char *consent_id,
                                int version, const char *lang, const char *sha256, int64_t now, consent_record *out)
{
	const consent_text *current = intake_current_consent(cat, consent_id);
	if (current == NULL)
		return INTAKE_NOT_FOUND;
	if (version != current->version)
		return intake_consent(cat, consent_id, version) ? INTAKE_CONSENT_OUTDATED : INTAKE_NOT_FOUND;
	const char *expected = strcmp(lang, "en") == 0 ? current->sha256_en : current->sha256_ja;
	if (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0)
		return INTAKE_INVALID;
	if (strcmp(sha256, expected) != 0)
		return INTAKE_CONSENT_MISMATCH;

	consent_record c = {0};
	c.patient_id = patient->id;
	snprintf(c.consent_id, sizeof c.consent_id, "%s", consent_id);
	c.consent_version = version;
	snprintf(c.lang, sizeof c.lang, "%s", lang);
	snprintf(c.text_sha256, sizeof c.text_sha256, "%s", sha256);
	c.accepted_at = now;
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	if (store_consent_insert(s, &c) != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	char detail[128];
	snprintf(detail, sizeof detail, "%s v%d %s sha256 %.16s…", consent_id, version, lang, sha256);
	if (!service_audit(s, patient, "consent.accept", "patient", patient->id, detail))
		return service_rollback(s, INTAKE_ERROR);
	if (!service_commit(s))
		return INTAKE_ERROR;
	*out = c;
	return INTAKE_OK;
}

intake_rc intake_withdraw_consent(store *s, const actor *patient, int64_t now)
{
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	consent_record c;
	store_rc rc = store_consent_latest(s, patient->id, &c);
	if (rc == STORE_ERROR)
		return service_rollback(s, INTAKE_ERROR);
	if (rc == STORE_NOT_FOUND || c.withdrawn_at != 0)
		return service_rollback(s, INTAKE_NO_CONSENT);
	if (store_consent_withdraw(s, c.id, now) != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	return service_audit_commit(s, patient, "consent.withdraw", "patient", patient->id, "") ? INTAKE_OK
	                                                                                        : INTAKE_ERROR;
}

/* ---- decision ---- */

static bool blank(const char *s)
{
	return s == NULL || *s == '\0';
}

/* ---- consultation calls ---- */

intake_rc intake_record_call(store *s, const actor *doctor, int64_t booking_id, const char *outcome, int64_t called_at,
                             const char *notes, int64_t now, call_record *out, const char **field_out)
{
	*field_out = NULL;
	bool held = outcome != NULL && strcmp(outcome, "held") == 0;
	if (!held && (outcome == NULL || strcmp(outcome, "not_reached") != 0)) {
		*field_out = "outcome";
		return INTAKE_INVALID;
	}
	/* What was discussed is the record of the consultation; a failed attempt may say nothing. */
	if (held && blank(notes)) {
		*field_out = "notes";
		return INTAKE_INVALID;
	}
	if (called_at == 0)
		called_at = now;
	if (store_begin(s) != STORE_OK)
		return INTAKE_ERROR;
	booking_record b;
	store_rc rc = store_booking_get(s, booking_id, &b);
	if (rc == STORE_ERROR)
		return service_rollback(s, INTAKE_ERROR);
	if (rc == STORE_NOT_FOUND || strcmp(b.status, "booked") != 0)
		return service_rollback(s, INTAKE_NOT_FOUND);
	/* A call cannot have happened before it was due: the clock, not the doctor, decides. */
	if (now < b.starts_at)
		return service_rollback(s, INTAKE_CALL_TOO_EARLY);
	if (called_at < b.starts_at || called_at > now) {
		*field_out = "called_at";
		return service_rollback(s, INTAKE_INVALID);
	}
	call_record c = {0};
	c.booking_id = booking_id;
	c.patient_id = b.patient_id;
	c.doctor_id = doctor->id;
	snprintf(c.outcome, sizeof c.outcome, "%s", held ? "held" : "not_reached");
	c.called_at = called_at;
	snprintf(c.notes, sizeof c.notes, "%s", notes ? notes : "");
	c.recorded_at = now;
	rc = store_call_insert(s, &c);
	if (rc == STORE_CONFLICT)
		return service_rollback(s, INTAKE_CALL_ALREADY_HELD);
	if (rc != STORE_OK)
		return service_rollback(s, INTAKE_ERROR);
	char detail[128], at[ISO8601_LEN];
	time_iso8601(called_at, at);
	snprintf(detail, sizeof detail, "call %lld %s at %s, patient %lld", (long long)c.id, c.outcome, at,
	         (long long)c.patient_id);
	if (!service_audit(s, doctor, "consultation.call", "booking", booking_id, detail))
		return service_rollback(s, INTAKE_ERROR);
	if (!service_commit(s))
		return INTAKE_ERROR;
	c.slot_starts_at = b.starts_at;
	*out = c;
	return INTAKE_OK;
}

/* Checks the approval fields; returns the failing field or NULL. */
static const char *check_approval(const decision_input *in, int64_t now)
{
	if (in->product_id <= 0)
		return "product_id";
	if (in->quantity < 1 || in->quantity > 12)
		return "quantity";
	if (blank(in->directions))
		return "directions";
	int64_t start, end, today_start, today_end;
	char today[11];
	jst_date(now, today);
	if (blank(in->valid_until) || jst_day_bounds(in->valid_until, &start, &end) != 0 ||
	    jst_day_bounds(today, &today_start, &today_end) != 0)
		return "valid_until";
	if (start < today_start || start > today_start + 366LL * 86400)
		return "valid_until";
	return NULL;
}

/* The checks of an approval inside the decision's transaction (current questionnaire version,
 * answers still valid, consent in force, an override reason for a block or answer-changed
 * flag, a held call or a reason, a known product), filling the approval's part of *d. */
static intake_rc check_approval_in_tx(store *s, const intake_catalog *cat, const intake_policy *p, int64_t patient_id,
                                      const decision_input *in, const response_record *chosen, int64_t now,
                                      decision_record *d, const char **field_out)
{
	const questionnaire *current = intake_current_questionnaire(cat, chosen->questionnaire_id);
	if (current == NULL || questionnaire_version(current) != chosen->questionnaire_version)
		return INTAKE_QUESTIONNAIRE_OUTDATED;
	if (now - chosen->submitted_at > p->questionnaire_valid_seconds)
		return INTAKE_QUESTIONNAIRE_EXPIRED;
	consent_record consent;
	store_rc rc = store_consent_latest(s, patient_id, &consent);
	if (rc == STORE_ERROR)
		return INTAKE_ERROR;
	if (rc == STORE_NOT_FOUND || !intake_consent_current(cat, &consent))
		return INTAKE_CONSENT_REQUIRED;
	/* A block, or an answer-changed flag (a block or needs-attention flag earlier answers
	 * raised and these do not), is approved only with a written reason. */
	json_t *flags = json_loads(chosen->flags_json, 0, NULL);
	bool need_override = answer_flags_need_override(flags, chosen->worst_level);
	json_decref(flags);
	if (need_override && blank(in->override_reason)) {
		*field_out = "override_reason";
		return INTAKE_OVERRIDE_REQUIRED;
	}
	/* The consultation: a held call no older than the answers may be, or a written reason. */
	call_record call;
	rc = store_call_latest_held(s, patient_id, now - p->questionnaire_valid_seconds, now, &call);
	if (rc == STORE_ERROR)
		return INTAKE_ERROR;
	if (rc == STORE_OK) {
		d->call_id = call.id;
	} else if (blank(in->no_call_reason)) {
		*field_out = "no_call_reason";
		return INTAKE_CALL_REQUIRED;
	} else {
		snprintf(d->no_call_reason, sizeof d->no_call_reason, "%s", in->no_call_reason);
	}
	product_record product;
	rc = store_product_get(s, in->product_id, &product);
	if (rc == STORE_ERROR)
		return INTAKE_ERROR;
	if (rc == STORE_NOT_FOUND) {
		*field_out = "product_id";
		return INTAKE_INVALID;
	}
	d->consent_id = consent.id;
	d->product_id = product.id;
	snprintf(d->product, sizeof d->product, "%s", product.name_ja);
	d->quantity = in->quantity;
	snprintf(d->directions, sizeof d->directions, "%s", in->directions);
	snprintf(d->valid_until, sizeof d->valid_until, "%s", in->valid_until);
	snprintf(d->override_reason, sizeof d->override_reason, "%s", in->override_reason ? in->override_reason : "");
	return INTAKE_OK;
}

intake_rc intake_decide(store *s, const mail_settings *mail, const intake_catalog *cat, const intake_policy *p,
                        const actor *doctor, int64_t patient_id, const decision_input *in, int64_t now,
                        decision_record *out, const char **field_out)
{
	*field_out = NULL;
	if (in->approve) {
		if ((*field_out = check_approval(in, now)) != NULL)
			return INTAKE_INVALID;
	} else if (blank(in->decline_reason)) {
		*field_out = "decline_reason";
		return INTAKE_INVALID;
	}
	if (blank(in->notes)) {
		*field_out = "notes";
		return INTAKE_INVALID;
	}

	intake_rc found = begin_with_user(s, patient_id, ROLE_PATIENT);
	if (found != INTAKE_OK)
		return found;

	response_record latest = {0}, chosen = {0};
	intake_rc result = INTAKE_ERROR;
	store_rc rc = store_response_get(s, in->response_id, &chosen);
	if (rc == STORE_ERROR)
		goto fail;
	if (rc == STORE_NOT_FOUND || chosen.patient_id != patient_id) {
		result = INTAKE_NOT_FOUND;
		goto fail;
	}
	decision_record existing;
	rc = store_decision_for_response(s, in->response_id, &existing);
	if (rc == STORE_ERROR)
		goto fail;
	if (rc == STORE_OK) {
		result = INTAKE_ALREADY_DECIDED;
		goto fail;
	}
	if (store_response_latest(s, patient_id, &latest) != STORE_OK)
		goto fail;
	if (latest.id != chosen.id) {
		result = INTAKE_RESPONSE_SUPERSEDED;
		goto fail;
	}

	decision_record d = {0};
	if (in->approve) {
		intake_rc checked = check_approval_in_tx(s, cat, p, patient_id, in, &chosen, now, &d, field_out);
		if (checked != INTAKE_OK) {
			result = checked;
			goto fail;
		}
	} else {
		snprintf(d.decline_reason, sizeof d.decline_reason, "%s", in->decline_reason);
	}
	d.patient_id = patient_id;
	d.doctor_id = doctor->id;
	d.response_id = chosen.id;
	snprintf(d.decision, sizeof d.decision, "%s", in->approve ? "approved" : "declined");
	snprintf(d.notes, sizeof d.notes, "%s", in->notes);
	d.decided_at = now;
	rc = store_decision_insert(s, &d);
	if (rc == STORE_CONFLICT) {
		result = INTAKE_ALREADY_DECIDED;
		goto fail;
	}
	if (rc != STORE_OK)
		goto fail;
	char detail[224];
	snprintf(detail, sizeof detail, "%s response %lld%s%s", d.decision, (long long)d.response_id,
	         blank(d.override_reason) ? "" : " over a block or answer-changed flag (override reason recorded)",
	         blank(d.no_call_reason) ? "" : " without a held call (reason recorded)");
	if (!service_audit(s, doctor, "treatment.decide", "patient", patient_id, detail) ||
	    mail_event_decided(s, mail, &d) != STORE_OK)
		goto fail;
	response_record_clear(&latest);
	response_record_clear(&chosen);
	if (!service_commit(s))
		return INTAKE_ERROR;
	if (store_decision_for_response(s, d.response_id, out) != STORE_OK)
		*out = d;
	return INTAKE_OK;
fail:
	response_record_clear(&latest);
	response_record_clear(&chosen);
	return service_rollback(s, result);
}
