/* Temperature-logger CSV: the preamble, read line by line before libcsv takes over (see
 * temp_csv.c for the recognised forms). Each line is split on the delimiter it seems to use
 * and classified: a header (names a time and a temperature column), a data line (timestamps,
 * numbers, units), or metadata and comments, which may declare the file's time zone or unit.
 * The first header or data line fixes the columns and starts the body. */
#include "core/temp_csv.h"

#include <csv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/charset_stream.h"
#include "core/timefmt.h"
#include "core/temp_csv_internal.h"
#include "core/validate.h"

/* ---- the preamble ---------------------------------------------------------------------- */

typedef struct span {
	const char *s;
	size_t n;
} span;

typedef struct split_ctx {
	span *fields;
	int n;
	char *store;  /* the copy the spans point into */
	size_t used, cap;
	bool overflow;
} split_ctx;

static void split_field(void *data, size_t n, void *ud)
{
	split_ctx *c = ud;
	if (c->n >= MAX_COLUMNS || c->used + n + 1 > c->cap) {
		c->overflow = true;
		return;
	}
	memcpy(c->store + c->used, data, n);
	c->fields[c->n].s = c->store + c->used;
	c->fields[c->n].n = n;
	c->store[c->used + n] = '\0';
	c->used += n + 1;
	c->n++;
}

/* The delimiter of a line: a tab, else a semicolon, else a comma, outside quotes. */
static unsigned char detect_delim(const char *s, size_t n)
{
	bool quoted = false, tab = false, semi = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '\t')
			tab = true;
		else if (!quoted && s[i] == ';')
			semi = true;
	}
	return tab ? '\t' : semi ? ';' : ',';
}

/* Splits one line with libcsv. Returns the number of fields, or -1 when there are too many. */
static int split_line(const char *s, size_t n, unsigned char delim, span *fields, char *store, size_t cap)
{
	struct csv_parser c;
	if (csv_init(&c, 0) != 0)
		return -1;
	csv_set_delim(&c, delim);
	split_ctx sc = {fields, 0, store, 0, cap, false};
	csv_parse(&c, s, n, split_field, NULL, &sc);
	csv_fini(&c, split_field, NULL, &sc);
	csv_free(&c);
	return sc.overflow ? -1 : sc.n;
}

/* Applies a declared time zone; an unknown or conflicting one fails. */
static void declare_zone(temp_csv *p, const char *s, size_t n)
{
	int off;
	char shown[SHOW_MAX * 2];
	tcsv_show(shown, sizeof shown, s, n);
	if (tcsv_parse_zone(s, n, p->default_offset, &off) != 0) {
		if (tcsv_fail(p, p->pre_lines + 1, "csv_zone_unknown", "unknown time zone '%s' (give a UTC offset such as UTC+09:00, or UTC)",
		         shown))
			temp_csv_error_arg(&p->error, "value", "%s", shown);
		return;
	}
	if (p->offset_declared && off != p->offset) {
		if (tcsv_fail(p, p->pre_lines + 1, "csv_zone_conflict", "the file gives two different time zones (the second is '%s')",
		         shown))
			temp_csv_error_arg(&p->error, "value", "%s", shown);
		return;
	}
	p->offset = off;
	p->offset_declared = true;
}

static void declare_unit(temp_csv *p, const char *s, size_t n)
{
	char shown[SHOW_MAX * 2];
	tcsv_show(shown, sizeof shown, s, n);
	char u = tcsv_unit_from_token(s, n);
	if (u == 0) {
		if (tcsv_fail(p, p->pre_lines + 1, "csv_unit_unknown", "unknown unit '%s' (expected C or F)", shown))
			temp_csv_error_arg(&p->error, "value", "%s", shown);
		return;
	}
	if (p->unit != 0 && p->unit != u) {
		if (tcsv_fail(p, p->pre_lines + 1, "csv_unit_conflict",
		         "the file gives two different temperature units (the second is '%s')", shown))
			temp_csv_error_arg(&p->error, "value", "%s", shown);
		return;
	}
	p->unit = u;
}

/* A metadata key, compared without case, spaces, '_' or '-'. */
static bool key_is(const char *s, size_t n, const char *const *words)
{
	char k[64];
	size_t m = 0;
	for (size_t i = 0; i < n && m + 1 < sizeof k; i++)
		if (s[i] != ' ' && s[i] != '_' && s[i] != '-' && s[i] != '\t')
			k[m++] = (char)tcsv_lower_ascii((unsigned char)s[i]);
	for (int i = 0; words[i]; i++)
		if (tcsv_equals_ci(k, m, words[i]))
			return true;
	return false;
}

