/* Signal detection: counting 2×2 tables at registry scale, and the statistics over them.
 *
 * Formulas (a, b, c, d, N and E as in signal.h; z = 1.959963984540054, the 97.5% normal
 * quantile):
 *
 *   PRR  = [a/(a+b)] / [c/(c+d)]; 95% CI exp(ln PRR ± z·sqrt(1/a − 1/(a+b) + 1/c − 1/(c+d)))
 *          (undefined when c = 0).
 *   χ²   = N·max(0, |ad − bc| − N/2)² / [(a+b)(c+d)(a+c)(b+d)], Pearson's χ² with Yates'
 *          continuity correction, 1 degree of freedom: the variant of the MHRA/EudraVigilance
 *          screening rule (Evans et al. 2001: PRR ≥ 2, χ² ≥ 4, a ≥ 3). The correction never
 *          moves a cell past its expected value (so χ² is 0, not positive, when |ad − bc| <
 *          N/2), which is what scipy.stats.chi2_contingency(correction=True) does.
 *   ROR  = ad/(bc); 95% CI exp(ln ROR ± z·sqrt(1/a + 1/b + 1/c + 1/d)) (Woolf; undefined
 *          when b, c or d is 0).
 *   IC   = log2((a + 0.5)/(E + 0.5)), the BCPNN information component with the shrinkage of
 *          Norén et al. (2006, 2013); its 95% credibility interval is the exact 2.5% and 97.5%
 *          quantiles of the posterior Gamma(shape a + 0.5, rate E + 0.5) of the observed-to-
 *          expected ratio, on the log2 scale (Norén et al. 2013, eq. 4), rather than the
 *          closed-form approximation IC ± 3.3/2.4·(a + 0.5)^(−1/2) …
 *   MGPS (DuMouchel 1999): λ = μ/E has the prior P·Γ(α1, β1) + (1−P)·Γ(α2, β2); the count n
 *          given E is then a mixture of negative binomials,
 *            f(n; α, β, E) = Γ(α+n)/(Γ(α) n!) · (E/(β+E))^n · (β/(β+E))^α.
 *          The posterior is Q·Γ(α1+n, β1+E) + (1−Q)·Γ(α2+n, β2+E) with
 *          Q = P·f1(n) / (P·f1(n) + (1−P)·f2(n)).
 *          EBGM = exp(Q·(ψ(α1+n) − ln(β1+E)) + (1−Q)·(ψ(α2+n) − ln(β2+E)));
 *          EB05 and EB95 are the posterior's 5% and 95% quantiles.
 *
 * Fitting the prior (signal_mgps_fit). Maximum likelihood over every pair with n ≥ 1, with
 * the likelihood truncated at n ≥ 1 because pairs never reported are not in the data (as
 * openEBGM's negLLsquash with N* = 1):
 *     ℓ(θ) = Σ w·[ln(P f1(n) + (1−P) f2(n)) − ln(1 − P f1(0) − (1−P) f2(0))].
 * Parameters are optimised on an unbounded scale — ln α and ln β through a logit rescaled to
 * [ln SIGNAL_PARAM_MIN, ln SIGNAL_PARAM_MAX] = [ln 1e-10, ln 1e10], a numerical guard rather
 * than a modelling choice, and logit P — so any step is valid, by BFGS with the analytic
 * gradient and an Armijo backtracking line search, from openEBGM's five
 * starting points (exploreHypers' defaults, the first being DuMouchel's); the best is kept.
 * The truncation term 1 − f(0) is computed as −expm1(−α·ln(1 + E/β)) so it keeps its
 * precision when E is tiny.
 *
 * Squashing. Pairs with the same n and the same row×column product have the same E and are
 * one point with a weight. Up to SQUASH_EXACT_PAIRS pairs that is all the fit does (exact).
 * Beyond, pairs are binned by n and ln E (DuMouchel & Pregibon's data squashing, in the form
 * openEBGM's squashData uses: same n, nearby E, one point with the bin's weight and mean):
 * the pairs are binned once SQUASH_FINE wide; the starts run on bins SQUASH_COARSE_BINS of
 * those wide (0.1 in ln E), then the best is polished on bins SQUASH_MEDIUM_BINS wide (0.02)
 * and then on the finest. The squashing error in ℓ is second order in the width: at 10
 * million reports about 1e-6 relative at SQUASH_FINE, moving EB05 by about 3e-5 relative
 * against bins five times finer.
 *
 * When the fit stops. BFGS stops after three steps in a row that each gain at most a given
 * fraction of the objective: FIT_FLAT_ROUGH (1e-10, openEBGM's nlminb rel.tol) on the coarse
 * levels; FIT_FLAT_FINAL (1e-15) when the points are exact; FIT_FLAT_SQUASHED (1e-12) on the
 * finest squashed level. There, at registry scale, the likelihood has a flat ridge (α1 and P
 * trade off; docs/signals.md): below 1e-12, BFGS creeps along it for dozens of steps that
 * together gain about 1e-9 of the objective, 0.005 of ℓ's 4.9 million — far below the
 * squashing error, and statistically nothing — while single pairs' EB95 move by up to 1e-3.
 * The reported log-likelihood is always the exact
 * one over every pair. Sums over points run in fixed blocks added in order, on every core,
 * so the result does not depend on the number of threads.
 *
 * Quantiles: safeguarded Halley iteration on t = ln x over the mixture's CDF, which is written with the
 * regularised incomplete gamma function (series for x < a + 1, the continued fraction
 * otherwise, Numerical Recipes §6.2; for a > 1e5, where those need O(√a) terms, Temme's
 * uniform asymptotic expansion, DLMF 8.12.3–8.12.8, to two terms — a component that is
 * nearly a point mass, α and β → ∞, is a legitimate maximum-likelihood answer when the
 * background is pure noise), inside a bracket that only shrinks; about 1e-12
 * relative. ln Γ is the C library's lgamma; ψ is computed here (recurrence to x ≥ 10, then
 * the asymptotic series to x^−14).
 *
 * Scoring runs on every core (core/parallel.h); what depends only on the count n — ln Γ, ψ
 * and each posterior component's own quantiles at rate 1 — is computed once per distinct n.
 *
 * Counting is in signal_count.c. */
#include "core/signal.h"

#include "core/parallel.h"
#include "core/signal_internal.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SQUASH_EXACT_PAIRS = 50000,
	FIT_MAX_ITER = 400,
	PROGRESS_ROWS = 1 << 20,
};
/* Coarser levels only choose the start and bring it near the next level's maximum. */
#define FIT_FLAT_ROUGH 1e-10
#define FIT_FLAT_SQUASHED 1e-12
#define FIT_FLAT_FINAL 1e-15
#define SQUASH_FINE 0.005
#define SQUASH_MEDIUM_BINS 4     /* SQUASH_MEDIUM = 0.02 */
#define SQUASH_COARSE_BINS 20    /* SQUASH_COARSE = 0.1 */
#define Z975 1.959963984540054

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

