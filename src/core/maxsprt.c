/* The Poisson MaxSPRT with continuous monitoring (maxsprt.h): its statistic, its exact
 * critical value (Kulldorff et al. 2011, Sequential Analysis 30:58–78, section "Exact
 * critical values" for the Poisson model; R package Sequential, CV.Poisson with D = 0, does
 * the same computation), and one look at a lot.
 *
 * Why signals happen only at event arrivals. For c events, LLR(c, mu) = mu - c + c·ln(c/mu)
 * falls as mu grows (its derivative in mu is 1 - c/mu < 0 for mu < c): between two events the
 * statistic only goes down. So the test signals iff, for some c >= M, the c-th event arrives
 * at an expected count tau_c <= b_c, where
 *
 *   b_c = min(mu_c, T)  and  mu_c < c solves LLR(c, mu_c) = CV
 *
 * (the largest expected count at which c events still reach CV). Writing mu_c = c·x with
 * 0 < x < 1, x - 1 - ln x = CV / c; mu_c rises with c, by less than 1 per event
 * (dmu_c/dc = -x·ln x / (1 - x) < 1). Since tau_c <= b_c iff N(b_c) >= c for the Poisson
 * count N, with K the first c >= M where mu_c >= T (so b_K = T):
 *
 *   P(no signal) = P(N(b_c) <= c - 1 for every c = M .. K).
 *
 * That is a chain over the boundaries: the distribution of N(b_M) on 0 .. M-1, then from
 * b_(c-1) to b_c the Poisson(b_c - b_(c-1)) increments move the mass; what reaches c or more
 * at b_c is absorbed (a signal) and the rest, on 0 .. c-1, goes on. P(signal) is the sum of
 * the absorbed masses — all positive terms, so it keeps its relative precision even when
 * alpha is small (1 - P(no signal) would not). The critical value is the CV at which that sum
 * equals alpha, found by a bracketing search (false position, finished by bisection to the
 * last bit): P(signal) falls continuously as CV rises (every b_c moves left).
 *
 * Numerics. Poisson probabilities are formed in log space (exp(-m + j·ln m - lgamma(j + 1)))
 * so that a large mean does not underflow exp(-m) before it is multiplied by m^j / j!. The
 * increments are means below 1 (times the relative risk), so a short table of their
 * probabilities, cut where a term falls below 1e-40 of the total, serves every step. Counts
 * far below the boundary (probability under 1e-30) are dropped from the chain: over K steps
 * that changes P(signal) by less than K·1e-30, and it keeps the work near K·sqrt(T) steps
 * instead of K², which is what lets T reach MAXSPRT_UPPER_LIMIT_MAX. */
#include "core/maxsprt.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Chain entries smaller than this are dropped (see above). */
#define CHAIN_TINY 1e-30
/* Poisson increment table cut: terms below this fraction of the mass are left out. */
#define INCREMENT_TINY 1e-40

double maxsprt_llr(int64_t observed, double expected)
{
	if (observed < 0 || !(expected >= 0.0) || isinf(expected))
		return NAN;
	if (expected == 0.0)
		return observed > 0 ? INFINITY : 0.0;
	double c = (double)observed;
	if (c <= expected)
		return 0.0;
	return (expected - c) + c * log(c / expected);
}

/* expm1(y) - y, without the cancellation near y = 0 (where it is y²/2 + y³/6 + …). */
static double expm1_minus(double y)
{
	if (fabs(y) >= 0.5)
		return expm1(y) - y;
	double term = y * y / 2.0, sum = 0.0;
	for (int n = 3; n < 40 && sum + term != sum; n++) {
		sum += term;
		term *= y / n;
	}
	return sum;
}

/* mu_c: the expected count below c at which c events give LLR = cv (cv > 0, c >= 1).
 * With y = ln(mu_c / c) < 0: e^y - 1 - y = cv / c. f(y) = expm1(y) - y - cv/c is convex and
 * falling for y < 0, and f(-1 - cv/c) = e^(-1 - cv/c) > 0: Newton from there climbs to the
 * root without overshooting, so it stops when a step no longer moves y up. */
static double boundary_mu(int64_t c, double cv)
{
	double target = cv / (double)c;
	double y = -1.0 - target;
	for (int iter = 0; iter < 200; iter++) {
		double f = expm1_minus(y) - target, slope = expm1(y);
		if (!(f > 0.0) || slope == 0.0)
			break;
		double next = y - f / slope;
		if (!(next > y))
			break;
		y = next < 0.0 ? next : y + (0.0 - y) / 2.0;
	}
	return (double)c * exp(y);
}