static const char *const ZONE_KEYS[] = {"timezone", "tz", "utcoffset", "zone", "timezoneoffset",
                                        "\xE3\x82\xBF\xE3\x82\xA4\xE3\x83\xA0\xE3\x82\xBE\xE3\x83\xBC\xE3\x83\xB3", NULL};
static const char *const UNIT_KEYS[] = {"unit", "units", "tempunit", "temperatureunit", "\xE5\x8D\x98\xE4\xBD\x8D", NULL};

/* A metadata pair: applies it when it declares a time zone or a unit. */
static void metadata(temp_csv *p, const char *k, size_t kn, const char *v, size_t vn)
{
	tcsv_trim(&k, &kn);
	while (kn > 0 && (k[kn - 1] == ':' || k[kn - 1] == '='))
		kn--;
	tcsv_trim(&v, &vn);
	if (key_is(k, kn, ZONE_KEYS))
		declare_zone(p, v, vn);
	else if (key_is(k, kn, UNIT_KEYS))
		declare_unit(p, v, vn);
}

/* "key: value" or "key = value" within one piece of text. */
static void metadata_text(temp_csv *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == ':' || s[i] == '=') {
			metadata(p, s, i, s + i + 1, n - i - 1);
			return;
		}
}

static bool is_time_name(const span *f)
{
	return tcsv_contains_ci(f->s, f->n, "time") || tcsv_contains_ci(f->s, f->n, "date") ||
	       tcsv_contains_ci(f->s, f->n, "\xE6\x97\xA5\xE6\x99\x82") ||  /* 日時 */
	       tcsv_contains_ci(f->s, f->n, "\xE6\x99\x82\xE5\x88\xBB") ||  /* 時刻 */
	       tcsv_contains_ci(f->s, f->n, "\xE6\x97\xA5\xE4\xBB\x98") ||  /* 日付 */
	       tcsv_contains_ci(f->s, f->n, "\xE6\x99\x82\xE9\x96\x93");    /* 時間 */
}

static bool is_temp_name(const span *f)
{
	return tcsv_contains_ci(f->s, f->n, "temp") || tcsv_contains_ci(f->s, f->n, "\xE6\xB8\xA9\xE5\xBA\xA6");  /* 温度 */
}

static bool has_unit_marker(const span *f)
{
	return tcsv_contains_ci(f->s, f->n, "\xC2\xB0" "c") || tcsv_contains_ci(f->s, f->n, "\xC2\xB0" "f") ||
	       tcsv_contains_ci(f->s, f->n, "\xE2\x84\x83") || tcsv_contains_ci(f->s, f->n, "\xE2\x84\x89") ||
	       tcsv_contains_ci(f->s, f->n, "celsius") || tcsv_contains_ci(f->s, f->n, "fahrenheit");
}

/* The text inside the last (...) or [...] of a header, if any. */
static bool bracketed(const span *f, span *inner)
{
	for (size_t i = f->n; i-- > 0;) {
		char close = f->s[i];
		if (close != ')' && close != ']')
			continue;
		char open = close == ')' ? '(' : '[';
		for (size_t j = i; j-- > 0;)
			if (f->s[j] == open) {
				inner->s = f->s + j + 1;
				inner->n = i - j - 1;
				return true;
			}
		return false;
	}
	return false;
}

/* The last word of a header, after a space, '_' or '-'. */
static span last_word(const span *f)
{
	const char *s = f->s;
	size_t n = f->n;
	tcsv_trim(&s, &n);
	size_t i = n;
	while (i > 0 && s[i - 1] != ' ' && s[i - 1] != '_' && s[i - 1] != '-')
		i--;
	return (span){s + i, n - i};
}

/* The unit a temperature header names: 'C', 'F', 0 for none; fails on an unknown one. */
static char header_unit(temp_csv *p, const span *f)
{
	span in;
	char shown[SHOW_MAX * 2];
	if (bracketed(f, &in)) {
		char u = tcsv_unit_from_token(in.s, in.n);
		if (u != 0)
			return u;
		if (tcsv_looks_like_unit(in.s, in.n)) {
			tcsv_show(shown, sizeof shown, in.s, in.n);
			if (tcsv_fail(p, p->pre_lines + 1, "csv_unit_unknown", "unknown unit '%s' in the temperature header (expected °C or °F)",
			         shown))
				temp_csv_error_arg(&p->error, "value", "%s", shown);
			return 0;
		}
	}
	if (tcsv_contains_ci(f->s, f->n, "\xE2\x84\x83") || tcsv_contains_ci(f->s, f->n, "\xC2\xB0" "c") ||
	    tcsv_contains_ci(f->s, f->n, "celsius"))
		return 'C';
	if (tcsv_contains_ci(f->s, f->n, "\xE2\x84\x89") || tcsv_contains_ci(f->s, f->n, "\xC2\xB0" "f") ||
	    tcsv_contains_ci(f->s, f->n, "fahrenheit"))
		return 'F';
	span w = last_word(f);
	if (w.n < f->n)
		return tcsv_unit_from_token(w.s, w.n);
	return 0;
}

