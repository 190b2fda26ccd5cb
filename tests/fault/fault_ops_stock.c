/* Fault-injection rows of the stock side: traceability, recall, cold chain and adverse events.
 * One row per service operation that writes; its setup and its call. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "service/ae.h"
#include "service/coldchain.h"
#include "service/coldchain_alarm.h"
#include "service/followup.h"
#include "service/recall.h"
#include "service/trace.h"
#include "tests/fault/fault.h"

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
	return trace_place_order(s, &w->mail, w->cat, &w->patient, 1, "bank_transfer", w->t0, &o, &field) != TRACE_OK;
}

int setup_order(store *s, world *w)
{
	order_record o;
	const char *field;
	if (trace_place_order(s, &w->mail, w->cat, &w->patient, 1, "bank_transfer", w->t0, &o, &field) != TRACE_OK)
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
	return trace_ship(s, &w->mail, &w->pharmacist, w->order_id, "yamato", "1234-5678-9012", "", w->t0) != TRACE_OK;
}

int setup_shipped(store *s, world *w)
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
	return trace_recall(s, &w->mail, &w->pharmacist, w->lot_id, "回収: 試験の誤り", w->t0) != TRACE_OK;
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

/* ---- active safety follow-up ---- */

/* The order delivered on t0 + DAY: its day-3 check-in is due on t0 + 4 days. */
static int setup_delivered(store *s, world *w)
{
	if (setup_shipped(s, w) || run_deliver(s, w))
		return fail("delivered: %s", s->errmsg);
	return 0;
}

static int run_followup_tick(store *s, world *w)
{
	followup_settings fs = followup_settings_from_config(&w->cfg);
	followup_tick_counts counts;
	return followup_tick(s, &fs, w->t0 + 5 * DAY, &counts) != STORE_OK || counts.created != 1 || counts.mailed != 1;
}

static int first_checkin(void *ctx, const checkin_record *c)
{
	*(int64_t *)ctx = c->id;
	return 1;
}

static int setup_checkin(store *s, world *w)
{
	if (setup_delivered(s, w) || run_followup_tick(s, w) ||
	    store_checkins_of_patient(s, w->patient.id, first_checkin, &w->checkin_id) != STORE_OK || w->checkin_id == 0)
		return fail("check-in: %s", s->errmsg);
	return 0;
}

/* A reminder is due once the check-in is reminder_days old. */
static int run_followup_remind(store *s, world *w)
{
	followup_settings fs = followup_settings_from_config(&w->cfg);
	followup_tick_counts counts;
	return followup_tick(s, &fs, w->t0 + 9 * DAY, &counts) != STORE_OK || counts.reminded != 1;
}

static int run_followup_answer(store *s, world *w)
{
	followup_settings fs = followup_settings_from_config(&w->cfg);
	json_t *symptoms = json_pack("[{s:s, s:s, s:b}]", "symptom", "redness", "severity", "mild", "still_present", 1);
	followup_answer_input in = {.nothing_changed = false, .symptoms = symptoms, .note = "赤み"};
	checkin_record c;
	json_t *prefill = NULL;
	const char *field;
	followup_rc rc = followup_answer(s, &w->patient, &fs, w->checkin_id, &in, w->t0 + 5 * DAY, &c, &prefill, &field);
	json_decref(symptoms);
	json_decref(prefill);
	return rc != FOLLOWUP_OK;
}

static int run_followup_withdraw(store *s, world *w)
{
	return followup_withdraw(s, &w->patient, "理由", w->t0 + 5 * DAY) != FOLLOWUP_OK;
}

static int run_followup_call(store *s, world *w)
{
	followup_settings fs = followup_settings_from_config(&w->cfg);
	checkin_record c;
	const char *field;
	return followup_call(s, &w->pharmacist, &fs, w->checkin_id, "withdrew", NULL, w->t0 + 5 * DAY, &c, NULL, &field) !=
	       FOLLOWUP_OK;
}

static int run_followup_plan(store *s, world *w)
{
	json_t *days = json_pack("[i, i]", 7, 28);
	followup_plan plan;
	const char *field;
	followup_rc rc = followup_plan_set(s, &w->admin, w->product_id, days, 91, true, w->t0, &plan, &field);
	json_decref(days);
	return rc != FOLLOWUP_OK;
}

const fault_op fault_ops_stock[] = {
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
	/* The tick: expired links, then each new check-in, then each product's MaxSPRT look, one
	 * transaction each (followup.c). */
	{"followup_tick", setup_delivered, run_followup_tick, 3, false},
	{"followup_tick (reminder)", setup_checkin, run_followup_remind, 3, false},
	{"followup_answer (+ MaxSPRT)", setup_checkin, run_followup_answer, 0, false},
	{"followup_withdraw", setup_checkin, run_followup_withdraw, 0, false},
	{"followup_call (withdrew)", setup_checkin, run_followup_call, 0, false},
	{"followup_plan_set", NULL, run_followup_plan, 0, false},
};
const size_t fault_ops_stock_count = sizeof fault_ops_stock / sizeof fault_ops_stock[0];
