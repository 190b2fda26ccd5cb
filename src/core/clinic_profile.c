/* Checks of the clinic's own details (see clinic_profile.h).
 *
 * Formats:
 * - phone and postal code: src/core/jp_contact.c (full-width digits, any dash, 〒, +81).
 * - bank account number: 7 digits, the length Japanese banks give ordinary and current
 *   accounts (口座番号 7桁; the Zengin transfer format's account-number field is 7 digits).
 * - account holder (口座名義): katakana as the bank's passbook prints it, with the letters,
 *   digits, spaces and the few symbols ( ) . - / , that Zengin transfer data allows; half-width
 *   katakana typed from a passbook (ｲﾘﾖｳﾎｳｼﾞﾝ) becomes full-width under NFKC.
 * - 医籍登録番号 (the doctor's registration number in the 医籍, 医師法 第6条): up to 6 digits;
 *   "第" and "号" around it are dropped. */
#include "core/clinic_profile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "core/jp_contact.h"
#include "core/text.h"
#include "core/validate.h"

const char *const clinic_field_names[CLINIC_FIELD_COUNT] = {
	"name", "postal_code", "address", "phone", "hours", "email",
	"bank_name", "bank_branch", "bank_account_type", "bank_account_number",
	"bank_account_holder", "doctor_name", "doctor_licence",
};

int clinic_field_find(const char *name)
{
	for (int i = 0; i < CLINIC_FIELD_COUNT; i++)
		if (strcmp(clinic_field_names[i], name) == 0)
			return i;
	return -1;
}

/* Names the old configuration defaulted to, and the demo's: never a live clinic's. */
static const char *const placeholder_names[] = {
	"exosafe クリニック", "exosafeクリニック", "exosafe clinic", "クリニック名", "clinic",
};

static bool is_placeholder_name(const char *name)
{
	for (size_t i = 0; i < sizeof placeholder_names / sizeof placeholder_names[0]; i++)
		if (strcasecmp(name, placeholder_names[i]) == 0)
			return true;
	return strstr(name, "【デモ】") != NULL;
}

/* A one-line (or, with multiline, several-line) text of 1..max_chars code points. */
static const char *check_text(const char *v, long max_chars, int multiline)
{
	long n = text_char_count(v);
	if (n < 0)
		return "text_encoding";
	if (!text_is_clean(v, multiline))
		return "control_chars";
	if (n > max_chars)
		return "too_long";
	return NULL;
}

static const char *check_holder(const char *v)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)v;
	utf8proc_int32_t cp;
	bool kana = false;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n < 0)
			return "text_encoding";
		if (cp >= 0x30A1 && cp <= 0x30FC)
			kana = true;
		else if (!((cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == ' ' || cp == '(' || cp == ')' ||
		           cp == '.' || cp == '-' || cp == '/' || cp == ',' || cp == 0x3000))
			return "holder_kana";
		p += n;
	}
	return kana ? NULL : "holder_kana";
}

static const char *norm_account_type(const char *v, char *out, size_t outlen)
{
	if (strcmp(v, "futsu") == 0 || strcmp(v, "普通") == 0 || strcmp(v, "普通預金") == 0)
		snprintf(out, outlen, "futsu");
	else if (strcmp(v, "toza") == 0 || strcmp(v, "当座") == 0 || strcmp(v, "当座預金") == 0)
		snprintf(out, outlen, "toza");
	else
		return "account_type_value";
	return NULL;
}

