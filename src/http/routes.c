/* The API routing table: every endpoint, the roles it admits and the body it accepts, at a
 * glance. Deny by default: a route admits only the roles it names. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/payment.h"
#include "core/validate.h"
#include "service/trace.h"
#include "http/handlers.h"
#include "http/http.h"
#include "clock.h"

static const char *check_birth_date(const char *v);
static const char *check_lang(const char *v);

static const field_spec signup_fields[] = {
	{"email", FIELD_STRING, true, 3, 254, 0, 0, FIELD_LOWERCASE, validate_email},
	{"password", FIELD_STRING, true, 0, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, validate_password},
	{"name", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"name_kana", FIELD_STRING, true, 1, 100, 0, 0, 0, validate_kana},
	{"birth_date", FIELD_STRING, true, 10, 10, 0, 0, 0, check_birth_date},
	{"sex", FIELD_STRING, true, 1, 6, 0, 0, 0, validate_sex},
	{"phone", FIELD_STRING, true, 10, 13, 0, 0, FIELD_PHONE, validate_phone},
	{"postal_code", FIELD_STRING, false, 8, 8, 0, 0, FIELD_POSTAL_CODE, validate_postal_code},
	{"address", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{"lang", FIELD_STRING, false, 2, 2, 0, 0, 0, check_lang},
	/* Absent: clinic 1. 0: offered a choice and chose none, answered as an unknown clinic. */
	{"clinic_id", FIELD_INTEGER, false, 0, 0, 0, INT64_MAX, 0, NULL},
	{0},
};

