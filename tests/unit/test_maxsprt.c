/* The Poisson MaxSPRT (core/maxsprt.h) against published numbers and against simulation.
 *
 * Published critical values: R package Sequential 4.5.1 (Silva IR, Kulldorff M; CRAN,
 * 2025-10-28), file R/CV.Poisson.R, table TableCV.PoissonM: the continuous-monitoring
 * critical values for alpha = 0.05, D = 0 (no delay), upper limits T = 1 .. 1000 expected
 * events and minimum events M = 1, 2, 3, 4, 6, 8, 10, computed by the exact method of
 * Kulldorff et al. (2011) and kept in the package to save time; 0 there means "does not have
 * solution" (P(N(T) >= M) < alpha). The package iterates to |alpha - 0.05| <= 1e-8, so its
 * values are good to about 1e-7; ours agree to about 1e-10.
 * Published power: Sequential's manual, man/Performance.Poisson.Rd (T = 10, M = 1,
 * CV.Poisson = 3.467952, RR = 2: power 0.6850634, expected time to signal 4.130985 expected
 * events) and man/Sequential-package.Rd (T = 10, M = 3, RR = 2: power 0.7329625).
 *
 * The Monte Carlo checks simulate the unit-rate Poisson process in expected-count time
 * (splitmix64, fixed seeds) and test every event arrival, as continuous monitoring does. The
 * simulation of lots seen only at their check-ins is tests/sim/maxsprt_lots.c. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/maxsprt.h"
#include "../sim/sim_prng.h"

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* LLR(c, mu) = mu - c + c·ln(c/mu) for c > mu:
 *   LLR(2, 1) = -1 + 2·ln 2 = 0.386294361119890…
 *   LLR(5, 2) = -3 + 5·ln 2.5 = 1.581453659370775…
 *   LLR(10, 2.5) = -7.5 + 10·ln 4 = 6.362943611198906… */
static void test_llr_hand_values(void **state)
{
	(void)state;
	assert_near(maxsprt_llr(2, 1.0), 0.386294361119890618834464242916, 1e-15);
	assert_near(maxsprt_llr(5, 2.0), 1.58145365937077532493644716, 1e-15);
	assert_near(maxsprt_llr(10, 2.5), 6.36294361119890618834464242916, 1e-14);
	/* No excess: 0, not negative. */
	assert_near(maxsprt_llr(0, 1.0), 0.0, 0.0);
	assert_near(maxsprt_llr(3, 3.0), 0.0, 0.0);
	assert_near(maxsprt_llr(2, 7.5), 0.0, 0.0);
	/* Nothing expected: any event is infinitely unlikely under the null. */
	assert_true(isinf(maxsprt_llr(1, 0.0)) && maxsprt_llr(1, 0.0) > 0);
	assert_near(maxsprt_llr(0, 0.0), 0.0, 0.0);
	assert_true(isnan(maxsprt_llr(1, -1.0)));
	assert_true(isnan(maxsprt_llr(-1, 1.0)));
	assert_true(isnan(maxsprt_llr(1, NAN)));
	assert_true(isnan(maxsprt_llr(1, INFINITY)));
}

