/* Counting 2×2 tables at registry scale (signal.h, "counting").
 *
 * Rows arrive as (report, item, event) strings. Items and events are interned to dense ids
 * with open-addressing hash tables (a few thousand names: they stay in cache). Report ids are
 * not interned as they come — at ten million distinct reports that table is what costs —
 * but cut into runs, a run being consecutive rows with the same report id, and each run's id
 * is kept once in an append-only arena with its hash. Rows are kept as (run, item, event),
 * three 32-bit ids.
 *
 * At finish, runs with the same id (a report whose rows are not all together) are found by
 * bucketing the runs on the top bits of their hash and comparing within a bucket, and only
 * then are rows regrouped by report (a counting sort). Each report's items and events are
 * deduplicated and every item×event pair of the report counted: in a dense item×event matrix
 * when that fits in DENSE_CELLS_MAX cells, else in an open-addressing table keyed by the pair.
 * With the dense matrix, counting runs on every core (core/parallel.h): workers deduplicate
 * reports into their own margins and pair lists bucketed by the part of the matrix the pair
 * falls in, then count bucket by bucket, so no count is written by two threads and the part
 * of the matrix being written stays in cache.
 *
 * signal_counter_join lets readers fill one counter per part of a file and join them in
 * order, copying on every core. */
#include "core/signal.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "core/signal_internal.h"