/* ln of the common factor x^a e^−x / Γ(a), given ln x and ln Γ(a). */
static double gamma_prefactor_log(double a, double x, double log_x, double lgamma_a)
{
	return a * log_x - x - lgamma_a;
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

/* One component of a gamma mixture: weight w, shape a, rate b, with ln b and ln Γ(a) kept
 * so that the quantile iterations do not recompute them. */
typedef struct gamma_part {
	double w, a, b, log_b, lgamma_a;
} gamma_part;

static gamma_part gamma_part_make(double w, double a, double b, double lgamma_a)
{
	return (gamma_part){w, a, b, log(b), lgamma_a};
}

static gamma_part gamma_part_make_log(double w, double a, double b, double log_b, double lgamma_a)
{
	return (gamma_part){w, a, b, log_b, lgamma_a};
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
static double gamma_quantile_guess(double p, double a, double b)
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
static double mix_quantile(const gamma_part part[2], double p, double x0, double log_x0, int known, double known_pref,
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
	double guess = q >= 0.5 ? gamma_quantile_guess(p, a1, b1) : gamma_quantile_guess(p, a2, b2);
	return mix_quantile(part, p, guess, log(guess), -1, 0.0, 1e-14);
}

/* The p-quantile of Gamma(a, rate 1); the quantile at rate b is this divided by b. Computed
 * once per count and reused for every pair, so it is iterated to the last bit: the IC
 * interval's ends are logarithms of these and may be close to 0. */
static double gamma_unit_quantile(double p, double a)
{
	gamma_part part[2] = {gamma_part_make(1.0, a, 1.0, lgamma(a)), gamma_part_make(0.0, a, 1.0, 0.0)};
	double guess = gamma_quantile_guess(p, a, 1.0);
	return mix_quantile(part, p, guess, log(guess), -1, 0.0, 1e-16);
}

/* ---------------------------------------------------------------- disproportionality */

/* As signal_disproportionality, given the 2.5% and 97.5% quantiles of Gamma(a + 0.5, rate 1):
 * the IC interval depends on E only through the rate, so a run computes them once per a. */
static void disproportionality(uint32_t a, uint32_t b, uint32_t c, uint32_t d, double unit_025, double unit_975,
                               signal_stats *out)
{
	double A = a, B = b, C = c, D = d, N = A + B + C + D;
	out->expected = (A + B) * (A + C) / N;

	out->prr = out->prr_lo = out->prr_hi = NAN;
	if (c > 0) {
		out->prr = (A / (A + B)) / (C / (C + D));
		double se = sqrt(1.0 / A - 1.0 / (A + B) + 1.0 / C - 1.0 / (C + D)), f = exp(Z975 * se);
		out->prr_lo = out->prr / f;
		out->prr_hi = out->prr * f;
	}

	out->chi2 = NAN;
	double r1 = A + B, r2 = C + D, c1 = A + C, c2 = B + D;
	if (r1 > 0 && r2 > 0 && c1 > 0 && c2 > 0) {
		double diff = fabs(A * D - B * C) - N / 2.0;
		if (diff < 0.0)
			diff = 0.0;
		out->chi2 = N * (diff / r1) * (diff / r2) / (c1 * c2);
	}

	out->ror = out->ror_lo = out->ror_hi = NAN;
	if (b > 0 && c > 0 && d > 0) {
		out->ror = (A * D) / (B * C);
		double se = sqrt(1.0 / A + 1.0 / B + 1.0 / C + 1.0 / D), f = exp(Z975 * se);
		out->ror_lo = out->ror / f;
		out->ror_hi = out->ror * f;
	}

	double shape = A + 0.5, rate = out->expected + 0.5;
	out->ic = log2(shape / rate);
	out->ic_lo = log2(unit_025 / rate);
	out->ic_hi = log2(unit_975 / rate);
}

void signal_disproportionality(uint32_t a, uint32_t b, uint32_t c, uint32_t d, signal_stats *out)
{
	double shape = a + 0.5;
	disproportionality(a, b, c, d, gamma_unit_quantile(0.025, shape), gamma_unit_quantile(0.975, shape), out);
}

/* ---------------------------------------------------------------- MGPS */

static bool prior_valid(const signal_prior *p)
{
	return p->alpha1 > 0 && p->beta1 > 0 && p->alpha2 > 0 && p->beta2 > 0 && p->p > 0 && p->p < 1 &&
	       isfinite(p->alpha1) && isfinite(p->beta1) && isfinite(p->alpha2) && isfinite(p->beta2);
}

/* One point's term of ℓ: ln of the mixture of negative binomials at n, truncated at n >= 1.
 * c1, c2 are ln Γ(αc + n) − ln Γ(αc) − ln n!; lp, lq are ln P and ln(1 − P); lb1, lb2 ln βc. */
/* e^z − 1; for |z| < 1e-5 by four terms of its series, whose remainder is below 1e-21 of
 * the value: a component with α ≈ 1e-5 (the usual signal component) needs no call here. */
static double expm1_small(double z)
{
	if (fabs(z) < 1e-5)
		return z * (1.0 + z / 2.0 * (1.0 + z / 3.0 * (1.0 + z / 4.0)));
	return expm1(z);
}

static double point_loglik(const signal_prior *pr, double lp, double lq, double lb1, double lb2, double n, double e,
                           double le, double c1, double c2)
{
	double l1 = log1p(e / pr->beta1), l2 = log1p(e / pr->beta2);
	double u1 = lp + c1 + n * (le - lb1 - l1) - pr->alpha1 * l1, u2 = lq + c2 + n * (le - lb2 - l2) - pr->alpha2 * l2;
	double lm = fmax(u1, u2) + log1p(exp(-fabs(u1 - u2)));
	double s = -(pr->p * expm1_small(-pr->alpha1 * l1) + (1.0 - pr->p) * expm1_small(-pr->alpha2 * l2));
	return lm - log(s);
}

/* What scoring needs of a count n under a prior, the same for every pair with that count:
 * per component c, ln Γ(αc + n) − ln Γ(αc) − ln n!, ln Γ(αc + n), ψ(αc + n) and the 5% and
 * 95% quantiles of Gamma(αc + n, rate 1); and the IC interval's quantiles of Gamma(n + ½, 1). */
typedef struct count_terms {
	double n;
	double log_coef[2], lgamma_shape[2], digamma_shape[2], unit_05[2], unit_95[2], log_unit_05[2], log_unit_95[2];
	double pref_05[2], pref_95[2];   /* the common factor u^a e^−u / Γ(a) at those quantiles */
	double ic_025, ic_975;
} count_terms;

/* What scoring needs of the prior, the same for every pair. */
typedef struct prior_terms {
	double log_p, log_q, log_beta[2];
} prior_terms;

static prior_terms prior_terms_make(const signal_prior *prior)
{
	return (prior_terms){log(prior->p), log1p(-prior->p), {log(prior->beta1), log(prior->beta2)}};
}

static void count_terms_make(const signal_prior *prior, double n, bool with_ic, count_terms *ct)
{
	const double alpha[2] = {prior->alpha1, prior->alpha2};
	ct->n = n;
	for (int c = 0; c < 2; c++) {
		double shape = alpha[c] + n;
		ct->lgamma_shape[c] = lgamma(shape);
		ct->log_coef[c] = ct->lgamma_shape[c] - lgamma(alpha[c]) - lgamma(n + 1.0);
		ct->digamma_shape[c] = signal_digamma(shape);
		ct->unit_05[c] = gamma_unit_quantile(0.05, shape);
		ct->unit_95[c] = gamma_unit_quantile(0.95, shape);
		ct->log_unit_05[c] = log(ct->unit_05[c]);
		ct->log_unit_95[c] = log(ct->unit_95[c]);
		ct->pref_05[c] = exp(gamma_prefactor_log(shape, ct->unit_05[c], ct->log_unit_05[c], ct->lgamma_shape[c]));
		ct->pref_95[c] = exp(gamma_prefactor_log(shape, ct->unit_95[c], ct->log_unit_95[c], ct->lgamma_shape[c]));
	}
	ct->ic_025 = with_ic ? gamma_unit_quantile(0.025, n + 0.5) : NAN;
	ct->ic_975 = with_ic ? gamma_unit_quantile(0.975, n + 0.5) : NAN;
}

/* A component whose posterior weight is below this is left out of EB05 and EB95: F moves by
 * at most the weight, so the quantile moves by at most weight/(x·density) ≤ 25× the weight
 * in ln x for a posterior shape ≥ 1 (n ≥ 1), under 1e-13. */
#define MIX_NEGLIGIBLE 1e-15

/* The p-quantile of the posterior from the Wilson–Hilferty guess for component h (when its
 * own quantile at rate 1 underflowed). */
static double mix_quantile_guessed(const gamma_part part[2], double p, int h, double rate)
{
	double guess = gamma_quantile_guess(p, part[h].a, rate);
	return mix_quantile(part, p, guess, log(guess), -1, 0.0, 1e-14);
}

static void mgps_score(const signal_prior *prior, const prior_terms *pt, const count_terms *ct, double expected,
                       signal_ebgm *out)
{
	const double alpha[2] = {prior->alpha1, prior->alpha2}, beta[2] = {prior->beta1, prior->beta2};
	double n = ct->n, le = log(expected), u[2], rate[2], log_rate[2];
	for (int c = 0; c < 2; c++) {
		double l = log1p(expected / beta[c]);
		u[c] = (c == 0 ? pt->log_p : pt->log_q) + ct->log_coef[c] + n * (le - pt->log_beta[c] - l) - alpha[c] * l;
		rate[c] = beta[c] + expected;
		log_rate[c] = pt->log_beta[c] + l;   /* ln(β + E) = ln β + ln(1 + E/β) */
	}
	/* The posterior weights Q and 1 − Q, each without cancellation. */
	double w[2];
	if (u[0] >= u[1]) {
		double ex = exp(u[1] - u[0]);
		w[0] = 1.0 / (1.0 + ex);
		w[1] = ex / (1.0 + ex);
	} else {
		double ex = exp(u[0] - u[1]);
		w[0] = ex / (1.0 + ex);
		w[1] = 1.0 / (1.0 + ex);
	}
	out->ebgm = exp(w[0] * (ct->digamma_shape[0] - log_rate[0]) + w[1] * (ct->digamma_shape[1] - log_rate[1]));
	if (w[0] < MIX_NEGLIGIBLE || w[1] < MIX_NEGLIGIBLE) {
		int c = w[0] < MIX_NEGLIGIBLE ? 1 : 0;
		out->eb05 = ct->unit_05[c] / rate[c];
		out->eb95 = ct->unit_95[c] / rate[c];
		return;
	}
	/* Both matter: Halley from the heavier component's own quantile, close when the other
	 * is light; there the heavier one's CDF and common factor are known. */
	gamma_part part[2];
	for (int c = 0; c < 2; c++)
		part[c] = gamma_part_make_log(w[c], alpha[c] + n, rate[c], log_rate[c], ct->lgamma_shape[c]);
	int h = w[0] >= w[1] ? 0 : 1;
	if (ct->unit_05[h] > 0.0)
		out->eb05 = mix_quantile(part, 0.05, ct->unit_05[h] / rate[h], ct->log_unit_05[h] - log_rate[h], h,
		                         ct->pref_05[h], 1e-14);
	else
		out->eb05 = mix_quantile_guessed(part, 0.05, h, rate[h]);
	if (ct->unit_95[h] > 0.0)
		out->eb95 = mix_quantile(part, 0.95, ct->unit_95[h] / rate[h], ct->log_unit_95[h] - log_rate[h], h,
		                         ct->pref_95[h], 1e-14);
	else
		out->eb95 = mix_quantile_guessed(part, 0.95, h, rate[h]);
}

void signal_mgps_score(const signal_prior *prior, double n, double expected, signal_ebgm *out)
{
	count_terms ct;
	count_terms_make(prior, n, false, &ct);
	prior_terms pt = prior_terms_make(prior);
	mgps_score(prior, &pt, &ct, expected, out);
}

/* The objective's sums over the points, a block of OBJECTIVE_BLOCK points at a time: each
 * block's partial sums are kept apart and added in block order, so the result does not
 * depend on how many threads ran or which took which block. */
enum { OBJECTIVE_BLOCK = 2048 };

typedef struct objective_sums {
	double ll, ga1, gb1, ga2, gb2, gp;
} objective_sums;

/* The fit's data: points (n, E, weight), with n indexed into its distinct values so that
 * the ln Γ and ψ terms are computed once per distinct n and evaluation. */
typedef struct mgps_data {
	size_t k;
	double *e, *log_e, *w;
	uint32_t *n_index;
	size_t n_distinct;
	double *n_value;
	double *log_fact;   /* [n_distinct]: ln n! */
	double w_sum;
	/* scratch, [n_distinct] each */
	double *g1, *g2, *d1, *d2;
	objective_sums *block;   /* [k / OBJECTIVE_BLOCK + 1] */
} mgps_data;

static void mgps_data_free(mgps_data *d)
{
	free(d->e);
	free(d->log_e);
	free(d->w);
	free(d->n_index);
	free(d->n_value);
	free(d->log_fact);
	free(d->g1);
	free(d->g2);
	free(d->d1);
	free(d->d2);
	free(d->block);
	memset(d, 0, sizeof *d);
}

static int mgps_data_alloc(mgps_data *d, size_t k, size_t n_distinct)
{
	memset(d, 0, sizeof *d);
	d->k = k;
	d->n_distinct = n_distinct;
	d->e = malloc((k + 1) * sizeof(double));
	d->log_e = malloc((k + 1) * sizeof(double));
	d->w = malloc((k + 1) * sizeof(double));
	d->n_index = malloc((k + 1) * sizeof(uint32_t));
	d->n_value = malloc((n_distinct + 1) * sizeof(double));
	d->log_fact = malloc((n_distinct + 1) * sizeof(double));
	d->g1 = malloc((n_distinct + 1) * sizeof(double));
	d->g2 = malloc((n_distinct + 1) * sizeof(double));
	d->d1 = malloc((n_distinct + 1) * sizeof(double));
	d->d2 = malloc((n_distinct + 1) * sizeof(double));
	d->block = malloc((k / OBJECTIVE_BLOCK + 2) * sizeof *d->block);
	if (!d->block || !d->e || !d->log_e || !d->w || !d->n_index || !d->n_value || !d->log_fact || !d->g1 || !d->g2 || !d->d1 || !d->d2) {
		mgps_data_free(d);
		return -1;
	}
	return 0;
}

/* The parameters on the optimiser's scale: ln α and ln β mapped from [ln PARAM_MIN,
 * ln PARAM_MAX] to the real line by a logit, P by a logit. */
static double bounded_to_x(double v)
{
	double s = (log(v) - log(SIGNAL_PARAM_MIN)) / (log(SIGNAL_PARAM_MAX) - log(SIGNAL_PARAM_MIN));
	s = fmin(fmax(s, 1e-12), 1.0 - 1e-12);
	return log(s) - log1p(-s);
}

static double x_to_bounded(double x)
{
	double s = 1.0 / (1.0 + exp(-x));
	return exp(log(SIGNAL_PARAM_MIN) + (log(SIGNAL_PARAM_MAX) - log(SIGNAL_PARAM_MIN)) * s);
}

/* d ln θ / dx for the bounded parameters. */
static double bounded_slope(double x)
{
	double s = 1.0 / (1.0 + exp(-x));
	return (log(SIGNAL_PARAM_MAX) - log(SIGNAL_PARAM_MIN)) * s * (1.0 - s);
}

static void prior_to_x(const signal_prior *p, double x[5])
{
	x[0] = bounded_to_x(p->alpha1);
	x[1] = bounded_to_x(p->beta1);
	x[2] = bounded_to_x(p->alpha2);
	x[3] = bounded_to_x(p->beta2);
	x[4] = log(p->p) - log1p(-p->p);
}

static signal_prior x_to_prior(const double x[5])
{
	return (signal_prior){x_to_bounded(x[0]), x_to_bounded(x[1]), x_to_bounded(x[2]), x_to_bounded(x[3]),
	                      1.0 / (1.0 + exp(-x[4]))};
}

typedef struct objective_job {
	const mgps_data *d;
	double a1, b1, a2, b2, P, lp, lq, lb1, lb2;
	objective_sums *block;   /* [blocks] */
} objective_job;

static void objective_blocks(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	const objective_job *j = p;
	const mgps_data *d = j->d;
	double a1 = j->a1, b1 = j->b1, a2 = j->a2, b2 = j->b2, P = j->P, lp = j->lp, lq = j->lq, lb1 = j->lb1, lb2 = j->lb2;
	for (size_t blk = begin; blk < end; blk++) {
		size_t k0 = blk * OBJECTIVE_BLOCK, k1 = k0 + OBJECTIVE_BLOCK < d->k ? k0 + OBJECTIVE_BLOCK : d->k;
		double ll = 0.0, ga1 = 0.0, gb1 = 0.0, ga2 = 0.0, gb2 = 0.0, gp = 0.0;
		/* Divisions are the loop's bottleneck after the logarithms: each point divides four
		 * times, and multiplies by reciprocals of what is the same for every point. */
		double inv_b1 = 1.0 / b1, inv_b2 = 1.0 / b2, inv_p = 1.0 / P, inv_q = 1.0 / (1.0 - P);
		for (size_t k = k0; k < k1; k++) {
			uint32_t m = d->n_index[k];
			double n = d->n_value[m], e = d->e[k], le = d->log_e[k], w = d->w[k];
			double l1 = log1p(e * inv_b1), l2 = log1p(e * inv_b2);
			double u1 = lp + d->g1[m] + n * (le - lb1 - l1) - a1 * l1;
			double u2 = lq + d->g2[m] + n * (le - lb2 - l2) - a2 * l2;
			double diff = u2 - u1, ex = exp(-fabs(diff)), lm, r1;
			double inv_1ex = 1.0 / (1.0 + ex);
			if (diff <= 0.0) {
				lm = u1 + log1p(ex);
				r1 = inv_1ex;
			} else {
				lm = u2 + log1p(ex);
				r1 = ex * inv_1ex;
			}
			double r2 = 1.0 - r1;
			double m1 = expm1_small(-a1 * l1), m2 = expm1_small(-a2 * l2);   /* f(0) − 1 */
			double f10 = 1.0 + m1, f20 = 1.0 + m2;
			double s = -(P * m1 + (1.0 - P) * m2), inv_s = 1.0 / s;
			double q1 = 1.0 / (b1 + e), q2 = 1.0 / (b2 + e);
			ll += w * (lm - log(s));
			ga1 += w * (r1 * (d->d1[m] - l1) - P * l1 * f10 * inv_s);
			gb1 += w * (r1 * (a1 * inv_b1 - (n + a1) * q1) + P * f10 * a1 * e * inv_b1 * q1 * inv_s);
			ga2 += w * (r2 * (d->d2[m] - l2) - (1.0 - P) * l2 * f20 * inv_s);
			gb2 += w * (r2 * (a2 * inv_b2 - (n + a2) * q2) + (1.0 - P) * f20 * a2 * e * inv_b2 * q2 * inv_s);
			gp += w * (r1 * inv_p - r2 * inv_q - (f20 - f10) * inv_s);
		}
		j->block[blk] = (objective_sums){ll, ga1, gb1, ga2, gb2, gp};
	}
}

/* The objective's terms that depend on the count alone, for every distinct count: as many
 * ln Γ and ψ evaluations as the points of a coarse level, so they run on every core too. */
enum { COUNT_TERMS_BLOCK = 256 };

typedef struct count_terms_job {
	mgps_data *d;
	double a1, a2, lga1, lga2, psa1, psa2;
} count_terms_job;

static void objective_count_terms(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	const count_terms_job *j = p;
	mgps_data *d = j->d;
	for (size_t m = begin; m < end; m++) {
		double n = d->n_value[m];
		d->g1[m] = lgamma(j->a1 + n) - j->lga1 - d->log_fact[m];
		d->g2[m] = lgamma(j->a2 + n) - j->lga2 - d->log_fact[m];
		d->d1[m] = signal_digamma(j->a1 + n) - j->psa1;
		d->d2[m] = signal_digamma(j->a2 + n) - j->psa2;
	}
}

/* −ℓ/W at x and its gradient g (both on the optimiser's scale); +∞ outside the domain. */
static double mgps_objective(mgps_data *d, const double x[5], double g[5])
{
	for (int i = 0; i < 4; i++)
		if (!(fabs(x[i]) < 40.0))
			return INFINITY;
	if (!(fabs(x[4]) < 35.0))
		return INFINITY;
	signal_prior th = x_to_prior(x);
	double a1 = th.alpha1, b1 = th.beta1, a2 = th.alpha2, b2 = th.beta2, P = th.p;
	count_terms_job cj = {d, a1, a2, lgamma(a1), lgamma(a2), signal_digamma(a1), signal_digamma(a2)};
	parallel_for(d->n_distinct, COUNT_TERMS_BLOCK, objective_count_terms, &cj, NULL, NULL);
	size_t blocks = (d->k + OBJECTIVE_BLOCK - 1) / OBJECTIVE_BLOCK;
	objective_job job = {d, a1, b1, a2, b2, P, -log1p(exp(-x[4])), -log1p(exp(x[4])), log(b1), log(b2), d->block};
	parallel_for(blocks, 1, objective_blocks, &job, NULL, NULL);
	objective_sums t = {0};
	for (size_t blk = 0; blk < blocks; blk++) {
		t.ll += d->block[blk].ll;
		t.ga1 += d->block[blk].ga1;
		t.gb1 += d->block[blk].gb1;
		t.ga2 += d->block[blk].ga2;
		t.gb2 += d->block[blk].gb2;
		t.gp += d->block[blk].gp;
	}
	double W = d->w_sum;
	g[0] = -t.ga1 * a1 * bounded_slope(x[0]) / W;
	g[1] = -t.gb1 * b1 * bounded_slope(x[1]) / W;
	g[2] = -t.ga2 * a2 * bounded_slope(x[2]) / W;
	g[3] = -t.gb2 * b2 * bounded_slope(x[3]) / W;
	g[4] = -t.gp * P * (1.0 - P) / W;
	double f = -t.ll / W;
	return isfinite(f) ? f : INFINITY;
}

/* Minimises the objective from x by BFGS; x and *fx hold the best point found. Stops when the
 * gradient vanishes or three steps in a row gain at most flat_tol relative. Returns the
 * iterations used. */
static int bfgs(mgps_data *d, double x[5], double *fx, double flat_tol)
{
	double g[5], H[5][5], xn[5], gn[5], s[5], y[5], dir[5];
	double f = mgps_objective(d, x, g);
	*fx = f;
	if (!isfinite(f))
		return 0;
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++)
			H[i][j] = i == j;
	int it, flat = 0;
	bool first = true;
	for (it = 0; it < FIT_MAX_ITER; it++) {
		double gd = 0.0, dmax = 0.0;
		for (int i = 0; i < 5; i++) {
			dir[i] = 0.0;
			for (int j = 0; j < 5; j++)
				dir[i] -= H[i][j] * g[j];
			gd += g[i] * dir[i];
		}
		if (!(gd < 0.0)) {
			for (int i = 0; i < 5; i++)
				for (int j = 0; j < 5; j++)
					H[i][j] = i == j;
			gd = 0.0;
			for (int i = 0; i < 5; i++) {
				dir[i] = -g[i];
				gd -= g[i] * g[i];
			}
			first = true;
		}
		for (int i = 0; i < 5; i++)
			dmax = fmax(dmax, fabs(dir[i]));
		if (dmax == 0.0)
			break;
		double t = dmax > 2.0 ? 2.0 / dmax : 1.0, fn = INFINITY;
		int ls;
		for (ls = 0; ls < 60; ls++) {
			for (int i = 0; i < 5; i++)
				xn[i] = x[i] + t * dir[i];
			fn = mgps_objective(d, xn, gn);
			if (fn <= f + 1e-4 * t * gd)
				break;
			t *= 0.5;
		}
		if (ls == 60)
			break;   /* no decrease along the direction: at the optimum to machine precision */
		double sy = 0.0, yy = 0.0, gmax = 0.0;
		for (int i = 0; i < 5; i++) {
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
			yy += y[i] * y[i];
		}
		if (sy > 1e-300 && yy > 0.0) {
			if (first) {
				for (int i = 0; i < 5; i++)
					for (int j = 0; j < 5; j++)
						H[i][j] = i == j ? sy / yy : 0.0;
				first = false;
			}
			/* H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ */
			double rho = 1.0 / sy, Hy[5], yHy = 0.0;
			for (int i = 0; i < 5; i++) {
				Hy[i] = 0.0;
				for (int j = 0; j < 5; j++)
					Hy[i] += H[i][j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (int i = 0; i < 5; i++)
				for (int j = 0; j < 5; j++)
					H[i][j] += -rho * (Hy[i] * s[j] + s[i] * Hy[j]) + (rho * rho * yHy + rho) * s[i] * s[j];
		}
		double df = f - fn;
		memcpy(x, xn, sizeof xn);
		memcpy(g, gn, sizeof gn);
		f = fn;
		for (int i = 0; i < 5; i++)
			gmax = fmax(gmax, fabs(g[i]));
		if (gmax < 1e-10)
			break;
		flat = df <= flat_tol * fabs(f) ? flat + 1 : 0;
		if (flat >= 3)
			break;
	}
	*fx = f;
	return it;
}

/* A point being accumulated: key_n = n + 1 (0: empty slot), key_e = the E key. */
typedef struct acc {
	uint64_t key_n, key_e;
	double w, sum_le;
} acc;

static int cmp_acc(const void *x, const void *y)
{
	const acc *a = x, *b = y;
	if (a->key_n != b->key_n)
		return (a->key_n > b->key_n) - (a->key_n < b->key_n);
	return (a->key_e > b->key_e) - (a->key_e < b->key_e);
}

typedef struct log_e_job {
	const signal_table *t;
	double *log_e;
} log_e_job;

/* ln E of each pair, computed once for every squashing level. */
static void pair_log_e(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	log_e_job *j = p;
	const signal_table *t = j->t;
	double log_n = log((double)t->reports);
	for (size_t i = begin; i < end; i++) {
		const signal_pair *pr = &t->pairs[i];
		j->log_e[i] = log((double)((uint64_t)t->item_reports[pr->item] * t->event_reports[pr->event])) - log_n;
	}
}

/* Accumulates the pairs into points keyed by n and E, in *out (*k of them) sorted by (n, E):
 * width 0, exact (the key is the row×column product); width > 0, bins of that width in ln E.
 * Returns 0 or -1 (memory). */
static int accumulate_points(const signal_table *t, const double *pair_le, double width, acc **out, size_t *k_out)
{
	/* Accumulate (key → weight, Σ ln E) in an open-addressing table, grown by rehashing: the
	 * bins are far fewer than the pairs, and a table sized for the pairs would not stay in
	 * cache. */
	size_t cap = 1 << 12, used = 0;
	acc *tab = calloc(cap, sizeof *tab);
	if (tab == NULL)
		return -1;
	double le_min = -log((double)t->reports) - 1.0;
	for (size_t i = 0; i < t->n_pairs; i++) {
		const signal_pair *p = &t->pairs[i];
		uint64_t prod = (uint64_t)t->item_reports[p->item] * t->event_reports[p->event];
		double le = pair_le[i];
		uint64_t ke = width > 0.0 ? (uint64_t)((le - le_min) / width) : prod;
		uint64_t kn = (uint64_t)p->a + 1;   /* + 1: key_n 0 marks an empty slot */
		size_t j = (size_t)(mix64(kn * UINT64_C(0x9e3779b97f4a7c15) ^ ke) & (cap - 1));
		while (tab[j].key_n && !(tab[j].key_n == kn && tab[j].key_e == ke))
			j = (j + 1) & (cap - 1);
		if (tab[j].key_n == 0) {
			if ((used + 1) * 2 > cap) {
				size_t ncap = cap * 2;
				acc *grown = calloc(ncap, sizeof *grown);
				if (grown == NULL) {
					free(tab);
					return -1;
				}
				for (size_t s = 0; s < cap; s++) {
					if (tab[s].key_n == 0)
						continue;
					size_t r = (size_t)(mix64(tab[s].key_n * UINT64_C(0x9e3779b97f4a7c15) ^ tab[s].key_e) & (ncap - 1));
					while (grown[r].key_n)
						r = (r + 1) & (ncap - 1);
					grown[r] = tab[s];
				}
				free(tab);
				tab = grown;
				cap = ncap;
				j = (size_t)(mix64(kn * UINT64_C(0x9e3779b97f4a7c15) ^ ke) & (cap - 1));
				while (tab[j].key_n)
					j = (j + 1) & (cap - 1);
			}
			used++;
			tab[j].key_n = kn;
			tab[j].key_e = ke;
		}
		tab[j].w += 1.0;
		tab[j].sum_le += le;
	}
	/* Compact and sort by (n, E): a deterministic order for every sum over the points. */
	size_t k = 0;
	for (size_t j = 0; j < cap; j++)
		if (tab[j].key_n)
			tab[k++] = tab[j];
	qsort(tab, k, sizeof *tab, cmp_acc);
	*out = tab;
	*k_out = k;
	return 0;
}

/* The fit's points from accumulated ones (sorted by n, then E), each run of `merge` bins with
 * the same n and key_e / merge becoming one point: the coarser levels come from the finest
 * in one pass over its points instead of one over every pair. exact: the keys are row×column
 * products (merge is then 1). Returns 0 or -1 (memory). */
static int mgps_points(const signal_table *t, const acc *a, size_t k, uint64_t merge, bool exact, mgps_data *d)
{
	size_t points = 0, n_distinct = 0;
	for (size_t i = 0; i < k; i++) {
		bool new_n = i == 0 || a[i].key_n != a[i - 1].key_n;
		n_distinct += new_n;
		points += new_n || a[i].key_e / merge != a[i - 1].key_e / merge;
	}
	if (mgps_data_alloc(d, points, n_distinct) < 0)
		return -1;
	size_t m = 0, pt = 0;
	for (size_t i = 0; i < k;) {
		if (i == 0 || a[i].key_n != a[i - 1].key_n) {
			d->n_value[m] = (double)(a[i].key_n - 1);
			d->log_fact[m] = lgamma(d->n_value[m] + 1.0);
			m++;
		}
		double w = 0.0, sum_le = 0.0;
		size_t j = i;
		for (; j < k && a[j].key_n == a[i].key_n && a[j].key_e / merge == a[i].key_e / merge; j++) {
			w += a[j].w;
			sum_le += a[j].sum_le;
		}
		d->n_index[pt] = (uint32_t)(m - 1);
		d->w[pt] = w;
		if (!exact) {
			d->log_e[pt] = sum_le / w;
			d->e[pt] = exp(d->log_e[pt]);
		} else {
			d->e[pt] = (double)a[i].key_e / (double)t->reports;
			d->log_e[pt] = log(d->e[pt]);
		}
		d->w_sum += w;
		pt++;
		i = j;
	}
	return 0;
}

double signal_mgps_loglik(const signal_prior *prior, const double *n, const double *expected, const double *w,
                          size_t k)
{
	if (!prior_valid(prior))
		return -INFINITY;
	double lp = log(prior->p), lq = log1p(-prior->p), lb1 = log(prior->beta1), lb2 = log(prior->beta2);
	double lga1 = lgamma(prior->alpha1), lga2 = lgamma(prior->alpha2);
	double ll = 0.0;
	for (size_t i = 0; i < k; i++) {
		double lf = lgamma(n[i] + 1.0);
		double c1 = lgamma(prior->alpha1 + n[i]) - lga1 - lf, c2 = lgamma(prior->alpha2 + n[i]) - lga2 - lf;
		ll += (w ? w[i] : 1.0) * point_loglik(prior, lp, lq, lb1, lb2, n[i], expected[i], log(expected[i]), c1, c2);
	}
	return ll;
}

/* The exact log-likelihood over every pair, in blocks summed in order (see OBJECTIVE_BLOCK),
 * with ln Γ(αc + n) − ln Γ(αc) − ln n! looked up per count. */
typedef struct loglik_job {
	const signal_table *t;
	const signal_prior *prior;
	const double *coef1, *coef2;   /* [max count + 1], or NULL: computed per pair */
	const double *log_e;           /* [pairs]: ln E of each pair, or NULL: computed here */
	double *block;
} loglik_job;

static void loglik_blocks(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	const loglik_job *j = p;
	const signal_table *t = j->t;
	double a1 = j->prior->alpha1, a2 = j->prior->alpha2;
	double lP = log(j->prior->p), lQ = log1p(-j->prior->p), lb1 = log(j->prior->beta1), lb2 = log(j->prior->beta2);
	double lga1 = lgamma(a1), lga2 = lgamma(a2);
	double inv_n = 1.0 / (double)t->reports;
	for (size_t blk = begin; blk < end; blk++) {
		size_t i0 = blk * OBJECTIVE_BLOCK, i1 = i0 + OBJECTIVE_BLOCK < t->n_pairs ? i0 + OBJECTIVE_BLOCK : t->n_pairs;
		double ll = 0.0;
		for (size_t i = i0; i < i1; i++) {
			const signal_pair *pr = &t->pairs[i];
			double n = pr->a, e = (double)t->item_reports[pr->item] * (double)t->event_reports[pr->event] * inv_n;
			double c1, c2;
			if (j->coef1) {
				c1 = j->coef1[pr->a];
				c2 = j->coef2[pr->a];
			} else {
				double lf = lgamma(n + 1.0);
				c1 = lgamma(a1 + n) - lga1 - lf;
				c2 = lgamma(a2 + n) - lga2 - lf;
			}
			ll += point_loglik(j->prior, lP, lQ, lb1, lb2, n, e, j->log_e ? j->log_e[i] : log(e), c1, c2);
		}
		j->block[blk] = ll;
	}
}

static double loglik_pairs(const signal_table *t, const signal_prior *prior, const double *log_e);

double signal_mgps_loglik_table(const signal_table *t, const signal_prior *prior)
{
	return loglik_pairs(t, prior, NULL);
}

/* As signal_mgps_loglik_table, given every pair's ln E when the caller has it (log_e may be
 * NULL). */
static double loglik_pairs(const signal_table *t, const signal_prior *prior, const double *log_e)
{
	if (!prior_valid(prior))
		return -INFINITY;
	enum { COEF_MAX = 1 << 20 };
	uint32_t max_a = 0;
	for (size_t i = 0; i < t->n_pairs; i++)
		if (t->pairs[i].a > max_a)
			max_a = t->pairs[i].a;
	size_t blocks = (t->n_pairs + OBJECTIVE_BLOCK - 1) / OBJECTIVE_BLOCK;
	double *block = malloc((blocks + 1) * sizeof *block);
	double *coef = max_a < COEF_MAX ? malloc(2 * ((size_t)max_a + 1) * sizeof *coef) : NULL;
	if (block == NULL) {
		free(coef);
		return NAN;
	}
	loglik_job job = {t, prior, NULL, NULL, log_e, block};
	if (coef) {
		/* every count from 1 to the largest: at most a million ln Γ pairs, less than the pairs */
		double lga1 = lgamma(prior->alpha1), lga2 = lgamma(prior->alpha2);
		for (uint32_t a = 1; a <= max_a; a++) {
			double lf = lgamma(a + 1.0);
			coef[a] = lgamma(prior->alpha1 + a) - lga1 - lf;
			coef[max_a + 1 + a] = lgamma(prior->alpha2 + a) - lga2 - lf;
		}
		job.coef1 = coef;
		job.coef2 = coef + max_a + 1;
	}
	parallel_for(blocks, 1, loglik_blocks, &job, NULL, NULL);
	double ll = 0.0;
	for (size_t b = 0; b < blocks; b++)
		ll += block[b];
	free(block);
	free(coef);
	return ll;
}

int signal_mgps_fit(const signal_table *t, signal_fit *out, signal_progress_fn progress, void *ctx)
{
	static const signal_prior starts[] = {
		{0.2, 0.1, 2.0, 4.0, 1.0 / 3.0}, {0.1, 0.1, 10.0, 10.0, 0.2}, {0.3, 0.5, 6.0, 6.0, 0.5},
		{0.5, 0.3, 12.0, 12.0, 0.8},     {0.2, 0.2, 5.0, 5.0, 0.4},
	};
	const int n_starts = (int)(sizeof starts / sizeof starts[0]);
	memset(out, 0, sizeof *out);
	out->prior = SIGNAL_PRIOR_DEFAULT;
	out->pairs = t->n_pairs;
	out->starts = n_starts;
	if (t->n_pairs == 0)
		return -1;
	bool exact = t->n_pairs <= SQUASH_EXACT_PAIRS;
	mgps_data coarse, fine;
	double *pair_le = malloc((t->n_pairs + 1) * sizeof *pair_le);
	if (pair_le == NULL)
		return -1;
	log_e_job lj = {t, pair_le};
	parallel_for(t->n_pairs, 0, pair_log_e, &lj, NULL, NULL);
	acc *accs;
	size_t n_accs;
	if (accumulate_points(t, pair_le, exact ? 0.0 : SQUASH_FINE, &accs, &n_accs) < 0) {
		free(pair_le);
		return -1;
	}
	if (mgps_points(t, accs, n_accs, exact ? 1 : SQUASH_COARSE_BINS, exact, &coarse) < 0) {
		free(accs);
		free(pair_le);
		return -1;
	}
	double best_x[5] = {0}, best_f = INFINITY;
	for (int s = 0; s < n_starts; s++) {
		double x[5], f;
		prior_to_x(&starts[s], x);
		out->iterations += bfgs(&coarse, x, &f, exact ? FIT_FLAT_FINAL : FIT_FLAT_ROUGH);
		if (f < best_f) {
			best_f = f;
			memcpy(best_x, x, sizeof x);
		}
		if (progress)
			progress(ctx, "fitting", (s + 1.0) / (n_starts + 1.0));
	}
	if (!isfinite(best_f)) {
		mgps_data_free(&coarse);
		free(accs);
		free(pair_le);
		return -1;
	}
	mgps_data *final = &coarse;
	if (!exact) {
		/* Polished on ever finer bins: each level starts close to its own maximum. */
		static const uint64_t polish[] = {SQUASH_MEDIUM_BINS, 1};
		for (size_t level = 0; level < sizeof polish / sizeof polish[0]; level++) {
			mgps_data_free(final);
			final = &fine;
			if (mgps_points(t, accs, n_accs, polish[level], false, &fine) < 0) {
				free(accs);
				free(pair_le);
				return -1;
			}
			double f;
			out->iterations += bfgs(&fine, best_x, &f, polish[level] == 1 ? FIT_FLAT_SQUASHED : FIT_FLAT_ROUGH);
			best_f = f;
		}
	}
	free(accs);
	out->prior = x_to_prior(best_x);
	out->loglik_fitted = -best_f * final->w_sum;
	out->points = final->k;
	out->squashed = !exact;
	mgps_data_free(final);
	out->loglik = exact ? out->loglik_fitted : loglik_pairs(t, &out->prior, pair_le);
	free(pair_le);
	if (progress)
		progress(ctx, "fitting", 1.0);
	return isfinite(out->loglik) ? 0 : -1;
}

/* ---------------------------------------------------------------- ranking */

/* Rows compared as the ranking orders them: EB05 descending, then EBGM, then a, then names. */
typedef struct rank_ctx {
	const signal_table *t;
	const signal_row *rows;
} rank_ctx;

static int cmp_rank(const void *x, const void *y, void *ctx)
{
	const rank_ctx *c = ctx;
	const signal_row *ra = &c->rows[*(const uint32_t *)x], *rb = &c->rows[*(const uint32_t *)y];
	if (ra->mgps.eb05 != rb->mgps.eb05)
		return ra->mgps.eb05 > rb->mgps.eb05 ? -1 : 1;
	if (ra->mgps.ebgm != rb->mgps.ebgm)
		return ra->mgps.ebgm > rb->mgps.ebgm ? -1 : 1;
	if (ra->a != rb->a)
		return ra->a > rb->a ? -1 : 1;
	int k = strcmp(c->t->item_names[ra->item], c->t->item_names[rb->item]);
	if (k)
		return k;
	return strcmp(c->t->event_names[ra->event], c->t->event_names[rb->event]);
}

/* The distinct counts of the rows, each with its count_terms; looked up by open addressing. */
typedef struct count_index {
	uint32_t *slot_count;   /* the count + 1 in a slot, 0 when empty */
	uint32_t *slot_term;    /* the index into terms */
	size_t mask;
	count_terms *terms;
	size_t n;
} count_index;

static const count_terms *count_index_get(const count_index *ci, uint32_t a)
{
	size_t j = (size_t)(mix64(a) & ci->mask);
	while (ci->slot_count[j] != a + 1)
		j = (j + 1) & ci->mask;
	return &ci->terms[ci->slot_term[j]];
}

typedef struct score_job {
	const signal_table *t;
	const signal_prior *prior;
	count_index *counts;
	signal_row *rows;
	signal_progress_fn progress;
	void *ctx;
	prior_terms prior_terms;
} score_job;

/* EB05 as an unsigned key in descending order (a larger EB05 first): the IEEE bits with the
 * sign handled are ascending in the value, then complemented. */
static uint64_t eb05_key(double x)
{
	if (isnan(x))
		return UINT64_MAX;
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	u = u >> 63 ? ~u : u | UINT64_C(1) << 63;
	return ~u;
}

/* Ranking: a radix sort on the top 44 bits of EB05's key (four passes of 11 bits, whose counts
 * stay in the first-level cache), then each run of equal partial keys — few, and short — by
 * the whole comparison. Above RANK_SPLIT rows the two halves are sorted on two cores and
 * merged. */
enum { RANK_DIGIT_BITS = 11, RANK_DIGITS = 1 << RANK_DIGIT_BITS, RANK_PASSES = 4,
       RANK_LOW_BITS = 64 - RANK_PASSES * RANK_DIGIT_BITS, RANK_SPLIT = 2048 };

typedef struct radix_item {
	uint64_t key;   /* the top bits of EB05's key */
	uint32_t at;    /* the row */
} radix_item;

static int cmp_rank_item(const void *x, const void *y, void *ctx)
{
	return cmp_rank(&((const radix_item *)x)->at, &((const radix_item *)y)->at, ctx);
}

typedef struct rank_job {
	rank_ctx ctx;
	radix_item *a, *b;   /* the items, and as many for scratch */
	size_t half;         /* [0, half) and [half, n) */
	size_t n;
} rank_job;

/* Sorts a[0..n) (scratch b) fully by cmp_rank; the result is in a (an even number of passes). */
static void rank_items(const rank_ctx *ctx, radix_item *a, radix_item *b, size_t n)
{
	for (int pass = 0; pass < RANK_PASSES; pass++) {
		int shift = pass * RANK_DIGIT_BITS;
		size_t count[RANK_DIGITS] = {0};
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & (RANK_DIGITS - 1)]++;
		size_t sum = 0;
		for (size_t d = 0; d < RANK_DIGITS; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].key >> shift) & (RANK_DIGITS - 1)]++] = a[i];
		radix_item *swap = a;
		a = b;
		b = swap;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].key == a[i].key)
			j++;
		if (j - i > 1)
			qsort_r(a + i, j - i, sizeof *a, cmp_rank_item, (void *)(uintptr_t)ctx);
		i = j;
	}
}

