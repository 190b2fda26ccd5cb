/* Building the 2×2 tables from a counter (safety_signal.h, signal_counter_finish): runs of the
 * same report found by hashing, each report counted once, pairs counted on every core. The
 * design is described in safety_signal_count.c. */
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
	return cmp_u64_pair(a->first, a->run, b->first, b->run);
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
	if (signal_reserve((void **)&j->found[worker], &j->found_cap[worker], j->found_n[worker] + 1, sizeof(run_of_report)) < 0) {
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
	if (__builtin_expect(b->n >= b->cap, 0) && signal_reserve((void **)&b->cell, &b->cap, b->n + 1, sizeof *b->cell) < 0) {
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
				if (signal_reserve((void **)&items, &ncap, need, sizeof *items) < 0) {
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
			ni = signal_unique_u32(items, ni);
			ne = signal_unique_u32(events, ne);
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

/* The counter's runs, over all its segments, as one view. Returns 0, or -1 when memory runs
 * out. */
static int view_make(signal_counter *c, run_view *v)
{
	if (c->parts != NULL) {
		v->seg = c->parts;
		v->n_seg = c->n_parts;
	} else {
		v->seg = &c->own;
		v->n_seg = 1;
	}
	v->base = malloc((v->n_seg + 1) * sizeof *v->base);
	if (v->base == NULL)
		return -1;
	for (size_t s = 0; s < v->n_seg; s++) {
		v->base[s] = v->n_runs;
		v->n_runs += v->seg[s].n_runs;
	}
	v->base[v->n_seg] = v->n_runs;
	return 0;
}

/* Counts every report's pairs and margins into job->t: in the dense matrix on every core when
 * it fits and memory allows, else in *pc on one thread. What it allocates stays in job and pc
 * for the caller to free. Returns 0, or -1 when memory runs out. */
static int count_pairs(count_job *job, pair_counts *pc, run_of_report *found, size_t n_found)
{
	signal_table *t = job->t;
	size_t cells = (size_t)t->n_items * t->n_events;
	unsigned workers = parallel_workers();
	if (cells <= DENSE_CELLS_MAX) {
		job->bucket_cells = BUCKET_CELLS;
		job->buckets = cells / BUCKET_CELLS + 1;
		job->dense = calloc(cells + 1, sizeof *job->dense);
		job->cells = calloc((size_t)workers * job->buckets, sizeof *job->cells);
		job->item_margin = calloc((size_t)workers * t->n_items + 1, sizeof *job->item_margin);
		job->event_margin = calloc((size_t)workers * t->n_events + 1, sizeof *job->event_margin);
	}
	if (job->dense != NULL && job->cells != NULL && job->item_margin != NULL && job->event_margin != NULL) {
		parallel_for(job->v->n_seg, 1, count_segments, job, NULL, NULL);
		if (!job->failed && n_found && count_repeated(job, found, n_found) < 0)
			job->failed = true;
		if (!job->failed)
			parallel_for(job->buckets, 1, count_buckets, job, NULL, NULL);
		for (unsigned w = 0; w < workers; w++) {
			for (uint32_t i = 0; i < t->n_items; i++)
				t->item_reports[i] += job->item_margin[(size_t)w * t->n_items + i];
			for (uint32_t e = 0; e < t->n_events; e++)
				t->event_reports[e] += job->event_margin[(size_t)w * t->n_events + e];
		}
	} else {
		/* too many cells for a matrix (or no memory for one): one shared table, one worker */
		free(job->dense);
		free(job->cells);
		free(job->item_margin);
		free(job->event_margin);
		job->dense = NULL;
		job->cells = NULL;
		job->item_margin = job->event_margin = NULL;
		if (pairs_grow(pc) < 0)   /* before the margins alias t's: the caller frees both */
			return -1;
		job->item_margin = t->item_reports;
		job->event_margin = t->event_reports;
		job->pairs = pc;
		count_segments(job, 0, job->v->n_seg, 0);
		if (!job->failed && n_found && count_repeated(job, found, n_found) < 0)
			job->failed = true;
		job->item_margin = job->event_margin = NULL;
	}
	return job->failed ? -1 : 0;
}

/* Lists the pairs counted by count_pairs in t->pairs. Returns 0, or -1 when memory runs out. */
static int list_pairs(const count_job *job, const pair_counts *pc, signal_table *t)
{
	size_t n_pairs = 0;
	extract_job ej = {job->dense, t, (t->n_items + EXTRACT_ITEMS - 1) / EXTRACT_ITEMS, NULL};
	if (job->dense) {
		ej.start = calloc(ej.blocks + 1, sizeof *ej.start);
		if (ej.start == NULL)
			return -1;
		parallel_for(ej.blocks, 1, extract_count, &ej, NULL, NULL);
		for (size_t b = 0; b < ej.blocks; b++) {   /* counts → where each block's pairs start */
			size_t in_block = ej.start[b];
			ej.start[b] = n_pairs;
			n_pairs += in_block;
		}
	} else {
		n_pairs = pc->n;
	}
	t->n_pairs = n_pairs;
	t->pairs = malloc((n_pairs + 1) * sizeof *t->pairs);
	if (t->pairs == NULL) {
		free(ej.start);
		return -1;
	}
	size_t m = n_pairs;
	if (job->dense) {
		parallel_for(ej.blocks, 1, extract_fill, &ej, NULL, NULL);
		free(ej.start);
	} else {
		m = 0;
		for (size_t s = 0; s <= pc->mask; s++)
			if (pc->count[s])
				t->pairs[m++] = (signal_pair){(uint32_t)(pc->key[s] >> 32), (uint32_t)pc->key[s], pc->count[s]};
	}
	assert(m == n_pairs);
	return 0;
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
	if (c == NULL || c->n_rows == 0 || signal_counter_end_run(c) < 0 || view_make(c, &v) < 0)
		goto fail;
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
	job = (count_job){.v = &v, .repeated = repeated, .t = t, .progress = progress, .ctx = ctx};
	if (count_pairs(&job, &pc, found, n_found) < 0)
		goto fail;
	if (progress)
		progress(ctx, "counting", 1.0);
	if (list_pairs(&job, &pc, t) < 0)
		goto fail;
	t->item_names = signal_names_export(&c->items, &t->item_arena);
	t->event_names = t->item_names ? signal_names_export(&c->events, &t->event_arena) : NULL;
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

