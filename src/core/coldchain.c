/* Cold-chain evaluation, one reading at a time.
 *
 * Episodes. A reading is outside when it is strictly above max_celsius or strictly below
 * min_celsius (a reading on a limit is inside). Consecutive outside readings on the same side
 * form one episode, from its first to its last outside reading; a reading inside, or one
 * outside on the other side, ends it.
 *
 * Duration. A reading stands for the time until the next one, but for no more than one
 * logging interval. So an episode lasts
 *     (end - start) + min(interval, next_at - end)
 * where next_at is the reading that ended it; an episode still open at the last reading adds a
 * whole interval. A single reading outside therefore counts one interval, not zero. A data
 * gap inside an episode counts as outside (nothing shows the product came back into range);
 * the gap is reported as well. seconds_outside is the sum of the durations.
 *
 * Interval. limits.interval_seconds when given; otherwise the lower median of the spacings of
 * the first COLDCHAIN_INFER_READINGS readings (eight spacings). The median rather than the
 * minimum: one early burst (a button press, a resend) or one early gap does not move it. The
 * first readings are held back until the interval is known, then evaluated in order, so
 * episodes and gaps among them are reported like any others. A file with fewer readings uses
 * the median of what it has; a single reading has no interval, so its episode lasts 0 s.
 *
 * Gaps. Two consecutive readings further apart than twice the interval.
 *
 * Mean kinetic temperature (USP <1079>; Haynes, J. Pharm. Sci. 60 (1971) 927), weighted by
 * time:
 *     MKT = (ΔH/R) / -ln( Σ wᵢ exp(-ΔH/(R·Tᵢ)) / Σ wᵢ )     Tᵢ in kelvin
 * where wᵢ is the time reading i stands for, by the rule for durations above:
 *     wᵢ = min(interval, tᵢ₊₁ - tᵢ),   the last reading: w = interval
 * (a single reading, which has no interval, weighs 1 s: any weight gives its own temperature).
 * With readings at equal intervals every wᵢ is the interval and this is the chapter's
 * (1/n) Σ exp(-ΔH/(R·Tᵢ)). Weighting by reading instead would let a logger that samples every
 * minute during an alarm and every 15 minutes otherwise count the excursion 15 times over:
 * 23 h at 5 °C plus 1 h at 25 °C is 7.76 °C by time but 18.05 °C by reading. Across a data
 * gap the reading before it counts one interval, as it does for an episode: the gap is
 * reported, not filled with a guess. A reading's weight is known only when the next arrives,
 * so the term of reading i is added when reading i+1 is evaluated, and the last reading's term
 * by coldchain_mkt_celsius (on a copy, so the result is the same before and after finish).
 * Held-back readings get their terms when the interval is settled.
 * Each term is tiny (exp(-36) near 5 °C); summed over ten million readings the plain sum
 * would carry a relative error that grows with n. Instead the largest exponent seen so far,
 * plus headroom, is factored out (mkt_ref), so every exp() lies in (0, 1] and every term in
 * (0, wᵢ], and the sum is compensated (Neumaier's variant of Kahan summation). A temperature
 * far above the others only rescales the sum; nothing overflows or underflows for any
 * temperature above absolute zero.
 *
 * Plausible readings. Before a reading is stored (CSV import, sensor push: one check for
 * both), it must be one a cold-chain logger could have made:
 *   - -200 °C to +100 °C. The coldest storage a clinic of cell-derived products uses is the
 *     vapour phase of liquid nitrogen (-196 °C at the bottom of a dry shipper), and cryogenic
 *     logger probes (PT100) are specified down to -200 °C; the warmest a logger's electronics
 *     survive is +70 to +85 °C (data-logger datasheets), and water boils at +100 °C. A value
 *     outside is a sensor fault, a unit error or a typo (500 °C, 1e308 °C), and one such
 *     value alone would move the MKT by thousands of degrees.
 *   - 2000-01-01 or later: no logger file of a product in use is older; earlier years are
 *     a logger whose clock was reset (1970, 1900) or a misread date.
 *   - no later than the time of import (now), give or take five minutes for a logger's clock
 *     that runs a little fast or a push delayed on the network: a reading cannot come from the
 *     future, so a later one means the logger's clock is wrong (set ahead, or to another time
 *     zone: a Japan-time clock read as UTC is 9 h ahead). It is refused with a message naming
 *     the logger's clock, so the clock is corrected instead of the reading being stored at a
 *     time that would let an excursion hide in the future. */
