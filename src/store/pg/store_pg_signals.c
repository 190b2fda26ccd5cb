/* The PostgreSQL store's signal pairs (store_pg_signals.h).
 *
 * A report's pairs are every suspect lot × every event term of its latest assessment. Migration
 * 0020's triggers keep them one row per report in ae_signal_reports (report; lot ids ascending,
 * in decimal joined by commas; event codes in the terms' order, each a netstring), and one
 * binary COPY of that table reads them: a third as many rows as 0017's ae_signal_pairs (one per
 * report × lot × term), whose COPY alone cost the server more than the whole CSV path
 * (bench/signals/bench_signals_pg). The lists are expanded here, lot by lot and each lot's terms
 * in order, which is ae_signal_pairs' key order. The lots'
 * items (product code, or code and lot number) come first with a COPY of lots and products, a
 * few rows, and each lot id of a report finds its item by id.
 *
 * Each report's pairs are gathered in a batch, without repeats (two lots of one product, a term
 * given twice), and given to the caller as the SQLite store does. The batch's memory is kept
 * from report to report: a registry of millions of rows allocates only while the largest report
 * grows it. The row-by-row reading (for the bench) reads ae_signal_pairs, as the SQLite store. */
#include "store/pg/store_pg_signals.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports in ascending id, each with its lots (ascending) and events (in order): expanded, the
 * pairs come by report, lot and term on every run (the bench's CSV extract is written in this
 * order). */
#define REPORTS_COPY \
	"COPY (SELECT report_id, lot_ids, events FROM ae_signal_reports ORDER BY report_id) TO STDOUT (FORMAT binary)"
/* Each lot's clinic too: a pair row whose lot is out of the store's clinic scope finds no lot
 * and is dropped, as the SQLite store's join with SQL_IN_SCOPE drops it (a COPY takes no
 * parameters, so the scope is applied here rather than printed into the query). */
#define LOTS_COPY                                                                                            \
	"COPY (SELECT l.id, p.code, l.lot_number, l.clinic_id FROM lots l JOIN products p ON p.id = l.product_id" \
	" ORDER BY l.id) TO STDOUT"

/* The row-by-row reading, the SQLite store's query (store_sql_ae.c). */
#define PAIRS_SELECT                                                                                         \
	"SELECT sp.report_id, p.code, l.lot_number, sp.event"                                                   \
	" FROM ae_signal_pairs sp JOIN lots l ON l.id = sp.lot_id JOIN products p ON p.id = l.product_id"       \
	" WHERE (?1 = 0 OR l.clinic_id = ?1)"                                                                   \
	" ORDER BY sp.report_id, sp.lot_id, sp.term_no"

enum { ITEM_MAX = 255 };

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

/* One pair row: its report, its item (already cut to ITEM_MAX bytes) and its event. */
static void take_pair(pair_batch *b, int64_t report_id, const char *item, size_t item_len, const char *event,
                      size_t event_len)
{
	if (report_id != b->report_id)
		batch_flush(b);
	b->report_id = report_id;
	if (b->stopped)
		return;
	int64_t item_at = text_add(b, item, item_len);
	if (item_at < 0 || !pair_add(b, (uint32_t)item_at, (uint32_t)item_len, event, event_len)) {
		b->failed = true;
		b->why = "out of memory";
	}
}

/* The item as the SQLite store makes it: snprintf into 256 bytes, so at most 255 of them. */
static size_t make_item(char *item, bool by_lot, const char *code, const char *lot)
{
	int w = snprintf(item, ITEM_MAX + 1, by_lot ? "%s\037%s" : "%s", code ? code : "", lot ? lot : "");
	return w < 0 ? 0 : (size_t)w > ITEM_MAX ? ITEM_MAX : (size_t)w;
}

/* Every lot's item, by ascending id. */
typedef struct lot_item {
	int64_t id;
	size_t at, len;   /* in items.text */
} lot_item;

typedef struct lot_items {
	bool by_lot;
	int64_t scope;    /* store.h clinic_scope: 0 every clinic, else only this clinic's lots */
	bool failed;
	const char *why;
	lot_item *lots;
	size_t count, cap;
	char *text;
	size_t len, text_cap;
	size_t last;      /* the lot found last: a report's rows often repeat it */
} lot_items;