/* Sequential 4.5.1, R/CV.Poisson.R, TableCV.PoissonM (alpha 0.05, D 0); columns M. */
static const int table_m[7] = {1, 2, 3, 4, 6, 8, 10};
static const struct {
	double upper_limit;
	double cv[7];
} sequential_table[] = {
	{1, {2.85393700326128, 2.36663822744395, 1.7742178463146, 0, 0, 0, 0}},
	{1.5, {2.96497144429574, 2.57638960908667, 2.15070686609869, 1.68320857573985, 0, 0, 0}},
	{2, {3.0469774628286, 2.68935364101625, 2.34967932492501, 2.00015758807598, 0, 0, 0}},
	{2.5, {3.11041922987987, 2.77748334336629, 2.47487306554246, 2.18732770846946, 0, 0, 0}},
	{3, {3.16210581650405, 2.8493269885449, 2.56531970873171, 2.31713928988974, 1.76648463065627, 0, 0}},
	{4, {3.24500386808042, 2.93740985148835, 2.69918199672857, 2.49889219887528, 2.08947296098257, 1.56463589358817, 0}},
	{5, {3.29718279728549, 3.01290868171239, 2.80395477091307, 2.62366847225542, 2.26759506082247, 1.93644717718729, 0}},
	{6, {3.34272874946839, 3.08209924178235, 2.87390384946275, 2.69934978606631, 2.40680950082531, 2.09383466767681, 1.74055087831132}},
	{8, {3.41378224992083, 3.17006191246864, 2.98556046816797, 2.82925856210701, 2.57262664682324, 2.33777083613016, 2.08603188356668}},
	{10, {3.46795158033368, 3.23800870652229, 3.06424796686384, 2.92156132978567, 2.69058633468102, 2.4848340056375, 2.2814406139523}},
	{12, {3.51174870474631, 3.29055057983813, 3.12525250048283, 2.99310550216978, 2.7814346207046, 2.58938849090246, 2.41540178483103}},
	{15, {3.56259057516111, 3.35326528420839, 3.19995342291952, 3.07561262580597, 2.87793940574268, 2.71199552491449, 2.55663428340283}},
	{20, {3.62812301587201, 3.4301407625587, 3.28821566346814, 3.17637032177521, 2.99779165442139, 2.84685765103372, 2.71713745193818}},
	{25, {3.67631995875227, 3.48796061486674, 3.3566769512246, 3.24963354903075, 3.0810513452118, 2.94727030411798, 2.82771061367823}},
	{30, {3.71576438223103, 3.53415028882636, 3.40671487050728, 3.3071350801791, 3.14780120177428, 3.01963940268373, 2.91122208653942}},
	{40, {3.77466349620378, 3.60505631658695, 3.48595979980634, 3.39197395348475, 3.24661941308076, 3.13049529955633, 3.03073524477903}},
	{50, {3.81990269391777, 3.65714243579444, 3.54482617261637, 3.4555214311217, 3.31795545593698, 3.21042821525469, 3.11755331874543}},
	{60, {3.85575466209975, 3.69888480478571, 3.59056669774142, 3.50521969535492, 3.37419401277773, 3.27148598919451, 3.18419630429743}},
	{80, {3.91085346466642, 3.7624739866046, 3.65993869307721, 3.58089967455607, 3.45808683624598, 3.36288832681964, 3.28403027659113}},
	{100, {3.95232090599911, 3.81014086931301, 3.71199319899898, 3.63650814981748, 3.52008147061398, 3.43006496056302, 3.35579446678864}},
	{120, {3.98557719058308, 3.84774767167223, 3.75332945022298, 3.68058354716942, 3.56867928724568, 3.48296604520948, 3.41123480524391}},
	{150, {4.02533791597334, 3.89271466068751, 3.80241164747275, 3.73238627490875, 3.62614993442272, 3.54430757139021, 3.4766545706701}},
	{200, {4.07482766406364, 3.94892970910266, 3.86276222895003, 3.79683534705039, 3.69651138482233, 3.61982463789605, 3.55679903763937}},
	{250, {4.11223437028032, 3.990901126178, 3.90806497513453, 3.84484673513135, 3.74875734849489, 3.67570325845673, 3.61551308623033}},
	{300, {4.14213356396756, 4.02415316719417, 3.94413519839946, 3.88271021939305, 3.79014311617218, 3.71945215752241, 3.66182960350214}},
	{400, {4.18803098306215, 4.07529664413041, 3.99894986501106, 3.94056304984504, 3.85265830465641, 3.78592974865935, 3.73152355787215}},
	{500, {4.22263170622893, 4.11369239777545, 4.04002057942574, 3.98377804171546, 3.899238807548, 3.83526454689286, 3.78312575686608}},
	{600, {4.25030952971488, 4.1443167419865, 4.07263799414012, 4.01808951759544, 3.93617480815424, 3.87418262220993, 3.82390844776879}},
	{800, {4.29282949701916, 4.19116679996068, 4.12255869710559, 4.07046611590226, 3.9922717187982, 3.93336365702725, 3.88559998964833}},
	{1000, {4.32491732176988, 4.22641197548099, 4.16002223662034, 4.10966536848407, 4.03421016321423, 3.97745325368572, 3.93152895644531}},
};

