/* Fault-injection rows of the people side: accounts, intake, the clinic's details, password
 * reset and mail. One row per service operation that writes; its setup and its call. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "service/clinic.h"
#include "service/mail.h"
#include "service/mail_events.h"
#include "service/mail_sender.h"
#include "service/password_reset.h"
#include "service/trace.h"
#include "tests/fault/fault.h"

/* ---- accounts ---- */

static int run_account_create(store *s, world *w)
{
	patient_profile profile = {0, "シンキ ハナコ", "1990-03-04", "female", "080-3333-4444", "", ""};
	user_record u = {.role = ROLE_PATIENT};
	snprintf(u.email, sizeof u.email, "new@fault.example");
	snprintf(u.name, sizeof u.name, "新規 花子");
	actor self = {.self = true, .role = ROLE_PATIENT};
	return accounts_create(s, &self, "auth.signup", &u, PATIENT_PASSWORD, &profile) != ACCOUNTS_OK;
}

static const login_limits limits = {.window_seconds = 900, .max_per_account = 5, .max_per_address = 20};
static const session_limits sessions = {.idle_seconds = 1800, .absolute_seconds = 12 * 3600};

static int run_login(store *s, world *w)
{
	login_attempt a = {"p1@fault.example", PATIENT_PASSWORD, "192.0.2.1", NULL};
	user_record u;
	char device[TOKEN_TEXT_MAX];
	return accounts_login(s, &limits, &a, w->t0, &u, device) != ACCOUNTS_OK || device[0] == '\0';
}

/* Strangers' wrong guesses, then the right password from a browser the account knows (four:
 * a fifth would add the one-second pause to each of the run's many calls, and nothing else). */
static int setup_known_device(store *s, world *w)
{
	login_attempt a = {"p1@fault.example", PATIENT_PASSWORD, "192.0.2.1", NULL};
	user_record u;
	if (accounts_login(s, &limits, &a, w->t0, &u, w->device) != ACCOUNTS_OK || w->device[0] == '\0')
		return fail("known device: %s", s->errmsg);
	login_attempt wrong = {"p1@fault.example", "not-the-password", "198.51.100.7", NULL};
	for (int i = 0; i < 4; i++)
		if (accounts_login(s, &limits, &wrong, w->t0, &u, NULL) != ACCOUNTS_BAD_CREDENTIALS)
			return fail("known device guesses: %s", s->errmsg);
	return 0;
}

static int run_login_known_device(store *s, world *w)
{
	login_attempt a = {"p1@fault.example", PATIENT_PASSWORD, "203.0.113.9", w->device};
	user_record u;
	char device[TOKEN_TEXT_MAX];
	return accounts_login(s, &limits, &a, w->t0, &u, device) != ACCOUNTS_OK || device[0] != '\0';
}

static int run_login_wrong_password(store *s, world *w)
{
	login_attempt a = {"p1@fault.example", "not-the-password", "192.0.2.1", NULL};
	user_record u;
	return accounts_login(s, &limits, &a, w->t0, &u, NULL) != ACCOUNTS_BAD_CREDENTIALS;
}

static int run_session_start(store *s, world *w)
{
	user_record u;
	if (store_user_by_id(s, w->patient.id, &u) != STORE_OK)
		return 1;
	return accounts_session_start(s, &u, w->t0, "auth.login", w->token, &w->session) != ACCOUNTS_OK;
}

int setup_session(store *s, world *w)
{
	return run_session_start(s, w) ? fail("session: %s", s->errmsg) : 0;
}

static int run_session_resolve(store *s, world *w)
{
	session_record sr;
	user_record u;
	/* Ten minutes on: the session is refreshed (a write). */
	return accounts_session_resolve(s, &sessions, w->token, w->t0 + 600, &sr, &u) != ACCOUNTS_OK;
}

static int run_session_resolve_expired(store *s, world *w)
{
	session_record sr;
	user_record u;
	/* A day on: the expired session is deleted. */
	return accounts_session_resolve(s, &sessions, w->token, w->t0 + DAY, &sr, &u) != ACCOUNTS_SESSION_INVALID;
}

