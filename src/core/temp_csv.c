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
#include "core/validate.h"

enum {
	PRE_LINE_MAX = 16384,   /* longest preamble (or header, or first data) line */
	PRE_LINES_MAX = 200,    /* lines of preamble before a header or data must appear */
	MAX_COLUMNS = 128,
	FIELD_MAX = 4096,       /* longest field libcsv may buffer */
	SHOW_MAX = 48,          /* bytes of a bad field quoted in a message */
	TIME_TEXT_MAX = 64,     /* a split date or time field kept until the row ends */
};


struct temp_csv {
	charset_stream *text;    /* the file's bytes, as UTF-8 */
	struct csv_parser csv;
	bool in_body;            /* csv is initialised and owns the input */
	temp_csv_reading_fn fn;
	void *ctx;
	int status;              /* 0, 1 stopped by the callback, -1 failed */
	temp_csv_error error;

	/* What the file declares. */
	int default_offset;      /* from temp_csv_new: what "local" and an undeclared file mean */
	int64_t now;             /* from temp_csv_new: bounds the readings' times */
	int offset;              /* seconds east of UTC for local timestamps */
	bool offset_declared;
	char unit;               /* 'C', 'F' or 0: the file-wide unit */
	char default_unit;

	/* Preamble. */
	char *pre;               /* the current preamble line */
	size_t pre_len;
	bool pre_quoted;         /* inside quotes: a newline does not end the line */
	long pre_lines;          /* preamble lines finished */

	/* Columns. */
	unsigned char delim;
	int ncols;
	int time_col, date_col, temp_col, unit_col;  /* -1: none */

	/* Body. */
	long line;               /* the physical line the next record starts on */
	long rec_line;           /* the line the current record started on */
	long nl_in_fields;       /* newlines inside quoted fields of the current record */
	int field;               /* fields seen in the current record */
	bool last_cr;            /* the last record ended with a CR */
	bool skip_header;        /* the next record is the header */
	bool skip_row;
	bool have_at, have_value;
	int64_t at;
	double value;
	char row_unit;
	bool row_failed;
	temp_csv_error row_error; /* the first bad field of the row */
	char date_text[TIME_TEXT_MAX], time_text[TIME_TEXT_MAX];
	size_t date_len, time_len;

	/* The previous reading, for order and duplicates. */
	bool have_prev;
	int64_t prev_at;
	double prev_celsius;
	long prev_line;
	long readings;           /* readings passed to fn */

	/* Cache of the last calendar date: most consecutive readings share it. */
	int cache_y, cache_m, cache_d;
	int64_t cache_days;
};

static int feed_utf8(void *ctx, const char *data, size_t len);

/* ---- small text helpers ------------------------------------------------------------ */

static int lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Does s[0..n) contain needle (ASCII case-insensitive; other bytes compared exactly)? */
static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && lower_ascii((unsigned char)s[i + j]) == lower_ascii((unsigned char)needle[j]))
			j++;
		if (j == m)
			return true;
	}
	return false;
}

static bool equals_ci(const char *s, size_t n, const char *word)
{
	size_t m = strlen(word);
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower_ascii((unsigned char)s[i]) != lower_ascii((unsigned char)word[i]))
			return false;
	return true;
}

static bool starts_ci(const char *s, size_t n, const char *word)
{
	size_t m = strlen(word);
	return n >= m && equals_ci(s, m, word);
}

static void trim(const char **s, size_t *n)
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

static bool utf8_valid(const char *s, size_t n)
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
static void show(char *out, size_t cap, const char *s, size_t n)
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
__attribute__((format(printf, 4, 5))) static bool fail(temp_csv *p, long line, const char *key, const char *fmt, ...)
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
static char unit_from_token(const char *s, size_t n)
{
	trim(&s, &n);
	if (n >= 2 && ((unsigned char)s[0] == 0xC2 && ((unsigned char)s[1] == 0xB0 || (unsigned char)s[1] == 0xBA))) {
		s += 2;  /* ° or º */
		n -= 2;
	} else if (starts_ci(s, n, "degrees")) {
		s += 7;
		n -= 7;
	} else if (starts_ci(s, n, "deg")) {
		s += 3;
		n -= 3;
		if (n > 0 && *s == '.') {
			s++;
			n--;
		}
	}
	trim(&s, &n);
	if (equals_ci(s, n, "c") || equals_ci(s, n, "celsius") || equals_ci(s, n, "\xE2\x84\x83") ||
	    equals_ci(s, n, "\xE6\x91\x82\xE6\xB0\x8F"))
		return 'C';
	if (equals_ci(s, n, "f") || equals_ci(s, n, "fahrenheit") || equals_ci(s, n, "\xE2\x84\x89") ||
	    equals_ci(s, n, "\xE8\x8F\xAF\xE6\xB0\x8F"))
		return 'F';
	return 0;
}

