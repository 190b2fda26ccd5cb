/* GET and PUT /api/v1/clinic: the clinic's own details.
 *
 * GET is public: anyone sees what a patient needs to reach the clinic (name, address, phone,
 * hours, responsible doctor), with "mode" (production | demo) and "setup_needed" plus the
 * missing fields' names while a live clinic's details are incomplete. Signed-in users also
 * get the e-mail and the bank account for transfers; admins everything, with updated_at/_by.
 * PUT (admin) replaces the details and answers every refused field at once:
 *   400 {"error":{"code":"invalid_fields","message","field","fields":[{"field","code","message"}]}},
 *   the same error.fields every form reads (web/js/forms.js). */
#include <stdio.h>
#include <string.h>

#include "http/handlers.h"
#include "service/clinic.h"

static json_t *json_missing(const clinic_profile *p)
{
	const char *missing[CLINIC_FIELD_COUNT];
	int n = clinic_profile_missing(p, missing);
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_string(missing[i]));
	return list;
}

json_t *json_clinic(const request *req, const clinic_profile *p)
{
	bool demo = req->cfg->mode == MODE_DEMO;
	json_t *missing = demo ? json_array() : json_missing(p);
	bool setup_needed = json_array_size(missing) > 0 || (!demo && p->is_demo);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", p->name, "postal_code", p->postal_code, "address",
	                      p->address, "phone", p->phone, "hours", p->hours, "doctor_name", p->doctor_name);
	if (req->signed_in) {
		json_object_set_new(c, "email", json_string(p->email));
		json_t *bank = json_null();
		if (clinic_profile_has_bank(p))
			bank = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s}", "bank_name", p->bank_name, "bank_branch",
			                 p->bank_branch, "account_type", p->bank_account_type, "account_type_label", "ja",
			                 clinic_account_type_label(p->bank_account_type, false), "en",
			                 clinic_account_type_label(p->bank_account_type, true), "account_number",
			                 p->bank_account_number, "account_holder", p->bank_account_holder);
		json_object_set_new(c, "bank", bank);
	}
	if (req->signed_in && (req->user.role & ROLE_STAFF)) {
		json_object_set_new(c, "doctor_licence", json_string(p->doctor_licence));
	}
	if (req->signed_in && req->user.role == ROLE_ADMIN) {
		/* The form's own values, one per editable field. */
		json_object_set_new(c, "bank_name", json_string(p->bank_name));
		json_object_set_new(c, "bank_branch", json_string(p->bank_branch));
		json_object_set_new(c, "bank_account_type", json_string(p->bank_account_type));
		json_object_set_new(c, "bank_account_number", json_string(p->bank_account_number));
		json_object_set_new(c, "bank_account_holder", json_string(p->bank_account_holder));
		json_object_set_new(c, "updated_at", p->updated_at ? json_time(p->updated_at) : json_null());
		json_object_set_new(c, "updated_by", p->updated_by ? json_integer(p->updated_by) : json_null());
	}
	return json_pack("{s:o, s:s, s:b, s:o}", "clinic", c, "mode", demo ? "demo" : "production", "setup_needed",
	                 setup_needed, "missing", missing);
}

void handle_clinic_get(request *req)
{
	clinic_profile p;
	if (clinic_profile_get(req->db, &p) != CLINIC_OK) {
		reply_internal(req, "read clinic");
		return;
	}
	reply_json(req, 200, json_clinic(req, &p));
}

/* The label of a clinic field: "clinic.name" for the clinic's name, else the shared one. */
static const char *clinic_label(lang l, const char *field)
{
	char key[64];
	snprintf(key, sizeof key, "clinic.%s", field);
	const char *label = field_label(l, key);
	return strcmp(label, key) == 0 ? field_label(l, field) : label;
}

void handle_clinic_put(request *req)
{
	const char *raw[CLINIC_FIELD_COUNT];
	for (int f = 0; f < CLINIC_FIELD_COUNT; f++)
		raw[f] = input_string(req, clinic_field_names[f]);
	actor by = request_actor(req);
	clinic_profile stored;
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	int nerr = 0;
	clinic_rc rc = clinic_profile_update(req->db, &by, raw, req->cfg->mode != MODE_DEMO, &stored, errs, &nerr);
	if (rc == CLINIC_INVALID) {
		json_t *list = json_array();
		for (int i = 0; i < nerr; i++) {
			char message[512];
			snprintf(message, sizeof message, "%s: %s", clinic_label(req->lang, errs[i].field),
			         message_text(req->lang, errs[i].reason));
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "field", errs[i].field, "code", errs[i].reason,
			                                      "message", message));
		}
		json_t *first = json_array_get(list, 0);
		json_t *err = json_pack("{s:s, s:s, s:O, s:o}", "code", "invalid_fields", "message",
		                        message_text(req->lang, "invalid_fields"), "field", json_object_get(first, "field"),
		                        "fields", list);
		reply_json(req, 400, json_pack("{s:o}", "error", err));
		return;
	}
	if (rc != CLINIC_OK) {
		reply_internal(req, "update clinic");
		return;
	}
	reply_json(req, 200, json_clinic(req, &stored));
}

bool clinic_for_document(request *req, clinic_profile *out)
{
	const char *missing[CLINIC_FIELD_COUNT];
	int nmissing = 0;
	clinic_rc rc = clinic_profile_for_documents(req->db, req->cfg->mode, out, missing, &nmissing);
	if (rc == CLINIC_SETUP_NEEDED) {
		reply_error(req, 409, "clinic_setup_needed", nmissing > 0 ? missing[0] : NULL, NULL);
		return false;
	}
	if (rc != CLINIC_OK) {
		reply_internal(req, "read clinic");
		return false;
	}
	return true;
}
