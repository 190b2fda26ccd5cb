/* Temperature-logger CSV, parsed as a stream.
 *
 * The file has two parts. The preamble, read here line by line, is everything before the
 * first header or data line: blank lines, comment lines ("# ..."), and the metadata lines
 * logger software writes ("Serial: 1234", "Time zone,UTC"). The body, from the header or first
 * data line on, goes through libcsv, which does the tokenising; this file only looks at the
 * fields of the time, temperature and unit columns. Memory stays flat: one line of preamble
 * at most, and libcsv's buffer of one field (capped at FIELD_MAX).
 *
 * Recognised forms:
 *
 * Encoding: UTF-8 (a byte order mark is dropped) or Shift_JIS as Windows writes it (CP932),
 * decided at the first line with a non-ASCII byte and converted to UTF-8 before anything
 * else looks at it (charset_stream.c). UTF-16 is refused.
 *
 * Delimiter: taken from the header or first data line: a tab if it has one outside quotes,
 * else a semicolon, else a comma.
 *
 * Header or not: a line is a header when one field names the time (contains "time", "date",
 * 日時, 時刻, 日付 or 時間) and another the temperature (contains "temp" or 温度, or a unit
 * such as °C, ℃, "celsius"). Columns named exactly "Date" and "Time" are read together as one
 * timestamp. A column named "Unit"/"Units"/単位 holds each row's unit. A line is data when
 * every field is a timestamp, a number, a percentage, a unit (C, F, °C, ...) or empty, with at
 * least one timestamp and one number: the first timestamp is the time; the temperature is the
 * first number after it (else the last before it: a leading record number is skipped); a
 * field holding a unit is the unit column. Anything else before that is metadata. Once the
 * columns are known, other columns (humidity, record number, serial) are ignored.
 *
 * Timestamps: YYYY-MM-DD or YYYY/MM/DD, then 'T' or a space, then H:MM or H:MM:SS (month,
 * day and hour may have one digit), an optional fraction of a second (dropped), then an
 * optional offset: Z, +HH:MM, +HHMM or +HH (a space before it is allowed). Without an offset
 * the time is local to the file's time zone.
 *
 * The file's time zone: the default given to temp_csv_new (Asia/Tokyo for the clinic) unless
 * the file says otherwise, in the time column's header — "Time (UTC)", "Timestamp
 * (UTC+09:00)", "Date/Time [GMT-05:00]", "Time UTC" — or in a comment or metadata line whose
 * key is "timezone", "time zone", "tz", "utc offset" or タイムゾーン — "# timezone: UTC",
 * "Time Zone,UTC+9". Values: UTC, GMT, Z, JST, Asia/Tokyo, "local" (the default), UTC±H,
 * UTC±HH:MM, GMT±HHMM, ±HH:MM, ±HHMM. Any other named zone is an error (give an offset):
 * daylight-saving zones would need a zone database, and a wrong guess shifts every reading.
 * Two different declarations in one file are an error too.
 *
 * (A bracketed abbreviation other than UTC, GMT or JST, such as "(CET)", is refused the same way.)
 *
 * Unit: from the temperature column's header — "Temp(°F)", "Temperature [F]", "温度(℃)",
 * "temperature_c", "Temp °C", "Celsius" — or a unit column with values C/F/°C/°F/℃/℉, or a
 * suffix on the value ("4.5°C"), or a "# unit: F" metadata line, or temp_csv_set_default_unit.
 * A unit named but not recognised (K, °R, "[X]") is an error; so is a file that never says.
 *
 * Numbers: an optional sign, digits, and '.' or ',' as the decimal mark ("4,5" arrives as
 * one field when the delimiter is ';' or a tab, or quoted with a comma delimiter). Parsed by
 * hand: no locale, no strtod; the value is the exact decimal rounded once.
 *
 * Plausible values: every reading must pass coldchain_reading_implausible (-200..+100 °C,
 * from 2000-01-01 to the time of import, give or take five minutes), the same check the JSON
 * ingest applies; the error then names the field.
 *
 * Order: timestamps must strictly increase. A line repeating the previous timestamp with the
 * same temperature is skipped (loggers re-export the last reading of a download); with a
 * different temperature it is an error. Blank lines and lines starting with '#' are ignored
 * anywhere. Line numbers are physical lines, 1-based, counting the preamble; a CR LF is one
 * line end. A lone CR is not a line end (old Mac files are refused as too long a line). */
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


