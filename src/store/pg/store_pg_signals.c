/* The PostgreSQL store's ae_signal_pairs (store_pg_signals.h).
 *
 * The query is the SQLite store's (store_sqlite_ae.c, sqlite_ae_signal_pairs): each latest
 * assessment's suspect lots joined to their products, with its terms_json, by report. Its rows
 * come with one COPY ... TO STDOUT (sqldb_copy_out), decoded in place (sqldb_copy_fields).
 * Each report's pairs are gathered in a batch, without repeats, and given to the caller when
 * the next report begins, as the SQLite store does. The batch's memory is kept from report to
 * report: a registry of millions of rows allocates only while the largest report grows it.
 *
 * terms_json is [{"code": "...", "grade": N}, ...]. The SQLite store reads it with jansson and
 * takes each element's "code" when it is a string, or an integer written with %lld. Most rows
 * are short plain-ASCII JSON of exactly that shape, which terms_scan reads without jansson; any
 * row outside that shape (escapes, non-ASCII text, nesting, reals, a repeated key, more than
 * TERMS_MAX terms, a syntax error) goes to jansson with the SQLite store's own code, so both
 * stores give the same pairs for any text. */
#include "store/pg/store_pg_signals.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ordered by report, then suspect lot: a report's pairs come in one batch, and in the same order
 * on every run (the bench's CSV extract is written in this order). The latest assessment is
 * the one no other version of its report exceeds: the same rows as SQLite's LATEST_ASSESSMENTS
 * (version = the report's max(version); version is NOT NULL), written as NOT EXISTS because
 * PostgreSQL plans that as a hash anti join, while the correlated max() is estimated to keep
 * 0.5% of the rows and planned as nested loops with a subquery per row: 3x slower on 400,000
 * assessments (bench/signals/bench_signals_pg). */
#define PAIRS_SELECT                                                                                         \
	"SELECT la.report_id, p.code, l.lot_number, la.terms_json"                                              \
	" FROM ae_assessments la JOIN ae_suspect_lots sl ON sl.assessment_id = la.id"                           \
	" JOIN lots l ON l.id = sl.lot_id JOIN products p ON p.id = l.product_id"                               \
	" WHERE NOT EXISTS (SELECT 1 FROM ae_assessments n WHERE n.report_id = la.report_id"                    \
	"                   AND n.version > la.version)"                                                        \
	" ORDER BY la.report_id, sl.lot_id"

enum { TERMS_MAX = 64, ITEM_MAX = 255 };

/* One pair of the current report: offsets of NUL-terminated strings in the batch's text. */
typedef struct pair_ref {
	uint32_t item, item_len, event, event_len;
} pair_ref;

typedef struct pair_batch {
	bool by_lot;
	store_ae_pair_fn fn;
	void *ctx;
	bool stopped;      /* fn returned non-zero: no more calls */
	bool failed;       /* out of memory, or a row not as the query makes it */
	const char *why;
	int64_t report_id;
	char *text;        /* the current report's items and events */
	size_t len, cap;
	pair_ref *pairs;
	size_t count, pair_cap;
} pair_batch;

/* Appends s[0..n) and a NUL to b->text; its offset, or -1 when out of memory. */
static int64_t text_add(pair_batch *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap || b->len + n + 1 > UINT32_MAX) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = cap <= UINT32_MAX ? realloc(b->text, cap) : NULL;
		if (grown == NULL)
			return -1;
		b->text = grown;
		b->cap = cap;
	}
	size_t at = b->len;
	memcpy(b->text + at, s, n);
	b->text[at + n] = '\0';
	b->len += n + 1;
	return (int64_t)at;
}

/* Adds (item at item_at, event) unless the report has it already; false when out of memory. */
static bool pair_add(pair_batch *b, uint32_t item_at, uint32_t item_len, const char *event, size_t event_len)
{
	const char *item = b->text + item_at;
	for (size_t i = 0; i < b->count; i++) {
		const pair_ref *p = &b->pairs[i];
		if (p->item_len == item_len && p->event_len == event_len && memcmp(b->text + p->event, event, event_len) == 0 &&
		    memcmp(b->text + p->item, item, item_len) == 0)
			return true;
	}
	if (b->count == b->pair_cap) {
		size_t cap = b->pair_cap ? 2 * b->pair_cap : 64;
		pair_ref *grown = realloc(b->pairs, cap * sizeof *grown);
		if (grown == NULL)
			return false;
		b->pairs = grown;
		b->pair_cap = cap;
	}
	int64_t at = text_add(b, event, event_len);
	if (at < 0)
		return false;
	b->pairs[b->count++] = (pair_ref){item_at, item_len, (uint32_t)at, (uint32_t)event_len};
	return true;
}

