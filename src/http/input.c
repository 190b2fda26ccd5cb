/* Validates a JSON body against a route's declared fields before the handler runs.
 * Unknown fields, missing required fields, wrong types and failed checks are answered with a
 * 400 naming every bad field at once (a form shows them all, not one per try); the handler only
 * ever sees normalised, checked values. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/validate.h"
#include "http/http.h"

/* The bad fields of one body, in the order of the route's table. */
typedef struct field_errors {
	request *req;
	json_t *list;  /* [{code, message, field}] */
} field_errors;

/* Records one bad field; returns false so a check can end with "return fail(...)". */
static bool fail(field_errors *errs, const char *code, const char *field, const char *reason)
{
	json_array_append_new(errs->list, error_json(errs->req, code, field, reason));
	return false;
}

static const field_spec *find_field(const field_spec *fields, const char *name)
{
	for (const field_spec *f = fields; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* The text as stored: NFKC-normalised and trimmed (not for FIELD_RAW), lower-cased for
 * FIELD_LOWERCASE, hyphens and postal codes put right for FIELD_PHONE / FIELD_POSTAL_CODE. NULL when it is not valid UTF-8. */
static char *stored_text(const field_spec *f, const char *raw)
{
	char *text = (f->flags & FIELD_RAW) ? strdup(raw) : text_normalize(raw);
	if (text == NULL)
		return NULL;
	if (f->flags & FIELD_LOWERCASE)
		for (char *p = text; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	if (f->flags & (FIELD_PHONE | FIELD_POSTAL_CODE)) {
		char *normalized = (f->flags & FIELD_PHONE) ? validate_normalize_phone(text) : validate_normalize_postal_code(text);
		free(text);
		text = normalized;
	}
	return text;
}

static bool check_string(field_errors *errs, const field_spec *f, json_t *value, json_t *out)
{
	if (!json_is_string(value))
		return fail(errs, "invalid_field", f->name, "type_string");
	const char *raw = json_string_value(value);
	/* An embedded NUL (\u0000) would be cut by every C string function downstream. */
	if (strlen(raw) != json_string_length(value))
		return fail(errs, "invalid_field", f->name, "control_chars");
	char *text = stored_text(f, raw);
	if (text == NULL)
		return fail(errs, "invalid_field", f->name, "text_encoding");

	const char *reason = NULL;
	long n = text_char_count(text);
	if (n == 0 && f->required) {
		/* Present but blank: the field is there, its value is not acceptable. */
		free(text);
		return fail(errs, "invalid_field", f->name, "empty");
	}
	if (n > 0) {
		if (!text_is_clean(text, (f->flags & FIELD_MULTILINE) != 0))
			reason = "control_chars";
		else if (f->max_chars > 0 && n > f->max_chars)
			reason = "too_long";
		else if (f->check != NULL)
			reason = f->check(text);
		if (reason == NULL && n < f->min_chars)
			reason = "too_short";
	}
	if (reason != NULL) {
		free(text);
		const char *code = strcmp(reason, "password_short") == 0 ? "weak_password" : "invalid_field";
		return fail(errs, code, f->name, reason);
	}
	json_object_set_new(out, f->name, json_string(text));
	free(text);
	return true;
}

static bool check_value(field_errors *errs, const field_spec *f, json_t *value, json_t *out)
{
	switch (f->type) {
	case FIELD_STRING:
		return check_string(errs, f, value, out);
	case FIELD_INTEGER:
		if (!json_is_integer(value))
			return fail(errs, "invalid_field", f->name, "type_integer");
		if (json_integer_value(value) < f->min_value || json_integer_value(value) > f->max_value)
			return fail(errs, "invalid_field", f->name, "out_of_range");
		json_object_set(out, f->name, value);
		return true;
	case FIELD_NUMBER:
		if (!json_is_number(value))
			return fail(errs, "invalid_field", f->name, "type_number");
		if (json_number_value(value) < (double)f->min_value || json_number_value(value) > (double)f->max_value)
			return fail(errs, "invalid_field", f->name, "out_of_range");
		json_object_set(out, f->name, value);
		return true;
	case FIELD_ARRAY:
		if (!json_is_array(value))
			return fail(errs, "invalid_field", f->name, "type_array");
		if ((f->max_chars > 0 && (int)json_array_size(value) > f->max_chars) ||
		    (int)json_array_size(value) < f->min_chars)
			return fail(errs, "invalid_field", f->name, "out_of_range");
		json_object_set(out, f->name, value);
		return true;
	case FIELD_OBJECT:
		if (!json_is_object(value))
			return fail(errs, "invalid_field", f->name, "type_object");
		json_object_set(out, f->name, value);
		return true;
	case FIELD_BOOLEAN:
		if (!json_is_boolean(value))
			return fail(errs, "invalid_field", f->name, "type_boolean");
		json_object_set(out, f->name, value);
		return true;
	}
	return false;
}

bool input_validate(request *req, const field_spec *fields)
{
	json_t *body;
	if (req->body_len == 0) {
		body = json_object();
	} else {
		json_error_t err;
		body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
		if (body == NULL) {
			reply_error(req, 400, "bad_json", NULL, NULL);
			return false;
		}
		if (!json_is_object(body)) {
			json_decref(body);
			reply_error(req, 400, "bad_json", NULL, "not_object");
			return false;
		}
	}

	field_errors errs = {req, json_array()};
	const char *key;
	json_t *value;
	json_object_foreach(body, key, value) {
		if (find_field(fields, key) == NULL) {
			/* Echo the field name back only when it is printable ASCII and short. */
			bool printable = strlen(key) <= 64;
			for (const char *p = key; printable && *p; p++)
				printable = *p > 0x20 && *p < 0x7F;
			fail(&errs, "unknown_field", printable ? key : "?", NULL);
		}
	}

	json_t *out = json_object();
	for (const field_spec *f = fields; f && f->name; f++) {
		value = json_object_get(body, f->name);
		if (value == NULL || json_is_null(value)) {
			if (f->required)
				fail(&errs, "missing_field", f->name, NULL);
			continue;
		}
		check_value(&errs, f, value, out);
	}
	json_decref(body);
	if (json_array_size(errs.list) > 0) {
		json_decref(out);
		/* The first bad field stays the error itself (clients that show one keep working). */
		json_t *first = json_deep_copy(json_array_get(errs.list, 0));
		json_object_set_new(first, "fields", errs.list);
		reply_json(req, 400, json_pack("{s:o}", "error", first));
		return false;
	}
	json_decref(errs.list);
	req->input = out;
	return true;
}

const char *input_string(request *req, const char *name)
{
	json_t *v = req->input ? json_object_get(req->input, name) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t input_int(request *req, const char *name, int64_t def)
{
	json_t *v = req->input ? json_object_get(req->input, name) : NULL;
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

double input_number(request *req, const char *name, double def)
{
	json_t *v = req->input ? json_object_get(req->input, name) : NULL;
	return json_is_number(v) ? json_number_value(v) : def;
}

const json_t *input_array(request *req, const char *name)
{
	json_t *v = req->input ? json_object_get(req->input, name) : NULL;
	return json_is_array(v) ? v : NULL;
}

bool input_bool(request *req, const char *name, bool def)
{
	json_t *v = req->input ? json_object_get(req->input, name) : NULL;
	return json_is_boolean(v) ? json_is_true(v) : def;
}

const json_t *input_object(request *req, const char *name)
{
	json_t *v = req->input ? json_object_get(req->input, name) : NULL;
	return json_is_object(v) ? v : NULL;
}

bool query_int(request *req, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *q = request_query(req, name);
	if (q == NULL) {
		*out = def;
		return true;
	}
	char *end;
	errno = 0;
	long long v = strtoll(q, &end, 10);
	if (errno != 0 || end == q || *end != '\0' || v < min || v > max) {
		reply_error(req, 400, "invalid_field", name, "out_of_range");
		return false;
	}
	*out = v;
	return true;
}
