/* The demonstration data (see demo.h). */
#include "service/demo.h"

#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"
#include "service/accounts.h"
#include "service/clinic.h"
#include "service/followup.h"
#include "service/intake.h"
#include "service/trace.h"
#include "clock.h"

const demo_account demo_accounts[DEMO_ACCOUNT_COUNT] = {
	{ROLE_ADMIN, "admin@clinic.example", "管理 太郎", "admin-demo-pass", {0}},
	{ROLE_DOCTOR, "doctor@clinic.example", "医師 一郎", "doctor-demo-pass", {0}},
	{ROLE_PHARMACIST, "pharmacist@clinic.example", "薬剤 花子", "pharmacist-demo-pass", {0}},
	{ROLE_PATIENT, "hanako@patient.example", "山田 花子", "patient-demo-pass",
	 {0, "ヤマダ ハナコ", "1985-04-01", "female", "090-1234-5678", "150-0001", "東京都渋谷区神宮前1-2-3"}},
	{ROLE_PATIENT, "taro@patient.example", "佐藤 太郎", "patient-demo-pass",
	 {0, "サトウ タロウ", "1979-11-20", "male", "080-2345-6789", "530-0001", "大阪府大阪市北区梅田4-5-6"}},
};

/* A one-page PDF that says what it is: demo certificates are marked as such. */
static const char demo_pdf[] =
	"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
	"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
	"4 0 obj<</Length 61>>stream\nBT /F1 18 Tf 72 760 Td (exosafe DEMO certificate - not real) Tj ET\nendstream endobj\n"
	"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
	"trailer<</Root 1 0 R>>\n%%EOF\n";

/* The clinic's product and one released lot with every release test, so the whole journey
 * (approve, order, dispense, ship, recall) can be tried at once. */
static int demo_product_and_lot(store *s, int64_t pharmacist_id)
{
	actor pharmacist = {.id = pharmacist_id, .role = ROLE_PHARMACIST};
	int64_t now = clock_now();
	product_record p = {.code = "EXO-CREAM-M", .name_ja = "エクソソームクリーム(男性用)",
	                    .name_en = "Exosome cream (for men)", .form = "外用クリーム / topical cream",
	                    .manufacturer = "デモ製造株式会社 / Demo Manufacturing Co.", .country = "日本 / Japan",
	                    .source_cell_type = "ヒト脂肪由来幹細胞培養上清 / human adipose-derived MSC culture",
	                    .storage_min_c = 2, .storage_max_c = 8, .excursion_allowance_minutes = 60,
	                    .shelf_life_days = 365, .price_jpy = 22000, .tax_rate_percent = 10,
	                    .units_description = "1本(1日1回で約1か月分) / 1 bottle (about one month)"};
	if (trace_create_product(s, &pharmacist, &p, now) != TRACE_OK)
		return -1;
	char made[11], expires[11], tested[11];
	jst_date(now - 30 * 86400, made);
	jst_date(now + 335 * 86400, expires);
	jst_date(now - 20 * 86400, tested);
	lot_record lot = {.product_id = p.id, .quantity_received = 50, .donor_age = 28,
	                  .donor_screening = "HBV・HCV・HIV・HTLV-1・梅毒:陰性 / negative", .storage_location = "冷蔵庫A / fridge A"};
	snprintf(lot.lot_number, sizeof lot.lot_number, "DEMO-%.4s%.2s", made, made + 5);
	snprintf(lot.manufactured_on, sizeof lot.manufactured_on, "%s", made);
	snprintf(lot.expires_on, sizeof lot.expires_on, "%s", expires);
	const char *field;
	if (trace_receive_lot(s, &pharmacist, &lot, now, &field) != TRACE_OK)
		return -1;
	return demo_release_lot(s, pharmacist_id, lot.id, tested, now);
}

