/* The API routing table: every endpoint, the roles it admits and the body it accepts, at a
 * glance. Deny by default: a route admits only the roles it names. */
#include <time.h>

#include "core/validate.h"
#include "http/handlers.h"
#include "http/http.h"

static const char *check_birth_date(const char *v);

static const field_spec signup_fields[] = {
	{"email", FIELD_STRING, true, 3, 254, 0, 0, FIELD_LOWERCASE, validate_email},
	{"password", FIELD_STRING, true, 0, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, validate_password},
	{"name", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"name_kana", FIELD_STRING, true, 1, 100, 0, 0, 0, validate_kana},
	{"birth_date", FIELD_STRING, true, 10, 10, 0, 0, 0, check_birth_date},
	{"sex", FIELD_STRING, true, 1, 6, 0, 0, 0, validate_sex},
	{"phone", FIELD_STRING, true, 10, 13, 0, 0, 0, validate_phone},
	{"postal_code", FIELD_STRING, false, 8, 8, 0, 0, 0, validate_postal_code},
	{"address", FIELD_STRING, false, 0, 200, 0, 0, 0, NULL},
	{0},
};

static const field_spec login_fields[] = {
	{"email", FIELD_STRING, true, 1, 254, 0, 0, FIELD_LOWERCASE, NULL},
	{"password", FIELD_STRING, true, 1, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, NULL},
	{0},
};

static const field_spec staff_fields[] = {
	{"email", FIELD_STRING, true, 3, 254, 0, 0, FIELD_LOWERCASE, validate_email},
	{"password", FIELD_STRING, true, 0, PASSWORD_MAX_CHARS, 0, 0, FIELD_RAW, validate_password},
	{"name", FIELD_STRING, true, 1, 100, 0, 0, 0, NULL},
	{"role", FIELD_STRING, true, 1, 16, 0, 0, 0, validate_staff_role},
	{0},
};

static const field_spec no_fields[] = {{0}};

const route api_routes[] = {
	{"GET", "/api/v1/health", ACCESS_PUBLIC, NULL, handle_health},
	{"GET", "/api/v1/auth/csrf", ACCESS_PUBLIC, NULL, handle_csrf},
	{"POST", "/api/v1/auth/signup", ACCESS_PUBLIC, signup_fields, handle_signup},
	{"POST", "/api/v1/auth/login", ACCESS_PUBLIC, login_fields, handle_login},
	{"POST", "/api/v1/auth/logout", ROLE_ANY_USER, no_fields, handle_logout},
	{"GET", "/api/v1/me", ROLE_ANY_USER, NULL, handle_me},
	{"GET", "/api/v1/users", ROLE_ADMIN, NULL, handle_users_list},
	{"POST", "/api/v1/users", ROLE_ADMIN, staff_fields, handle_users_create},
	{"GET", "/api/v1/audit", ROLE_ADMIN, NULL, handle_audit_list},
};

const int api_route_count = sizeof api_routes / sizeof api_routes[0];

static const char *check_birth_date(const char *v)
{
	return validate_birth_date(v, (int64_t)time(NULL));
}
