/* Scoring and ranking every pair of a table (safety_signal.h, "everything, ranked"), and the
 * one rule that picks the MGPS prior.
 *
 * Scoring runs on every core (core/parallel.h); what depends only on the count n — ln Γ, ψ
 * and each posterior component's own quantiles at rate 1 — is computed once per distinct n.
 */
#include "core/safety_signal.h"

#include "core/parallel.h"
#include "core/safety_signal_internal.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- ranking */

/* Rows compared as the ranking orders them: EB05 descending, then EBGM, then a, then names. */
typedef struct rank_ctx {
	const signal_table *t;
	const signal_row *rows;
} rank_ctx;

static int cmp_rank(const void *x, const void *y, void *ctx)
{
	const rank_ctx *c = ctx;
	const signal_row *ra = &c->rows[*(const uint32_t *)x], *rb = &c->rows[*(const uint32_t *)y];
	if (ra->mgps.eb05 != rb->mgps.eb05)
		return ra->mgps.eb05 > rb->mgps.eb05 ? -1 : 1;
	if (ra->mgps.ebgm != rb->mgps.ebgm)
		return ra->mgps.ebgm > rb->mgps.ebgm ? -1 : 1;
	if (ra->a != rb->a)
		return ra->a > rb->a ? -1 : 1;
	int k = strcmp(c->t->item_names[ra->item], c->t->item_names[rb->item]);
	if (k)
		return k;
	return strcmp(c->t->event_names[ra->event], c->t->event_names[rb->event]);
}

/* The distinct counts of the rows, each with its count_terms; looked up by open addressing. */
typedef struct count_index {
	uint32_t *slot_count;   /* the count + 1 in a slot, 0 when empty */
	uint32_t *slot_term;    /* the index into terms */
	size_t mask;
	count_terms *terms;
	size_t n;
} count_index;

static const count_terms *count_index_get(const count_index *ci, uint32_t a)
{
	size_t j = (size_t)(mix64(a) & ci->mask);
	while (ci->slot_count[j] != a + 1)
		j = (j + 1) & ci->mask;
	return &ci->terms[ci->slot_term[j]];
}

typedef struct score_job {
	const signal_table *t;
	const signal_prior *prior;
	count_index *counts;
	signal_row *rows;
	signal_progress_fn progress;
	void *ctx;
	prior_terms prior_terms;
} score_job;

/* EB05 as an unsigned key in descending order (a larger EB05 first): the IEEE bits with the
 * sign handled are ascending in the value, then complemented. */
static uint64_t eb05_key(double x)
{
	if (isnan(x))
		return UINT64_MAX;
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	u = u >> 63 ? ~u : u | UINT64_C(1) << 63;
	return ~u;
}

/* Ranking: a radix sort on the top 44 bits of EB05's key (four passes of 11 bits, whose counts
 * stay in the first-level cache), then each run of equal partial keys — few, and short — by
 * the whole comparison. Above RANK_SPLIT rows the two halves are sorted on two cores and
 * merged. */
enum { RANK_DIGIT_BITS = 11, RANK_DIGITS = 1 << RANK_DIGIT_BITS, RANK_PASSES = 4,
       RANK_LOW_BITS = 64 - RANK_PASSES * RANK_DIGIT_BITS, RANK_SPLIT = 2048 };

typedef struct radix_item {
	uint64_t key;   /* the top bits of EB05's key */
	uint32_t at;    /* the row */
} radix_item;

static int cmp_rank_item(const void *x, const void *y, void *ctx)
{
	return cmp_rank(&((const radix_item *)x)->at, &((const radix_item *)y)->at, ctx);
}

typedef struct rank_job {
	rank_ctx ctx;
	radix_item *a, *b;   /* the items, and as many for scratch */
	size_t half;         /* [0, half) and [half, n) */
	size_t n;
} rank_job;

/* Sorts a[0..n) (scratch b) fully by cmp_rank; the result is in a (an even number of passes). */
static void rank_items(const rank_ctx *ctx, radix_item *a, radix_item *b, size_t n)
{
	for (int pass = 0; pass < RANK_PASSES; pass++) {
		int shift = pass * RANK_DIGIT_BITS;
		size_t count[RANK_DIGITS] = {0};
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & (RANK_DIGITS - 1)]++;
		size_t sum = 0;
		for (size_t d = 0; d < RANK_DIGITS; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].key >> shift) & (RANK_DIGITS - 1)]++] = a[i];
		radix_item *swap = a;
		a = b;
		b = swap;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].key == a[i].key)
			j++;
		if (j - i > 1)
			qsort_r(a + i, j - i, sizeof *a, cmp_rank_item, (void *)(uintptr_t)ctx);
		i = j;
	}
}

static void rank_halves(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	rank_job *j = p;
	for (size_t h = begin; h < end; h++) {
		size_t lo = h ? j->half : 0, hi = h ? j->n : j->half;
		rank_items(&j->ctx, j->a + lo, j->b + lo, hi - lo);
	}
}

