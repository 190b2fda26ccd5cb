/* Sequential MaxSPRT for every lot of a product, replayed from its answered check-ins
 * (issue 17; CONTRACT17.md "Lead decision (09:58)"). Pure: no I/O.
 *
 * Unit: a (patient, lot) exposure. Input: one row per answered check-in of a unit, with the
 * day offset (from the unit's entry) of the unit's previous answered check-in (0: none) and of
 * this one, its answered_at, and whether it reports the unit's first event. Rows come in any
 * order.
 *
 * The replay takes the rows in answered_at order. A row of a unit still at risk (no event
 * reported before it) is a Bernoulli trial whose null probability is estimated, prospectively,
 * from the product's OTHER lots' at-risk rows answered strictly before it:
 *
 *   share(k)  = their first events / their at-risk rows with the same key k = (previous day
 *               offset, day offset); a share of 0 events counts half an event (as the AE lot
 *               alert's Poisson test: a zero baseline would make one event a signal);
 *   fallback  (they have no row with key k yet): 1 − exp(−rate · (day − previous day)),
 *               rate = their first events (half an event when none) / their at-risk days
 *               (Σ day − previous day over their at-risk rows).
 *
 * The lot's expected count grows by that value and its observed count by the row's event, and
 * the value is never revised: expected is what the clinic could have computed when the answer
 * came, and never decreases (it is the MaxSPRT's time). A row answered before the other lots
 * had any at-risk row has nothing to be compared with and is left out of the test (neither
 * expected nor observed; its event still ends the unit's risk and counts in `events`).
 *
 * Why these choices (tests/sim/maxsprt_lots.c drives this module; README has the figures):
 * the share per key, not a person-day rate, because events per person-day measured at
 * check-ins fall with the interval's length and a young lot has only the short intervals
 * (0.077 false alarms at alpha 0.05). The fallback is a hazard over the interval rather than
 * the pooled share of all keys, because a missing key is usually a long interval the younger
 * other lots have not reached; their pooled share comes from short intervals and undercounts
 * it, while a rate from short intervals, applied over the long one, slightly overcounts it
 * (simulated null lots, seeds 17 and 1: false alarms 0.033–0.036 with this fallback, 0.051–
 * 0.054 with the pooled share, 0.090–0.094 adding nothing). Prospective, so that a look's
 * result never changes when later answers arrive (the signal the live check raised is the one
 * the replay finds), and it keeps false alarms at or below alpha (0.033–0.038, seeds 17, 1, 2,
 * 3).
 *
 * Looks: after each answered_at second at which the lot had rows in the test, in time order
 * (look 1, 2, …). Signal at the first look with LLR >= CV and observed >= M while expected <=
 * T (core/maxsprt.h); "ended" at the first look with expected > T without a signal. A lot keeps
 * its first signal or end; its counts go on growing to the last row (shown as they are now). */
#ifndef EXOSAFE_MAXSPRT_LOTS_H
#define EXOSAFE_MAXSPRT_LOTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	int64_t lot_id;
	int64_t unit_id;      /* the exposure within the lot (e.g. the patient id) */
	int32_t prev_day;     /* day offset of the unit's previous answered check-in, 0: none */
	int32_t day;          /* this check-in's day offset from the unit's entry (>= prev_day) */
	int64_t answered_at;  /* Unix seconds */
	int first_event;      /* 1: this check-in reports the unit's first event */
} maxsprt_lot_checkin;

typedef enum {
	MAXSPRT_LOT_NO_BASELINE, /* no row of the lot in the test yet */
	MAXSPRT_LOT_MONITORING,
	MAXSPRT_LOT_SIGNAL,
	MAXSPRT_LOT_ENDED        /* expected passed T without a signal */
} maxsprt_lot_state;

typedef struct {
	int64_t lot_id;
	int64_t units;           /* distinct units with an answered check-in */
	int64_t events;          /* units with a first event (all of them) */
	int64_t observed;        /* units with a first event at a row in the test */
	double expected;         /* Σ of the rows' null probabilities */
	double llr;              /* maxsprt_llr(observed, expected); 0 when expected is 0 */
	double cv;               /* the critical value (NAN when none exists for the settings) */
	maxsprt_lot_state state;
	int64_t looks;           /* looks so far */
	int64_t signal_at;       /* answered_at of the look that first signalled, else 0 */
	int64_t signal_look;     /* its look number (1-based), else 0 */
	double signal_expected;  /* expected at that look, else 0 */
	int64_t signal_observed; /* observed at that look, else 0 */
} maxsprt_lot_result;

typedef struct {
	double alpha;       /* 0 < alpha < 1 */
	double upper_limit; /* T, expected events */
	int min_events;     /* M >= 1 */
} maxsprt_lot_settings;

/* The state name the API shows: "no_baseline", "monitoring", "signal", "ended". */
const char *maxsprt_lot_state_name(maxsprt_lot_state state);

/* Replays the rows (n of them, any order, not modified) and writes one result per distinct
 * lot into *out (caller frees), sorted by lot_id, with their count in *n_lots. The critical
 * value comes from maxsprt_critical_value(T, M, alpha); when it has none (or the settings are
 * bad) cv is NAN and no lot signals. O(n log n) time, O(n) memory. Returns 0, or -1 for bad
 * input (NULL pointers with n > 0, day < prev_day, prev_day < 0) or when memory runs out
 * (*out NULL, *n_lots 0). n == 0 gives 0 lots and *out NULL. */
int maxsprt_lots_run(const maxsprt_lot_checkin *rows, size_t n, const maxsprt_lot_settings *settings,
                     maxsprt_lot_result **out, size_t *n_lots);

#endif