static void rank_halves(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	rank_job *j = p;
	for (size_t h = begin; h < end; h++) {
		size_t lo = h ? j->half : 0, hi = h ? j->n : j->half;
		rank_items(&j->ctx, j->a + lo, j->b + lo, hi - lo);
	}
}

/* The order of rows[0..n) by cmp_rank, in order[0..n). Returns 0, or -1 when memory runs
 * out. */
static int rank_sort(const signal_table *t, const signal_row *rows, uint32_t *order, size_t n)
{
	radix_item *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (radix_item){eb05_key(rows[i].mgps.eb05) >> RANK_LOW_BITS, (uint32_t)i};
	rank_job job = {{t, rows}, a, b, n < RANK_SPLIT ? n : n / 2, n};
	parallel_for(job.half < n ? 2 : 1, 1, rank_halves, &job, NULL, NULL);
	/* merge the halves: by the partial key, and on a tie by the whole comparison */
	size_t x = 0, y = job.half, k = 0;
	while (x < job.half && y < n) {
		bool first = a[x].key != a[y].key ? a[x].key < a[y].key : cmp_rank(&a[x].at, &a[y].at, &job.ctx) <= 0;
		order[k++] = first ? a[x++].at : a[y++].at;
	}
	while (x < job.half)
		order[k++] = a[x++].at;
	while (y < n)
		order[k++] = a[y++].at;
	free(a);
	free(b);
	return 0;
}

