/* Counting 2×2 tables at registry scale (safety_signal.h, "counting").
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
#include "core/safety_signal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "core/safety_signal_counter.h"
#include "core/safety_signal_internal.h"

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
const char **signal_names_export(name_table *t, char **arena)
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

void signal_segment_free(segment *g)
{
	free(g->arena);
	free(g->run_mark);
	free(g->run_hash);
	free(g->item_map);
	free(g->event_map);
	memset(g, 0, sizeof *g);
}


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
	signal_segment_free(&c->own);
	for (size_t k = 0; k < c->n_parts; k++)
		signal_segment_free(&c->parts[k]);
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

int signal_reserve(void **p, size_t *cap, size_t need, size_t size)
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
	return cmp_u64(*(const uint32_t *)x, *(const uint32_t *)y);
}

size_t signal_unique_u32(uint32_t *v, size_t n)
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

/* Packs ids[0..n) at p, four bytes each when wide, else two (packed_id reads them); returns
 * the end. */
static unsigned char *put_ids(unsigned char *p, const uint32_t *ids, size_t n, bool wide)
{
	for (size_t k = 0; k < n; k++) {
		if (wide) {
			memcpy(p, &ids[k], 4);
			p += 4;
		} else {
			uint16_t v = (uint16_t)ids[k];
			memcpy(p, &v, 2);
			p += 2;
		}
	}
	return p;
}

/* Ends the run being read: its items and events, each without repeats, become a record. */
int signal_counter_end_run(signal_counter *c)
{
	if (!c->in_run)
		return 0;
	segment *g = &c->own;
	size_t ni = c->run_n_items, ne = c->run_n_events;
	if (c->run_rows > RUN_SCAN_MAX) {
		ni = signal_unique_u32(c->run_items, ni);
		ne = signal_unique_u32(c->run_events, ne);
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
		    signal_reserve((void **)&g->arena, &g->arena_cap, g->arena_len + bytes + 16, 1) < 0 ||
		    signal_reserve((void **)&g->run_hash, &g->runs_cap, g->n_runs + 1, sizeof *g->run_hash) < 0 ||
		    signal_reserve((void **)&g->run_mark, &g->marks_cap, g->n_runs / RUN_MARK + 1, sizeof *g->run_mark) < 0)
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
	p = put_ids(p, c->run_items, ni, form & RECORD_WIDE_ITEMS);
	p = put_ids(p, c->run_events, ne, form & RECORD_WIDE_EVENTS);
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
		if (signal_counter_end_run(c) < 0)
			goto oom;
		if (report_len > 16)   /* a short id is its key */
			memcpy(c->run_name, report, report_len);
		c->run_key = rk;
		c->run_len = report_len;
		c->in_run = true;
	}
	if (__builtin_expect(c->run_rows >= c->run_cap, 0)) {
		size_t cap = c->run_cap;
		if (signal_reserve((void **)&c->run_items, &cap, c->run_rows + 1, sizeof *c->run_items) < 0)
			goto oom;
		uint32_t *ev = realloc(c->run_events, cap * sizeof *ev);
		if (ev == NULL)
			goto oom;   /* run_items grew alone: run_cap stays, so it grows again next time */
		c->run_events = ev;
		c->run_cap = cap;
	}
	/* Repeats are left out as rows come while the run is short (a scan of a few ids); a long
	 * run keeps them, and signal_counter_end_run sorts them out. */
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
		ok = src->parts == NULL && signal_counter_end_run(src) == 0;
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

