/* Counting 2×2 tables at registry scale (signal.h, "counting").
 *
 * Rows arrive as (report, item, event) strings. Items and events are interned to dense ids
 * with open-addressing hash tables (a few thousand names: they stay in cache). Report ids are
 * not interned as they come — at ten million distinct reports that table is what costs —
 * but cut into runs, a run being consecutive rows with the same report id. When a run ends,
 * its items and its events, each without repeats, are appended as one record to an arena,
 * with the report id and its hash: about 40 bytes a report, and the rows themselves are not
 * kept.
 *
 * At finish, runs with the same id (a report whose rows are not all together, or cut by a
 * part boundary) are found by bucketing the runs on the top bits of their hash and comparing
 * ids within a bucket. Every other run is a whole report and is counted from its record as it
 * stands; a report in several runs is counted once from the union of its runs. Pairs are
 * counted in a dense item×event matrix when that fits in DENSE_CELLS_MAX cells, else in an
 * open-addressing table keyed by the pair. With the dense matrix, counting runs on every core
 * (core/parallel.h): workers count reports into their own margins and pair lists bucketed by
 * the part of the matrix the pair falls in, then count bucket by bucket, so no count is
 * written by two threads and the part of the matrix being written stays in cache.
 *
 * signal_counter_join lets readers fill one counter per part of a file and join them in
 * order without copying the records: each part keeps its arena and maps its name ids to the
 * joined counter's. */
#include "core/signal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "core/signal_internal.h"

enum {
	DENSE_CELLS_MAX = 1 << 25,      /* 128 MiB of 32-bit counts */
	RUNS_PER_BUCKET = 32768,        /* few buckets to place runs in; each one's table fits in L2 */
	RUN_SCAN_MAX = 32,              /* rows of a run deduplicated as they come */
	BUCKET_SHIFT = 18,
	BUCKET_CELLS = 1 << BUCKET_SHIFT,   /* 1 MiB of the matrix: counted while it sits in cache */
};

/* ---------------------------------------------------------------- interned names */

/* The first 16 bytes of a name, zero-padded, as two words. Names hold no NUL byte, so a name
 * of up to 16 bytes (product, lot, event and report codes usually are) is its key: it is
 * hashed and compared in two words, without touching the arena. */
typedef struct name_key {
	uint64_t w0, w1;
} name_key;

static inline uint64_t low_bytes(uint64_t w, size_t n)
{
	return n >= 8 ? w : w & ((UINT64_C(1) << (8 * n)) - 1);
}

/* The key of s[0..len), which has at least 16 readable bytes. */
static inline name_key key_padded(const char *s, size_t len)
{
	uint64_t w0, w1;
	memcpy(&w0, s, 8);
	memcpy(&w1, s + 8, 8);
	return (name_key){low_bytes(w0, len), len > 8 ? low_bytes(w1, len - 8) : 0};
}

/* The key of s[0..len), reading only those bytes. */
static inline name_key key_copied(const char *s, size_t len)
{
	char buf[16] = {0};
	memcpy(buf, s, len < 16 ? len : 16);
	return key_padded(buf, len);
}

/* The name's hash: from its key, and for a name longer than 16 bytes from the rest too. */
static inline uint64_t key_hash(name_key k, const char *s, size_t len)
{
	uint64_t rest = len > 16 ? hash_bytes(s + 16, len - 16) : 0;
	return mix64(k.w0 * UINT64_C(0x9e3779b97f4a7c15) + (k.w1 ^ rest ^ (uint64_t)len));
}

static inline bool key_same(name_key a, name_key b)
{
	return ((a.w0 ^ b.w0) | (a.w1 ^ b.w1)) == 0;
}

/* One slot of a name table: the key and length of the name it holds, and its id + 1 (0 empty). */
typedef struct name_slot {
	name_key key;
	uint32_t len, id1;
} name_slot;

/* id → NUL-terminated string in one arena. */
typedef struct name_table {
	char *arena;
	size_t len, cap;
	size_t *offset;         /* [n] */
	uint32_t n, id_cap;
	name_slot *slot;
	uint64_t *slot_hash;    /* each filled slot's hash, for growing */
	uint32_t mask;
	uint32_t grow_at;       /* n at which the slots grow: a load factor of 0.7 */
} name_table;

static void names_free(name_table *t)
{
	free(t->arena);
	free(t->offset);
	free(t->slot);
	free(t->slot_hash);
	memset(t, 0, sizeof *t);
}

static int names_grow_slots(name_table *t)
{
	uint32_t cap = t->mask ? (t->mask + 1) * 2 : 1024;
	name_slot *slot = calloc(cap, sizeof *slot);
	uint64_t *slot_hash = malloc((size_t)cap * sizeof *slot_hash);
	if (slot == NULL || slot_hash == NULL) {
		free(slot);
		free(slot_hash);
		return -1;
	}
	for (uint32_t i = 0; t->mask && i <= t->mask; i++) {
		if (t->slot[i].id1 == 0)
			continue;
		uint32_t j = (uint32_t)t->slot_hash[i] & (cap - 1);
		while (slot[j].id1)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
		slot_hash[j] = t->slot_hash[i];
	}
	free(t->slot);
	free(t->slot_hash);
	t->slot = slot;
	t->slot_hash = slot_hash;
	t->mask = cap - 1;
	t->grow_at = (uint32_t)((uint64_t)cap * 7 / 10);
	return 0;
}

static size_t names_len(const name_table *t, uint32_t id)
{
	return (id + 1 < t->n ? t->offset[id + 1] : t->len) - t->offset[id] - 1;
}

/* Returns the id of the name s[0..len) with key k, adding it when new; UINT32_MAX when
 * memory runs out. Load factor at most 0.7. */
