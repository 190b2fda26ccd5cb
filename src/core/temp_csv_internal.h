/* What the temperature-CSV body parser (temp_csv.c) and its preamble detection
 * (temp_csv_preamble.c) share: the parser's state and the field helpers both use. Not for use
 * outside these two files. */
#ifndef EXOSAFE_TEMP_CSV_INTERNAL_H
#define EXOSAFE_TEMP_CSV_INTERNAL_H

#include <csv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/charset_stream.h"
#include "core/temp_csv.h"

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

/* ---- text helpers (ASCII case-insensitive; s is n bytes, not NUL-terminated) ---- */
int tcsv_lower_ascii(int c);
bool tcsv_contains_ci(const char *s, size_t n, const char *needle);
bool tcsv_equals_ci(const char *s, size_t n, const char *word);
bool tcsv_starts_ci(const char *s, size_t n, const char *word);
/* Narrows the span s, n to drop white space at both ends. */
void tcsv_trim(const char **s, size_t *n);
/* Whether the n bytes are valid UTF-8. */
bool tcsv_utf8_valid(const char *s, size_t n);
/* Writes the n bytes of s into out (cap bytes, NUL-terminated) for a message, shortened to
 * SHOW_MAX bytes without splitting a character. */
void tcsv_show(char *out, size_t cap, const char *s, size_t n);

/* ---- errors ---- */
/* Records the file's error (the first only): key is its message key, fmt its English reason.
 * Returns true when this one was recorded, so that the caller adds its arguments. */
__attribute__((format(printf, 4, 5))) bool tcsv_fail(temp_csv *p, long line, const char *key, const char *fmt, ...);

/* ---- units, zones, numbers, times ---- */
/* 'C' or 'F' for a unit token, 0 otherwise (temp_csv.c lists the spellings). */
char tcsv_unit_from_token(const char *s, size_t n);
bool tcsv_looks_like_unit(const char *s, size_t n);
/* Sets *out to the zone's seconds east of UTC ("local": default_offset); returns 0 or -1. */
int tcsv_parse_zone(const char *s, size_t n, int default_offset, int *out);
bool tcsv_looks_like_zone(const char *s, size_t n);
/* Parses a temperature (decimal point or comma, optional unit suffix into *unit); 0 or -1. */
int tcsv_parse_number(const char *s, size_t n, double *out, char *unit);
/* Parses a timestamp, local to local_offset unless it carries its own; 0 or -1. */
int tcsv_parse_time(temp_csv *p, const char *s, size_t n, int local_offset, int64_t *out);

/* ---- the two parts of the file ---- */
/* Starts the body with the header or first data line (len bytes at line; a header when
 * header is true): sets up libcsv with the delimiter found and parses the line. Returns 0,
 * or -1 when the file failed (p->error says why). */
int tcsv_start_body(temp_csv *p, bool header, const char *line, size_t len);
/* Consumes preamble bytes up to the first header or data line (which starts the body);
 * returns how many bytes it used, or -1 when the file failed. */
long tcsv_preamble_feed(temp_csv *p, const char *data, size_t len);
/* Decides what the buffered preamble line is (at the end of the file too); 0 or -1. */
int tcsv_preamble_line(temp_csv *p);

#endif
