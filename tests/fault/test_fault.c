/* Fault injection: every service operation that writes, with each of its store calls failing in
 * turn, leaves nothing partial behind.
 *
 * For each row of `ops` (one operation with its setup): the setup brings a copy of the shared
 * world database to the state the operation needs and the result is kept as the row's prepared
 * database. A first run through the fault-injecting store (src/store/store_fault.h) with no
 * failure checks the operation succeeds and counts its store calls; then for N = 1..count the
 * operation runs on a fresh copy with the Nth call failing, and must
 *   - report an error (not its normal outcome),
 *   - leave no transaction open on the connection,
 *   - leave the database, dumped canonically (every table, every row and column, ordered by
 *     all columns, which puts an integer primary key first), equal to the dump before, or for
 *     an operation made of several transactions by design (`units` > 1), equal to the dump
 *     taken right after the last transaction that committed.
 * A new service operation gets one row. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "core/strbuf.h"
#include "core/timefmt.h"
#include "service/accounts.h"
#include "service/ae.h"
#include "service/clinic.h"
#include "service/coldchain.h"
#include "service/coldchain_alarm.h"
#include "service/intake.h"
#include "service/mail.h"
#include "service/mail_events.h"
#include "service/mail_sender.h"
#include "service/password_reset.h"
#include "service/recall.h"
#include "service/trace.h"
#include "store/store_fault.h"

#define DAY 86400
#define PATIENT_PASSWORD "patient-pass-1234"

/* The ids and settings every row may use; a row's setup may add to its own copy. */
typedef struct world {
	int64_t t0;
	intake_catalog *cat;
	server_config cfg;
	intake_policy policy;
	actor system, admin, doctor, pharmacist, patient, patient2;
	int64_t product_id, lot_id, unit_id, logger_id;
	int64_t slot_id, booking_id, response_id, decision_id;
	/* Filled by row setups: */
	int64_t order_id, slot2_id, booking2_id, track_id, report_id, report2_id, alert_id, mail_id;
	session_record session;
	char token[TOKEN_TEXT_MAX];
	char reset_token[TOKEN_TEXT_MAX];
} world;

typedef struct fault_op {
	const char *name;
	/* On the real store: brings the world's copy to the state the operation needs (NULL: none). */
	int (*setup)(store *s, world *w);
	/* The operation: 0 when it had its normal outcome, non-zero otherwise. */
	int (*run)(store *s, world *w);
	/* Transactions the operation commits by design (0 or 1: all or nothing). */
	int units;
	/* A failed call may be passed over when nothing was written: the outcome is the same (an
	 * expired session is refused whether or not its row could be purged). */
	bool best_effort;
} fault_op;

/* ---- helpers ---- */

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "  setup: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return -1;
}

static int64_t add_account(store *s, world *w, const char *email, user_role role, bool with_profile)
{
	patient_profile profile = {0, "テスト タロウ", "1980-01-02", "male", "090-1111-2222", "150-0001", "東京都渋谷区1-1"};
	user_record u = {.role = role};
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.name, sizeof u.name, "試験 %s", email);
	if (accounts_create(s, &w->system, "user.create", &u, PATIENT_PASSWORD, with_profile ? &profile : NULL) != ACCOUNTS_OK)
		return 0;
	return u.id;
}

static int first_slot(void *ctx, const slot_view *v)
{
	*(int64_t *)ctx = v->slot.id;
	return 1;
}

/* Publishes one 10-minute slot of the doctor at t (published at now) and returns its id. */
static int64_t slot_at(store *s, world *w, int64_t t, int64_t now)
{
	int created = 0;
	if (intake_publish_slots(s, &w->doctor, w->doctor.id, t, t + 600, 10, now, &created) != INTAKE_OK || created != 1)
		return 0;
	int64_t id = 0;
	slot_query q = {.doctor_id = w->doctor.id, .from = t, .to = t + 1, .limit = 1};
	return store_slot_list(s, &q, first_slot, &id) == STORE_OK ? id : 0;
}

static const char test_pdf[] = "%PDF-1.4\n% exosafe fault-injection test certificate\n";

/* A lot of the product received, tested with every required test and certificates, released. */
static int64_t released_lot(store *s, world *w, const char *number, int64_t now)
{
	lot_record lot = {.product_id = w->product_id, .quantity_received = 20, .donor_age = 30,
	                  .donor_screening = "negative", .storage_location = "fridge A"};
	snprintf(lot.lot_number, sizeof lot.lot_number, "%s", number);
	jst_date(now - 30 * DAY, lot.manufactured_on);
	jst_date(now + 300 * DAY, lot.expires_on);
	const char *field;
	if (trace_receive_lot(s, &w->pharmacist, &lot, now, &field) != TRACE_OK)
		return 0;
	for (int i = 0; i < LOT_REQUIRED_TEST_COUNT; i++) {
		char pdf[256], name[64];
		snprintf(pdf, sizeof pdf, "%s%% %s %s\n", test_pdf, number, lot_required_tests[i]);
		snprintf(name, sizeof name, "%s.pdf", lot_required_tests[i]);
		certificate_record cert;
		certificate_use dup;
		if (trace_add_certificate(s, &w->pharmacist, lot.id, name, (const unsigned char *)pdf, strlen(pdf), 1 << 20,
		                          NULL, now, &cert, &dup, &field) != TRACE_OK)
			return 0;
		lot_test_record t = {.lot_id = lot.id, .certificate_id = cert.id};
		snprintf(t.kind, sizeof t.kind, "%s", lot_required_tests[i]);
		snprintf(t.result, sizeof t.result, "pass");
		snprintf(t.method, sizeof t.method, "method %d", i);
		jst_date(now - 20 * DAY, t.tested_on);
		if (trace_record_test(s, &w->pharmacist, &t, now, &dup, &field) != TRACE_OK)
			return 0;
	}
	if (trace_transition(s, &w->pharmacist, lot.id, LOT_QUARANTINE, "受入検査", now) != TRACE_OK ||
	    trace_transition(s, &w->pharmacist, lot.id, LOT_RELEASED, "全試験合格", now) != TRACE_OK)
		return 0;
	return lot.id;
}

