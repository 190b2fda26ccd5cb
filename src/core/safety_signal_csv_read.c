/* Reading the safety-signal reports extract (safety_signal_csv.h): two readers that read
 * exactly the same, a streaming one over libcsv, and a parallel one for the usual file
 * without quotes. Every field is checked here (columns, length, UTF-8 text), and each row
 * goes to the counter (safety_signal.h). */
#include "core/safety_signal_csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/parallel.h"
#include "core/text.h"

enum { FIELDS_MAX = 4 };

static const char *const column_names[] = {"report_id", "product", "event"};
static const char *const column_names_lot[] = {"report_id", "product", "lot", "event"};

/* Where the rows of one part of the file go, and why that part stopped. */
typedef struct sink {
	signal_counter *counter;
	bool by_lot;
	int ncols;                        /* 3 or 4, from the header */
	char key[2 * SIGNAL_NAME_MAX + 2];
	char copy[SIGNAL_NAME_MAX + 1];   /* a NUL-terminated copy for the UTF-8 check */
	bool failed;
	char reason[300];
} sink;

static void sink_fail(sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sink_fail(sink *k, const char *fmt, ...)
{
	if (k->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->reason, sizeof k->reason, fmt, ap);
	va_end(ap);
	k->failed = true;
}

/* True when s[0..len) is printable ASCII, or else valid UTF-8 without control characters. */
static bool field_clean(sink *k, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) {
			memcpy(k->copy, s, len);
			k->copy[len] = '\0';
			return text_is_clean(k->copy, 0) && strlen(k->copy) == len;
		}
	return true;
}

/* Checks one record (fields f[0..nfields), too_long[i] when field i was cut) and adds it. */
static void sink_record(sink *k, const char *const *f, const size_t *len, const bool *too_long, int nfields)
{
	const char *const *names = k->ncols == 4 ? column_names_lot : column_names;
	if (nfields != k->ncols) {
		sink_fail(k, "expected %d fields (%s), found %d", k->ncols, k->ncols == 4 ? "report_id,product,lot,event" : "report_id,product,event",
		          nfields);
		return;
	}
	for (int i = 0; i < k->ncols; i++) {
		if (too_long[i] || len[i] > SIGNAL_NAME_MAX) {
			sink_fail(k, "%s is longer than %d bytes", names[i], SIGNAL_NAME_MAX);
			return;
		}
		if (len[i] == 0) {
			sink_fail(k, "empty %s", names[i]);
			return;
		}
		if (!field_clean(k, f[i], len[i])) {
			sink_fail(k, "%s is not valid UTF-8 text (control characters, or not saved as UTF-8)", names[i]);
			return;
		}
	}
	int ev = k->ncols - 1;
	const char *item = f[1];
	size_t item_len = len[1];
	if (k->by_lot) {
		/* product and lot: a lot number is unique only within its product. U+001F (unit
		 * separator) cannot occur in a clean field. */
		memcpy(k->key, f[1], len[1]);
		k->key[len[1]] = '\x1f';
		memcpy(k->key + len[1] + 1, f[2], len[2]);
		item = k->key;
		item_len = len[1] + 1 + len[2];
	}
	if (signal_counter_add(k->counter, f[0], len[0], item, item_len, f[ev], len[ev]) < 0)
		sink_fail(k, "%s", signal_counter_error(k->counter));
}

/* Checks the header's fields and sets k->ncols. */
static void sink_header(sink *k, const char *const *f, const size_t *len, const bool *too_long, int nfields)
{
	const char *first = f[0];
	size_t first_len = len[0];
	/* A UTF-8 byte-order mark, as spreadsheet programs write, is not part of the name. */
	if (first_len >= 3 && memcmp(first, "\xEF\xBB\xBF", 3) == 0) {
		first += 3;
		first_len -= 3;
	}
	const char *const *want = nfields == 4 ? column_names_lot : column_names;
	bool ok = nfields == 3 || nfields == 4;
	for (int i = 0; ok && i < nfields; i++) {
		const char *s = i == 0 ? first : f[i];
		size_t n = i == 0 ? first_len : len[i];
		ok = !too_long[i] && n == strlen(want[i]) && memcmp(s, want[i], n) == 0;
	}
	if (!ok) {
		sink_fail(k, "expected the header report_id,product,event (or report_id,product,lot,event)");
		return;
	}
	k->ncols = nfields;
	if (k->by_lot && nfields != 4)
		sink_fail(k, "--by lot needs a lot column: the header report_id,product,lot,event");
}

