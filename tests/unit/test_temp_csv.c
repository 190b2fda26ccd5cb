/* Logger CSV dialects. The cases are data: every tests/data/coldchain/NAME.expect.json names
 * what NAME.csv (or .tsv) must give — the readings' count, first and last, min/max, interval,
 * episodes and gaps against its limits — or the line and reason of its error. Each file is
 * also fed in chunks of 1 to 7 bytes, which must give exactly the same readings and error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coldchain.h"
#include "core/temp_csv.h"
#include "core/timefmt.h"
#include "testutil.h"

#define DATA_DIR "tests/data/coldchain"
#define JST (9 * 3600)
/* "now" for the parser's plausibility check: fixed, after every date in the data files
 * (2027-01-01T00:00:00Z), so the cases do not drift with the day they run. */
#define NOW INT64_C(1798761600)

typedef struct collected {
	temp_reading *r;
	long *line;
	size_t n, cap;
	size_t stop_after;  /* 0: never stop */
} collected;

static int collect(void *ctx, const temp_reading *r, long line)
{
	collected *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->r = realloc(c->r, c->cap * sizeof *c->r);
		c->line = realloc(c->line, c->cap * sizeof *c->line);
		assert_non_null(c->r);
		assert_non_null(c->line);
	}
	c->r[c->n] = *r;
	c->line[c->n] = line;
	c->n++;
	return c->stop_after != 0 && c->n >= c->stop_after;
}

static void collected_free(collected *c)
{
	free(c->r);
	free(c->line);
	memset(c, 0, sizeof *c);
}

/* Parses data fed in chunks of chunk bytes (0: all at once). Returns the feed/finish result. */
static int parse(const char *data, size_t len, size_t chunk, collected *out, temp_csv_error *err)
{
	temp_csv *p = temp_csv_new(JST, NOW, collect, out);
	assert_non_null(p);
	int rc = 0;
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t i = 0; i < len && rc == 0; i += chunk)
		rc = temp_csv_feed(p, data + i, len - i < chunk ? len - i : chunk, err);
	if (rc == 0)
		rc = temp_csv_finish(p, err);
	temp_csv_free(p);
	return rc;
}

static int parse_str(const char *text, collected *out, temp_csv_error *err)
{
	return parse(text, strlen(text), 0, out, err);
}

static int64_t iso(const char *s)
{
	int64_t t;
	if (time_parse_iso8601(s, &t) != 0)
		fail_msg("bad time in an expect file: %s", s);
	return t;
}

typedef struct seen {
	excursion_episode ep[16];
	data_gap gap[16];
	int n_ep, n_gap;
} seen;

static void on_episode(void *ctx, const excursion_episode *e)
{
	seen *s = ctx;
	assert_true(s->n_ep < 16);
	s->ep[s->n_ep++] = *e;
}

static void on_gap(void *ctx, const data_gap *g)
{
	seen *s = ctx;
	assert_true(s->n_gap < 16);
	s->gap[s->n_gap++] = *g;
}

static void check_reading(const char *name, const char *which, json_t *want, const temp_reading *got)
{
	int64_t at = iso(json_string_value(json_object_get(want, "at")));
	double c = json_number_value(json_object_get(want, "celsius"));
	if (got->at != at || fabs(got->celsius - c) > 1e-9)
		fail_msg("%s: %s reading is %lld %.6f, expected %lld %.6f", name, which, (long long)got->at, got->celsius,
		         (long long)at, c);
}

