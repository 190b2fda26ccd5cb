/* Follow-up statistics (core/followup_stats.h) against published and hand-checkable values.
 * The wide comparison with SciPy on generated cases is tests/ref/followup_stats_ref.py
 * (meson test followup_stats_ref); the fixed cases here keep the unit test self-contained.
 *
 * Clopper–Pearson: 0/10 → [0, 0.3085], and Newcombe RG, Two-sided confidence intervals for the
 * single proportion: comparison of seven methods, Stat Med 1998;17:857–872, Table II, the exact
 * (Clopper–Pearson) method: 15/148 → 0.0578–0.1617, 0/20 → 0–0.1684, 1/29 → 0.0009–0.1776; the
 * full-precision figures are scipy.stats.beta.ppf's (SciPy 1.10.1).
 *
 * Kaplan–Meier: the 6-MP arm of Freireich et al. (Blood 1963;21:699), remission times in weeks
 * (+ censored): 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+, as analysed
 * in Kalbfleisch & Prentice (2002) and Klein & Moeschberger (2003, Table 4.1A): S = 0.857,
 * 0.807, 0.753, 0.690, 0.627, 0.538, 0.448 at the event times 6, 7, 10, 13, 16, 22, 23, Greenwood
 * standard errors 0.076, 0.087, 0.096, 0.107, 0.114, 0.128, 0.135; the log(−log) band at week 6
 * is 0.620–0.952 (R survfit conf.type = "log-log" gives the same). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/followup_stats.h"

#define TOL 1e-12

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

static void test_clopper_pearson_published(void **state)
{
	(void)state;
	static const struct {
		int64_t k, n;
		double lower, upper;   /* SciPy, full precision */
		double lower4, upper4; /* as published, 4 decimals */
	} cases[] = {
		{0, 10, 0.0, 0.30849710781876077, 0.0, 0.3085},
		{15, 148, 0.057844010083448569, 0.16165049034947901, 0.0578, 0.1617},
		{0, 20, 0.0, 0.16843347098308531, 0.0, 0.1684},
		{1, 29, 0.00087264688357992204, 0.1776442954887229, 0.0009, 0.1776},
		{10, 10, 0.69150289218123917, 1.0, 0.6915, 1.0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fs_interval ci;
		assert_int_equal(fs_clopper_pearson(cases[i].k, cases[i].n, 0.95, &ci), 0);
		assert_close(ci.lower, cases[i].lower, TOL);
		assert_close(ci.upper, cases[i].upper, TOL);
		assert_close(ci.lower, cases[i].lower4, 0.5e-4);
		assert_close(ci.upper, cases[i].upper4, 0.5e-4);
	}
}

/* Where a Beta shape is 1 the limits have closed forms: k = 0 gives upper 1 − (alpha/2)^(1/n),
 * k = n gives lower (alpha/2)^(1/n); n = 1 and n = 100000 are the ends the issue names. */
static void test_clopper_pearson_closed_forms(void **state)
{
	(void)state;
	const int64_t ns[] = {1, 2, 7, 1000, 100000};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		int64_t n = ns[i];
		fs_interval ci;
		assert_int_equal(fs_clopper_pearson(0, n, 0.95, &ci), 0);
		assert_true(ci.lower == 0.0);
		assert_close(ci.upper, 1.0 - pow(0.025, 1.0 / (double)n), TOL);
		assert_int_equal(fs_clopper_pearson(n, n, 0.95, &ci), 0);
		assert_close(ci.lower, pow(0.025, 1.0 / (double)n), TOL);
		assert_true(ci.upper == 1.0);
	}
	/* 1 of 1 at 90%: lower = 0.05. */
	fs_interval ci;
	assert_int_equal(fs_clopper_pearson(1, 1, 0.90, &ci), 0);
	assert_close(ci.lower, 0.05, TOL);
}

/* The interval's defining property: at the lower limit P(X >= k) = alpha/2, at the upper
 * P(X <= k) = alpha/2, the binomial tails summed term by term (independent of the beta code). */
static double binom_tail_at_least(int64_t k, int64_t n, double p)
{
	double sum = 0.0;
	for (int64_t j = k; j <= n; j++)
		sum += exp(lgamma((double)n + 1) - lgamma((double)j + 1) - lgamma((double)(n - j) + 1) + (double)j * log(p) +
		           (double)(n - j) * log1p(-p));
	return sum;
}

static void test_clopper_pearson_tails(void **state)
{
	(void)state;
	const int64_t cases[][2] = {{1, 5}, {3, 7}, {12, 40}, {39, 40}, {50, 120}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t k = cases[i][0], n = cases[i][1];
		fs_interval ci;
		assert_int_equal(fs_clopper_pearson(k, n, 0.95, &ci), 0);
		assert_close(binom_tail_at_least(k, n, ci.lower), 0.025, 1e-12);
		assert_close(1.0 - binom_tail_at_least(k + 1, n, ci.upper), 0.025, 1e-12);
	}
}