static int feed_utf8(void *ctx, const char *data, size_t len);

/* ---- small text helpers ------------------------------------------------------------ */

int tcsv_lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Does s[0..n) contain needle (ASCII case-insensitive; other bytes compared exactly)? */
bool tcsv_contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && tcsv_lower_ascii((unsigned char)s[i + j]) == tcsv_lower_ascii((unsigned char)needle[j]))
			j++;
		if (j == m)
			return true;
	}
	return false;
}

bool tcsv_equals_ci(const char *s, size_t n, const char *word)
{
	size_t m = strlen(word);
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tcsv_lower_ascii((unsigned char)s[i]) != tcsv_lower_ascii((unsigned char)word[i]))
			return false;
	return true;
}

bool tcsv_starts_ci(const char *s, size_t n, const char *word)
{
	size_t m = strlen(word);
	return n >= m && tcsv_equals_ci(s, m, word);
}

void tcsv_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one
 * (utf8proc_iterate: overlong forms, surrogates and a cut sequence are refused). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	utf8proc_int32_t cp;
	utf8proc_ssize_t len = utf8proc_iterate(s, (utf8proc_ssize_t)n, &cp);
	return len > 0 ? (size_t)len : 0;
}

bool tcsv_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq(u + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

/* Writes s[0..n) into out for a message: at most SHOW_MAX bytes, cut on a character
 * boundary, control characters as '?'. s is valid UTF-8. */
void tcsv_show(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0, i = 0;
	while (i < n && o + 4 < cap && i < SHOW_MAX) {
		size_t l = utf8_seq((const unsigned char *)s + i, n - i);
		if (l == 0)
			l = 1;
		if (o + l + 4 >= cap || i + l > SHOW_MAX)
			break;
		for (size_t k = 0; k < l; k++) {
			unsigned char c = (unsigned char)s[i + k];
			out[o++] = (l == 1 && (c < 0x20 || c == 0x7F)) ? '?' : (char)c;
		}
		i += l;
	}
	if (i < n && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* ---- errors ------------------------------------------------------------------------- */

void temp_csv_error_arg(temp_csv_error *err, const char *name, const char *fmt, ...)
{
	if (err->nargs < 0 || err->nargs >= TEMP_CSV_ARGS_MAX)
		return;
	temp_csv_arg *a = &err->args[err->nargs++];
	a->name = name;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof a->text, fmt, ap);
	va_end(ap);
}

static void error_set(temp_csv_error *e, long line, const char *key, const char *fmt, va_list ap)
{
	e->line = line;
	e->field = NULL;
	e->reason_key = key;
	e->nargs = 0;
	vsnprintf(e->reason, sizeof e->reason, fmt, ap);
}

/* Records the file's error (the first only): key is its message key, fmt its English reason.
 * Returns true when this one was recorded, so that the caller adds its arguments. */
__attribute__((format(printf, 4, 5))) bool tcsv_fail(temp_csv *p, long line, const char *key, const char *fmt, ...)
{
	if (p->status != 0)
		return false;
	p->status = -1;
	va_list ap;
	va_start(ap, fmt);
	error_set(&p->error, line, key, fmt, ap);
	va_end(ap);
	return true;
}

/* Remembers the first bad field of the current row; reported at the row's end unless the
 * row has the wrong number of columns, which says more. Returns true when recorded. */
__attribute__((format(printf, 3, 4))) static bool row_fail(temp_csv *p, const char *key, const char *fmt, ...)
{
	if (p->row_failed)
		return false;
	p->row_failed = true;
	va_list ap;
	va_start(ap, fmt);
	error_set(&p->row_error, 0, key, fmt, ap);
	va_end(ap);
	return true;
}

/* ---- units and time zones ------------------------------------------------------------ */

/* 'C' or 'F' for a unit written as C, F, °C, ºF, degC, deg. F, celsius, fahrenheit, ℃, ℉,
 * 摂氏 or 華氏 (case-insensitive, spaces ignored around it); 0 otherwise. */
char tcsv_unit_from_token(const char *s, size_t n)
{
	tcsv_trim(&s, &n);
	if (n >= 2 && ((unsigned char)s[0] == 0xC2 && ((unsigned char)s[1] == 0xB0 || (unsigned char)s[1] == 0xBA))) {
		s += 2;  /* ° or º */
		n -= 2;
	} else if (tcsv_starts_ci(s, n, "degrees")) {
		s += 7;
		n -= 7;
	} else if (tcsv_starts_ci(s, n, "deg")) {
		s += 3;
		n -= 3;
		if (n > 0 && *s == '.') {
			s++;
			n--;
		}
	}
	tcsv_trim(&s, &n);
	if (tcsv_equals_ci(s, n, "c") || tcsv_equals_ci(s, n, "celsius") || tcsv_equals_ci(s, n, "\xE2\x84\x83") ||
	    tcsv_equals_ci(s, n, "\xE6\x91\x82\xE6\xB0\x8F"))
		return 'C';
	if (tcsv_equals_ci(s, n, "f") || tcsv_equals_ci(s, n, "fahrenheit") || tcsv_equals_ci(s, n, "\xE2\x84\x89") ||
	    tcsv_equals_ci(s, n, "\xE8\x8F\xAF\xE6\xB0\x8F"))
		return 'F';
	return 0;
}

/* Does the text look like an attempt at a unit (so that not recognising it is an error)? */
bool tcsv_looks_like_unit(const char *s, size_t n)
{
	tcsv_trim(&s, &n);
	if (n == 0)
		return false;
	if ((unsigned char)s[0] == 0xC2 || tcsv_starts_ci(s, n, "deg") || tcsv_equals_ci(s, n, "kelvin"))
		return true;
	if (n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* Reads [+-]H, [+-]HH, [+-]HHMM or [+-]HH:MM into seconds. Returns 0, or -1. */
static int parse_offset(const char *s, size_t n, int *out)
{
	if (n < 2 || (s[0] != '+' && s[0] != '-'))
		return -1;
	int sign = s[0] == '-' ? -1 : 1;
	size_t i = 1;
	int h = 0, m = 0, hd = 0;
	while (i < n && is_digit(s[i]) && hd < 2) {
		h = h * 10 + (s[i++] - '0');
		hd++;
	}
	if (hd == 0)
		return -1;
	if (i < n && s[i] == ':')
		i++;
	if (i < n) {
		if (n - i != 2 || !is_digit(s[i]) || !is_digit(s[i + 1]))
			return -1;
		m = (s[i] - '0') * 10 + (s[i + 1] - '0');
		i += 2;
	}
	if (i != n || h > 14 || m > 59)
		return -1;
	*out = sign * (h * 3600 + m * 60);
	return 0;
}

/* A declared time zone: UTC, GMT, Z, UT, JST, Asia/Tokyo, local, UTC±..., GMT±..., ±....
 * Returns 0 with *out in seconds east of UTC (local: default_offset), or -1. */
int tcsv_parse_zone(const char *s, size_t n, int default_offset, int *out)
{
	tcsv_trim(&s, &n);
	if (tcsv_equals_ci(s, n, "utc") || tcsv_equals_ci(s, n, "gmt") || tcsv_equals_ci(s, n, "z") || tcsv_equals_ci(s, n, "ut")) {
		*out = 0;
		return 0;
	}
	if (tcsv_equals_ci(s, n, "jst") || tcsv_equals_ci(s, n, "asia/tokyo") || tcsv_equals_ci(s, n, "\xE6\x97\xA5\xE6\x9C\xAC\xE6\xA8\x99\xE6\xBA\x96\xE6\x99\x82")) {
		*out = JST_OFFSET_SECONDS;
		return 0;
	}
	if (tcsv_equals_ci(s, n, "local")) {
		*out = default_offset;
		return 0;
	}
	if (tcsv_starts_ci(s, n, "utc") || tcsv_starts_ci(s, n, "gmt")) {
		s += 3;
		n -= 3;
		tcsv_trim(&s, &n);
	}
	return parse_offset(s, n, out);
}

/* Does the text look like a time zone (so that not recognising it is an error)? An offset,
 * or an IANA name such as Europe/Berlin. */
bool tcsv_looks_like_zone(const char *s, size_t n)
{
	static const char *const areas[] = {"Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/",
	                                    "Australia/", "Europe/", "Indian/", "Pacific/", "Etc/", NULL};
	tcsv_trim(&s, &n);
	if (tcsv_starts_ci(s, n, "utc") || tcsv_starts_ci(s, n, "gmt") || (n > 0 && (s[0] == '+' || s[0] == '-')))
		return true;
	for (int i = 0; areas[i]; i++)
		if (tcsv_starts_ci(s, n, areas[i]))
			return true;
	bool abbreviation = n >= 2 && n <= 5;  /* CET, EST, AEDT */
	for (size_t i = 0; i < n && abbreviation; i++)
		abbreviation = s[i] >= 'A' && s[i] <= 'Z';
	return abbreviation;
}

/* ---- numbers and timestamps ---------------------------------------------------------- */

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/* Parses an optional sign (+, -, U+2212), digits with '.' or ',' as the decimal mark, and an
 * optional unit suffix ("4.5°C", "40 F"). Returns 0 with *out and *unit ('C', 'F' or 0), or
 * -1. At most 18 digits, so the mantissa is exact and the result is rounded once. */
int tcsv_parse_number(const char *s, size_t n, double *out, char *unit)
{
	size_t i = 0;
	bool neg = false;
	*unit = 0;
	if (i < n && (s[i] == '-' || s[i] == '+')) {
		neg = s[i] == '-';
		i++;
	} else if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x88 && (unsigned char)s[2] == 0x92) {
		neg = true;
		i = 3;
	}
	uint64_t mant = 0;
	int digits = 0, frac = 0;
	while (i < n && is_digit(s[i])) {
		mant = mant * 10 + (uint64_t)(s[i++] - '0');
		digits++;
	}
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		i++;
		while (i < n && is_digit(s[i])) {
			mant = mant * 10 + (uint64_t)(s[i++] - '0');
			digits++;
			frac++;
		}
	}
	if (digits == 0 || digits > 18)
		return -1;
	if (i < n) {
		*unit = tcsv_unit_from_token(s + i, n - i);
		if (*unit == 0)
			return -1;
	}
	double v = (double)mant / POW10[frac];
	*out = neg ? -v : v;
	return 0;
}

/* Reads one or two digits. */
static int digits12(const char *s, const char *e, const char **end, int *v)
{
	if (s >= e || !is_digit(*s))
		return -1;
	*v = *s++ - '0';
	if (s < e && is_digit(*s))
		*v = *v * 10 + (*s++ - '0');
	*end = s;
	return 0;
}

static int digits2(const char *s, const char *e, int *v)
{
	if (e - s < 2 || !is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

/* Parses a timestamp of the forms in the file comment. local_offset (seconds east of UTC)
 * applies when it has no offset of its own. Returns 0 with *out in unix seconds, or -1. */
int tcsv_parse_time(temp_csv *p, const char *s, size_t n, int local_offset, int64_t *out)
{
	const char *e = s + n, *q;
	int y, mo, d, h, mi, sec = 0;
	if (n < 13 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]))
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	char sep = s[4];
	if (sep != '-' && sep != '/')
		return -1;
	if (digits12(s + 5, e, &q, &mo) || q >= e || *q != sep || digits12(q + 1, e, &q, &d) || q >= e ||
	    (*q != 'T' && *q != 't' && *q != ' '))
		return -1;
	if (digits12(q + 1, e, &q, &h) || q >= e || *q != ':' || digits2(q + 1, e, &mi))
		return -1;
	q += 3;
	if (q < e && *q == ':') {
		if (digits2(q + 1, e, &sec))
			return -1;
		q += 3;
		if (q < e && *q == '.') {
			q++;
			if (q >= e || !is_digit(*q))
				return -1;
			while (q < e && is_digit(*q))
				q++;
		}
	}
	int offset = local_offset;
	if (q < e && *q == ' ')
		q++;
	if (q < e) {
		if ((*q == 'Z' || *q == 'z') && q + 1 == e)
			offset = 0;
		else if (parse_offset(q, (size_t)(e - q), &offset) != 0)
			return -1;
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	int64_t days;
	if (p != NULL && y == p->cache_y && mo == p->cache_m && d == p->cache_d) {
		days = p->cache_days;
	} else {
		if (!date_is_valid(y, mo, d))
			return -1;
		days = days_from_civil(y, mo, d);
		if (p != NULL) {
			p->cache_y = y;
			p->cache_m = mo;
			p->cache_d = d;
			p->cache_days = days;
		}
	}
	*out = days * 86400 + h * 3600 + mi * 60 + sec - offset;
	return 0;
}

/* ---- the body: libcsv callbacks ------------------------------------------------------ */

#define TIME_FORMS "ISO 8601 with an offset, YYYY-MM-DD HH:MM[:SS] or YYYY/MM/DD HH:MM[:SS]"

/* True when s holds only ASCII and no newline: the common case, checked a word at a time. */
static bool plain_ascii(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u, nl = 0x0a0a0a0a0a0a0a0au;
	uint64_t bad = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		uint64_t x = w ^ nl;
		bad |= w | ((x - ones) & ~x);
	}
	for (; i < n; i++)
		bad |= (uint64_t)s[i] | (s[i] == '\n' ? 0x80u : 0u);
	return (bad & highs) == 0;
}

static void time_field(temp_csv *p, const char *s, size_t n)
{
	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		tcsv_trim(&s, &n);
	if (tcsv_parse_time(p, s, n, p->offset, &p->at) == 0) {
		p->have_at = true;
		return;
	}
	char shown[SHOW_MAX * 2];
	tcsv_show(shown, sizeof shown, s, n);
	if (row_fail(p, "csv_time", "unparsable timestamp '%s' (expected " TIME_FORMS ")", shown))
		temp_csv_error_arg(&p->row_error, "value", "%s", shown);
}

static void temp_field(temp_csv *p, const char *s, size_t n)
{
	char unit;
	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		tcsv_trim(&s, &n);
	if (tcsv_parse_number(s, n, &p->value, &unit) == 0) {
		p->have_value = true;
		if (unit != 0) {
			if (p->row_unit != 0 && p->row_unit != unit)
				if (row_fail(p, "csv_unit_mismatch", "unknown unit: the value says °%c but the unit column says °%c", unit,
				             p->row_unit)) {
					temp_csv_error_arg(&p->row_error, "a", "°%c", unit);
					temp_csv_error_arg(&p->row_error, "b", "°%c", p->row_unit);
				}
			p->row_unit = unit;
		}
		return;
	}
	char shown[SHOW_MAX * 2];
	tcsv_show(shown, sizeof shown, s, n);
	if (row_fail(p, "csv_temperature", "non-numeric temperature '%s'", shown))
		temp_csv_error_arg(&p->row_error, "value", "%s", shown);
}

static void unit_field(temp_csv *p, const char *s, size_t n)
{
	char unit = tcsv_unit_from_token(s, n);
	if (unit == 0) {
		char shown[SHOW_MAX * 2];
		tcsv_show(shown, sizeof shown, s, n);
		if (row_fail(p, "csv_unit_unknown", "unknown unit '%s' (expected C or F)", shown))
			temp_csv_error_arg(&p->row_error, "value", "%s", shown);
		return;
	}
	if (p->row_unit != 0 && p->row_unit != unit)
		if (row_fail(p, "csv_unit_mismatch", "unknown unit: the unit column says °%c but the value says °%c", unit,
		             p->row_unit)) {
			temp_csv_error_arg(&p->row_error, "a", "°%c", unit);
			temp_csv_error_arg(&p->row_error, "b", "°%c", p->row_unit);
		}
	p->row_unit = unit;
}

static void keep_text(char *buf, size_t *len, const char *s, size_t n)
{
	if (n >= TIME_TEXT_MAX)
		n = TIME_TEXT_MAX - 1;
	memcpy(buf, s, n);
	*len = n;
}

static void on_field(void *data, size_t n, void *ud)
{
	temp_csv *p = ud;
	if (p->status != 0)
		return;
	const char *s = data;
	int idx = p->field++;
	if (idx == 0) {
		p->rec_line = p->line;
		p->skip_row = p->skip_header || (n > 0 && s[0] == '#');
		p->have_at = p->have_value = p->row_failed = false;
		p->row_unit = 0;
		p->date_len = p->time_len = 0;
	}
	if (!plain_ascii((const unsigned char *)s, n)) {
		for (size_t i = 0; i < n; i++)
			p->nl_in_fields += s[i] == '\n';
		if (!tcsv_utf8_valid(s, n)) {
			tcsv_fail(p, p->rec_line, "csv_mixed_encoding",
			     "invalid UTF-8 in field %d (earlier lines are UTF-8: save the whole file in one encoding)", idx + 1);
			return;
		}
	}
	if (p->skip_row || idx >= p->ncols)
		return;
	if (idx == p->time_col) {
		if (p->date_col >= 0)
			keep_text(p->time_text, &p->time_len, s, n);
		else
			time_field(p, s, n);
	} else if (idx == p->temp_col) {
		temp_field(p, s, n);
	} else if (idx == p->unit_col) {
		unit_field(p, s, n);
	} else if (idx == p->date_col) {
		keep_text(p->date_text, &p->date_len, s, n);
	}
}

/* The times a message quotes, in Japan time as the clinic reads them: {time} and {previous}. */
static void jst_args(temp_csv *p, int64_t at, int64_t previous)
{
	char a[JST_DATETIME_LEN], b[JST_DATETIME_LEN];
	jst_datetime(at, a);
	jst_datetime(previous, b);
	temp_csv_error_arg(&p->error, "time", "%s", a);
	temp_csv_error_arg(&p->error, "previous", "%s", b);
}

static void finish_row(temp_csv *p)
{
	if (p->field != p->ncols) {
		if (tcsv_fail(p, p->rec_line, "csv_columns", "wrong column count: expected %d fields, found %d", p->ncols, p->field)) {
			temp_csv_error_arg(&p->error, "expected", "%d", p->ncols);
			temp_csv_error_arg(&p->error, "found", "%d", p->field);
		}
		return;
	}
	if (p->date_col >= 0 && !p->row_failed) {
		char joined[2 * TIME_TEXT_MAX];
		memcpy(joined, p->date_text, p->date_len);
		joined[p->date_len] = ' ';
		memcpy(joined + p->date_len + 1, p->time_text, p->time_len);
		time_field(p, joined, p->date_len + 1 + p->time_len);
	}
	if (p->row_failed) {
		if (p->status == 0) {
			p->status = -1;
			p->error = p->row_error;
			p->error.line = p->rec_line;
		}
		return;
	}
	if (p->row_unit != 0 && p->unit != 0 && p->row_unit != p->unit) {
		if (tcsv_fail(p, p->rec_line, "csv_unit_mismatch", "unknown unit: this row says °%c but the file says °%c", p->row_unit,
		         p->unit)) {
			temp_csv_error_arg(&p->error, "a", "°%c", p->row_unit);
			temp_csv_error_arg(&p->error, "b", "°%c", p->unit);
		}
		return;
	}
	char unit = p->row_unit ? p->row_unit : p->unit;
	if (unit == 0)
		unit = p->default_unit;
	if (unit == 0) {
		tcsv_fail(p, p->rec_line, "csv_unit_missing",
		     "unknown unit: the file does not say whether temperatures are °C or °F (name it in the header, "
		     "e.g. Temp(°C), or add a line '# unit: C')");
		return;
	}
	double celsius = unit == 'F' ? (p->value - 32.0) / 1.8 : p->value;
	temp_reading r = {p->at, celsius};
	char why[sizeof p->error.reason];
	const char *key;
	const char *field = coldchain_reading_implausible(&r, p->now, &key, why, sizeof why);
	if (field != NULL) {
		if (tcsv_fail(p, p->rec_line, key, "%s", why))
			p->error.field = field;
		return;
	}
	if (p->have_prev && p->at <= p->prev_at) {
		char a[ISO8601_LEN], b[ISO8601_LEN];
		time_iso8601(p->at, a);
		time_iso8601(p->prev_at, b);
		if (p->at < p->prev_at) {
			if (tcsv_fail(p, p->rec_line, "csv_order", "readings out of order: %s is before %s on line %ld", a, b, p->prev_line)) {
				jst_args(p, p->at, p->prev_at);
				temp_csv_error_arg(&p->error, "previous_line", "%ld", p->prev_line);
			}
			return;
		}
		if (celsius != p->prev_celsius) {
			if (tcsv_fail(p, p->rec_line, "csv_duplicate",
			         "duplicate timestamp %s with a different temperature (%.2f °C; line %ld has %.2f °C)", a, celsius,
			         p->prev_line, p->prev_celsius)) {
				jst_args(p, p->at, p->prev_at);
				temp_csv_error_arg(&p->error, "previous_line", "%ld", p->prev_line);
				temp_csv_error_arg(&p->error, "celsius", "%.2f / %.2f", celsius, p->prev_celsius);
			}
			return;
		}
		return;  /* an identical repeat: skipped */
	}
	p->have_prev = true;
	p->prev_at = p->at;
	p->prev_celsius = celsius;
	p->prev_line = p->rec_line;
	p->readings++;
	if (p->fn(p->ctx, &r, p->rec_line) != 0)
		p->status = 1;
}

static void on_row(int c, void *ud)
{
	temp_csv *p = ud;
	if (c == '\n' && p->field == 0 && p->last_cr) {
		p->last_cr = false;  /* the LF of a CR LF */
		return;
	}
	p->last_cr = c == '\r';
	if (p->field > 0) {
		if (p->status == 0 && !p->skip_row)
			finish_row(p);
		p->skip_header = false;
	}
	p->line += 1 + p->nl_in_fields;
	p->nl_in_fields = 0;
	p->field = 0;
}

/* libcsv grows its field buffer with this: a field longer than FIELD_MAX is refused, so a
 * file without line ends cannot take memory without bound. */
static void *capped_realloc(void *ptr, size_t size)
{
	if (size > FIELD_MAX)
		return NULL;
	return realloc(ptr, size);
}

static int body_parse(temp_csv *p, const char *data, size_t len)
{
	size_t done = csv_parse(&p->csv, data, len, on_field, on_row, p);
	if (done < len && p->status == 0)
		if (tcsv_fail(p, p->line, "csv_field_too_long", "a field longer than %d bytes (is this a temperature log?)", FIELD_MAX))
			temp_csv_error_arg(&p->error, "max", "%d", FIELD_MAX);
	return p->status < 0 ? -1 : 0;
}

/* Starts the body with the line in p->pre (a header when header is true). */
int tcsv_start_body(temp_csv *p, bool header, const char *line, size_t len)
{
	if (csv_init(&p->csv, CSV_REPALL_NL) != 0) {
		tcsv_fail(p, p->pre_lines + 1, "internal", "out of memory");
		return -1;
	}
	csv_set_delim(&p->csv, p->delim);
	csv_set_realloc_func(&p->csv, capped_realloc);
	p->in_body = true;
	p->skip_header = header;
	p->line = p->pre_lines + 1;
	return body_parse(p, line, len);
}

/* ---- the public functions --------------------------------------------------------------- */

temp_csv *temp_csv_new(int default_utc_offset_seconds, int64_t now, temp_csv_reading_fn fn, void *ctx)
{
	temp_csv *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->pre = malloc(PRE_LINE_MAX);
	p->text = charset_stream_new(feed_utf8, p);
	if (p->pre == NULL || p->text == NULL) {
		charset_stream_free(p->text);
		free(p->pre);
		free(p);
		return NULL;
	}
	p->fn = fn;
	p->ctx = ctx;
	p->default_offset = p->offset = default_utc_offset_seconds;
	p->now = now;
	p->time_col = p->date_col = p->temp_col = p->unit_col = -1;
	p->cache_m = -1;
	return p;
}

void temp_csv_set_default_unit(temp_csv *p, char unit)
{
	p->default_unit = unit == 'F' || unit == 'f' ? 'F' : unit == 'C' || unit == 'c' ? 'C' : 0;
}

void temp_csv_free(temp_csv *p)
{
	if (p == NULL)
		return;
	if (p->in_body)
		csv_free(&p->csv);
	charset_stream_free(p->text);
	free(p->pre);
	free(p);
}

static int report(const temp_csv *p, temp_csv_error *err)
{
	if (p->status >= 0)
		return 0;
	if (err != NULL)
		*err = p->error;
	return -1;
}

/* The charset stream's sink: the file as UTF-8. Returns non-zero once parsing is over. */
static int feed_utf8(void *ctx, const char *data, size_t len)
{
	temp_csv *p = ctx;
	if (p->status != 0)
		return 1;
	if (!p->in_body) {
		long used = tcsv_preamble_feed(p, data, len);
		if (used < 0)
			return 1;
		data += used;
		len -= (size_t)used;
	}
	if (p->in_body && len > 0 && p->status == 0)
		body_parse(p, data, len);
	return p->status != 0;
}

/* Turns a failure of the charset stream into the file's error. */
static void charset_failed(temp_csv *p)
{
	long line;
	switch (charset_stream_failure(p->text, &line)) {
	case CHARSET_FAIL_NONE:
		break;
	case CHARSET_FAIL_UTF16:
		tcsv_fail(p, line, "csv_utf16", "the file is UTF-16: save it as UTF-8 or Shift_JIS");
		break;
	case CHARSET_FAIL_UNKNOWN:
		tcsv_fail(p, line, "csv_encoding", "neither UTF-8 nor Shift_JIS (CP932): save the file as UTF-8");
		break;
	case CHARSET_FAIL_CP932:
		tcsv_fail(p, line, "csv_mixed_encoding",
		     "invalid Shift_JIS (CP932) (earlier lines are Shift_JIS: save the whole file in one encoding)");
		break;
	case CHARSET_FAIL_UNAVAILABLE:
		tcsv_fail(p, line, "internal", "no Shift_JIS (CP932) converter in this system's iconv");
		break;
	}
}

int temp_csv_feed(temp_csv *p, const char *data, size_t len, temp_csv_error *err)
{
	if (p->status != 0)
		return report(p, err);
	if (charset_stream_feed(p->text, data, len) < 0)
		charset_failed(p);
	return report(p, err);
}

int temp_csv_finish(temp_csv *p, temp_csv_error *err)
{
	if (p->status != 0)
		return report(p, err);
	if (charset_stream_finish(p->text) < 0)
		charset_failed(p);
	if (p->status != 0)
		return report(p, err);
	if (!p->in_body && p->pre_len > 0) {
		if (p->pre_len > 0 && p->pre[p->pre_len - 1] == '\r')
			p->pre_len--;
		if (tcsv_preamble_line(p) != 0)
			return report(p, err);
		p->pre_len = 0;
	}
	if (!p->in_body) {
		tcsv_fail(p, p->pre_lines > 0 ? p->pre_lines : 1, "csv_empty", "no readings: the file has no header or data line");
		return report(p, err);
	}
	csv_fini(&p->csv, on_field, on_row, p);
	if (p->status == 0 && p->readings == 0)
		tcsv_fail(p, p->line, "csv_no_data", "no readings: the file has a header but no data lines");
	return report(p, err);
}