/* Checks one good file against its expectations. */
static void check_good(const char *name, json_t *x, const collected *got)
{
	json_t *lim = json_object_get(x, "limits");
	coldchain_limits limits = {json_number_value(json_object_get(lim, "min")),
	                           json_number_value(json_object_get(lim, "max")), 0};
	seen s = {0};
	coldchain_eval ev;
	coldchain_begin(&ev, &limits, on_episode, on_gap, &s);
	for (size_t i = 0; i < got->n; i++)
		assert_int_equal(coldchain_feed(&ev, &got->r[i]), 0);
	coldchain_finish(&ev);

	if ((json_int_t)got->n != json_integer_value(json_object_get(x, "count")))
		fail_msg("%s: %zu readings, expected %lld", name, got->n, (long long)json_integer_value(json_object_get(x, "count")));
	check_reading(name, "first", json_object_get(x, "first"), &got->r[0]);
	check_reading(name, "last", json_object_get(x, "last"), &got->r[got->n - 1]);
	assert_float_equal(ev.min_seen, json_number_value(json_object_get(x, "min")), 1e-9);
	assert_float_equal(ev.max_seen, json_number_value(json_object_get(x, "max")), 1e-9);
	assert_int_equal(ev.interval_seconds, json_integer_value(json_object_get(x, "interval")));
	assert_int_equal(ev.seconds_outside, json_integer_value(json_object_get(x, "seconds_outside")));

	json_t *eps = json_object_get(x, "episodes");
	if ((size_t)s.n_ep != json_array_size(eps))
		fail_msg("%s: %d episodes, expected %zu", name, s.n_ep, json_array_size(eps));
	assert_int_equal(ev.episodes, s.n_ep);
	for (int i = 0; i < s.n_ep; i++) {
		json_t *e = json_array_get(eps, (size_t)i);
		const excursion_episode *g = &s.ep[i];
		assert_int_equal(g->start, iso(json_string_value(json_object_get(e, "start"))));
		assert_int_equal(g->end, iso(json_string_value(json_object_get(e, "end"))));
		assert_int_equal(g->direction, strcmp(json_string_value(json_object_get(e, "direction")), "above") == 0
		                                   ? EXCURSION_ABOVE : EXCURSION_BELOW);
		assert_float_equal(g->peak_celsius, json_number_value(json_object_get(e, "peak")), 1e-9);
		assert_int_equal(g->duration_seconds, json_integer_value(json_object_get(e, "duration")));
		assert_int_equal(g->open, json_is_true(json_object_get(e, "open")));
	}
	json_t *gaps = json_object_get(x, "gaps");
	if ((size_t)s.n_gap != json_array_size(gaps))
		fail_msg("%s: %d gaps, expected %zu", name, s.n_gap, json_array_size(gaps));
	for (int i = 0; i < s.n_gap; i++) {
		json_t *g = json_array_get(gaps, (size_t)i);
		assert_int_equal(s.gap[i].from, iso(json_string_value(json_object_get(g, "from"))));
		assert_int_equal(s.gap[i].to, iso(json_string_value(json_object_get(g, "to"))));
	}
}

/* The data file of an expect file: NAME.csv or NAME.tsv. */
static int data_path(const char *expect_name, char *out, size_t cap)
{
	size_t stem = strlen(expect_name) - strlen(".expect.json");
	const char *exts[] = {".csv", ".tsv"};
	for (int i = 0; i < 2; i++) {
		snprintf(out, cap, DATA_DIR "/%.*s%s", (int)stem, expect_name, exts[i]);
		FILE *f = fopen(out, "rb");
		if (f) {
			fclose(f);
			return 0;
		}
	}
	return -1;
}