/* Gives the report's pairs to fn (until it stops) and empties the batch. */
static void batch_flush(pair_batch *b)
{
	for (size_t i = 0; i < b->count && !b->stopped; i++)
		if (b->fn(b->ctx, b->report_id, b->text + b->pairs[i].item, b->text + b->pairs[i].event) != 0)
			b->stopped = true;
	b->count = 0;
	b->len = 0;
}

/* ---- terms_json ---- */

typedef struct term_code {
	const char *text;   /* into the row, or num */
	size_t len;
	char num[24];
} term_code;

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A string of printable ASCII without escapes at p ('"'): its text in *s, *n; the byte after
 * it, or NULL when the string is anything else (jansson then decides). */
static const char *plain_string(const char *p, const char *end, const char **s, size_t *n)
{
	if (p == end || *p != '"')
		return NULL;
	const char *q = ++p;
	while (q < end && *q != '"') {
		if (*q == '\\' || (unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
			return NULL;
		q++;
	}
	if (q == end)
		return NULL;
	*s = p;
	*n = (size_t)(q - p);
	return q + 1;
}

/* The codes of terms_json when it is an array of objects whose values are plain strings, small
 * integers, true, false or null: the count (0..TERMS_MAX), or -1 for anything else. */
static int terms_scan(const char *p, size_t len, term_code *codes)
{
	const char *end = p + len;
	int n = 0;
	p = skip_ws(p, end);
	if (p == end || *p++ != '[')
		return -1;
	p = skip_ws(p, end);
	bool first = true;
	while (p < end && *p != ']') {
		if (!first) {
			if (*p++ != ',')
				return -1;
			p = skip_ws(p, end);
		}
		first = false;
		if (p == end || *p++ != '{')
			return -1;
		bool has_code = false, first_member = true;
		term_code code = {0};
		p = skip_ws(p, end);
		while (p < end && *p != '}') {
			if (!first_member) {
				if (*p++ != ',')
					return -1;
				p = skip_ws(p, end);
			}
			first_member = false;
			const char *key;
			size_t key_len;
			if ((p = plain_string(p, end, &key, &key_len)) == NULL)
				return -1;
			p = skip_ws(p, end);
			if (p == end || *p++ != ':')
				return -1;
			p = skip_ws(p, end);
			bool is_code = key_len == 4 && memcmp(key, "code", 4) == 0;
			if (is_code && has_code)
				return -1;                  /* a repeated key: jansson keeps the last one */
			has_code |= is_code;
			if (p < end && *p == '"') {
				const char *s;
				size_t sn;
				if ((p = plain_string(p, end, &s, &sn)) == NULL)
					return -1;
				if (is_code)
					code = (term_code){.text = s, .len = sn};
			} else if (p < end && (*p == '-' || (*p >= '0' && *p <= '9'))) {
				const char *start = p;
				bool negative = *p == '-';
				if (negative)
					p++;
				const char *digits = p;
				while (p < end && *p >= '0' && *p <= '9')
					p++;
				size_t nd = (size_t)(p - digits);
				/* JSON integers only (no leading zero, no fraction or exponent), and few enough
				 * digits to fit in a long long without checking. */
				if (nd == 0 || nd > 18 || (nd > 1 && *digits == '0') ||
				    (p < end && (*p == '.' || *p == 'e' || *p == 'E')))
					return -1;
				if (is_code) {
					long long v = strtoll(start, NULL, 10);
					int w = snprintf(code.num, sizeof code.num, "%lld", v);
					code.text = code.num;
					code.len = (size_t)w;
				}
			} else if (end - p >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) {
				p += 4;
			} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
				p += 5;
			} else {
				return -1;
			}
			p = skip_ws(p, end);
		}
		if (p == end)
			return -1;
		p++;                                /* } */
		if (code.text != NULL) {
			if (n == TERMS_MAX)
				return -1;
			codes[n] = code;
			if (code.text == code.num)
				codes[n].text = codes[n].num;   /* the copy's own digits */
			n++;
		}
		p = skip_ws(p, end);
	}
	if (p == end)
		return -1;
	p = skip_ws(p + 1, end);
	return p == end ? n : -1;
}

/* The SQLite store's reading (store_sqlite_ae.c), for the rows terms_scan leaves. */
static bool terms_jansson(pair_batch *b, uint32_t item_at, uint32_t item_len, const char *terms_text)
{
	json_t *terms = json_loads(terms_text, 0, NULL);
	size_t i;
	json_t *term;
	bool ok = true;
	json_array_foreach(terms, i, term)
	{
		json_t *event = json_object_get(term, "code");
		char number[24];
		const char *text = json_is_string(event) ? json_string_value(event) : NULL;
		if (json_is_integer(event)) {
			snprintf(number, sizeof number, "%lld", (long long)json_integer_value(event));
			text = number;
		}
		if (text != NULL && !pair_add(b, item_at, item_len, text, strlen(text))) {
			ok = false;
			break;
		}
	}
	json_decref(terms);
	return ok;
}

/* One row: report_id, product code, lot number, terms_json (code and lot NULL read as ""). */
static void take_row(pair_batch *b, int64_t report_id, const char *code, const char *lot, const char *terms,
                     size_t terms_len)
{
	if (report_id != b->report_id)
		batch_flush(b);
	b->report_id = report_id;
	if (b->stopped)
		return;
	/* The item as the SQLite store makes it: snprintf into 256 bytes, so at most 255 of them. */
	char item[ITEM_MAX + 1];
	int w = snprintf(item, sizeof item, b->by_lot ? "%s\037%s" : "%s", code ? code : "", lot ? lot : "");
	size_t item_len = w < 0 ? 0 : (size_t)w > ITEM_MAX ? ITEM_MAX : (size_t)w;
	int64_t item_at = text_add(b, item, item_len);
	if (item_at < 0) {
		b->failed = true;
		b->why = "out of memory";
		return;
	}
	if (terms == NULL)
		return;
	term_code codes[TERMS_MAX];
	int n = terms_scan(terms, terms_len, codes);
	bool ok = true;
	if (n < 0)
		ok = terms_jansson(b, (uint32_t)item_at, (uint32_t)item_len, terms);
	for (int i = 0; i < n && ok; i++)
		ok = pair_add(b, (uint32_t)item_at, (uint32_t)item_len, codes[i].text, codes[i].len);
	if (!ok) {
		b->failed = true;
		b->why = "out of memory";
	}
}

static int take_line(void *ctx, char *line, size_t len)
{
	pair_batch *b = ctx;
	char *f[4];
	size_t lens[4];
	char *end;
	if (sqldb_copy_fields(line, len, f, lens, 4) != 4 || f[0] == NULL) {
		b->failed = true;
		b->why = "a row of the COPY is not report_id, code, lot_number, terms_json";
		return 1;
	}
	int64_t report_id = strtoll(f[0], &end, 10);
	take_row(b, report_id, f[1], f[2], f[3], lens[3]);
	return b->failed || b->stopped;
}

/* The end of a read: the last report's pairs, the batch freed, and the outcome. */
static store_rc finish(pair_batch *b, sqldb *db, sqldb_rc rc, char *err, size_t errlen)
{
	if (!b->failed && rc == SQLDB_DONE)
		batch_flush(b);
	free(b->text);
	free(b->pairs);
	if (b->failed) {
		snprintf(err, errlen, "signal pairs: %s", b->why);
		return STORE_ERROR;
	}
	if (rc != SQLDB_DONE) {
		snprintf(err, errlen, "signal pairs: %s", sqldb_errmsg(db));
		return STORE_ERROR;
	}
	return STORE_OK;
}

store_rc pg_ae_signal_pairs(sqldb *db, bool by_lot, store_ae_pair_fn fn, void *ctx, char *err, size_t errlen)
{
	pair_batch b = {.by_lot = by_lot, .fn = fn, .ctx = ctx};
	sqldb_rc rc = sqldb_copy_out(db, "COPY (" PAIRS_SELECT ") TO STDOUT", take_line, &b);
	return finish(&b, db, rc, err, errlen);
}

store_rc pg_ae_signal_pairs_stepped(sqldb *db, bool by_lot, store_ae_pair_fn fn, void *ctx, char *err, size_t errlen)
{
	pair_batch b = {.by_lot = by_lot, .fn = fn, .ctx = ctx};
	sqldb_stmt *st = sqldb_prepare(db, PAIRS_SELECT);
	if (st == NULL) {
		snprintf(err, errlen, "signal pairs: %s", sqldb_errmsg(db));
		return STORE_ERROR;
	}
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW && !b.failed && !b.stopped) {
		const char *terms = sqldb_column_text(st, 3);
		take_row(&b, sqldb_column_int64(st, 0), sqldb_column_text(st, 1), sqldb_column_text(st, 2), terms,
		         terms ? strlen(terms) : 0);
	}
	if (rc == SQLDB_ROW)
		rc = SQLDB_DONE;                    /* stopped or failed early */
	store_rc out = finish(&b, db, rc, err, errlen);
	sqldb_release(st);
	return out;
}
