/* The JSON body check every API write goes through (http/input.c input_validate), with the
 * field tables of the real routes (routes.c). Input: a first line naming the route
 * ("POST /api/v1/auth/signup", or "en POST …" for English messages), then the body as a
 * client sends it. A line that names no route picks one of the distinct field tables (the
 * "no fields" ones included) from its hash, so mutated lines still reach every table.
 *
 * Properties: a refused body gets a 400 whose error names a code and a message, and no
 * input; an accepted one gets no reply, and an input object holding only the table's fields,
 * each of its declared type, strings clean UTF-8 within their lengths, numbers within their
 * ranges; and that input sent again (a form re-submitting what it was shown) is accepted as
 * it is: normalising is idempotent and every check accepts its own stored form. */
#include <string.h>

#include "core/text.h"
#include "fuzz_common.h"
#include "http/http.h"

#define MAX_TABLES 256

static const field_spec *tables[MAX_TABLES];
static int table_count;

static void collect_tables(void)
{
	for (int i = 0; i < api_route_count; i++) {
		const field_spec *f = api_routes[i].fields;
		if (f == ROUTE_RAW_BODY)
			continue;
		int seen = 0;
		for (int j = 0; j < table_count && !seen; j++)
			seen = tables[j] == f;
		if (!seen && table_count < MAX_TABLES)
			tables[table_count++] = f;
	}
}

static const field_spec *find_spec(const field_spec *fields, const char *name)
{
	for (const field_spec *f = fields; f && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void check_accepted(const field_spec *fields, json_t *input)
{
	FUZZ_CHECK(json_is_object(input));
	const char *key;
	json_t *value;
	json_object_foreach(input, key, value) {
		const field_spec *f = find_spec(fields, key);
		FUZZ_CHECK(f != NULL);
		switch (f->type) {
		case FIELD_STRING: {
			FUZZ_CHECK(json_is_string(value));
			const char *s = json_string_value(value);
			FUZZ_CHECK(strlen(s) == json_string_length(value));
			long n = text_char_count(s);
			FUZZ_CHECK(n >= 0);
			FUZZ_CHECK(f->max_chars <= 0 || n <= f->max_chars);
			FUZZ_CHECK(n == 0 || text_is_clean(s, (f->flags & FIELD_MULTILINE) != 0));
			break;
		}
		case FIELD_INTEGER:
			FUZZ_CHECK(json_is_integer(value));
			FUZZ_CHECK(json_integer_value(value) >= f->min_value && json_integer_value(value) <= f->max_value);
			break;
		case FIELD_NUMBER:
			FUZZ_CHECK(json_is_number(value));
			break;
		case FIELD_ARRAY:
			FUZZ_CHECK(json_is_array(value));
			break;
		case FIELD_OBJECT:
			FUZZ_CHECK(json_is_object(value));
			break;
		case FIELD_BOOLEAN:
			FUZZ_CHECK(json_is_boolean(value));
			break;
		}
	}
	for (const field_spec *f = fields; f && f->name; f++)
		if (f->required)
			FUZZ_CHECK(json_object_get(input, f->name) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (table_count == 0)
		collect_tables();
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line_len = nl ? (size_t)(nl - data) : 0;
	char line[256];
	snprintf(line, sizeof line, "%.*s", (int)(line_len < sizeof line ? line_len : sizeof line - 1), (const char *)data);
	request req = {0};
	const char *route_line = line;
	if (strncmp(line, "en ", 3) == 0) {
		req.lang = LANG_EN;
		route_line += 3;
	}
	const field_spec *fields = NULL;
	for (int i = 0; i < api_route_count && fields == NULL; i++) {
		size_t m = strlen(api_routes[i].method);
		if (api_routes[i].fields != ROUTE_RAW_BODY && strncmp(route_line, api_routes[i].method, m) == 0 &&
		    route_line[m] == ' ' && strcmp(route_line + m + 1, api_routes[i].path) == 0)
			fields = api_routes[i].fields;
	}
	if (fields == NULL)
		fields = tables[fuzz_seed((const uint8_t *)line, strlen(line)) % (uint32_t)table_count];

	req.method = "POST";
	req.path = "/api/v1/fuzz";
	/* The body exactly as received: not NUL-terminated, so a read past it is caught. */
	const uint8_t *body = nl ? nl + 1 : data;
	req.body_len = size - (size_t)(body - data);
	req.body = req.body_len ? malloc(req.body_len) : NULL;
	if (req.body_len)
		memcpy(req.body, body, req.body_len);

	bool ok = input_validate(&req, fields);
	if (ok) {
		FUZZ_CHECK(req.reply == NULL && req.status == 0);
		check_accepted(fields, req.input);
		request again = {0};
		again.lang = req.lang;
		again.method = req.method;
		again.path = req.path;
		again.body = json_dumps(req.input, JSON_COMPACT);
		FUZZ_CHECK(again.body != NULL);
		again.body_len = strlen(again.body);
		bool again_ok = input_validate(&again, fields);
		if (!again_ok) {
			char *why = json_dumps(again.reply, JSON_COMPACT);
			fprintf(stderr, "stored form %s refused: %s\n", again.body, why ? why : "?");
			free(why);
		}
		FUZZ_CHECK(again_ok);
		FUZZ_CHECK(json_equal(again.input, req.input));
		json_decref(again.input);
		free(again.body);
	} else {
		FUZZ_CHECK(req.input == NULL);
		FUZZ_CHECK(req.status == 400);
		json_t *error = json_object_get(req.reply, "error");
		FUZZ_CHECK(json_is_string(json_object_get(error, "code")));
		FUZZ_CHECK(json_is_string(json_object_get(error, "message")));
		char *text = json_dumps(req.reply, JSON_COMPACT);
		FUZZ_CHECK(text != NULL);
		free(text);
	}
	json_decref(req.input);
	json_decref(req.reply);
	free(req.body);
	return 0;
}