/* The zone a time header names ("Time (UTC)", "Timestamp UTC+9"), applied if any. */
static void header_zone(temp_csv *p, const span *f)
{
	span in;
	int off;
	if (bracketed(f, &in) && (tcsv_parse_zone(in.s, in.n, p->default_offset, &off) == 0 || tcsv_looks_like_zone(in.s, in.n))) {
		declare_zone(p, in.s, in.n);
		return;
	}
	span w = last_word(f);
	if (w.n < f->n && (tcsv_starts_ci(w.s, w.n, "utc") || tcsv_starts_ci(w.s, w.n, "gmt") || tcsv_equals_ci(w.s, w.n, "jst")))
		declare_zone(p, w.s, w.n);
}

/* Tries the line as a header. Returns true when it is one (columns set, or failed). */
static bool try_header(temp_csv *p, const span *f, int n)
{
	int time_col = -1, date_col = -1, temp_col = -1, unit_col = -1;
	for (int i = 0; i < n; i++) {
		if (tcsv_equals_ci(f[i].s, f[i].n, "date") || tcsv_equals_ci(f[i].s, f[i].n, "\xE6\x97\xA5\xE4\xBB\x98"))
			for (int j = 0; j < n; j++)
				if (tcsv_equals_ci(f[j].s, f[j].n, "time") || tcsv_equals_ci(f[j].s, f[j].n, "\xE6\x99\x82\xE5\x88\xBB")) {
					date_col = i;
					time_col = j;
				}
	}
	for (int i = 0; i < n && time_col < 0; i++)
		if (is_time_name(&f[i]) && !is_temp_name(&f[i]))
			time_col = i;
	for (int i = 0; i < n; i++)
		if (key_is(f[i].s, f[i].n, UNIT_KEYS) || tcsv_equals_ci(f[i].s, f[i].n, "unit"))
			unit_col = i;
	for (int pass = 0; pass < 2 && temp_col < 0; pass++)
		for (int i = 0; i < n && temp_col < 0; i++)
			if (i != time_col && i != date_col && i != unit_col && (pass == 0 ? is_temp_name(&f[i]) : has_unit_marker(&f[i])))
				temp_col = i;
	if (time_col < 0 || temp_col < 0)
		return false;
	p->time_col = time_col;
	p->date_col = date_col;
	p->temp_col = temp_col;
	p->unit_col = unit_col;
	p->ncols = n;
	header_zone(p, &f[date_col >= 0 ? date_col : time_col]);
	if (date_col >= 0)
		header_zone(p, &f[time_col]);
	char u = header_unit(p, &f[temp_col]);
	if (u != 0) {
		if (p->unit != 0 && p->unit != u)
			if (tcsv_fail(p, p->pre_lines + 1, "csv_unit_conflict", "the header says °%c but the file says °%c", u, p->unit))
				temp_csv_error_arg(&p->error, "value", "°%c", u);
		p->unit = u;
	}
	return true;
}

typedef enum field_kind { KIND_EMPTY, KIND_TIME, KIND_NUMBER, KIND_UNIT, KIND_OTHER } field_kind;

static field_kind kind_of(const span *f)
{
	const char *s = f->s;
	size_t n = f->n;
	tcsv_trim(&s, &n);
	int64_t t;
	double v;
	char u;
	if (n == 0)
		return KIND_EMPTY;
	if (tcsv_parse_time(NULL, s, n, 0, &t) == 0)
		return KIND_TIME;
	if (tcsv_parse_number(s, n, &v, &u) == 0)
		return KIND_NUMBER;
	if (tcsv_unit_from_token(s, n) != 0)
		return KIND_UNIT;
	if (n > 1 && s[n - 1] == '%' && tcsv_parse_number(s, n - 1, &v, &u) == 0)
		return KIND_EMPTY;  /* humidity */
	return KIND_OTHER;
}

