#include "service/clinic.h"
#include "clock.h"
#include "core/text.h"

#include <stdio.h>
#include <string.h>

clinic_rc clinic_profile_get(store *s, clinic_profile *out)
{
	*out = (clinic_profile){0};
	/* The clinic of the store's scope: the signed-in staff's or patient's own; clinic 1 for the
	 * CLI and the public pages of a one-clinic installation. */
	int64_t id = store_scope_home(s);
	store_rc rc = store_clinic_get(s, id, out);
	if (rc == STORE_NOT_FOUND) {
		snprintf(s->errmsg, sizeof s->errmsg, "the clinic row %lld is missing (database not migrated?)", (long long)id);
		return CLINIC_ERROR;
	}
	return rc == STORE_OK ? CLINIC_OK : CLINIC_ERROR;
}

clinic_rc clinic_profile_of(store *s, const user_record *user, clinic_profile *out)
{
	if (user->clinic_id <= 0)
		return clinic_profile_get(s, out);
	*out = (clinic_profile){0};
	store_rc rc = store_clinic_get(s, user->clinic_id, out);
	if (rc == STORE_NOT_FOUND)
		snprintf(s->errmsg, sizeof s->errmsg, "the clinic row %lld is missing", (long long)user->clinic_id);
	return rc == STORE_OK ? CLINIC_OK : CLINIC_ERROR;
}

/* "name,phone": the fields whose stored value changes, for the audit row (values are not
 * logged: the bank account has no place in the audit log). */
static void changed_fields(const clinic_profile *a, const clinic_profile *b, char *out, size_t outlen)
{
	const char *va[CLINIC_FIELD_COUNT] = {a->name, a->postal_code, a->address, a->phone, a->hours, a->email,
	                                      a->bank_name, a->bank_branch, a->bank_account_type, a->bank_account_number,
	                                      a->bank_account_holder, a->doctor_name, a->doctor_licence};
	const char *vb[CLINIC_FIELD_COUNT] = {b->name, b->postal_code, b->address, b->phone, b->hours, b->email,
	                                      b->bank_name, b->bank_branch, b->bank_account_type, b->bank_account_number,
	                                      b->bank_account_holder, b->doctor_name, b->doctor_licence};
	size_t n = 0;
	out[0] = '\0';
	for (int f = 0; f < CLINIC_FIELD_COUNT; f++) {
		if (strcmp(va[f], vb[f]) == 0)
			continue;
		int w = snprintf(out + n, outlen - n, "%s%s", n ? "," : "", clinic_field_names[f]);
		if (w < 0 || (size_t)w >= outlen - n)
			break;
		n += (size_t)w;
	}
}

static clinic_rc write_profile(store *s, const actor *by, const clinic_profile *before, clinic_profile *next)
{
	next->updated_at = clock_now();
	next->updated_by = by->id;
	char fields[300], detail[400], object[32];
	changed_fields(before, next, fields, sizeof fields);
	snprintf(detail, sizeof detail, "fields=%s%s", fields[0] ? fields : "(none)", next->is_demo ? " demo" : "");
	snprintf(object, sizeof object, "clinic:%lld", (long long)next->id);
	if (store_begin(s) != STORE_OK)
		return CLINIC_ERROR;
	audit_row row;
	audit_row_make(&row, by->id, by->role, "clinic.update", object, detail);
	if (by->id == 0)
		snprintf(row.actor_role, sizeof row.actor_role, "system");
	if (store_clinic_put(s, next) != STORE_OK || store_audit_append(s, &row) != STORE_OK) {
		store_rollback(s);
		return CLINIC_ERROR;
	}
	return store_commit(s) == STORE_OK ? CLINIC_OK : CLINIC_ERROR;
}

clinic_rc clinic_create(store *s, const actor *by, const char *name, clinic_profile *out)
{
	*out = (clinic_profile){0};
	long chars = text_char_count(name);
	if (chars < 1 || chars > 100 || !text_is_clean(name, 0) || strlen(name) >= sizeof out->name)
		return CLINIC_INVALID;
	snprintf(out->name, sizeof out->name, "%s", name);
	out->updated_at = clock_now();
	if (store_begin(s) != STORE_OK)
		return CLINIC_ERROR;
	if (store_clinic_insert(s, out) != STORE_OK) {
		store_rollback(s);
		return CLINIC_ERROR;
	}
	char object[32];
	snprintf(object, sizeof object, "clinic:%lld", (long long)out->id);
	audit_row row;
	audit_row_make(&row, by->id, by->role, "clinic.create", object, "");
	if (by->id == 0)
		snprintf(row.actor_role, sizeof row.actor_role, "system");
	if (store_audit_append(s, &row) != STORE_OK) {
		store_rollback(s);
		return CLINIC_ERROR;
	}
	return store_commit(s) == STORE_OK ? CLINIC_OK : CLINIC_ERROR;
}

