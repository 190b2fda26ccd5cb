/* The intake service with a controlled clock: cut-offs, expiry, the rules of approval, and
 * that every refused operation leaves the database as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timefmt.h"
#include "service/intake.h"

#include "testutil_store.h"

#define DAY 86400
#define T0 ((int64_t)1795564800) /* 2026-11-25T00:00:00Z */

typedef struct fixture {
	char dir[64], path[128];
	store *s;
	intake_catalog *cat;
	actor doctor, patient, other;
	int64_t product_id;
	intake_policy policy;
} fixture;

static int64_t add_user(store *s, const char *email, user_role role)
{
	user_record u = {0};
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.name, sizeof u.name, "%s", email);
	snprintf(u.password_hash, sizeof u.password_hash, "x");
	u.role = role;
	u.created_at = T0;
	if (store_user_insert(s, &u) != STORE_OK)
		return 0;
	return u.id;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	char err[512];
	if (test_store_open("intake", f->dir, f->path, &f->s) != 0)
		return -1;
	f->cat = intake_catalog_load("data", err, sizeof err);
	if (f->cat == NULL) {
		fprintf(stderr, "catalog: %s\n", err);
		return -1;
	}
	f->doctor = (actor){.id = add_user(f->s, "d@x.example", ROLE_DOCTOR), .role = ROLE_DOCTOR};
	f->patient = (actor){.id = add_user(f->s, "p@x.example", ROLE_PATIENT), .role = ROLE_PATIENT};
	f->other = (actor){.id = add_user(f->s, "q@x.example", ROLE_PATIENT), .role = ROLE_PATIENT};
	product_record product = {.code = "CREAM", .name_ja = "クリーム", .name_en = "Cream", .form = "cream",
	                          .manufacturer = "M", .country = "JP", .source_cell_type = "adipose MSC",
	                          .storage_min_c = 2, .storage_max_c = 8, .excursion_allowance_minutes = 60,
	                          .shelf_life_days = 365, .price_jpy = 22000, .tax_rate_percent = 10, .created_at = T0};
	if (store_product_insert(f->s, &product) != STORE_OK)
		return -1;
	f->product_id = product.id;
	f->policy = (intake_policy){.cutoff_seconds = 3600, .questionnaire_valid_seconds = 90LL * DAY};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	intake_catalog_free(f->cat);
	int rc = test_store_close(f->dir, f->s);
	free(f);
	return rc;
}

