/* Sign-up, log-in, log-out and the signed-in user. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/timefmt.h"
#include "http/handlers.h"
#include "service/accounts.h"
#include "clock.h"

#define SESSION_COOKIE "exosafe_session"
#define CSRF_COOKIE "exosafe_csrf"
/* Marks a browser that has logged in to an account: strangers' wrong guesses do not lock it
 * out (accounts_login). */
#define DEVICE_COOKIE "exosafe_device"

json_t *json_user(const user_record *u, const patient_profile *profile)
{
	char created[ISO8601_LEN];
	time_iso8601(u->created_at, created);
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "email", u->email, "name", u->name,
	                      "role", role_name(u->role), "created_at", created);
	/* The clinic the account belongs to; null for the safety officer, who has none. */
	json_object_set_new(j, "clinic_id", u->clinic_id > 0 ? json_integer(u->clinic_id) : json_null());
	if (profile != NULL)
		json_object_set_new(j, "profile",
		                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name_kana", profile->name_kana, "birth_date",
		                              profile->birth_date, "sex", profile->sex, "phone", profile->phone,
		                              "postal_code", profile->postal_code, "address", profile->address));
	return j;
}

void handle_health(request *req)
{
	int version = 0;
	if (store_schema_version(req->db, &version) != STORE_OK) {
		reply_internal(req, "schema version");
		return;
	}
	reply_json(req, 200, json_pack("{s:s, s:i}", "status", "ok", "schema_version", version));
}

void handle_csrf(request *req)
{
	char token[TOKEN_TEXT_MAX];
	if (req->signed_in) {
		snprintf(token, sizeof token, "%s", req->session.csrf_token);
	} else {
		const char *existing = request_cookie(req, CSRF_COOKIE);
		if (existing != NULL && strlen(existing) >= 32 && strlen(existing) < TOKEN_TEXT_MAX)
			snprintf(token, sizeof token, "%s", existing);
		else
			token_random(token);
	}
	reply_cookie(req, CSRF_COOKIE, token, false, -1);
	reply_json(req, 200, json_pack("{s:s}", "csrf_token", token));
}

/* Writes the profile read audit row for a patient's own record; false on failure. */
static bool audit_profile_read(request *req, const user_record *patient)
{
	char object[64];
	snprintf(object, sizeof object, "patient:%lld", (long long)patient->id);
	return request_audit(req, "patient.profile.read", object, "") == STORE_OK;
}

/* Opens a session for user and answers with the user, the cookies and the CSRF token. */
static void start_session(request *req, const user_record *user, const char *audit_action, int status)
{
	char token[TOKEN_TEXT_MAX];
	session_record session;
	if (accounts_session_start(req->db, user, clock_now(), audit_action, token, &session) != ACCOUNTS_OK) {
		reply_internal(req, "start session");
		return;
	}
	patient_profile profile;
	bool has_profile = user->role == ROLE_PATIENT && store_profile_get(req->db, user->id, &profile) == STORE_OK;
	reply_cookie(req, SESSION_COOKIE, token, true, -1);
	reply_cookie(req, CSRF_COOKIE, session.csrf_token, false, -1);
	reply_json(req, status,
	           json_pack("{s:o, s:s}", "user", json_user(user, has_profile ? &profile : NULL), "csrf_token",
	                     session.csrf_token));
}