static int run_session_end(store *s, world *w)
{
	user_record u;
	if (store_user_by_id(s, w->patient.id, &u) != STORE_OK)
		return 1;
	return accounts_session_end(s, &w->session, &u) != ACCOUNTS_OK;
}

static int run_profile_update(store *s, world *w)
{
	user_record u;
	patient_profile p;
	if (store_user_by_id(s, w->patient.id, &u) != STORE_OK || store_profile_get(s, w->patient.id, &p) != STORE_OK)
		return 1;
	profile_change ch = {.name = "変更 太郎", .name_kana = "ヘンコウ タロウ", .phone = "090-9999-8888", .postal_code = "530-0001",
	                     .address = "大阪府大阪市北区1", .lang = "en", .email = "p1-new@fault.example",
	                     .current_password = PATIENT_PASSWORD, .address_from = "192.0.2.1"};
	return accounts_profile_update(s, &limits, &u, &p, &ch, w->t0) != ACCOUNTS_OK;
}

static int admin_apply(store *s, world *w, int64_t target, account_action action, user_role role)
{
	user_record out;
	int64_t ended = 0;
	return accounts_admin_apply(s, &w->admin, target, action, role, w->t0, &out, &ended) != ACCOUNTS_OK;
}

static int run_deactivate(store *s, world *w)
{
	return admin_apply(s, w, w->patient.id, ACCOUNT_DEACTIVATE, ROLE_NONE);
}

static int setup_deactivated(store *s, world *w)
{
	return run_deactivate(s, w) ? fail("deactivate: %s", s->errmsg) : 0;
}

static int run_reactivate(store *s, world *w)
{
	return admin_apply(s, w, w->patient.id, ACCOUNT_REACTIVATE, ROLE_NONE);
}

static int run_set_role(store *s, world *w)
{
	return admin_apply(s, w, w->doctor.id, ACCOUNT_SET_ROLE, ROLE_PHARMACIST);
}

static int run_force_reset(store *s, world *w)
{
	return admin_apply(s, w, w->patient.id, ACCOUNT_FORCE_PASSWORD_RESET, ROLE_NONE);
}

/* ---- intake ---- */

static int run_publish_slots(store *s, world *w)
{
	int created = 0;
	int64_t start = w->t0 + 3 * DAY;
	start -= start % 600;
	return intake_publish_slots(s, &w->doctor, w->doctor.id, start, start + 3600, 20, w->t0, &created) != INTAKE_OK ||
	       created != 3;
}

static int run_publish_pattern(store *s, world *w)
{
	char first[11], last[11];
	jst_date(w->t0 + 7 * DAY, first);
	jst_date(w->t0 + 9 * DAY, last);
	slot_pattern p = {.first_date = first, .last_date = last, .weekdays = 0x7f, .day_start = "10:00",
	                  .day_end = "11:00", .slot_minutes = 30};
	slot_pattern_result out = {0};
	const char *field, *reason;
	intake_rc rc = intake_publish_pattern(s, &w->doctor, w->doctor.id, &p, false, w->t0, &out, &field, &reason);
	free(out.starts);
	free(out.fate);
	return rc != INTAKE_OK || out.created != 6;
}

static int setup_free_slot(store *s, world *w)
{
	int64_t t = w->t0 + 2 * DAY;
	t -= t % 600;
	return (w->slot2_id = slot_at(s, w, t, w->t0)) ? 0 : fail("slot: %s", s->errmsg);
}

static int run_delete_slot(store *s, world *w)
{
	return intake_delete_slot(s, &w->doctor, w->slot2_id) != INTAKE_OK;
}

static int run_book(store *s, world *w)
{
	booking_record b;
	return intake_book(s, &w->mail, &w->patient2, w->slot2_id, w->t0, &b) != INTAKE_OK;
}

int setup_booked(store *s, world *w)
{
	booking_record b;
	if (setup_free_slot(s, w) || intake_book(s, &w->mail, &w->patient2, w->slot2_id, w->t0, &b) != INTAKE_OK)
		return fail("book: %s", s->errmsg);
	w->booking2_id = b.id;
	int64_t t = w->t0 + 2 * DAY + 1200;
	t -= t % 600;
	return (w->slot_id = slot_at(s, w, t, w->t0)) ? 0 : fail("slot: %s", s->errmsg);
}