static long long rows(fixture *f, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
#ifdef TEST_PG
	return test_pg_scalar(f->path, sql);
#else
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;
	sqlite3_open(f->path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
#endif
}

/* Publishes one 10-minute slot at t and returns its id. */
static int64_t slot_at(fixture *f, int64_t t, int64_t now)
{
	int created = 0;
	assert_int_equal(intake_publish_slots(f->s, &f->doctor, f->doctor.id, t, t + 600, 10, now, &created), INTAKE_OK);
	assert_int_equal(created, 1);
	int64_t id = 0;
#ifdef TEST_PG
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT id FROM consultation_slots WHERE starts_at = %lld", (long long)t);
	id = test_pg_scalar(f->path, sql);
#else
	sqlite3 *db;
	sqlite3_stmt *st;
	sqlite3_open(f->path, &db);
	sqlite3_prepare_v2(db, "SELECT id FROM consultation_slots WHERE starts_at = ?", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, t);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
#endif
	return id;
}

static void test_cutoff(void **state)
{
	fixture *f = *state;
	int64_t call = T0 + 2 * DAY;
	int64_t slot = slot_at(f, call, T0), other = slot_at(f, call + 600, T0);
	booking_record b;
	assert_int_equal(intake_book(f->s, NULL, &f->patient, slot, T0, &b), INTAKE_OK);
	/* 59 minutes before the call is past the 60-minute cut-off. */
	assert_int_equal(intake_cancel(f->s, NULL, &f->patient, &f->policy, b.id, call - 59 * 60), INTAKE_TOO_LATE);
	assert_int_equal(intake_reschedule(f->s, NULL, &f->patient, &f->policy, b.id, other, call - 59 * 60, &b),
	                 INTAKE_TOO_LATE);
	assert_int_equal(rows(f, "bookings"), 1);
	/* Someone else's booking is not there at all. */
	assert_int_equal(intake_cancel(f->s, NULL, &f->other, &f->policy, b.id, T0), INTAKE_NOT_FOUND);
	assert_int_equal(intake_cancel(f->s, NULL, &f->patient, &f->policy, b.id, call - 61 * 60), INTAKE_OK);
	/* Once the slot has started it cannot be booked. */
	assert_int_equal(intake_book(f->s, NULL, &f->other, slot, call, &b), INTAKE_SLOT_PAST);
	assert_int_equal(intake_book(f->s, NULL, &f->other, slot, call - 1, &b), INTAKE_OK);
}

static void test_reschedule_to_taken_slot_keeps_the_old_booking(void **state)
{
	fixture *f = *state;
	int64_t call = T0 + 3 * DAY;
	int64_t a = slot_at(f, call, T0), b = slot_at(f, call + 600, T0);
	booking_record mine, theirs, moved;
	assert_int_equal(intake_book(f->s, NULL, &f->patient, a, T0, &mine), INTAKE_OK);
	assert_int_equal(intake_book(f->s, NULL, &f->other, b, T0, &theirs), INTAKE_OK);
	assert_int_equal(intake_reschedule(f->s, NULL, &f->patient, &f->policy, mine.id, b, T0, &moved),
	                 INTAKE_SLOT_TAKEN);
	booking_record again;
	assert_int_equal(store_booking_get(f->s, mine.id, &again), STORE_OK);
	assert_string_equal(again.status, "booked");
	assert_int_equal(rows(f, "bookings"), 2);
}

static json_t *clean_answers(void)
{
	return json_pack("{s:i, s:b, s:b, s:b, s:b, s:[s], s:s, s:b, s:b, s:b, s:b}", "age", 40, "allergy", 0,
	                 "allergy_biologic", 0, "allergy_cosmetic", 0, "anaphylaxis", 0, "skin_site", "none", "pregnancy",
	                 "not_applicable", "immunosuppression", 0, "cancer", 0, "malignancy", 0, "prior_treatment", 0);
}

static int64_t submit(fixture *f, json_t *answers, int64_t now)
{
	answer_error errors[8];
	int n = 0;
	response_record r;
	int version = questionnaire_version(intake_current_questionnaire(f->cat, INTAKE_QUESTIONNAIRE_ID));
	intake_rc rc = intake_submit_answers(f->s, f->cat, &f->policy, &f->patient, INTAKE_QUESTIONNAIRE_ID, version, answers,
	                                     now, errors, 8, &n, &r);
	json_decref(answers);
	assert_int_equal(rc, INTAKE_OK);
	int64_t id = r.id;
	response_record_clear(&r);
	return id;
}

static void accept_consent(fixture *f, int64_t now)
{
	const consent_text *c = intake_current_consent(f->cat, INTAKE_CONSENT_ID);
	assert_non_null(c);
	consent_record rec;
	assert_int_equal(intake_accept_consent(f->s, f->cat, &f->patient, c->id, c->version, "ja", c->sha256_ja, now, &rec),
	                 INTAKE_OK);
}

/* Books the patient's call at t (published and booked a day before) and returns the booking. */
static int64_t booked_call(fixture *f, int64_t t)
{
	int64_t slot = slot_at(f, t, t - DAY);
	booking_record b;
	assert_int_equal(intake_book(f->s, NULL, &f->patient, slot, t - DAY + 1, &b), INTAKE_OK);
	return b.id;
}

/* A call with the patient held at t (recorded a minute later); returns the call's id. */
static int64_t held_call(fixture *f, int64_t t)
{
	int64_t booking = booked_call(f, t);
	call_record c;
	const char *field;
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", t, "discussed", t + 60, &c, &field), INTAKE_OK);
	return c.id;
}

static decision_input approval(const fixture *f, int64_t response_id)
{
	return (decision_input){.response_id = response_id, .approve = true, .notes = "ok", .product_id = f->product_id,
	                        .quantity = 1, .directions = "daily", .valid_until = "2026-12-20"};
}

static void test_expired_answers_cannot_back_an_approval(void **state)
{
	fixture *f = *state;
	int64_t rid = submit(f, clean_answers(), T0 - 91 * DAY);
	accept_consent(f, T0);
	decision_input in = approval(f, rid);
	decision_record d;
	const char *field;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_QUESTIONNAIRE_EXPIRED);
	assert_int_equal(rows(f, "treatment_decisions"), 0);
	rid = submit(f, clean_answers(), T0);
	in = approval(f, rid);
	held_call(f, T0 - 3600);
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_OK);
	assert_string_equal(d.decision, "approved");
	assert_int_equal(d.quantity, 1);
	assert_int_equal(d.product_id, f->product_id);
	assert_string_equal(d.product, "クリーム");
}