static void test_clopper_pearson_bad_input(void **state)
{
	(void)state;
	fs_interval ci = {-7.0, -7.0};
	assert_int_equal(fs_clopper_pearson(0, 0, 0.95, &ci), -1);
	assert_int_equal(fs_clopper_pearson(-1, 10, 0.95, &ci), -1);
	assert_int_equal(fs_clopper_pearson(11, 10, 0.95, &ci), -1);
	assert_int_equal(fs_clopper_pearson(1, 10, 0.0, &ci), -1);
	assert_int_equal(fs_clopper_pearson(1, 10, 1.0, &ci), -1);
	assert_int_equal(fs_clopper_pearson(1, 10, NAN, &ci), -1);
	assert_int_equal(fs_clopper_pearson(1, 10, 0.95, NULL), -1);
	assert_true(ci.lower == -7.0 && ci.upper == -7.0); /* untouched */
}

static void test_beta_and_normal(void **state)
{
	(void)state;
	/* scipy.stats.beta.cdf(0.3, 2.5, 7.25) and .ppf of the same. */
	assert_close(fs_beta_cdf(0.3, 2.5, 7.25), 0.66048227358190714, TOL);
	double x;
	assert_int_equal(fs_beta_quantile(0.66048227358190714, 2.5, 7.25, &x), 0);
	assert_close(x, 0.3, TOL);
	assert_int_equal(fs_beta_quantile(0.3, 2.5, 7.25, &x), 0);
	assert_close(x, 0.17173070563432893, TOL);
	assert_true(isnan(fs_beta_cdf(0.5, 0.0, 1.0)));
	assert_true(isnan(fs_beta_cdf(1.5, 1.0, 1.0)));
	assert_int_equal(fs_beta_quantile(-0.1, 1.0, 1.0, &x), -1);
	assert_int_equal(fs_beta_quantile(0.5, 1.0, -1.0, &x), -1);
	/* Φ⁻¹(0.975), the 1.96 of every 95% interval, and the far tail. */
	assert_close(fs_normal_quantile(0.975), 1.959963984540054, 1e-15);
	assert_close(fs_normal_quantile(0.5), 0.0, 0.0);
	assert_close(fs_normal_quantile(1e-10), -6.3613409024040557, 1e-13);
	assert_true(isnan(fs_normal_quantile(0.0)));
	assert_true(isnan(fs_normal_quantile(1.0)));
}

/* The 6-MP data (header comment), shuffled: the function sorts its own copy. */
static const fs_obs six_mp[] = {
	{32, 0}, {6, 1}, {10, 0}, {23, 1}, {6, 1}, {35, 0}, {9, 0}, {16, 1}, {6, 0}, {19, 0}, {7, 1},
	{11, 0}, {13, 1}, {6, 1}, {17, 0}, {20, 0}, {22, 1}, {10, 1}, {25, 0}, {32, 0}, {34, 0},
};

