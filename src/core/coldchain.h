/* Cold-chain evaluation over a logger's readings: excursion episodes against a storage
 * range, cumulative time outside, data gaps, and mean kinetic temperature (USP <1079>, in its
 * time-weighted form: each reading weighs the time it stands for).
 * Pure and streaming: readings are fed one at a time in time order, so memory stays flat
 * whatever the file size. */
#ifndef EXOSAFE_COLDCHAIN_H
#define EXOSAFE_COLDCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* USP <1079>: ΔH = 83.144 kJ/mol, R = 8.3144 J/(mol·K), so ΔH/R = 10000 K. */
#define COLDCHAIN_DELTA_H_J_PER_MOL 83144.0
#define COLDCHAIN_GAS_CONSTANT 8.3144

/* With interval_seconds = 0, the interval is the median spacing of this many first readings. */
#define COLDCHAIN_INFER_READINGS 9

typedef struct temp_reading {
	int64_t at;          /* unix seconds, UTC */
	double celsius;
} temp_reading;

/* What a reading may be before it is stored, whether it came as CSV or as JSON; the reasons
 * are in coldchain.c (coldchain_reading_implausible). */
#define COLDCHAIN_PLAUSIBLE_MIN_CELSIUS (-200.0)
#define COLDCHAIN_PLAUSIBLE_MAX_CELSIUS 100.0
#define COLDCHAIN_EARLIEST_READING INT64_C(946684800)           /* 2000-01-01T00:00:00Z */
#define COLDCHAIN_FUTURE_ALLOWANCE_SECONDS INT64_C(300)         /* a clock a few minutes fast */

typedef enum excursion_direction { EXCURSION_ABOVE = 1, EXCURSION_BELOW = -1 } excursion_direction;

typedef struct excursion_episode {
	int64_t start, end;          /* first and last reading outside the range */
	double peak_celsius;         /* the furthest from the range */
	excursion_direction direction;
	int64_t duration_seconds;    /* end - start, plus the time to the next reading but at most
	                              * one logging interval (see coldchain.c) */
	bool open;                   /* still outside at the last reading */
} excursion_episode;

typedef struct data_gap {
	int64_t from, to;            /* two consecutive readings further apart than twice the interval */
} data_gap;

typedef struct coldchain_limits {
	double min_celsius, max_celsius;
	int64_t interval_seconds;    /* the logging interval; 0: inferred from the first readings */
} coldchain_limits;

/* Called for each episode as soon as it closes (and for the open one at finish), and for
 * each gap. Either may be NULL. */
typedef void (*coldchain_episode_fn)(void *ctx, const excursion_episode *e);
typedef void (*coldchain_gap_fn)(void *ctx, const data_gap *g);

typedef struct coldchain_eval {
	coldchain_limits limits;
	coldchain_episode_fn on_episode;
	coldchain_gap_fn on_gap;
	void *ctx;
	/* Results so far (read after coldchain_finish): */
	int64_t readings;
	int64_t first_at, last_at;
	double min_seen, max_seen;
	int64_t seconds_outside;     /* cumulative, over every episode */
	int64_t episodes;
	int64_t gaps;
	int64_t interval_seconds;    /* the interval used: limits.interval_seconds, or inferred */
	/* Internal state: */
	double mkt_sum;              /* Σ wᵢ·exp(-ΔH/(R·Tᵢ) - mkt_ref) over the readings already
	                              * followed by another, Kahan-Neumaier compensated */
	double mkt_comp;             /* the compensation term of mkt_sum */
	double mkt_ref;              /* the exponent factored out of every term (-inf: none yet) */
	double mkt_cache_celsius, mkt_cache_term;  /* the last exp(), reused for a repeated value */
	int64_t mkt_weight_seconds;  /* Σ wᵢ of the terms in mkt_sum */
	int64_t prev_at;
	double prev_celsius;
	bool stepped;                /* prev_at holds a reading already evaluated */
	bool in_episode;
	excursion_episode current;
	int64_t inferred_interval;
	bool interval_known;
	/* Readings held back while the interval is inferred from their spacing: */
	int pending_count;
	temp_reading pending[COLDCHAIN_INFER_READINGS];
} coldchain_eval;

void coldchain_begin(coldchain_eval *ev, const coldchain_limits *limits, coldchain_episode_fn on_episode,
                     coldchain_gap_fn on_gap, void *ctx);
/* Feeds the next reading. Returns 0, or -1 when it is not later than the previous one
 * (readings must be in strictly increasing time order) or its temperature is not a number
 * or below absolute zero — the reading is then ignored. */
int coldchain_feed(coldchain_eval *ev, const temp_reading *r);
/* Closes an open episode (reported with open = true). */
void coldchain_finish(coldchain_eval *ev);

/* Mean kinetic temperature in °C of the readings fed so far, each weighted by the time it
 * stands for (the same rule as episode durations: until the next reading, at most one logging
 * interval; the last reading one interval); see coldchain.c. NaN when there are none. May be
 * called before or after coldchain_finish, with the same result; ev is not changed. */
double coldchain_mkt_celsius(const coldchain_eval *ev);

/* Checks that r is a reading a cold-chain logger could have made by now (now: unix seconds):
 * a temperature from COLDCHAIN_PLAUSIBLE_MIN_CELSIUS to COLDCHAIN_PLAUSIBLE_MAX_CELSIUS and a
 * time from COLDCHAIN_EARLIEST_READING to now + COLDCHAIN_FUTURE_ALLOWANCE_SECONDS, limits
 * included. Returns NULL when it is; otherwise the name of the first field that is not
 * ("celsius" or "at"), with *reason_key set to its key in the message catalogue
 * ("reading_celsius_range", "reading_time_range" before 2000, or "reading_after_import": later
 * than now, the time of import, so the logger's clock is wrong) and reason filled with an English
 * sentence naming the value and the range (reason_size bytes, truncated). */
const char *coldchain_reading_implausible(const temp_reading *r, int64_t now, const char **reason_key, char *reason,
                                          size_t reason_size);

/* MKT of an array of temperatures in °C taken at equal intervals (equal weights; for tests
 * and small reports). */
double mkt_celsius(const double *celsius, size_t n);

#endif