/* The order of rows[0..n) by cmp_rank, in order[0..n). Returns 0, or -1 when memory runs
 * out. */
static int rank_sort(const signal_table *t, const signal_row *rows, uint32_t *order, size_t n)
{
	radix_item *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (radix_item){eb05_key(rows[i].mgps.eb05) >> RANK_LOW_BITS, (uint32_t)i};
	rank_job job = {{t, rows}, a, b, n < RANK_SPLIT ? n : n / 2, n};
	parallel_for(job.half < n ? 2 : 1, 1, rank_halves, &job, NULL, NULL);
	/* merge the halves: by the partial key, and on a tie by the whole comparison */
	size_t x = 0, y = job.half, k = 0;
	while (x < job.half && y < n) {
		bool first = a[x].key != a[y].key ? a[x].key < a[y].key : cmp_rank(&a[x].at, &a[y].at, &job.ctx) <= 0;
		order[k++] = first ? a[x++].at : a[y++].at;
	}
	while (x < job.half)
		order[k++] = a[x++].at;
	while (y < n)
		order[k++] = a[y++].at;
	free(a);
	free(b);
	return 0;
}

static void score_terms(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	score_job *j = p;
	for (size_t i = begin; i < end; i++)
		signal_count_terms_make(j->prior, j->counts->terms[i].n, true, &j->counts->terms[i]);
}

static void score_rows(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	score_job *j = p;
	for (size_t i = begin; i < end; i++) {
		signal_row *r = &j->rows[i];
		const count_terms *ct = count_index_get(j->counts, r->a);
		signal_disproportionality_with(r->a, r->b, r->c, r->d, ct->ic_025, ct->ic_975, &r->stats);
		signal_mgps_score_terms(j->prior, &j->prior_terms, ct, r->stats.expected, &r->mgps);
	}
}

static void score_progress(void *p, double fraction)
{
	score_job *j = p;
	j->progress(j->ctx, "scoring", fraction);
}

/* Indexes the distinct counts of rows[0..n) with room for their terms. Returns 0 or -1. */
static int count_index_grow(count_index *ci)
{
	size_t cap = ci->mask ? 2 * (ci->mask + 1) : 1024;
	uint32_t *slot_count = calloc(cap, sizeof *slot_count), *slot_term = malloc(cap * sizeof *slot_term);
	if (slot_count == NULL || slot_term == NULL) {
		free(slot_count);
		free(slot_term);
		return -1;
	}
	for (size_t j = 0; ci->mask && j <= ci->mask; j++) {
		if (ci->slot_count[j] == 0)
			continue;
		size_t r = (size_t)(mix64(ci->slot_count[j] - 1) & (cap - 1));
		while (slot_count[r])
			r = (r + 1) & (cap - 1);
		slot_count[r] = ci->slot_count[j];
		slot_term[r] = ci->slot_term[j];
	}
	free(ci->slot_count);
	free(ci->slot_term);
	ci->slot_count = slot_count;
	ci->slot_term = slot_term;
	ci->mask = cap - 1;
	return 0;
}

static int count_index_build(count_index *ci, const signal_row *rows, size_t n)
{
	memset(ci, 0, sizeof *ci);
	if (count_index_grow(ci) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t key = rows[i].a + 1;
		size_t j = (size_t)(mix64(rows[i].a) & ci->mask);
		while (ci->slot_count[j] && ci->slot_count[j] != key)
			j = (j + 1) & ci->mask;
		if (ci->slot_count[j] != 0)
			continue;
		ci->slot_count[j] = key;
		ci->slot_term[j] = (uint32_t)ci->n++;
		if (ci->n * 2 > ci->mask && count_index_grow(ci) < 0)
			return -1;
	}
	ci->terms = malloc((ci->n + 1) * sizeof *ci->terms);
	if (ci->terms == NULL)
		return -1;
	for (size_t j = 0; j <= ci->mask; j++)
		if (ci->slot_count[j])
			ci->terms[ci->slot_term[j]].n = (double)(ci->slot_count[j] - 1);
	return 0;
}

static void count_index_free(count_index *ci)
{
	free(ci->slot_count);
	free(ci->slot_term);
	free(ci->terms);
}

static void no_progress(void *ctx, const char *phase, double fraction)
{
	(void)ctx;
	(void)phase;
	(void)fraction;
}

enum { ROW_BLOCK = 65536 };

typedef struct row_job {
	const signal_table *t;
	uint32_t min_count;
	signal_row *out;
	size_t blocks;
	size_t *start;   /* [blocks]: each block's row count, then its first row */
} row_job;

static void rows_count(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	row_job *j = p;
	for (size_t b = begin; b < end; b++) {
		size_t i1 = (b + 1) * ROW_BLOCK < j->t->n_pairs ? (b + 1) * ROW_BLOCK : j->t->n_pairs, n = 0;
		for (size_t i = b * ROW_BLOCK; i < i1; i++)
			n += j->t->pairs[i].a >= j->min_count;
		j->start[b] = n;
	}
}

