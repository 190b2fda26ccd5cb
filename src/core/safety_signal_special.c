/* Special functions for safety-signal statistics (safety_signal.h, "numerics"): ψ, the
 * regularised incomplete gamma function and quantiles of gamma mixtures.
 *
 * Quantiles: safeguarded Halley iteration on t = ln x over the mixture's CDF, which is written with the
 * regularised incomplete gamma function (series for x < a + 1, the continued fraction
 * otherwise, Numerical Recipes §6.2; for a > 1e5, where those need O(√a) terms, Temme's
 * uniform asymptotic expansion, DLMF 8.12.3–8.12.8, to two terms — a component that is
 * nearly a point mass, α and β → ∞, is a legitimate maximum-likelihood answer when the
 * background is pure noise), inside a bracket that only shrinks; about 1e-12
 * relative. ln Γ is the C library's lgamma; ψ is computed here (recurrence to x ≥ 10, then
 * the asymptotic series to x^−14).
 */
#include "core/safety_signal.h"

#include "core/parallel.h"
#include "core/safety_signal_internal.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- special functions */

double signal_digamma(double x)
{
	double r = 0.0;
	while (x < 10.0) {
		r -= 1.0 / x;
		x += 1.0;
	}
	double f = 1.0 / (x * x);
	double tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))));
	return r + log(x) - 0.5 / x - tail;
}


/* P(a, x) divided by the common factor, by its series, to relative precision eps; for
 * x < a + 1. */
static double gamma_p_series_sum(double a, double x, double eps)
{
	double sum = 1.0 / a, term = sum, ap = a;
	for (int i = 0; i < 10000000; i++) {
		ap += 1.0;
		term *= x / ap;
		sum += term;
		if (term < sum * eps)
			break;
	}
	return sum;
}

/* Q(a, x) = 1 − P(a, x) divided by the common factor, by its continued fraction (Numerical
 * Recipes §6.2, 1/(b0 + a1/(b1 + a2/(b2 + …))), ak = −k(k − a), bk = x + 1 − a + 2k) to relative
 * precision about eps; for x >= a + 1. The convergents Ak/Bk of the denominator come from the
 * forward recurrence, rescaled now and then, rather than by Lentz's method: no division in
 * the loop, so each term costs a few dependent multiply-adds instead of two divisions. The
 * step between successive values of the fraction is Dk/(A(k−1)·Bk) relative, Dk = −ak·D(k−1)
 * being the convergents' determinant, so the test needs neither a division nor a difference
 * of nearly equal numbers. */
static double gamma_q_cf_sum(double a, double x, double eps)
{
	const double big = 0x1p300, scale = 0x1p-300;
	double b = x + 1.0 - a;
	double a_prev = 1.0, a_k = b, b_prev = 0.0, b_k = 1.0, det = -1.0;
	for (double k = 1.0; k < 1e7; k += 1.0) {
		double an = -k * (k - a);
		b += 2.0;
		double a_next = b * a_k + an * a_prev, b_next = b * b_k + an * b_prev;
		det = -an * det;
		a_prev = a_k;
		b_prev = b_k;
		a_k = a_next;
		b_k = b_next;
		if (fabs(det) <= eps * fabs(a_prev * b_k))
			break;
		if (fabs(a_k) > big) {
			a_k *= scale;
			a_prev *= scale;
			b_k *= scale;
			b_prev *= scale;
			det *= scale * scale;
		}
	}
	return b_k / a_k;
}

/* P(a, x) and Q(a, x) for large a by Temme's uniform expansion: with λ = x/a and
 * η = sign(λ − 1)·sqrt(2(λ − 1 − ln λ)), Q = ½ erfc(η sqrt(a/2)) + R and P = ½ erfc(−η sqrt(a/2)) − R,
 * R = e^(−aη²/2)/sqrt(2πa)·(c0(η) + c1(η)/a), c0 = −1/3 + η/12 − 2η²/135 + η³/864,
 * c1 = −1/540 − η/288. Beyond |η| = 0.1, R < e^−500 for a > 1e5. */
