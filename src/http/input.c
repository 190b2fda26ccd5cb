/* Validates a JSON body against a route's declared fields before the handler runs.
 * Unknown fields, missing required fields, wrong types and failed checks are each answered
 * with a 400 naming the field; the handler only ever sees normalised, checked values. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "http/http.h"

static const field_spec *find_field(const field_spec *fields, const char *name)
{
	for (const field_spec *f = fields; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static bool check_string(request *req, const field_spec *f, json_t *value, json_t *out)
{
	if (!json_is_string(value)) {
		reply_error(req, 400, "invalid_field", f->name, "type_string");
		return false;
	}
	const char *raw = json_string_value(value);
	if (strlen(raw) != json_string_length(value)) {
		/* An embedded NUL (\u0000) would be cut by every C string function downstream. */
		reply_error(req, 400, "invalid_field", f->name, "control_chars");
		return false;
	}
	char *text = (f->flags & FIELD_RAW) ? strdup(raw) : text_normalize(raw);
	if (text == NULL) {
		reply_error(req, 400, "invalid_field", f->name, "text_encoding");
		return false;
	}
	if (f->flags & FIELD_LOWERCASE)
		for (char *p = text; *p; p++)
			*p = (char)tolower((unsigned char)*p);

	const char *reason = NULL;
	long n = text_char_count(text);
	if (n == 0 && f->required) {
		/* Present but blank: the field is there, its value is not acceptable. */
		free(text);
		reply_error(req, 400, "invalid_field", f->name, "empty");
		return false;
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
		reply_error(req, 400, code, f->name, reason);
		return false;
	}
	json_object_set_new(out, f->name, json_string(text));
	free(text);
	return true;
}

static bool check_value(request *req, const field_spec *f, json_t *value, json_t *out)
{
	switch (f->type) {
	case FIELD_STRING:
		return check_string(req, f, value, out);
	case FIELD_INTEGER:
		if (!json_is_integer(value)) {
			reply_error(req, 400, "invalid_field", f->name, "type_integer");
			return false;
		}
		if (json_integer_value(value) < f->min_value || json_integer_value(value) > f->max_value) {
			reply_error(req, 400, "invalid_field", f->name, "out_of_range");
			return false;
		}
		json_object_set(out, f->name, value);
		return true;
	case FIELD_NUMBER:
		if (!json_is_number(value)) {
			reply_error(req, 400, "invalid_field", f->name, "type_number");
			return false;
		}
		if (json_number_value(value) < (double)f->min_value || json_number_value(value) > (double)f->max_value) {
			reply_error(req, 400, "invalid_field", f->name, "out_of_range");
			return false;
		}
		json_object_set(out, f->name, value);
		return true;
	case FIELD_ARRAY:
		if (!json_is_array(value)) {
			reply_error(req, 400, "invalid_field", f->name, "type_array");
			return false;
		}
		if ((f->max_chars > 0 && (int)json_array_size(value) > f->max_chars) ||
		    (int)json_array_size(value) < f->min_chars) {
			reply_error(req, 400, "invalid_field", f->name, "out_of_range");
			return false;
		}
		json_object_set(out, f->name, value);
		return true;
	case FIELD_OBJECT:
		if (!json_is_object(value)) {
			reply_error(req, 400, "invalid_field", f->name, "type_object");
			return false;
		}
		json_object_set(out, f->name, value);
		return true;
	case FIELD_BOOLEAN:
		if (!json_is_boolean(value)) {
			reply_error(req, 400, "invalid_field", f->name, "type_boolean");
			return false;
		}
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

	const char *key;
	json_t *value;
	json_object_foreach(body, key, value) {
		if (find_field(fields, key) == NULL) {
			/* Echo the field name back only when it is printable ASCII and short. */
			bool printable = strlen(key) <= 64;
			for (const char *p = key; printable && *p; p++)
				printable = *p > 0x20 && *p < 0x7F;
			reply_error(req, 400, "unknown_field", printable ? key : "?", NULL);
			json_decref(body);
			return false;
		}
	}

	json_t *out = json_object();
	for (const field_spec *f = fields; f && f->name; f++) {
		value = json_object_get(body, f->name);
		if (value == NULL || json_is_null(value)) {
			if (f->required) {
				json_decref(body);
				json_decref(out);
				reply_error(req, 400, "missing_field", f->name, NULL);
				return false;
			}
			continue;
		}
		if (!check_value(req, f, value, out)) {
			json_decref(body);
			json_decref(out);
			return false;
		}
	}
	json_decref(body);
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