static void test_data_files(void **state)
{
	(void)state;
	DIR *d = opendir(DATA_DIR);
	assert_non_null(d);
	int good = 0, bad = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 12 || strcmp(de->d_name + n - 12, ".expect.json") != 0)
			continue;
		char path[512], xpath[512];
		if (data_path(de->d_name, path, sizeof path) != 0)
			fail_msg("no data file for %s", de->d_name);
		snprintf(xpath, sizeof xpath, DATA_DIR "/%s", de->d_name);
		json_error_t jerr;
		json_t *x = json_load_file(xpath, JSON_REJECT_DUPLICATES, &jerr);
		if (x == NULL)
			fail_msg("%s: %s", xpath, jerr.text);
		size_t len;
		char *data = slurp_len(path, &len);

		collected whole = {0};
		temp_csv_error err = {0};
		int rc = parse(data, len, 0, &whole, &err);
		json_t *want_err = json_object_get(x, "error");
		if (want_err) {
			if (rc == 0)
				fail_msg("%s: parsed, expected an error", path);
			long line = (long)json_integer_value(json_object_get(want_err, "line"));
			const char *reason = json_string_value(json_object_get(want_err, "reason"));
			if (err.line != line || strstr(err.reason, reason) == NULL)
				fail_msg("%s: error on line %ld: %s; expected line %ld: %s", path, err.line, err.reason, line, reason);
			/* Every error has its message key (the message people read, src/http/messages.c). */
			const char *code = json_string_value(json_object_get(want_err, "code"));
			if (code == NULL || err.reason_key == NULL || strcmp(code, err.reason_key) != 0)
				fail_msg("%s: error key %s, expected %s", path, err.reason_key ? err.reason_key : "none",
				         code ? code : "none (give \"code\" in the expect file)");
			/* An implausible value names its field; other errors name none. */
			const char *field = json_string_value(json_object_get(want_err, "field"));
			if ((field == NULL) != (err.field == NULL) || (field && strcmp(field, err.field) != 0))
				fail_msg("%s: error field %s, expected %s", path, err.field ? err.field : "none",
				         field ? field : "none");
			bad++;
		} else {
			if (rc != 0)
				fail_msg("%s: line %ld: %s", path, err.line, err.reason);
			check_good(path, x, &whole);
			good++;
		}
		/* Streaming: the same result whatever the chunk size. */
		for (size_t chunk = 1; chunk <= 7; chunk++) {
			collected part = {0};
			temp_csv_error perr = {0};
			int prc = parse(data, len, chunk, &part, &perr);
			assert_int_equal(prc, rc);
			assert_int_equal(part.n, whole.n);
			for (size_t i = 0; i < part.n; i++) {
				assert_int_equal(part.r[i].at, whole.r[i].at);
				assert_memory_equal(&part.r[i].celsius, &whole.r[i].celsius, sizeof(double));
				assert_int_equal(part.line[i], whole.line[i]);
			}
			if (rc != 0) {
				assert_int_equal(perr.line, err.line);
				assert_string_equal(perr.reason, err.reason);
				assert_string_equal(perr.reason_key, err.reason_key);
			}
			collected_free(&part);
		}
		collected_free(&whole);
		free(data);
		json_decref(x);
	}
	closedir(d);
	/* Every dialect of the brief, and every kind of error, has a file. */
	assert_true(good >= 7);
	assert_true(bad >= 21);
}

static void test_timestamp_forms(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t want;
	} cases[] = {
		{"2026-03-01T10:00:00+09:00", 1772326800}, {"2026-03-01T01:00:00Z", 1772326800},
		{"2026-03-01 10:00", 1772326800},          {"2026/03/01 10:00:00", 1772326800},
		{"2026/3/1 10:00", 1772326800},            {"2026-03-01 9:00", 1772326800 - 3600},
		{"2026-03-01T01:00:00.999Z", 1772326800},  {"2026-03-01 01:00:00 +00:00", 1772326800},
		{"2026-03-01T02:00+0100", 1772326800},     {"2026-02-28T20:00:00-05:00", 1772326800},
		{"2024-02-29 09:00", 1709164800},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "Time,Temp(°C)\n%s,5.0\n", cases[i].text);
		collected c = {0};
		temp_csv_error err;
		if (parse_str(text, &c, &err) != 0)
			fail_msg("%s: %s", cases[i].text, err.reason);
		assert_int_equal(c.n, 1);
		if (c.r[0].at != cases[i].want)
			fail_msg("%s: %lld, expected %lld", cases[i].text, (long long)c.r[0].at, (long long)cases[i].want);
		collected_free(&c);
	}
	const char *bad[] = {"2026-03-01", "2026-13-01 10:00", "2023-02-29 10:00", "2026-03-01 24:00",
	                     "2026-03-01 10:60", "2026-03-01T10:00:00+15:00", "01/03/2026 10:00", "2026-03-01 10:00 PM",
	                     "2026-03-01T10:00:00Zjunk", "2026-03/01 10:00", "20260301T100000"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "Time,Temp(°C)\n2026-01-01 00:00,1\n%s,5.0\n", bad[i]);
		collected c = {0};
		temp_csv_error err;
		if (parse_str(text, &c, &err) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(err.line, 3);
		assert_non_null(strstr(err.reason, "unparsable timestamp"));
		collected_free(&c);
	}
}

