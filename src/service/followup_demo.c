/* The demonstration follow-up (exosafe demo): a second product whose plan discloses its
 * summary, two lots, and fourteen patients (accounts nobody can log in to) who received it
 * 35 to 87 days ago and were asked on days 3, 14 and 30, as the tick would have asked them:
 * most answered, "nothing changed" or a few symptoms; some missed one. Every time is counted
 * back from the clock, so the demo looks the same on any day; the records go in through the
 * store in one transaction (no passwords to hash, no mail queued). */
#include <stdio.h>
#include <string.h>

#include "core/credentials.h"
#include "core/timefmt.h"
#include "service/demo.h"
#include "service/followup.h"
#include "service/trace.h"

#define DAY 86400
#define COHORT 14

/* What patient i answered on each of days 3, 14 and 30: "" nothing changed, NULL no answer,
 * else the symptom (mild, gone by then). Redness is common (6 patients: shown on the public
 * page), the rest rare (suppressed there); the lots (even and odd patients) fare alike, so
 * neither signals. Patient 0's day-30 check-in is still open. */
static const char *const cohort_answers[COHORT][3] = {
	{"", "redness", NULL}, {"", "", ""},        {"redness", "", ""}, {"", "", "itching"}, {"", "", ""},
	{"redness", NULL, ""}, {"", "", ""},        {"", "redness", ""}, {"", "redness", ""}, {"", "", ""},
	{"", "", NULL},        {"", "fever", ""},   {"", "", "redness"}, {NULL, "", ""},
};

static const char *const cohort_names[COHORT] = {
	"経過 一子", "経過 二郎", "経過 三子", "経過 四郎", "経過 五子", "経過 六郎", "経過 七子",
	"経過 八郎", "経過 九子", "経過 十郎", "経過 十一子", "経過 十二郎", "経過 十三子", "経過 十四郎",
};

static int demo_product(store *s, int64_t pharmacist_id, int64_t now, int64_t *product_id, int64_t lot_ids[2])
{
	actor pharmacist = {.id = pharmacist_id, .role = ROLE_PHARMACIST};
	product_record p = {.code = "EXO-SERUM-D", .name_ja = "エクソソーム美容液(デモ)", .name_en = "Exosome serum (demo)",
	                    .form = "外用美容液 / topical serum", .manufacturer = "デモ製造株式会社 / Demo Manufacturing Co.",
	                    .country = "日本 / Japan",
	                    .source_cell_type = "ヒト脂肪由来幹細胞培養上清 / human adipose-derived MSC culture",
	                    .storage_min_c = 2, .storage_max_c = 8, .excursion_allowance_minutes = 60,
	                    .shelf_life_days = 365, .price_jpy = 18000, .tax_rate_percent = 10,
	                    .units_description = "1本(約1か月分) / 1 bottle (about one month)"};
	if (trace_create_product(s, &pharmacist, &p, now - 120 * DAY) != TRACE_OK)
		return -1;
	*product_id = p.id;
	for (int k = 0; k < 2; k++) {
		char made[11], expires[11];
		jst_date(now - (110 - 30 * k) * DAY, made);
		jst_date(now + (255 + 30 * k) * DAY, expires);
		lot_record lot = {.product_id = p.id, .quantity_received = 40, .donor_age = 31,
		                  .donor_screening = "HBV・HCV・HIV・HTLV-1・梅毒:陰性 / negative",
		                  .storage_location = "冷蔵庫A / fridge A"};
		snprintf(lot.lot_number, sizeof lot.lot_number, "SERUM-%.4s%.2s-%c", made, made + 5, 'A' + k);
		snprintf(lot.manufactured_on, sizeof lot.manufactured_on, "%s", made);
		snprintf(lot.expires_on, sizeof lot.expires_on, "%s", expires);
		const char *field;
		char tested[11];
		jst_date(now - (95 - 30 * k) * DAY, tested);
		if (trace_receive_lot(s, &pharmacist, &lot, now - (100 - 30 * k) * DAY, &field) != TRACE_OK ||
		    demo_release_lot(s, pharmacist_id, lot.id, tested, now - (95 - 30 * k) * DAY) != 0)
			return -1;
		lot_ids[k] = lot.id;
	}
	return 0;
}