static void score_terms(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	score_job *j = p;
	for (size_t i = begin; i < end; i++)
		count_terms_make(j->prior, j->counts->terms[i].n, true, &j->counts->terms[i]);
}

static void score_rows(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	score_job *j = p;
	for (size_t i = begin; i < end; i++) {
		signal_row *r = &j->rows[i];
		const count_terms *ct = count_index_get(j->counts, r->a);
		disproportionality(r->a, r->b, r->c, r->d, ct->ic_025, ct->ic_975, &r->stats);
		mgps_score(j->prior, &j->prior_terms, ct, r->stats.expected, &r->mgps);
	}
}

static void score_progress(void *p, double fraction)
{
	score_job *j = p;
	j->progress(j->ctx, "scoring", fraction);
}

/* Indexes the distinct counts of rows[0..n) with room for their terms. Returns 0 or -1. */
static int count_index_grow(count_index *ci)
{
	size_t cap = ci->mask ? 2 * (ci->mask + 1) : 1024;
	uint32_t *slot_count = calloc(cap, sizeof *slot_count), *slot_term = malloc(cap * sizeof *slot_term);
	if (slot_count == NULL || slot_term == NULL) {
		free(slot_count);
		free(slot_term);
		return -1;
	}
	for (size_t j = 0; ci->mask && j <= ci->mask; j++) {
		if (ci->slot_count[j] == 0)
			continue;
		size_t r = (size_t)(mix64(ci->slot_count[j] - 1) & (cap - 1));
		while (slot_count[r])
			r = (r + 1) & (cap - 1);
		slot_count[r] = ci->slot_count[j];
		slot_term[r] = ci->slot_term[j];
	}
	free(ci->slot_count);
	free(ci->slot_term);
	ci->slot_count = slot_count;
	ci->slot_term = slot_term;
	ci->mask = cap - 1;
	return 0;
}