#include "core/coldchain.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/timefmt.h"

#define KELVIN_OFFSET 273.15
/* ΔH/R in kelvin; 10000 K by the chapter's constants. */
#define DH_OVER_R (COLDCHAIN_DELTA_H_J_PER_MOL / COLDCHAIN_GAS_CONSTANT)
/* Room left above the reference so that a slightly warmer reading does not rebase the sum. */
#define MKT_HEADROOM 16.0

/* The streaming MKT accumulator, shared by coldchain_eval and mkt_celsius(). */
typedef struct mkt_acc {
	double sum, comp, ref;
	double cache_celsius, cache_term;
} mkt_acc;

static void mkt_init(mkt_acc *a)
{
	a->sum = 0.0;
	a->comp = 0.0;
	a->ref = -INFINITY;
	a->cache_celsius = NAN;
	a->cache_term = 0.0;
}

/* Adds weight · exp(-ΔH/(R·T)) (rescaled); weight > 0. */
static void mkt_add(mkt_acc *a, double celsius, double weight)
{
	double factor;
	if (celsius == a->cache_celsius) {
		factor = a->cache_term;
	} else {
		double kelvin = celsius + KELVIN_OFFSET;
		if (!(kelvin > 0.0))
			return;  /* absolute zero: the term is exp(-inf) = 0 */
		double x = -DH_OVER_R / kelvin;
		if (x > a->ref) {
			double ref = x + MKT_HEADROOM;
			if (a->ref != -INFINITY) {
				double scale = exp(a->ref - ref);
				a->sum *= scale;
				a->comp *= scale;
			}
			a->ref = ref;
		}
		factor = exp(x - a->ref);
		a->cache_celsius = celsius;
		a->cache_term = factor;
	}
	double term = weight * factor;
	double t = a->sum + term;
	if (fabs(a->sum) >= term)
		a->comp += (a->sum - t) + term;
	else
		a->comp += (term - t) + a->sum;
	a->sum = t;
}

/* The MKT of the terms added, whose weights sum to total_weight. */
static double mkt_result(const mkt_acc *a, double total_weight)
{
	if (!(total_weight > 0.0))
		return NAN;
	double s = a->sum + a->comp;
	if (!(s > 0.0))
		return -KELVIN_OFFSET;  /* every reading at absolute zero */
	double ln_mean = log(s) + a->ref - log(total_weight);
	return DH_OVER_R / -ln_mean - KELVIN_OFFSET;
}

static void acc_load(mkt_acc *a, const coldchain_eval *ev)
{
	a->sum = ev->mkt_sum;
	a->comp = ev->mkt_comp;
	a->ref = ev->mkt_ref;
	a->cache_celsius = ev->mkt_cache_celsius;
	a->cache_term = ev->mkt_cache_term;
}

static void acc_store(const mkt_acc *a, coldchain_eval *ev)
{
	ev->mkt_sum = a->sum;
	ev->mkt_comp = a->comp;
	ev->mkt_ref = a->ref;
	ev->mkt_cache_celsius = a->cache_celsius;
	ev->mkt_cache_term = a->cache_term;
}

void coldchain_begin(coldchain_eval *ev, const coldchain_limits *limits, coldchain_episode_fn on_episode,
                     coldchain_gap_fn on_gap, void *ctx)
{
	assert(limits->min_celsius <= limits->max_celsius);
	assert(limits->interval_seconds >= 0);
	*ev = (coldchain_eval){0};
	ev->limits = *limits;
	ev->on_episode = on_episode;
	ev->on_gap = on_gap;
	ev->ctx = ctx;
	ev->min_seen = NAN;
	ev->max_seen = NAN;
	mkt_acc a;
	mkt_init(&a);
	acc_store(&a, ev);
	if (limits->interval_seconds > 0) {
		ev->interval_seconds = limits->interval_seconds;
		ev->interval_known = true;
	}
}