static void check_table_row(size_t row, double *max_diff)
{
	for (int col = 0; col < 7; col++) {
		double want = sequential_table[row].cv[col], cv = -1.0;
		int rc = maxsprt_critical_value(sequential_table[row].upper_limit, table_m[col], 0.05, &cv);
		if (want == 0.0) {
			if (rc != -1)
				fail_msg("T %g M %d: the table has no solution, we returned %d (cv %.15g)",
				         sequential_table[row].upper_limit, table_m[col], rc, cv);
			continue;
		}
		if (rc != 0)
			fail_msg("T %g M %d: returned %d, want %.15g", sequential_table[row].upper_limit, table_m[col], rc, want);
		if (!(fabs(cv - want) <= 1e-7))
			fail_msg("T %g M %d: cv %.15g, Sequential %.15g", sequential_table[row].upper_limit, table_m[col], cv, want);
		if (fabs(cv - want) > *max_diff)
			*max_diff = fabs(cv - want);
	}
}

/* Every entry, the "no solution" zeros included (about 2 s: the T = 1000 rows cost most). */
static void test_critical_values_match_sequential_table(void **state)
{
	(void)state;
	double max_diff = 0.0;
	for (size_t row = 0; row < sizeof sequential_table / sizeof sequential_table[0]; row++)
		check_table_row(row, &max_diff);
	printf("largest difference from Sequential's table: %.3g\n", max_diff);
}

/* The defaults (alpha 0.05, T 20, M 2) and the manual's examples. */
static void test_documented_examples(void **state)
{
	(void)state;
	double cv;
	assert_int_equal(maxsprt_critical_value(20.0, 2, 0.05, &cv), 0);
	assert_near(cv, 3.4301407625587, 1e-7);
	/* man/Performance.Poisson.Rd: CV.Poisson(SampleSize=10, alpha=0.05) = 3.467952. */
	assert_int_equal(maxsprt_critical_value(10.0, 1, 0.05, &cv), 0);
	assert_near(cv, 3.467952, 5e-7);
	/* ... and its power against RR = 2: 0.6850634. */
	assert_near(maxsprt_signal_probability(10.0, 1, cv, 2.0), 0.6850634, 5e-8);
	/* man/Sequential-package.Rd: T = 10, M = 3, RR = 2: power 0.7329625. */
	assert_int_equal(maxsprt_critical_value(10.0, 3, 0.05, &cv), 0);
	assert_near(maxsprt_signal_probability(10.0, 3, cv, 2.0), 0.7329625, 5e-8);
}

/* At the returned CV the exact signal probability is alpha, for alphas far from 0.05 too; a
 * hair below it the probability is above alpha (the CV is the smallest that keeps alpha). */
static void test_alpha_is_attained(void **state)
{
	(void)state;
	const double alphas[] = {0.2, 0.05, 0.01, 1e-3, 1e-6};
	const double limits[] = {0.5, 5.0, 20.0, 150.0};
	const int mins[] = {1, 2, 4};
	for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++)
		for (size_t t = 0; t < sizeof limits / sizeof limits[0]; t++)
			for (size_t m = 0; m < sizeof mins / sizeof mins[0]; m++) {
				double cv;
				if (maxsprt_critical_value(limits[t], mins[m], alphas[a], &cv) != 0) {
					/* Only where even CV -> 0 cannot spend alpha: P(N(T) >= M) < alpha. */
					double p0 = maxsprt_signal_probability(limits[t], mins[m], 1e-12, 1.0);
					if (!(p0 < alphas[a]))
						fail_msg("T %g M %d alpha %g: no CV, yet P(signal) can reach %g", limits[t],
						         mins[m], alphas[a], p0);
					continue;
				}
				double p = maxsprt_signal_probability(limits[t], mins[m], cv, 1.0);
				if (!(p <= alphas[a] && p >= alphas[a] * (1.0 - 1e-12)))
					fail_msg("T %g M %d alpha %g: P(signal) at cv %.17g is %.17g", limits[t], mins[m],
					         alphas[a], cv, p);
				double below = maxsprt_signal_probability(limits[t], mins[m], cv * (1.0 - 1e-9), 1.0);
				if (!(below > alphas[a]))
					fail_msg("T %g M %d alpha %g: just below cv, P = %.17g", limits[t], mins[m], alphas[a], below);
			}
}

