/* Sequential MaxSPRT per lot, replayed from the answered check-ins: see maxsprt_lots.h for the
 * method and why. Implementation: dense indices for lots, keys and (lot, key) pairs from
 * open-addressing hash tables, for units from the radix sorts that give the replay order,
 * then one pass with running tallies (all of them, and each lot's own, so "the other lots"
 * is a subtraction). */
#include "core/maxsprt_lots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/maxsprt.h"

const char *maxsprt_lot_state_name(maxsprt_lot_state state)
{
	switch (state) {
	case MAXSPRT_LOT_MONITORING: return "monitoring";
	case MAXSPRT_LOT_SIGNAL: return "signal";
	case MAXSPRT_LOT_ENDED: return "ended";
	case MAXSPRT_LOT_NO_BASELINE: break;
	}
	return "no_baseline";
}

/* A map from a pair of int64 to a dense index 0, 1, 2, … in order of first insertion; grows
 * (kept at most half full), so the small maps (lots, keys) stay in the cache. */
typedef struct {
	int64_t *a, *b;
	uint32_t *index; /* UINT32_MAX: empty slot */
	size_t mask, count;
} pair_map;

static size_t pair_map_slot(const pair_map *m, int64_t a, int64_t b)
{
	uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15u ^ ((uint64_t)b + 0x632be59bd9b4e019u) * 0xbf58476d1ce4e5b9u;
	h ^= h >> 31;
	size_t slot = (size_t)h & m->mask;
	while (m->index[slot] != UINT32_MAX && (m->a[slot] != a || m->b[slot] != b))
		slot = (slot + 1) & m->mask;
	return slot;
}

static int pair_map_resize(pair_map *m, size_t cap)
{
	pair_map grown = {malloc(cap * sizeof *m->a), malloc(cap * sizeof *m->b), malloc(cap * sizeof *m->index),
	                  cap - 1, m->count};
	if (!grown.a || !grown.b || !grown.index) {
		free(grown.a), free(grown.b), free(grown.index);
		return -1;
	}
	memset(grown.index, 0xff, cap * sizeof *grown.index);
	for (size_t i = 0; m->index && i <= m->mask; i++)
		if (m->index[i] != UINT32_MAX) {
			size_t slot = pair_map_slot(&grown, m->a[i], m->b[i]);
			grown.a[slot] = m->a[i], grown.b[slot] = m->b[i], grown.index[slot] = m->index[i];
		}
	free(m->a), free(m->b), free(m->index);
	*m = grown;
	return 0;
}

static int pair_map_init(pair_map *m)
{
	*m = (pair_map){0};
	return pair_map_resize(m, 16);
}

static void pair_map_free(pair_map *m)
{
	free(m->a), free(m->b), free(m->index);
}

/* The pair's index, inserting it (with the next index) when new; UINT32_MAX when memory runs
 * out. */
static uint32_t pair_map_index(pair_map *m, int64_t a, int64_t b)
{
	size_t slot = pair_map_slot(m, a, b);
	if (m->index[slot] != UINT32_MAX)
		return m->index[slot];
	if (2 * (m->count + 1) > m->mask + 1) {
		if (pair_map_resize(m, 2 * (m->mask + 1)))
			return UINT32_MAX;
		slot = pair_map_slot(m, a, b);
	}
	m->a[slot] = a;
	m->b[slot] = b;
	m->index[slot] = (uint32_t)m->count++;
	return m->index[slot];
}

/* A row's dense indices: its lot, unit (per lot), key (previous day, day) and (lot, key). */
typedef struct {
	uint32_t lot, unit, key, lot_key;
} row_index;

typedef struct {
	uint64_t key;
	uint32_t row;
} sort_item;

/* A row in replay order, gathered so that the replay reads memory in sequence. */
typedef struct {
	int64_t at;
	row_index x;
	int32_t span;
	int32_t event;
} replay_row;

/* One stable LSD radix sort of items by key, 11 bits a pass, as many passes as max_key needs;
 * the sorted items end in *items (tmp is scratch of the same size). */