__attribute__((always_inline)) static inline uint32_t names_intern_key(name_table *t, const char *s, size_t len, name_key k)
{
	if (__builtin_expect(t->n >= t->grow_at, 0) && names_grow_slots(t) < 0)
		return UINT32_MAX;
	uint64_t h = key_hash(k, s, len);
	uint32_t j = (uint32_t)h & t->mask;
	for (; t->slot[j].id1; j = (j + 1) & t->mask) {
		const name_slot *sl = &t->slot[j];
		if (key_same(sl->key, k) && sl->len == len &&
		    (len <= 16 || memcmp(t->arena + t->offset[sl->id1 - 1] + 16, s + 16, len - 16) == 0))
			return sl->id1 - 1;
	}
	if (t->n == UINT32_MAX - 1)
		return UINT32_MAX;
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (t->len + len + 1 > cap)
			cap *= 2;
		char *arena = realloc(t->arena, cap);
		if (arena == NULL)
			return UINT32_MAX;
		t->arena = arena;
		t->cap = cap;
	}
	if (t->n == t->id_cap) {
		uint32_t cap = t->id_cap ? t->id_cap * 2 : 1024;
		size_t *offset = realloc(t->offset, (size_t)cap * sizeof *offset);
		if (offset == NULL)
			return UINT32_MAX;
		t->offset = offset;
		t->id_cap = cap;
	}
	memcpy(t->arena + t->len, s, len);
	t->arena[t->len + len] = '\0';
	t->offset[t->n] = t->len;
	t->len += len + 1;
	t->slot[j] = (name_slot){k, (uint32_t)len, t->n + 1};
	t->slot_hash[j] = h;
	return t->n++;
}

static uint32_t names_intern(name_table *t, const char *s, size_t len)
{
	return names_intern_key(t, s, len, key_copied(s, len));
}

/* Copies a name table's names into an array of pointers into its arena, handing the arena to
 * the caller. */
static const char **names_export(name_table *t, char **arena)
{
	const char **names = malloc(((size_t)t->n + 1) * sizeof *names);
	if (names == NULL)
		return NULL;
	for (uint32_t i = 0; i < t->n; i++)
		names[i] = t->arena + t->offset[i];
	*arena = t->arena;
	t->arena = NULL;
	return names;
}

/* ---------------------------------------------------------------- the counter */

/* A run ends in a record, packed byte after byte in its segment's arena:
 *     u8 form; n_items and n_events, one byte each (four each with RECORD_LONG);
 *     u16 name_len and the report id; the item ids, then the event ids, two bytes each (four
 *     with RECORD_WIDE_ITEMS, RECORD_WIDE_EVENTS)
 * the run's items and events each without repeats. The usual report (a 9-byte id, one or two
 * products, two or three events) takes 20-odd bytes. Records are read in order, or from the
 * mark every RUN_MARK runs. */
enum { RECORD_LONG = 1, RECORD_WIDE_ITEMS = 2, RECORD_WIDE_EVENTS = 4, RUN_MARK = 64 };

typedef struct run_record {
	const unsigned char *items, *events;   /* packed ids: packed_id() */
	uint32_t n_items, n_events;
	bool wide_items, wide_events;
	const char *name;
	size_t name_len;
	size_t size;                           /* bytes the record takes */
} run_record;

static inline uint32_t packed_id(const unsigned char *p, bool wide, size_t k)
{
	if (wide) {
		uint32_t v;
		memcpy(&v, p + 4 * k, 4);
		return v;
	}
	uint16_t v;
	memcpy(&v, p + 2 * k, 2);
	return v;
}

static run_record record_at(const unsigned char *arena, uint64_t at)
{
	const unsigned char *p = arena + at;
	run_record r = {0};
	unsigned form = *p++;
	if (form & RECORD_LONG) {
		memcpy(&r.n_items, p, 4);
		memcpy(&r.n_events, p + 4, 4);
		p += 8;
	} else {
		r.n_items = p[0];
		r.n_events = p[1];
		p += 2;
	}
	uint16_t len;
	memcpy(&len, p, 2);
	r.name_len = len;
	r.name = (const char *)(p + 2);
	r.wide_items = form & RECORD_WIDE_ITEMS;
	r.wide_events = form & RECORD_WIDE_EVENTS;
	r.items = p + 2 + len;
	r.events = r.items + (size_t)r.n_items * (r.wide_items ? 4 : 2);
	r.size = (size_t)(r.events + (size_t)r.n_events * (r.wide_events ? 4 : 2) - (arena + at));
	return r;
}

/* The finished runs of one counter, or of one part of a joined counter. */
typedef struct segment {
	unsigned char *arena;       /* the records */
	size_t arena_len, arena_cap;
	uint64_t *run_mark;         /* [n_runs / RUN_MARK + 1]: where runs 0, RUN_MARK, … start */
	size_t marks_cap;
	uint64_t *run_hash;         /* [n_runs]: the hash of each run's report id */
	size_t n_runs, runs_cap;
	uint32_t *item_map, *event_map;   /* the part's ids → the joined counter's; NULL: the same */
} segment;

static void segment_free(segment *g)
{
	free(g->arena);
	free(g->run_mark);
	free(g->run_hash);
	free(g->item_map);
	free(g->event_map);
	memset(g, 0, sizeof *g);
}

/* Run r of the segment, walked to from the mark before it. */
static run_record segment_record(const segment *g, size_t r)
{
	uint64_t at = g->run_mark[r / RUN_MARK];
	for (size_t k = r / RUN_MARK * RUN_MARK; k < r; k++)
		at += record_at(g->arena, at).size;
	return record_at(g->arena, at);
}

struct signal_counter {
	name_table items, events;
	/* the run being read: its report id and rows */
	char run_name[SIGNAL_NAME_MAX];
	name_key run_key;
	size_t run_len;
	bool in_run;
	uint32_t *run_items, *run_events;
	size_t run_rows, run_cap;
	size_t run_n_items, run_n_events;   /* without repeats while run_rows <= RUN_SCAN_MAX */
	segment own;          /* the runs added to this counter */
	segment *parts;       /* after signal_counter_join: the parts' runs, in file order */
	size_t n_parts;
	uint64_t n_rows, n_runs_total;
	char error[160];
};