static json_t *clean_answers(void)
{
	return json_pack("{s:i, s:b, s:b, s:b, s:b, s:[s], s:s, s:b, s:b, s:b, s:b}", "age", 40, "allergy", 0,
	                 "allergy_biologic", 0, "allergy_cosmetic", 0, "anaphylaxis", 0, "skin_site", "none", "pregnancy",
	                 "not_applicable", "immunosuppression", 0, "cancer", 0, "malignancy", 0, "prior_treatment", 0);
}

static int submit_answers(store *s, world *w, const actor *patient, int64_t now, int64_t *id_out)
{
	answer_error errors[8];
	int n = 0;
	response_record r;
	json_t *answers = clean_answers();
	int version = questionnaire_version(intake_current_questionnaire(w->cat, INTAKE_QUESTIONNAIRE_ID));
	intake_rc rc = intake_submit_answers(s, w->cat, &w->policy, patient, INTAKE_QUESTIONNAIRE_ID, version, answers, now,
	                                     errors, 8, &n, &r);
	json_decref(answers);
	if (rc != INTAKE_OK)
		return -1;
	if (id_out)
		*id_out = r.id;
	response_record_clear(&r);
	return 0;
}

static int accept_consent(store *s, world *w, const actor *patient, int64_t now)
{
	const consent_text *c = intake_current_consent(w->cat, INTAKE_CONSENT_ID);
	consent_record rec;
	return c && intake_accept_consent(s, w->cat, patient, c->id, c->version, "ja", c->sha256_ja, now, &rec) == INTAKE_OK
	           ? 0 : -1;
}

/* ---- the world every row starts from ---- */

static int world_build(store *s, world *w)
{
	int64_t now = w->t0;
	w->system = (actor){.id = 0, .role = ROLE_NONE};
	w->admin = (actor){.id = add_account(s, w, "admin@fault.example", ROLE_ADMIN, false), .role = ROLE_ADMIN};
	w->doctor = (actor){.id = add_account(s, w, "doctor@fault.example", ROLE_DOCTOR, false), .role = ROLE_DOCTOR};
	w->pharmacist = (actor){.id = add_account(s, w, "ph@fault.example", ROLE_PHARMACIST, false), .role = ROLE_PHARMACIST};
	w->patient = (actor){.id = add_account(s, w, "p1@fault.example", ROLE_PATIENT, true), .role = ROLE_PATIENT};
	w->patient2 = (actor){.id = add_account(s, w, "p2@fault.example", ROLE_PATIENT, true), .role = ROLE_PATIENT};
	if (!w->admin.id || !w->doctor.id || !w->pharmacist.id || !w->patient.id || !w->patient2.id)
		return fail("accounts: %s", s->errmsg);
	if (clinic_profile_load_demo(s) != CLINIC_OK)
		return fail("clinic: %s", s->errmsg);
	product_record p = {.code = "FAULT-CREAM", .name_ja = "クリーム", .name_en = "Cream", .form = "cream",
	                    .manufacturer = "M", .country = "JP", .source_cell_type = "adipose MSC", .storage_min_c = 2,
	                    .storage_max_c = 8, .excursion_allowance_minutes = 60, .shelf_life_days = 365,
	                    .price_jpy = 22000, .tax_rate_percent = 10, .units_description = "1 bottle"};
	if (trace_create_product(s, &w->pharmacist, &p, now) != TRACE_OK)
		return fail("product: %s", s->errmsg);
	w->product_id = p.id;
	if ((w->lot_id = released_lot(s, w, "LOT-A", now)) == 0)
		return fail("lot: %s", s->errmsg);
	storage_unit_record u = {.name = "冷蔵庫A", .kind = "refrigerator", .location = "薬局"};
	if (coldchain_create_unit(s, &w->pharmacist, &u, now) != COLDCHAIN_OK)
		return fail("unit: %s", s->errmsg);
	w->unit_id = u.id;
	logger_record l = {.code = "LOGGER-1", .description = "fridge A logger", .unit_id = u.id, .interval_seconds = 600};
	const char *field;
	if (coldchain_create_logger(s, &w->pharmacist, &l, now, NULL, &field) != COLDCHAIN_OK)
		return fail("logger: %s", s->errmsg);
	w->logger_id = l.id;
	/* The first patient's path to an approval: answers, consent, a held call, the decision. */
	int64_t call = now - 3600;
	call -= call % 600;
	if ((w->slot_id = slot_at(s, w, call, call - DAY)) == 0)
		return fail("slot: %s", s->errmsg);
	booking_record b;
	if (intake_book(s, &w->patient, w->slot_id, call - DAY + 60, &b) != INTAKE_OK)
		return fail("book: %s", s->errmsg);
	w->booking_id = b.id;
	if (submit_answers(s, w, &w->patient, now - 7200, &w->response_id) != 0 || accept_consent(s, w, &w->patient, now - 7000))
		return fail("answers/consent: %s", s->errmsg);
	call_record c;
	if (intake_record_call(s, &w->doctor, b.id, "held", call, "discussed", call + 60, &c, &field) != INTAKE_OK)
		return fail("call: %s", s->errmsg);
	char valid_until[11];
	jst_date(now + 60 * DAY, valid_until);
	decision_input in = {.response_id = w->response_id, .approve = true, .notes = "ok", .product_id = w->product_id,
	                     .quantity = 3, .directions = "daily", .valid_until = valid_until};
	decision_record d;
	if (intake_decide(s, w->cat, &w->policy, &w->doctor, w->patient.id, &in, now - 600, &d, &field) != INTAKE_OK)
		return fail("decide: %s", s->errmsg);
	w->decision_id = d.id;
	return 0;
}

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
	login_attempt a = {"p1@fault.example", PATIENT_PASSWORD, "192.0.2.1"};
	user_record u;
	return accounts_login(s, &limits, &a, w->t0, &u) != ACCOUNTS_OK;
}