/* P(X = j) for X ~ Poisson(mean), in log space (see the header comment). */
static double poisson_pmf(int64_t j, double mean)
{
	if (mean == 0.0)
		return j == 0 ? 1.0 : 0.0;
	double jd = (double)j;
	return exp(-mean + jd * log(mean) - lgamma(jd + 1.0));
}

/* P(X >= m) for X ~ Poisson(mean), m >= 1. Above the mean the terms fall, so the tail is
 * summed upwards (a sum of positive terms, exact even when tiny); below it the tail is large
 * and 1 - P(X < m) loses nothing that matters. */
static double poisson_upper_tail(int64_t m, double mean)
{
	if (mean == 0.0)
		return 0.0;
	if ((double)m > mean) {
		double term = poisson_pmf(m, mean), sum = 0.0;
		for (int64_t j = m; term > 0.0 && term > 1e-18 * sum; j++) {
			sum += term;
			term *= mean / (double)(j + 1);
		}
		return sum;
	}
	/* At or below the mean the terms fall going down from m - 1: sum them downwards until
	 * they no longer count (O(sqrt(mean)) terms, whatever the mean). */
	double term = poisson_pmf(m - 1, mean), below = 0.0;
	for (int64_t j = m - 1; j >= 0 && term > 0.0 && term > 1e-18 * below; j--) {
		below += term;
		term *= (double)j / mean;
	}
	return below < 1.0 ? 1.0 - below : 0.0;
}

static int arguments_ok(double upper_limit, int min_events)
{
	return upper_limit > 0.0 && upper_limit <= MAXSPRT_UPPER_LIMIT_MAX && min_events >= 1;
}

double maxsprt_signal_probability(double upper_limit, int min_events, double cv, double rel_risk)
{
	if (!arguments_ok(upper_limit, min_events) || !(cv > 0.0) || isinf(cv) || !(rel_risk > 0.0) ||
	    isinf(rel_risk))
		return NAN;
	const double T = upper_limit;
	const int64_t M = min_events;

	/* K: the first c >= M whose boundary reaches T (about T + sqrt(2·T·cv)). */
	int64_t K = M;
	while (boundary_mu(K, cv) < T)
		K++;
	/* M's own boundary is past T: a signal is M events by T (no chain, whatever M). */
	if (K == M) {
		double tail = poisson_upper_tail(M, rel_risk * T);
		return tail < 1.0 ? tail : 1.0;
	}

	double *chain = malloc((size_t)(K + 1) * sizeof *chain);
	double *next = malloc((size_t)(K + 1) * sizeof *next);
	double *increment = malloc((size_t)(K + 2) * sizeof *increment);
	double *increment_tail = malloc((size_t)(K + 3) * sizeof *increment_tail);
	if (!chain || !next || !increment || !increment_tail) {
		free(chain);
		free(next);
		free(increment);
		free(increment_tail);
		return NAN;
	}

	/* At b_M: N(b_M) on 0 .. M-1 goes on, M or more signals. */
	double b_prev = boundary_mu(M, cv);
	double mean = rel_risk * b_prev;
	double absorbed = poisson_upper_tail(M, mean);
	int64_t lo = 0;
	for (int64_t j = 0; j < M; j++)
		chain[j] = poisson_pmf(j, mean);
	while (lo < M - 1 && chain[lo] < CHAIN_TINY)
		lo++;

	for (int64_t c = M + 1; c <= K; c++) {
		double b = c == K ? T : boundary_mu(c, cv);
		double d = rel_risk * (b - b_prev);
		b_prev = b;
		/* The increment's probabilities 0 .. L and their upper tails increment_tail[m] =
		 * P(X >= m). L stops at the INCREMENT_TINY cut, or at c - lo (no larger jump is
		 * told apart: all of them signal), where the tail takes everything above. */
		int64_t jump_max = c - lo, L = 0;
		double total = 0.0;
		int cut = 0;
		for (int64_t j = 0; j <= jump_max; j++) {
			increment[j] = poisson_pmf(j, d);
			total += increment[j];
			L = j;
			if ((double)j > d && increment[j] < INCREMENT_TINY * total) {
				cut = 1;
				break;
			}
		}
		increment_tail[L] = cut || L == 0 ? increment[L] : poisson_upper_tail(L, d);
		if (L == 0)
			increment_tail[0] = 1.0;
		for (int64_t j = L - 1; j >= 0; j--)
			increment_tail[j] = increment_tail[j + 1] + increment[j];
		/* From counts lo .. c-2 at b_(c-1) to counts lo .. c-1 at b_c; c or more: signal. */
		for (int64_t j = lo; j <= c - 1; j++) {
			int64_t from = j - L > lo ? j - L : lo, to = j < c - 2 ? j : c - 2;
			double sum = 0.0;
			for (int64_t i = from; i <= to; i++)
				sum += chain[i] * increment[j - i];
			next[j] = sum;
		}
		for (int64_t i = lo; i <= c - 2; i++) {
			int64_t need = c - i;
			if (need <= L)
				absorbed += chain[i] * increment_tail[need];
		}
		double *swap = chain;
		chain = next;
		next = swap;
		while (lo < c - 1 && chain[lo] < CHAIN_TINY)
			lo++;
	}
	free(chain);
	free(next);
	free(increment);
	free(increment_tail);
	/* A sum of many positive terms: rounding may carry a certain signal a hair past 1. */
	return absorbed < 1.0 ? absorbed : 1.0;
}