static int take_lot(void *ctx, char *line, size_t len)
{
	lot_items *m = ctx;
	char *f[4];
	if (sqldb_copy_fields(line, len, f, NULL, 4) != 4 || f[0] == NULL || f[3] == NULL) {
		m->failed = true;
		m->why = "a row of the lots' COPY is not id, code, lot_number, clinic_id";
		return 1;
	}
	if (m->scope != STORE_SCOPE_ALL && strtoll(f[3], NULL, 10) != m->scope)
		return 0;         /* another clinic's lot (or none, STORE_SCOPE_NONE): its pairs are not read */
	char item[ITEM_MAX + 1];
	size_t n = make_item(item, m->by_lot, f[1], f[2]);
	if (m->count == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		lot_item *grown = realloc(m->lots, cap * sizeof *grown);
		if (grown == NULL)
			goto oom;
		m->lots = grown;
		m->cap = cap;
	}
	if (m->len + n > m->text_cap) {
		size_t cap = m->text_cap ? m->text_cap : 4096;
		while (cap < m->len + n)
			cap *= 2;
		char *grown = realloc(m->text, cap);
		if (grown == NULL)
			goto oom;
		m->text = grown;
		m->text_cap = cap;
	}
	memcpy(m->text + m->len, item, n);
	m->lots[m->count++] = (lot_item){strtoll(f[0], NULL, 10), m->len, n};
	m->len += n;
	return 0;
oom:
	m->failed = true;
	m->why = "out of memory";
	return 1;
}

/* The lot with this id, or NULL (a lot gone, as the SQLite store's join would drop it). */
static const lot_item *lot_find(lot_items *m, int64_t id)
{
	if (m->last < m->count && m->lots[m->last].id == id)
		return &m->lots[m->last];
	size_t lo = 0, hi = m->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->lots[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->count || m->lots[lo].id != id)
		return NULL;
	m->last = lo;
	return &m->lots[lo];
}

typedef struct copy_read {
	pair_batch *b;
	lot_items *lots;
	bool header_read;   /* the binary COPY's header was at the start of the first message */
} copy_read;

/* A big-endian integer of n bytes at p (COPY's binary format writes them so). */
static uint64_t be_read(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The file header of COPY's binary format: its signature, flags (none that matter to this
 * reader: bit 16, OIDs, is never set by a COPY of a query) and the length of an extension
 * area to skip. */
static const unsigned char BINARY_SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0377, '\r', '\n', '\0'};

/* The next lot id of a list of decimal ids joined by commas at *p (up to end): false at the
 * list's end or when it holds anything else. */
static bool lot_id_next(const unsigned char **p, const unsigned char *end, int64_t *id)
{
	const unsigned char *q = *p;
	if (q == end)
		return false;
	uint64_t v = 0;
	int digits = 0;
	for (; q < end && *q >= '0' && *q <= '9' && digits < 19; q++, digits++)
		v = v * 10 + (uint64_t)(*q - '0');
	if (digits == 0 || (q < end && *q != ','))
		return false;
	*id = (int64_t)v;
	*p = q < end ? q + 1 : q;
	return true;
}

/* The next netstring ("5:E0012,") at *p (up to end): its bytes at *data and their count at
 * *len; false at the list's end or when it is not one. */
static bool netstring_next(const unsigned char **p, const unsigned char *end, const unsigned char **data, size_t *len)
{
	const unsigned char *q = *p;
	size_t n = 0;
	int digits = 0;
	for (; q < end && *q >= '0' && *q <= '9' && digits < 9; q++, digits++)
		n = n * 10 + (size_t)(*q - '0');
	if (digits == 0 || q == end || *q != ':' || (size_t)(end - q - 1) < n + 1 || q[1 + n] != ',')
		return false;
	*data = q + 1;
	*len = n;
	*p = q + 1 + n + 1;
	return true;
}

/* A field of a binary COPY row at *p: its bytes and count; false when it is NULL or runs past
 * end. */
static bool field_next(const unsigned char **p, const unsigned char *end, const unsigned char **data, size_t *len)
{
	if (end - *p < 4)
		return false;
	uint64_t n = be_read(*p, 4);                  /* -1 (NULL) reads as 2^32 - 1: too long */
	if (n > (uint64_t)(end - *p - 4))
		return false;
	*data = *p + 4;
	*len = (size_t)n;
	*p += 4 + n;
	return true;
}

/* One message of the reports' binary COPY: the header (with the first row), a row of three
 * fields, bigint, text and text, or the trailer. The binary format is read because the server
 * writes it faster than text (no integer printed, no text escaped), and so does this reader (no
 * escapes to undo). The report's pairs are its lots in scope × its events, given to the caller
 * at once. */