static int run_login_wrong_password(store *s, world *w)
{
	login_attempt a = {"p1@fault.example", "not-the-password", "192.0.2.1"};
	user_record u;
	return accounts_login(s, &limits, &a, w->t0, &u) != ACCOUNTS_BAD_CREDENTIALS;
}

static int run_session_start(store *s, world *w)
{
	user_record u;
	if (store_user_by_id(s, w->patient.id, &u) != STORE_OK)
		return 1;
	return accounts_session_start(s, &u, w->t0, "auth.login", w->token, &w->session) != ACCOUNTS_OK;
}

static int setup_session(store *s, world *w)
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
	return intake_book(s, &w->patient2, w->slot2_id, w->t0, &b) != INTAKE_OK;
}

static int setup_booked(store *s, world *w)
{
	booking_record b;
	if (setup_free_slot(s, w) || intake_book(s, &w->patient2, w->slot2_id, w->t0, &b) != INTAKE_OK)
		return fail("book: %s", s->errmsg);
	w->booking2_id = b.id;
	int64_t t = w->t0 + 2 * DAY + 1200;
	t -= t % 600;
	return (w->slot_id = slot_at(s, w, t, w->t0)) ? 0 : fail("slot: %s", s->errmsg);
}

static int run_cancel(store *s, world *w)
{
	return intake_cancel(s, &w->patient2, &w->policy, w->booking2_id, w->t0) != INTAKE_OK;
}

static int run_reschedule(store *s, world *w)
{
	booking_record b;
	return intake_reschedule(s, &w->patient2, &w->policy, w->booking2_id, w->slot_id, w->t0, &b) != INTAKE_OK;
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
	    intake_book(s, &w->patient2, w->slot2_id, call - DAY + 60, &b) != INTAKE_OK)
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
	return intake_decide(s, w->cat, &w->policy, &w->doctor, w->patient2.id, &in, w->t0, &d, &field) != INTAKE_OK;
}

/* ---- traceability ---- */

static int run_create_product(store *s, world *w)
{
	product_record p = {.code = "FAULT-2", .name_ja = "製品2", .name_en = "Product 2", .form = "cream", .manufacturer = "M",
	                    .country = "JP", .source_cell_type = "MSC", .storage_min_c = 2, .storage_max_c = 8,
	                    .excursion_allowance_minutes = 30, .shelf_life_days = 180, .price_jpy = 1000,
	                    .tax_rate_percent = 10, .units_description = "1"};
	return trace_create_product(s, &w->pharmacist, &p, w->t0) != TRACE_OK;
}

static int run_receive_lot(store *s, world *w)
{
	lot_record lot = {.product_id = w->product_id, .quantity_received = 10, .donor_age = 25,
	                  .donor_screening = "negative", .storage_location = "fridge"};
	snprintf(lot.lot_number, sizeof lot.lot_number, "LOT-B");
	jst_date(w->t0 - 10 * DAY, lot.manufactured_on);
	jst_date(w->t0 + 200 * DAY, lot.expires_on);
	const char *field;
	return trace_receive_lot(s, &w->pharmacist, &lot, w->t0, &field) != TRACE_OK;
}

static int run_add_certificate(store *s, world *w)
{
	static const char pdf[] = "%PDF-1.4\n% another certificate\n";
	certificate_record cert;
	certificate_use dup;
	const char *field;
	return trace_add_certificate(s, &w->pharmacist, w->lot_id, "extra.pdf", (const unsigned char *)pdf, strlen(pdf),
	                             1 << 20, NULL, w->t0, &cert, &dup, &field) != TRACE_OK;
}