static void test_numbers(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		double want;
	} cases[] = {
		{"4.5", 4.5},   {"\"4,5\"", 4.5}, {"-0.5", -0.5}, {"+3", 3.0},          {".5", 0.5},
		{"5.", 5.0},    {"-20.25", -20.25}, {"4.5°C", 4.5}, {"\xE2\x88\x92" "2.5", -2.5}, {" 7.25 ", 7.25},
		{"0.1", 0.1},   {"-196.15", -196.15}, {"-200", -200.0}, {"+100.0", 100.0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "Time,Temp(°C)\n2026-03-01 10:00,%s\n", cases[i].text);
		collected c = {0};
		temp_csv_error err;
		if (parse_str(text, &c, &err) != 0)
			fail_msg("%s: %s", cases[i].text, err.reason);
		/* Exactly what the C library makes of the decimal: one rounding. */
		if (c.r[0].celsius != cases[i].want)
			fail_msg("%s: %.17g, expected %.17g", cases[i].text, c.r[0].celsius, cases[i].want);
		collected_free(&c);
	}
	const char *bad[] = {"", "abc", "1e3", "4.5.1", "--1", "NaN", "4,5,6", "12345678901234567890", "4.5K"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "Time;Temp(°C)\n2026-03-01 10:00;%s\n", bad[i]);
		collected c = {0};
		temp_csv_error err;
		if (parse_str(text, &c, &err) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(err.line, 2);
		collected_free(&c);
	}
}

static void test_units_and_zones(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		double celsius;
		int64_t at;
	} cases[] = {
		{"Time,Temperature [F]\n2026-03-01 10:00,50\n", 10.0, 1772326800},
		{"Time,Temp °F\n2026-03-01 10:00,50\n", 10.0, 1772326800},
		{"Time,temperature_f\n2026-03-01 10:00,50\n", 10.0, 1772326800},
		{"Time,Fahrenheit\n2026-03-01 10:00,50\n", 10.0, 1772326800},
		{"Time,Temp (deg C)\n2026-03-01 10:00,10\n", 10.0, 1772326800},
		{"Time (UTC+09:00),Temp(°C)\n2026-03-01 10:00,10\n", 10.0, 1772326800},
		{"Time (UTC),Temp(°C)\n2026-03-01 01:00,10\n", 10.0, 1772326800},
		{"Time UTC,Temp(°C)\n2026-03-01 01:00,10\n", 10.0, 1772326800},
		{"Date/Time [GMT-05:00],Temp(°C)\n2026-02-28 20:00,10\n", 10.0, 1772326800},
		{"Time (yyyy/mm/dd hh:mm),Temp(°C)\n2026/03/01 10:00,10\n", 10.0, 1772326800},
		{"# tz = UTC+1\nTime,Temp(°C)\n2026-03-01 02:00,10\n", 10.0, 1772326800},
		{"Time Zone: GMT\nTime,Temp(°C)\n2026-03-01 01:00,10\n", 10.0, 1772326800},
		{"# timezone: Asia/Tokyo\nTime,Temp(°C)\n2026-03-01 10:00,10\n", 10.0, 1772326800},
		{"# unit: °F\nTime,Temp\n2026-03-01 10:00,50\n", 10.0, 1772326800},
		{"Time,Temp\n2026-03-01 10:00,50F\n", 10.0, 1772326800},
		{"2026-03-01T10:00:00+09:00,10\xE2\x84\x83\n", 10.0, 1772326800},
		{"2026-03-01 10:00\t10\tC\n", 10.0, 1772326800},
		{"2026-03-01 10:00;50;°F;55%\n", 10.0, 1772326800},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		collected c = {0};
		temp_csv_error err;
		if (parse_str(cases[i].text, &c, &err) != 0)
			fail_msg("case %zu: line %ld: %s", i, err.line, err.reason);
		assert_int_equal(c.n, 1);
		if (fabs(c.r[0].celsius - cases[i].celsius) > 1e-9 || c.r[0].at != cases[i].at)
			fail_msg("case %zu: %lld %.6f", i, (long long)c.r[0].at, c.r[0].celsius);
		collected_free(&c);
	}
	static const struct {
		const char *text;
		long line;
		const char *reason;
	} bad[] = {
		{"Time,Temp(°C)\n# timezone: UTC\n2026-03-01 01:00,10\n", 0, NULL},  /* a comment in the body is ignored */
		{"# timezone: UTC\n# tz: JST\nTime,Temp(°C)\n2026-03-01 01:00,10\n", 2, "two different time zones"},
		{"# unit: F\nTime,Temp(°C)\n2026-03-01 01:00,10\n", 2, "the header says °C but the file says °F"},
		{"Time,Temp(°C),Unit\n2026-03-01 01:00,10,F\n", 2, "unknown unit: this row says °F"},
		{"# unit: Kelvin\nTime,Temp\n2026-03-01 01:00,10\n", 1, "unknown unit 'Kelvin'"},
		{"Time,Temp\n2026-03-01 01:00,10\n", 2, "unknown unit"},
		{"Time,Temp(°C)\n2026-03-01 01:00,10;5\n", 2, "non-numeric temperature"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		collected c = {0};
		temp_csv_error err = {0};
		int rc = parse_str(bad[i].text, &c, &err);
		if (bad[i].reason == NULL) {
			assert_int_equal(rc, 0);
		} else {
			if (rc == 0 || err.line != bad[i].line || strstr(err.reason, bad[i].reason) == NULL)
				fail_msg("case %zu: rc %d line %ld: %s", i, rc, err.line, err.reason);
		}
		collected_free(&c);
	}
}

