/* The temperature-logger CSV reader (core/temp_csv.c, charset_stream.c): any bytes, as a
 * logger's upload would bring them (UTF-8, Shift_JIS, UTF-16, binary). The file is read once
 * whole and once in chunks cut from the input's hash; both must give the same readings and
 * the same error (line, reason), and every reading handed on must be plausible and later
 * than the one before. An error must be one the API can send as it is: a reason key with its
 * own message, and the reason, the quoted values and the formatted messages valid UTF-8
 * (jansson refuses anything else, and the reply would lose them). The first
 * byte is the unit assumed for a file that does not say ('C', 'F', anything else: none) and
 * is not part of the file. */
#include <math.h>
#include <string.h>

#include "core/coldchain.h"
#include "core/temp_csv.h"
#include "fuzz_common.h"
#include "http/http.h"

#define JST (9 * 3600)
#define MAX_READINGS 4096

typedef struct readings {
	temp_reading r[MAX_READINGS];
	long line[MAX_READINGS];
	size_t n;         /* all readings handed on */
	size_t stop_at;   /* ask the parser to stop after this many (0: never) */
} readings;

static int collect(void *ctx, const temp_reading *r, long line)
{
	readings *out = ctx;
	FUZZ_CHECK(!isnan(r->celsius));
	FUZZ_CHECK(r->celsius >= COLDCHAIN_PLAUSIBLE_MIN_CELSIUS && r->celsius <= COLDCHAIN_PLAUSIBLE_MAX_CELSIUS);
	FUZZ_CHECK(r->at <= FUZZ_NOW + 86400);
	FUZZ_CHECK(line >= 1);
	if (out->n > 0 && out->n <= MAX_READINGS) {
		FUZZ_CHECK(r->at > out->r[out->n - 1].at);
		FUZZ_CHECK(line > out->line[out->n - 1]);
	}
	if (out->n < MAX_READINGS) {
		out->r[out->n] = *r;
		out->line[out->n] = line;
	}
	out->n++;
	return out->stop_at != 0 && out->n >= out->stop_at;
}

/* Parses data in chunks (max_chunk 0: at once). Returns the feed/finish result. */
static int parse(const char *data, size_t len, char unit, uint32_t seed, size_t max_chunk, readings *out,
                 temp_csv_error *err)
{
	temp_csv *p = temp_csv_new(JST, FUZZ_NOW, collect, out);
	if (p == NULL)
		abort();
	temp_csv_set_default_unit(p, unit);
	int rc = 0;
	size_t at = 0;
	while (rc == 0 && at < len) {
		size_t n = max_chunk == 0 ? len : fuzz_next_chunk(&seed, max_chunk);
		if (n > len - at)
			n = len - at;
		rc = temp_csv_feed(p, data + at, n, err);
		at += n;
	}
	if (rc == 0)
		rc = temp_csv_finish(p, err);
	temp_csv_free(p);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(err->line >= 1);
		FUZZ_CHECK(memchr(err->reason, '\0', sizeof err->reason) != NULL);
		FUZZ_CHECK(err->nargs >= 0 && err->nargs <= TEMP_CSV_ARGS_MAX);
	}
	return rc;
}

/* True when s is text jansson takes (valid UTF-8). */
static bool is_json_text(const char *s)
{
	json_t *j = json_string(s);
	json_decref(j);
	return j != NULL;
}

/* What the HTTP layer does with an error (handlers_coldchain.c add_line_error). */
static void check_error_reply(const temp_csv_error *err)
{
	FUZZ_CHECK(err->reason_key != NULL);
	FUZZ_CHECK(strcmp(err->reason_key, "invalid_field") == 0 ||
	           message_text(LANG_EN, err->reason_key) != message_text(LANG_EN, "invalid_field"));
	FUZZ_CHECK(is_json_text(err->reason));
	const char *names[TEMP_CSV_ARGS_MAX], *values[TEMP_CSV_ARGS_MAX];
	for (int i = 0; i < err->nargs; i++) {
		FUZZ_CHECK(err->args[i].name != NULL);
		FUZZ_CHECK(memchr(err->args[i].text, '\0', sizeof err->args[i].text) != NULL);
		FUZZ_CHECK(is_json_text(err->args[i].text));
		names[i] = err->args[i].name;
		values[i] = err->args[i].text;
	}
	char message[600];
	for (int l = LANG_JA; l <= LANG_EN; l++) {
		message_format((lang)l, err->reason_key, names, values, (size_t)err->nargs, message, sizeof message);
		FUZZ_CHECK(is_json_text(message));
	}
}

static readings whole, chunked;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char unit = data[0] == 'C' || data[0] == 'F' ? (char)data[0] : 0;
	const char *file = (const char *)data + 1;
	size_t len = size - 1;
	uint32_t seed = fuzz_seed(data, size);

	temp_csv_error err_whole = {0}, err_chunked = {0};
	whole.n = chunked.n = 0;
	whole.stop_at = chunked.stop_at = 0;
	int rc_whole = parse(file, len, unit, seed, 0, &whole, &err_whole);
	int rc_chunked = parse(file, len, unit, seed, 1 + seed % 64, &chunked, &err_chunked);

	FUZZ_CHECK(rc_whole == rc_chunked);
	FUZZ_CHECK(whole.n == chunked.n);
	size_t kept = whole.n < MAX_READINGS ? whole.n : MAX_READINGS;
	for (size_t i = 0; i < kept; i++) {
		FUZZ_CHECK(whole.r[i].at == chunked.r[i].at);
		FUZZ_CHECK(whole.r[i].celsius == chunked.r[i].celsius ||
		           (isnan(whole.r[i].celsius) && isnan(chunked.r[i].celsius)));
		FUZZ_CHECK(whole.line[i] == chunked.line[i]);
	}
	if (rc_whole != 0) {
		FUZZ_CHECK(err_whole.line == err_chunked.line);
		FUZZ_CHECK(strcmp(err_whole.reason, err_chunked.reason) == 0);
		check_error_reply(&err_whole);
	}

	/* Stopping early (the importer's row limit) ends quietly after exactly that reading. */
	if (whole.n >= 2) {
		readings *stop = &chunked;
		temp_csv_error err_stop = {0};
		stop->n = 0;
		stop->stop_at = 1 + seed % whole.n;
		int rc_stop = parse(file, len, unit, seed, 0, stop, &err_stop);
		if (stop->stop_at <= whole.n && (rc_whole == 0 || stop->stop_at < whole.n))
			FUZZ_CHECK(rc_stop == 0 && stop->n == stop->stop_at);
	}
	return 0;
}