static int run_cancel(store *s, world *w)
{
	return intake_cancel(s, &w->mail, &w->patient2, &w->policy, w->booking2_id, w->t0) != INTAKE_OK;
}

static int run_reschedule(store *s, world *w)
{
	booking_record b;
	return intake_reschedule(s, &w->mail, &w->patient2, &w->policy, w->booking2_id, w->slot_id, w->t0, &b) != INTAKE_OK;
}

static int run_submit_answers(store *s, world *w)
{
	return submit_answers(s, w, &w->patient2, w->t0, NULL) != 0;
}

static int run_accept_consent(store *s, world *w)
{
	return accept_consent(s, w, &w->patient2, w->t0) != 0;
}

static int run_withdraw_consent(store *s, world *w)
{
	return intake_withdraw_consent(s, &w->patient, w->t0) != INTAKE_OK;
}

static int setup_past_booking(store *s, world *w)
{
	int64_t call = w->t0 - 1800;
	call -= call % 600;
	booking_record b;
	if ((w->slot2_id = slot_at(s, w, call + 600 * 0, call - DAY)) == 0 ||
	    intake_book(s, &w->mail, &w->patient2, w->slot2_id, call - DAY + 60, &b) != INTAKE_OK)
		return fail("past booking: %s", s->errmsg);
	w->booking2_id = b.id;
	return 0;
}

static int run_record_call(store *s, world *w)
{
	call_record c;
	const char *field;
	return intake_record_call(s, &w->doctor, w->booking2_id, "held", w->t0 - 1200, "notes", w->t0, &c, &field) !=
	       INTAKE_OK;
}

static int setup_patient2_ready(store *s, world *w)
{
	call_record c;
	const char *field;
	if (setup_past_booking(s, w) || submit_answers(s, w, &w->patient2, w->t0 - 3000, &w->response_id) ||
	    accept_consent(s, w, &w->patient2, w->t0 - 2900) ||
	    intake_record_call(s, &w->doctor, w->booking2_id, "held", w->t0 - 1200, "n", w->t0 - 100, &c, &field) != INTAKE_OK)
		return fail("patient 2: %s", s->errmsg);
	return 0;
}

static int run_decide(store *s, world *w)
{
	char valid_until[11];
	jst_date(w->t0 + 30 * DAY, valid_until);
	decision_input in = {.response_id = w->response_id, .approve = true, .notes = "ok", .product_id = w->product_id,
	                     .quantity = 1, .directions = "daily", .valid_until = valid_until};
	decision_record d;
	const char *field;
	return intake_decide(s, &w->mail, w->cat, &w->policy, &w->doctor, w->patient2.id, &in, w->t0, &d, &field) != INTAKE_OK;
}

/* ---- clinic, password reset, mail ---- */

static int run_clinic_update(store *s, world *w)
{
	clinic_profile p;
	if (clinic_profile_get(s, &p) != CLINIC_OK)
		return 1;
	/* The stored details with a new name. */
	const char *raw[CLINIC_FIELD_COUNT] = {
		[CLINIC_NAME] = "試験クリニック", [CLINIC_POSTAL_CODE] = p.postal_code, [CLINIC_ADDRESS] = p.address,
		[CLINIC_PHONE] = p.phone, [CLINIC_HOURS] = p.hours, [CLINIC_EMAIL] = p.email, [CLINIC_BANK_NAME] = p.bank_name,
		[CLINIC_BANK_BRANCH] = p.bank_branch, [CLINIC_BANK_ACCOUNT_TYPE] = p.bank_account_type,
		[CLINIC_BANK_ACCOUNT_NUMBER] = p.bank_account_number, [CLINIC_BANK_ACCOUNT_HOLDER] = p.bank_account_holder,
		[CLINIC_DOCTOR_NAME] = p.doctor_name, [CLINIC_DOCTOR_LICENCE] = p.doctor_licence};
	clinic_profile out;
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	int nerr = 0;
	return clinic_profile_update(s, &w->admin, raw, false, &out, errs, &nerr) != CLINIC_OK;
}

static int run_clinic_load_demo(store *s, world *w)
{
	return clinic_profile_load_demo(s) != CLINIC_OK;
}