static void rows_fill(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	row_job *j = p;
	const signal_table *t = j->t;
	for (size_t b = begin; b < end; b++) {
		size_t i1 = (b + 1) * ROW_BLOCK < t->n_pairs ? (b + 1) * ROW_BLOCK : t->n_pairs, k = j->start[b];
		for (size_t i = b * ROW_BLOCK; i < i1; i++) {
			const signal_pair *pr = &t->pairs[i];
			if (pr->a < j->min_count)
				continue;
			signal_row *r = &j->out[k++];
			r->item = pr->item;
			r->event = pr->event;
			r->a = pr->a;
			r->b = t->item_reports[pr->item] - pr->a;
			r->c = t->event_reports[pr->event] - pr->a;
			r->d = t->reports - r->a - r->b - r->c;
		}
	}
}

int signal_compute_ranked(const signal_table *t, const signal_prior *prior, uint32_t min_count, signal_row **rows,
                          uint32_t **order, size_t *n_rows, signal_progress_fn progress, void *ctx)
{
	*rows = NULL;
	*order = NULL;
	*n_rows = 0;
	if (min_count == 0)
		min_count = 1;
	/* The rows, in the pairs' order, on every core: blocks of pairs count their rows, then
	 * fill them from where each block's rows start. */
	row_job rj = {t, min_count, NULL, (t->n_pairs + ROW_BLOCK - 1) / ROW_BLOCK, NULL};
	rj.start = calloc(rj.blocks + 1, sizeof *rj.start);
	if (rj.start == NULL)
		return -1;
	parallel_for(rj.blocks, 1, rows_count, &rj, NULL, NULL);
	size_t n = 0;
	for (size_t b = 0; b < rj.blocks; b++) {
		size_t in_block = rj.start[b];
		rj.start[b] = n;
		n += in_block;
	}
	if (n >= UINT32_MAX) {
		free(rj.start);
		return -1;
	}
	signal_row *out = malloc((n + 1) * sizeof *out);
	uint32_t *rank = malloc((n + 1) * sizeof *rank);
	count_index counts = {0};
	if (out == NULL || rank == NULL) {
		free(rj.start);
		goto fail;
	}
	rj.out = out;
	parallel_for(rj.blocks, 1, rows_fill, &rj, NULL, NULL);
	free(rj.start);
	if (count_index_build(&counts, out, n) < 0)
		goto fail;
	score_job job = {t, prior, &counts, out, progress ? progress : no_progress, ctx, signal_prior_terms_make(prior)};
	parallel_for(counts.n, 1, score_terms, &job, NULL, NULL);
	parallel_for(n, 0, score_rows, &job, score_progress, &job);
	if (rank_sort(t, out, rank, n) < 0)
		goto fail;
	count_index_free(&counts);
	*rows = out;
	*order = rank;
	*n_rows = n;
	return 0;
fail:
	free(out);
	free(rank);
	count_index_free(&counts);
	return -1;
}

int signal_compute(const signal_table *t, const signal_prior *prior, uint32_t min_count, signal_row **rows,
                   size_t *n_rows, signal_progress_fn progress, void *ctx)
{
	signal_row *scored;
	uint32_t *order;
	size_t n;
	*rows = NULL;
	*n_rows = 0;
	if (signal_compute_ranked(t, prior, min_count, &scored, &order, &n, progress, ctx) < 0)
		return -1;
	signal_row *sorted = malloc((n + 1) * sizeof *sorted);
	if (sorted != NULL)
		for (size_t i = 0; i < n; i++)
			sorted[i] = scored[order[i]];
	free(scored);
	free(order);
	if (sorted == NULL)
		return -1;
	*rows = sorted;
	*n_rows = n;
	return 0;
}

signal_prior_source signal_choose_prior(const signal_table *t, const signal_prior *given, signal_fit *out,
                                        signal_progress_fn progress, void *ctx)
{
	if (given == NULL && t->n_pairs >= SIGNAL_MIN_PAIRS_FOR_FIT && signal_mgps_fit(t, out, progress, ctx) == 0)
		return SIGNAL_SOURCE_FITTED;
	*out = (signal_fit){.prior = given ? *given : SIGNAL_PRIOR_DEFAULT, .pairs = t->n_pairs};
	out->loglik = signal_mgps_loglik_table(t, &out->prior);
	return given ? SIGNAL_SOURCE_GIVEN : SIGNAL_SOURCE_DEFAULT;
}

const char *signal_prior_source_name(signal_prior_source source)
{
	switch (source) {
	case SIGNAL_SOURCE_GIVEN: return "given";
	case SIGNAL_SOURCE_FITTED: return "fitted";
	case SIGNAL_SOURCE_DEFAULT: break;
	}
	return "default";
}
