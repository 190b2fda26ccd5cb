/* Simulated lots under the MaxSPRT (core/maxsprt.h), looked at when their patients check in:
 * the false-alarm rate of lots with no excess risk, and the power and time to signal of lots
 * with twice the baseline rate (issue 17's simulation tests).
 *
 * A lot: patients start it as a Poisson stream of ENTRY_PER_DAY over the LOT_IN_USE_DAYS the
 * lot is dispensed (about 60 patients). Each is asked at days 3, 14, 30, 121, 212 and 303
 * after their first delivery (the default plan: 3, 14, 30, then every 91 days, for a year),
 * answers each check-in with probability ANSWER_PROB, 0 to 3 days late. Their first symptom
 * comes after an exponential time with the baseline hazard (15% within 30 days) times the
 * lot's relative risk; it is reported at the first answered check-in after it.
 *
 * The test looks at the lot after every answered check-in, in time order (or once a week,
 * after the week's check-ins), with what is known then: observed = patients who reported an
 * event. Three readings of expected:
 *   onset         baseline hazard × person-time, person-time running from entry to the
 *                 symptom's onset or to the last answered check-in. The counting process is
 *                 then a Poisson process in expected-count time under the null, and the look
 *                 at the check-in reporting an event sees it at its own expected count: every
 *                 arrival is looked at, so this gives back the continuous test (alpha within
 *                 sampling error); weekly looks miss some and are conservative.
 *   person-days   CONTRACT17 section 4 as written: the event's time is the reporting check-in
 *                 (answered_at − entry) and the baseline is events per person-day measured
 *                 the same way on mature lots (REFERENCE_PATIENTS patients followed the whole
 *                 year). Events per person-day measured at check-ins fall with the interval
 *                 length ((1 − e^(−hΔ))/Δ), and a young lot has only the short early
 *                 intervals: its expected count is too low and false alarms exceed alpha.
 *   per check-in  the proposed fix: each answered check-in of a patient still at risk adds
 *                 the share of such check-ins in mature lots, with the same previous answered
 *                 check-in (or entry) and the same day offset, that report the first event.
 *                 Conservative: Bernoulli steps, seen at their end.
 * Surveillance of a lot ends at a signal, when expected passes T, or when its check-ins run
 * out (a year after its last patient started).
 *
 * Usage: maxsprt_lots [--lots N] [--seed S] [--check]
 * --check (meson test maxsprt_false_alarms): exit 1 when the per-check-in false-alarm rate is
 * above alpha, or the onset rate more than 3 standard errors from alpha. The person-days
 * reading is reported, with a warning when above alpha. Everything is drawn from splitmix64
 * with the given seed (17 by default), so a run is the same on every machine and every day. */
#include "core/maxsprt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_args.h"
#include "sim_prng.h"

#define ALPHA 0.05
#define UPPER_LIMIT 20.0
#define MIN_EVENTS 2
#define ENTRY_PER_DAY 0.5
#define LOT_IN_USE_DAYS 120.0
#define ANSWER_PROB 0.85
#define ANSWER_DELAY_MAX_DAYS 3.0
#define REFERENCE_PATIENTS 1000000
#define MAX_PATIENTS 4096

static const double schedule_days[] = {3, 14, 30, 121, 212, 303};
#define SCHEDULE_LEN (sizeof schedule_days / sizeof schedule_days[0])

/* 15% report a symptom within 30 days at baseline: 1 - exp(-30·h) = 0.15. */
static double baseline_hazard(void)
{
	return -log(0.85) / 30.0;
}

enum event_time { AT_ONSET, AT_CHECKIN, PER_CHECKIN };

typedef struct {
	double at;       /* days since the lot's first delivery */
	int patient;
	double since_entry; /* the check-in's answered_at − entry, days */
	int slot;           /* which of schedule_days */
} checkin;

typedef struct {
	double entry, onset; /* onset: days from entry to the first symptom */
	double person_time;  /* counted so far */
	int reported;        /* the event is known */
	int last_slot;       /* the last answered check-in's slot + 1; 0: none yet */
} patient;