/* ---- the general reader: libcsv, streaming, one thread ---- */

typedef struct reader {
	sink *sink;
	long line;                  /* the physical line the current record starts on */
	bool after_cr;
	int nfields;
	size_t len[FIELDS_MAX];
	char field[FIELDS_MAX][SIGNAL_NAME_MAX + 1];
	bool too_long[FIELDS_MAX];
	long fail_line;
} reader;

static void on_field(void *s, size_t len, void *data)
{
	reader *r = data;
	if (r->sink->failed)
		return;
	if (r->nfields < FIELDS_MAX) {
		int f = r->nfields;
		r->too_long[f] = len > SIGNAL_NAME_MAX;
		r->len[f] = r->too_long[f] ? 0 : len;
		if (!r->too_long[f])
			memcpy(r->field[f], s, len);
	}
	r->nfields++;
}

static void on_row_end(int c, void *data)
{
	reader *r = data;
	if (c == '\n' && r->after_cr && r->nfields == 0) {
		r->after_cr = false;   /* the LF of a CR LF */
		return;
	}
	if (!r->sink->failed && r->nfields > 0) {
		const char *f[FIELDS_MAX];
		for (int i = 0; i < FIELDS_MAX; i++)
			f[i] = r->field[i];
		int n = r->nfields < FIELDS_MAX ? r->nfields : FIELDS_MAX;
		for (int i = n; i < FIELDS_MAX; i++)
			r->too_long[i] = false, r->len[i] = 0;
		if (r->sink->ncols == 0)
			sink_header(r->sink, f, r->len, r->too_long, r->nfields);
		else
			sink_record(r->sink, f, r->len, r->too_long, r->nfields);
		if (r->sink->failed)
			r->fail_line = r->line;
	}
	r->nfields = 0;
	r->line++;
	r->after_cr = c == '\r';
}

/* ---- the fast reader: a file without any double quote, on every core ----
 *
 * Without quotes a CSV record is a line and its fields are what lies between commas, so
 * the file, mapped into memory, can be cut at line ends into parts read in parallel, one
 * counter each, joined in order. It reads exactly what libcsv reads, or gives up and leaves
 * the file to libcsv: a lone CR (a line end to libcsv), or a space or tab at either end of a
 * field (libcsv trims them) are left to libcsv. An empty line is skipped but counted, as
 * there. */

enum { PART_BYTES = 8 << 20 };

typedef enum { PART_OK, PART_BAD_ROW, PART_NOT_SIMPLE } part_status;

typedef struct part {
	const char *begin, *end;
	const char *limit;   /* words may be loaded up to here: 16 bytes before the end of the file */
	sink sink;
	long lines;        /* lines read (all of them when PART_OK) */
	part_status status;
} part;

typedef struct fast_job {
	part *parts;
	const signal_csv_hooks *hooks;
	size_t n_parts;
} fast_job;

/* The line at p, up to the next LF or end: its length without a CR before the LF, and where
 * the line after it starts (end when none). */
static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*next = nl ? nl + 1 : end;
	size_t n = (size_t)((nl ? nl : end) - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits the line [p, q) (no CR or LF in it) at commas. Returns the number of fields, or -1
 * when a field starts or ends with a space or tab. */
static int split_line(const char *p, const char *q, const char **f, size_t *len, bool *too_long)
{
	int n = 0;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(q - p));
		const char *e = comma ? comma : q;
		if (e > p && (is_blank(*p) || is_blank(e[-1])))
			return -1;
		if (n < FIELDS_MAX) {
			f[n] = p;
			len[n] = (size_t)(e - p);
			too_long[n] = len[n] > SIGNAL_NAME_MAX;
		}
		n++;
		if (comma == NULL)
			return n;
		p = comma + 1;
	}
}