static void test_default_unit(void **state)
{
	(void)state;
	const char *text = "time,temperature\n2026-03-01T10:00:00+09:00,41\n";
	collected c = {0};
	temp_csv *p = temp_csv_new(JST, NOW, collect, &c);
	temp_csv_set_default_unit(p, 'F');
	temp_csv_error err;
	assert_int_equal(temp_csv_feed(p, text, strlen(text), &err), 0);
	assert_int_equal(temp_csv_finish(p, &err), 0);
	assert_int_equal(c.n, 1);
	assert_float_equal(c.r[0].celsius, 5.0, 1e-9);
	temp_csv_free(p);
	collected_free(&c);
}

static void test_stop_and_sticky_error(void **state)
{
	(void)state;
	const char *text = "Time,Temp(°C)\n2026-03-01 10:00,1\n2026-03-01 10:01,2\n2026-03-01 10:02,3\n";
	collected c = {.stop_after = 2};
	temp_csv_error err;
	assert_int_equal(parse_str(text, &c, &err), 0);
	assert_int_equal(c.n, 2);
	collected_free(&c);

	/* After an error, every call reports it again and nothing more is read. */
	temp_csv *p = temp_csv_new(JST, NOW, collect, &c);
	const char *bad = "Time,Temp(°C)\n2026-03-01 10:00,x\n";
	assert_int_equal(temp_csv_feed(p, bad, strlen(bad), &err), -1);
	assert_int_equal(err.line, 2);
	memset(&err, 0, sizeof err);
	assert_int_equal(temp_csv_feed(p, "2026-03-01 10:01,1\n", 19, &err), -1);
	assert_int_equal(err.line, 2);
	assert_int_equal(temp_csv_finish(p, &err), -1);
	assert_int_equal(c.n, 0);
	temp_csv_free(p);
}

/* The encoding is decided on the first line with a non-ASCII byte, held back up to 4096
 * bytes: a longer line is decided on its first 4096 bytes, a UTF-8 character cut there
 * included, the same whatever the chunks. */
static void test_encoding_decided_on_a_long_line(void **state)
{
	(void)state;
	static const char *const fills[] = {
		"\x89\xB7\x93\x78",  /* 温度 in CP932 */
		"\xE6\xB8\xA9\xE5\xBA\xA6",  /* 温度 in UTF-8: 4096 falls inside a character */
	};
	for (size_t k = 0; k < 2; k++) {
		size_t cap = 12000, len = 0;
		char *text = malloc(cap);
		assert_non_null(text);
		len += (size_t)snprintf(text, cap, "# ");
		while (len < 6000) {
			memcpy(text + len, fills[k], strlen(fills[k]));
			len += strlen(fills[k]);
		}
		len += (size_t)snprintf(text + len, cap - len, "\nTime,Temp_C\n2026-03-01 10:00,4.5\n2026-03-01 10:05,4.6\n");
		for (size_t chunk = 0; chunk <= 7; chunk += 7) {
			collected c = {0};
			temp_csv_error err = {0};
			if (parse(text, len, chunk, &c, &err) != 0)
				fail_msg("fill %zu chunk %zu: line %ld: %s", k, chunk, err.line, err.reason);
			assert_int_equal(c.n, 2);
			assert_float_equal(c.r[1].celsius, 4.6, 1e-9);
			collected_free(&c);
		}
		free(text);
	}
	/* A Shift_JIS lead byte at the very end of the file: an incomplete character. */
	const char *cut = "Time,Temp_C,Note\n2026-03-01 10:00,4.5,\x89\xB7\x93";
	collected c = {0};
	temp_csv_error err = {0};
	assert_int_equal(parse(cut, strlen(cut), 0, &c, &err), -1);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.reason_key, "csv_encoding");
	collected_free(&c);
}