typedef struct {
	int signal;
	double expected_at_end; /* at the signal, or at the last look */
	int looks;              /* answered check-ins up to the signal (or all) */
	double day;             /* days since the lot's first delivery */
} lot_outcome;

static int by_time(const void *a, const void *b)
{
	const checkin *x = a, *y = b;
	return (x->at > y->at) - (x->at < y->at);
}

static int by_double(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return (*x > *y) - (*x < *y);
}

/* One patient's answered check-ins (since entry, ascending) into out, their slots into slot;
 * returns how many. */
static size_t patient_checkins(sim_prng *rng, double out[SCHEDULE_LEN], int slot[SCHEDULE_LEN])
{
	size_t n = 0;
	for (size_t i = 0; i < SCHEDULE_LEN; i++) {
		int answered = sim_unit(rng) < ANSWER_PROB;
		double delay = sim_unit(rng) * ANSWER_DELAY_MAX_DAYS;
		if (answered) {
			slot[n] = (int)i;
			out[n++] = schedule_days[i] + delay;
		}
	}
	return n;
}

/* The per-check-in baseline: report_prob[prev][slot] = the share of at-risk patients answering
 * check-in `slot`, with their previous answered check-in at slot prev - 1 (0: none, since
 * entry), who report their first event there — in mature lots, as other lots of the product
 * would give it. */
typedef struct {
	double report_prob[SCHEDULE_LEN + 1][SCHEDULE_LEN];
} checkin_baseline;

/* Events per person-day in mature lots, measured with events at their reporting check-in, and
 * the per-check-in baseline, from the same REFERENCE_PATIENTS patients. */
static double reference_cohort(sim_prng *rng, double hazard, checkin_baseline *baseline)
{
	double events = 0.0, person_days = 0.0;
	static double at_risk[SCHEDULE_LEN + 1][SCHEDULE_LEN], reports[SCHEDULE_LEN + 1][SCHEDULE_LEN];
	memset(at_risk, 0, sizeof at_risk);
	memset(reports, 0, sizeof reports);
	for (int i = 0; i < REFERENCE_PATIENTS; i++) {
		double onset = sim_exponential(rng, hazard), times[SCHEDULE_LEN];
		int slot[SCHEDULE_LEN];
		size_t n = patient_checkins(rng, times, slot);
		if (n == 0)
			continue;
		size_t j = 0;
		int prev = 0;
		for (;; j++) {
			at_risk[prev][slot[j]] += 1.0;
			if (times[j] >= onset) {
				reports[prev][slot[j]] += 1.0;
				break;
			}
			if (j == n - 1)
				break;
			prev = slot[j] + 1;
		}
		person_days += times[j];
		events += times[j] >= onset;
	}
	for (size_t p = 0; p <= SCHEDULE_LEN; p++)
		for (size_t q = 0; q < SCHEDULE_LEN; q++)
			baseline->report_prob[p][q] = at_risk[p][q] > 0 ? reports[p][q] / at_risk[p][q] : 0.0;
	return events / person_days;
}

/* batch_days 0: a look after every answered check-in; 7: one a week, after the week's
 * check-ins. */
