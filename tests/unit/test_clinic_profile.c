/* The clinic's details: each field's rule (tests/data/clinic_profile/cases.tsv), every error
 * at once, the bank account as a group, and what a live clinic must have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/clinic_profile.h"
#include "core/jp_contact.h"
#include "testutil.h"

/* A complete, valid set of details; tests change one field at a time. */
static void valid_raw(const char *raw[CLINIC_FIELD_COUNT])
{
	static const char *const base[CLINIC_FIELD_COUNT] = {
		[CLINIC_NAME] = "みなと皮膚科クリニック",
		[CLINIC_POSTAL_CODE] = "105-0011",
		[CLINIC_ADDRESS] = "東京都港区芝公園1-2-3",
		[CLINIC_PHONE] = "03-1234-5678",
		[CLINIC_HOURS] = "平日 10:00–18:00",
		[CLINIC_EMAIL] = "",
		[CLINIC_BANK_NAME] = "みなと銀行",
		[CLINIC_BANK_BRANCH] = "芝支店",
		[CLINIC_BANK_ACCOUNT_TYPE] = "futsu",
		[CLINIC_BANK_ACCOUNT_NUMBER] = "1234567",
		[CLINIC_BANK_ACCOUNT_HOLDER] = "ミナトヒフカ",
		[CLINIC_DOCTOR_NAME] = "港 一郎",
		[CLINIC_DOCTOR_LICENCE] = "123456",
	};
	memcpy(raw, base, sizeof base);
}

static const char *stored_value(const clinic_profile *p, int field)
{
	const char *v[CLINIC_FIELD_COUNT] = {p->name, p->postal_code, p->address, p->phone, p->hours, p->email,
	                                     p->bank_name, p->bank_branch, p->bank_account_type, p->bank_account_number,
	                                     p->bank_account_holder, p->doctor_name, p->doctor_licence};
	return v[field];
}

/* "\n" in a case stands for a newline. */
static void unescape_newlines(char *s)
{
	char *out = s;
	for (const char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			*out++ = '\n';
			p++;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

static void test_field_cases(void **state)
{
	(void)state;
	tsv_cases t;
	tsv_open(&t, "tests/data/clinic_profile/cases.tsv");
	char *col[4];
	int cases = 0;
	while (tsv_next(&t, col, 4)) {
		char *field = col[0], *mode = col[1], *input = col[2], *expected = col[3];
		unescape_newlines(input);
		unescape_newlines(expected);
		int idx = clinic_field_find(field);
		if (idx < 0)
			fail_msg("cases.tsv line %d: unknown field %s", t.lineno, field);
		const char *raw[CLINIC_FIELD_COUNT];
		valid_raw(raw);
		raw[idx] = input;
		clinic_profile p = {0};
		clinic_field_error errs[CLINIC_FIELD_COUNT];
		int n = clinic_profile_check(raw, strcmp(mode, "production") == 0, &p, errs);
		if (expected[0] == '=') {
			if (n != 0)
				fail_msg("cases.tsv line %d: %s \"%s\" refused (%s: %s), want %s", t.lineno, field, input, errs[0].field,
				         errs[0].reason, expected + 1);
			if (strcmp(stored_value(&p, idx), expected + 1) != 0)
				fail_msg("cases.tsv line %d: %s \"%s\" stored as \"%s\", want \"%s\"", t.lineno, field, input,
				         stored_value(&p, idx), expected + 1);
		} else {
			if (n != 1 || strcmp(errs[0].field, field) != 0 || strcmp(errs[0].reason, expected + 1) != 0)
				fail_msg("cases.tsv line %d: %s \"%s\" gave %d errors (%s: %s), want %s", t.lineno, field, input, n,
				         n ? errs[0].field : "-", n ? errs[0].reason : "-", expected + 1);
			assert_string_equal(p.name, ""); /* nothing stored on error */
		}
		cases++;
	}
	tsv_close(&t);
	assert_true(cases >= 50);
}

static void test_every_error_at_once(void **state)
{
	(void)state;
	const char *raw[CLINIC_FIELD_COUNT] = {0};
	raw[CLINIC_PHONE] = "03-0000-0000";
	raw[CLINIC_POSTAL_CODE] = "12-345";
	raw[CLINIC_BANK_ACCOUNT_NUMBER] = "12";
	clinic_profile p = {0};
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	int n = clinic_profile_check(raw, true, &p, errs);
	/* name, address, hours, doctor name and licence empty; postal, phone wrong; the bank
	 * account number wrong and its four companions missing. */
	assert_int_equal(n, 12);
	const char *want[][2] = {
		{"name", "empty"}, {"postal_code", "postal_format"}, {"address", "empty"}, {"phone", "placeholder"},
		{"hours", "empty"}, {"bank_name", "bank_incomplete"}, {"bank_branch", "bank_incomplete"},
		{"bank_account_type", "bank_incomplete"}, {"bank_account_number", "account_number_format"},
		{"bank_account_holder", "bank_incomplete"}, {"doctor_name", "empty"}, {"doctor_licence", "empty"},
	};
	for (int i = 0; i < n; i++) {
		assert_string_equal(errs[i].field, want[i][0]);
		assert_string_equal(errs[i].reason, want[i][1]);
	}
}

static void test_bank_all_or_none(void **state)
{
	(void)state;
	const char *raw[CLINIC_FIELD_COUNT];
	valid_raw(raw);
	for (int f = CLINIC_BANK_NAME; f <= CLINIC_BANK_ACCOUNT_HOLDER; f++)
		raw[f] = "";
	clinic_profile p = {0};
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	assert_int_equal(clinic_profile_check(raw, true, &p, errs), 0);
	assert_false(clinic_profile_has_bank(&p));
	valid_raw(raw);
	assert_int_equal(clinic_profile_check(raw, true, &p, errs), 0);
	assert_true(clinic_profile_has_bank(&p));
}

static void test_missing(void **state)
{
	(void)state;
	clinic_profile empty = {0};
	const char *missing[CLINIC_FIELD_COUNT];
	assert_int_equal(clinic_profile_missing(&empty, missing), 7);
	assert_string_equal(missing[0], "name");
	assert_string_equal(missing[6], "doctor_licence");

	const char *raw[CLINIC_FIELD_COUNT];
	valid_raw(raw);
	clinic_profile p = {0};
	clinic_field_error errs[CLINIC_FIELD_COUNT];
	assert_int_equal(clinic_profile_check(raw, true, &p, errs), 0);
	assert_int_equal(clinic_profile_missing(&p, missing), 0);
	/* The old defaults count as missing, whatever put them there. */
	snprintf(p.phone, sizeof p.phone, "03-0000-0000");
	snprintf(p.name, sizeof p.name, "exosafe クリニック");
	assert_int_equal(clinic_profile_missing(&p, missing), 2);
	assert_string_equal(missing[0], "name");
	assert_string_equal(missing[1], "phone");
}

static void test_jp_contact(void **state)
{
	(void)state;
	char out[32];
	assert_null(jp_phone_normalize("０１２０－１２３－４５６", out, sizeof out));
	assert_string_equal(out, "0120-123-456");
	assert_string_equal(jp_phone_normalize("\xff", out, sizeof out), "text_encoding");
	assert_string_equal(out, "");
	assert_true(jp_phone_is_placeholder("03-0000-0000"));
	assert_false(jp_phone_is_placeholder("03-0000-0001"));
	assert_string_equal(jp_postal_normalize("150-0001", out, 8), "postal_format"); /* no room */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_cases),
		cmocka_unit_test(test_every_error_at_once),
		cmocka_unit_test(test_bank_all_or_none),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_jp_contact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
