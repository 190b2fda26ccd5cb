/* exosafe signals: disproportionality statistics over a reports extract (core/safety_signal.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cli/cli.h"
#include "service/pharmacovigilance.h"
#include "core/parallel.h"
#include "core/numfmt.h"
#include "core/safety_signal.h"
#include "core/text.h"

static const char signals_usage[] =
	"usage: exosafe signals (--db PATH | --reports FILE.csv) [--by product|lot] [--min-count N]\n"
	"                       [--format csv|json] [--prior A1,B1,A2,B2,P]\n"
	"\n"
	"Screens product×event (or lot×event) pairs for disproportionate reporting and prints one\n"
	"row per pair reported at least N times, strongest first (EB05 descending, then EBGM):\n"
	"the 2×2 table a b c d, the expected count E, PRR with its 95% CI and Yates-corrected χ²,\n"
	"ROR with its 95% CI, IC (BCPNN) with its 95% credibility interval, and MGPS EBGM, EB05\n"
	"and EB95 under a two-gamma mixture prior fitted to the data by maximum likelihood, or\n"
	"DuMouchel's published prior when there are fewer than 50 pairs (the same rule as the\n"
	"API's GET /api/v1/signals). The prior, where it came from and its log-likelihood are\n"
	"printed on standard error (and in --format json). Formulas: docs/signals.md.\n"
	"  --reports FILE  a CSV with the header report_id,product,event (one row per pair named\n"
	"                  by a report), or report_id,product,lot,event; UTF-8. A bad row stops\n"
	"                  everything with its file, line and reason\n"
	"  --db PATH       the clinic database: every assessed adverse event, by its CTCAE terms\n"
	"  --by WHAT       product (default) or lot (needs the lot column)\n"
	"  --min-count N   only pairs with at least N reports (default 3; the fit uses every pair)\n"
	"  --format FMT    csv (default) or json\n"
	"  --prior LIST    use these MGPS hyperparameters α1,β1,α2,β2,P instead of fitting them\n";

enum { FIELDS_MAX = 4 };

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


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

typedef struct progress_state {
	bool on;
	int last_percent;
	const char *last_phase;
} progress_state;

static void draw_bar(progress_state *p, const char *phase, double fraction)
{
	int percent = (int)(fraction * 100.0);
	if (percent > 100)
		percent = 100;
	if (percent == p->last_percent && phase == p->last_phase)
		return;
	if (p->last_phase && phase != p->last_phase && p->last_percent < 100)
		fputc('\n', stderr);
	p->last_percent = percent;
	p->last_phase = phase;
	char bar[31];
	int filled = percent * 30 / 100;
	for (int i = 0; i < 30; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-10s [%s] %3d%%", phase, bar, percent);
	if (percent == 100)
		fputc('\n', stderr);
	fflush(stderr);
}

static void on_progress(void *ctx, const char *phase, double fraction)
{
	progress_state *p = ctx;
	if (p->on)
		draw_bar(p, phase, fraction);
}

/* Reads f with libcsv into k. Returns 0, 1 (a bad row: *line and k->reason), or 2 (read error). */
static int read_with_libcsv(FILE *f, long long total, sink *k, long *line, progress_state *prog)
{
	reader *r = calloc(1, sizeof *r);
	struct csv_parser p;
	if (r == NULL || csv_init(&p, CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
		free(r);
		sink_fail(k, "out of memory");
		*line = 0;
		return 1;
	}
	r->sink = k;
	r->line = 1;
	static char chunk[1 << 18];
	size_t n;
	long long done = 0;
	bool parse_error = false;
	while (!k->failed && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (csv_parse(&p, chunk, n, on_field, on_row_end, r) != n) {
			parse_error = true;
			break;
		}
		done += (long long)n;
		if (prog->on && total > 0)
			draw_bar(prog, "reading", (double)done / (double)total);
	}
	bool read_error = ferror(f) != 0;
	if (!k->failed && !parse_error && !read_error && csv_fini(&p, on_field, on_row_end, r) != 0)
		parse_error = true;
	int csv_status = csv_error(&p);
	csv_free(&p);
	if (parse_error && !k->failed) {
		sink_fail(k, "%s", csv_status == CSV_EPARSE ? "malformed quoting (a quote inside an unquoted field, or text after a closing quote)"
		                                          : csv_strerror(csv_status));
		r->fail_line = r->line;
	}
	*line = r->fail_line;
	free(r);
	return read_error ? 2 : k->failed ? 1 : 0;
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
	progress_state *prog;
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
 * lets the kernel drop its pages from this process: the file stays in the page cache, and
 * the peak memory of a run does not include the whole extract. */
static void read_part(part *pt)
{
	size_t n = (size_t)(pt->end - pt->begin);
	if (memchr(pt->begin, '"', n) != NULL)
		pt->status = PART_NOT_SIMPLE;
	else
		read_part_lines(pt);
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)pt->begin + page - 1) & ~(page - 1), to = (uintptr_t)pt->end & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

static void read_parts(void *ctx, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	fast_job *j = ctx;
	for (size_t i = begin; i < end; i++)
		read_part(&j->parts[i]);
}

static void reading_progress(void *ctx, double fraction)
{
	fast_job *j = ctx;
	if (j->prog->on)
		draw_bar(j->prog, "reading", fraction);
}

/* Reads a mapped file without quotes. Returns 0 with the rows in a new *counter_out, 1 (a bad
 * row: *line, k->reason), or 3 (not simple: read it with libcsv instead). */
static int read_fast(const char *data, size_t size, sink *k, long *line, progress_state *prog,
                     signal_counter **counter_out)
{
	const char *end = data + size, *p = data;
	long lines = 0;
	/* Blank lines before the header are skipped, as libcsv does; the header is line lines + 1. */
	for (;;) {
		const char *next;
		size_t n_bytes = line_at(p, end, &next);
		const char *q = p + n_bytes;
		if (memchr(p, '\r', n_bytes) != NULL || memchr(p, '"', n_bytes) != NULL)
			return 3;
		if (q > p) {
			const char *f[FIELDS_MAX] = {0};
			size_t len[FIELDS_MAX] = {0};
			bool too_long[FIELDS_MAX] = {0};
			int n = split_line(p, q, f, len, too_long);
			if (n < 0)
				return 3;
			sink_header(k, f, len, too_long, n);
			lines++;
			if (k->failed) {
				*line = lines;
				return 1;
			}
			p = next;
			break;
		}
		lines++;
		if (next == end)
			return 0;   /* blank lines only: no header, as libcsv sees it */
		p = next;
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
	int rc = 0;
	for (size_t i = 0; i < n_parts; i++) {
		parts[i].sink = (sink){.counter = signal_counter_new(), .by_lot = k->by_lot, .ncols = k->ncols};
		if (parts[i].sink.counter == NULL) {
			sink_fail(k, "out of memory");
			*line = lines;
			rc = 1;
		}
	}
	if (rc == 0) {
		fast_job job = {parts, prog, n_parts};
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

/* Reads the CSV into *counter (which may be replaced). Returns 0, or 1 after printing why. */
static int read_reports(const char *path, signal_counter **counter, bool by_lot, progress_state *prog)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "exosafe signals: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct stat st;
	long long total = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0;
	sink *k = calloc(1, sizeof *k);
	if (k == NULL) {
		fclose(f);
		fputs("exosafe signals: out of memory\n", stderr);
		return 1;
	}
	k->counter = *counter;
	k->by_lot = by_lot;
	long line = 0;
	int status = 3;
	/* A regular file takes the fast reader, which declines any file with a double quote
	 * (or anything else libcsv would read differently); a pipe, or a declined file, libcsv. */
	if (S_ISREG(st.st_mode) && total > 0 && (unsigned long long)total <= SIZE_MAX) {
		void *map = mmap(NULL, (size_t)total, PROT_READ, MAP_PRIVATE, fileno(f), 0);
		if (map != MAP_FAILED) {
			signal_counter *joined = NULL;
			status = read_fast(map, (size_t)total, k, &line, prog, &joined);
			if (joined != NULL) {
				signal_counter_free(*counter);
				*counter = k->counter = joined;
			}
			munmap(map, (size_t)total);
		}
	}
	if (status == 3) {
		k->ncols = 0;   /* the fast reader joins its parts only when all were simple: nothing to undo */
		status = read_with_libcsv(f, total, k, &line, prog);
	}
	fclose(f);
	int rc = 0;
	if (status == 2) {
		fprintf(stderr, "exosafe signals: %s: read error\n", path);
		rc = 1;
	} else if (status == 1) {
		fprintf(stderr, "%s:%ld: %s\nexosafe signals: nothing was computed\n", path, line, k->reason);
		rc = 1;
	} else if (k->ncols == 0) {
		fprintf(stderr, "exosafe signals: %s is empty: expected the header report_id,product,event and one row per pair\n", path);
		rc = 1;
	} else if (signal_counter_rows(*counter) == 0) {
		fprintf(stderr, "exosafe signals: %s has a header but no reports\n", path);
		rc = 1;
	}
	free(k);
	return rc;
}

/* Formats x for CSV (10 significant digits; empty when undefined) or JSON (round-trip
 * precision; null). */
static void put_num(FILE *out, double x, bool json)
{
	if (isfinite(x))
		fprintf(out, json ? "%.17g" : "%.10g", x);
	else if (json)
		fputs("null", out);
}

static void put_json_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static const char *const stat_names[] = {"expected", "prr", "prr_lo", "prr_hi", "chi2", "ror", "ror_lo", "ror_hi",
                                         "ic", "ic_lo", "ic_hi", "ebgm", "eb05", "eb95"};

static void stat_values(const signal_row *r, double v[14])
{
	const signal_stats *s = &r->stats;
	double x[14] = {s->expected, s->prr, s->prr_lo, s->prr_hi, s->chi2, s->ror, s->ror_lo, s->ror_hi,
	                s->ic, s->ic_lo, s->ic_hi, r->mgps.ebgm, r->mgps.eb05, r->mgps.eb95};
	memcpy(v, x, sizeof x);
}

/* The item's product and lot (lot NULL in product mode). */
static void split_item(const char *item, bool by_lot, size_t *product_len, const char **lot)
{
	const char *sep = by_lot ? strchr(item, '\x1f') : NULL;
	*product_len = sep ? (size_t)(sep - item) : strlen(item);
	*lot = sep ? sep + 1 : NULL;
}

/* ---- CSV output: formatted on every core in blocks of rows, written in order ---- */

enum { WRITE_BLOCK_ROWS = 4096, WRITE_BATCH_BLOCKS = 64 };

/* A name as it goes into the CSV (quoted when it holds a comma, quote or line end). */
typedef struct csv_name {
	char *text;
	size_t len;
} csv_name;

typedef struct text_buf {
	char *p;
	size_t len, cap;
} text_buf;

typedef struct csv_job {
	const signal_row *rows;
	const uint32_t *order;           /* rows[order[0]] first */
	size_t n_rows, first_block;      /* blocks first_block + [0, WRITE_BATCH_BLOCKS) */
	const csv_name *items, *lots, *events;
	text_buf *out;                   /* [WRITE_BATCH_BLOCKS] */
	bool failed;
} csv_job;

static int csv_name_make(csv_name *n, const char *s, size_t len)
{
	bool quote = memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\r', len) || memchr(s, '\n', len);
	size_t need = quote ? csv_write(NULL, 0, s, len) : len;
	n->text = malloc(need + 1);
	if (n->text == NULL)
		return -1;
	if (quote)
		csv_write(n->text, need, s, len);
	else
		memcpy(n->text, s, len);
	n->len = need;
	return 0;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static void format_blocks(void *ctx, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	csv_job *j = ctx;
	for (size_t b = begin; b < end; b++) {
		text_buf *o = &j->out[b];
		o->len = 0;
		size_t r0 = (j->first_block + b) * WRITE_BLOCK_ROWS, r1 = r0 + WRITE_BLOCK_ROWS;
		if (r1 > j->n_rows)
			r1 = j->n_rows;
		for (size_t i = r0; i < r1; i++) {
			if (i + 8 < r1) {   /* rows come in ranking order, scattered over memory */
				const char *ahead = (const char *)&j->rows[j->order[i + 8]];
				__builtin_prefetch(ahead);
				__builtin_prefetch(ahead + 64);
				__builtin_prefetch(ahead + 128);
			}
			const signal_row *r = &j->rows[j->order[i]];
			const csv_name *item = &j->items[r->item], *lot = j->lots ? &j->lots[r->item] : NULL, *event = &j->events[r->event];
			/* names, four counts of ≤ 10 digits, fourteen numbers of ≤ 17 characters, separators */
			size_t need = item->len + (lot ? lot->len + 1 : 0) + event->len + 4 * 11 + 14 * 18 + 4 + 32;
			if (o->len + need > o->cap) {
				size_t cap = o->cap ? o->cap * 2 : 1 << 16;
				while (cap < o->len + need)
					cap *= 2;
				char *np = realloc(o->p, cap);
				if (np == NULL) {
					j->failed = true;
					return;
				}
				o->p = np;
				o->cap = cap;
			}
			char *p = o->p + o->len;
			p = put(p, item->text, item->len);
			*p++ = ',';
			if (lot) {
				p = put(p, lot->text, lot->len);
				*p++ = ',';
			}
			p = put(p, event->text, event->len);
			/* numbers are written in place: need leaves room for the 32 bytes each may touch */
			const uint32_t counts[4] = {r->a, r->b, r->c, r->d};
			for (int k = 0; k < 4; k++) {
				*p++ = ',';
				p += numfmt_u32(p, counts[k]);
			}
			double v[14];
			stat_values(r, v);
			for (int k = 0; k < 14; k++) {
				*p++ = ',';
				if (isfinite(v[k]))
					p += numfmt_g10(p, v[k]);
			}
			*p++ = '\n';
			o->len = (size_t)(p - o->p);
		}
	}
}

/* Returns 0, or -1 when memory runs out (nothing more is written). */
static int print_csv(FILE *out, const signal_table *t, const signal_row *rows, const uint32_t *order, size_t n,
                     bool by_lot)
{
	int rc = -1;
	csv_name *items = calloc((size_t)t->n_items + 1, sizeof *items), *lots = NULL;
	csv_name *events = calloc((size_t)t->n_events + 1, sizeof *events);
	text_buf *bufs = calloc(WRITE_BATCH_BLOCKS, sizeof *bufs);
	if (by_lot)
		lots = calloc((size_t)t->n_items + 1, sizeof *lots);
	if (items == NULL || events == NULL || bufs == NULL || (by_lot && lots == NULL))
		goto done;
	for (uint32_t i = 0; i < t->n_items; i++) {
		const char *lot;
		size_t plen;
		split_item(t->item_names[i], by_lot, &plen, &lot);
		if (csv_name_make(&items[i], t->item_names[i], plen) < 0 ||
		    (by_lot && csv_name_make(&lots[i], lot ? lot : "", lot ? strlen(lot) : 0) < 0))
			goto done;
	}
	for (uint32_t e = 0; e < t->n_events; e++)
		if (csv_name_make(&events[e], t->event_names[e], strlen(t->event_names[e])) < 0)
			goto done;
	fputs(by_lot ? "product,lot,event,a,b,c,d" : "product,event,a,b,c,d", out);
	for (size_t i = 0; i < 14; i++)
		fprintf(out, ",%s", stat_names[i]);
	fputc('\n', out);
	size_t blocks = (n + WRITE_BLOCK_ROWS - 1) / WRITE_BLOCK_ROWS;
	csv_job job = {rows, order, n, 0, items, by_lot ? lots : NULL, events, bufs, false};
	for (size_t first = 0; first < blocks; first += WRITE_BATCH_BLOCKS) {
		size_t batch = blocks - first < WRITE_BATCH_BLOCKS ? blocks - first : WRITE_BATCH_BLOCKS;
		job.first_block = first;
		parallel_for(batch, 1, format_blocks, &job, NULL, NULL);
		if (job.failed)
			goto done;
		for (size_t b = 0; b < batch; b++)
			fwrite(bufs[b].p, 1, bufs[b].len, out);
	}
	rc = 0;
done:
	for (uint32_t i = 0; items && i < t->n_items; i++)
		free(items[i].text);
	for (uint32_t i = 0; lots && i < t->n_items; i++)
		free(lots[i].text);
	for (uint32_t e = 0; events && e < t->n_events; e++)
		free(events[e].text);
	for (size_t b = 0; bufs && b < WRITE_BATCH_BLOCKS; b++)
		free(bufs[b].p);
	free(items);
	free(lots);
	free(events);
	free(bufs);
	return rc;
}

static void print_json(FILE *out, const signal_table *t, const signal_row *rows, const uint32_t *order, size_t n,
                       bool by_lot,
                       unsigned min_count, const signal_fit *fit, signal_prior_source source)
{
	bool fitted = source == SIGNAL_SOURCE_FITTED;
	const signal_prior *p = &fit->prior;
	fprintf(out,
	        "{\n  \"by\": \"%s\",\n  \"reports\": %u,\n  \"%s\": %u,\n  \"events\": %u,\n  \"pairs\": %zu,\n"
	        "  \"min_count\": %u,\n",
	        by_lot ? "lot" : "product", t->reports, by_lot ? "lots" : "products", t->n_items, t->n_events, t->n_pairs,
	        min_count);
	fprintf(out,
	        "  \"mgps_prior\": {\"alpha1\": %.17g, \"beta1\": %.17g, \"alpha2\": %.17g, \"beta2\": %.17g, \"p\": %.17g,\n"
	        "    \"log_likelihood\": %.17g, \"source\": \"%s\", \"fitted\": %s",
	        p->alpha1, p->beta1, p->alpha2, p->beta2, p->p, fit->loglik, signal_prior_source_name(source),
	        fitted ? "true" : "false");
	if (fitted)
		fprintf(out, ", \"starts\": %d, \"iterations\": %d, \"points\": %zu, \"squashed\": %s, \"log_likelihood_fit\": %.17g",
		        fit->starts, fit->iterations, fit->points, fit->squashed ? "true" : "false", fit->loglik_fitted);
	fputs("},\n  \"signals\": [", out);
	for (size_t i = 0; i < n; i++) {
		const signal_row *r = &rows[order[i]];
		const char *item = t->item_names[r->item], *lot, *event = t->event_names[r->event];
		size_t plen;
		split_item(item, by_lot, &plen, &lot);
		fputs(i ? ",\n    {\"product\": " : "\n    {\"product\": ", out);
		put_json_string(out, item, plen);
		if (lot) {
			fputs(", \"lot\": ", out);
			put_json_string(out, lot, strlen(lot));
		}
		fputs(", \"event\": ", out);
		put_json_string(out, event, strlen(event));
		fprintf(out, ", \"a\": %u, \"b\": %u, \"c\": %u, \"d\": %u", r->a, r->b, r->c, r->d);
		double v[14];
		stat_values(r, v);
		for (int k = 0; k < 14; k++) {
			fprintf(out, ", \"%s\": ", stat_names[k]);
			put_num(out, v[k], true);
		}
		fputc('}', out);
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", out);
}

static int parse_prior(const char *s, signal_prior *p)
{
	char tail;
	if (sscanf(s, "%lf,%lf,%lf,%lf,%lf%c", &p->alpha1, &p->beta1, &p->alpha2, &p->beta2, &p->p, &tail) != 5)
		return -1;
	bool ok = p->alpha1 > 0 && p->beta1 > 0 && p->alpha2 > 0 && p->beta2 > 0 && p->p > 0 && p->p < 1 &&
	          isfinite(p->alpha1) && isfinite(p->beta1) && isfinite(p->alpha2) && isfinite(p->beta2);
	return ok ? 0 : -1;
}

int cli_signals(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},     {"reports", required_argument, NULL, 'r'},
		{"by", required_argument, NULL, 'b'},     {"min-count", required_argument, NULL, 'm'},
		{"format", required_argument, NULL, 'f'}, {"prior", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},         {0},
	};
	const char *db = NULL, *reports = NULL, *by = "product", *format = "csv", *prior_arg = NULL;
	unsigned long min_count = 3;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': reports = optarg; break;
		case 'b': by = optarg; break;
		case 'f': format = optarg; break;
		case 'p': prior_arg = optarg; break;
		case 'm': {
			char *end;
			errno = 0;
			min_count = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || min_count < 1 || min_count > 1000000000UL)
				return cli_usage_error("signals", "--min-count must be a whole number from 1");
			break;
		}
		case 'h': fputs(signals_usage, stdout); return 0;
		default: return cli_usage_error("signals", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("signals", "unexpected argument '%s'", argv[optind]);
	if ((db == NULL) == (reports == NULL))
		return cli_usage_error("signals", "give exactly one of --db PATH and --reports FILE.csv");
	if (strcmp(by, "product") != 0 && strcmp(by, "lot") != 0)
		return cli_usage_error("signals", "--by must be product or lot");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("signals", "--format must be csv or json");
	signal_prior given;
	if (prior_arg && parse_prior(prior_arg, &given) < 0)
		return cli_usage_error("signals", "--prior must be five numbers α1,β1,α2,β2,P (all > 0, P < 1)");
	bool by_lot = strcmp(by, "lot") == 0, json = strcmp(format, "json") == 0;
	progress_state prog = {.on = isatty(STDERR_FILENO) != 0, .last_percent = -1};

	/* The phases allocate and free hundreds of megabytes in turn. Kept by malloc rather than
	 * given back to the kernel, freed memory is reused by the next phase without a page
	 * fault per 4 KiB (the kernel's share of a registry-sized run was a third). */
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);

	/* Phase times, printed with the summary: where a registry-sized run spends its time. */
	double t_start = now_seconds(), t_read, t_count, t_fit, t_score;
	signal_counter *counter = signal_counter_new();
	if (counter == NULL) {
		fputs("exosafe signals: out of memory\n", stderr);
		return 1;
	}
	if (db != NULL) {
		/* The clinic's own cases: each assessed report's suspected products (or lots) × its terms. */
		store *st = cli_open_store(db, 1);
		if (st == NULL) {
			signal_counter_free(counter);
			return 1;
		}
		int rc = pv_signal_counts(st, by_lot, counter);
		if (rc != 0)
			fprintf(stderr, "exosafe signals: %s\n", st->errmsg);
		st->m->close(st);
		if (rc != 0) {
			signal_counter_free(counter);
			return 1;
		}
		if (signal_counter_rows(counter) == 0) {
			fprintf(stderr, "exosafe signals: %s has no assessed adverse events with a suspected lot yet\n", db);
			signal_counter_free(counter);
			return 1;
		}
	} else if (read_reports(reports, &counter, by_lot, &prog) != 0) {
		signal_counter_free(counter);
		return 1;
	}
	t_read = now_seconds();
	signal_table *t = signal_counter_finish(counter, on_progress, &prog);
	t_count = now_seconds();
	if (t == NULL) {
		fputs("exosafe signals: out of memory while counting\n", stderr);
		return 1;
	}
	signal_fit fit;
	signal_prior_source source = signal_choose_prior(t, prior_arg ? &given : NULL, &fit, on_progress, &prog);
	t_fit = now_seconds();
	signal_row *rows;
	size_t n_rows;
	uint32_t *order;
	if (signal_compute_ranked(t, &fit.prior, (uint32_t)min_count, &rows, &order, &n_rows, on_progress, &prog) < 0) {
		fputs("exosafe signals: out of memory while scoring\n", stderr);
		signal_table_free(t);
		return 1;
	}
	t_score = now_seconds();
	const signal_prior *p = &fit.prior;
	fprintf(stderr,
	        "exosafe signals: %u reports, %u %s, %u events, %zu pairs (%zu with a >= %lu)\n"
	        "MGPS prior %s: alpha1=%.10g beta1=%.10g alpha2=%.10g beta2=%.10g P=%.10g, log-likelihood %.12g",
	        t->reports, t->n_items, by_lot ? "lots" : "products", t->n_events, t->n_pairs, n_rows, min_count,
	        signal_prior_source_name(source), p->alpha1, p->beta1, p->alpha2, p->beta2, p->p, fit.loglik);
	if (source == SIGNAL_SOURCE_FITTED)
		fprintf(stderr, " (%d starts, %d BFGS iterations, %zu %s points)", fit.starts, fit.iterations, fit.points,
		        fit.squashed ? "squashed" : "exact");
	else if (source == SIGNAL_SOURCE_DEFAULT)
		fprintf(stderr, " (DuMouchel 1999: %zu pairs, too few to fit or the fit did not converge)", t->n_pairs);
	fputc('\n', stderr);
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	int rc = 0;
	if (json)
		print_json(stdout, t, rows, order, n_rows, by_lot, (unsigned)min_count, &fit, source);
	else if (print_csv(stdout, t, rows, order, n_rows, by_lot) < 0)
		rc = 1;
	if (rc)
		fputs("exosafe signals: out of memory while writing the output\n", stderr);
	else if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "exosafe signals: could not write the output: %s\n", strerror(errno));
		rc = 1;
	}
	else
		fprintf(stderr, "time: reading %.2f s, counting %.2f s, %s %.2f s, scoring %.2f s, writing %.2f s\n",
		        t_read - t_start, t_count - t_read, source == SIGNAL_SOURCE_FITTED ? "fitting" : "likelihood", t_fit - t_count,
		        t_score - t_fit, now_seconds() - t_score);
	free(rows);
	free(order);
	signal_table_free(t);
	return rc;
}
