/* A patient's own details: read and change name, kana, phone, address, e-mail and the
 * language of what is sent to them (GET/PUT /api/v1/me/profile). Personal data: every read
 * and every change is audited. */
#include <stdio.h>
#include <string.h>

#include "http/handlers.h"
#include "service/accounts.h"
#include "clock.h"

/* The profile as the page edits it: the account's fields and the patient's. */
static json_t *json_profile(const user_record *u, const patient_profile *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", u->name, "email", u->email, "lang",
	                 u->lang[0] ? u->lang : "ja", "name_kana", p->name_kana, "birth_date", p->birth_date, "sex", p->sex,
	                 "phone", p->phone, "postal_code", p->postal_code, "address", p->address);
}

/* Reads the signed-in patient's profile; false (with the reply set) when it cannot. */
static bool load_profile(request *req, patient_profile *out)
{
	store_rc rc = store_profile_get(req->db, req->user.id, out);
	if (rc == STORE_NOT_FOUND)
		reply_error(req, 404, "not_found", NULL, NULL);
	else if (rc != STORE_OK)
		reply_internal(req, "read profile");
	return rc == STORE_OK;
}

void handle_my_profile(request *req)
{
	patient_profile profile;
	if (!load_profile(req, &profile))
		return;
	char object[64];
	snprintf(object, sizeof object, "patient:%lld", (long long)req->user.id);
	/* Audited before it is sent, or not sent at all. */
	if (!audit_read(req, "patient.profile.read", object, "", "audit profile read"))
		return;
	reply_json(req, 200, json_pack("{s:o}", "profile", json_profile(&req->user, &profile)));
}

void handle_my_profile_update(request *req)
{
	patient_profile profile;
	if (!load_profile(req, &profile))
		return;
	profile_change change = {
		.name = input_string(req, "name"),
		.name_kana = input_string(req, "name_kana"),
		.phone = input_string(req, "phone"),
		.postal_code = input_string(req, "postal_code"),
		.address = input_string(req, "address"),
		.lang = input_string(req, "lang"),
		.email = input_string(req, "email"),
		.current_password = input_string(req, "current_password"),
		.address_from = req->client_address,
	};
	user_record user = req->user;
	switch (accounts_profile_update(req->db, &req->cfg->login, &user, &profile, &change, clock_now())) {
	case ACCOUNTS_OK:
		reply_json(req, 200, json_pack("{s:o}", "profile", json_profile(&user, &profile)));
		return;
	case ACCOUNTS_PASSWORD_NEEDED:
		reply_error(req, 400, "missing_field", "current_password", "current_password_needed");
		return;
	case ACCOUNTS_BAD_CREDENTIALS:
		reply_error(req, 400, "invalid_field", "current_password", "current_password_wrong");
		return;
	case ACCOUNTS_THROTTLED:
		reply_error(req, 429, "rate_limited", NULL, NULL);
		return;
	case ACCOUNTS_EMAIL_TAKEN:
		reply_error(req, 409, "email_taken", "email", NULL);
		return;
	default:
		reply_internal(req, "update profile");
		return;
	}
}