/* Does the text look like an attempt at a unit (so that not recognising it is an error)? */
static bool looks_like_unit(const char *s, size_t n)
{
	trim(&s, &n);
	if (n == 0)
		return false;
	if ((unsigned char)s[0] == 0xC2 || starts_ci(s, n, "deg") || equals_ci(s, n, "kelvin"))
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
static int parse_zone(const char *s, size_t n, int default_offset, int *out)
{
	trim(&s, &n);
	if (equals_ci(s, n, "utc") || equals_ci(s, n, "gmt") || equals_ci(s, n, "z") || equals_ci(s, n, "ut")) {
		*out = 0;
		return 0;
	}
	if (equals_ci(s, n, "jst") || equals_ci(s, n, "asia/tokyo") || equals_ci(s, n, "\xE6\x97\xA5\xE6\x9C\xAC\xE6\xA8\x99\xE6\xBA\x96\xE6\x99\x82")) {
		*out = JST_OFFSET_SECONDS;
		return 0;
	}
	if (equals_ci(s, n, "local")) {
		*out = default_offset;
		return 0;
	}
	if (starts_ci(s, n, "utc") || starts_ci(s, n, "gmt")) {
		s += 3;
		n -= 3;
		trim(&s, &n);
	}
	return parse_offset(s, n, out);
}

/* Does the text look like a time zone (so that not recognising it is an error)? An offset,
 * or an IANA name such as Europe/Berlin. */
static bool looks_like_zone(const char *s, size_t n)
{
	static const char *const areas[] = {"Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/",
	                                    "Australia/", "Europe/", "Indian/", "Pacific/", "Etc/", NULL};
	trim(&s, &n);
	if (starts_ci(s, n, "utc") || starts_ci(s, n, "gmt") || (n > 0 && (s[0] == '+' || s[0] == '-')))
		return true;
	for (int i = 0; areas[i]; i++)
		if (starts_ci(s, n, areas[i]))
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
static int parse_number(const char *s, size_t n, double *out, char *unit)
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
		*unit = unit_from_token(s + i, n - i);
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
static int parse_time(temp_csv *p, const char *s, size_t n, int local_offset, int64_t *out)
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
		trim(&s, &n);
	if (parse_time(p, s, n, p->offset, &p->at) == 0) {
		p->have_at = true;
		return;
	}
	char shown[SHOW_MAX * 2];
	show(shown, sizeof shown, s, n);
	if (row_fail(p, "csv_time", "unparsable timestamp '%s' (expected " TIME_FORMS ")", shown))
		temp_csv_error_arg(&p->row_error, "value", "%s", shown);
}

static void temp_field(temp_csv *p, const char *s, size_t n)
{
	char unit;
	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		trim(&s, &n);
	if (parse_number(s, n, &p->value, &unit) == 0) {
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
	show(shown, sizeof shown, s, n);
	if (row_fail(p, "csv_temperature", "non-numeric temperature '%s'", shown))
		temp_csv_error_arg(&p->row_error, "value", "%s", shown);
}

static void unit_field(temp_csv *p, const char *s, size_t n)
{
	char unit = unit_from_token(s, n);
	if (unit == 0) {
		char shown[SHOW_MAX * 2];
		show(shown, sizeof shown, s, n);
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
		if (!utf8_valid(s, n)) {
			fail(p, p->rec_line, "csv_mixed_encoding",
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
		if (fail(p, p->rec_line, "csv_columns", "wrong column count: expected %d fields, found %d", p->ncols, p->field)) {
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
		if (fail(p, p->rec_line, "csv_unit_mismatch", "unknown unit: this row says °%c but the file says °%c", p->row_unit,
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
		fail(p, p->rec_line, "csv_unit_missing",
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
		if (fail(p, p->rec_line, key, "%s", why))
			p->error.field = field;
		return;
	}
	if (p->have_prev && p->at <= p->prev_at) {
		char a[ISO8601_LEN], b[ISO8601_LEN];
		time_iso8601(p->at, a);
		time_iso8601(p->prev_at, b);
		if (p->at < p->prev_at) {
			if (fail(p, p->rec_line, "csv_order", "readings out of order: %s is before %s on line %ld", a, b, p->prev_line)) {
				jst_args(p, p->at, p->prev_at);
				temp_csv_error_arg(&p->error, "previous_line", "%ld", p->prev_line);
			}
			return;
		}
		if (celsius != p->prev_celsius) {
			if (fail(p, p->rec_line, "csv_duplicate",
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
		if (fail(p, p->line, "csv_field_too_long", "a field longer than %d bytes (is this a temperature log?)", FIELD_MAX))
			temp_csv_error_arg(&p->error, "max", "%d", FIELD_MAX);
	return p->status < 0 ? -1 : 0;
}

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
	show(shown, sizeof shown, s, n);
	if (parse_zone(s, n, p->default_offset, &off) != 0) {
		if (fail(p, p->pre_lines + 1, "csv_zone_unknown", "unknown time zone '%s' (give a UTC offset such as UTC+09:00, or UTC)",
		         shown))
			temp_csv_error_arg(&p->error, "value", "%s", shown);
		return;
	}
	if (p->offset_declared && off != p->offset) {
		if (fail(p, p->pre_lines + 1, "csv_zone_conflict", "the file gives two different time zones (the second is '%s')",
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
	show(shown, sizeof shown, s, n);
	char u = unit_from_token(s, n);
	if (u == 0) {
		if (fail(p, p->pre_lines + 1, "csv_unit_unknown", "unknown unit '%s' (expected C or F)", shown))
			temp_csv_error_arg(&p->error, "value", "%s", shown);
		return;
	}
	if (p->unit != 0 && p->unit != u) {
		if (fail(p, p->pre_lines + 1, "csv_unit_conflict",
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
			k[m++] = (char)lower_ascii((unsigned char)s[i]);
	for (int i = 0; words[i]; i++)
		if (equals_ci(k, m, words[i]))
			return true;
	return false;
}

static const char *const ZONE_KEYS[] = {"timezone", "tz", "utcoffset", "zone", "timezoneoffset",
                                        "\xE3\x82\xBF\xE3\x82\xA4\xE3\x83\xA0\xE3\x82\xBE\xE3\x83\xBC\xE3\x83\xB3", NULL};
static const char *const UNIT_KEYS[] = {"unit", "units", "tempunit", "temperatureunit", "\xE5\x8D\x98\xE4\xBD\x8D", NULL};

/* A metadata pair: applies it when it declares a time zone or a unit. */
static void metadata(temp_csv *p, const char *k, size_t kn, const char *v, size_t vn)
{
	trim(&k, &kn);
	while (kn > 0 && (k[kn - 1] == ':' || k[kn - 1] == '='))
		kn--;
	trim(&v, &vn);
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
	return contains_ci(f->s, f->n, "time") || contains_ci(f->s, f->n, "date") ||
	       contains_ci(f->s, f->n, "\xE6\x97\xA5\xE6\x99\x82") ||  /* 日時 */
	       contains_ci(f->s, f->n, "\xE6\x99\x82\xE5\x88\xBB") ||  /* 時刻 */
	       contains_ci(f->s, f->n, "\xE6\x97\xA5\xE4\xBB\x98") ||  /* 日付 */
	       contains_ci(f->s, f->n, "\xE6\x99\x82\xE9\x96\x93");    /* 時間 */
}

static bool is_temp_name(const span *f)
{
	return contains_ci(f->s, f->n, "temp") || contains_ci(f->s, f->n, "\xE6\xB8\xA9\xE5\xBA\xA6");  /* 温度 */
}

static bool has_unit_marker(const span *f)
{
	return contains_ci(f->s, f->n, "\xC2\xB0" "c") || contains_ci(f->s, f->n, "\xC2\xB0" "f") ||
	       contains_ci(f->s, f->n, "\xE2\x84\x83") || contains_ci(f->s, f->n, "\xE2\x84\x89") ||
	       contains_ci(f->s, f->n, "celsius") || contains_ci(f->s, f->n, "fahrenheit");
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
	trim(&s, &n);
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
		char u = unit_from_token(in.s, in.n);
		if (u != 0)
			return u;
		if (looks_like_unit(in.s, in.n)) {
			show(shown, sizeof shown, in.s, in.n);
			if (fail(p, p->pre_lines + 1, "csv_unit_unknown", "unknown unit '%s' in the temperature header (expected °C or °F)",
			         shown))
				temp_csv_error_arg(&p->error, "value", "%s", shown);
			return 0;
		}
	}
	if (contains_ci(f->s, f->n, "\xE2\x84\x83") || contains_ci(f->s, f->n, "\xC2\xB0" "c") ||
	    contains_ci(f->s, f->n, "celsius"))
		return 'C';
	if (contains_ci(f->s, f->n, "\xE2\x84\x89") || contains_ci(f->s, f->n, "\xC2\xB0" "f") ||
	    contains_ci(f->s, f->n, "fahrenheit"))
		return 'F';
	span w = last_word(f);
	if (w.n < f->n)
		return unit_from_token(w.s, w.n);
	return 0;
}

/* The zone a time header names ("Time (UTC)", "Timestamp UTC+9"), applied if any. */
static void header_zone(temp_csv *p, const span *f)
{
	span in;
	int off;
	if (bracketed(f, &in) && (parse_zone(in.s, in.n, p->default_offset, &off) == 0 || looks_like_zone(in.s, in.n))) {
		declare_zone(p, in.s, in.n);
		return;
	}
	span w = last_word(f);
	if (w.n < f->n && (starts_ci(w.s, w.n, "utc") || starts_ci(w.s, w.n, "gmt") || equals_ci(w.s, w.n, "jst")))
		declare_zone(p, w.s, w.n);
}

/* Tries the line as a header. Returns true when it is one (columns set, or failed). */
static bool try_header(temp_csv *p, const span *f, int n)
{
	int time_col = -1, date_col = -1, temp_col = -1, unit_col = -1;
	for (int i = 0; i < n; i++) {
		if (equals_ci(f[i].s, f[i].n, "date") || equals_ci(f[i].s, f[i].n, "\xE6\x97\xA5\xE4\xBB\x98"))
			for (int j = 0; j < n; j++)
				if (equals_ci(f[j].s, f[j].n, "time") || equals_ci(f[j].s, f[j].n, "\xE6\x99\x82\xE5\x88\xBB")) {
					date_col = i;
					time_col = j;
				}
	}
	for (int i = 0; i < n && time_col < 0; i++)
		if (is_time_name(&f[i]) && !is_temp_name(&f[i]))
			time_col = i;
	for (int i = 0; i < n; i++)
		if (key_is(f[i].s, f[i].n, UNIT_KEYS) || equals_ci(f[i].s, f[i].n, "unit"))
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
			if (fail(p, p->pre_lines + 1, "csv_unit_conflict", "the header says °%c but the file says °%c", u, p->unit))
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
	trim(&s, &n);
	int64_t t;
	double v;
	char u;
	if (n == 0)
		return KIND_EMPTY;
	if (parse_time(NULL, s, n, 0, &t) == 0)
		return KIND_TIME;
	if (parse_number(s, n, &v, &u) == 0)
		return KIND_NUMBER;
	if (unit_from_token(s, n) != 0)
		return KIND_UNIT;
	if (n > 1 && s[n - 1] == '%' && parse_number(s, n - 1, &v, &u) == 0)
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

/* Starts the body with the line in p->pre (a header when header is true). */
static int start_body(temp_csv *p, bool header, const char *line, size_t len)
{
	if (csv_init(&p->csv, CSV_REPALL_NL) != 0) {
		fail(p, p->pre_lines + 1, "internal", "out of memory");
		return -1;
	}
	csv_set_delim(&p->csv, p->delim);
	csv_set_realloc_func(&p->csv, capped_realloc);
	p->in_body = true;
	p->skip_header = header;
	p->line = p->pre_lines + 1;
	return body_parse(p, line, len);
}

/* One complete preamble line (without its '\n'). Returns 0, or -1 on failure. */
static int preamble_line(temp_csv *p)
{
	const char *s = p->pre;
	size_t n = p->pre_len;
	if (p->pre_lines == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;  /* a byte order mark */
		n -= 3;
	}
	if (!utf8_valid(s, n)) {
		/* The first line with a non-ASCII byte decided the encoding (charset_stream.c). */
		fail(p, p->pre_lines + 1, "csv_mixed_encoding",
		     "invalid UTF-8 (earlier lines are UTF-8: save the whole file in one encoding)");
		return -1;
	}
	const char *t = s;
	size_t tn = n;
	trim(&t, &tn);
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
		if (fail(p, p->pre_lines + 1, "csv_too_many_columns", "wrong column count: more than %d columns", MAX_COLUMNS))
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
		return start_body(p, header, s, (size_t)(p->pre + p->pre_len + 1 - s));
	}
	/* Metadata: "key: value", or key and value as the first two fields. */
	if (nf >= 2)
		metadata(p, fields[0].s, fields[0].n, fields[1].s, fields[1].n);
	else
		metadata_text(p, t, tn);
	if (p->status < 0)
		return -1;
	if (++p->pre_lines >= PRE_LINES_MAX) {
		if (fail(p, p->pre_lines, "csv_no_header",
		         "no header or readings in the first %d lines (expected a time and a temperature column)", PRE_LINES_MAX))
			temp_csv_error_arg(&p->error, "max", "%d", PRE_LINES_MAX);
		return -1;
	}
	return 0;
}

/* Feeds bytes to the preamble; returns how many were consumed (the rest belong to the body
 * once it has started), or -1 on failure. */
static long preamble_feed(temp_csv *p, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && !p->in_body) {
		char c = data[i++];
		if (c == '\n' && !p->pre_quoted) {
			if (p->pre_len > 0 && p->pre[p->pre_len - 1] == '\r')
				p->pre_len--;
			if (preamble_line(p) != 0)
				return -1;
			p->pre_len = 0;
			continue;
		}
		if (c == '"' && !(p->pre_len > 0 && p->pre[0] == '#'))
			p->pre_quoted = !p->pre_quoted;
		if (p->pre_len + 2 >= PRE_LINE_MAX) {
			if (fail(p, p->pre_lines + 1, "csv_line_too_long",
			         "line longer than %d bytes before any readings (line ends must be LF or CR LF)", PRE_LINE_MAX))
				temp_csv_error_arg(&p->error, "max", "%d", PRE_LINE_MAX);
			return -1;
		}
		p->pre[p->pre_len++] = c;
	}
	return (long)i;
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
		long used = preamble_feed(p, data, len);
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
		fail(p, line, "csv_utf16", "the file is UTF-16: save it as UTF-8 or Shift_JIS");
		break;
	case CHARSET_FAIL_UNKNOWN:
		fail(p, line, "csv_encoding", "neither UTF-8 nor Shift_JIS (CP932): save the file as UTF-8");
		break;
	case CHARSET_FAIL_CP932:
		fail(p, line, "csv_mixed_encoding",
		     "invalid Shift_JIS (CP932) (earlier lines are Shift_JIS: save the whole file in one encoding)");
		break;
	case CHARSET_FAIL_UNAVAILABLE:
		fail(p, line, "internal", "no Shift_JIS (CP932) converter in this system's iconv");
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
		if (preamble_line(p) != 0)
			return report(p, err);
		p->pre_len = 0;
	}
	if (!p->in_body) {
		fail(p, p->pre_lines > 0 ? p->pre_lines : 1, "csv_empty", "no readings: the file has no header or data line");
		return report(p, err);
	}
	csv_fini(&p->csv, on_field, on_row, p);
	if (p->status == 0 && p->readings == 0)
		fail(p, p->line, "csv_no_data", "no readings: the file has a header but no data lines");
	return report(p, err);
}