static int count_index_build(count_index *ci, const signal_row *rows, size_t n)
{
	memset(ci, 0, sizeof *ci);
	if (count_index_grow(ci) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t key = rows[i].a + 1;
		size_t j = (size_t)(mix64(rows[i].a) & ci->mask);
		while (ci->slot_count[j] && ci->slot_count[j] != key)
			j = (j + 1) & ci->mask;
		if (ci->slot_count[j] != 0)
			continue;
		ci->slot_count[j] = key;
		ci->slot_term[j] = (uint32_t)ci->n++;
		if (ci->n * 2 > ci->mask && count_index_grow(ci) < 0)
			return -1;
	}
	ci->terms = malloc((ci->n + 1) * sizeof *ci->terms);
	if (ci->terms == NULL)
		return -1;
	for (size_t j = 0; j <= ci->mask; j++)
		if (ci->slot_count[j])
			ci->terms[ci->slot_term[j]].n = (double)(ci->slot_count[j] - 1);
	return 0;
}

static void count_index_free(count_index *ci)
{
	free(ci->slot_count);
	free(ci->slot_term);
	free(ci->terms);
}

static void no_progress(void *ctx, const char *phase, double fraction)
{
	(void)ctx;
	(void)phase;
	(void)fraction;
}

enum { ROW_BLOCK = 65536 };