static void gamma_pq_large(double a, double x, double *p, double *q)
{
	double u = x / a - 1.0;
	double eta = sqrt(2.0 * (u - log1p(u)));
	if (u < 0.0)
		eta = -eta;
	double r = 0.0;
	if (fabs(eta) < 0.1) {
		double c0 = -1.0 / 3 + eta / 12 - 2 * eta * eta / 135 + eta * eta * eta / 864;
		double c1 = -1.0 / 540 - eta / 288;
		r = exp(-0.5 * a * eta * eta) / sqrt(2.0 * M_PI * a) * (c0 + c1 / a);
	}
	*p = 0.5 * erfc(-eta * sqrt(0.5 * a)) - r;
	*q = 0.5 * erfc(eta * sqrt(0.5 * a)) + r;
}

#define GAMMA_LARGE_A 1e5

double signal_gamma_p(double a, double x)
{
	if (!(x > 0.0))
		return 0.0;
	if (isinf(x))
		return 1.0;
	if (a > GAMMA_LARGE_A) {
		double p, q;
		gamma_pq_large(a, x, &p, &q);
		return p;
	}
	double lx = log(x), pref = exp(gamma_prefactor_log(a, x, lx, lgamma(a)));
	if (x < a + 1.0)
		return gamma_p_series_sum(a, x, 1e-17) * pref;
	return 1.0 - gamma_q_cf_sum(a, x, 1e-16) * pref;
}

/* F(e^t) − p for the mixture, each CDF taken from the side that keeps its precision, with
 * dF/dt (x times the density) and d²F/dt², which share each component's common factor:
 * d/dt [(bx)^a e^(−bx)/Γ(a)] = (bx)^a e^(−bx)/Γ(a)·(a − bx). A component c = known is
 * taken to be at its own p-quantile (F_c = p, common factor known_pref) and not evaluated. */
static double mix_cdf_minus(const gamma_part part[2], double t, double x, double p, int known, double known_pref,
                            double *d1, double *d2)
{
	/* Upper tails are summed as −w·Q + w − p to avoid 1 − Q cancelling: F = lower + wu − upper. */
	double lower = 0.0, upper = 0.0, wu = 0.0, slope = 0.0, bend = 0.0;
	for (int c = 0; c < 2; c++) {
		const gamma_part *g = &part[c];
		if (!(g->w > 0.0))
			continue;
		double y = g->b * x;
		double pref = c == known ? known_pref : exp(gamma_prefactor_log(g->a, y, g->log_b + t, g->lgamma_a));
		slope += g->w * pref;
		bend += g->w * pref * (g->a - y);
		if (c == known) {
			lower += g->w * p;
		} else if (g->a > GAMMA_LARGE_A) {
			double pc, qc;
			gamma_pq_large(g->a, y, &pc, &qc);
			if (pc < qc) {
				lower += g->w * pc;
			} else {
				wu += g->w;
				upper += g->w * qc;
			}
		} else {
			/* A light component needs less relative precision for the same error in F:
			 * w·eps stays at 1e-17. */
			double eps = fmin(1e-10, fmax(1e-17, 1e-17 / g->w));
			if (y < g->a + 1.0) {
				lower += g->w * gamma_p_series_sum(g->a, y, eps) * pref;
			} else {
				wu += g->w;
				upper += g->w * gamma_q_cf_sum(g->a, y, fmax(eps, 1e-16)) * pref;
			}
		}
	}
	*d1 = slope;
	*d2 = bend;
	return lower + (wu - p) - upper;
}

/* The Wilson–Hilferty approximation to the p-quantile of Gamma(a, rate b). */
double signal_gamma_quantile_guess(double p, double a, double b)
{
	/* Φ^−1(p) by a rational approximation (Abramowitz & Stegun 26.2.23): enough for a
	 * starting point. */
	double pp = p < 0.5 ? p : 1.0 - p;
	double t = sqrt(-2.0 * log(pp));
	double z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
	if (p < 0.5)
		z = -z;
	double v = 1.0 / (9.0 * a);
	double c = 1.0 - v + z * sqrt(v);
	if (c <= 0.05)
		c = 0.05;
	return a / b * c * c * c;
}