int maxsprt_critical_value(double upper_limit, int min_events, double alpha, double *cv)
{
	if (!arguments_ok(upper_limit, min_events) || !(alpha > 0.0 && alpha < 1.0) || !cv)
		return -1;
	/* As CV falls to 0 every boundary mu_c rises to c (clipped at T): the most the test can
	 * spend. If that is below alpha no CV reaches it (CV.Poisson: "does not have solution"). */
	double lo = 1e-12;
	double p_lo = maxsprt_signal_probability(upper_limit, min_events, lo, 1.0);
	if (!(p_lo >= alpha))
		return -1;
	double hi = 1.0, p_hi;
	for (;;) {
		p_hi = maxsprt_signal_probability(upper_limit, min_events, hi, 1.0);
		if (isnan(p_hi))
			return -1;
		if (p_hi <= alpha)
			break;
		lo = hi;
		p_lo = p_hi;
		hi *= 2.0;
		if (hi > 1e4)
			return -1;
	}
	/* P(lo) > alpha >= P(hi) throughout (P(lo) = alpha only at the start, where the CV -> 0
	 * limit spends exactly alpha); stop when no double lies between them. The trial point is
	 * the false-position one, Illinois variant (an end kept twice running has its value
	 * halved, so both ends move): a dozen evaluations where halving the bracket takes about
	 * 50. Near the root P's rounding noise makes that point meaningless, so once the bracket
	 * is within 64 ulps, or after 60 trials, the rest is plain bisection. */
	double f_lo = p_lo - alpha, f_hi = p_hi - alpha;
	int kept = 0; /* +n: lo kept n times running; -n: hi kept */
	for (int iter = 0; iter < 400; iter++) {
		double mid = lo + (hi - lo) / 2.0;
		if (!(mid > lo && mid < hi))
			break;
		double trial = mid;
		if (iter < 60 && hi - lo > 64.0 * DBL_EPSILON * hi && f_lo > 0.0 && f_hi < 0.0) {
			double x = lo + (hi - lo) * (f_lo / (f_lo - f_hi));
			if (x > lo && x < hi)
				trial = x;
		}
		double p = maxsprt_signal_probability(upper_limit, min_events, trial, 1.0);
		if (isnan(p))
			return -1;
		if (p > alpha) {
			lo = trial;
			f_lo = p - alpha;
			kept = kept < 0 ? kept - 1 : -1;
			if (kept <= -2)
				f_hi /= 2.0;
		} else {
			hi = trial;
			f_hi = p - alpha;
			kept = kept > 0 ? kept + 1 : 1;
			if (kept >= 2)
				f_lo /= 2.0;
		}
	}
	*cv = hi;
	return 0;
}

void maxsprt_look(int64_t observed, double expected, double cv, double upper_limit, int min_events,
                  maxsprt_result *out)
{
	out->llr = maxsprt_llr(observed, expected);
	out->cv = cv;
	out->ended = expected > upper_limit;
	out->signal = !out->ended && observed >= min_events && out->llr >= cv;
}