enum {
	DENSE_CELLS_MAX = 1 << 25,      /* 128 MiB of 32-bit counts */
	RUNS_PER_BUCKET = 2048,
	BUCKET_CELLS = 1 << 18,         /* 1 MiB of the matrix: counted while it sits in cache */
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
	if (__builtin_expect(t->slot == NULL || (uint64_t)t->n * 10 >= ((uint64_t)t->mask + 1) * 7, 0) &&
	    names_grow_slots(t) < 0)
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

typedef struct report_row {
	uint32_t report, item, event;   /* report: the run until finish, then the report */
} report_row;

struct signal_counter {
	name_table items, events;
	report_row *rows;
	size_t n_rows, cap;
	/* runs: run r's report id is run_names + run_offset[r], NUL-terminated */
	char *run_names;
	size_t names_len, names_cap;
	uint64_t *run_offset, *run_hash;
	size_t n_runs, runs_cap;
	name_key last_key;      /* the last run's report id: its key and length */
	size_t last_len;
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
	free(c->rows);
	free(c->run_names);
	free(c->run_offset);
	free(c->run_hash);
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

static size_t run_len(const signal_counter *c, size_t r)
{
	return (r + 1 < c->n_runs ? c->run_offset[r + 1] : c->names_len) - c->run_offset[r] - 1;
}

static bool last_run_is(const signal_counter *c, const char *report, size_t len, name_key k)
{
	if (c->n_runs == 0 || len != c->last_len || !key_same(k, c->last_key))
		return false;
	return len <= 16 || memcmp(c->run_names + c->run_offset[c->n_runs - 1] + 16, report + 16, len - 16) == 0;
}

/* Starts a run for report; the caller has reserved room. */
static int start_run(signal_counter *c, const char *report, size_t len, uint64_t hash)
{
	size_t runs_cap = c->runs_cap;
	if (reserve((void **)&c->run_names, &c->names_cap, c->names_len + len + 1, 1) < 0 ||
	    reserve((void **)&c->run_offset, &runs_cap, c->n_runs + 1, sizeof *c->run_offset) < 0)
		return -1;
	if (runs_cap != c->runs_cap) {
		uint64_t *h = realloc(c->run_hash, runs_cap * sizeof *h);
		if (h == NULL)
			return -1;   /* run_offset grew alone: runs_cap stays, so it grows again next time */
		c->run_hash = h;
		c->runs_cap = runs_cap;
	}
	memcpy(c->run_names + c->names_len, report, len);
	c->run_names[c->names_len + len] = '\0';
	c->run_offset[c->n_runs] = c->names_len;
	c->run_hash[c->n_runs] = hash;
	c->names_len += len + 1;
	c->n_runs++;
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
__attribute__((always_inline)) static inline int add_keyed(signal_counter *c, const char *report, size_t report_len, name_key rk, const char *item,
                            size_t item_len, name_key ik, const char *event, size_t event_len, name_key ek)
{
	if (__builtin_expect(c->n_rows >= c->cap, 0) && reserve((void **)&c->rows, &c->cap, c->n_rows + 1, sizeof *c->rows) < 0)
		goto oom;
	uint32_t i = names_intern_key(&c->items, item, item_len, ik);
	uint32_t e = i == UINT32_MAX ? UINT32_MAX : names_intern_key(&c->events, event, event_len, ek);
	if (e == UINT32_MAX)
		goto oom;
	if (!last_run_is(c, report, report_len, rk)) {
		if (c->n_runs == UINT32_MAX - 1 || start_run(c, report, report_len, key_hash(rk, report, report_len)) < 0)
			goto oom;
		c->last_key = rk;
		c->last_len = report_len;
	}
	c->rows[c->n_rows++] = (report_row){(uint32_t)(c->n_runs - 1), i, e};
	return 0;
oom:
	/* A name interned above stays interned: harmless, as ids without rows count nothing. */
	snprintf(c->error, sizeof c->error, "out of memory after %zu rows", c->n_rows);
	return -1;
}

int signal_counter_add_clean(signal_counter *c, const char *report, size_t report_len, const char *item,
                             size_t item_len, const char *event, size_t event_len)
{
	return add_keyed(c, report, report_len, key_copied(report, report_len), item, item_len, key_copied(item, item_len),
	                 event, event_len, key_copied(event, event_len));
}

int signal_counter_add_padded(signal_counter *c, const char *report, size_t report_len, const char *item,
                              size_t item_len, const char *event, size_t event_len)
{
	return add_keyed(c, report, report_len, key_padded(report, report_len), item, item_len, key_padded(item, item_len),
	                 event, event_len, key_padded(event, event_len));
}

/* What joining needs to know of one part: where its runs, names and rows go in the whole. */
typedef struct join_part {
	signal_counter *c;
	uint32_t *item_map, *event_map;
	size_t first;                 /* 1 when its first run continues the run before it */
	size_t run_base, names_base, row_base;
	uint32_t continued_run;       /* the run it continues, when first = 1 */
} join_part;

typedef struct join_job {
	signal_counter *dst;
	join_part *parts;
} join_job;

static void join_copy(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	join_job *j = p;
	signal_counter *dst = j->dst;
	for (size_t k = begin; k < end; k++) {
		join_part *jp = &j->parts[k];
		signal_counter *src = jp->c;
		size_t names_from = jp->first && src->n_runs > 0 ? (src->n_runs > 1 ? src->run_offset[1] : src->names_len) : 0;
		if (src->names_len > names_from)   /* an empty part has no arena at all */
			memcpy(dst->run_names + jp->names_base, src->run_names + names_from, src->names_len - names_from);
		for (size_t r = jp->first; r < src->n_runs; r++) {
			size_t to = jp->run_base + r - jp->first;
			dst->run_offset[to] = jp->names_base + src->run_offset[r] - names_from;
			dst->run_hash[to] = src->run_hash[r];
		}
		for (size_t i = 0; i < src->n_rows; i++) {
			const report_row *row = &src->rows[i];
			uint32_t run = row->report < jp->first ? jp->continued_run : (uint32_t)(jp->run_base + row->report - jp->first);
			dst->rows[jp->row_base + i] = (report_row){run, jp->item_map[row->item], jp->event_map[row->event]};
		}
		/* copied: given back now, so a join needs little more memory than its result */
		free(jp->c->rows);
		free(jp->c->run_names);
		free(jp->c->run_offset);
		free(jp->c->run_hash);
		jp->c->rows = NULL;
		jp->c->run_names = NULL;
		jp->c->run_offset = jp->c->run_hash = NULL;
	}
}

signal_counter *signal_counter_join(signal_counter **parts, size_t n)
{
	signal_counter *dst = signal_counter_new();
	join_part *jp = calloc(n + 1, sizeof *jp);
	bool ok = dst != NULL && jp != NULL;
	size_t runs = 0, names = 0, rows = 0;
	const char *last_name = NULL;   /* the last run so far: its report id, length and key */
	size_t last_len = 0;
	name_key last_key = {0, 0};
	for (size_t k = 0; ok && k < n; k++) {
		signal_counter *src = parts[k];
		jp[k].c = src;
		jp[k].item_map = malloc(((size_t)src->items.n + 1) * sizeof *jp[k].item_map);
		jp[k].event_map = malloc(((size_t)src->events.n + 1) * sizeof *jp[k].event_map);
		if (jp[k].item_map == NULL || jp[k].event_map == NULL) {
			ok = false;
			break;
		}
		for (uint32_t i = 0; ok && i < src->items.n; i++)
			ok = (jp[k].item_map[i] = names_intern(&dst->items, src->items.arena + src->items.offset[i], names_len(&src->items, i))) !=
			     UINT32_MAX;
		for (uint32_t e = 0; ok && e < src->events.n; e++)
			ok = (jp[k].event_map[e] = names_intern(&dst->events, src->events.arena + src->events.offset[e],
			                                        names_len(&src->events, e))) != UINT32_MAX;
		if (src->n_runs > 0 && last_name && run_len(src, 0) == last_len && memcmp(src->run_names, last_name, last_len) == 0) {
			jp[k].first = 1;
			jp[k].continued_run = (uint32_t)(runs - 1);
		}
		jp[k].run_base = runs;
		jp[k].names_base = names;
		jp[k].row_base = rows;
		size_t names_from = jp[k].first ? (src->n_runs > 1 ? src->run_offset[1] : src->names_len) : 0;
		runs += src->n_runs - jp[k].first;
		names += src->names_len - names_from;
		rows += src->n_rows;
		if (src->n_runs > 0) {
			last_name = src->run_names + src->run_offset[src->n_runs - 1];
			last_len = run_len(src, src->n_runs - 1);
			last_key = src->last_key;
		}
	}
	if (ok && runs >= UINT32_MAX - 1)
		ok = false;
	if (ok) {
		dst->rows = malloc((rows + 1) * sizeof *dst->rows);
		dst->run_names = malloc(names + 1);
		dst->run_offset = malloc((runs + 1) * sizeof *dst->run_offset);
		dst->run_hash = malloc((runs + 1) * sizeof *dst->run_hash);
		ok = dst->rows && dst->run_names && dst->run_offset && dst->run_hash;

		dst->cap = rows + 1;
		dst->names_cap = names + 1;
		dst->runs_cap = runs + 1;
	}
	if (ok) {
		join_job job = {dst, jp};
		parallel_for(n, 1, join_copy, &job, NULL, NULL);
		dst->n_rows = rows;
		dst->n_runs = runs;
		dst->names_len = names;
		dst->last_key = last_key;
		dst->last_len = last_len;
	}
	for (size_t k = 0; jp && k < n; k++) {
		free(jp[k].item_map);
		free(jp[k].event_map);
	}
	free(jp);
	for (size_t k = 0; k < n; k++)
		signal_counter_free(parts[k]);
	if (!ok) {
		signal_counter_free(dst);
		return NULL;
	}
	return dst;
}

/* ---------------------------------------------------------------- finding each run's report */

typedef struct dedup_job {
	const signal_counter *c;
	const uint32_t *order;       /* run ids sorted by bucket */
	const size_t *bucket_start;  /* [buckets + 1] */
	int shift;
	uint32_t *report_of_run;     /* the first run with the same report id */
	uint32_t **scratch;          /* per worker */
	size_t *scratch_cap;
	bool failed, any_repeat;
} dedup_job;

static void dedup_buckets(void *p, size_t begin, size_t end, unsigned worker)
{
	dedup_job *j = p;
	const signal_counter *c = j->c;
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
		uint32_t *slot = j->scratch[worker];   /* run + 1, 0 empty */
		memset(slot, 0, cap * sizeof *slot);
		for (size_t k = lo; k < lo + n; k++) {
			uint32_t run = j->order[k];
			uint64_t h = c->run_hash[run];
			size_t s = (size_t)(h & (cap - 1));
			for (;; s = (s + 1) & (cap - 1)) {
				if (slot[s] == 0) {
					slot[s] = run + 1;
					break;
				}
				uint32_t other = slot[s] - 1;
				if (c->run_hash[other] == h && strcmp(c->run_names + c->run_offset[other], c->run_names + c->run_offset[run]) == 0) {
					/* order keeps runs ascending within a bucket: other is the first */
					j->report_of_run[run] = j->report_of_run[other];
					j->any_repeat = true;
					break;
				}
			}
		}
	}
}

typedef struct bucket_job {
	const uint64_t *hash;
	size_t nr, slices;
	int bits, shift;
	size_t buckets;
	size_t *hist;              /* [slice × buckets]: counts, then each slice's next place */
	uint32_t *order, *report_of_run;
} bucket_job;

static size_t bucket_of(const bucket_job *j, size_t r)
{
	return j->bits ? (size_t)(j->hash[r] >> j->shift) : 0;
}

static void bucket_count(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	bucket_job *j = p;
	for (size_t sl = begin; sl < end; sl++) {
		size_t r0 = j->nr * sl / j->slices, r1 = j->nr * (sl + 1) / j->slices;
		size_t *h = j->hist + sl * j->buckets;
		for (size_t r = r0; r < r1; r++) {
			j->report_of_run[r] = (uint32_t)r;
			h[bucket_of(j, r)]++;
		}
	}
}

static void bucket_place(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	bucket_job *j = p;
	for (size_t sl = begin; sl < end; sl++) {
		size_t r0 = j->nr * sl / j->slices, r1 = j->nr * (sl + 1) / j->slices;
		size_t *next = j->hist + sl * j->buckets;
		for (size_t r = r0; r < r1; r++)
			j->order[next[bucket_of(j, r)]++] = (uint32_t)r;
	}
}

/* Sets every row's report to a dense report id and groups the rows by report when some report
 * came in more than one run. Returns the number of reports, or -1 (memory). */
static int64_t resolve_reports(signal_counter *c)
{
	size_t nr = c->n_runs;
	int bits = 0;
	while (bits < 20 && ((size_t)1 << bits) * RUNS_PER_BUCKET < nr)
		bits++;
	size_t buckets = (size_t)1 << bits;
	int shift = 64 - bits;
	uint32_t *report_of_run = malloc((nr + 1) * sizeof *report_of_run), *order = malloc((nr + 1) * sizeof *order);
	size_t *start = calloc(buckets + 1, sizeof *start);
	uint32_t *scratch[PARALLEL_MAX_WORKERS] = {0};
	size_t scratch_cap[PARALLEL_MAX_WORKERS] = {0};
	int64_t result = -1;
	if (report_of_run == NULL || order == NULL || start == NULL)
		goto done;
	/* A counting sort of the runs by bucket, on every core: each slice of runs counts its
	 * buckets, the offsets put slice 0's runs of a bucket first, and each slice places its own,
	 * so within a bucket runs stay in ascending order (dedup_buckets relies on it). */
	size_t slices = (size_t)parallel_workers() * 4;
	size_t *hist = calloc(slices * buckets + 1, sizeof *hist);
	if (hist == NULL)
		goto done;
	bucket_job bj = {c->run_hash, nr, slices, bits, shift, buckets, hist, order, report_of_run};
	parallel_for(slices, 1, bucket_count, &bj, NULL, NULL);
	size_t sum = 0;
	for (size_t b = 0; b < buckets; b++) {
		start[b] = sum;
		for (size_t sl = 0; sl < slices; sl++) {
			size_t n_in = hist[sl * buckets + b];
			hist[sl * buckets + b] = sum;
			sum += n_in;
		}
	}
	start[buckets] = sum;
	parallel_for(slices, 1, bucket_place, &bj, NULL, NULL);
	free(hist);
	dedup_job job = {c, order, start, shift, report_of_run, scratch, scratch_cap, false, false};
	parallel_for(buckets, 1, dedup_buckets, &job, NULL, NULL);
	if (job.failed)
		goto done;
	if (!job.any_repeat) {
		result = (int64_t)nr;   /* one report per run: rows are grouped already */
		goto done;
	}
	/* Dense report ids in order of first appearance, then a stable counting sort of the rows. */
	uint32_t reports = 0;
	for (size_t r = 0; r < nr; r++)
		report_of_run[r] = report_of_run[r] == r ? reports++ : report_of_run[report_of_run[r]];
	size_t *rstart = calloc((size_t)reports + 1, sizeof *rstart);
	report_row *sorted = malloc((c->n_rows + 1) * sizeof *sorted);
	if (rstart == NULL || sorted == NULL) {
		free(rstart);
		free(sorted);
		goto done;
	}
	for (size_t i = 0; i < c->n_rows; i++) {
		c->rows[i].report = report_of_run[c->rows[i].report];
		rstart[c->rows[i].report + 1]++;
	}
	for (uint32_t r = 0; r < reports; r++)
		rstart[r + 1] += rstart[r];
	for (size_t i = 0; i < c->n_rows; i++)
		sorted[rstart[c->rows[i].report]++] = c->rows[i];
	free(rstart);
	free(c->rows);
	c->rows = sorted;
	result = reports;
done:
	for (unsigned w = 0; w < PARALLEL_MAX_WORKERS; w++)
		free(scratch[w]);
	free(report_of_run);
	free(order);
	free(start);
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

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* Sorts v[0..n) and removes repeats; returns the new length. */
static size_t unique_u32(uint32_t *v, size_t n)
{
	if (n < 2)
		return n;
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

/* A growable array of matrix cells (item × n_events + event). */
typedef struct cell_buf {
	uint32_t *cell;
	size_t n, cap;
} cell_buf;

typedef struct count_job {
	const report_row *rows;
	size_t n_rows;
	signal_table *t;
	/* dense counting: the matrix, cut into buckets of bucket_cells cells */
	uint32_t *dense;
	size_t buckets, bucket_cells;
	cell_buf *cells;                        /* [worker × buckets]: the pairs each worker saw */
	uint32_t *item_margin, *event_margin;   /* [worker × n_items], [worker × n_events] */
	/* sparse counting */
	pair_counts *pairs;
	bool failed;
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
	cell_buf *b = &j->cells[(size_t)worker * j->buckets + cell / j->bucket_cells];
	if (reserve((void **)&b->cell, &b->cap, b->n + 1, sizeof *b->cell) < 0) {
		j->failed = true;
		return;
	}
	b->cell[b->n++] = cell;
}

/* Deduplicates each report that starts in [begin, end) (a report may run past end), counts
 * its items and events in the worker's margins and notes each item×event pair: in the
 * worker's buffer for the pair's bucket of the matrix, counted afterwards bucket by bucket so
 * that the part of the matrix being written stays in cache. */
static void count_reports(void *p, size_t begin, size_t end, unsigned worker)
{
	count_job *j = p;
	const report_row *rows = j->rows;
	uint32_t *item_margin = j->item_margin + (size_t)worker * j->t->n_items;
	uint32_t *event_margin = j->event_margin + (size_t)worker * j->t->n_events;
	uint32_t items[16], events[16];
	size_t i = begin;
	while (i > 0 && i < j->n_rows && rows[i].report == rows[i - 1].report)
		i++;
	while (i < end && i < j->n_rows && !j->failed) {
		size_t e = i + 1;
		while (e < j->n_rows && rows[e].report == rows[i].report)
			e++;
		size_t k = e - i;
		uint32_t *ip = items, *ep = events;
		if (k > 16) {   /* a long report: heap buffers for it alone */
			ip = malloc(k * sizeof *ip);
			ep = malloc(k * sizeof *ep);
			if (ip == NULL || ep == NULL) {
				free(ip);
				free(ep);
				j->failed = true;
				return;
			}
		}
		for (size_t r = 0; r < k; r++) {
			ip[r] = rows[i + r].item;
			ep[r] = rows[i + r].event;
		}
		size_t ni = unique_u32(ip, k), ne = unique_u32(ep, k);
		for (size_t y = 0; y < ne; y++)
			event_margin[ep[y]]++;
		for (size_t x = 0; x < ni; x++) {
			item_margin[ip[x]]++;
			for (size_t y = 0; y < ne; y++)
				note_pair(j, worker, ip[x], ep[y]);
		}
		if (ip != items) {
			free(ip);
			free(ep);
		}
		i = e;
	}
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

static void count_progress(void *p, double fraction)
{
	count_job *j = p;
	if (j->progress)
		j->progress(j->ctx, "counting", fraction);
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
	if (c == NULL || c->n_rows == 0)
		goto fail;
	int64_t reports = resolve_reports(c);
	if (reports < 0)
		goto fail;
	free(c->run_names);   /* the report ids are no longer needed */
	free(c->run_offset);
	free(c->run_hash);
	c->run_names = NULL;
	c->run_offset = c->run_hash = NULL;
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
	job = (count_job){.rows = c->rows, .n_rows = c->n_rows, .t = t, .progress = progress, .ctx = ctx};
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
		parallel_for(c->n_rows, 0, count_reports, &job, count_progress, &job);
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
		count_reports(&job, 0, c->n_rows, 0);
		job.item_margin = job.event_margin = NULL;
		count_progress(&job, 1.0);
	}
	if (job.failed)
		goto fail;
	size_t n_pairs = 0;
	if (job.dense) {
		for (size_t k = 0; k < cells; k++)
			n_pairs += job.dense[k] != 0;
	} else {
		n_pairs = pc.n;
	}
	t->n_pairs = n_pairs;
	t->pairs = malloc((n_pairs + 1) * sizeof *t->pairs);
	if (t->pairs == NULL)
		goto fail;
	size_t m = 0;
	if (job.dense) {
		for (uint32_t i = 0; i < t->n_items; i++)
			for (uint32_t e = 0; e < t->n_events; e++)
				if (job.dense[(size_t)i * t->n_events + e])
					t->pairs[m++] = (signal_pair){i, e, job.dense[(size_t)i * t->n_events + e]};
	} else {
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
	signal_counter_free(c);
	return t;
}