typedef struct row_job {
	const signal_table *t;
	uint32_t min_count;
	signal_row *out;
	size_t blocks;
	size_t *start;   /* [blocks]: each block's row count, then its first row */
} row_job;

static void rows_count(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	row_job *j = p;
	for (size_t b = begin; b < end; b++) {
		size_t i1 = (b + 1) * ROW_BLOCK < j->t->n_pairs ? (b + 1) * ROW_BLOCK : j->t->n_pairs, n = 0;
		for (size_t i = b * ROW_BLOCK; i < i1; i++)
			n += j->t->pairs[i].a >= j->min_count;
		j->start[b] = n;
	}
}

static void rows_fill(void *p, size_t begin, size_t end, unsigned worker)
{
	(void)worker;
	row_job *j = p;
	const signal_table *t = j->t;
	for (size_t b = begin; b < end; b++) {
		size_t i1 = (b + 1) * ROW_BLOCK < t->n_pairs ? (b + 1) * ROW_BLOCK : t->n_pairs, k = j->start[b];
		for (size_t i = b * ROW_BLOCK; i < i1; i++) {
			const signal_pair *pr = &t->pairs[i];
			if (pr->a < j->min_count)
				continue;
			signal_row *r = &j->out[k++];
			r->item = pr->item;
			r->event = pr->event;
			r->a = pr->a;
			r->b = t->item_reports[pr->item] - pr->a;
			r->c = t->event_reports[pr->event] - pr->a;
			r->d = t->reports - r->a - r->b - r->c;
		}
	}
}