/* The p-quantile of the mixture by safeguarded Halley iteration on t = ln x from x0 (cubic
 * convergence: from a start within 1e-5 the second step is below 1e-14): lo and hi, once
 * known, bracket the root (F < p at lo, F >= p at hi), and a step leaving the bracket is
 * replaced by bisection (or, while one side is still open, by a unit step towards it).
 * known: a component whose own p-quantile x0 is (its CDF is not evaluated there; known_pref
 * is its common factor there), or -1.
 * tol: the step, relative to max(1, |t|), below which t is taken as found. */
double signal_mix_quantile(const gamma_part part[2], double p, double x0, double log_x0, int known, double known_pref,
                           double tol)
{
	double t = log_x0, lo = -INFINITY, hi = INFINITY;
	double shape_max = fmax(part[0].w > 0.0 ? part[0].a : 0.0, part[1].w > 0.0 ? part[1].a : 0.0);
	for (int it = 0; it < 300; it++) {
		double x = it == 0 ? x0 : exp(t), d1, d2;
		double f = mix_cdf_minus(part, t, x, p, it == 0 ? known : -1, known_pref, &d1, &d2);
		if (f == 0.0)
			break;
		if (f < 0.0)
			lo = t;
		else
			hi = t;
		double tn = NAN;
		bool halley = false;
		if (d1 > 0.0) {
			double newton = f / d1, denom = 1.0 - 0.5 * newton * d2 / d1;
			/* Halley's step, or Newton's when the correction would more than halve or double it */
			halley = denom > 0.5 && denom < 2.0;
			tn = halley ? t - newton / denom : t - newton;
		}
		if (!(tn > lo && tn < hi)) {
			halley = false;
			if (isinf(lo))
				tn = hi - 1.0;
			else if (isinf(hi))
				tn = lo + 1.0;
			else
				tn = 0.5 * (lo + hi);
		}
		if (tn < -745.0)
			return 0.0;
		if (tn > 709.0)
			return INFINITY;
		double dt = fabs(tn - t);
		t = tn;
		if (dt <= tol * fmax(1.0, fabs(t)) || (isfinite(lo) && isfinite(hi) && hi - lo <= 1e-15 * fmax(1.0, fabs(t))))
			break;
		/* Halley's error after a step of dt is about K·dt³, K ≈ 0.4·shape near a gamma's 5%
		 * or 95% quantile in ln x (K = (g2/2g1)² − g3/6g1 for the derivatives gk of F in t,
		 * with g2/g1 = a − bx and g3/g1 = (a − bx)² − bx). When that is below the tolerance
		 * the step just taken has landed; checking it would cost another evaluation. */
		if (halley && 0.5 * shape_max * dt * dt * dt <= tol * fmax(1.0, fabs(t)))
			break;
	}
	return exp(t);
}

double signal_gamma_mix_quantile(double p, double q, double a1, double b1, double a2, double b2)
{
	if (q >= 1.0) {
		q = 1.0;
		a2 = a1;
		b2 = b1;
	}
	if (q <= 0.0) {
		q = 0.0;
		a1 = a2;
		b1 = b2;
	}
	gamma_part part[2] = {gamma_part_make(q, a1, b1, lgamma(a1)), gamma_part_make(1.0 - q, a2, b2, lgamma(a2))};
	double guess = q >= 0.5 ? signal_gamma_quantile_guess(p, a1, b1) : signal_gamma_quantile_guess(p, a2, b2);
	return signal_mix_quantile(part, p, guess, log(guess), -1, 0.0, 1e-14);
}

/* The p-quantile of Gamma(a, rate 1); the quantile at rate b is this divided by b. Computed
 * once per count and reused for every pair, so it is iterated to the last bit: the IC
 * interval's ends are logarithms of these and may be close to 0. */
double signal_gamma_unit_quantile(double p, double a)
{
	gamma_part part[2] = {gamma_part_make(1.0, a, 1.0, lgamma(a)), gamma_part_make(0.0, a, 1.0, 0.0)};
	double guess = signal_gamma_quantile_guess(p, a, 1.0);
	return signal_mix_quantile(part, p, guess, log(guess), -1, 0.0, 1e-16);
}