static int run_reset_request(store *s, world *w)
{
	return password_reset_request(s, &w->cfg, "p1@fault.example", "ja", w->t0) != RESET_OK;
}

static int setup_reset_token(store *s, world *w)
{
	/* The link's token is only in the mail: a token of the test's own, stored as the service does. */
	token_random(w->reset_token);
	reset_token_record t = {.user_id = w->patient.id, .created_at = w->t0 - 60, .expires_at = w->t0 + 3600};
	token_hash(w->reset_token, t.token_hash);
	if (store_begin(s) != STORE_OK || store_reset_token_insert(s, &t) != STORE_OK || store_commit(s) != STORE_OK)
		return fail("reset token: %s", s->errmsg);
	return setup_session(s, w);
}

static int run_reset_confirm(store *s, world *w)
{
	int64_t user_id = 0, ended = 0;
	return password_reset_confirm(s, w->reset_token, "a-new-password-5678", w->t0, &user_id, &ended) != RESET_OK ||
	       ended != 1;
}

/* Mail events and the outbox are called inside a transaction of the caller (the handler's). */
typedef store_rc (*in_tx_fn)(store *s, world *w);

static int in_transaction(store *s, world *w, in_tx_fn fn)
{
	if (store_begin(s) != STORE_OK)
		return 1;
	if (fn(s, w) != STORE_OK) {
		store_rollback(s);
		return 1;
	}
	return store_commit(s) != STORE_OK;
}

static store_rc enqueue(store *s, world *w)
{
	mail_item m = {.recipient_user_id = w->patient.id, .to_address = "p1@fault.example", .kind = "test",
	               .subject = "件名", .body_text = "本文", .dedupe_key = "test:1"};
	return mail_enqueue(s, &m);
}

static int run_mail_enqueue(store *s, world *w)
{
	return in_transaction(s, w, enqueue);
}

static store_rc booked(store *s, world *w)
{
	booking_record b;
	store_rc rc = store_booking_get(s, w->booking2_id, &b);
	return rc != STORE_OK ? rc : mail_event_booked(s, &w->mail, &b);
}

static int run_mail_booked(store *s, world *w)
{
	return in_transaction(s, w, booked);
}

static store_rc booking_cancelled(store *s, world *w)
{
	return mail_event_booking_cancelled(s, &w->mail, w->booking2_id);
}

static int run_mail_booking_cancelled(store *s, world *w)
{
	return in_transaction(s, w, booking_cancelled);
}

static store_rc decided(store *s, world *w)
{
	decision_record d;
	store_rc rc = store_decision_latest(s, w->patient.id, &d);
	return rc != STORE_OK ? rc : mail_event_decided(s, &w->mail, &d);
}

static int run_mail_decided(store *s, world *w)
{
	return in_transaction(s, w, decided);
}

static store_rc order_placed(store *s, world *w)
{
	order_record o;
	store_rc rc = store_order_get(s, w->order_id, &o);
	return rc != STORE_OK ? rc : mail_event_order_placed(s, &w->mail, &o, "クリーム");
}

static int run_mail_order_placed(store *s, world *w)
{
	return in_transaction(s, w, order_placed);
}

static store_rc shipped(store *s, world *w)
{
	order_record o;
	shipment_record sh;
	store_rc rc = store_order_get(s, w->order_id, &o);
	if (rc == STORE_OK)
		rc = store_shipment_of_order(s, w->order_id, &sh);
	return rc != STORE_OK ? rc : mail_event_shipped(s, &w->mail, &o, &sh);
}

static int run_mail_shipped(store *s, world *w)
{
	return in_transaction(s, w, shipped);
}

static store_rc recalled(store *s, world *w)
{
	lot_record lot;
	store_rc rc = store_lot_get(s, w->lot_id, &lot);
	return rc != STORE_OK ? rc : mail_event_recalled(s, &w->mail, &lot);
}

static int run_mail_recalled(store *s, world *w)
{
	return in_transaction(s, w, recalled);
}

static store_rc consent_updated(store *s, world *w)
{
	int64_t queued = 0;
	store_rc rc = mail_event_consent_updated(s, &w->mail, INTAKE_CONSENT_ID, 99, "同意書 第99版", &queued);
	return rc == STORE_OK && queued != 1 ? STORE_ERROR : rc;
}