int signal_compute_ranked(const signal_table *t, const signal_prior *prior, uint32_t min_count, signal_row **rows,
                          uint32_t **order, size_t *n_rows, signal_progress_fn progress, void *ctx)
{
	*rows = NULL;
	*order = NULL;
	*n_rows = 0;
	if (min_count == 0)
		min_count = 1;
	/* The rows, in the pairs' order, on every core: blocks of pairs count their rows, then
	 * fill them from where each block's rows start. */
	row_job rj = {t, min_count, NULL, (t->n_pairs + ROW_BLOCK - 1) / ROW_BLOCK, NULL};
	rj.start = calloc(rj.blocks + 1, sizeof *rj.start);
	if (rj.start == NULL)
		return -1;
	parallel_for(rj.blocks, 1, rows_count, &rj, NULL, NULL);
	size_t n = 0;
	for (size_t b = 0; b < rj.blocks; b++) {
		size_t in_block = rj.start[b];
		rj.start[b] = n;
		n += in_block;
	}
	if (n >= UINT32_MAX) {
		free(rj.start);
		return -1;
	}
	signal_row *out = malloc((n + 1) * sizeof *out);
	uint32_t *rank = malloc((n + 1) * sizeof *rank);
	count_index counts = {0};
	if (out == NULL || rank == NULL) {
		free(rj.start);
		goto fail;
	}
	rj.out = out;
	parallel_for(rj.blocks, 1, rows_fill, &rj, NULL, NULL);
	free(rj.start);
	if (count_index_build(&counts, out, n) < 0)
		goto fail;
	score_job job = {t, prior, &counts, out, progress ? progress : no_progress, ctx, prior_terms_make(prior)};
	parallel_for(counts.n, 1, score_terms, &job, NULL, NULL);
	parallel_for(n, 0, score_rows, &job, score_progress, &job);
	if (rank_sort(t, out, rank, n) < 0)
		goto fail;
	count_index_free(&counts);
	*rows = out;
	*order = rank;
	*n_rows = n;
	return 0;
fail:
	free(out);
	free(rank);
	count_index_free(&counts);
	return -1;
}