static int run_record_test(store *s, world *w)
{
	lot_test_record t = {.lot_id = w->lot_id, .certificate_id = 1};
	snprintf(t.kind, sizeof t.kind, "%s", lot_required_tests[0]);
	snprintf(t.result, sizeof t.result, "pass");
	snprintf(t.method, sizeof t.method, "retest");
	jst_date(w->t0 - DAY, t.tested_on);
	certificate_use dup;
	const char *field;
	return trace_record_test(s, &w->pharmacist, &t, w->t0, &dup, &field) != TRACE_OK;
}

static int run_transition(store *s, world *w)
{
	return trace_transition(s, &w->pharmacist, w->lot_id, LOT_QUARANTINE, "再検査のため", w->t0) != TRACE_OK;
}

static int run_expire_due(store *s, world *w)
{
	/* A year on, the lot is past its expiry. */
	return trace_expire_due(s, w->t0 + 320 * DAY) != TRACE_OK;
}

static int run_place_order(store *s, world *w)
{
	order_record o;
	const char *field;
	return trace_place_order(s, w->cat, &w->patient, 1, "bank_transfer", w->t0, &o, &field) != TRACE_OK;
}

static int setup_order(store *s, world *w)
{
	order_record o;
	const char *field;
	if (trace_place_order(s, w->cat, &w->patient, 1, "bank_transfer", w->t0, &o, &field) != TRACE_OK)
		return fail("order: %s", s->errmsg);
	w->order_id = o.id;
	return 0;
}

static int run_cancel_order(store *s, world *w)
{
	return trace_cancel_order(s, &w->patient, w->order_id, w->t0) != TRACE_OK;
}

static int run_record_payment(store *s, world *w)
{
	const char *field;
	return trace_record_payment(s, &w->pharmacist, w->order_id, "振込 12345", w->t0, &field) != TRACE_OK;
}

static int setup_paid(store *s, world *w)
{
	if (setup_order(s, w) || run_record_payment(s, w))
		return fail("paid: %s", s->errmsg);
	return 0;
}

static int run_dispense(store *s, world *w)
{
	return trace_dispense(s, &w->pharmacist, w->order_id, 30, w->t0) != TRACE_OK;
}

static int setup_dispensed(store *s, world *w)
{
	if (setup_paid(s, w) || run_dispense(s, w))
		return fail("dispensed: %s", s->errmsg);
	return 0;
}

static int run_ship(store *s, world *w)
{
	return trace_ship(s, &w->pharmacist, w->order_id, "yamato", "1234-5678-9012", "", w->t0) != TRACE_OK;
}

static int setup_shipped(store *s, world *w)
{
	if (setup_dispensed(s, w) || run_ship(s, w))
		return fail("shipped: %s", s->errmsg);
	return 0;
}

static int run_deliver(store *s, world *w)
{
	return trace_deliver(s, &w->pharmacist, w->order_id, w->t0 + DAY) != TRACE_OK;
}

static int run_recall(store *s, world *w)
{
	return trace_recall(s, &w->pharmacist, w->lot_id, "回収: 試験の誤り", w->t0) != TRACE_OK;
}

static int first_track(void *ctx, const recall_track_record *t)
{
	*(int64_t *)ctx = t->id;
	return 1;
}

static int setup_recalled(store *s, world *w)
{
	if (setup_shipped(s, w) || run_recall(s, w))
		return fail("recalled: %s", s->errmsg);
	if (store_recall_tracks_of_patient(s, w->patient.id, first_track, &w->track_id) != STORE_OK || w->track_id == 0)
		return fail("no recall track");
	return 0;
}

static int run_recipients_read(store *s, world *w)
{
	recall_list list;
	trace_rc rc = recall_recipients_read(s, &w->pharmacist, w->lot_id, "recall.recipients.view", &list);
	if (rc == TRACE_OK)
		recall_list_free(&list);
	return rc != TRACE_OK;
}

static int run_track_set(store *s, world *w)
{
	const char *field;
	return recall_track_set(s, &w->pharmacist, w->lot_id, w->track_id, "contacted", "電話で連絡", NULL, w->t0, &field) !=
	       TRACE_OK;
}

static int run_acknowledge(store *s, world *w)
{
	return recall_acknowledge(s, &w->patient, w->track_id, w->t0) != TRACE_OK;
}

/* ---- cold chain ---- */

static int run_create_unit(store *s, world *w)
{
	storage_unit_record u = {.name = "冷凍庫B", .kind = "freezer", .location = "倉庫"};
	return coldchain_create_unit(s, &w->pharmacist, &u, w->t0) != COLDCHAIN_OK;
}

static int run_create_logger(store *s, world *w)
{
	logger_record l = {.code = "LOGGER-2", .description = "parcel logger"};
	char key[TOKEN_TEXT_MAX];
	const char *field;
	return coldchain_create_logger(s, &w->pharmacist, &l, w->t0, key, &field) != COLDCHAIN_OK;
}