static lot_outcome simulate_lot(sim_prng *rng, double rel_risk, enum event_time reading, double base_rate,
                                const checkin_baseline *baseline, double batch_days, double cv, patient *patients,
                                checkin *checkins)
{
	const double hazard = baseline_hazard() * rel_risk;
	int n_patients = 0;
	size_t n_checkins = 0;
	for (double t = sim_exponential(rng, ENTRY_PER_DAY); t < LOT_IN_USE_DAYS && n_patients < MAX_PATIENTS;
	     t += sim_exponential(rng, ENTRY_PER_DAY)) {
		patient *p = &patients[n_patients];
		p->entry = t;
		p->onset = sim_exponential(rng, hazard);
		p->person_time = 0.0;
		p->reported = 0;
		p->last_slot = 0;
		double times[SCHEDULE_LEN];
		int slot[SCHEDULE_LEN];
		size_t n = patient_checkins(rng, times, slot);
		for (size_t j = 0; j < n; j++)
			checkins[n_checkins++] = (checkin){t + times[j], n_patients, times[j], slot[j]};
		n_patients++;
	}
	qsort(checkins, n_checkins, sizeof *checkins, by_time);

	lot_outcome out = {0, 0.0, 0, 0.0};
	int64_t observed = 0;
	double expected = 0.0;
	for (size_t i = 0; i < n_checkins; i++) {
		patient *p = &patients[checkins[i].patient];
		if (!p->reported) {
			double until = checkins[i].since_entry;
			if (reading == PER_CHECKIN)
				expected += baseline->report_prob[p->last_slot][checkins[i].slot];
			p->last_slot = checkins[i].slot + 1;
			if (p->onset <= until) {
				p->reported = 1;
				observed++;
				until = reading == AT_ONSET ? p->onset : until;
			}
			if (reading != PER_CHECKIN)
				expected += base_rate * (until - p->person_time);
			p->person_time = until;
		}
		if (batch_days > 0.0 && i + 1 < n_checkins &&
		    floor(checkins[i + 1].at / batch_days) == floor(checkins[i].at / batch_days))
			continue;
		maxsprt_result r;
		maxsprt_look(observed, expected, cv, UPPER_LIMIT, MIN_EVENTS, &r);
		out.looks++;
		out.expected_at_end = expected;
		out.day = checkins[i].at;
		if (r.signal) {
			out.signal = 1;
			break;
		}
		if (r.ended)
			break;
	}
	return out;
}

typedef struct {
	int lots, signals;
	double median_expected, median_looks, median_days;
	double mean_lot_expected; /* expected at the end of surveillance, all lots */
} run_summary;