static void test_withdrawn_consent_blocks_approval(void **state)
{
	fixture *f = *state;
	int64_t rid = submit(f, clean_answers(), T0);
	accept_consent(f, T0);
	held_call(f, T0 - 3600);
	assert_int_equal(intake_withdraw_consent(f->s, &f->patient, T0 + 10), INTAKE_OK);
	decision_input in = approval(f, rid);
	decision_record d;
	const char *field;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0 + 20, &d, &field),
	                 INTAKE_CONSENT_REQUIRED);
	/* A new acceptance after the withdrawal counts. */
	accept_consent(f, T0 + 30);
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0 + 40, &d, &field),
	                 INTAKE_OK);
}

static void test_approval_fields(void **state)
{
	fixture *f = *state;
	int64_t rid = submit(f, clean_answers(), T0);
	accept_consent(f, T0);
	held_call(f, T0 - 3600);
	decision_record d;
	const char *field = NULL;
	decision_input in = approval(f, rid);
	in.valid_until = "2028-01-01"; /* more than a year ahead */
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_INVALID);
	assert_string_equal(field, "valid_until");
	in = approval(f, rid);
	in.quantity = 13;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_INVALID);
	assert_string_equal(field, "quantity");
	in = approval(f, rid);
	in.product_id = 999;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_INVALID);
	assert_string_equal(field, "product_id");
	in = approval(f, rid);
	in.notes = "";
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_INVALID);
	assert_string_equal(field, "notes");
	/* The doctor cannot decide on a response of another patient. */
	in = approval(f, rid);
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->other.id, &in, T0, &d, &field),
	                 INTAKE_NOT_FOUND);
	assert_int_equal(rows(f, "treatment_decisions"), 0);
}

static void test_call_is_recorded_only_as_it_can_have_happened(void **state)
{
	fixture *f = *state;
	int64_t t = T0 + DAY;
	int64_t booking = booked_call(f, t);
	call_record c;
	const char *field = NULL;
	long long audit_before = rows(f, "audit_log");
	/* Before the slot starts: the call has not been due. */
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", 0, "n", t - 1, &c, &field),
	                 INTAKE_CALL_TOO_EARLY);
	/* A time before the slot, or after now. */
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", t - 1, "n", t + 60, &c, &field), INTAKE_INVALID);
	assert_string_equal(field, "called_at");
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", t + 61, "n", t + 60, &c, &field), INTAKE_INVALID);
	assert_string_equal(field, "called_at");
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", 0, "", t + 60, &c, &field), INTAKE_INVALID);
	assert_string_equal(field, "notes");
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "maybe", 0, "n", t + 60, &c, &field), INTAKE_INVALID);
	assert_int_equal(intake_record_call(f->s, &f->doctor, 9999, "held", 0, "n", t + 60, &c, &field), INTAKE_NOT_FOUND);
	assert_int_equal(rows(f, "consultation_calls"), 0);
	assert_int_equal(rows(f, "audit_log"), audit_before);
	/* The slot's start itself is a valid time; now is the default. */
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "not_reached", 0, "", t, &c, &field), INTAKE_OK);
	assert_int_equal(c.called_at, t);
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", t + 300, "n", t + 600, &c, &field), INTAKE_OK);
	assert_int_equal(intake_record_call(f->s, &f->doctor, booking, "held", 0, "n", t + 700, &c, &field),
	                 INTAKE_CALL_ALREADY_HELD);
	assert_int_equal(rows(f, "consultation_calls"), 2);
	assert_int_equal(rows(f, "audit_log"), audit_before + 2);
}