static const char *norm_digits(const char *v, size_t min, size_t max, char *out, size_t outlen, const char *reason)
{
	size_t n = 0;
	for (const char *p = v; *p; p++) {
		if (*p == '-' || *p == ' ')
			continue; /* 1234-567 as some passbooks group it */
		if (!isdigit((unsigned char)*p) || n + 1 >= outlen)
			return reason;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n >= min && n <= max ? NULL : reason;
}

static const char *norm_licence(const char *v, char *out, size_t outlen)
{
	char buf[64];
	const char *start = v;
	if (strncmp(start, "第", strlen("第")) == 0)
		start += strlen("第");
	snprintf(buf, sizeof buf, "%s", start);
	size_t len = strlen(buf), go = strlen("号");
	if (len >= go && strcmp(buf + len - go, "号") == 0)
		buf[len - go] = '\0';
	while (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
	return norm_digits(buf, 1, 6, out, outlen, "licence_format");
}

static void copy_field(clinic_profile *p, int field, const char *v)
{
	switch (field) {
	case CLINIC_NAME: snprintf(p->name, sizeof p->name, "%s", v); break;
	case CLINIC_POSTAL_CODE: snprintf(p->postal_code, sizeof p->postal_code, "%s", v); break;
	case CLINIC_ADDRESS: snprintf(p->address, sizeof p->address, "%s", v); break;
	case CLINIC_PHONE: snprintf(p->phone, sizeof p->phone, "%s", v); break;
	case CLINIC_HOURS: snprintf(p->hours, sizeof p->hours, "%s", v); break;
	case CLINIC_EMAIL: snprintf(p->email, sizeof p->email, "%s", v); break;
	case CLINIC_BANK_NAME: snprintf(p->bank_name, sizeof p->bank_name, "%s", v); break;
	case CLINIC_BANK_BRANCH: snprintf(p->bank_branch, sizeof p->bank_branch, "%s", v); break;
	case CLINIC_BANK_ACCOUNT_TYPE: snprintf(p->bank_account_type, sizeof p->bank_account_type, "%s", v); break;
	case CLINIC_BANK_ACCOUNT_NUMBER: snprintf(p->bank_account_number, sizeof p->bank_account_number, "%s", v); break;
	case CLINIC_BANK_ACCOUNT_HOLDER: snprintf(p->bank_account_holder, sizeof p->bank_account_holder, "%s", v); break;
	case CLINIC_DOCTOR_NAME: snprintf(p->doctor_name, sizeof p->doctor_name, "%s", v); break;
	case CLINIC_DOCTOR_LICENCE: snprintf(p->doctor_licence, sizeof p->doctor_licence, "%s", v); break;
	default: break;
	}
}

/* Checks one non-empty, NFKC-normalised value; writes its stored form to out. */
static const char *check_field(int field, const char *v, bool production, char *out, size_t outlen)
{
	const char *why = NULL;
	snprintf(out, outlen, "%s", v);
	switch (field) {
	case CLINIC_NAME:
		why = check_text(v, 100, 0);
		if (why == NULL && production && is_placeholder_name(v))
			why = "placeholder";
		return why;
	case CLINIC_ADDRESS: return check_text(v, 200, 0);
	case CLINIC_HOURS: return check_text(v, 200, 1);
	case CLINIC_BANK_NAME:
	case CLINIC_BANK_BRANCH: return check_text(v, 30, 0);
	case CLINIC_DOCTOR_NAME: return check_text(v, 50, 0);
	case CLINIC_POSTAL_CODE: return jp_postal_normalize(v, out, outlen);
	case CLINIC_PHONE:
		why = jp_phone_normalize(v, out, outlen);
		if (why == NULL && production && jp_phone_is_placeholder(out))
			why = "placeholder";
		return why;
	case CLINIC_EMAIL:
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return validate_email(out);
	case CLINIC_BANK_ACCOUNT_TYPE: return norm_account_type(v, out, outlen);
	case CLINIC_BANK_ACCOUNT_NUMBER: return norm_digits(v, 7, 7, out, outlen, "account_number_format");
	case CLINIC_BANK_ACCOUNT_HOLDER:
		why = check_text(v, 48, 0);
		return why ? why : check_holder(v);
	case CLINIC_DOCTOR_LICENCE: return norm_licence(v, out, outlen);
	default: return "unknown_field";
	}
}

static bool required_field(int field)
{
	return field == CLINIC_NAME || field == CLINIC_POSTAL_CODE || field == CLINIC_ADDRESS || field == CLINIC_PHONE ||
	       field == CLINIC_HOURS || field == CLINIC_DOCTOR_NAME || field == CLINIC_DOCTOR_LICENCE;
}

static bool bank_field(int field)
{
	return field >= CLINIC_BANK_NAME && field <= CLINIC_BANK_ACCOUNT_HOLDER;
}

int clinic_profile_check(const char *const raw[CLINIC_FIELD_COUNT], bool production, clinic_profile *out,
                         clinic_field_error errs[CLINIC_FIELD_COUNT])
{
	int nerr = 0;
	char *norm[CLINIC_FIELD_COUNT] = {0};
	bool any_bank = false;
	for (int f = 0; f < CLINIC_FIELD_COUNT; f++) {
		norm[f] = text_normalize(raw[f] ? raw[f] : "");
		if (norm[f] == NULL) {
			errs[nerr++] = (clinic_field_error){clinic_field_names[f], "text_encoding"};
			continue;
		}
		if (bank_field(f) && norm[f][0])
			any_bank = true;
	}
	clinic_profile next = *out;
	for (int f = 0; f < CLINIC_FIELD_COUNT; f++) {
		if (norm[f] == NULL)
			continue;
		if (norm[f][0] == '\0') {
			if (required_field(f))
				errs[nerr++] = (clinic_field_error){clinic_field_names[f], "empty"};
			else if (bank_field(f) && any_bank)
				errs[nerr++] = (clinic_field_error){clinic_field_names[f], "bank_incomplete"};
			else
				copy_field(&next, f, "");
			continue;
		}
		char value[1024];
		const char *why = check_field(f, norm[f], production, value, sizeof value);
		if (why != NULL)
			errs[nerr++] = (clinic_field_error){clinic_field_names[f], why};
		else
			copy_field(&next, f, value);
	}
	for (int f = 0; f < CLINIC_FIELD_COUNT; f++)
		free(norm[f]);
	if (nerr == 0)
		*out = next;
	return nerr;
}

int clinic_profile_missing(const clinic_profile *p, const char *missing[CLINIC_FIELD_COUNT])
{
	int n = 0;
	if (p->name[0] == '\0' || is_placeholder_name(p->name))
		missing[n++] = "name";
	if (p->postal_code[0] == '\0')
		missing[n++] = "postal_code";
	if (p->address[0] == '\0')
		missing[n++] = "address";
	if (p->phone[0] == '\0' || jp_phone_is_placeholder(p->phone))
		missing[n++] = "phone";
	if (p->hours[0] == '\0')
		missing[n++] = "hours";
	if (p->doctor_name[0] == '\0')
		missing[n++] = "doctor_name";
	if (p->doctor_licence[0] == '\0')
		missing[n++] = "doctor_licence";
	return n;
}

bool clinic_profile_has_bank(const clinic_profile *p)
{
	return p->bank_name[0] && p->bank_branch[0] && p->bank_account_type[0] && p->bank_account_number[0] &&
	       p->bank_account_holder[0];
}

const char *clinic_account_type_label(const char *type, bool english)
{
	if (strcmp(type, "futsu") == 0)
		return english ? "ordinary" : "普通";
	if (strcmp(type, "toza") == 0)
		return english ? "current" : "当座";
	return "";
}
