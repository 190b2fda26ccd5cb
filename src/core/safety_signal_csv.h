/* The safety-signal reports extract (CSV in) and the ranked pairs (CSV or JSON out), for
 * `exosafe signals`. Pure: the caller reads the file (mapped, or in chunks) and writes the
 * output through a callback.
 *
 * The extract: a header report_id,product,event (or report_id,product,lot,event), an optional
 * UTF-8 byte-order mark, then one row per pair a report names; RFC 4180 quoting; every field
 * 1..SIGNAL_NAME_MAX bytes of UTF-8 text without control characters. With by_lot, the item of
 * a row is the product and the lot joined by U+001F (a lot number is unique only within its
 * product). A bad row stops the reading, with its line and reason. */
#ifndef EXOSAFE_SAFETY_SIGNAL_CSV_H
#define EXOSAFE_SAFETY_SIGNAL_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/safety_signal.h"

typedef enum signal_csv_status {
	SIGNAL_CSV_OK,
	SIGNAL_CSV_BAD_ROW,      /* bad input or out of memory: line and reason say which */
	SIGNAL_CSV_NOT_SIMPLE,   /* signal_csv_read_buffer only: read it with the stream reader */
} signal_csv_status;

/* What reading found: the header's columns (0 when the input held no header, as for an empty
 * file) and, on SIGNAL_CSV_BAD_ROW, the physical line the bad record starts on (0 when memory
 * ran out before any) and why. */
typedef struct signal_csv_result {
	int columns;
	long line;
	char reason[300];
} signal_csv_result;

/* Optional callbacks of the parallel reader: the fraction read (any thread, one call at a
 * time), and each part of the buffer once it is read, [begin, end), so that the caller can
 * let the kernel drop its pages. Either may be NULL. */
typedef struct signal_csv_hooks {
	void (*progress)(void *ctx, double fraction);
	void (*part_done)(void *ctx, const char *begin, const char *end);
	void *ctx;
} signal_csv_hooks;

/* Reads the whole extract data[0..size) on every core when it holds no double quote and
 * nothing else the stream reader would read differently (a lone CR, a blank at either end of
 * a field): SIGNAL_CSV_OK with every row in a new *counter_out (the caller frees it; NULL when
 * the input held no header), SIGNAL_CSV_BAD_ROW, or SIGNAL_CSV_NOT_SIMPLE (nothing added: read
 * the same bytes with the stream reader). hooks may be NULL. */
signal_csv_status signal_csv_read_buffer(const char *data, size_t size, bool by_lot, const signal_csv_hooks *hooks,
                                         signal_counter **counter_out, signal_csv_result *res);

/* The stream reader (libcsv): any extract, fed in chunks of any size, one thread. */
typedef struct signal_csv_stream signal_csv_stream;

/* A reader adding rows to counter (still the caller's). Returns NULL when memory runs out. */
signal_csv_stream *signal_csv_stream_new(signal_counter *counter, bool by_lot);

/* Reads the next n bytes. Returns SIGNAL_CSV_OK, or SIGNAL_CSV_BAD_ROW: then stop feeding and
 * call signal_csv_stream_finish for the line and reason. */
signal_csv_status signal_csv_stream_feed(signal_csv_stream *s, const char *data, size_t n);

/* Ends the input (complete is false when the caller stopped early, after a read error: the
 * last record is then not judged) and frees s. Returns the status, details in *res. */
signal_csv_status signal_csv_stream_finish(signal_csv_stream *s, bool complete, signal_csv_result *res);

/* Receives output; returns 0 (a failed write is the callback's to record). */
typedef int (*signal_write_fn)(void *ctx, const char *data, size_t len);

/* Writes rows[order[0..n)] of t as CSV: a header, then product[,lot],event,a,b,c,d and the
 * fourteen statistics (10 significant digits; empty when undefined), names quoted when they
 * hold a comma, quote or line end. Formatted on every core. Returns 0, or -1 when memory runs
 * out (what was written stays written). */
int signal_csv_write(const signal_table *t, const signal_row *rows, const uint32_t *order, size_t n, bool by_lot,
                     signal_write_fn write, void *ctx);

/* Writes the same rows as one JSON document with the counts, the prior (its source, and the
 * fit's details when fitted) and min_count; numbers at round-trip precision, null when
 * undefined. Returns 0, or -1 when memory runs out. */
int signal_json_write(const signal_table *t, const signal_row *rows, const uint32_t *order, size_t n, bool by_lot,
                      unsigned min_count, const signal_fit *fit, signal_prior_source source, signal_write_fn write,
                      void *ctx);

#endif