clinic_rc clinic_profile_update(store *s, const actor *by, const char *const raw[CLINIC_FIELD_COUNT], bool production,
                                clinic_profile *out, clinic_field_error errs[CLINIC_FIELD_COUNT], int *nerr)
{
	*nerr = 0;
	clinic_profile before;
	clinic_rc rc = clinic_profile_get(s, &before);
	if (rc != CLINIC_OK)
		return rc;
	clinic_profile next = before;
	*nerr = clinic_profile_check(raw, production, &next, errs);
	if (*nerr > 0)
		return CLINIC_INVALID;
	/* is_demo stays as it is: a database with demo accounts (published passwords) remains a
	 * demo database whatever details it is given later. */
	rc = write_profile(s, by, &before, &next);
	if (rc == CLINIC_OK)
		*out = next;
	return rc;
}

clinic_rc clinic_profile_for_documents(store *s, server_mode mode, clinic_profile *out,
                                       const char *missing[CLINIC_FIELD_COUNT], int *nmissing)
{
	*nmissing = 0;
	clinic_rc rc = clinic_profile_get(s, out);
	if (rc != CLINIC_OK)
		return rc;
	if (mode == MODE_DEMO)
		return CLINIC_OK;
	*nmissing = clinic_profile_missing(out, missing);
	return *nmissing > 0 || out->is_demo ? CLINIC_SETUP_NEEDED : CLINIC_OK;
}

clinic_rc clinic_profile_load_demo(store *s)
{
	clinic_profile before;
	clinic_rc rc = clinic_profile_get(s, &before);
	if (rc != CLINIC_OK)
		return rc;
	/* Fictional on its face: the name says 【デモ】 and 架空, the 0000 exchange is never assigned
	 * to a subscriber, the bank and the licence number are invented. */
	static const char *const demo[CLINIC_FIELD_COUNT] = {
		[CLINIC_NAME] = "【デモ】みなとスキンクリニック(架空)",
		[CLINIC_POSTAL_CODE] = "100-0000",
		[CLINIC_ADDRESS] = "東京都千代田区デモ町1-2-3 デモビル4階(架空の住所)",
		[CLINIC_PHONE] = "03-0000-1234",
		[CLINIC_HOURS] = "平日 10:00–18:00 / 土曜 10:00–13:00",
		[CLINIC_EMAIL] = "clinic@clinic.example",
		[CLINIC_BANK_NAME] = "デモ銀行",
		[CLINIC_BANK_BRANCH] = "本店営業部",
		[CLINIC_BANK_ACCOUNT_TYPE] = "futsu",
		[CLINIC_BANK_ACCOUNT_NUMBER] = "0000000",
		[CLINIC_BANK_ACCOUNT_HOLDER] = "デモ スキンクリニツク",
		[CLINIC_DOCTOR_NAME] = "医師 一郎(デモ)",
		[CLINIC_DOCTOR_LICENCE] = "000000",
	};
	clinic_profile next = before;
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	if (clinic_profile_check(demo, false, &next, errs) != 0) {
		snprintf(s->errmsg, sizeof s->errmsg, "demo clinic: %s: %s", errs[0].field, errs[0].reason);
		return CLINIC_ERROR;
	}
	next.is_demo = true;
	actor system = {0};
	return write_profile(s, &system, &before, &next);
}

server_mode clinic_resolve_mode(server_mode configured, const clinic_profile *p)
{
	if (configured != MODE_AUTO)
		return configured;
	return p->is_demo ? MODE_DEMO : MODE_PRODUCTION;
}

void clinic_address_line(const clinic_profile *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s%s%s", p->postal_code[0] ? "〒" : "", p->postal_code, p->postal_code[0] ? " " : "",
	         p->address);
}
