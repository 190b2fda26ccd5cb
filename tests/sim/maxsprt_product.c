/* The per-lot sequential MaxSPRT the server runs (core/maxsprt_lots.h), driven over simulated
 * products: the false-alarm rate of 10,000 lots with no excess risk (the test), the power and
 * the median time to signal of lots with twice the baseline rate, and the replay's speed on
 * 100,000 patients × 10 check-ins. tests/sim/maxsprt_lots.c compares readings of "expected"
 * with an exact baseline; here the baseline is what the module estimates from the product's
 * other lots, prospectively, as in the clinic.
 *
 * A product: LOTS_PER_PRODUCT lots, lot j dispensed from day j·LOT_GAP_DAYS for
 * LOT_IN_USE_DAYS (two lots in use at a time), each started by a Poisson stream of
 * ENTRY_PER_DAY patients (about 60 per lot). Each patient is asked at days 3, 14, 30, 121, 212
 * and 303 after entry (the default plan for a year), answers with probability ANSWER_PROB, 0 to
 * 3 days late; the first symptom comes after an exponential time with the baseline hazard (15%
 * within 30 days) times the lot's relative risk and is reported at the first answered check-in
 * after it. All answered check-ins (those after the event too) go to maxsprt_lots_run with
 * prev_day = the patient's previous answered check-in's day (0: none), as the service gives
 * them. The first lot of a product starts with no other lot: its early rows are out of the
 * test (the module's rule), which the figures include.
 *
 * Null: every lot at RR 1. Power: in each of twice as many products one lot, at a random
 * position, at RR 2 (2,000 such lots for 10,000 null ones).
 *
 * Usage: maxsprt_product [--lots N] [--seed S] [--check]
 * --check (meson test maxsprt_lots_false_alarms): exit 1 when the false-alarm rate of the null
 * lots is above alpha. splitmix64 with the given seed (17 by default): the same run on every
 * machine and every day. */
#include "core/maxsprt.h"
#include "core/maxsprt_lots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_args.h"
#include "sim_prng.h"

#define ALPHA 0.05
#define UPPER_LIMIT 20.0
#define MIN_EVENTS 2
#define LOTS_PER_PRODUCT 10
#define LOT_GAP_DAYS 60.0
#define LOT_IN_USE_DAYS 120.0
#define ENTRY_PER_DAY 0.5
#define ANSWER_PROB 0.85
#define ANSWER_DELAY_MAX_DAYS 3.0
#define DAY_SECONDS 86400.0
#define EPOCH 1800000000 /* any fixed start: the module only orders and subtracts times */

static const int schedule_days[] = {3, 14, 30, 121, 212, 303};
#define SCHEDULE_LEN (sizeof schedule_days / sizeof schedule_days[0])

static double baseline_hazard(void)
{
	return -log(0.85) / 30.0;
}

typedef struct {
	maxsprt_lot_checkin *rows;
	size_t n, cap;
} row_list;

static int push(row_list *l, maxsprt_lot_checkin row)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4096;
		maxsprt_lot_checkin *grown = realloc(l->rows, cap * sizeof *grown);
		if (!grown)
			return -1;
		l->rows = grown;
		l->cap = cap;
	}
	l->rows[l->n++] = row;
	return 0;
}

/* One patient of lot `lot_id` entering at day `entry` (since the product's first lot): their
 * answered check-ins onto rows. */
static int add_patient(sim_prng *rng, row_list *rows, int64_t lot_id, int64_t unit_id, double entry, double hazard,
                       const int *days, size_t n_days, double answer_prob)
{
	double onset = sim_exponential(rng, hazard);
	int prev = 0, reported = 0;
	for (size_t i = 0; i < n_days; i++) {
		int answered = sim_unit(rng) < answer_prob;
		double delay = sim_unit(rng) * ANSWER_DELAY_MAX_DAYS;
		if (!answered)
			continue;
		double since_entry = days[i] + delay;
		int first = !reported && onset <= since_entry;
		reported |= first;
		int64_t at = EPOCH + (int64_t)llround((entry + since_entry) * DAY_SECONDS);
		if (push(rows, (maxsprt_lot_checkin){lot_id, unit_id, prev, days[i], at, first}))
			return -1;
		prev = days[i];
	}
	return 0;
}

typedef struct {
	int lots, signals;
	double median_expected, median_looks, median_days;
} run_summary;

static int by_double(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return (*x > *y) - (*x < *y);
}