static int run_place_lot(store *s, world *w)
{
	return coldchain_place_lot(s, &w->pharmacist, w->lot_id, w->unit_id, w->t0 - 2 * DAY) != COLDCHAIN_OK;
}

/* Two days of readings every ten minutes with a 3-hour excursion to 15 °C a day ago. */
static int import_readings(store *s, world *w, int64_t from, int64_t to)
{
	coldchain_import *imp = coldchain_import_begin(s, &w->pharmacist, w->logger_id, 9 * 3600, w->t0);
	if (imp == NULL)
		return 1;
	temp_csv_error err;
	for (int64_t t = from; t < to; t += 600) {
		double c = (t >= w->t0 - DAY && t < w->t0 - DAY + 3 * 3600) ? 15.0 : 5.0;
		if (coldchain_import_reading(imp, t, c, &err) != COLDCHAIN_OK) {
			coldchain_import_abort(imp);
			return 1;
		}
	}
	coldchain_import_summary sum;
	return coldchain_import_commit(imp, w->t0, &sum) != COLDCHAIN_OK;
}

static int64_t day_start(const world *w)
{
	int64_t t = w->t0 - 2 * DAY;
	return t - t % 600;
}

static int run_import(store *s, world *w)
{
	return import_readings(s, w, day_start(w), w->t0 - 600);
}

static int setup_placed(store *s, world *w)
{
	return run_place_lot(s, w) ? fail("place: %s", s->errmsg) : 0;
}

static int setup_placed_readings(store *s, world *w)
{
	if (setup_placed(s, w))
		return -1;
	/* Stored straight, without the evaluation the import runs. */
	if (store_begin(s) != STORE_OK)
		return fail("begin");
	for (int64_t t = day_start(w); t < w->t0 - 600; t += 600) {
		int added;
		double c = (t >= w->t0 - DAY && t < w->t0 - DAY + 3 * 3600) ? 15.0 : 5.0;
		if (store_reading_put(s, w->logger_id, t, c, &added) != STORE_OK)
			return fail("reading: %s", s->errmsg);
	}
	return store_commit(s) == STORE_OK ? 0 : fail("commit: %s", s->errmsg);
}

static int run_evaluate(store *s, world *w)
{
	int alerts = 0, quarantined = 0;
	return coldchain_evaluate_logger(s, w->logger_id, day_start(w), w->t0, w->t0, &alerts, &quarantined) != COLDCHAIN_OK ||
	       alerts != 1;
}

static int first_alert(void *ctx, const coldchain_alert_record *a)
{
	*(int64_t *)ctx = a->id;
	return 1;
}

static int setup_alert(store *s, world *w)
{
	if (setup_placed_readings(s, w) || run_evaluate(s, w))
		return fail("alert: %s", s->errmsg);
	return store_alert_list(s, NULL, 0, first_alert, &w->alert_id) == STORE_OK && w->alert_id ? 0 : fail("no alert");
}

static int run_dispose(store *s, world *w)
{
	return coldchain_dispose(s, &w->pharmacist, w->alert_id, "released", "安定性データにより問題なし", w->t0) != COLDCHAIN_OK;
}

static int run_alarm_excursions(store *s, world *w)
{
	coldchain_alarm_settings cfg = {.data_dir = "data", .base_url = "https://clinic.example"};
	coldchain_alarm_counts counts = {0};
	return coldchain_alarm_excursions(s, &cfg, w->t0, &counts) != STORE_OK;
}

static int setup_silent_logger(store *s, world *w)
{
	/* A connected sensor (it has a key) whose readings stopped two hours ago: silent now. */
	char key[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX];
	token_random(key);
	token_hash(key, hash);
	if (store_logger_set_key(s, w->logger_id, hash) != STORE_OK || store_begin(s) != STORE_OK)
		return fail("begin");
	for (int64_t t = day_start(w); t < w->t0 - 7200; t += 600) {
		int added;
		if (store_reading_put(s, w->logger_id, t, 5.0, &added) != STORE_OK)
			return fail("reading: %s", s->errmsg);
	}
	return store_commit(s) == STORE_OK ? 0 : fail("commit: %s", s->errmsg);
}

static int run_check_silent(store *s, world *w)
{
	coldchain_alarm_settings cfg = {.data_dir = "data", .base_url = ""};
	coldchain_alarm_counts counts = {0};
	return coldchain_check_silent(s, &cfg, w->t0, &counts) != STORE_OK || counts.silences_opened != 1;
}

/* ---- adverse events ---- */

static int report(store *s, world *w, const char *severity, int64_t *id_out)
{
	json_t *symptoms = json_pack("[s, s]", "redness", "itching");
	char onset[11];
	jst_date(w->t0 - DAY, onset);
	ae_report_input in = {.patient_id = w->patient.id, .order_id = 0, .symptoms = symptoms, .description = "赤み",
	                      .onset_date = onset, .ongoing = true, .severity = severity};
	ae_report_record r;
	const char *field;
	ae_rc rc = ae_report(s, &w->patient, &in, w->t0, &r, &field);
	json_decref(symptoms);
	if (id_out)
		*id_out = r.id;
	return rc != AE_OK;
}

static int run_ae_report(store *s, world *w)
{
	return report(s, w, "moderate", NULL);
}

