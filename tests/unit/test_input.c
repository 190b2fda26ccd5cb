/* The declared input table of the real routes: every bad body is refused with the right
 * code and field before a handler could run; good input comes out normalised. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static const field_spec *fields_of(const char *method, const char *path)
{
	for (int i = 0; i < api_route_count; i++)
		if (strcmp(api_routes[i].method, method) == 0 && strcmp(api_routes[i].path, path) == 0)
			return api_routes[i].fields;
	fail_msg("no route %s %s", method, path);
	return NULL;
}

typedef struct outcome {
	bool ok;
	char code[32];
	char field[32];
	char message[256];
} outcome;

static outcome run(const char *path, const char *body, lang l)
{
	server_config cfg;
	config_defaults(&cfg);
	request req = {0};
	req.cfg = &cfg;
	req.lang = l;
	req.body = (char *)(uintptr_t)body;
	req.body_len = strlen(body);
	outcome o = {0};
	o.ok = input_validate(&req, fields_of("POST", path));
	if (!o.ok) {
		json_t *err = json_object_get(req.reply, "error");
		snprintf(o.code, sizeof o.code, "%s", json_string_value(json_object_get(err, "code")));
		json_t *field = json_object_get(err, "field");
		snprintf(o.field, sizeof o.field, "%s", field ? json_string_value(field) : "");
		snprintf(o.message, sizeof o.message, "%s", json_string_value(json_object_get(err, "message")));
	} else {
		char *dump = json_dumps(req.input, JSON_SORT_KEYS | JSON_COMPACT);
		snprintf(o.message, sizeof o.message, "%s", dump);
		free(dump);
	}
	json_decref(req.reply);
	json_decref(req.input);
	return o;
}

#define SIGNUP "/api/v1/auth/signup"
#define GOOD_TAIL "\"name\":\"山田 花子\",\"name_kana\":\"ヤマダ ハナコ\",\"birth_date\":\"1985-04-01\",\"sex\":\"female\",\"phone\":\"090-1234-5678\""

static void expect_error(const char *body, const char *code, const char *field)
{
	outcome o = run(SIGNUP, body, LANG_EN);
	if (o.ok)
		fail_msg("accepted: %s", body);
	if (strcmp(o.code, code) != 0 || strcmp(o.field, field) != 0)
		fail_msg("%s: got %s/%s, want %s/%s", body, o.code, o.field, code, field);
}

static void test_good_signup_is_normalised(void **state)
{
	(void)state;
	outcome o = run(SIGNUP, "{\"email\":\" Hanako@Patient.Example \",\"password\":\"  ten chars  \","
	                        "\"name\":\"山田 花子\",\"name_kana\":\"ﾔﾏﾀﾞ ﾊﾅｺ\",\"birth_date\":\"1985-04-01\","
	                        "\"sex\":\"female\",\"phone\":\"０９０－１２３４－５６７８\"}", LANG_JA);
	if (!o.ok)
		fail_msg("refused: %s %s %s", o.code, o.field, o.message);
	assert_non_null(strstr(o.message, "\"email\":\"hanako@patient.example\""));
	assert_non_null(strstr(o.message, "\"name_kana\":\"ヤマダ ハナコ\""));
	assert_non_null(strstr(o.message, "\"phone\":\"090-1234-5678\""));
	/* Passwords are taken exactly as typed. */
	assert_non_null(strstr(o.message, "\"password\":\"  ten chars  \""));
}