static double median(double *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* `products` products; with_bad_lot: each product has one lot at RR 2 at a random position
 * (counted in *bad, the others in *good); 0: none. */
static int run(sim_prng *rng, int products, int with_bad_lot, run_summary *good, run_summary *bad)
{
	const maxsprt_lot_settings settings = {ALPHA, UPPER_LIMIT, MIN_EVENTS};
	int max = products * LOTS_PER_PRODUCT;
	double *expected = malloc((size_t)max * sizeof *expected), *looks = malloc((size_t)max * sizeof *looks),
	       *days = malloc((size_t)max * sizeof *days);
	row_list rows = {0};
	int failed = !expected || !looks || !days;
	memset(good, 0, sizeof *good);
	memset(bad, 0, sizeof *bad);
	for (int p = 0; p < products && !failed; p++) {
		int bad_lot = with_bad_lot ? (int)(sim_unit(rng) * LOTS_PER_PRODUCT) : -1;
		rows.n = 0;
		int64_t unit = 0;
		for (int j = 0; j < LOTS_PER_PRODUCT && !failed; j++) {
			double start = j * LOT_GAP_DAYS, hazard = baseline_hazard() * (j == bad_lot ? 2.0 : 1.0);
			for (double t = start + sim_exponential(rng, ENTRY_PER_DAY); t < start + LOT_IN_USE_DAYS && !failed;
			     t += sim_exponential(rng, ENTRY_PER_DAY))
				failed = add_patient(rng, &rows, j, ++unit, t, hazard, schedule_days, SCHEDULE_LEN, ANSWER_PROB);
		}
		maxsprt_lot_result *res = NULL;
		size_t n_lots = 0;
		if (failed || maxsprt_lots_run(rows.rows, rows.n, &settings, &res, &n_lots) != 0) {
			failed = 1;
			break;
		}
		for (size_t k = 0; k < n_lots; k++) {
			const maxsprt_lot_result *l = &res[k];
			int is_bad = l->lot_id == bad_lot;
			run_summary *s = is_bad ? bad : good;
			s->lots++;
			if (l->state != MAXSPRT_LOT_SIGNAL)
				continue;
			if (is_bad) {
				expected[bad->signals] = l->signal_expected;
				looks[bad->signals] = (double)l->signal_look;
				days[bad->signals] =
				        (double)(l->signal_at - EPOCH) / DAY_SECONDS - (double)l->lot_id * LOT_GAP_DAYS;
			}
			s->signals++;
		}
		free(res);
	}
	if (!failed) {
		bad->median_expected = median(expected, bad->signals);
		bad->median_looks = median(looks, bad->signals);
		bad->median_days = median(days, bad->signals);
	}
	free(rows.rows);
	free(expected), free(looks), free(days);
	return failed ? -1 : 0;
}

static void print_summary(const char *what, const run_summary *s, int times)
{
	double rate = (double)s->signals / s->lots, se = sqrt(rate * (1.0 - rate) / s->lots);
	printf("%-44s %5d of %d lots signalled: %.4f (standard error %.4f)", what, s->signals, s->lots, rate, se);
	if (times && s->signals > 0)
		printf("; median time to signal %.2f expected events, %.0f looks, %.0f days after the lot's first delivery",
		       s->median_expected, s->median_looks, s->median_days);
	printf("\n");
}

/* The replay's speed: 100,000 patients in 100 lots, 10 check-ins each, all answered. */
static int speed(sim_prng *rng)
{
	static const int ten[] = {3, 14, 30, 121, 212, 303, 394, 485, 576, 667};
	const maxsprt_lot_settings settings = {ALPHA, UPPER_LIMIT, MIN_EVENTS};
	row_list rows = {0};
	for (int64_t u = 0; u < 100000; u++)
		if (add_patient(rng, &rows, u / 1000, u, (double)(u / 1000) * 30.0 + sim_unit(rng) * 60.0,
		                baseline_hazard(), ten, 10, 1.0)) {
			free(rows.rows);
			return -1;
		}
	/* CPU time as well as wall time: the shared machine's load stretches the latter. */
	struct timespec w0, w1, c0, c1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	maxsprt_lot_result *res = NULL;
	size_t n_lots = 0;
	int rc = maxsprt_lots_run(rows.rows, rows.n, &settings, &res, &n_lots);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9;
	double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
	if (rc == 0)
		printf("speed: %zu check-ins of 100,000 patients in %zu lots replayed in %.3f s CPU (%.3f s wall)\n", rows.n,
		       n_lots, cpu, wall);
	free(res);
	free(rows.rows);
	return rc;
}

int main(int argc, char **argv)
{
	sim_args args;
	int bad = sim_parse_args(argc, argv, "maxsprt_product", LOTS_PER_PRODUCT, &args);
	if (bad)
		return bad;
	int lots = args.lots, check = args.check;
	unsigned long long seed = args.seed;
	double cv;
	if (maxsprt_critical_value(UPPER_LIMIT, MIN_EVENTS, ALPHA, &cv) != 0)
		return 1;
	sim_prng rng = {seed};
	int products = lots / LOTS_PER_PRODUCT;
	printf("core/maxsprt_lots over simulated products (%d lots each, a new lot every %.0f days, each in use %.0f "
	       "days); alpha %.2f, T %.0f, M %d, CV %.10f; seed %llu\n",
	       LOTS_PER_PRODUCT, LOT_GAP_DAYS, LOT_IN_USE_DAYS, ALPHA, UPPER_LIMIT, MIN_EVENTS, cv, seed);
	run_summary null_lots, unused, power_lots, beside_bad;
	if (run(&rng, products, 0, &null_lots, &unused) || run(&rng, 2 * products, 1, &beside_bad, &power_lots) ||
	    speed(&rng)) {
		fprintf(stderr, "maxsprt_product: out of memory\n");
		return 1;
	}
	print_summary("module, no excess risk:", &null_lots, 0);
	print_summary("module, twice the baseline rate:", &power_lots, 1);
	print_summary("module, RR 1 lots beside an RR 2 lot:", &beside_bad, 0);
	double rate = (double)null_lots.signals / null_lots.lots;
	printf("module false-alarm rate %.4f %s alpha %.2f\n", rate, rate <= ALPHA ? "<=" : "ABOVE", ALPHA);
	if (check && rate > ALPHA) {
		printf("FAIL: false-alarm rate above alpha\n");
		return 1;
	}
	return 0;
}