/* A line of printable ASCII without spaces (the usual extract) in one pass: the fields of
 * report_id,product,event when there are exactly three, each 1..SIGNAL_NAME_MAX bytes.
 * Returns false for anything else, which the general path then reads and judges. */
static bool plain_line(const char *p, const char *q, const char *f[3], size_t len[3])
{
	int n = 0;
	const char *start = p;
	for (const char *u = p; u < q; u++) {
		unsigned char c = (unsigned char)*u;
		if (c == ',') {
			if (n == 2)
				return false;
			f[n] = start;
			len[n++] = (size_t)(u - start);
			start = u + 1;
		} else if (c <= ' ' || c >= 0x7f) {
			return false;
		}
	}
	if (n != 2)
		return false;
	f[2] = start;
	len[2] = (size_t)(q - start);
	for (int i = 0; i < 3; i++)
		if (len[i] == 0 || len[i] > SIGNAL_NAME_MAX)
			return false;
	return true;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* One bit (0x80) in each byte of w that ends a plain field: a comma, or any byte <= ' ' or
 * >= 0x7f (line ends, blanks, controls, non-ASCII). Exact: no carry crosses a byte. */
static inline uint64_t field_end_bytes(uint64_t w)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), low7 = ones * 0x7f, high = ones * 0x80;
	uint64_t low = w & low7;
	uint64_t blank_or_control = ~(low + ones * 0x5f) & high;   /* (b & 0x7f) <= 0x20 */
	uint64_t del = (low + ones) & high;                         /* (b & 0x7f) == 0x7f */
	uint64_t x = w ^ (ones * ',');
	uint64_t comma = ~(((x & low7) + low7) | x) & high;
	return (w & high) | blank_or_control | del | comma;
}

/* The first byte at or after s that ends a plain field, or NULL when there is none before
 * limit; loads 8 bytes at a time, never past limit. */
static inline const char *field_end(const char *s, const char *limit)
{
	for (; s + 8 <= limit; s += 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		uint64_t m = field_end_bytes(w);
		if (m)
			return s + (__builtin_ctzll(m) >> 3);
	}
	return NULL;
}

/* As plain_line, for the line at p, finding its fields and end a word at a time: the common
 * line in a few loads instead of a loop per byte. Returns where the next line starts, or NULL
 * for a line plain_line and the general path judge (anything else, and the last bytes of
 * the file). Every field then has 16 readable bytes (limit is 16 before the file's end). */
static inline const char *plain_line_words(const char *p, const char *limit, signal_row_text *row)
{
	const char *f[3];
	size_t len[3];
	for (int i = 0;; i++) {
		const char *e = field_end(p, limit);
		if (e == NULL || e == p || (size_t)(e - p) > SIGNAL_NAME_MAX)
			return NULL;
		f[i] = p;
		len[i] = (size_t)(e - p);
		if (i < 2) {
			if (*e != ',')
				return NULL;
			p = e + 1;
			continue;
		}
		if (*e == '\n')
			p = e + 1;
		else if (*e == '\r' && e + 1 < limit && e[1] == '\n')
			p = e + 2;
		else
			return NULL;
		*row = (signal_row_text){f[0], f[1], f[2], (uint32_t)len[0], (uint32_t)len[1], (uint32_t)len[2]};
		return p;
	}
}

#if defined(__SSE2__)
/* As field_end_bytes for the 32 bytes at p, one bit per byte, with SSE2 (every x86-64 has it):
 * bytes below '!' compare below it as signed bytes, and so do those from 0x80. */
static inline uint32_t field_end_mask32(const char *p)
{
	const __m128i comma = _mm_set1_epi8(','), del = _mm_set1_epi8(0x7f), bang = _mm_set1_epi8(0x21);
	__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	__m128i end_lo = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(lo, comma), _mm_cmpeq_epi8(lo, del)), _mm_cmplt_epi8(lo, bang));
	__m128i end_hi = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(hi, comma), _mm_cmpeq_epi8(hi, del)), _mm_cmplt_epi8(hi, bang));
	return (uint32_t)_mm_movemask_epi8(end_lo) | (uint32_t)_mm_movemask_epi8(end_hi) << 16;
}
#endif