/* Tries the line as the first data line of a file without a header. */
static bool try_data(temp_csv *p, const span *f, int n)
{
	field_kind kind[MAX_COLUMNS];
	int time_col = -1, unit_col = -1, numbers = 0;
	for (int i = 0; i < n; i++) {
		kind[i] = kind_of(&f[i]);
		if (kind[i] == KIND_OTHER)
			return false;
		if (kind[i] == KIND_TIME && time_col < 0)
			time_col = i;
		if (kind[i] == KIND_UNIT && unit_col < 0)
			unit_col = i;
		numbers += kind[i] == KIND_NUMBER;
	}
	if (time_col < 0 || numbers == 0)
		return false;
	int temp_col = -1;
	for (int i = time_col + 1; i < n && temp_col < 0; i++)
		if (kind[i] == KIND_NUMBER)
			temp_col = i;
	for (int i = time_col - 1; i >= 0 && temp_col < 0; i--)
		if (kind[i] == KIND_NUMBER)
			temp_col = i;
	p->time_col = time_col;
	p->date_col = -1;
	p->temp_col = temp_col;
	p->unit_col = unit_col;
	p->ncols = n;
	return true;
}

/* One complete preamble line (without its '\n'). Returns 0, or -1 on failure. */
int tcsv_preamble_line(temp_csv *p)
{
	const char *s = p->pre;
	size_t n = p->pre_len;
	if (p->pre_lines == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;  /* a byte order mark */
		n -= 3;
	}
	if (!tcsv_utf8_valid(s, n)) {
		/* The first line with a non-ASCII byte decided the encoding (charset_stream.c). */
		tcsv_fail(p, p->pre_lines + 1, "csv_mixed_encoding",
		     "invalid UTF-8 (earlier lines are UTF-8: save the whole file in one encoding)");
		return -1;
	}
	const char *t = s;
	size_t tn = n;
	tcsv_trim(&t, &tn);
	if (tn == 0) {
		p->pre_lines++;
		return 0;
	}
	if (t[0] == '#') {
		metadata_text(p, t + 1, tn - 1);
		p->pre_lines++;
		return p->status < 0 ? -1 : 0;
	}
	unsigned char delim = detect_delim(s, n);
	span fields[MAX_COLUMNS];
	char store[PRE_LINE_MAX + MAX_COLUMNS];
	int nf = split_line(s, n, delim, fields, store, sizeof store);
	if (nf < 0) {
		if (tcsv_fail(p, p->pre_lines + 1, "csv_too_many_columns", "wrong column count: more than %d columns", MAX_COLUMNS))
			temp_csv_error_arg(&p->error, "max", "%d", MAX_COLUMNS);
		return -1;
	}
	bool header = nf >= 2 && try_header(p, fields, nf);
	if (p->status < 0)
		return -1;
	if (header || (nf >= 2 && try_data(p, fields, nf))) {
		p->delim = delim;
		/* The line goes to libcsv with its line end, which the caller stripped. */
		memcpy(p->pre + p->pre_len, "\n", 1);
		return tcsv_start_body(p, header, s, (size_t)(p->pre + p->pre_len + 1 - s));
	}
	/* Metadata: "key: value", or key and value as the first two fields. */
	if (nf >= 2)
		metadata(p, fields[0].s, fields[0].n, fields[1].s, fields[1].n);
	else
		metadata_text(p, t, tn);
	if (p->status < 0)
		return -1;
	if (++p->pre_lines >= PRE_LINES_MAX) {
		if (tcsv_fail(p, p->pre_lines, "csv_no_header",
		         "no header or readings in the first %d lines (expected a time and a temperature column)", PRE_LINES_MAX))
			temp_csv_error_arg(&p->error, "max", "%d", PRE_LINES_MAX);
		return -1;
	}
	return 0;
}

/* Feeds bytes to the preamble; returns how many were consumed (the rest belong to the body
 * once it has started), or -1 on failure. */
long tcsv_preamble_feed(temp_csv *p, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && !p->in_body) {
		char c = data[i++];
		if (c == '\n' && !p->pre_quoted) {
			if (p->pre_len > 0 && p->pre[p->pre_len - 1] == '\r')
				p->pre_len--;
			if (tcsv_preamble_line(p) != 0)
				return -1;
			p->pre_len = 0;
			continue;
		}
		if (c == '"' && !(p->pre_len > 0 && p->pre[0] == '#'))
			p->pre_quoted = !p->pre_quoted;
		if (p->pre_len + 2 >= PRE_LINE_MAX) {
			if (tcsv_fail(p, p->pre_lines + 1, "csv_line_too_long",
			         "line longer than %d bytes before any readings (line ends must be LF or CR LF)", PRE_LINE_MAX))
				temp_csv_error_arg(&p->error, "max", "%d", PRE_LINE_MAX);
			return -1;
		}
		p->pre[p->pre_len++] = c;
	}
	return (long)i;
}