/* Closes the current episode; next_at is the reading that ended it, or 0 at the end. */
static void close_episode(coldchain_eval *ev, int64_t next_at, bool open)
{
	excursion_episode *e = &ev->current;
	int64_t tail = ev->interval_seconds;
	if (!open && next_at - e->end < tail)
		tail = next_at - e->end;
	e->duration_seconds = e->end - e->start + tail;
	e->open = open;
	ev->seconds_outside += e->duration_seconds;
	ev->episodes++;
	ev->in_episode = false;
	if (ev->on_episode)
		ev->on_episode(ev->ctx, e);
}

/* The time the previous reading stands for: until the next reading (at next_at, unless
 * is_last), at most one interval (see the header). */
static int64_t prev_weight(const coldchain_eval *ev, bool is_last, int64_t next_at)
{
	if (ev->interval_seconds <= 0)
		return 1;  /* a single reading: no interval, any weight gives its own temperature */
	if (!is_last && next_at - ev->prev_at < ev->interval_seconds)
		return next_at - ev->prev_at;
	return ev->interval_seconds;
}

/* Adds the previous reading's MKT term, now that what follows it is known. */
static void add_prev_mkt(coldchain_eval *ev, bool is_last, int64_t next_at)
{
	int64_t w = prev_weight(ev, is_last, next_at);
	mkt_acc a;
	acc_load(&a, ev);
	mkt_add(&a, ev->prev_celsius, (double)w);
	acc_store(&a, ev);
	ev->mkt_weight_seconds += w;
}