static int run_mail_consent_updated(store *s, world *w)
{
	/* Its own transaction: the patients to tell are read inside it. */
	return consent_updated(s, w) != STORE_OK;
}

static int setup_queued_mail(store *s, world *w)
{
	return run_mail_enqueue(s, w) ? fail("enqueue: %s", s->errmsg) : 0;
}

/* The relay refuses the connection: the attempt is recorded (retrying). */
static int run_mail_send_due(store *s, world *w)
{
	mail_send_result r;
	return mail_send_due(s, &w->cfg, 8, &r) != 0 || r.retrying < 1;
}

static int run_audit_now(store *s, world *w)
{
	return store_audit_now(s, w->doctor.id, ROLE_DOCTOR, "patient.view", "user:4", "") != STORE_OK;
}

const fault_op fault_ops_people[] = {
	{"accounts_create", NULL, run_account_create, 0, false},
	/* Counted before the password is checked (one transaction), settled after (another). */
	{"accounts_login", NULL, run_login, 2, false},
	{"accounts_login (wrong password)", NULL, run_login_wrong_password, 2, false},
	{"accounts_login (known device)", setup_known_device, run_login_known_device, 2, false},
	{"accounts_session_start", NULL, run_session_start, 0, false},
	{"accounts_session_resolve (refresh)", setup_session, run_session_resolve, 0, false},
	{"accounts_session_resolve (expired)", setup_session, run_session_resolve_expired, 0, true},
	{"accounts_session_end", setup_session, run_session_end, 0, false},
	/* An e-mail change checks the password as a log-in does: counted, settled, then the change. */
	{"accounts_profile_update", NULL, run_profile_update, 3, false},
	{"accounts_admin_apply (deactivate)", setup_session, run_deactivate, 0, false},
	{"accounts_admin_apply (reactivate)", setup_deactivated, run_reactivate, 0, false},
	{"accounts_admin_apply (role)", NULL, run_set_role, 0, false},
	{"accounts_admin_apply (force reset)", setup_session, run_force_reset, 0, false},
	{"intake_publish_slots", NULL, run_publish_slots, 0, false},
	{"intake_publish_pattern", NULL, run_publish_pattern, 0, false},
	{"intake_delete_slot", setup_free_slot, run_delete_slot, 0, false},
	{"intake_book", setup_free_slot, run_book, 0, false},
	{"intake_cancel", setup_booked, run_cancel, 0, false},
	{"intake_reschedule", setup_booked, run_reschedule, 0, false},
	{"intake_submit_answers", NULL, run_submit_answers, 0, false},
	{"intake_accept_consent", NULL, run_accept_consent, 0, false},
	{"intake_withdraw_consent", NULL, run_withdraw_consent, 0, false},
	{"intake_record_call", setup_past_booking, run_record_call, 0, false},
	{"intake_decide", setup_patient2_ready, run_decide, 0, false},
	{"clinic_profile_update", NULL, run_clinic_update, 0, false},
	{"clinic_profile_load_demo", NULL, run_clinic_load_demo, 0, false},
	{"password_reset_request", NULL, run_reset_request, 0, false},
	{"password_reset_confirm", setup_reset_token, run_reset_confirm, 0, false},
	{"mail_enqueue", NULL, run_mail_enqueue, 0, false},
	{"mail_event_booked", setup_booked, run_mail_booked, 0, false},
	{"mail_event_booking_cancelled", setup_booked, run_mail_booking_cancelled, 0, false},
	{"mail_event_decided", NULL, run_mail_decided, 0, false},
	{"mail_event_order_placed", setup_order, run_mail_order_placed, 0, false},
	{"mail_event_shipped", setup_shipped, run_mail_shipped, 0, false},
	{"mail_event_recalled", setup_shipped, run_mail_recalled, 0, false},
	{"mail_event_consent_updated", NULL, run_mail_consent_updated, 0, false},
	/* Each message's outcome is its own transaction (mail_sender.c); two are due. */
	{"mail_send_due (sender marks)", setup_queued_mail, run_mail_send_due, 2, false},
	{"store_audit_now", NULL, run_audit_now, 0, false},
};
const size_t fault_ops_people_count = sizeof fault_ops_people / sizeof fault_ops_people[0];