static void test_bad_bodies(void **state)
{
	(void)state;
	expect_error("{\"email\":", "bad_json", "");
	expect_error("[1,2]", "bad_json", "");
	expect_error("\"text\"", "bad_json", "");
	expect_error("{\"email\":\"a\xFF@b.jp\"}", "bad_json", "");
	expect_error("{\"email\":\"a@b.jp\",\"email\":\"c@d.jp\"}", "bad_json", "");
	expect_error("{}", "missing_field", "email");
	expect_error("{\"email\":42,\"password\":\"0123456789\"," GOOD_TAIL "}", "invalid_field", "email");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"0123456789\"," GOOD_TAIL ",\"is_admin\":true}",
	             "unknown_field", "is_admin");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"short\"," GOOD_TAIL "}", "weak_password", "password");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"0123456789\"," GOOD_TAIL ",\"postal_code\":\"150001\"}",
	             "invalid_field", "postal_code");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"0123456789\",\"name\":\"   \"}", "invalid_field", "name");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"0123456789\",\"name\":\"a\\u0000b\"}", "invalid_field", "name");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"0123456789\",\"name\":\"tab\\there\"}", "invalid_field", "name");
	expect_error("{\"email\":\"a@b.jp\",\"password\":\"0123456789\",\"name\":null}", "missing_field", "name");
}

/* Every bad field is listed in error.fields, in the table's order after unknown ones; the first
 * stays the error itself. */
static void test_every_bad_field_listed(void **state)
{
	(void)state;
	server_config cfg;
	config_defaults(&cfg);
	const char *body = "{\"nick\":1,\"email\":\"x\",\"password\":\"short\",\"name\":\"山田\",\"name_kana\":\"やまだ\","
	                   "\"birth_date\":\"1985-04-01\",\"phone\":\"０９０ー１２３４ー５６７８\",\"postal_code\":\"１５００００１\"}";
	request req = {0};
	req.cfg = &cfg;
	req.body = (char *)(uintptr_t)body;
	req.body_len = strlen(body);
	assert_false(input_validate(&req, fields_of("POST", SIGNUP)));
	json_t *err = json_object_get(req.reply, "error");
	assert_string_equal(json_string_value(json_object_get(err, "field")), "nick");
	json_t *fields = json_object_get(err, "fields");
	const char *want[][2] = {{"nick", "unknown_field"}, {"email", "invalid_field"}, {"password", "weak_password"},
	                         {"name_kana", "invalid_field"}, {"sex", "missing_field"}};
	assert_int_equal(json_array_size(fields), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *f = json_array_get(fields, i);
		assert_string_equal(json_string_value(json_object_get(f, "field")), want[i][0]);
		assert_string_equal(json_string_value(json_object_get(f, "code")), want[i][1]);
		assert_non_null(strstr(json_string_value(json_object_get(f, "message")), ":"));
	}
	assert_null(req.input);
	json_decref(req.reply);
}

static void test_messages_follow_language(void **state)
{
	(void)state;
	outcome ja = run(SIGNUP, "{}", LANG_JA), en = run(SIGNUP, "{}", LANG_EN);
	assert_non_null(strstr(ja.message, "メールアドレス"));
	assert_non_null(strstr(en.message, "E-mail"));
}

static void test_accept_language(void **state)
{
	(void)state;
	assert_int_equal(lang_from_accept_language(NULL), LANG_JA);
	assert_int_equal(lang_from_accept_language(""), LANG_JA);
	assert_int_equal(lang_from_accept_language("en"), LANG_EN);
	assert_int_equal(lang_from_accept_language("en-US,en;q=0.9"), LANG_EN);
	assert_int_equal(lang_from_accept_language("ja,en;q=0.8"), LANG_JA);
	assert_int_equal(lang_from_accept_language("ja;q=0.5, en;q=0.9"), LANG_EN);
	assert_int_equal(lang_from_accept_language("fr,de"), LANG_JA);
	assert_int_equal(lang_from_accept_language("eng"), LANG_JA);
}

static void test_every_route_names_roles(void **state)
{
	(void)state;
	for (int i = 0; i < api_route_count; i++) {
		assert_true(api_routes[i].roles != 0);
		assert_non_null(api_routes[i].handler);
		if (strcmp(api_routes[i].method, "GET") != 0)
			assert_non_null(api_routes[i].fields);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_signup_is_normalised),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_every_bad_field_listed),
		cmocka_unit_test(test_messages_follow_language),
		cmocka_unit_test(test_accept_language),
		cmocka_unit_test(test_every_route_names_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