int demo_release_lot(store *s, int64_t pharmacist_id, int64_t lot_id, const char *tested_on, int64_t now)
{
	actor pharmacist = {.id = pharmacist_id, .role = ROLE_PHARMACIST};
	const char *field;
	static const char *const methods[LOT_REQUIRED_TEST_COUNT] = {
		"日本薬局方 無菌試験法", "NAT法", "比色法 (LAL)", "PCR (HBV/HCV/HIV)", "NTA 粒子径分布", "CD9/CD63/CD81 陽性",
	};
	for (int i = 0; i < LOT_REQUIRED_TEST_COUNT; i++) {
		certificate_record cert;
		char name[64];
		snprintf(name, sizeof name, "demo-%s.pdf", lot_required_tests[i]);
		/* One distinct file per test: the same bytes twice would be refused as a duplicate. */
		char pdf[sizeof demo_pdf + 96];
		snprintf(pdf, sizeof pdf, "%s%% test: %s, lot %lld\n", demo_pdf, lot_required_tests[i], (long long)lot_id);
		certificate_use dup;
		if (trace_add_certificate(s, &pharmacist, lot_id, name, (const unsigned char *)pdf, strlen(pdf), 1 << 20, NULL,
		                          now, &cert, &dup, &field) != TRACE_OK)
			return -1;
		lot_test_record t = {.lot_id = lot_id, .certificate_id = cert.id};
		snprintf(t.kind, sizeof t.kind, "%s", lot_required_tests[i]);
		snprintf(t.result, sizeof t.result, "pass");
		snprintf(t.method, sizeof t.method, "%s", methods[i]);
		snprintf(t.tested_on, sizeof t.tested_on, "%s", tested_on);
		if (trace_record_test(s, &pharmacist, &t, now, &dup, &field) != TRACE_OK)
			return -1;
	}
	if (trace_transition(s, &pharmacist, lot_id, LOT_QUARANTINE, "受入検査待ち / awaiting release review", now) != TRACE_OK ||
	    trace_transition(s, &pharmacist, lot_id, LOT_RELEASED, "全試験合格・証明書確認済み(デモ)", now) != TRACE_OK)
		return -1;
	return 0;
}

static int first_slot_id(void *ctx, const slot_view *v)
{
	*(int64_t *)ctx = v->slot.id;
	return 1;
}

/* A call of the doctor with the first patient, due some ten minutes ago (published and booked
 * the day before), so the doctor's schedule opens on a call to record as held or not reached. */
static int demo_call(store *s, int64_t doctor_id, int64_t patient_id)
{
	int64_t now = clock_now();
	int64_t starts = now - 10 * 60;
	starts -= starts % 600;
	int64_t day_before = starts - 86400;
	actor doctor = {.id = doctor_id, .role = ROLE_DOCTOR};
	actor patient = {.id = patient_id, .role = ROLE_PATIENT};
	int created = 0;
	if (intake_publish_slots(s, &doctor, doctor_id, starts, starts + 600, 10, day_before, &created) != INTAKE_OK)
		return -1;
	int64_t slot_id = 0;
	slot_query q = {.doctor_id = doctor_id, .from = starts, .to = starts + 1, .limit = 1};
	if (store_slot_list(s, &q, first_slot_id, &slot_id) != STORE_OK || slot_id == 0)
		return -1;
	booking_record b;
	/* No mail settings: demo data queues no patients' mails (clinic.example reaches no one). */
	return intake_book(s, NULL, &patient, slot_id, day_before + 60, &b) == INTAKE_OK ? 0 : -1;
}

demo_rc demo_load(store *s, const char **failed_email)
{
	*failed_email = NULL;
	int64_t users = 0;
	if (store_user_count(s, &users) != STORE_OK || users > 0)
		return DEMO_NOT_EMPTY;
	actor system = {.id = 0, .role = ROLE_NONE};
	int64_t pharmacist_id = 0, doctor_id = 0, first_patient_id = 0;
	for (size_t i = 0; i < DEMO_ACCOUNT_COUNT; i++) {
		const demo_account *d = &demo_accounts[i];
		user_record u = {0};
		snprintf(u.email, sizeof u.email, "%s", d->email);
		snprintf(u.name, sizeof u.name, "%s", d->name);
		u.role = d->role;
		if (accounts_create(s, &system, "demo.load", &u, d->password, &d->profile) != ACCOUNTS_OK) {
			*failed_email = d->email;
			return DEMO_ACCOUNT;
		}
		if (d->role == ROLE_PHARMACIST)
			pharmacist_id = u.id;
		if (d->role == ROLE_DOCTOR)
			doctor_id = u.id;
		if (d->role == ROLE_PATIENT && first_patient_id == 0)
			first_patient_id = u.id;
	}
	if (clinic_profile_load_demo(s) != CLINIC_OK)
		return DEMO_CLINIC;
	if (demo_product_and_lot(s, pharmacist_id) != 0)
		return DEMO_PRODUCT;
	if (demo_call(s, doctor_id, first_patient_id) != 0)
		return DEMO_CALL;
	if (followup_demo_load(s, doctor_id, pharmacist_id, clock_now()) != 0)
		return DEMO_FOLLOWUP;
	return DEMO_OK;
}