/* plain_line_words, for the usual line of at most 32 bytes first in one step: its first three
 * field ends must be a comma, a comma and the line end, with a field between each. */
static inline const char *plain_line_any(const char *p, const char *limit, signal_row_text *row)
{
#if defined(__SSE2__)
	if (p + 32 <= limit) {   /* and so 16 readable bytes after every field here */
		uint32_t m = field_end_mask32(p);
		unsigned e1 = (unsigned)__builtin_ctz(m | 0x80000000u);
		m &= m - 1;
		unsigned e2 = (unsigned)__builtin_ctz(m | 0x80000000u);
		m &= m - 1;
		unsigned e3 = (unsigned)__builtin_ctz(m | 0x80000000u);
		if (m != 0 && e1 > 0 && e2 > e1 + 1 && e3 > e2 + 1 && p[e1] == ',' && p[e2] == ',') {
			const char *next = p[e3] == '\n' ? p + e3 + 1 : p[e3] == '\r' && p[e3 + 1] == '\n' ? p + e3 + 2 : NULL;
			if (next != NULL) {
				*row = (signal_row_text){p, p + e1 + 1, p + e2 + 1, e1, e2 - e1 - 1, e3 - e2 - 1};
				return next;
			}
		}
	}
#endif
	return plain_line_words(p, limit, row);
}

/* Reads plain lines from p into the part's counter, a batch at a time, up to the first line
 * that is not plain or the part's end. Returns where it stopped, or NULL when the counter
 * failed (the part is then marked). */
static const char *read_plain_lines(part *pt, const char *p)
{
	enum { BATCH = 256 };
	signal_row_text rows[BATCH];
	for (;;) {
		size_t n = 0;
		const char *next;
		while (n < BATCH && p < pt->end && (next = plain_line_any(p, pt->limit, &rows[n])) != NULL) {
			n++;
			p = next;
		}
		if (n > 0 && signal_counter_add_padded(pt->sink.counter, rows, n) < 0) {
			sink_fail(&pt->sink, "%s", signal_counter_error(pt->sink.counter));
			pt->status = PART_BAD_ROW;
			return NULL;
		}
		pt->lines += (long)n;
		if (n < BATCH)
			return p;
	}
}
#endif

static void read_part_lines(part *pt)
{
	const char *p = pt->begin;
	sink *k = &pt->sink;
	bool plain_ok = k->ncols == 3 && !k->by_lot;
	while (p < pt->end) {
		const char *next;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (plain_ok) {
			p = read_plain_lines(pt, p);
			if (p == NULL)
				return;
			if (p >= pt->end)
				break;
		}
#endif
		size_t n_bytes = line_at(p, pt->end, &next);
		const char *q = p + n_bytes;
		const char *pf[3];
		size_t plen[3];
		if (plain_ok && plain_line(p, q, pf, plen)) {
			if (signal_counter_add_clean(k->counter, pf[0], plen[0], pf[1], plen[1], pf[2], plen[2]) < 0) {
				sink_fail(k, "%s", signal_counter_error(k->counter));
				pt->status = PART_BAD_ROW;
				return;
			}
		} else if (memchr(p, '\r', n_bytes) != NULL) {
			pt->status = PART_NOT_SIMPLE;
			return;
		} else if (q > p) {
			const char *f[FIELDS_MAX] = {0};
			size_t len[FIELDS_MAX] = {0};
			bool too_long[FIELDS_MAX] = {0};
			int n = split_line(p, q, f, len, too_long);
			if (n < 0) {
				pt->status = PART_NOT_SIMPLE;
				return;
			}
			sink_record(k, f, len, too_long, n);
			if (k->failed) {
				pt->status = PART_BAD_ROW;
				return;
			}
		}
		pt->lines++;
		p = next;
	}
	pt->status = PART_OK;
}