static void test_approval_needs_a_recent_held_call_or_a_reason(void **state)
{
	fixture *f = *state;
	/* Answers today; the only held call is 91 days old, a failed attempt is recent. */
	held_call(f, T0 - 91 * DAY);
	int64_t missed = booked_call(f, T0 - 3600);
	call_record c;
	const char *field = NULL;
	assert_int_equal(intake_record_call(f->s, &f->doctor, missed, "not_reached", 0, "", T0 - 3000, &c, &field), INTAKE_OK);
	int64_t rid = submit(f, clean_answers(), T0);
	accept_consent(f, T0);
	decision_input in = approval(f, rid);
	decision_record d;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_CALL_REQUIRED);
	assert_string_equal(field, "no_call_reason");
	assert_int_equal(rows(f, "treatment_decisions"), 0);
	/* A decline needs no call. */
	decision_input decline = {.response_id = rid, .approve = false, .notes = "n", .decline_reason = "not reached"};
	/* With a written reason the approval is recorded, and the reason with it. */
	in.no_call_reason = "video consultation instead of the phone";
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_OK);
	assert_string_equal(d.no_call_reason, "video consultation instead of the phone");
	assert_int_equal(d.call_id, 0);
	/* The next answers: declined without any call; then a call held 89 days before approving. */
	rid = submit(f, clean_answers(), T0 + DAY);
	decline.response_id = rid;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &decline, T0 + DAY, &d,
	                               &field),
	                 INTAKE_OK);
	rid = submit(f, clean_answers(), T0 + 2 * DAY);
	int64_t call = held_call(f, T0 + 2 * DAY + 3600);
	in = approval(f, rid);
	in.valid_until = "2027-03-01";
	int64_t later = T0 + 2 * DAY + 3600 + 89 * DAY;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, later, &d, &field),
	                 INTAKE_OK);
	assert_int_equal(d.call_id, call);
	assert_string_equal(d.no_call_reason, "");
}

static void test_flags_are_stored_with_the_answers(void **state)
{
	fixture *f = *state;
	json_t *a = clean_answers();
	json_object_set_new(a, "age", json_integer(19));
	json_object_set_new(a, "immunosuppression", json_true());
	json_object_set_new(a, "immunosuppression_detail", json_string("プレドニゾロン"));
	int64_t rid = submit(f, a, T0);
	response_record r;
	assert_int_equal(store_response_get(f->s, rid, &r), STORE_OK);
	assert_string_equal(r.worst_level, "block");
	assert_non_null(strstr(r.flags_json, "\"under-20\""));
	assert_non_null(strstr(r.flags_json, "\"immunosuppression\""));
	assert_true(strstr(r.flags_json, "under-20") < strstr(r.flags_json, "\"immunosuppression\""));
	response_record_clear(&r);
}

/* The journey of issue 13: anaphylaxis and possible pregnancy, then "no" to both a minute
 * later. The second version shows both changes and cannot be approved without a reason. */
