/* The safety-signal reports extract reader (core/safety_signal_csv_read.c): any bytes as
 * `exosafe signals` would map them. The first byte chooses by_lot (odd) and the chunking of the
 * stream reader; the rest is the file. It is read by the stream reader (libcsv) in chunks cut
 * from the input's hash and, unless it is not simple, by the fast buffer reader; both must
 * agree on the status, the columns, the line and reason of a bad row, and on the rows and
 * counts read.
 * The counts of a good file are then tabulated (signal_counter_finish). */
#include <string.h>

#include "core/safety_signal.h"
#include "core/safety_signal_csv.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* One worker: the machine is shared, and small inputs are one part anyway. */
	setenv("EXOSAFE_THREADS", "1", 0);
	return 0;
}

/* The table's sums, order-free, to compare the two readers' results. */
typedef struct table_sums {
	uint32_t reports, n_items, n_events;
	size_t n_pairs;
	uint64_t a_sum, margins;
} table_sums;

static table_sums sums_of(signal_counter *c)
{
	table_sums s;
	memset(&s, 0, sizeof s);
	signal_table *t = signal_counter_finish(c, NULL, NULL);
	if (t == NULL)
		return s;
	s.reports = t->reports;
	s.n_items = t->n_items;
	s.n_events = t->n_events;
	s.n_pairs = t->n_pairs;
	for (size_t i = 0; i < t->n_pairs; i++) {
		FUZZ_CHECK(t->pairs[i].item < t->n_items && t->pairs[i].event < t->n_events);
		FUZZ_CHECK(t->pairs[i].a >= 1 && t->pairs[i].a <= t->reports);
		s.a_sum += t->pairs[i].a;
	}
	for (uint32_t i = 0; i < t->n_items; i++)
		s.margins += t->item_reports[i];
	for (uint32_t i = 0; i < t->n_events; i++)
		s.margins += (uint64_t)t->event_reports[i] << 20;
	signal_table_free(t);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool by_lot = data[0] & 1;
	size_t len = size - 1;
	/* The file exactly as mapped: not NUL-terminated. */
	char *file = malloc(len ? len : 1);
	if (file == NULL)
		return 0;
	memcpy(file, data + 1, len);

	signal_counter *streamed = signal_counter_new();
	FUZZ_CHECK(streamed != NULL);
	signal_csv_stream *s = signal_csv_stream_new(streamed, by_lot);
	FUZZ_CHECK(s != NULL);
	uint32_t seed = fuzz_seed(data, size);
	size_t max_chunk = 1 + (data[0] >> 1) % 32;
	signal_csv_status st_stream = SIGNAL_CSV_OK;
	for (size_t at = 0; at < len && st_stream == SIGNAL_CSV_OK;) {
		size_t n = fuzz_next_chunk(&seed, max_chunk);
		if (n > len - at)
			n = len - at;
		st_stream = signal_csv_stream_feed(s, file + at, n);
		at += n;
	}
	signal_csv_result res_stream;
	st_stream = signal_csv_stream_finish(s, true, &res_stream);
	FUZZ_CHECK(st_stream == SIGNAL_CSV_OK || st_stream == SIGNAL_CSV_BAD_ROW);
	if (st_stream == SIGNAL_CSV_BAD_ROW)
		FUZZ_CHECK(res_stream.reason[0] != '\0');

	signal_counter *buffered = NULL;
	signal_csv_result res_buffer;
	signal_csv_status st_buffer = signal_csv_read_buffer(file, len, by_lot, NULL, &buffered, &res_buffer);
	if (st_buffer != SIGNAL_CSV_NOT_SIMPLE) {
		FUZZ_CHECK(st_buffer == st_stream);
		FUZZ_CHECK(res_buffer.columns == res_stream.columns);
		if (st_buffer == SIGNAL_CSV_BAD_ROW) {
			FUZZ_CHECK(res_buffer.line == res_stream.line);
			if (strcmp(res_buffer.reason, res_stream.reason) != 0)
				fprintf(stderr, "buffer: %s\nstream: %s\n", res_buffer.reason, res_stream.reason);
			FUZZ_CHECK(strcmp(res_buffer.reason, res_stream.reason) == 0);
		}
	} else {
		FUZZ_CHECK(buffered == NULL);
	}
	if (st_stream == SIGNAL_CSV_OK) {
		uint64_t rows = signal_counter_rows(streamed);
		if (buffered != NULL)
			FUZZ_CHECK(signal_counter_rows(buffered) == rows);
		else if (st_buffer == SIGNAL_CSV_OK)
			FUZZ_CHECK(rows == 0);
		table_sums a = sums_of(streamed);
		streamed = NULL;
		if (buffered != NULL) {
			table_sums b = sums_of(buffered);
			buffered = NULL;
			FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0);
		}
	}
	signal_counter_free(streamed);
	signal_counter_free(buffered);
	free(file);
	return 0;
}