/* A long surveillance: the CV keeps rising with T (more looks to spend alpha on) and alpha
 * is still attained to full precision. */
static void test_large_upper_limit(void **state)
{
	(void)state;
	double cv_2000, cv_1000;
	assert_int_equal(maxsprt_critical_value(2000.0, 2, 0.05, &cv_2000), 0);
	assert_int_equal(maxsprt_critical_value(1000.0, 2, 0.05, &cv_1000), 0);
	assert_near(cv_1000, 4.22641197548099, 1e-7);
	assert_true(cv_2000 > cv_1000 && cv_2000 < cv_1000 + 0.2);
	double p = maxsprt_signal_probability(2000.0, 2, cv_2000, 1.0);
	assert_near(p, 0.05, 1e-14);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	double cv = 42.0;
	assert_int_equal(maxsprt_critical_value(0.0, 2, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(-1.0, 2, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(NAN, 2, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(INFINITY, 2, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(MAXSPRT_UPPER_LIMIT_MAX * 1.01, 2, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, 0, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, -3, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, 2, 0.0, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, 2, 1.0, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, 2, NAN, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, 2, 0.05, NULL), -1);
	/* T = 1, M = 4: P(N(1) >= 4) = 0.019 < 0.05, no CV (0 in Sequential's table). */
	assert_int_equal(maxsprt_critical_value(1.0, 4, 0.05, &cv), -1);
	/* T = 20, M = 30: P(N(20) >= 30) = 0.0218 < 0.05; and an absurd M answers at once. */
	assert_int_equal(maxsprt_critical_value(20.0, 30, 0.05, &cv), -1);
	assert_int_equal(maxsprt_critical_value(20.0, INT_MAX, 0.05, &cv), -1);
	assert_near(cv, 42.0, 0.0);
	assert_true(isnan(maxsprt_signal_probability(20.0, 2, 0.0, 1.0)));
	assert_true(isnan(maxsprt_signal_probability(20.0, 2, 3.0, 0.0)));
	assert_true(isnan(maxsprt_signal_probability(20.0, 0, 3.0, 1.0)));
}

/* The power rises with the relative risk, from below alpha (RR < 1) to 1. */
static void test_power_rises_with_relative_risk(void **state)
{
	(void)state;
	double cv, previous = 0.0;
	assert_int_equal(maxsprt_critical_value(20.0, 2, 0.05, &cv), 0);
	const double risks[] = {0.01, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, 50.0, 1e6};
	for (size_t i = 0; i < sizeof risks / sizeof risks[0]; i++) {
		double p = maxsprt_signal_probability(20.0, 2, cv, risks[i]);
		if (!(p >= previous && p <= 1.0))
			fail_msg("RR %g: power %.17g after %.17g", risks[i], p, previous);
		previous = p;
	}
	assert_true(maxsprt_signal_probability(20.0, 2, cv, 0.5) < 0.05);
	assert_near(maxsprt_signal_probability(20.0, 2, cv, 1e6), 1.0, 1e-12);
}

static void test_look(void **state)
{
	(void)state;
	maxsprt_result r;
	const double cv = 3.4301407625587;
	/* 8 events where 2.5 were expected: LLR 3.80 >= CV. */
	maxsprt_look(8, 2.5, cv, 20.0, 2, &r);
	assert_true(r.signal && !r.ended);
	assert_near(r.llr, maxsprt_llr(8, 2.5), 0.0);
	assert_near(r.cv, cv, 0.0);
	/* 7 events where 2.5 were expected: LLR 2.71, not yet. */
	maxsprt_look(7, 2.5, cv, 20.0, 2, &r);
	assert_true(!r.signal && !r.ended);
	/* One event almost at once: a huge LLR, but M = 2 events are needed. */
	maxsprt_look(1, 0.001, cv, 20.0, 2, &r);
	assert_true(r.llr > cv && !r.signal && !r.ended);
	maxsprt_look(1, 0.001, cv, 20.0, 1, &r);
	assert_true(r.signal);
	/* At exactly T the test still looks; past T it is over, whatever the count. */
	maxsprt_look(40, 20.0, cv, 20.0, 2, &r);
	assert_true(r.signal && !r.ended);
	maxsprt_look(40, 20.0001, cv, 20.0, 2, &r);
	assert_true(!r.signal && r.ended);
	maxsprt_look(0, 0.0, cv, 20.0, 2, &r);
	assert_true(!r.signal && !r.ended && r.llr == 0.0);
}

/* One unit-rate Poisson process in expected-count time, events arriving rel_risk times as
 * fast, tested at every arrival until the expected count passes T. Returns the expected
 * count at the signal, or -1 without one. */
static double continuous_run(sim_prng *rng, double T, int M, double cv, double rel_risk)
{
	double t = 0.0;
	for (int64_t events = 1;; events++) {
		t += sim_exponential(rng, rel_risk);
		if (t > T)
			return -1.0;
		if (events >= M && maxsprt_llr(events, t) >= cv)
			return t;
	}
}

/* 200,000 runs at T 20, M 2: the rejection rate under the null is alpha, and under RR = 2 the
 * exact power, each within 4 standard errors; at T 10, M 1, RR 2 the mean time to signal is
 * the manual's 4.130985 expected events. */
static void test_monte_carlo(void **state)
{
	(void)state;
	const int runs = 200000;
	double cv;
	assert_int_equal(maxsprt_critical_value(20.0, 2, 0.05, &cv), 0);
	sim_prng rng = {20261204u};
	int signals = 0;
	for (int i = 0; i < runs; i++)
		signals += continuous_run(&rng, 20.0, 2, cv, 1.0) >= 0.0;
	double rate = (double)signals / runs, se = sqrt(0.05 * 0.95 / runs);
	printf("null, T 20, M 2: %d of %d runs signalled, %.5f (alpha 0.05, standard error %.5f)\n", signals, runs,
	       rate, se);
	assert_true(fabs(rate - 0.05) <= 4.0 * se);

	double power = maxsprt_signal_probability(20.0, 2, cv, 2.0);
	signals = 0;
	for (int i = 0; i < runs; i++)
		signals += continuous_run(&rng, 20.0, 2, cv, 2.0) >= 0.0;
	rate = (double)signals / runs;
	se = sqrt(power * (1.0 - power) / runs);
	printf("RR 2, T 20, M 2: %.5f signalled, exact power %.5f (standard error %.5f)\n", rate, power, se);
	assert_true(fabs(rate - power) <= 4.0 * se);

	assert_int_equal(maxsprt_critical_value(10.0, 1, 0.05, &cv), 0);
	double sum = 0.0, sum_sq = 0.0;
	signals = 0;
	for (int i = 0; i < runs; i++) {
		double t = continuous_run(&rng, 10.0, 1, cv, 2.0);
		if (t >= 0.0) {
			signals++;
			sum += t;
			sum_sq += t * t;
		}
	}
	double mean = sum / signals, sd = sqrt((sum_sq - signals * mean * mean) / (signals - 1));
	printf("RR 2, T 10, M 1: power %.5f (manual 0.6850634), mean time to signal %.4f (manual 4.130985, "
	       "standard error %.4f)\n", (double)signals / runs, mean, sd / sqrt(signals));
	assert_true(fabs(mean - 4.130985) <= 4.0 * sd / sqrt(signals));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llr_hand_values),
		cmocka_unit_test(test_critical_values_match_sequential_table),
		cmocka_unit_test(test_documented_examples),
		cmocka_unit_test(test_alpha_is_attained),
		cmocka_unit_test(test_large_upper_limit),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_power_rises_with_relative_risk),
		cmocka_unit_test(test_look),
		cmocka_unit_test(test_monte_carlo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