static int setup_report(store *s, world *w)
{
	return report(s, w, "severe", &w->report_id) ? fail("report: %s", s->errmsg) : 0;
}

static int run_ae_photo(store *s, world *w)
{
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
	                                    0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
	const char *field;
	return ae_photo(s, &w->patient, w->report_id, png, sizeof png, 1 << 20, &field) != AE_OK;
}

static const char *any_term(void *ctx, const char *code, int grade, bool *other_specify)
{
	*other_specify = false;
	return NULL;
}

static int assess(store *s, world *w, int64_t report_id, int *alerts)
{
	json_t *terms = json_pack("[{s:s, s:i}]", "code", "10013786", "grade", 3);
	int64_t lots[1] = {w->lot_id};
	ae_assessment_input in = {.terms = terms, .hospitalization = true, .outcome = "recovering",
	                          .causality = "probable", .treatment = "none", .narrative = "経過観察",
	                          .lot_ids = lots, .lot_count = 1};
	ae_policy p;
	ae_policy_defaults(&p);
	ae_assessment_record a;
	const char *field, *reason;
	ae_rc rc = ae_assess(s, &w->doctor, &p, report_id, &in, any_term, NULL, w->t0, &a, &field, &reason, alerts);
	json_decref(terms);
	return rc != AE_OK;
}

static int run_ae_assess(store *s, world *w)
{
	int alerts = 0;
	return assess(s, w, w->report_id, &alerts);
}

static int setup_second_serious(store *s, world *w)
{
	int alerts = 0;
	if (setup_report(s, w) || assess(s, w, w->report_id, &alerts) || report(s, w, "severe", &w->report2_id))
		return fail("reports: %s", s->errmsg);
	return 0;
}

/* The second serious report on the lot: the assessment raises a lot alert and quarantines it. */
static int run_ae_assess_lot_alert(store *s, world *w)
{
	int alerts = 0;
	return assess(s, w, w->report2_id, &alerts) || alerts != 1;
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
	return rc != STORE_OK ? rc : mail_event_booked(s, &b);
}

static int run_mail_booked(store *s, world *w)
{
	return in_transaction(s, w, booked);
}

static store_rc booking_cancelled(store *s, world *w)
{
	return mail_event_booking_cancelled(s, w->booking2_id);
}

static int run_mail_booking_cancelled(store *s, world *w)
{
	return in_transaction(s, w, booking_cancelled);
}

static store_rc decided(store *s, world *w)
{
	decision_record d;
	store_rc rc = store_decision_latest(s, w->patient.id, &d);
	return rc != STORE_OK ? rc : mail_event_decided(s, &d);
}

static int run_mail_decided(store *s, world *w)
{
	return in_transaction(s, w, decided);
}

static store_rc order_placed(store *s, world *w)
{
	order_record o;
	store_rc rc = store_order_get(s, w->order_id, &o);
	return rc != STORE_OK ? rc : mail_event_order_placed(s, &o, "クリーム");
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
	return rc != STORE_OK ? rc : mail_event_shipped(s, &o, &sh);
}

static int run_mail_shipped(store *s, world *w)
{
	return in_transaction(s, w, shipped);
}

static store_rc recalled(store *s, world *w)
{
	lot_record lot;
	store_rc rc = store_lot_get(s, w->lot_id, &lot);
	return rc != STORE_OK ? rc : mail_event_recalled(s, &lot);
}

static int run_mail_recalled(store *s, world *w)
{
	return in_transaction(s, w, recalled);
}