static void test_kaplan_meier_six_mp(void **state)
{
	(void)state;
	size_t n = sizeof six_mp / sizeof six_mp[0];
	fs_km_step steps[sizeof six_mp / sizeof six_mp[0]];
	assert_int_equal(fs_kaplan_meier(six_mp, n, 0.95, steps), 16);
	static const struct {
		double time;
		int64_t at_risk, events, censored;
		double s3, se3;         /* published, 3 decimals */
		double lower, upper;    /* the independent NumPy computation, full precision */
	} want[] = {
		{6, 21, 3, 1, 0.857, 0.076, 0.61971795526598383, 0.95155174764699701},
		{7, 17, 1, 0, 0.807, 0.087, 0.56314656462223334, 0.9228090192028805},
		{9, 16, 0, 1, 0.807, 0.087, 0.56314656462223334, 0.9228090192028805},
		{10, 15, 1, 1, 0.753, 0.096, 0.5031995107999564, 0.88936183516926559},
		{11, 13, 0, 1, 0.753, 0.096, 0.5031995107999564, 0.88936183516926559},
		{13, 12, 1, 0, 0.690, 0.107, 0.43161022248618403, 0.84906596334945073},
		{16, 11, 1, 0, 0.627, 0.114, 0.36751085598750205, 0.80491218947184129},
		{17, 10, 0, 1, 0.627, 0.114, 0.36751085598750205, 0.80491218947184129},
		{19, 9, 0, 1, 0.627, 0.114, 0.36751085598750205, 0.80491218947184129},
		{20, 8, 0, 1, 0.627, 0.114, 0.36751085598750205, 0.80491218947184129},
		{22, 7, 1, 0, 0.538, 0.128, 0.26777893676713505, 0.74679071763539473},
		{23, 6, 1, 0, 0.448, 0.135, 0.18805200595923233, 0.68014262849524154},
		{25, 5, 0, 1, 0.448, 0.135, 0.18805200595923233, 0.68014262849524154},
		{32, 4, 0, 2, 0.448, 0.135, 0.18805200595923233, 0.68014262849524154},
		{34, 2, 0, 1, 0.448, 0.135, 0.18805200595923233, 0.68014262849524154},
		{35, 1, 0, 1, 0.448, 0.135, 0.18805200595923233, 0.68014262849524154},
	};
	double greenwood = 0.0;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_true(steps[i].time == want[i].time);
		assert_int_equal(steps[i].at_risk, want[i].at_risk);
		assert_int_equal(steps[i].events, want[i].events);
		assert_int_equal(steps[i].censored, want[i].censored);
		assert_close(steps[i].survival, want[i].s3, 0.5e-3);
		assert_close(steps[i].lower, want[i].lower, TOL);
		assert_close(steps[i].upper, want[i].upper, TOL);
		/* Greenwood's standard error S·sqrt(Σ d/(n(n−d))) by hand, against the published. */
		double d = (double)want[i].events, r = (double)want[i].at_risk;
		greenwood += d / (r * (r - d));
		assert_close(steps[i].survival * sqrt(greenwood), want[i].se3, 0.5e-3);
	}
	/* Week 6, 18/21 by hand, and the published band 0.620–0.952. */
	assert_close(steps[0].survival, 18.0 / 21.0, 1e-15);
	assert_close(steps[0].lower, 0.620, 0.5e-3);
	assert_close(steps[0].upper, 0.952, 0.5e-3);
}

static void test_kaplan_meier_edges(void **state)
{
	(void)state;
	fs_km_step steps[4];
	/* No unit: no step. */
	assert_int_equal(fs_kaplan_meier(NULL, 0, 0.95, NULL), 0);
	/* Censored only: S stays 1, the band is undefined. */
	const fs_obs censored[] = {{1.5, 0}, {3.0, 0}};
	assert_int_equal(fs_kaplan_meier(censored, 2, 0.95, steps), 2);
	assert_true(steps[1].survival == 1.0 && isnan(steps[1].lower) && isnan(steps[1].upper));
	/* Everyone has the event: S reaches 0, band undefined there. */
	const fs_obs all[] = {{2.0, 1}, {1.0, 1}, {2.0, 1}};
	assert_int_equal(fs_kaplan_meier(all, 3, 0.95, steps), 2);
	assert_close(steps[0].survival, 2.0 / 3.0, 1e-15);
	assert_false(isnan(steps[0].lower));
	assert_true(steps[0].lower < steps[0].survival && steps[0].survival < steps[0].upper);
	assert_true(steps[1].survival == 0.0 && isnan(steps[1].lower) && isnan(steps[1].upper));
	assert_int_equal(steps[1].at_risk, 2);
	assert_int_equal(steps[1].events, 2);
	/* Time 0 is allowed (a symptom on the day of entry). */
	const fs_obs at_zero[] = {{0.0, 1}, {5.0, 0}};
	assert_int_equal(fs_kaplan_meier(at_zero, 2, 0.95, steps), 2);
	assert_close(steps[0].survival, 0.5, 0.0);
	/* −0 is 0: it sorts first (a radix sort on the raw bits would put it last). */
	const fs_obs minus_zero[] = {{3.0, 0}, {-0.0, 1}, {1.0, 1}};
	assert_int_equal(fs_kaplan_meier(minus_zero, 3, 0.95, steps), 3);
	assert_true(steps[0].time == 0.0 && steps[0].at_risk == 3 && steps[0].events == 1);
	assert_true(steps[1].time == 1.0 && steps[2].time == 3.0);
}

/* Many units with times spread over every exponent, and ties: the steps come out ascending and
 * the counts add up (the sort is a radix sort on the bits; this checks its order). */
static void test_kaplan_meier_order(void **state)
{
	(void)state;
	enum { N = 5000 };
	static fs_obs obs[N];
	static fs_km_step steps[N];
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double t = (i % 3 == 0) ? (double)(x % 50) : ldexp((double)(x >> 11), -(int)(x % 90));
		obs[i] = (fs_obs){t, (int)(x >> 63)};
	}
	ptrdiff_t m = fs_kaplan_meier(obs, N, 0.95, steps);
	assert_true(m > 0);
	int64_t total = 0;
	for (ptrdiff_t i = 0; i < m; i++) {
		if (i > 0) {
			assert_true(steps[i].time > steps[i - 1].time);
			assert_int_equal(steps[i].at_risk, steps[i - 1].at_risk - steps[i - 1].events - steps[i - 1].censored);
		}
		total += steps[i].events + steps[i].censored;
	}
	assert_int_equal(steps[0].at_risk, N);
	assert_int_equal(total, N);
}