static double median(double *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static int run(sim_prng *rng, int lots, double rel_risk, enum event_time reading, double base_rate,
               const checkin_baseline *baseline, double batch_days, double cv, run_summary *s)
{
	patient *patients = malloc(MAX_PATIENTS * sizeof *patients);
	checkin *checkins = malloc(MAX_PATIENTS * SCHEDULE_LEN * sizeof *checkins);
	double *expected = malloc((size_t)lots * sizeof *expected), *looks = malloc((size_t)lots * sizeof *looks),
	       *days = malloc((size_t)lots * sizeof *days);
	if (!patients || !checkins || !expected || !looks || !days) {
		free(patients), free(checkins), free(expected), free(looks), free(days);
		return -1;
	}
	memset(s, 0, sizeof *s);
	s->lots = lots;
	double sum_end = 0.0;
	for (int i = 0; i < lots; i++) {
		lot_outcome o = simulate_lot(rng, rel_risk, reading, base_rate, baseline, batch_days, cv, patients, checkins);
		sum_end += o.expected_at_end;
		if (o.signal) {
			expected[s->signals] = o.expected_at_end;
			looks[s->signals] = o.looks;
			days[s->signals] = o.day;
			s->signals++;
		}
	}
	s->mean_lot_expected = sum_end / lots;
	s->median_expected = median(expected, s->signals);
	s->median_looks = median(looks, s->signals);
	s->median_days = median(days, s->signals);
	free(patients), free(checkins), free(expected), free(looks), free(days);
	return 0;
}

static void print_summary(const char *what, const run_summary *s)
{
	double rate = (double)s->signals / s->lots, se = sqrt(rate * (1.0 - rate) / s->lots);
	printf("%-40s %5d of %d lots signalled: %.4f (standard error %.4f)", what, s->signals, s->lots, rate, se);
	if (s->signals > 0)
		printf("; median time to signal %.2f expected events, %.0f looks, %.0f days", s->median_expected,
		       s->median_looks, s->median_days);
	printf("\n");
}

int main(int argc, char **argv)
{
	sim_args args;
	int bad = sim_parse_args(argc, argv, "maxsprt_lots", 1, &args);
	if (bad)
		return bad;
	int lots = args.lots, check = args.check;
	unsigned long long seed = args.seed;
	double cv;
	if (maxsprt_critical_value(UPPER_LIMIT, MIN_EVENTS, ALPHA, &cv) != 0) {
		fprintf(stderr, "maxsprt_lots: no critical value\n");
		return 1;
	}
	printf("MaxSPRT, alpha %.2f, T %.0f expected events, M %d: CV %.10f\n", ALPHA, UPPER_LIMIT, MIN_EVENTS, cv);
	printf("continuous monitoring (exact): alpha %.4f, power at RR 2 %.4f\n",
	       maxsprt_signal_probability(UPPER_LIMIT, MIN_EVENTS, cv, 1.0),
	       maxsprt_signal_probability(UPPER_LIMIT, MIN_EVENTS, cv, 2.0));

	sim_prng rng = {seed};
	const double hazard = baseline_hazard();
	static checkin_baseline baseline;
	double checkin_rate = reference_cohort(&rng, hazard, &baseline);
	printf("seed %llu; baseline hazard %.6f per day; measured at check-ins on %d patients: %.6f per day\n", seed,
	       hazard, REFERENCE_PATIENTS, checkin_rate);

	run_summary null_onset, power_onset, null_weekly, power_weekly, null_checkin, power_checkin, null_per, power_per;
	if (run(&rng, lots, 1.0, AT_ONSET, hazard, &baseline, 0.0, cv, &null_onset) ||
	    run(&rng, lots, 2.0, AT_ONSET, hazard, &baseline, 0.0, cv, &power_onset) ||
	    run(&rng, lots, 1.0, AT_ONSET, hazard, &baseline, 7.0, cv, &null_weekly) ||
	    run(&rng, lots, 2.0, AT_ONSET, hazard, &baseline, 7.0, cv, &power_weekly) ||
	    run(&rng, lots, 1.0, AT_CHECKIN, checkin_rate, &baseline, 0.0, cv, &null_checkin) ||
	    run(&rng, lots, 2.0, AT_CHECKIN, checkin_rate, &baseline, 0.0, cv, &power_checkin) ||
	    run(&rng, lots, 1.0, PER_CHECKIN, 0.0, &baseline, 0.0, cv, &null_per) ||
	    run(&rng, lots, 2.0, PER_CHECKIN, 0.0, &baseline, 0.0, cv, &power_per)) {
		fprintf(stderr, "maxsprt_lots: out of memory\n");
		return 1;
	}
	printf("(mean expected count at the end of a null lot's surveillance, onset reading: %.1f)\n",
	       null_onset.mean_lot_expected);
	print_summary("onset, no excess risk:", &null_onset);
	print_summary("onset, twice the baseline rate:", &power_onset);
	print_summary("onset, weekly looks, no excess risk:", &null_weekly);
	print_summary("onset, weekly looks, RR 2:", &power_weekly);
	print_summary("person-days (as written), no excess:", &null_checkin);
	print_summary("person-days (as written), RR 2:", &power_checkin);
	print_summary("per check-in, no excess risk:", &null_per);
	print_summary("per check-in, twice the baseline rate:", &power_per);

	/* The checks: per check-in (the proposed reading) keeps alpha; onset gives back the
	 * continuous test (each event is seen at its own expected count), so alpha within
	 * sampling error. The as-written reading is reported, not failed: see CONTRACT17.md. */
	int failed = 0;
	double per_rate = (double)null_per.signals / lots;
	double onset_rate = (double)null_onset.signals / lots, onset_se = sqrt(ALPHA * (1.0 - ALPHA) / lots);
	double weekly_rate = (double)null_weekly.signals / lots;
	double written_rate = (double)null_checkin.signals / lots;
	printf("per check-in false-alarm rate %.4f %s alpha %.2f\n", per_rate, per_rate <= ALPHA ? "<=" : "ABOVE", ALPHA);
	printf("onset false-alarm rate %.4f, %+.1f standard errors from alpha; with weekly looks %.4f\n", onset_rate,
	       (onset_rate - ALPHA) / onset_se, weekly_rate);
	if (written_rate > ALPHA)
		printf("WARNING: with person-days to the reporting check-in (CONTRACT17 section 4 as written) the "
		       "false-alarm rate is %.4f, above alpha\n", written_rate);
	if (check && per_rate > ALPHA) {
		printf("FAIL: per check-in false-alarm rate above alpha\n");
		failed = 1;
	}
	if (check && fabs(onset_rate - ALPHA) > 3.0 * onset_se) {
		printf("FAIL: onset false-alarm rate more than 3 standard errors from alpha\n");
		failed = 1;
	}
	return failed;
}