signal_counter *signal_counter_new(void)
{
	return calloc(1, sizeof(signal_counter));
}

void signal_counter_free(signal_counter *c)
{
	if (c == NULL)
		return;
	names_free(&c->items);
	names_free(&c->events);
	free(c->run_items);
	free(c->run_events);
	segment_free(&c->own);
	for (size_t k = 0; k < c->n_parts; k++)
		segment_free(&c->parts[k]);
	free(c->parts);
	free(c);
}

uint64_t signal_counter_rows(const signal_counter *c)
{
	return c->n_rows;
}

const char *signal_counter_error(const signal_counter *c)
{
	return c->error;
}

static int check_name(signal_counter *c, const char *what, const char *s, size_t len)
{
	if (len == 0)
		snprintf(c->error, sizeof c->error, "empty %s", what);
	else if (len > SIGNAL_NAME_MAX)
		snprintf(c->error, sizeof c->error, "%s longer than %d bytes", what, SIGNAL_NAME_MAX);
	else if (memchr(s, '\0', len) != NULL)
		snprintf(c->error, sizeof c->error, "%s contains a NUL byte", what);
	else
		return 0;
	return -1;
}

static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* Sorts v[0..n) and removes repeats; returns the new length. */
static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

static size_t unique_u32(uint32_t *v, size_t n)
{
	if (n < 2)
		return n;
	if (n == 2) {
		if (v[0] == v[1])
			return 1;
		if (v[0] > v[1]) {
			uint32_t x = v[0];
			v[0] = v[1];
			v[1] = x;
		}
		return 2;
	}
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			uint32_t x = v[i];
			size_t j = i;
			while (j > 0 && v[j - 1] > x) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = x;
		}
	} else {
		qsort(v, n, sizeof *v, cmp_u32);
	}
	size_t m = 1;
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[m - 1])
			v[m++] = v[i];
	return m;
}

/* Ends the run being read: its items and events, each without repeats, become a record. */
static int end_run(signal_counter *c)
{
	if (!c->in_run)
		return 0;
	segment *g = &c->own;
	size_t ni = c->run_n_items, ne = c->run_n_events;
	if (c->run_rows > RUN_SCAN_MAX) {
		ni = unique_u32(c->run_items, ni);
		ne = unique_u32(c->run_events, ne);
	}
	uint32_t max_i = 0, max_e = 0;
	for (size_t x = 0; x < ni; x++)
		max_i = c->run_items[x] > max_i ? c->run_items[x] : max_i;
	for (size_t y = 0; y < ne; y++)
		max_e = c->run_events[y] > max_e ? c->run_events[y] : max_e;
	unsigned form = (ni > 255 || ne > 255 ? RECORD_LONG : 0) | (max_i > UINT16_MAX ? RECORD_WIDE_ITEMS : 0) |
	                (max_e > UINT16_MAX ? RECORD_WIDE_EVENTS : 0);
	size_t bytes = 1 + (form & RECORD_LONG ? 8 : 2) + 2 + c->run_len + ni * (form & RECORD_WIDE_ITEMS ? 4 : 2) +
	               ne * (form & RECORD_WIDE_EVENTS ? 4 : 2);
	/* + 16: a short id is stored as its two key words, which may reach past it into the ids
	 * written after it */
	if (__builtin_expect(g->arena_len + bytes + 16 > g->arena_cap || g->n_runs >= g->runs_cap ||
	                     g->n_runs / RUN_MARK >= g->marks_cap, 0)) {
		if (c->n_runs_total >= UINT32_MAX - 2 ||
		    reserve((void **)&g->arena, &g->arena_cap, g->arena_len + bytes + 16, 1) < 0 ||
		    reserve((void **)&g->run_hash, &g->runs_cap, g->n_runs + 1, sizeof *g->run_hash) < 0 ||
		    reserve((void **)&g->run_mark, &g->marks_cap, g->n_runs / RUN_MARK + 1, sizeof *g->run_mark) < 0)
			return -1;
	}
	unsigned char *p = g->arena + g->arena_len;
	*p++ = (unsigned char)form;
	if (form & RECORD_LONG) {
		uint32_t counts[2] = {(uint32_t)ni, (uint32_t)ne};
		memcpy(p, counts, 8);
		p += 8;
	} else {
		*p++ = (unsigned char)ni;
		*p++ = (unsigned char)ne;
	}
	uint16_t len = (uint16_t)c->run_len;
	memcpy(p, &len, 2);
	p += 2;
	if (c->run_len <= 16) {
		memcpy(p, &c->run_key.w0, 8);   /* the id, and zeros after it */
		memcpy(p + 8, &c->run_key.w1, 8);
	} else {
		memcpy(p, c->run_name, c->run_len);
	}
	p += c->run_len;
	for (size_t x = 0; x < ni; x++) {
		if (form & RECORD_WIDE_ITEMS) {
			memcpy(p, &c->run_items[x], 4);
			p += 4;
		} else {
			uint16_t v = (uint16_t)c->run_items[x];
			memcpy(p, &v, 2);
			p += 2;
		}
	}
	for (size_t y = 0; y < ne; y++) {
		if (form & RECORD_WIDE_EVENTS) {
			memcpy(p, &c->run_events[y], 4);
			p += 4;
		} else {
			uint16_t v = (uint16_t)c->run_events[y];
			memcpy(p, &v, 2);
			p += 2;
		}
	}
	if (g->n_runs % RUN_MARK == 0)
		g->run_mark[g->n_runs / RUN_MARK] = g->arena_len;
	g->run_hash[g->n_runs] = key_hash(c->run_key, c->run_name, c->run_len);
	g->n_runs++;
	g->arena_len += bytes;
	c->n_runs_total++;
	c->in_run = false;
	c->run_rows = c->run_n_items = c->run_n_events = 0;
	return 0;
}