static const field_spec registry_alert_fields[] = {
	{"product_id", FIELD_INTEGER, true, 0, 0, 1, INT64_MAX, 0, NULL},
	{"lot_number", FIELD_STRING, true, 1, 64, 0, 0, 0, NULL},
	{"reason", FIELD_STRING, true, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec login_fields[] = {
	{"email", FIELD_STRING, true, 1, 254, 0, 0, FIELD_LOWERCASE, NULL},
	{"password", FIELD_STRING, true, 1, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, NULL},
	{0},
};

static const field_spec reset_request_fields[] = {
	{"email", FIELD_STRING, true, 3, 254, 0, 0, FIELD_LOWERCASE, validate_email},
	{"lang", FIELD_STRING, false, 2, 2, 0, 0, 0, check_lang},
	{0},
};

static const field_spec reset_confirm_fields[] = {
	{"token", FIELD_STRING, true, 20, 64, 0, 0, FIELD_RAW, NULL},
	{"password", FIELD_STRING, true, 0, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, validate_password},
	{0},
};

static const field_spec staff_fields[] = {
	{"email", FIELD_STRING, true, 3, 254, 0, 0, FIELD_LOWERCASE, validate_email},
	{"password", FIELD_STRING, true, 0, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, validate_password},
	{"name", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"role", FIELD_STRING, true, 1, 16, 0, 0, 0, validate_staff_role},
	{0},
};

static const char *check_lang(const char *v)
{
	return strcmp(v, "ja") == 0 || strcmp(v, "en") == 0 ? NULL : "lang_value";
}

/* A patient's own change (PUT /me/profile): the sign-up's rules; a new e-mail needs the
 * current password (checked by the service). */
static const field_spec profile_fields[] = {
	{"name", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"name_kana", FIELD_STRING, true, 1, 100, 0, 0, 0, validate_kana},
	{"phone", FIELD_STRING, true, 10, 13, 0, 0, FIELD_PHONE, validate_phone},
	{"postal_code", FIELD_STRING, false, 8, 8, 0, 0, FIELD_POSTAL_CODE, validate_postal_code},
	{"address", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{"lang", FIELD_STRING, false, 2, 2, 0, 0, 0, check_lang},
	{"email", FIELD_STRING, false, 3, 254, 0, 0, FIELD_LOWERCASE, validate_email},
	{"current_password", FIELD_STRING, false, 0, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, NULL},
	{0},
};

static const field_spec role_change_fields[] = {
	{"role", FIELD_STRING, true, 1, 16, 0, 0, 0, validate_staff_role},
	{0},
};

static const char *check_sha256_hex(const char *v)
{
	if (strlen(v) != 64)
		return "sha256_format";
	for (const char *p = v; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return "sha256_format";
	return NULL;
}

static const char *check_decision(const char *v)
{
	return strcmp(v, "approved") == 0 || strcmp(v, "declined") == 0 ? NULL : "decision_value";
}

static const char *check_date(const char *v)
{
	int y, m, d;
	char tail;
	if (strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || v[4] != '-' || v[7] != '-')
		return "date_format";
	return date_is_valid(y, m, d) ? NULL : "date_invalid";
}

static const field_spec slot_publish_fields[] = {
	{"doctor_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"start", FIELD_STRING, true, 1, 40, 0, 0, 0, NULL},
	{"end", FIELD_STRING, true, 1, 40, 0, 0, 0, NULL},
	{"slot_minutes", FIELD_INTEGER, false, 0, 0, 5, 120, 0, NULL},
	{0},
};

static const field_spec slot_pattern_fields[] = {
	{"doctor_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"first_date", FIELD_STRING, true, 10, 10, 0, 0, 0, check_date},
	{"last_date", FIELD_STRING, true, 10, 10, 0, 0, 0, check_date},
	{"weekdays", FIELD_ARRAY, true, 1, 7, 0, 0, 0, NULL},
	{"day_start", FIELD_STRING, true, 5, 5, 0, 0, 0, NULL},
	{"day_end", FIELD_STRING, true, 5, 5, 0, 0, 0, NULL},
	{"slot_minutes", FIELD_INTEGER, false, 0, 0, 5, 120, 0, NULL},
	{"preview", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{0},
};

static const field_spec booking_fields[] = {
	{"slot_id", FIELD_INTEGER, true, 0, 0, 1, INT64_MAX, 0, NULL},
	{0},
};

static const char *check_call_result(const char *v)
{
	return strcmp(v, "held") == 0 || strcmp(v, "not_reached") == 0 ? NULL : "call_result_value";
}

static const field_spec call_fields[] = {
	{"result", FIELD_STRING, true, 1, 12, 0, 0, 0, check_call_result},
	{"called_at", FIELD_STRING, false, 1, 40, 0, 0, 0, NULL},
	{"notes", FIELD_STRING, false, 0, 4000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec answers_fields[] = {
	{"questionnaire_id", FIELD_STRING, true, 1, 64, 0, 0, 0, NULL},
	{"version", FIELD_INTEGER, true, 0, 0, 1, 100000, 0, NULL},
	{"answers", FIELD_OBJECT, true, 0, 0, 0, 0, 0, NULL},
	{0},
};

static const field_spec consent_fields[] = {
	{"consent_id", FIELD_STRING, true, 1, 64, 0, 0, 0, NULL},
	{"version", FIELD_INTEGER, true, 0, 0, 1, 100000, 0, NULL},
	{"lang", FIELD_STRING, true, 2, 2, 0, 0, 0, check_lang},
	{"sha256", FIELD_STRING, true, 64, 64, 0, 0, FIELD_LOWERCASE, check_sha256_hex},
	{0},
};

static const field_spec decision_fields[] = {
	{"response_id", FIELD_INTEGER, true, 0, 0, 1, INT64_MAX, 0, NULL},
	{"decision", FIELD_STRING, true, 1, 10, 0, 0, 0, check_decision},
	{"notes", FIELD_STRING, true, 1, 4000, 0, 0, FIELD_MULTILINE, NULL},
	{"product_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"quantity", FIELD_INTEGER, false, 0, 0, 1, 12, 0, NULL},
	{"directions", FIELD_STRING, false, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{"valid_until", FIELD_STRING, false, 10, 10, 0, 0, 0, check_date},
	{"decline_reason", FIELD_STRING, false, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{"override_reason", FIELD_STRING, false, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	/* Approving without a held call: a sentence, not a tick (like an override reason). */
	{"no_call_reason", FIELD_STRING, false, 10, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const char *check_code(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return "code_format";
	return NULL;
}

static const char *check_test_kind(const char *v)
{
	for (int i = 0; i < LOT_REQUIRED_TEST_COUNT; i++)
		if (strcmp(v, lot_required_tests[i]) == 0)
			return NULL;
	return "test_kind_value";
}

static const char *check_pass_fail(const char *v)
{
	return strcmp(v, "pass") == 0 || strcmp(v, "fail") == 0 ? NULL : "result_value";
}

static const char *check_payment_method(const char *v)
{
	return payment_method_find(v) ? NULL : "payment_method_value";
}

static const field_spec product_fields[] = {
	{"code", FIELD_STRING, true, 1, 40, 0, 0, 0, check_code},
	{"name_ja", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"name_en", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"form", FIELD_STRING, true, 1, 50, 0, 0, 0, NULL},
	{"manufacturer", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"country", FIELD_STRING, true, 1, 50, 0, 0, 0, NULL},
	{"source_cell_type", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"storage_min_c", FIELD_NUMBER, true, 0, 0, -100, 100, 0, NULL},
	{"storage_max_c", FIELD_NUMBER, true, 0, 0, -100, 100, 0, NULL},
	{"excursion_allowance_minutes", FIELD_INTEGER, true, 0, 0, 0, 10080, 0, NULL},
	{"shelf_life_days", FIELD_INTEGER, true, 0, 0, 1, 3650, 0, NULL},
	{"price_jpy", FIELD_INTEGER, true, 0, 0, 0, 10000000, 0, NULL},
	{"tax_rate_percent", FIELD_INTEGER, false, 0, 0, 0, 100, 0, NULL},
	{"units_description", FIELD_STRING, false, 0, 100, 0, 0, 0, NULL},
	{0},
};

static const field_spec lot_fields[] = {
	{"product_id", FIELD_INTEGER, true, 0, 0, 1, INT64_MAX, 0, NULL},
	{"lot_number", FIELD_STRING, true, 1, 64, 0, 0, 0, check_code},
	{"manufactured_on", FIELD_STRING, true, 10, 10, 0, 0, 0, check_date},
	{"expires_on", FIELD_STRING, true, 10, 10, 0, 0, 0, check_date},
	{"quantity", FIELD_INTEGER, true, 0, 0, 1, 1000000, 0, NULL},
	{"donor_age", FIELD_INTEGER, false, 0, 0, 0, 120, 0, NULL},
	{"donor_screening", FIELD_STRING, false, 0, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{"storage_location", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{0},
};

static const field_spec lot_test_fields[] = {
	{"kind", FIELD_STRING, true, 1, 24, 0, 0, 0, check_test_kind},
	{"result", FIELD_STRING, true, 1, 4, 0, 0, 0, check_pass_fail},
	{"value", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{"method", FIELD_STRING, true, 1, 200, 0, 0, 0, NULL},
	{"tested_on", FIELD_STRING, true, 10, 10, 0, 0, 0, check_date},
	{"certificate_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"duplicate_reason", FIELD_STRING, false, 0, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec transition_fields[] = {
	{"to", FIELD_STRING, true, 1, 16, 0, 0, 0, NULL},
	{"reason", FIELD_STRING, true, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec reason_fields[] = {
	{"reason", FIELD_STRING, true, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec recall_track_fields[] = {
	{"status", FIELD_STRING, true, 1, 12, 0, 0, 0, NULL},
	{"contact_notes", FIELD_STRING, false, 0, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{"closed_on", FIELD_STRING, false, 0, 10, 0, 0, 0, NULL},
	{0},
};

static const field_spec order_fields[] = {
	{"quantity", FIELD_INTEGER, true, 0, 0, 1, 12, 0, NULL},
	{"payment_method", FIELD_STRING, true, 1, 20, 0, 0, 0, check_payment_method},
	{0},
};

static const field_spec payment_fields[] = {
	{"reference", FIELD_STRING, false, 0, 100, 0, 0, 0, NULL},
	{0},
};

static const field_spec ship_fields[] = {
	{"carrier", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"tracking_number", FIELD_STRING, true, 1, 100, 0, 0, 0, check_code},
	{"logger_id", FIELD_STRING, false, 0, 64, 0, 0, 0, check_code},
	{0},
};

static const char *check_unit_kind(const char *v)
{
	return strcmp(v, "refrigerator") == 0 || strcmp(v, "freezer") == 0 || strcmp(v, "room") == 0 ? NULL : "unit_kind_value";
}

static const char *check_disposition(const char *v)
{
	return strcmp(v, "released") == 0 || strcmp(v, "destroyed") == 0 ? NULL : "disposition_value";
}

static const field_spec unit_fields[] = {
	{"name", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"kind", FIELD_STRING, true, 1, 16, 0, 0, 0, check_unit_kind},
	{"location", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{0},
};

static const field_spec logger_fields[] = {
	{"code", FIELD_STRING, true, 1, 64, 0, 0, 0, check_code},
	{"description", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{"unit_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"interval_seconds", FIELD_INTEGER, false, 0, 0, 1, 86400, 0, NULL},
	{"ingest", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{0},
};

static const field_spec placement_fields[] = {
	{"unit_id", FIELD_INTEGER, true, 0, 0, 1, INT64_MAX, 0, NULL},
	{0},
};

static const field_spec dispose_fields[] = {
	{"disposition", FIELD_STRING, true, 1, 12, 0, 0, 0, check_disposition},
	{"justification", FIELD_STRING, true, 1, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec adcheck_fields[] = {
	/* Raw: the reply's offsets index the text exactly as sent. */
	{"text", FIELD_STRING, true, 1, 300000, 0, 0, FIELD_RAW | FIELD_MULTILINE, NULL},
	{"format", FIELD_STRING, false, 4, 4, 0, 0, 0, NULL},
	{0},
};

static const char *check_severity(const char *v)
{
	return strcmp(v, "mild") == 0 || strcmp(v, "moderate") == 0 || strcmp(v, "severe") == 0 ? NULL : "severity_value";
}

static const field_spec ae_report_fields[] = {
	{"patient_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"order_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{"symptoms", FIELD_ARRAY, true, 1, 9, 0, 0, 0, NULL},
	{"description", FIELD_STRING, false, 0, 4000, 0, 0, FIELD_MULTILINE, NULL},
	{"onset_date", FIELD_STRING, true, 10, 10, 0, 0, 0, check_date},
	{"ongoing", FIELD_BOOLEAN, true, 0, 0, 0, 0, 0, NULL},
	{"severity", FIELD_STRING, true, 1, 10, 0, 0, 0, check_severity},
	{"checkin_id", FIELD_INTEGER, false, 0, 0, 1, INT64_MAX, 0, NULL},
	{0},
};

static const field_spec ae_assessment_fields[] = {
	{"terms", FIELD_ARRAY, true, 1, 20, 0, 0, 0, NULL},
	{"death", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{"life_threatening", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{"hospitalization", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{"disability", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{"congenital_anomaly", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{"other_medically_important", FIELD_BOOLEAN, false, 0, 0, 0, 0, 0, NULL},
	{"outcome", FIELD_STRING, true, 1, 24, 0, 0, 0, NULL},
	{"outcome_date", FIELD_STRING, false, 10, 10, 0, 0, 0, check_date},
	{"causality", FIELD_STRING, true, 1, 16, 0, 0, 0, NULL},
	{"treatment", FIELD_STRING, false, 0, 2000, 0, 0, FIELD_MULTILINE, NULL},
	{"narrative", FIELD_STRING, false, 0, 4000, 0, 0, FIELD_MULTILINE, NULL},
	{"lot_ids", FIELD_ARRAY, false, 0, 16, 0, 0, 0, NULL},
	{0},
};

/* Checked all at once by src/core/clinic_profile.c, so a form shows every error together;
 * here only the type and an outer bound. */
static const field_spec clinic_fields[] = {
	{"name", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"postal_code", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"address", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"phone", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"hours", FIELD_STRING, false, 0, 1000, 0, 0, FIELD_MULTILINE, NULL},
	{"email", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"bank_name", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"bank_branch", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"bank_account_type", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"bank_account_number", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"bank_account_holder", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"doctor_name", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{"doctor_licence", FIELD_STRING, false, 0, 1000, 0, 0, 0, NULL},
	{0},
};

/* Follow-up answers: symptoms and note are checked by the service (the checklist, each item's
 * shape) and by handlers_followup.c (a call's nested "answers" object). */
static const field_spec checkin_answer_fields[] = {
	{"nothing_changed", FIELD_BOOLEAN, true, 0, 0, 0, 0, 0, NULL},
	{"symptoms", FIELD_ARRAY, false, 0, 9, 0, 0, 0, NULL},
	{"note", FIELD_STRING, false, 0, 2000, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec checkin_call_fields[] = {
	{"outcome", FIELD_STRING, true, 1, 12, 0, 0, 0, NULL},
	{"answers", FIELD_OBJECT, false, 0, 0, 0, 0, 0, NULL},
	{0},
};

static const field_spec followup_withdraw_fields[] = {
	{"reason", FIELD_STRING, false, 0, 500, 0, 0, FIELD_MULTILINE, NULL},
	{0},
};

static const field_spec followup_plan_fields[] = {
	{"first_days", FIELD_ARRAY, true, 1, 12, 0, 0, 0, NULL},
	{"repeat_days", FIELD_INTEGER, true, 0, 0, 7, 3650, 0, NULL},
	{"disclose", FIELD_BOOLEAN, true, 0, 0, 0, 0, 0, NULL},
	{0},
};

const field_spec ROUTE_RAW_BODY[] = {{0}};

static const field_spec no_fields[] = {{0}};

const route api_routes[] = {
	{"GET", "/api/v1/health", ACCESS_PUBLIC, NULL, handle_health},
	{"GET", "/api/v1/auth/csrf", ACCESS_PUBLIC, NULL, handle_csrf},
	{"POST", "/api/v1/auth/signup", ACCESS_PUBLIC, signup_fields, handle_signup},
	{"GET", "/api/v1/public/clinics", ACCESS_PUBLIC, NULL, handle_public_clinics},
	{"POST", "/api/v1/auth/login", ACCESS_PUBLIC, login_fields, handle_login},
	{"POST", "/api/v1/auth/logout", ROLE_ANY_USER | ROLE_SAFETY_OFFICER, no_fields, handle_logout},
	{"POST", "/api/v1/auth/password-reset", ACCESS_PUBLIC, reset_request_fields, handle_password_reset_request},
	{"POST", "/api/v1/auth/password-reset/confirm", ACCESS_PUBLIC, reset_confirm_fields, handle_password_reset_confirm},
	{"GET", "/api/v1/admin/mail", ROLE_ADMIN, NULL, handle_admin_mail},
	{"GET", "/api/v1/me", ROLE_ANY_USER | ROLE_SAFETY_OFFICER, NULL, handle_me},
	{"GET", "/api/v1/users", ROLE_ADMIN, NULL, handle_users_list},
	{"POST", "/api/v1/users", ROLE_ADMIN, staff_fields, handle_users_create},
	{"GET", "/api/v1/audit", ROLE_ADMIN, NULL, handle_audit_list},
	{"GET", "/api/v1/me/profile", ROLE_PATIENT, NULL, handle_my_profile},
	{"PUT", "/api/v1/me/profile", ROLE_PATIENT, profile_fields, handle_my_profile_update},
	{"GET", "/api/v1/admin/users", ROLE_ADMIN, NULL, handle_admin_users_list},
	{"POST", "/api/v1/admin/users/{id}/deactivate", ROLE_ADMIN, no_fields, handle_admin_user_deactivate},
	{"POST", "/api/v1/admin/users/{id}/reactivate", ROLE_ADMIN, no_fields, handle_admin_user_reactivate},
	{"POST", "/api/v1/admin/users/{id}/role", ROLE_ADMIN, role_change_fields, handle_admin_user_role},
	{"POST", "/api/v1/admin/users/{id}/force-password-reset", ROLE_ADMIN, no_fields, handle_admin_user_force_reset},
	{"GET", "/api/v1/clinic", ACCESS_PUBLIC, NULL, handle_clinic_get},
	{"PUT", "/api/v1/clinic", ROLE_ADMIN, clinic_fields, handle_clinic_put},
	{"GET", "/api/v1/audit.csv", ROLE_ADMIN, NULL, handle_audit_csv},
	{"GET", "/api/v1/audit/filters", ROLE_ADMIN, NULL, handle_audit_filters},

	{"GET", "/api/v1/slots", ROLE_ANY_USER, NULL, handle_slots_list},
	{"POST", "/api/v1/slots", ROLE_DOCTOR | ROLE_ADMIN, slot_publish_fields, handle_slots_publish},
	{"POST", "/api/v1/slots/pattern", ROLE_DOCTOR | ROLE_ADMIN, slot_pattern_fields, handle_slots_pattern},
	{"DELETE", "/api/v1/slots/{id}", ROLE_DOCTOR | ROLE_ADMIN, no_fields, handle_slot_delete},
	{"GET", "/api/v1/schedule", ROLE_DOCTOR | ROLE_ADMIN, NULL, handle_schedule},
	{"GET", "/api/v1/bookings", ROLE_PATIENT, NULL, handle_bookings_list},
	{"POST", "/api/v1/bookings", ROLE_PATIENT, booking_fields, handle_booking_create},
	{"POST", "/api/v1/bookings/{id}/cancel", ROLE_PATIENT, no_fields, handle_booking_cancel},
	{"POST", "/api/v1/bookings/{id}/reschedule", ROLE_PATIENT, booking_fields, handle_booking_reschedule},
	{"GET", "/api/v1/bookings/{id}/calendar.ics", ROLE_PATIENT, NULL, handle_booking_ics},
	{"POST", "/api/v1/bookings/{id}/call", ROLE_DOCTOR, call_fields, handle_booking_call},

	{"GET", "/api/v1/questionnaire", ROLE_ANY_USER, NULL, handle_questionnaire_current},
	{"POST", "/api/v1/questionnaire/responses", ROLE_PATIENT, answers_fields, handle_questionnaire_submit},
	{"GET", "/api/v1/consent", ROLE_ANY_USER, NULL, handle_consent_current},
	{"POST", "/api/v1/consent", ROLE_PATIENT, consent_fields, handle_consent_accept},
	{"POST", "/api/v1/consent/withdraw", ROLE_PATIENT, no_fields, handle_consent_withdraw},
	{"GET", "/api/v1/intake", ROLE_PATIENT, NULL, handle_my_intake},
	{"GET", "/api/v1/questionnaire/fhir", ROLE_ANY_USER, NULL, handle_questionnaire_fhir},
	{"GET", "/api/v1/intake/fhir/questionnaire-response", ROLE_PATIENT, NULL, handle_my_response_fhir},
	{"GET", "/api/v1/intake/fhir/consent", ROLE_PATIENT, NULL, handle_my_consent_fhir},
	{"GET", "/api/v1/patients/{id}/fhir/questionnaire-response", ROLE_DOCTOR | ROLE_PHARMACIST, NULL, handle_patient_response_fhir},
	{"GET", "/api/v1/patients/{id}/fhir/consent", ROLE_DOCTOR | ROLE_PHARMACIST, NULL, handle_patient_consent_fhir},

	{"GET", "/api/v1/review/queue", ROLE_DOCTOR, NULL, handle_review_queue},
	{"GET", "/api/v1/patients/{id}/intake", ROLE_DOCTOR, NULL, handle_patient_intake},
	{"POST", "/api/v1/patients/{id}/decision", ROLE_DOCTOR, decision_fields, handle_patient_decision},

	{"GET", "/api/v1/products", ROLE_ANY_USER, NULL, handle_products_list},
	{"POST", "/api/v1/products", ROLE_PHARMACIST | ROLE_ADMIN, product_fields, handle_product_create},
	{"GET", "/api/v1/lots", ROLE_STAFF, NULL, handle_lots_list},
	{"POST", "/api/v1/lots", ROLE_PHARMACIST, lot_fields, handle_lot_create},
	{"GET", "/api/v1/lots/{id}", ROLE_STAFF, NULL, handle_lot_get},
	{"POST", "/api/v1/lots/{id}/certificates", ROLE_PHARMACIST, ROUTE_RAW_BODY, handle_lot_certificate_upload},
	{"POST", "/api/v1/lots/{id}/tests", ROLE_PHARMACIST, lot_test_fields, handle_lot_test_create},
	{"POST", "/api/v1/lots/{id}/transition", ROLE_PHARMACIST | ROLE_ADMIN, transition_fields, handle_lot_transition},
	{"POST", "/api/v1/lots/{id}/recall", ROLE_PHARMACIST, reason_fields, handle_lot_recall},
	{"GET", "/api/v1/lots/{id}/recipients", ROLE_STAFF, NULL, handle_lot_recipients},
	{"GET", "/api/v1/lots/{id}/recall-notices", ROLE_STAFF, NULL, handle_lot_recall_notices},
	{"GET", "/api/v1/lots/{id}/recipients.csv", ROLE_STAFF, NULL, handle_lot_recipients_csv},
	{"POST", "/api/v1/lots/{id}/recipients/{id}", ROLE_STAFF, recall_track_fields, handle_recall_track_update},
	{"GET", "/api/v1/me/recalls", ROLE_ANY_USER, NULL, handle_my_recalls},
	{"POST", "/api/v1/me/recalls/{id}/acknowledge", ROLE_PATIENT, no_fields, handle_my_recall_acknowledge},

	{"GET", "/api/v1/payment-methods", ROLE_ANY_USER, NULL, handle_payment_methods},
	{"GET", "/api/v1/orders", ROLE_ANY_USER, NULL, handle_orders_list},
	{"POST", "/api/v1/orders", ROLE_PATIENT, order_fields, handle_order_create},
	{"GET", "/api/v1/orders/{id}", ROLE_ANY_USER, NULL, handle_order_get},
	{"POST", "/api/v1/orders/{id}/cancel", ROLE_PATIENT | ROLE_PHARMACIST | ROLE_ADMIN, no_fields, handle_order_cancel},
	{"POST", "/api/v1/orders/{id}/payment", ROLE_PHARMACIST | ROLE_ADMIN, payment_fields, handle_order_payment},
	{"POST", "/api/v1/orders/{id}/dispense", ROLE_PHARMACIST, no_fields, handle_order_dispense},
	{"POST", "/api/v1/orders/{id}/ship", ROLE_PHARMACIST | ROLE_ADMIN, ship_fields, handle_order_ship},
	{"POST", "/api/v1/orders/{id}/delivered", ROLE_PHARMACIST | ROLE_ADMIN, no_fields, handle_order_delivered},
	{"GET", "/api/v1/orders/{id}/packing-slip", ROLE_PHARMACIST | ROLE_ADMIN, NULL, handle_order_packing_slip},

	{"GET", "/api/v1/storage-units", ROLE_STAFF, NULL, handle_units_list},
	{"POST", "/api/v1/storage-units", ROLE_PHARMACIST | ROLE_ADMIN, unit_fields, handle_unit_create},
	{"GET", "/api/v1/loggers", ROLE_STAFF, NULL, handle_loggers_list},
	{"POST", "/api/v1/loggers", ROLE_PHARMACIST | ROLE_ADMIN, logger_fields, handle_logger_create},
	{"POST", "/api/v1/loggers/{id}/import", ROLE_PHARMACIST, ROUTE_RAW_BODY, handle_logger_import},
	{"POST", "/api/v1/loggers/{id}/readings", ACCESS_DEVICE, ROUTE_RAW_BODY, handle_logger_ingest},
	{"GET", "/api/v1/loggers/{id}/series", ROLE_STAFF, NULL, handle_logger_series},
	{"POST", "/api/v1/lots/{id}/placement", ROLE_PHARMACIST, placement_fields, handle_lot_place},
	{"GET", "/api/v1/lots/{id}/storage", ROLE_STAFF, NULL, handle_lot_storage},
	{"GET", "/api/v1/coldchain/alerts", ROLE_STAFF, NULL, handle_alerts_list},
	{"GET", "/api/v1/coldchain/silences", ROLE_STAFF, NULL, handle_silences_list},
	{"GET", "/api/v1/coldchain/alerts/{id}", ROLE_STAFF, NULL, handle_alert_get},
	{"POST", "/api/v1/coldchain/alerts/{id}/dispose", ROLE_PHARMACIST, dispose_fields, handle_alert_dispose},

	{"POST", "/api/v1/adcheck", ROLE_STAFF, adcheck_fields, handle_adcheck},

	{"GET", "/api/v1/adverse-events", ROLE_ANY_USER, NULL, handle_ae_list},
	{"POST", "/api/v1/adverse-events", ROLE_ANY_USER, ae_report_fields, handle_ae_create},
	{"GET", "/api/v1/adverse-events/{id}", ROLE_ANY_USER, NULL, handle_ae_get},
	{"POST", "/api/v1/adverse-events/{id}/photo", ROLE_ANY_USER, ROUTE_RAW_BODY, handle_ae_photo_upload},
	{"GET", "/api/v1/adverse-events/{id}/photo", ROLE_ANY_USER, NULL, handle_ae_photo},
	{"POST", "/api/v1/adverse-events/{id}/assessments", ROLE_DOCTOR | ROLE_PHARMACIST, ae_assessment_fields, handle_ae_assess},
	{"GET", "/api/v1/adverse-events/{id}/fhir", ROLE_DOCTOR | ROLE_PHARMACIST, NULL, handle_ae_export_fhir},
	{"GET", "/api/v1/adverse-events/{id}/e2b", ROLE_DOCTOR | ROLE_PHARMACIST, NULL, handle_ae_export_e2b},
	{"GET", "/api/v1/adverse-events/{id}/pmda-form", ROLE_STAFF, NULL, handle_ae_pmda_form},
	{"GET", "/api/v1/ae-lot-alerts", ROLE_STAFF, NULL, handle_ae_lot_alerts},
	{"GET", "/api/v1/ctcae/terms", ROLE_STAFF, NULL, handle_ctcae_terms},
	{"GET", "/api/v1/signals", ROLE_STAFF, NULL, handle_signals},

	/* The safety officer's registry: pooled over every clinic, de-identified (issue 18). */
	{"GET", "/api/v1/registry/adverse-events", ROLE_SAFETY_OFFICER, NULL, handle_registry_adverse_events},
	{"GET", "/api/v1/registry/lots", ROLE_SAFETY_OFFICER, NULL, handle_registry_lots},
	{"POST", "/api/v1/registry/lots/alert", ROLE_SAFETY_OFFICER, registry_alert_fields, handle_registry_lot_alert},
	{"GET", "/api/v1/registry/signals", ROLE_SAFETY_OFFICER, NULL, handle_registry_signals},

	{"GET", "/api/v1/me/checkins", ROLE_PATIENT, NULL, handle_my_checkins},
	{"GET", "/api/v1/checkins/{id}", ROLE_ANY_USER, NULL, handle_checkin_get},
	{"POST", "/api/v1/checkins/{id}/answers", ROLE_PATIENT, checkin_answer_fields, handle_checkin_answer},
	{"GET", "/api/v1/checkin-links/{token}", ACCESS_PUBLIC, NULL, handle_checkin_link_get},
	{"POST", "/api/v1/checkin-links/{token}/answers", ACCESS_PUBLIC, checkin_answer_fields, handle_checkin_link_answer},
	{"POST", "/api/v1/me/followup/withdraw", ROLE_PATIENT, followup_withdraw_fields, handle_followup_withdraw},
	{"POST", "/api/v1/me/followup/resume", ROLE_PATIENT, no_fields, handle_followup_resume},
	{"GET", "/api/v1/followup/nonresponders", ROLE_STAFF, NULL, handle_followup_nonresponders},
	{"POST", "/api/v1/checkins/{id}/calls", ROLE_STAFF, checkin_call_fields, handle_checkin_call},
	{"GET", "/api/v1/followup/products/{id}", ROLE_STAFF, NULL, handle_followup_product},
	{"GET", "/api/v1/followup/lots/{id}", ROLE_STAFF, NULL, handle_followup_lot},
	{"PUT", "/api/v1/followup/products/{id}/plan", ROLE_ADMIN, followup_plan_fields, handle_followup_plan_put},

	{"GET", "/api/v1/public/products", ACCESS_PUBLIC, NULL, handle_public_products},
	{"GET", "/api/v1/public/products/{id}", ACCESS_PUBLIC, NULL, handle_public_product},
	{"GET", "/api/v1/public/lots/{id}", ACCESS_PUBLIC, NULL, handle_public_lot},
	{"GET", "/api/v1/public/certificates/{id}", ACCESS_PUBLIC, NULL, handle_public_certificate},
};

const int api_route_count = sizeof api_routes / sizeof api_routes[0];

static const char *check_birth_date(const char *v)
{
	return validate_birth_date(v, clock_now());
}