int signal_compute(const signal_table *t, const signal_prior *prior, uint32_t min_count, signal_row **rows,
                   size_t *n_rows, signal_progress_fn progress, void *ctx)
{
	signal_row *scored;
	uint32_t *order;
	size_t n;
	*rows = NULL;
	*n_rows = 0;
	if (signal_compute_ranked(t, prior, min_count, &scored, &order, &n, progress, ctx) < 0)
		return -1;
	signal_row *sorted = malloc((n + 1) * sizeof *sorted);
	if (sorted != NULL)
		for (size_t i = 0; i < n; i++)
			sorted[i] = scored[order[i]];
	free(scored);
	free(order);
	if (sorted == NULL)
		return -1;
	*rows = sorted;
	*n_rows = n;
	return 0;
}

signal_prior_source signal_choose_prior(const signal_table *t, const signal_prior *given, signal_fit *out,
                                        signal_progress_fn progress, void *ctx)
{
	if (given == NULL && t->n_pairs >= SIGNAL_MIN_PAIRS_FOR_FIT && signal_mgps_fit(t, out, progress, ctx) == 0)
		return SIGNAL_SOURCE_FITTED;
	*out = (signal_fit){.prior = given ? *given : SIGNAL_PRIOR_DEFAULT, .pairs = t->n_pairs};
	out->loglik = signal_mgps_loglik_table(t, &out->prior);
	return given ? SIGNAL_SOURCE_GIVEN : SIGNAL_SOURCE_DEFAULT;
}

const char *signal_prior_source_name(signal_prior_source source)
{
	switch (source) {
	case SIGNAL_SOURCE_GIVEN: return "given";
	case SIGNAL_SOURCE_FITTED: return "fitted";
	case SIGNAL_SOURCE_DEFAULT: break;
	}
	return "default";
}
