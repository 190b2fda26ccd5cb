/* Temperature-logger CSV files in the shapes real loggers export, parsed as a stream with
 * libcsv: UTF-8 or Shift_JIS (CP932, see charset_stream.h); a header row or none; comma, semicolon or tab; ISO 8601 timestamps with an offset,
 * or "YYYY/MM/DD HH:MM(:SS)" / "YYYY-MM-DD HH:MM(:SS)" local time (Asia/Tokyo unless the file
 * says otherwise); °C or °F; a decimal comma. Pure: the caller feeds bytes. */
#ifndef EXOSAFE_TEMP_CSV_H
#define EXOSAFE_TEMP_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "core/coldchain.h"

typedef struct temp_csv temp_csv;

/* Called for each reading, in file order. Return non-zero to stop parsing. */
typedef int (*temp_csv_reading_fn)(void *ctx, const temp_reading *r, long line);

/* A value an error message quotes, by the name of its placeholder ("value" for {value}). */
typedef struct temp_csv_arg {
	const char *name;
	char text[112];
} temp_csv_arg;

enum { TEMP_CSV_ARGS_MAX = 4 };

/* A parse error: the line (1-based), a reason in English (for logs and the command line),
 * reason_key, the message key of the reason in the catalogue (src/http/messages.c: "csv_time",
 * "csv_encoding", "reading_celsius_range"…), and args, the values its message quotes. When a
 * reading was read but is not plausible (coldchain_reading_implausible), field names it
 * ("celsius" or "at"); otherwise it is NULL. */
typedef struct temp_csv_error {
	long line;
	char reason[320];
	const char *field;
	const char *reason_key;
	temp_csv_arg args[TEMP_CSV_ARGS_MAX];
	int nargs;
} temp_csv_error;

/* Sets the next argument of err (ignored beyond TEMP_CSV_ARGS_MAX). name must be a literal. */
__attribute__((format(printf, 3, 4))) void temp_csv_error_arg(temp_csv_error *err, const char *name, const char *fmt, ...);

/* Creates a parser. default_utc_offset_seconds applies to timestamps without an offset
 * (Asia/Tokyo: 9 * 3600); now (unix seconds) bounds the times readings may have (see
 * coldchain_reading_implausible). Returns NULL when memory runs out. */
temp_csv *temp_csv_new(int default_utc_offset_seconds, int64_t now, temp_csv_reading_fn fn, void *ctx);
void temp_csv_free(temp_csv *p);

/* The unit ('C' or 'F') for a file that does not say which it uses (e.g. from a command-line
 * option); by default there is none and such a file is refused: a °F file read as °C would
 * hide excursions. Any other value clears it. */
void temp_csv_set_default_unit(temp_csv *p, char unit);

/* Feeds the next bytes of the file. Returns 0, or -1 with *err filled at the first bad line
 * (neither UTF-8 nor CP932, unparsable time, implausible time or temperature, non-numeric temperature, unknown unit, wrong column count,
 * invalid UTF-8 after UTF-8 lines, readings out of order, a repeated timestamp with a different temperature);
 * the caller must then discard everything it received from this file. After fn asked to stop,
 * the rest of the input is ignored and 0 is returned. The rules are in temp_csv.c. */
int temp_csv_feed(temp_csv *p, const char *data, size_t len, temp_csv_error *err);
/* Ends the file (a last line without a newline is parsed here). Same return as feed. */
int temp_csv_finish(temp_csv *p, temp_csv_error *err);

#endif