void handle_signup(request *req)
{
	if (req->signed_in) {
		reply_error(req, 403, "forbidden", NULL, NULL);
		return;
	}
	user_record user = {0};
	patient_profile profile = {0};
	snprintf(user.email, sizeof user.email, "%s", input_string(req, "email"));
	snprintf(user.name, sizeof user.name, "%s", input_string(req, "name"));
	user.role = ROLE_PATIENT;
	/* The language the patient signed up in is the one the clinic writes to them in. */
	const char *message_lang = input_string(req, "lang");
	snprintf(user.lang, sizeof user.lang, "%s", message_lang ? message_lang : "ja");
	snprintf(profile.name_kana, sizeof profile.name_kana, "%s", input_string(req, "name_kana"));
	snprintf(profile.birth_date, sizeof profile.birth_date, "%s", input_string(req, "birth_date"));
	snprintf(profile.sex, sizeof profile.sex, "%s", input_string(req, "sex"));
	snprintf(profile.phone, sizeof profile.phone, "%s", input_string(req, "phone"));
	const char *postal = input_string(req, "postal_code"), *address = input_string(req, "address");
	snprintf(profile.postal_code, sizeof profile.postal_code, "%s", postal ? postal : "");
	snprintf(profile.address, sizeof profile.address, "%s", address ? address : "");

	/* The clinic the patient registers with (a chain of clinics offers a choice). */
	user.clinic_id = input_int(req, "clinic_id", 1);
	clinic_profile clinic;
	store_rc crc = store_clinic_get(req->db, user.clinic_id, &clinic);
	if (crc == STORE_NOT_FOUND) {
		reply_error(req, 400, "invalid_field", "clinic_id", "unknown_clinic");
		return;
	}
	if (crc != STORE_OK) {
		reply_internal(req, "sign-up clinic");
		return;
	}

	actor self = {.self = true};
	switch (accounts_create(req->db, &self, "auth.signup", &user, input_string(req, "password"), &profile)) {
	case ACCOUNTS_OK:
		break;
	case ACCOUNTS_EMAIL_TAKEN:
		reply_error(req, 409, "email_taken", "email", NULL);
		return;
	default:
		reply_internal(req, "sign-up");
		return;
	}
	start_session(req, &user, NULL, 201);
}

void handle_login(request *req)
{
	login_attempt attempt = {input_string(req, "email"), input_string(req, "password"), req->client_address,
	                         request_cookie(req, DEVICE_COOKIE)};
	user_record user;
	char new_device[TOKEN_TEXT_MAX];
	switch (accounts_login(req->db, &req->cfg->login, &attempt, clock_now(), &user, new_device)) {
	case ACCOUNTS_OK:
		break;
	case ACCOUNTS_THROTTLED:
		reply_error(req, 429, "rate_limited", NULL, NULL);
		return;
	case ACCOUNTS_BAD_CREDENTIALS:
		reply_error(req, 401, "invalid_credentials", NULL, NULL);
		return;
	case ACCOUNTS_DEACTIVATED:
		reply_error(req, 403, "account_deactivated", NULL, NULL);
		return;
	case ACCOUNTS_RESET_REQUIRED:
		reply_error(req, 403, "password_reset_required", NULL, NULL);
		return;
	default:
		reply_internal(req, "log-in");
		return;
	}
	/* A log-in replaces whatever session the browser had. */
	if (req->signed_in)
		accounts_session_end(req->db, &req->session, &req->user);
	start_session(req, &user, "auth.login", 200);
	if (new_device[0] != '\0' && req->status == 200)
		reply_cookie(req, DEVICE_COOKIE, new_device, true, (int)ACCOUNTS_DEVICE_KEEP_SECONDS);
}

void handle_logout(request *req)
{
	if (accounts_session_end(req->db, &req->session, &req->user) != ACCOUNTS_OK) {
		reply_internal(req, "log-out");
		return;
	}
	reply_cookie(req, SESSION_COOKIE, "", true, 0);
	reply_cookie(req, CSRF_COOKIE, "", false, 0);
	reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

void handle_me(request *req)
{
	patient_profile profile;
	bool has_profile = false;
	if (req->user.role == ROLE_PATIENT) {
		store_rc rc = store_profile_get(req->db, req->user.id, &profile);
		if (rc == STORE_ERROR) {
			reply_internal(req, "read profile");
			return;
		}
		has_profile = rc == STORE_OK;
		/* Personal data read: audited before it is sent, or not sent at all. */
		if (has_profile && !audit_profile_read(req, &req->user)) {
			reply_internal(req, "audit profile read");
			return;
		}
	}
	reply_json(req, 200,
	           json_pack("{s:o, s:s}", "user", json_user(&req->user, has_profile ? &profile : NULL), "csrf_token",
	                     req->session.csrf_token));
}
