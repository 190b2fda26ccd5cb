/* The world every fault-injection row starts from: staff and two patients, the clinic, a
 * released lot with its tests, a storage unit with its logger, and the first patient's path to an
 * approval (answers, consent, a held call, the decision). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "service/clinic.h"
#include "service/coldchain.h"
#include "service/trace.h"
#include "tests/fault/fault.h"

/* ---- helpers ---- */

int fail(const char *fmt, ...)
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
int64_t slot_at(store *s, world *w, int64_t t, int64_t now)
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

int submit_answers(store *s, world *w, const actor *patient, int64_t now, int64_t *id_out)
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

int accept_consent(store *s, world *w, const actor *patient, int64_t now)
{
	const consent_text *c = intake_current_consent(w->cat, INTAKE_CONSENT_ID);
	consent_record rec;
	return c && intake_accept_consent(s, w->cat, patient, c->id, c->version, "ja", c->sha256_ja, now, &rec) == INTAKE_OK
	           ? 0 : -1;
}

/* ---- the world every row starts from ---- */

int world_build(store *s, world *w)
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
	if (intake_book(s, &w->mail, &w->patient, w->slot_id, call - DAY + 60, &b) != INTAKE_OK)
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
	if (intake_decide(s, &w->mail, w->cat, &w->policy, &w->doctor, w->patient.id, &in, now - 600, &d, &field) != INTAKE_OK)
		return fail("decide: %s", s->errmsg);
	w->decision_id = d.id;
	return 0;
}