static void test_changed_answers_need_an_override(void **state)
{
	fixture *f = *state;
	json_t *a = clean_answers();
	json_object_set_new(a, "anaphylaxis", json_true());
	json_object_set_new(a, "pregnancy", json_string("possibly_pregnant"));
	submit(f, a, T0 - 60);
	int64_t rid = submit(f, clean_answers(), T0);
	response_record r;
	assert_int_equal(store_response_get(f->s, rid, &r), STORE_OK);
	assert_string_equal(r.worst_level, "needs-attention");
	assert_non_null(strstr(r.flags_json, "\"changed_rule\":\"prior-anaphylaxis\""));
	assert_non_null(strstr(r.flags_json, "妊娠・授乳・妊娠の可能性 『妊娠している可能性がある』→『あてはまらない』（第1版 "));
	response_record_clear(&r);
	accept_consent(f, T0);
	held_call(f, T0 - 30);
	decision_input in = approval(f, rid);
	decision_record d;
	const char *field = NULL;
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_OVERRIDE_REQUIRED);
	assert_string_equal(field, "override_reason");
	assert_int_equal(rows(f, "treatment_decisions"), 0);
	in.override_reason = "電話で確認:アナフィラキシーは誤回答、妊娠の可能性なし";
	assert_int_equal(intake_decide(f->s, NULL, f->cat, &f->policy, &f->doctor, f->patient.id, &in, T0, &d, &field),
	                 INTAKE_OK);

	/* Versions older than the validity window are not compared. */
	a = clean_answers();
	json_object_set_new(a, "anaphylaxis", json_true());
	submit(f, a, T0 + 1);
	rid = submit(f, clean_answers(), T0 + 2 + f->policy.questionnaire_valid_seconds);
	assert_int_equal(store_response_get(f->s, rid, &r), STORE_OK);
	assert_string_equal(r.worst_level, "none");
	response_record_clear(&r);
}

/* The age rules use the date of birth on file; a different answered age is flagged. */
static void test_age_comes_from_the_date_of_birth(void **state)
{
	fixture *f = *state;
	patient_profile profile = {.user_id = f->patient.id, .name_kana = "テスト", .sex = "male", .phone = "090-0000-0000"};
	char today[11], tomorrow[11];
	jst_date(T0, today);
	jst_date(T0 + DAY, tomorrow);
	/* Turns 20 tomorrow (JST): 19 today. */
	char birth[32];
	snprintf(birth, sizeof birth, "%04d-%.5s", atoi(today) - 20, tomorrow + 5);
	memcpy(profile.birth_date, birth, sizeof profile.birth_date - 1);
	assert_int_equal(store_profile_insert(f->s, &profile), STORE_OK);
	int64_t rid = submit(f, clean_answers(), T0); /* answers 40 */
	response_record r;
	assert_int_equal(store_response_get(f->s, rid, &r), STORE_OK);
	assert_string_equal(r.worst_level, "block");
	assert_non_null(strstr(r.flags_json, "\"under-20\""));
	assert_non_null(strstr(r.flags_json, "\"age-mismatch\""));
	response_record_clear(&r);
}

/* The patients' mails are queued with the operation only when the caller passes the mail
 * settings: a booking queues its confirmation and reminder, a cancellation withdraws the
 * reminder, and NULL (exosafe demo, these other tests) queues nothing. */
static void test_mail_only_with_mail_settings(void **state)
{
	fixture *f = *state;
	mail_settings mail = {.data_dir = "data", .public_url = "https://clinic.example", .reminder_seconds = DAY};
	int64_t call = T0 + 2 * DAY;
	int64_t slot = slot_at(f, call, T0), other = slot_at(f, call + 600, T0);
	booking_record b;
	assert_int_equal(intake_book(f->s, NULL, &f->other, other, T0, &b), INTAKE_OK);
	assert_int_equal(rows(f, "mail_outbox"), 0);
	assert_int_equal(intake_book(f->s, &mail, &f->patient, slot, T0, &b), INTAKE_OK);
	assert_int_equal(rows(f, "mail_outbox WHERE kind = 'booking_confirmation'"), 1);
	assert_int_equal(rows(f, "mail_outbox WHERE kind = 'booking_reminder' AND status = 'queued'"), 1);
	assert_int_equal(intake_cancel(f->s, &mail, &f->patient, &f->policy, b.id, T0), INTAKE_OK);
	assert_int_equal(rows(f, "mail_outbox WHERE kind = 'booking_reminder' AND status = 'queued'"), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cutoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reschedule_to_taken_slot_keeps_the_old_booking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_answers_cannot_back_an_approval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdrawn_consent_blocks_approval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approval_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_are_stored_with_the_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_answers_need_an_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_comes_from_the_date_of_birth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_is_recorded_only_as_it_can_have_happened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approval_needs_a_recent_held_call_or_a_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_only_with_mail_settings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