static void radix_sort(sort_item **items, sort_item **tmp, size_t n, uint64_t max_key, size_t count[2048])
{
	for (unsigned shift = 0; shift < 64 && (max_key >> shift) != 0; shift += 11) {
		memset(count, 0, 2048 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[((*items)[i].key >> shift) & 2047]++;
		for (size_t d = 0, sum = 0; d < 2048; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			(*tmp)[count[((*items)[i].key >> shift) & 2047]++] = (*items)[i];
		sort_item *t = *items;
		*items = *tmp;
		*tmp = t;
	}
}

/* The replay order of the rows into order[]: by answered_at, then unit (lot, unit_id), then
 * day (a unit's rows of one second in day order; the order of other units' rows within a
 * second changes only the rounding of a lot's expected sum, as their values come from earlier
 * seconds and each lot is looked at once after all its rows of that second). Stable radix
 * sorts, least significant first (qsort of the rows took a third of the time): by day, by
 * unit_id, by lot, which also gives each unit its dense index (index[].unit, the run number
 * of its (lot, unit_id)), then by answered_at. Sorting by unit_id rather than looking the
 * pair up in a hash table: the table of a product's ~80,000 units and its growth were most
 * of the freshly touched memory and a fifth of the time. Sets *n_units. Returns 0, or -1
 * when memory runs out. */
static int replay_order(const maxsprt_lot_checkin *rows, row_index *index, size_t n, replay_row *order,
                        size_t *n_units)
{
	sort_item *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	size_t *count = malloc(2048 * sizeof *count);
	if (!a || !b || !count) {
		free(a), free(b), free(count);
		return -1;
	}
	int64_t min_at = rows[0].answered_at, min_unit = rows[0].unit_id;
	for (size_t i = 1; i < n; i++) {
		if (rows[i].answered_at < min_at)
			min_at = rows[i].answered_at;
		if (rows[i].unit_id < min_unit)
			min_unit = rows[i].unit_id;
	}
	uint64_t max_key = 0;
	for (size_t i = 0; i < n; i++) {
		a[i] = (sort_item){(uint64_t)rows[i].day, (uint32_t)i};
		max_key = a[i].key > max_key ? a[i].key : max_key;
	}
	radix_sort(&a, &b, n, max_key, count);
	max_key = 0;
	for (size_t i = 0; i < n; i++) {
		a[i].key = (uint64_t)rows[a[i].row].unit_id - (uint64_t)min_unit;
		max_key = a[i].key > max_key ? a[i].key : max_key;
	}
	radix_sort(&a, &b, n, max_key, count);
	max_key = 0;
	for (size_t i = 0; i < n; i++) {
		a[i].key = index[a[i].row].lot;
		max_key = a[i].key > max_key ? a[i].key : max_key;
	}
	radix_sort(&a, &b, n, max_key, count);
	uint32_t unit = 0;
	for (size_t i = 0; i < n; i++) {
		const maxsprt_lot_checkin *c = &rows[a[i].row], *p = i > 0 ? &rows[a[i - 1].row] : NULL;
		if (p != NULL && (index[a[i].row].lot != index[a[i - 1].row].lot || c->unit_id != p->unit_id))
			unit++;
		index[a[i].row].unit = unit;
	}
	*n_units = (size_t)unit + 1;
	max_key = 0;
	for (size_t i = 0; i < n; i++) {
		a[i].key = (uint64_t)rows[a[i].row].answered_at - (uint64_t)min_at;
		max_key = a[i].key > max_key ? a[i].key : max_key;
	}
	radix_sort(&a, &b, n, max_key, count);
	for (size_t i = 0; i < n; i++) {
		const maxsprt_lot_checkin *c = &rows[a[i].row];
		order[i] = (replay_row){c->answered_at, index[a[i].row], c->day - c->prev_day, c->first_event != 0};
	}
	free(a), free(b), free(count);
	return 0;
}

static int result_cmp(const void *x, const void *y)
{
	const maxsprt_lot_result *p = x, *q = y;
	return (p->lot_id > q->lot_id) - (p->lot_id < q->lot_id);
}

/* Running at-risk rows and first events: per key or per (lot, key) for the shares, per lot and
 * in all for the fallback rate (with the at-risk days). */
typedef struct {
	int64_t rows, events, days;
} tally;

/* The null probability of a row with the given indices and span (day - previous day) from the
 * other lots' tallies before it; < 0 when they have nothing to compare it with. */
static double row_probability(const row_index *x, int32_t span, const tally *by_key, const tally *by_lot_key,
                              const tally *by_lot, const tally *all)
{
	int64_t rows = by_key[x->key].rows - by_lot_key[x->lot_key].rows;
	int64_t events = by_key[x->key].events - by_lot_key[x->lot_key].events;
	if (rows > 0)
		return (events > 0 ? (double)events : 0.5) / (double)rows;
	int64_t other_days = all->days - by_lot[x->lot].days;
	int64_t other_events = all->events - by_lot[x->lot].events;
	if (all->rows - by_lot[x->lot].rows == 0 || other_days <= 0 || span <= 0)
		return -1.0;
	double rate = (other_events > 0 ? (double)other_events : 0.5) / (double)other_days;
	return -expm1(-rate * (double)span);
}

static void tally_add(tally *t, const replay_row *r)
{
	t->rows++;
	t->events += r->event;
	t->days += r->span;
}

/* Marks in probability[] of a row not at risk (its unit's event came before). */
#define NOT_AT_RISK (-2.0)

int maxsprt_lots_run(const maxsprt_lot_checkin *rows, size_t n, const maxsprt_lot_settings *settings,
                     maxsprt_lot_result **out, size_t *n_lots)
{
	if (out)
		*out = NULL;
	if (n_lots)
		*n_lots = 0;
	if (!out || !n_lots || !settings || (n > 0 && !rows) || n >= UINT32_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].prev_day < 0 || rows[i].day < rows[i].prev_day)
			return -1;
	if (n == 0)
		return 0;

	double cv;
	if (maxsprt_critical_value(settings->upper_limit, settings->min_events, settings->alpha, &cv) != 0)
		cv = NAN;

	int rc = -1;
	pair_map lots = {0}, keys = {0}, lot_keys = {0};
	size_t n_units = 0;
	row_index *index = malloc(n * sizeof *index);
	replay_row *order = malloc(n * sizeof *order);
	double *probability = malloc(n * sizeof *probability);
	unsigned char *unit_state = NULL; /* 0: not seen, 1: at risk, 2: event reported */
	tally *by_key = NULL, *by_lot_key = NULL, *by_lot = NULL;
	int64_t *last_look_at = NULL;
	maxsprt_lot_result *res = NULL;
	if (!index || !order || !probability || pair_map_init(&lots) || pair_map_init(&keys) || pair_map_init(&lot_keys))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const maxsprt_lot_checkin *c = &rows[i];
		row_index *x = &index[i];
		/* Rows usually come lot by lot and a unit's rows together: the previous row's lot and
		 * key are the likeliest, and cheaper to compare than to hash. */
		if (i > 0 && c->lot_id == rows[i - 1].lot_id)
			x->lot = index[i - 1].lot;
		else
			x->lot = pair_map_index(&lots, c->lot_id, 0);
		if (i > 0 && c->prev_day == rows[i - 1].prev_day && c->day == rows[i - 1].day)
			x->key = index[i - 1].key;
		else
			x->key = pair_map_index(&keys, c->prev_day, c->day);
		if (i > 0 && x->lot == index[i - 1].lot && x->key == index[i - 1].key)
			x->lot_key = index[i - 1].lot_key;
		else
			x->lot_key = pair_map_index(&lot_keys, x->lot, x->key);
		if (x->lot == UINT32_MAX || x->key == UINT32_MAX || x->lot_key == UINT32_MAX)
			goto out;
	}
	if (replay_order(rows, index, n, order, &n_units))
		goto out;

	unit_state = calloc(n_units, 1);
	by_key = calloc(keys.count, sizeof *by_key);
	by_lot_key = calloc(lot_keys.count, sizeof *by_lot_key);
	by_lot = calloc(lots.count, sizeof *by_lot);
	last_look_at = malloc(lots.count * sizeof *last_look_at);
	res = calloc(lots.count, sizeof *res);
	if (!unit_state || !by_key || !by_lot_key || !by_lot || !last_look_at || !res)
		goto out;
	for (size_t i = 0; i < n; i++) {
		maxsprt_lot_result *l = &res[index[i].lot];
		l->lot_id = rows[i].lot_id;
		l->cv = cv;
		l->state = MAXSPRT_LOT_NO_BASELINE;
		last_look_at[index[i].lot] = INT64_MIN;
		if (!unit_state[index[i].unit]) {
			unit_state[index[i].unit] = 1;
			l->units++;
		}
	}

	free(index);
	index = NULL;
	tally all = {0};
	for (size_t g = 0, end; g < n; g = end) {
		const int64_t at = order[g].at;
		for (end = g + 1; end < n && order[end].at == at; end++)
			;
		/* Values first, from the tallies of rows answered strictly before this second. */
		for (size_t i = g; i < end; i++) {
			const replay_row *r = &order[i];
			if (unit_state[r->x.unit] == 2) {
				probability[i] = NOT_AT_RISK;
				continue;
			}
			probability[i] = row_probability(&r->x, r->span, by_key, by_lot_key, by_lot, &all);
			if (r->event)
				unit_state[r->x.unit] = 2;
		}
		for (size_t i = g; i < end; i++) {
			const replay_row *r = &order[i];
			if (probability[i] == NOT_AT_RISK)
				continue;
			tally_add(&by_key[r->x.key], r);
			tally_add(&by_lot_key[r->x.lot_key], r);
			tally_add(&by_lot[r->x.lot], r);
			tally_add(&all, r);
			maxsprt_lot_result *l = &res[r->x.lot];
			l->events += r->event;
			if (probability[i] < 0)
				continue; /* nothing to compare it with: out of the test */
			l->expected += probability[i] > 1.0 ? 1.0 : probability[i];
			l->observed += r->event;
			if (l->state == MAXSPRT_LOT_NO_BASELINE || l->state == MAXSPRT_LOT_MONITORING) {
				l->state = MAXSPRT_LOT_MONITORING;
				last_look_at[r->x.lot] = at;
			}
		}
		/* One look per lot per second, after all its rows of that second. */
		for (size_t i = g; i < end; i++) {
			uint32_t lot = order[i].x.lot;
			maxsprt_lot_result *l = &res[lot];
			if (last_look_at[lot] != at)
				continue;
			last_look_at[lot] = INT64_MIN;
			l->looks++;
			maxsprt_result m;
			maxsprt_look(l->observed, l->expected, cv, settings->upper_limit, settings->min_events, &m);
			if (m.signal) {
				l->state = MAXSPRT_LOT_SIGNAL;
				l->signal_at = at;
				l->signal_look = l->looks;
				l->signal_expected = l->expected;
				l->signal_observed = l->observed;
			} else if (m.ended) {
				l->state = MAXSPRT_LOT_ENDED;
			}
		}
	}
	for (size_t l = 0; l < lots.count; l++)
		res[l].llr = res[l].expected > 0 ? maxsprt_llr(res[l].observed, res[l].expected) : 0.0;
	qsort(res, lots.count, sizeof *res, result_cmp);
	*out = res;
	*n_lots = lots.count;
	res = NULL;
	rc = 0;
out:
	free(res);
	free(last_look_at);
	free(by_lot);
	free(by_lot_key);
	free(by_key);
	free(unit_state);
	free(probability);
	free(order);
	free(index);
	pair_map_free(&lots);
	pair_map_free(&keys);
	pair_map_free(&lot_keys);
	return rc;
}