/* Reads one part, unless it holds a quote (the whole file then goes to libcsv), and then
 * tells the caller, who may let the kernel drop its pages (the peak memory of a run then does
 * not include the whole extract). */
static void read_part(part *pt, const signal_csv_hooks *hooks)
{
	size_t n = (size_t)(pt->end - pt->begin);
	if (memchr(pt->begin, '"', n) != NULL)
		pt->status = PART_NOT_SIMPLE;
	else
		read_part_lines(pt);
	if (hooks && hooks->part_done)
		hooks->part_done(hooks->ctx, pt->begin, pt->end);
}

static void read_parts(void *ctx, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	fast_job *j = ctx;
	for (size_t i = begin; i < end; i++)
		read_part(&j->parts[i], j->hooks);
}

static void reading_progress(void *ctx, double fraction)
{
	fast_job *j = ctx;
	if (j->hooks && j->hooks->progress)
		j->hooks->progress(j->hooks->ctx, fraction);
}

/* Reads the header from *p: skips blank lines before it, as libcsv does, and counts them and
 * the header in *lines. Returns 0 with *p after the header (NULL when there are blank lines
 * only: no header, as libcsv sees it), 1 (a bad header: k->reason), or 3 (not simple). */
static int read_header(const char **p, const char *end, sink *k, long *lines)
{
	for (;;) {
		const char *next;
		size_t n_bytes = line_at(*p, end, &next);
		const char *q = *p + n_bytes;
		if (memchr(*p, '\r', n_bytes) != NULL || memchr(*p, '"', n_bytes) != NULL)
			return 3;
		(*lines)++;
		if (q > *p) {
			const char *f[FIELDS_MAX] = {0};
			size_t len[FIELDS_MAX] = {0};
			bool too_long[FIELDS_MAX] = {0};
			int n = split_line(*p, q, f, len, too_long);
			if (n < 0)
				return 3;
			sink_header(k, f, len, too_long, n);
			*p = next;
			return k->failed ? 1 : 0;
		}
		if (next == end) {
			*p = NULL;
			return 0;
		}
		*p = next;
	}
}

/* Reads a mapped file without quotes. Returns 0 with the rows in a new *counter_out, 1 (a bad
 * row: *line, k->reason), or 3 (not simple: read it with libcsv instead). */
static int read_fast(const char *data, size_t size, sink *k, long *line, const signal_csv_hooks *hooks,
                     signal_counter **counter_out)
{
	const char *end = data + size, *p = data;
	long lines = 0;
	int rc = read_header(&p, end, k, &lines);
	if (rc != 0 || p == NULL) {
		*line = lines;
		return rc;
	}
	/* Parts of about PART_BYTES, each ending after a line feed. */
	size_t cap = (size_t)(end - p) / PART_BYTES + 2, n_parts = 0;
	part *parts = calloc(cap, sizeof *parts);
	if (parts == NULL) {
		sink_fail(k, "out of memory");
		*line = lines;
		return 1;
	}
	while (p < end) {
		const char *stop = (size_t)(end - p) > PART_BYTES ? p + PART_BYTES : end;
		if (stop < end) {
			const char *nl = memchr(stop, '\n', (size_t)(end - stop));
			stop = nl ? nl + 1 : end;
		}
		parts[n_parts++] = (part){.begin = p, .end = stop, .limit = size >= 16 ? data + size - 16 : data};
		p = stop;
	}
	rc = 0;
	for (size_t i = 0; i < n_parts; i++) {
		parts[i].sink = (sink){.counter = signal_counter_new(), .by_lot = k->by_lot, .ncols = k->ncols};
		if (parts[i].sink.counter == NULL) {
			sink_fail(k, "out of memory");
			*line = lines;
			rc = 1;
		}
	}
	if (rc == 0) {
		fast_job job = {parts, hooks, n_parts};
		parallel_for(n_parts, 1, read_parts, &job, reading_progress, &job);
		for (size_t i = 0; i < n_parts && rc == 0; i++) {
			if (parts[i].status == PART_NOT_SIMPLE) {
				rc = 3;
			} else if (parts[i].status == PART_BAD_ROW) {
				sink_fail(k, "%s", parts[i].sink.reason);
				*line = lines + parts[i].lines + 1;
				rc = 1;
			} else {
				lines += parts[i].lines;
			}
		}
		/* Joined in file order only when every part read cleanly. */
		if (rc == 0) {
			signal_counter **counters = malloc((n_parts + 1) * sizeof *counters);
			signal_counter *all = NULL;
			if (counters != NULL) {
				for (size_t i = 0; i < n_parts; i++) {
					counters[i] = parts[i].sink.counter;
					parts[i].sink.counter = NULL;
				}
				all = signal_counter_join(counters, n_parts);
				free(counters);
			}
			if (all == NULL) {
				sink_fail(k, "out of memory");
				*line = lines;
				rc = 1;
			} else {
				*counter_out = all;
			}
		}
	}
	for (size_t i = 0; i < n_parts; i++)
		signal_counter_free(parts[i].sink.counter);
	free(parts);
	return rc;
}