int signal_counter_add(signal_counter *c, const char *report, size_t report_len, const char *item, size_t item_len,
                       const char *event, size_t event_len)
{
	if (check_name(c, "report id", report, report_len) < 0 || check_name(c, "item", item, item_len) < 0 ||
	    check_name(c, "event", event, event_len) < 0)
		return -1;
	return signal_counter_add_clean(c, report, report_len, item, item_len, event, event_len);
}

/* Adds a row whose names have been checked, given their keys. */
__attribute__((always_inline)) static inline int add_keyed(signal_counter *c, const char *report, size_t report_len,
                                                           name_key rk, const char *item, size_t item_len, name_key ik,
                                                           const char *event, size_t event_len, name_key ek)
{
	if (c->parts != NULL) {
		snprintf(c->error, sizeof c->error, "rows added to a joined counter");
		return -1;
	}
	uint32_t i = names_intern_key(&c->items, item, item_len, ik);
	uint32_t e = i == UINT32_MAX ? UINT32_MAX : names_intern_key(&c->events, event, event_len, ek);
	if (e == UINT32_MAX)
		goto oom;
	bool same = c->in_run && report_len == c->run_len && key_same(rk, c->run_key) &&
	            (report_len <= 16 || memcmp(c->run_name + 16, report + 16, report_len - 16) == 0);
	if (!same) {
		if (end_run(c) < 0)
			goto oom;
		if (report_len > 16)   /* a short id is its key */
			memcpy(c->run_name, report, report_len);
		c->run_key = rk;
		c->run_len = report_len;
		c->in_run = true;
	}
	if (__builtin_expect(c->run_rows >= c->run_cap, 0)) {
		size_t cap = c->run_cap;
		if (reserve((void **)&c->run_items, &cap, c->run_rows + 1, sizeof *c->run_items) < 0)
			goto oom;
		uint32_t *ev = realloc(c->run_events, cap * sizeof *ev);
		if (ev == NULL)
			goto oom;   /* run_items grew alone: run_cap stays, so it grows again next time */
		c->run_events = ev;
		c->run_cap = cap;
	}
	/* Repeats are left out as rows come while the run is short (a scan of a few ids); a long
	 * run keeps them, and end_run sorts them out. */
	bool scan = c->run_rows < RUN_SCAN_MAX, have_i = false, have_e = false;
	for (size_t x = 0; scan && x < c->run_n_items && !have_i; x++)
		have_i = c->run_items[x] == i;
	for (size_t y = 0; scan && y < c->run_n_events && !have_e; y++)
		have_e = c->run_events[y] == e;
	if (!have_i)
		c->run_items[c->run_n_items++] = i;
	if (!have_e)
		c->run_events[c->run_n_events++] = e;
	c->run_rows++;
	c->n_rows++;
	return 0;
oom:
	/* A name interned above stays interned: harmless, as ids without rows count nothing. */
	snprintf(c->error, sizeof c->error, "out of memory after %" PRIu64 " rows", c->n_rows);
	return -1;
}

int signal_counter_add_clean(signal_counter *c, const char *report, size_t report_len, const char *item,
                             size_t item_len, const char *event, size_t event_len)
{
	return add_keyed(c, report, report_len, key_copied(report, report_len), item, item_len, key_copied(item, item_len),
	                 event, event_len, key_copied(event, event_len));
}

int signal_counter_add_padded(signal_counter *c, const signal_row_text *rows, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const signal_row_text *r = &rows[k];
		if (add_keyed(c, r->report, r->report_len, key_padded(r->report, r->report_len), r->item, r->item_len,
		              key_padded(r->item, r->item_len), r->event, r->event_len, key_padded(r->event, r->event_len)) < 0)
			return -1;
	}
	return 0;
}

/* Joining copies no runs: each part's segment moves into the joined counter with maps from
 * the part's name ids to the joined ones. A report whose rows straddle two parts is two runs
 * with the same id, which finishing treats as any report seen in two places. */
signal_counter *signal_counter_join(signal_counter **parts, size_t n)
{
	signal_counter *dst = signal_counter_new();
	bool ok = dst != NULL && (dst->parts = calloc(n + 1, sizeof *dst->parts)) != NULL;
	for (size_t k = 0; ok && k < n; k++) {
		signal_counter *src = parts[k];
		ok = src->parts == NULL && end_run(src) == 0;
		if (!ok)
			break;
		segment *g = &dst->parts[dst->n_parts];
		*g = src->own;
		memset(&src->own, 0, sizeof src->own);
		dst->n_parts++;
		g->item_map = malloc(((size_t)src->items.n + 1) * sizeof *g->item_map);
		g->event_map = malloc(((size_t)src->events.n + 1) * sizeof *g->event_map);
		ok = g->item_map != NULL && g->event_map != NULL;
		for (uint32_t i = 0; ok && i < src->items.n; i++)
			ok = (g->item_map[i] = names_intern(&dst->items, src->items.arena + src->items.offset[i],
			                                    names_len(&src->items, i))) != UINT32_MAX;
		for (uint32_t e = 0; ok && e < src->events.n; e++)
			ok = (g->event_map[e] = names_intern(&dst->events, src->events.arena + src->events.offset[e],
			                                     names_len(&src->events, e))) != UINT32_MAX;
		dst->n_rows += src->n_rows;
		dst->n_runs_total += src->n_runs_total;
		ok = ok && dst->n_runs_total < UINT32_MAX - 2;
		signal_counter_free(src);
		parts[k] = NULL;
	}
	for (size_t k = 0; k < n; k++)
		signal_counter_free(parts[k]);
	if (!ok) {
		signal_counter_free(dst);
		return NULL;
	}
	return dst;
}

/* ---------------------------------------------------------------- finding each run's report */

/* The runs of a finished counter, as one sequence over its segments: run r is run
 * r − base[s] of segment s. */
typedef struct run_view {
	segment *seg;
	size_t n_seg;
	size_t *base;     /* [n_seg + 1] */
	size_t n_runs;
} run_view;