static int take_line(void *ctx, char *line, size_t len)
{
	copy_read *r = ctx;
	pair_batch *b = r->b;
	const unsigned char *p = (const unsigned char *)line, *end = p + len;
	if (!r->header_read) {
		if (len < 19 || memcmp(p, BINARY_SIGNATURE, sizeof BINARY_SIGNATURE) != 0)
			goto bad;
		uint64_t ext = be_read(p + 15, 4);
		if (ext > len - 19)
			goto bad;
		p += 19 + ext;
		r->header_read = true;
	}
	if (end - p == 2 && be_read(p, 2) == 0xFFFF)
		return 0;                                 /* the trailer: no more rows */
	if (end - p < 2 + 4 + 8 || be_read(p, 2) != 3 || be_read(p + 2, 4) != 8)
		goto bad;
	int64_t report_id = (int64_t)be_read(p + 6, 8);
	p += 14;
	const unsigned char *lots, *events;
	size_t lots_len, events_len;
	if (!field_next(&p, end, &lots, &lots_len) || !field_next(&p, end, &events, &events_len) || p != end)
		goto bad;
	const unsigned char *lots_end = lots + lots_len, *events_end = events + events_len;
	b->report_id = report_id;
	int64_t lot_id;
	while (lot_id_next(&lots, lots_end, &lot_id)) {
		const lot_item *lot = lot_find(r->lots, lot_id);
		if (lot == NULL)
			continue;                             /* out of scope, or gone */
		int64_t item_at = text_add(b, r->lots->text + lot->at, lot->len);
		const unsigned char *e = events, *event;
		size_t event_len;
		while (item_at >= 0 && netstring_next(&e, events_end, &event, &event_len))
			if (!pair_add(b, (uint32_t)item_at, (uint32_t)lot->len, (const char *)event, event_len))
				item_at = -1;
		if (item_at < 0) {
			b->failed = true;
			b->why = "out of memory";
			return 1;
		}
		if (e != events_end)
			goto bad;
	}
	if (lots != lots_end)
		goto bad;
	batch_flush(b);                               /* the report is whole: one row holds it */
	return b->stopped;
bad:
	b->failed = true;
	b->why = "a row of the COPY is not report_id, lot_ids, events";
	return 1;
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

store_rc pg_ae_signal_pairs(sqldb *db, bool by_lot, int64_t scope, store_ae_pair_fn fn, void *ctx, char *err,
                            size_t errlen)
{
	pair_batch b = {.by_lot = by_lot, .fn = fn, .ctx = ctx};
	lot_items lots = {.by_lot = by_lot, .scope = scope};
	sqldb_rc rc = sqldb_copy_out(db, LOTS_COPY, take_lot, &lots);
	if (lots.failed) {
		b.failed = true;
		b.why = lots.why;
	} else if (rc == SQLDB_DONE) {
		rc = sqldb_copy_out(db, REPORTS_COPY, take_line, &(copy_read){&b, &lots, false});
	}
	free(lots.lots);
	free(lots.text);
	return finish(&b, db, rc, err, errlen);
}

store_rc pg_ae_signal_pairs_stepped(sqldb *db, bool by_lot, int64_t scope, store_ae_pair_fn fn, void *ctx, char *err,
                                    size_t errlen)
{
	pair_batch b = {.by_lot = by_lot, .fn = fn, .ctx = ctx};
	sqldb_stmt *st = sqldb_prepare(db, PAIRS_SELECT);
	if (st == NULL) {
		snprintf(err, errlen, "signal pairs: %s", sqldb_errmsg(db));
		return STORE_ERROR;
	}
	sqldb_bind_int64(st, 1, scope);
	sqldb_rc rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW && !b.failed && !b.stopped) {
		char item[ITEM_MAX + 1];
		size_t item_len = make_item(item, by_lot, sqldb_column_text(st, 1), sqldb_column_text(st, 2));
		const char *event = sqldb_column_text(st, 3);
		take_pair(&b, sqldb_column_int64(st, 0), item, item_len, event ? event : "", event ? strlen(event) : 0);
	}
	if (rc == SQLDB_ROW)
		rc = SQLDB_DONE;                    /* stopped or failed early */
	store_rc out = finish(&b, db, rc, err, errlen);
	sqldb_release(st);
	return out;
}
