/* Sequential MaxSPRT per lot, replayed from the answered check-ins: see maxsprt_lots.h for the
 * method and why. Implementation: one sort of the rows by answered_at, dense indices for lots,
 * units, keys and (lot, key) pairs from open-addressing hash tables, then one pass with
 * running counts (all of them, and each lot's own, so "the other lots" is a subtraction). */
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

/* A map from a pair of int64 to a dense index 0, 1, 2, … in order of first insertion. */
typedef struct {
	int64_t *a, *b;
	uint32_t *index; /* UINT32_MAX: empty slot */
	size_t mask, count;
} pair_map;

static int pair_map_init(pair_map *m, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	m->a = malloc(cap * sizeof *m->a);
	m->b = malloc(cap * sizeof *m->b);
	m->index = malloc(cap * sizeof *m->index);
	m->mask = cap - 1;
	m->count = 0;
	if (!m->a || !m->b || !m->index)
		return -1;
	memset(m->index, 0xff, cap * sizeof *m->index);
	return 0;
}

static void pair_map_free(pair_map *m)
{
	free(m->a), free(m->b), free(m->index);
}

/* The pair's index, inserting it (with the next index) when new; the map never fills, it has
 * room for twice the rows. */
static uint32_t pair_map_index(pair_map *m, int64_t a, int64_t b)
{
	uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15u ^ ((uint64_t)b + 0x632be59bd9b4e019u) * 0xbf58476d1ce4e5b9u;
	h ^= h >> 31;
	for (size_t slot = (size_t)h & m->mask;; slot = (slot + 1) & m->mask) {
		if (m->index[slot] == UINT32_MAX) {
			m->a[slot] = a;
			m->b[slot] = b;
			m->index[slot] = (uint32_t)m->count++;
			return m->index[slot];
		}
		if (m->a[slot] == a && m->b[slot] == b)
			return m->index[slot];
	}
}

/* A row in replay order: answered_at, then unit and day (a unit's rows of one second in
 * day order). The order of other rows within a second does not matter: their values come from
 * the rows of earlier seconds, and each lot is looked at once after all its rows of that
 * second. */
typedef struct {
	int64_t at;
	uint32_t lot, unit, key, lot_key;
	int32_t day, span;
	int event;
} replay_row;