/* ---- the interface ---- */

static void result_from(const sink *k, long line, signal_csv_result *res)
{
	res->columns = k->ncols;
	res->line = line;
	snprintf(res->reason, sizeof res->reason, "%s", k->reason);
}

signal_csv_status signal_csv_read_buffer(const char *data, size_t size, bool by_lot, const signal_csv_hooks *hooks,
                                         signal_counter **counter_out, signal_csv_result *res)
{
	*counter_out = NULL;
	memset(res, 0, sizeof *res);
	sink *k = calloc(1, sizeof *k);
	if (k == NULL) {
		snprintf(res->reason, sizeof res->reason, "out of memory");
		return SIGNAL_CSV_BAD_ROW;
	}
	k->by_lot = by_lot;
	long line = 0;
	int rc = read_fast(data, size, k, &line, hooks, counter_out);
	if (rc == 3) {
		free(k);
		return SIGNAL_CSV_NOT_SIMPLE;   /* the parts are joined only when all were simple: nothing to undo */
	}
	result_from(k, line, res);
	free(k);
	return rc == 0 ? SIGNAL_CSV_OK : SIGNAL_CSV_BAD_ROW;
}

struct signal_csv_stream {
	struct csv_parser parser;
	sink sink;
	reader reader;
	bool parse_error;
};

signal_csv_stream *signal_csv_stream_new(signal_counter *counter, bool by_lot)
{
	signal_csv_stream *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (csv_init(&s->parser, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
		free(s);
		return NULL;
	}
	s->sink.counter = counter;
	s->sink.by_lot = by_lot;
	s->reader.sink = &s->sink;
	s->reader.line = 1;
	return s;
}

signal_csv_status signal_csv_stream_feed(signal_csv_stream *s, const char *data, size_t n)
{
	if (!s->sink.failed && !s->parse_error && csv_parse(&s->parser, data, n, on_field, on_row_end, &s->reader) != n)
		s->parse_error = true;
	return s->sink.failed || s->parse_error ? SIGNAL_CSV_BAD_ROW : SIGNAL_CSV_OK;
}

signal_csv_status signal_csv_stream_finish(signal_csv_stream *s, bool complete, signal_csv_result *res)
{
	sink *k = &s->sink;
	if (complete && !k->failed && !s->parse_error && csv_fini(&s->parser, on_field, on_row_end, &s->reader) != 0)
		s->parse_error = true;
	int csv_status = csv_error(&s->parser);
	csv_free(&s->parser);
	if (s->parse_error && !k->failed) {
		sink_fail(k, "%s", csv_status == CSV_EPARSE ? "malformed quoting (a quote inside an unquoted field, or text after a closing quote)"
		                                          : csv_strerror(csv_status));
		s->reader.fail_line = s->reader.line;
	}
	memset(res, 0, sizeof *res);
	result_from(k, s->reader.fail_line, res);
	signal_csv_status status = k->failed ? SIGNAL_CSV_BAD_ROW : SIGNAL_CSV_OK;
	free(s);
	return status;
}