static store_rc consent_updated(store *s, world *w)
{
	int64_t queued = 0;
	store_rc rc = mail_event_consent_updated(s, INTAKE_CONSENT_ID, 99, "同意書 第99版", &queued);
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

/* One row per service operation that writes. */
static const fault_op ops[] = {
	{"accounts_create", NULL, run_account_create, 0, false},
	{"accounts_login", NULL, run_login, 0, false},
	{"accounts_login (wrong password)", NULL, run_login_wrong_password, 0, false},
	{"accounts_session_start", NULL, run_session_start, 0, false},
	{"accounts_session_resolve (refresh)", setup_session, run_session_resolve, 0, false},
	{"accounts_session_resolve (expired)", setup_session, run_session_resolve_expired, 0, true},
	{"accounts_session_end", setup_session, run_session_end, 0, false},
	{"accounts_profile_update", NULL, run_profile_update, 0, false},
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
	{"trace_create_product", NULL, run_create_product, 0, false},
	{"trace_receive_lot", NULL, run_receive_lot, 0, false},
	{"trace_add_certificate", NULL, run_add_certificate, 0, false},
	{"trace_record_test", NULL, run_record_test, 0, false},
	{"trace_transition", NULL, run_transition, 0, false},
	{"trace_expire_due", NULL, run_expire_due, 0, false},
	{"trace_place_order", NULL, run_place_order, 0, false},
	{"trace_cancel_order", setup_order, run_cancel_order, 0, false},
	{"trace_record_payment", setup_order, run_record_payment, 0, false},
	{"trace_dispense", setup_paid, run_dispense, 0, false},
	{"trace_ship", setup_dispensed, run_ship, 0, false},
	{"trace_deliver", setup_shipped, run_deliver, 0, false},
	{"trace_recall", setup_shipped, run_recall, 0, false},
	{"recall_recipients_read", setup_recalled, run_recipients_read, 0, false},
	{"recall_track_set", setup_recalled, run_track_set, 0, false},
	{"recall_acknowledge", setup_recalled, run_acknowledge, 0, false},
	{"coldchain_create_unit", NULL, run_create_unit, 0, false},
	{"coldchain_create_logger", NULL, run_create_logger, 0, false},
	{"coldchain_place_lot", NULL, run_place_lot, 0, false},
	/* The readings are one transaction, then each lot's evaluation its own (coldchain.c). */
	{"coldchain_import (+ evaluation)", setup_placed, run_import, 2, false},
	{"coldchain_evaluate_logger", setup_placed_readings, run_evaluate, 0, false},
	{"coldchain_dispose", setup_alert, run_dispose, 0, false},
	{"coldchain_alarm_excursions", setup_alert, run_alarm_excursions, 0, false},
	/* One transaction per sensor, then the excursions' mails (coldchain_alarm.c). */
	{"coldchain_check_silent", setup_silent_logger, run_check_silent, 2, false},
	{"ae_report", NULL, run_ae_report, 0, false},
	{"ae_photo", setup_report, run_ae_photo, 0, false},
	{"ae_assess", setup_report, run_ae_assess, 0, false},
	{"ae_assess (lot alert)", setup_second_serious, run_ae_assess_lot_alert, 0, false},
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

/* ---- the canonical dump ---- */

static char *dump(const char *path)
{
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return NULL;
	strbuf out = {0};
	sqlite3_stmt *tables;
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &tables, NULL);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tables, 0);
		char sql[512];
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", name);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		int n = sqlite3_column_count(st);
		sqlite3_finalize(st);
		/* Ordered by every column: a total order, with an integer primary key first. */
		int len = snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1", name);
		for (int i = 2; i <= n && len < (int)sizeof sql - 8; i++)
			len += snprintf(sql + len, sizeof sql - (size_t)len, ",%d", i);
		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		strbuf_printf(&out, "== %s\n", name);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < n; i++) {
				switch (sqlite3_column_type(st, i)) {
				case SQLITE_NULL: strbuf_puts(&out, "NULL"); break;
				case SQLITE_INTEGER: strbuf_printf(&out, "%lld", (long long)sqlite3_column_int64(st, i)); break;
				case SQLITE_FLOAT: strbuf_printf(&out, "%.17g", sqlite3_column_double(st, i)); break;
				case SQLITE_TEXT: strbuf_printf(&out, "'%s'", (const char *)sqlite3_column_text(st, i)); break;
				default: {
					const unsigned char *b = sqlite3_column_blob(st, i);
					int bn = sqlite3_column_bytes(st, i);
					strbuf_puts(&out, "X'");
					for (int k = 0; k < bn; k++)
						strbuf_printf(&out, "%02x", b[k]);
					strbuf_puts(&out, "'");
				}
				}
				strbuf_puts(&out, i + 1 < n ? "|" : "\n");
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return strbuf_finish(&out);
}

/* Prints the first line where two dumps differ, with the table it is in. */
static void show_difference(const char *want, const char *have)
{
	const char *w = want, *h = have, *table = "?";
	size_t table_len = 1;
	while (*w && *h) {
		const char *we = strchr(w, '\n'), *he = strchr(h, '\n');
		size_t wl = we ? (size_t)(we - w) : strlen(w), hl = he ? (size_t)(he - h) : strlen(h);
		if (wl != hl || memcmp(w, h, wl) != 0) {
			fprintf(stderr, "    in table %.*s\n      expected  %.*s\n      found     %.*s\n", (int)table_len, table,
			        (int)(wl > 300 ? 300 : wl), w, (int)(hl > 300 ? 300 : hl), h);
			return;
		}
		if (strncmp(w, "== ", 3) == 0) {
			table = w + 3;
			table_len = wl - 3;
		}
		w += wl + (we != NULL);
		h += hl + (he != NULL);
	}
	if (*w || *h)
		fprintf(stderr, "    one dump ends early (%s)\n", *w ? "rows missing" : "rows added");
}

/* ---- database files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void remove_db(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

static int write_db(const char *path, const char *bytes, size_t len)
{
	remove_db(path);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t n = fwrite(bytes, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static store *open_store(const char *path)
{
	char err[512];
	store *s = store_sqlite_open(path, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "open %s: %s\n", path, err);
	return s;
}

/* ---- the run ---- */

typedef struct run_state {
	const char *path;
	char *committed;   /* the dump after the last commit of the faulted run */
	int commits;
} run_state;

static void on_commit(void *ctx)
{
	run_state *rs = ctx;
	free(rs->committed);
	rs->committed = dump(rs->path);
	rs->commits++;
}