static int replay_cmp(const void *x, const void *y)
{
	const replay_row *p = x, *q = y;
	if (p->at != q->at)
		return p->at < q->at ? -1 : 1;
	if (p->lot != q->lot)
		return p->lot < q->lot ? -1 : 1;
	if (p->unit != q->unit)
		return p->unit < q->unit ? -1 : 1;
	return (p->day > q->day) - (p->day < q->day);
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

/* The null probability of a row of lot `lot` with key `key` from the other lots' tallies
 * before it; < 0 when they have nothing to compare it with. */
static double row_probability(const replay_row *r, const tally *by_key, const tally *by_lot_key, const tally *by_lot,
                              const tally *all)
{
	int64_t rows = by_key[r->key].rows - by_lot_key[r->lot_key].rows;
	int64_t events = by_key[r->key].events - by_lot_key[r->lot_key].events;
	if (rows > 0)
		return (events > 0 ? (double)events : 0.5) / (double)rows;
	int64_t other_days = all->days - by_lot[r->lot].days;
	int64_t other_events = all->events - by_lot[r->lot].events;
	if (all->rows - by_lot[r->lot].rows == 0 || other_days <= 0 || r->span <= 0)
		return -1.0;
	double rate = (other_events > 0 ? (double)other_events : 0.5) / (double)other_days;
	return -expm1(-rate * (double)r->span);
}

static void tally_add(tally *t, const replay_row *r)
{
	t->rows++;
	t->events += r->event;
	t->days += r->span;
}

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
	pair_map lots = {0}, units = {0}, keys = {0}, lot_keys = {0};
	replay_row *replay = malloc(n * sizeof *replay);
	unsigned char *unit_done = NULL;
	tally *by_key = NULL, *by_lot_key = NULL, *by_lot = NULL;
	int64_t *lot_ids = NULL, *last_look_at = NULL;
	double *probability = NULL;
	maxsprt_lot_result *res = NULL;
	if (!replay || pair_map_init(&lots, n) || pair_map_init(&units, n) || pair_map_init(&keys, n) ||
	    pair_map_init(&lot_keys, n))
		goto out;
	lot_ids = malloc(n * sizeof *lot_ids);
	if (!lot_ids)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const maxsprt_lot_checkin *c = &rows[i];
		replay_row *r = &replay[i];
		size_t lots_before = lots.count;
		r->at = c->answered_at;
		r->lot = pair_map_index(&lots, c->lot_id, 0);
		if (lots.count > lots_before)
			lot_ids[r->lot] = c->lot_id;
		r->unit = pair_map_index(&units, r->lot, c->unit_id);
		r->key = pair_map_index(&keys, c->prev_day, c->day);
		r->lot_key = pair_map_index(&lot_keys, r->lot, r->key);
		r->day = c->day;
		r->span = c->day - c->prev_day;
		r->event = c->first_event != 0;
	}
	qsort(replay, n, sizeof *replay, replay_cmp);

	unit_done = calloc(units.count, 1);
	by_key = calloc(keys.count, sizeof *by_key);
	by_lot_key = calloc(lot_keys.count, sizeof *by_lot_key);
	by_lot = calloc(lots.count, sizeof *by_lot);
	last_look_at = malloc(lots.count * sizeof *last_look_at);
	probability = malloc(n * sizeof *probability);
	res = calloc(lots.count, sizeof *res);
	if (!unit_done || !by_key || !by_lot_key || !by_lot || !last_look_at || !probability || !res)
		goto out;
	for (size_t l = 0; l < lots.count; l++) {
		res[l].lot_id = lot_ids[l];
		res[l].cv = cv;
		res[l].state = MAXSPRT_LOT_NO_BASELINE;
		last_look_at[l] = INT64_MIN;
	}
	for (size_t i = 0; i < n; i++) {
		/* Units counted once: the unit index is dense per first appearance. */
		if (!unit_done[replay[i].unit]) {
			unit_done[replay[i].unit] = 2;
			res[replay[i].lot].units++;
		}
	}
	memset(unit_done, 0, units.count);

	tally all = {0};
	for (size_t g = 0; g < n;) {
		size_t end = g;
		while (end < n && replay[end].at == replay[g].at)
			end++;
		/* Values first, from the tallies of rows answered strictly before this second;
		 * probability < -1.5 marks a row of a unit no longer at risk. */
		for (size_t i = g; i < end; i++) {
			replay_row *r = &replay[i];
			if (unit_done[r->unit]) {
				probability[i] = -2.0;
				continue;
			}
			probability[i] = row_probability(r, by_key, by_lot_key, by_lot, &all);
			if (r->event)
				unit_done[r->unit] = 1;
		}
		for (size_t i = g; i < end; i++) {
			const replay_row *r = &replay[i];
			if (probability[i] < -1.5)
				continue;
			tally_add(&by_key[r->key], r);
			tally_add(&by_lot_key[r->lot_key], r);
			tally_add(&by_lot[r->lot], r);
			tally_add(&all, r);
			maxsprt_lot_result *l = &res[r->lot];
			l->events += r->event;
			if (probability[i] < 0)
				continue;
			l->expected += probability[i] > 1.0 ? 1.0 : probability[i];
			l->observed += r->event;
			/* One look per lot per second, after all its rows of that second. */
			if (l->state == MAXSPRT_LOT_SIGNAL || l->state == MAXSPRT_LOT_ENDED)
				continue;
			last_look_at[r->lot] = r->at;
			l->state = MAXSPRT_LOT_MONITORING;
		}
		for (size_t i = g; i < end; i++) {
			const replay_row *r = &replay[i];
			maxsprt_lot_result *l = &res[r->lot];
			if (last_look_at[r->lot] != r->at || l->state != MAXSPRT_LOT_MONITORING)
				continue;
			last_look_at[r->lot] = INT64_MIN; /* looked at */
			l->looks++;
			maxsprt_result m;
			maxsprt_look(l->observed, l->expected, cv, settings->upper_limit, settings->min_events, &m);
			if (m.signal) {
				l->state = MAXSPRT_LOT_SIGNAL;
				l->signal_at = r->at;
				l->signal_look = l->looks;
				l->signal_expected = l->expected;
				l->signal_observed = l->observed;
			} else if (m.ended) {
				l->state = MAXSPRT_LOT_ENDED;
			}
		}
		g = end;
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
	free(probability);
	free(last_look_at);
	free(by_lot);
	free(by_lot_key);
	free(by_key);
	free(unit_done);
	free(lot_ids);
	free(replay);
	pair_map_free(&lots);
	pair_map_free(&units);
	pair_map_free(&keys);
	pair_map_free(&lot_keys);
	return rc;
}