/* Evaluates one reading for gaps, episodes and the MKT; the interval is known. */
static void step(coldchain_eval *ev, const temp_reading *r)
{
	if (ev->stepped)
		add_prev_mkt(ev, false, r->at);
	if (ev->stepped && ev->interval_seconds > 0 && r->at - ev->prev_at > 2 * ev->interval_seconds) {
		ev->gaps++;
		if (ev->on_gap) {
			data_gap g = {ev->prev_at, r->at};
			ev->on_gap(ev->ctx, &g);
		}
	}
	int side = r->celsius > ev->limits.max_celsius ? EXCURSION_ABOVE
	           : r->celsius < ev->limits.min_celsius ? EXCURSION_BELOW : 0;
	if (ev->in_episode && (int)ev->current.direction != side)
		close_episode(ev, r->at, false);
	if (side != 0) {
		if (!ev->in_episode) {
			ev->current = (excursion_episode){.start = r->at, .end = r->at, .peak_celsius = r->celsius,
			                                  .direction = (excursion_direction)side};
			ev->in_episode = true;
		} else {
			ev->current.end = r->at;
			if (side == EXCURSION_ABOVE ? r->celsius > ev->current.peak_celsius
			                            : r->celsius < ev->current.peak_celsius)
				ev->current.peak_celsius = r->celsius;
		}
	}
	ev->prev_at = r->at;
	ev->prev_celsius = r->celsius;
	ev->stepped = true;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Infers the interval from the held-back readings, then evaluates them. */
static void settle_interval(coldchain_eval *ev)
{
	int64_t d[COLDCHAIN_INFER_READINGS];
	int n = 0;
	for (int i = 1; i < ev->pending_count; i++)
		d[n++] = ev->pending[i].at - ev->pending[i - 1].at;
	if (n > 0) {
		/* n is at most eight: an insertion sort would do, qsort reads plainer. */
		qsort(d, (size_t)n, sizeof d[0], cmp_i64);
		ev->inferred_interval = d[(n - 1) / 2];
	}
	ev->interval_seconds = ev->inferred_interval;
	ev->interval_known = true;
	for (int i = 0; i < ev->pending_count; i++)
		step(ev, &ev->pending[i]);
	ev->pending_count = 0;
}

int coldchain_feed(coldchain_eval *ev, const temp_reading *r)
{
	if ((ev->readings > 0 && r->at <= ev->last_at) || !(r->celsius >= -KELVIN_OFFSET))
		return -1;
	if (ev->readings == 0) {
		ev->first_at = r->at;
		ev->min_seen = ev->max_seen = r->celsius;
	} else if (r->celsius < ev->min_seen) {
		ev->min_seen = r->celsius;
	} else if (r->celsius > ev->max_seen) {
		ev->max_seen = r->celsius;
	}
	ev->readings++;
	ev->last_at = r->at;
	if (ev->interval_known) {
		step(ev, r);
		return 0;
	}
	ev->pending[ev->pending_count++] = *r;
	if (ev->pending_count == COLDCHAIN_INFER_READINGS)
		settle_interval(ev);
	return 0;
}

void coldchain_finish(coldchain_eval *ev)
{
	if (!ev->interval_known)
		settle_interval(ev);
	if (ev->in_episode)
		close_episode(ev, 0, true);
}

double coldchain_mkt_celsius(const coldchain_eval *ev)
{
	if (ev->readings == 0)
		return NAN;
	/* On a copy: held-back readings are evaluated and the last reading's term added without
	 * changing ev, so that finish (or more readings) may still follow. */
	coldchain_eval copy = *ev;
	copy.on_episode = NULL;
	copy.on_gap = NULL;
	if (!copy.interval_known)
		settle_interval(&copy);
	add_prev_mkt(&copy, true, 0);
	mkt_acc a;
	acc_load(&a, &copy);
	return mkt_result(&a, (double)copy.mkt_weight_seconds);
}

double mkt_celsius(const double *celsius, size_t n)
{
	mkt_acc a;
	mkt_init(&a);
	for (size_t i = 0; i < n; i++)
		mkt_add(&a, celsius[i], 1.0);
	return mkt_result(&a, (double)n);
}

const char *coldchain_reading_implausible(const temp_reading *r, int64_t now, const char **reason_key, char *reason,
                                          size_t reason_size)
{
	double c = r->celsius;
	if (!(c >= COLDCHAIN_PLAUSIBLE_MIN_CELSIUS && c <= COLDCHAIN_PLAUSIBLE_MAX_CELSIUS)) {
		*reason_key = "reading_celsius_range";
		if (isnan(c))
			snprintf(reason, reason_size, "the temperature is not a number");
		else if (c < -KELVIN_OFFSET)
			snprintf(reason, reason_size, "impossible temperature %.6g °C (below absolute zero, -273.15 °C)", c);
		else
			snprintf(reason, reason_size,
			         "implausible temperature %.6g °C: a cold-chain logger records from %.0f to +%.0f °C", c,
			         COLDCHAIN_PLAUSIBLE_MIN_CELSIUS, COLDCHAIN_PLAUSIBLE_MAX_CELSIUS);
		return "celsius";
	}
	char at[ISO8601_LEN];
	time_iso8601(r->at, at);
	if (r->at < COLDCHAIN_EARLIEST_READING) {
		*reason_key = "reading_time_range";
		snprintf(reason, reason_size, "implausible time %s: readings must be from 2000-01-01 (the logger's clock was "
		         "reset or the date misread)", at);
		return "at";
	}
	if (r->at > now + COLDCHAIN_FUTURE_ALLOWANCE_SECONDS) {
		char imported[ISO8601_LEN];
		time_iso8601(now, imported);
		int64_t ahead = r->at - now;
		*reason_key = "reading_after_import";
		snprintf(reason, reason_size,
		         "reading at %s is after the import time %s (%lld h %02lld min ahead): the logger's clock is ahead "
		         "or in another time zone; correct it (or the file's UTC offset) and import again",
		         at, imported, (long long)(ahead / 3600), (long long)(ahead % 3600 / 60));
		return "at";
	}
	return NULL;
}