/* One cohort patient: account, questionnaire, consent, approval, a delivered order of lot_id
 * at `delivered`, and the check-ins asked since. Inside the caller's transaction. */
static store_rc demo_patient(store *s, int i, int64_t doctor_id, int64_t pharmacist_id, const product_record *p,
                             int64_t lot_id, int64_t delivered, int64_t now)
{
	user_record u = {.role = ROLE_PATIENT, .created_at = delivered - 20 * DAY};
	snprintf(u.email, sizeof u.email, "followup%02d@patient.example", i + 1);
	snprintf(u.name, sizeof u.name, "%s", cohort_names[i]);
	snprintf(u.lang, sizeof u.lang, "ja");
	/* Not a hash any password has: nobody logs in to these accounts. */
	snprintf(u.password_hash, sizeof u.password_hash, "!demo-cohort-no-login");
	store_rc rc = store_user_insert(s, &u);
	patient_profile prof = {.user_id = u.id, .birth_date = "1980-01-01",
	                        .phone = "090-0000-0000", .postal_code = "150-0001", .address = "東京都渋谷区(デモ)"};
	snprintf(prof.name_kana, sizeof prof.name_kana, "ケイカ デモ");
	snprintf(prof.sex, sizeof prof.sex, "%s", i % 2 ? "male" : "female");
	snprintf(prof.phone, sizeof prof.phone, "090-0000-%04d", i + 1);
	if (rc == STORE_OK)
		rc = store_profile_insert(s, &prof);
	int64_t decided = delivered - 10 * DAY;
	response_record r = {.patient_id = u.id, .questionnaire_id = "exosome-cream", .questionnaire_version = 2,
	                     .answers_json = (char *)"{}", .flags_json = (char *)"[]", .worst_level = "none",
	                     .submitted_at = decided - DAY};
	if (rc == STORE_OK)
		rc = store_response_insert(s, &r);
	consent_record c = {.patient_id = u.id, .consent_id = "exosome-cream-consent", .consent_version = 2, .lang = "ja",
	                    .accepted_at = decided - DAY};
	memset(c.text_sha256, '0', 64);
	if (rc == STORE_OK)
		rc = store_consent_insert(s, &c);
	decision_record d = {.patient_id = u.id, .doctor_id = doctor_id, .response_id = r.id, .consent_id = c.id,
	                     .decision = "approved", .notes = "デモ", .product_id = p->id, .quantity = 1,
	                     .directions = "1日1回 / once a day", .decided_at = decided,
	                     .no_call_reason = "デモデータ / demo data"};
	snprintf(d.product, sizeof d.product, "%s", p->name_ja);
	jst_date(decided + 30 * DAY, d.valid_until);
	if (rc == STORE_OK)
		rc = store_decision_insert(s, &d);
	order_record o = {.patient_id = u.id, .decision_id = d.id, .product_id = p->id, .quantity = 1,
	                  .unit_price_jpy = p->price_jpy, .total_jpy = p->price_jpy, .status = "delivered",
	                  .payment_method = "bank_transfer", .ship_postal_code = "150-0001",
	                  .ship_address = "東京都渋谷区(デモ)", .created_at = decided + 3600};
	snprintf(o.ship_name, sizeof o.ship_name, "%s", u.name);
	snprintf(o.ship_phone, sizeof o.ship_phone, "%s", prof.phone);
	if (rc == STORE_OK)
		rc = store_order_insert(s, &o);
	if (rc == STORE_OK)
		rc = store_order_record_payment(s, o.id, "DEMO", decided + 7200, pharmacist_id);
	if (rc == STORE_OK)
		rc = store_lot_take_stock(s, lot_id, 1);
	dispense_record disp = {.order_id = o.id, .lot_id = lot_id, .quantity = 1, .dispensed_at = delivered - 2 * DAY,
	                        .dispensed_by = pharmacist_id};
	if (rc == STORE_OK)
		rc = store_dispense_insert(s, &disp);
	shipment_record sh = {.order_id = o.id, .carrier = "ヤマト運輸", .shipped_at = delivered - DAY,
	                      .recorded_by = pharmacist_id};
	snprintf(sh.tracking_number, sizeof sh.tracking_number, "DEMO-%04d", i + 1);
	if (rc == STORE_OK)
		rc = store_shipment_insert(s, &sh);
	if (rc == STORE_OK)
		rc = store_shipment_delivered(s, o.id, delivered);

	static const int days[3] = {3, 14, 30};
	for (int k = 0; rc == STORE_OK && k < 3 && delivered + days[k] * DAY <= now; k++) {
		checkin_record ck = {.patient_id = u.id, .product_id = p->id, .anchor_order_id = o.id, .lots_order_id = o.id,
		                     .day_offset = days[k], .due_at = delivered + days[k] * DAY,
		                     .link_expires_at = delivered + (days[k] + 14) * DAY,
		                     .created_at = delivered + days[k] * DAY};
		char token[TOKEN_TEXT_MAX];
		token_random(token);
		token_hash(token, ck.link_token_hash);
		/* As the tick does: a newer check-in closes an unanswered older one as missed. */
		rc = store_checkins_close_open(s, u.id, p->id, "missed", ck.due_at, NULL);
		if (rc == STORE_OK)
			rc = store_checkin_insert(s, &ck);
		const char *answer = cohort_answers[i][k];
		if (rc != STORE_OK || answer == NULL)
			continue;
		ck.answered_at = ck.due_at + (3 + i % 5) * 3600;
		snprintf(ck.answered_via, sizeof ck.answered_via, "%s", i % 3 == 0 ? "link" : "app");
		ck.nothing_changed = *answer == '\0';
		rc = store_checkin_answer(s, &ck);
		checkin_symptom sy = {.severity = "mild", .still_present = false};
		snprintf(sy.symptom, sizeof sy.symptom, "%s", answer);
		if (rc == STORE_OK && *answer)
			rc = store_checkin_symptom_insert(s, ck.id, &sy);
	}
	return rc;
}