static void test_limits_on_input(void **state)
{
	(void)state;
	/* A field without end cannot take memory without bound. */
	size_t n = 100000;
	char *big = malloc(n + 64);
	strcpy(big, "Time,Temp(°C)\n2026-03-01 10:00,");
	size_t at = strlen(big);
	memset(big + at, '1', n);
	big[at + n] = '\0';
	collected c = {0};
	temp_csv_error err;
	assert_int_equal(parse(big, at + n, 4096, &c, &err), -1);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.reason, "longer than"));
	/* Nor a first line without end. */
	memset(big, 'x', n);
	assert_int_equal(parse(big, n, 1000, &c, &err), -1);
	assert_int_equal(err.line, 1);
	free(big);
	/* The last line needs no line end; CR LF and LF mix. */
	const char *text = "Time,Temp(°C)\r\n2026-03-01 10:00,1\n2026-03-01 10:01,2";
	assert_int_equal(parse_str(text, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.line[1], 3);
	collected_free(&c);
}

static void test_plausible_values(void **state)
{
	(void)state;
	/* The limits are included; one step past each is refused, naming the field. The same
	 * check serves the JSON ingest (tests/http/coldchain.test.mjs). */
	char latest[ISO8601_LEN], after[ISO8601_LEN], at_latest[32], at_after[32];
	time_iso8601(NOW + COLDCHAIN_FUTURE_ALLOWANCE_SECONDS, latest);
	time_iso8601(NOW + COLDCHAIN_FUTURE_ALLOWANCE_SECONDS + 1, after);
	snprintf(at_latest, sizeof at_latest, "%s,5", latest);
	snprintf(at_after, sizeof at_after, "%s,5", after);
	const struct {
		const char *row;
		const char *field;  /* NULL: accepted */
	} cases[] = {
		{"2026-03-01T10:00:00Z,-200", NULL},
		{"2026-03-01T10:00:00Z,100", NULL},
		{"2026-03-01T10:00:00Z,-200.01", "celsius"},
		{"2026-03-01T10:00:00Z,100.01", "celsius"},
		{"2026-03-01T10:00:00Z,-273.15", "celsius"},
		{"2026-03-01T10:00:00Z,-300", "celsius"},
		{"2000-01-01T00:00:00Z,5", NULL},
		{"1999-12-31T23:59:59Z,5", "at"},
		{"2000-01-01T08:59:59+09:00,5", "at"},
		{"1970-01-01T00:00:00Z,5", "at"},
		{at_latest, NULL},
		{at_after, "at"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[160];
		snprintf(text, sizeof text, "Time,Temp(°C)\n%s\n", cases[i].row);
		collected c = {0};
		temp_csv_error err = {0};
		int rc = parse_str(text, &c, &err);
		if (cases[i].field == NULL && rc != 0)
			fail_msg("%s: refused: %s", cases[i].row, err.reason);
		if (cases[i].field != NULL && (rc == 0 || err.field == NULL || strcmp(err.field, cases[i].field) != 0 ||
		                               err.line != 2 || err.reason_key == NULL))
			fail_msg("%s: rc %d field %s (%s), expected %s refused", cases[i].row, rc, err.field ? err.field : "none",
			         err.reason, cases[i].field);
		collected_free(&c);
	}
	/* °F converted before the check: 212 °F is 100 °C, 213 °F is not. */
	collected c = {0};
	temp_csv_error err = {0};
	assert_int_equal(parse_str("Time,Temp(°F)\n2026-03-01T10:00:00Z,212\n", &c, &err), 0);
	collected_free(&c);
	assert_int_equal(parse_str("Time,Temp(°F)\n2026-03-01T10:00:00Z,213\n", &c, &err), -1);
	assert_string_equal(err.field, "celsius");
	collected_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_timestamp_forms),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_units_and_zones),
		cmocka_unit_test(test_default_unit),
		cmocka_unit_test(test_stop_and_sticky_error),
		cmocka_unit_test(test_encoding_decided_on_a_long_line),
		cmocka_unit_test(test_limits_on_input),
		cmocka_unit_test(test_plausible_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