/* Runs one row: returns the number of problems, adds the faults injected to *faults. */
static int run_op(const fault_op *op, const world *base, const char *world_bytes, size_t world_len, const char *path,
                  long *faults)
{
	world w = *base;
	/* The row's prepared database: the world with the setup applied. */
	if (write_db(path, world_bytes, world_len) != 0)
		return 1;
	if (op->setup) {
		store *s = open_store(path);
		if (s == NULL || op->setup(s, &w) != 0) {
			fprintf(stderr, "FAIL %s: setup failed\n", op->name);
			if (s)
				store_close(s);
			return 1;
		}
		store_close(s);
	}
	size_t len;
	char *prepared = slurp(path, &len);
	char *before = dump(path);
	int problems = 0;

	/* No failure: the normal outcome, how many calls it takes and how many commits. */
	world wc = w;
	run_state full = {.path = path};
	store *s = store_fault_wrap(open_store(path), 0);
	store_fault_on_commit(s, on_commit, &full);
	int rc = op->run(s, &wc);
	long count = store_fault_calls(s);
	store_close(s);
	free(full.committed);
	if (rc != 0) {
		fprintf(stderr, "FAIL %s: does not succeed without a fault\n", op->name);
		problems++;
	}

	for (long n = 1; n <= count && problems < 3; n++) {
		write_db(path, prepared, len);
		run_state rs = {.path = path, .committed = NULL, .commits = 0};
		wc = w;
		s = store_fault_wrap(open_store(path), n);
		store_fault_on_commit(s, on_commit, &rs);
		rc = op->run(s, &wc);
		const char *method = store_fault_failed(s);
		char what[96];
		snprintf(what, sizeof what, "call %ld (%s)", n, method ? method : "not reached");
		(*faults)++;
		store *inner = store_fault_inner(s);
		if (store_begin(inner) != STORE_OK) {
			fprintf(stderr, "FAIL %s: %s left a transaction open (%s)\n", op->name, what, inner->errmsg);
			problems++;
		} else {
			store_rollback(inner);
		}
		store_close(s);
		char *after = dump(path);
		/* What the database must hold: the state after the last transaction that committed. */
		const char *want = rs.committed ? rs.committed : before;
		const char *problem = NULL;
		if (after == NULL || strcmp(want, after) != 0)
			problem = "left a partial change";
		else if (rc == 0 && !(rs.commits == full.commits || (op->best_effort && rs.commits == 0)))
			/* The normal outcome: only when the failed call came after every commit (a read-back
			 * the operation covers), so what it reports is what the database holds. */
			problem = "failed but the operation reported its normal outcome";
		else if (rc != 0 && rs.commits > 0 && op->units <= 1)
			problem = "made the operation report an error after its transaction committed";
		if (problem) {
			fprintf(stderr, "FAIL %s: %s %s\n", op->name, what, problem);
			show_difference(rs.commits ? before : want, after ? after : "");
			problems++;
		}
		free(after);
		free(rs.committed);
	}
	printf("%-40s %3ld store calls, %3ld faults injected%s\n", op->name, count, count, problems ? "  FAILED" : "");
	free(prepared);
	free(before);
	return problems;
}

int main(void)
{
	char dir[] = "/tmp/exosafe-fault-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 1;
	char world_path[128], path[128];
	snprintf(world_path, sizeof world_path, "%s/world.db", dir);
	snprintf(path, sizeof path, "%s/run.db", dir);

	/* Noon JST today on the clock: every date the test writes is relative to it. */
	int64_t t0 = clock_now();
	t0 = t0 - t0 % DAY + 3 * 3600;
	clock_set(t0);

	world w = {.t0 = t0};
	char err[512];
	w.cat = intake_catalog_load("data", err, sizeof err);
	if (w.cat == NULL) {
		fprintf(stderr, "catalog: %s\n", err);
		return 1;
	}
	config_defaults(&w.cfg);
	snprintf(w.cfg.data_dir, sizeof w.cfg.data_dir, "data");
	snprintf(w.cfg.mail.public_url, sizeof w.cfg.mail.public_url, "https://clinic.example");
	/* A relay that refuses at once: port 1 on this machine. */
	snprintf(w.cfg.mail.smtp_url, sizeof w.cfg.mail.smtp_url, "smtp://127.0.0.1:1");
	snprintf(w.cfg.mail.from, sizeof w.cfg.mail.from, "clinic@fault.example");
	mail_events_configure(&w.cfg);
	w.policy = (intake_policy){.cutoff_seconds = 3600, .questionnaire_valid_seconds = 90LL * DAY};

	store *s = open_store(world_path);
	int version;
	if (s == NULL || store_migrate(s, &version) != STORE_OK || world_build(s, &w) != 0) {
		fprintf(stderr, "cannot build the world: %s\n", s ? s->errmsg : "");
		return 1;
	}
	store_close(s);
	size_t world_len;
	char *world_bytes = slurp(world_path, &world_len);

	int problems = 0;
	long faults = 0;
	size_t n_ops = sizeof ops / sizeof ops[0];
	for (size_t i = 0; i < n_ops; i++)
		problems += run_op(&ops[i], &w, world_bytes, world_len, path, &faults);
	printf("%zu operations, %ld injected faults, %d problems\n", n_ops, faults, problems);

	free(world_bytes);
	intake_catalog_free(w.cat);
	remove_db(path);
	remove_db(world_path);
	rmdir(dir);
	return problems ? 1 : 0;
}