static void test_kaplan_meier_bad_input(void **state)
{
	(void)state;
	fs_km_step steps[2];
	const fs_obs negative[] = {{1.0, 1}, {-0.5, 0}};
	const fs_obs infinite[] = {{INFINITY, 1}};
	const fs_obs not_a_number[] = {{NAN, 0}};
	const fs_obs bad_event[] = {{1.0, 2}};
	assert_int_equal(fs_kaplan_meier(negative, 2, 0.95, steps), -1);
	assert_int_equal(fs_kaplan_meier(infinite, 1, 0.95, steps), -1);
	assert_int_equal(fs_kaplan_meier(not_a_number, 1, 0.95, steps), -1);
	assert_int_equal(fs_kaplan_meier(bad_event, 1, 0.95, steps), -1);
	assert_int_equal(fs_kaplan_meier(negative, 1, 1.0, steps), -1);
	assert_int_equal(fs_kaplan_meier(negative, 1, 0.95, NULL), -1);
	assert_int_equal(fs_kaplan_meier(NULL, 1, 0.95, steps), -1);
}

static void test_person_days_and_incidence(void **state)
{
	(void)state;
	const int64_t seconds[] = {86400, 43200, 0, 86400 * 30};
	assert_close(fs_person_days(seconds, 4), 31.5, 0.0);
	assert_close(fs_person_days(NULL, 0), 0.0, 0.0);
	const int64_t negative[] = {86400, -1};
	assert_close(fs_person_days(negative, 2), -1.0, 0.0);
	const int64_t overflow[] = {INT64_MAX, 1};
	assert_close(fs_person_days(overflow, 2), -1.0, 0.0);

	/* Four units: symptom 0 twice, symptom 2 once, symptom 1 never; bits above n_symptoms are
	 * ignored. */
	const uint32_t units[] = {0x1, 0x5, 0x0, 0x8};
	fs_incidence inc[3];
	assert_int_equal(fs_symptom_incidence(units, 4, 3, 0.95, inc), 0);
	assert_int_equal(inc[0].units, 2);
	assert_close(inc[0].proportion, 0.5, 0.0);
	fs_interval ci;
	assert_int_equal(fs_clopper_pearson(2, 4, 0.95, &ci), 0);
	assert_close(inc[0].lower, ci.lower, 0.0);
	assert_close(inc[0].upper, ci.upper, 0.0);
	assert_int_equal(inc[1].units, 0);
	assert_close(inc[1].lower, 0.0, 0.0);
	assert_close(inc[1].upper, 1.0 - pow(0.025, 0.25), TOL);
	assert_int_equal(inc[2].units, 1);
	/* No followed unit: NAN, not a division by zero. */
	assert_int_equal(fs_symptom_incidence(NULL, 0, 3, 0.95, inc), 0);
	assert_true(inc[0].units == 0 && isnan(inc[0].proportion) && isnan(inc[0].lower) && isnan(inc[0].upper));
	/* Bad input. */
	assert_int_equal(fs_symptom_incidence(units, 4, 0, 0.95, inc), -1);
	assert_int_equal(fs_symptom_incidence(units, 4, FS_MAX_SYMPTOMS + 1, 0.95, inc), -1);
	assert_int_equal(fs_symptom_incidence(NULL, 4, 3, 0.95, inc), -1);
	assert_int_equal(fs_symptom_incidence(units, 4, 3, 1.5, inc), -1);
	fs_incidence one = {.units = -7};
	assert_int_equal(fs_incidence_of(5, 4, 0.95, &one), -1);
	assert_int_equal(fs_incidence_of(-1, 4, 0.95, &one), -1);
	assert_int_equal(fs_incidence_of(1, -4, 0.95, &one), -1);
	assert_int_equal(one.units, -7);
	assert_int_equal(fs_incidence_of(3, 10, 0.95, &one), 0);
	assert_close(one.proportion, 0.3, 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clopper_pearson_published),
		cmocka_unit_test(test_clopper_pearson_closed_forms),
		cmocka_unit_test(test_clopper_pearson_tails),
		cmocka_unit_test(test_clopper_pearson_bad_input),
		cmocka_unit_test(test_beta_and_normal),
		cmocka_unit_test(test_kaplan_meier_six_mp),
		cmocka_unit_test(test_kaplan_meier_edges),
		cmocka_unit_test(test_kaplan_meier_order),
		cmocka_unit_test(test_kaplan_meier_bad_input),
		cmocka_unit_test(test_person_days_and_incidence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