/* The segment holding run r (base[s] <= r < base[s + 1]). */
static size_t view_segment(const run_view *v, size_t r)
{
	size_t lo = 0, hi = v->n_seg;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (v->base[mid] <= r)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static run_record view_record(const run_view *v, size_t r)
{
	size_t s = view_segment(v, r);
	return segment_record(&v->seg[s], r - v->base[s]);
}

/* A run of a report seen in more than one run, and the first of them. */
typedef struct run_of_report {
	uint32_t first, run;
} run_of_report;

static int cmp_run_of_report(const void *x, const void *y)
{
	const run_of_report *a = x, *b = y;
	if (a->first != b->first)
		return (a->first > b->first) - (a->first < b->first);
	return (a->run > b->run) - (a->run < b->run);
}

/* A run in its bucket: the low half of its hash (the bucket holds the top bits) and its index. */
typedef struct hashed_run {
	uint32_t hash, run;
} hashed_run;

typedef struct bucket_job {
	const run_view *v;
	int bits, shift;
	size_t buckets;
	size_t *hist;              /* [segment × buckets]: counts, then each segment's next place */
	hashed_run *order;         /* the runs by bucket */
	const size_t *bucket_start;   /* [buckets + 1] */
	unsigned char *repeated;   /* 1 for every run of a report seen in more than one run */
	uint32_t *scratch[PARALLEL_MAX_WORKERS];
	size_t scratch_cap[PARALLEL_MAX_WORKERS];
	run_of_report *found[PARALLEL_MAX_WORKERS];   /* the runs of such reports, first runs too */
	size_t found_n[PARALLEL_MAX_WORKERS], found_cap[PARALLEL_MAX_WORKERS];
	size_t later[PARALLEL_MAX_WORKERS];           /* runs that are not their report's first */
	bool failed;
} bucket_job;

static size_t bucket_of(const bucket_job *j, uint64_t hash)
{
	return j->bits ? (size_t)(hash >> j->shift) : 0;
}

static void bucket_count(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	bucket_job *j = p;
	for (size_t s = begin; s < end; s++) {
		const segment *g = &j->v->seg[s];
		size_t *h = j->hist + s * j->buckets;
		for (size_t r = 0; r < g->n_runs; r++)
			h[bucket_of(j, g->run_hash[r])]++;
	}
}

static void bucket_place(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	bucket_job *j = p;
	for (size_t s = begin; s < end; s++) {
		const segment *g = &j->v->seg[s];
		size_t *next = j->hist + s * j->buckets, base = j->v->base[s];
		for (size_t r = 0; r < g->n_runs; r++) {
			uint64_t h = g->run_hash[r];
			j->order[next[bucket_of(j, h)]++] = (hashed_run){(uint32_t)h, (uint32_t)(base + r)};
		}
	}
}

static bool same_report(const run_view *v, uint32_t a, uint32_t b)
{
	run_record x = view_record(v, a), y = view_record(v, b);
	return x.name_len == y.name_len && memcmp(x.name, y.name, x.name_len) == 0;
}

static void note_found(bucket_job *j, unsigned worker, uint32_t first, uint32_t run)
{
	if (reserve((void **)&j->found[worker], &j->found_cap[worker], j->found_n[worker] + 1, sizeof(run_of_report)) < 0) {
		j->failed = true;
		return;
	}
	j->found[worker][j->found_n[worker]++] = (run_of_report){first, run};
	j->repeated[run] = 1;
}

static void dedup_buckets(void *p, size_t begin, size_t end, unsigned worker)
{
	bucket_job *j = p;
	for (size_t b = begin; b < end; b++) {
		size_t lo = j->bucket_start[b], n = j->bucket_start[b + 1] - lo;
		if (n < 2)
			continue;
		size_t cap = 16;
		while (cap < 2 * n)
			cap *= 2;
		if (cap > j->scratch_cap[worker]) {
			uint32_t *s = realloc(j->scratch[worker], cap * sizeof *s);
			if (s == NULL) {
				j->failed = true;
				return;
			}
			j->scratch[worker] = s;
			j->scratch_cap[worker] = cap;
		}
		uint32_t *slot = j->scratch[worker];   /* index into order + 1, 0 empty */
		memset(slot, 0, cap * sizeof *slot);
		for (size_t k = lo; k < lo + n; k++) {
			const hashed_run *hr = &j->order[k];
			for (size_t s = (size_t)(hr->hash & (cap - 1));; s = (s + 1) & (cap - 1)) {
				if (slot[s] == 0) {
					slot[s] = (uint32_t)(k - lo + 1);
					break;
				}
				const hashed_run *other = &j->order[lo + slot[s] - 1];
				if (other->hash == hr->hash && same_report(j->v, other->run, hr->run)) {
					/* Only first runs are in the table (runs ascend within a bucket), and
					 * a bucket is one worker's: other is the first, noted once. */
					if (!j->repeated[other->run])
						note_found(j, worker, other->run, other->run);
					note_found(j, worker, other->run, hr->run);
					j->later[worker]++;
					break;
				}
			}
		}
	}
}

/* Finds the reports that came in more than one run: sets repeated[r] for each of their runs
 * and lists those runs with their report's first run in *found (*n_found of them, in no
 * particular order; NULL when none). Returns the number of reports, or -1 (memory). */
static int64_t resolve_reports(const run_view *v, unsigned char *repeated, run_of_report **found, size_t *n_found)
{
	size_t nr = v->n_runs;
	int bits = 0;
	while (bits < 20 && ((size_t)1 << bits) * RUNS_PER_BUCKET < nr)
		bits++;
	size_t buckets = (size_t)1 << bits;
	hashed_run *order = malloc((nr + 1) * sizeof *order);
	size_t *start = calloc(buckets + 1, sizeof *start);
	size_t *hist = calloc(v->n_seg * buckets + 1, sizeof *hist);
	bucket_job *j = calloc(1, sizeof *j);
	int64_t result = -1;
	*found = NULL;
	*n_found = 0;
	if (order == NULL || start == NULL || hist == NULL || j == NULL)
		goto done;
	/* A counting sort of the runs by bucket, on every core: each segment counts its buckets,
	 * the offsets put segment 0's runs of a bucket first, and each segment places its own, so
	 * within a bucket runs stay in ascending order (dedup_buckets relies on it). */
	*j = (bucket_job){.v = v, .bits = bits, .shift = 64 - bits, .buckets = buckets, .hist = hist, .order = order,
	                  .bucket_start = start, .repeated = repeated};
	parallel_for(v->n_seg, 1, bucket_count, j, NULL, NULL);
	size_t sum = 0;
	for (size_t b = 0; b < buckets; b++) {
		start[b] = sum;
		for (size_t s = 0; s < v->n_seg; s++) {
			size_t n_in = hist[s * buckets + b];
			hist[s * buckets + b] = sum;
			sum += n_in;
		}
	}
	start[buckets] = sum;
	parallel_for(v->n_seg, 1, bucket_place, j, NULL, NULL);
	memset(repeated, 0, nr);
	parallel_for(buckets, 1, dedup_buckets, j, NULL, NULL);
	if (j->failed)
		goto done;
	size_t later = 0, total = 0;
	for (unsigned w = 0; w < PARALLEL_MAX_WORKERS; w++) {
		later += j->later[w];
		total += j->found_n[w];
	}
	if (total > 0) {
		run_of_report *all = malloc(total * sizeof *all);
		if (all == NULL)
			goto done;
		size_t k = 0;
		for (unsigned w = 0; w < PARALLEL_MAX_WORKERS; w++) {
			if (j->found_n[w])
				memcpy(all + k, j->found[w], j->found_n[w] * sizeof *all);
			k += j->found_n[w];
		}
		*found = all;
		*n_found = total;
	}
	result = (int64_t)(nr - later);
done:
	for (unsigned w = 0; j && w < PARALLEL_MAX_WORKERS; w++) {
		free(j->scratch[w]);
		free(j->found[w]);
	}
	free(j);
	free(order);
	free(start);
	free(hist);
	return result;
}

/* ---------------------------------------------------------------- counting pairs */

/* Open-addressing counts keyed by item << 32 | event; a zero count marks an empty slot. */
typedef struct pair_counts {
	uint64_t *key;
	uint32_t *count;
	size_t mask, n;
} pair_counts;

static int pairs_grow(pair_counts *p)
{
	size_t cap = p->mask ? (p->mask + 1) * 2 : (size_t)1 << 16;
	uint64_t *key = malloc(cap * sizeof *key);
	uint32_t *count = calloc(cap, sizeof *count);
	if (key == NULL || count == NULL) {
		free(key);
		free(count);
		return -1;
	}
	for (size_t i = 0; p->mask && i <= p->mask; i++) {
		if (p->count[i] == 0)
			continue;
		size_t j = (size_t)(mix64(p->key[i]) & (cap - 1));
		while (count[j])
			j = (j + 1) & (cap - 1);
		key[j] = p->key[i];
		count[j] = p->count[i];
	}
	free(p->key);
	free(p->count);
	p->key = key;
	p->count = count;
	p->mask = cap - 1;
	return 0;
}

static int pairs_increment(pair_counts *p, uint64_t k)
{
	size_t j = (size_t)(mix64(k) & p->mask);
	while (p->count[j]) {
		if (p->key[j] == k) {
			p->count[j]++;
			return 0;
		}
		j = (j + 1) & p->mask;
	}
	p->key[j] = k;
	p->count[j] = 1;
	if (++p->n * 2 > p->mask)
		return pairs_grow(p);
	return 0;
}

/* A growable array of matrix cells (item × n_events + event). */
typedef struct cell_buf {
	uint32_t *cell;
	size_t n, cap;
} cell_buf;

typedef struct count_job {
	const run_view *v;
	const unsigned char *repeated;   /* runs of reports seen in more than one run: counted apart */
	signal_table *t;
	/* dense counting: the matrix, cut into buckets of bucket_cells cells */
	uint32_t *dense;
	size_t buckets, bucket_cells;
	cell_buf *cells;                        /* [worker × buckets]: the pairs each worker saw */
	uint32_t *item_margin, *event_margin;   /* [worker × n_items], [worker × n_events] */
	/* sparse counting */
	pair_counts *pairs;
	bool failed;
	size_t segments_done;
	signal_progress_fn progress;
	void *ctx;
} count_job;

static void note_pair(count_job *j, unsigned worker, uint32_t item, uint32_t event)
{
	if (j->dense == NULL) {
		if (pairs_increment(j->pairs, (uint64_t)item << 32 | event) < 0)
			j->failed = true;
		return;
	}
	uint32_t cell = item * j->t->n_events + event;
	cell_buf *b = &j->cells[(size_t)worker * j->buckets + (cell >> BUCKET_SHIFT)];
	if (__builtin_expect(b->n >= b->cap, 0) && reserve((void **)&b->cell, &b->cap, b->n + 1, sizeof *b->cell) < 0) {
		j->failed = true;
		return;
	}
	b->cell[b->n++] = cell;
}

/* Counts one report: its items and events (joined ids, each once) in the worker's margins,
 * and each item×event pair. */
static void count_report(count_job *j, unsigned worker, const uint32_t *items, size_t ni, const uint32_t *events,
                         size_t ne)
{
	uint32_t *item_margin = j->item_margin + (size_t)worker * j->t->n_items;
	uint32_t *event_margin = j->event_margin + (size_t)worker * j->t->n_events;
	for (size_t y = 0; y < ne; y++)
		event_margin[events[y]]++;
	for (size_t x = 0; x < ni; x++) {
		item_margin[items[x]]++;
		for (size_t y = 0; y < ne; y++)
			note_pair(j, worker, items[x], events[y]);
	}
}

/* Counts the runs of segments [begin, end) that are whole reports. A part's ids are mapped
 * to the joined ones; distinct names stay distinct, so the lists stay without repeats. */
/* The record's items and events as the joined counter's ids, into items and events (room
 * for n_items and n_events). */
static void record_ids(const segment *g, const run_record *rec, uint32_t *items, uint32_t *events)
{
	for (uint32_t x = 0; x < rec->n_items; x++) {
		uint32_t id = packed_id(rec->items, rec->wide_items, x);
		items[x] = g->item_map ? g->item_map[id] : id;
	}
	for (uint32_t y = 0; y < rec->n_events; y++) {
		uint32_t id = packed_id(rec->events, rec->wide_events, y);
		events[y] = g->event_map ? g->event_map[id] : id;
	}
}

static void count_segments(void *p, size_t begin, size_t end, unsigned worker)
{
	count_job *j = p;
	enum { SHORT = 64 };
	uint32_t items[SHORT], events[SHORT];
	for (size_t s = begin; s < end && !j->failed; s++) {
		const segment *g = &j->v->seg[s];
		size_t base = j->v->base[s];
		uint64_t at = 0;
		for (size_t r = 0; r < g->n_runs && !j->failed; r++) {
			run_record rec = record_at(g->arena, at);
			at += rec.size;
			if (j->repeated[base + r])
				continue;
			uint32_t *ip = items, *ep = events;
			if (rec.n_items > SHORT || rec.n_events > SHORT) {   /* a long report: its own buffer */
				ip = malloc(((size_t)rec.n_items + rec.n_events + 1) * sizeof *ip);
				if (ip == NULL) {
					j->failed = true;
					return;
				}
				ep = ip + rec.n_items;
			}
			record_ids(g, &rec, ip, ep);
			count_report(j, worker, ip, rec.n_items, ep, rec.n_events);
			if (ip != items)
				free(ip);
		}
		if (j->progress && worker == 0)
			j->progress(j->ctx, "counting", (double)(s + 1) / (double)j->v->n_seg);
	}
}

/* Counts the reports seen in more than one run, each once: the union of its runs' items and
 * of their events. On worker 0's lists, after the runs. rr: those runs (resolve_reports),
 * sorted here. Returns 0 or -1 (memory). */
static int count_repeated(count_job *j, run_of_report *rr, size_t m)
{
	const run_view *v = j->v;
	qsort(rr, m, sizeof *rr, cmp_run_of_report);
	uint32_t *items = NULL, *events = NULL;
	size_t cap = 0;
	int rc = 0;
	for (size_t a = 0; a < m && rc == 0;) {
		size_t b = a, ni = 0, ne = 0;
		for (; b < m && rr[b].first == rr[a].first && rc == 0; b++) {
			const segment *g = &v->seg[view_segment(v, rr[b].run)];
			run_record rec = view_record(v, rr[b].run);
			size_t need = (ni > ne ? ni : ne) + rec.n_items + rec.n_events + 1;
			if (need > cap) {
				size_t ncap = cap;
				if (reserve((void **)&items, &ncap, need, sizeof *items) < 0) {
					rc = -1;
					break;
				}
				uint32_t *ev = realloc(events, ncap * sizeof *ev);
				if (ev == NULL) {
					rc = -1;
					break;
				}
				events = ev;
				cap = ncap;
			}
			record_ids(g, &rec, items + ni, events + ne);
			ni += rec.n_items;
			ne += rec.n_events;
		}
		if (rc == 0) {
			ni = unique_u32(items, ni);
			ne = unique_u32(events, ne);
			count_report(j, 0, items, ni, events, ne);
		}
		a = b;
	}
	free(items);
	free(events);
	return rc == 0 && !j->failed ? 0 : -1;
}

static void count_buckets(void *p, size_t begin, size_t end, unsigned worker_slot)
{
	(void)worker_slot;
	count_job *j = p;
	unsigned workers = parallel_workers();
	for (size_t b = begin; b < end; b++)
		for (unsigned w = 0; w < workers; w++) {
			const cell_buf *cb = &j->cells[(size_t)w * j->buckets + b];
			for (size_t k = 0; k < cb->n; k++)
				j->dense[cb->cell[k]]++;
		}
}

/* The dense matrix's nonzero cells as pairs, item by item, on every core: blocks of
 * EXTRACT_ITEMS rows are counted, then filled from where their pairs start. */
enum { EXTRACT_ITEMS = 32 };

typedef struct extract_job {
	const uint32_t *dense;
	signal_table *t;
	size_t blocks;
	size_t *start;   /* [blocks]: each block's pair count, then its first pair */
} extract_job;

static void extract_count(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	extract_job *j = p;
	size_t ne = j->t->n_events;
	for (size_t b = begin; b < end; b++) {
		size_t i1 = (b + 1) * EXTRACT_ITEMS < j->t->n_items ? (b + 1) * EXTRACT_ITEMS : j->t->n_items, n = 0;
		for (size_t k = b * EXTRACT_ITEMS * ne; k < i1 * ne; k++)
			n += j->dense[k] != 0;
		j->start[b] = n;
	}
}

static void extract_fill(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	extract_job *j = p;
	uint32_t ne = j->t->n_events;
	for (size_t b = begin; b < end; b++) {
		uint32_t i1 = (b + 1) * EXTRACT_ITEMS < j->t->n_items ? (uint32_t)((b + 1) * EXTRACT_ITEMS) : j->t->n_items;
		size_t m = j->start[b];
		for (uint32_t i = (uint32_t)(b * EXTRACT_ITEMS); i < i1; i++)
			for (uint32_t e = 0; e < ne; e++)
				if (j->dense[(size_t)i * ne + e])
					j->t->pairs[m++] = (signal_pair){i, e, j->dense[(size_t)i * ne + e]};
	}
}

void signal_table_free(signal_table *t)
{
	if (t == NULL)
		return;
	free(t->item_names);
	free(t->event_names);
	free(t->item_arena);
	free(t->event_arena);
	free(t->item_reports);
	free(t->event_reports);
	free(t->pairs);
	free(t);
}

signal_table *signal_counter_finish(signal_counter *c, signal_progress_fn progress, void *ctx)
{
	signal_table *t = NULL;
	count_job job = {0};
	pair_counts pc = {0};
	run_view v = {0};
	run_of_report *found = NULL;
	size_t n_found = 0;
	unsigned char *repeated = NULL;
	if (c == NULL || c->n_rows == 0 || end_run(c) < 0)
		goto fail;
	if (c->parts != NULL) {
		v.seg = c->parts;
		v.n_seg = c->n_parts;
	} else {
		v.seg = &c->own;
		v.n_seg = 1;
	}
	v.base = malloc((v.n_seg + 1) * sizeof *v.base);
	if (v.base == NULL)
		goto fail;
	for (size_t s = 0; s < v.n_seg; s++) {
		v.base[s] = v.n_runs;
		v.n_runs += v.seg[s].n_runs;
	}
	v.base[v.n_seg] = v.n_runs;
	repeated = malloc(v.n_runs + 1);
	int64_t reports = repeated ? resolve_reports(&v, repeated, &found, &n_found) : -1;
	if (reports < 0)
		goto fail;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		goto fail;
	t->reports = (uint32_t)reports;
	t->n_items = c->items.n;
	t->n_events = c->events.n;
	t->item_reports = calloc((size_t)t->n_items + 1, sizeof *t->item_reports);
	t->event_reports = calloc((size_t)t->n_events + 1, sizeof *t->event_reports);
	if (t->item_reports == NULL || t->event_reports == NULL)
		goto fail;
	size_t cells = (size_t)t->n_items * t->n_events;
	job = (count_job){.v = &v, .repeated = repeated, .t = t, .progress = progress, .ctx = ctx};
	unsigned workers = parallel_workers();
	if (cells <= DENSE_CELLS_MAX) {
		job.bucket_cells = BUCKET_CELLS;
		job.buckets = cells / BUCKET_CELLS + 1;
		job.dense = calloc(cells + 1, sizeof *job.dense);
		job.cells = calloc((size_t)workers * job.buckets, sizeof *job.cells);
		job.item_margin = calloc((size_t)workers * t->n_items + 1, sizeof *job.item_margin);
		job.event_margin = calloc((size_t)workers * t->n_events + 1, sizeof *job.event_margin);
	}
	if (job.dense != NULL && job.cells != NULL && job.item_margin != NULL && job.event_margin != NULL) {
		parallel_for(v.n_seg, 1, count_segments, &job, NULL, NULL);
		if (!job.failed && n_found && count_repeated(&job, found, n_found) < 0)
			job.failed = true;
		if (!job.failed)
			parallel_for(job.buckets, 1, count_buckets, &job, NULL, NULL);
		for (unsigned w = 0; w < workers; w++) {
			for (uint32_t i = 0; i < t->n_items; i++)
				t->item_reports[i] += job.item_margin[(size_t)w * t->n_items + i];
			for (uint32_t e = 0; e < t->n_events; e++)
				t->event_reports[e] += job.event_margin[(size_t)w * t->n_events + e];
		}
	} else {
		/* too many cells for a matrix (or no memory for one): one shared table, one worker */
		free(job.dense);
		free(job.cells);
		free(job.item_margin);
		free(job.event_margin);
		job.dense = NULL;
		job.cells = NULL;
		job.item_margin = t->item_reports;
		job.event_margin = t->event_reports;
		if (pairs_grow(&pc) < 0)
			goto fail;
		job.pairs = &pc;
		count_segments(&job, 0, v.n_seg, 0);
		if (!job.failed && n_found && count_repeated(&job, found, n_found) < 0)
			job.failed = true;
		job.item_margin = job.event_margin = NULL;
	}
	if (job.failed)
		goto fail;
	if (progress)
		progress(ctx, "counting", 1.0);
	size_t n_pairs = 0;
	extract_job ej = {job.dense, t, (t->n_items + EXTRACT_ITEMS - 1) / EXTRACT_ITEMS, NULL};
	if (job.dense) {
		ej.start = calloc(ej.blocks + 1, sizeof *ej.start);
		if (ej.start == NULL)
			goto fail;
		parallel_for(ej.blocks, 1, extract_count, &ej, NULL, NULL);
		for (size_t b = 0; b < ej.blocks; b++) {   /* counts → where each block's pairs start */
			size_t in_block = ej.start[b];
			ej.start[b] = n_pairs;
			n_pairs += in_block;
		}
	} else {
		n_pairs = pc.n;
	}
	t->n_pairs = n_pairs;
	t->pairs = malloc((n_pairs + 1) * sizeof *t->pairs);
	if (t->pairs == NULL) {
		free(ej.start);
		goto fail;
	}
	size_t m = n_pairs;
	if (job.dense) {
		parallel_for(ej.blocks, 1, extract_fill, &ej, NULL, NULL);
		free(ej.start);
	} else {
		m = 0;
		for (size_t s = 0; s <= pc.mask; s++)
			if (pc.count[s])
				t->pairs[m++] = (signal_pair){(uint32_t)(pc.key[s] >> 32), (uint32_t)pc.key[s], pc.count[s]};
	}
	assert(m == n_pairs);
	t->item_names = names_export(&c->items, &t->item_arena);
	t->event_names = t->item_names ? names_export(&c->events, &t->event_arena) : NULL;
	if (t->event_names == NULL)
		goto fail;
	goto done;
fail:
	signal_table_free(t);
	t = NULL;
done:
	free(job.dense);
	for (size_t k = 0; job.cells && k < (size_t)parallel_workers() * job.buckets; k++)
		free(job.cells[k].cell);
	free(job.cells);
	free(job.item_margin);
	free(job.event_margin);
	free(pc.key);
	free(pc.count);
	free(v.base);
	free(found);
	free(repeated);
	signal_counter_free(c);
	return t;
}