/* Loads the demonstration cohort (see the file comment); 0 or -1 (nothing of the cohort's
 * transaction written; the product and lots, created before it, stay). */
int followup_demo_load(store *s, int64_t doctor_id, int64_t pharmacist_id, int64_t now)
{
	int64_t product_id, lots[2];
	if (demo_product(s, pharmacist_id, now, &product_id, lots) != 0)
		return -1;
	product_record p;
	if (store_product_get(s, product_id, &p) != STORE_OK || store_begin(s) != STORE_OK)
		return -1;
	followup_plan plan;
	followup_plan_defaults(&plan, product_id);
	plan.disclose = true;
	plan.updated_at = now - 120 * DAY;
	plan.updated_by = pharmacist_id;
	store_rc rc = store_followup_plan_put(s, &plan);
	for (int i = 0; rc == STORE_OK && i < COHORT; i++)
		rc = demo_patient(s, i, doctor_id, pharmacist_id, &p, lots[i % 2], now - (35 + 4 * i) * DAY, now);
	/* Those whose link ran out are missed, as the tick would have marked them. */
	if (rc == STORE_OK)
		rc = store_checkins_expire(s, now, NULL);
	actor system = {.id = 0, .role = ROLE_NONE};
	if (rc != STORE_OK || !service_audit(s, &system, "demo.load", "product", product_id, "follow-up demonstration cohort"))
		return service_rollback(s, -1);
	return store_commit(s) == STORE_OK ? 0 : -1;
}
