/* MGPS (DuMouchel 1999) for safety signals (safety_signal.h): scoring one pair, the
 * likelihood of a prior, and fitting the prior to the data.
 *
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

enum {
	SQUASH_EXACT_PAIRS = 50000,
	FIT_MAX_ITER = 400,
};
/* Coarser levels only choose the start and bring it near the next level's maximum. */
#define FIT_FLAT_ROUGH 1e-10
#define FIT_FLAT_SQUASHED 1e-12
#define FIT_FLAT_FINAL 1e-15
#define SQUASH_FINE 0.005
#define SQUASH_MEDIUM_BINS 4     /* SQUASH_MEDIUM = 0.02 */
#define SQUASH_COARSE_BINS 20    /* SQUASH_COARSE = 0.1 */

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


prior_terms signal_prior_terms_make(const signal_prior *prior)
{
	return (prior_terms){log(prior->p), log1p(-prior->p), {log(prior->beta1), log(prior->beta2)}};
}

void signal_count_terms_make(const signal_prior *prior, double n, bool with_ic, count_terms *ct)
{
	const double alpha[2] = {prior->alpha1, prior->alpha2};
	ct->n = n;
	for (int c = 0; c < 2; c++) {
		double shape = alpha[c] + n;
		ct->lgamma_shape[c] = lgamma(shape);
		ct->log_coef[c] = ct->lgamma_shape[c] - lgamma(alpha[c]) - lgamma(n + 1.0);
		ct->digamma_shape[c] = signal_digamma(shape);
		ct->unit_05[c] = signal_gamma_unit_quantile(0.05, shape);
		ct->unit_95[c] = signal_gamma_unit_quantile(0.95, shape);
		ct->log_unit_05[c] = log(ct->unit_05[c]);
		ct->log_unit_95[c] = log(ct->unit_95[c]);
		ct->pref_05[c] = exp(gamma_prefactor_log(shape, ct->unit_05[c], ct->log_unit_05[c], ct->lgamma_shape[c]));
		ct->pref_95[c] = exp(gamma_prefactor_log(shape, ct->unit_95[c], ct->log_unit_95[c], ct->lgamma_shape[c]));
	}
	ct->ic_025 = with_ic ? signal_gamma_unit_quantile(0.025, n + 0.5) : NAN;
	ct->ic_975 = with_ic ? signal_gamma_unit_quantile(0.975, n + 0.5) : NAN;
}

/* A component whose posterior weight is below this is left out of EB05 and EB95: F moves by
 * at most the weight, so the quantile moves by at most weight/(x·density) ≤ 25× the weight
 * in ln x for a posterior shape ≥ 1 (n ≥ 1), under 1e-13. */
#define MIX_NEGLIGIBLE 1e-15

/* The p-quantile of the posterior from the Wilson–Hilferty guess for component h (when its
 * own quantile at rate 1 underflowed). */
static double mix_quantile_guessed(const gamma_part part[2], double p, int h, double rate)
{
	double guess = signal_gamma_quantile_guess(p, part[h].a, rate);
	return signal_mix_quantile(part, p, guess, log(guess), -1, 0.0, 1e-14);
}

void signal_mgps_score_terms(const signal_prior *prior, const prior_terms *pt, const count_terms *ct, double expected,
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
		out->eb05 = signal_mix_quantile(part, 0.05, ct->unit_05[h] / rate[h], ct->log_unit_05[h] - log_rate[h], h,
		                         ct->pref_05[h], 1e-14);
	else
		out->eb05 = mix_quantile_guessed(part, 0.05, h, rate[h]);
	if (ct->unit_95[h] > 0.0)
		out->eb95 = signal_mix_quantile(part, 0.95, ct->unit_95[h] / rate[h], ct->log_unit_95[h] - log_rate[h], h,
		                         ct->pref_95[h], 1e-14);
	else
		out->eb95 = mix_quantile_guessed(part, 0.95, h, rate[h]);
}

void signal_mgps_score(const signal_prior *prior, double n, double expected, signal_ebgm *out)
{
	count_terms ct;
	signal_count_terms_make(prior, n, false, &ct);
	prior_terms pt = signal_prior_terms_make(prior);
	signal_mgps_score_terms(prior, &pt, &ct, expected, out);
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
static void set_scaled_identity(double H[5][5], double scale)
{
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++)
			H[i][j] = i == j ? scale : 0.0;
}

/* The BFGS update of the inverse Hessian H for the step s and gradient change y (s·y = sy):
 * H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1/sy. */
static void inverse_hessian_update(double H[5][5], const double s[5], const double y[5], double sy)
{
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

/* Armijo backtracking from x (objective f, slope gd < 0 along dir, whose largest entry is
 * dmax): the first step t = min(1, 2/dmax)·2^−k, k < 60, with enough decrease. Returns true
 * with the point in xn, its gradient in gn and objective in *fn; false when none decreased. */
static bool line_search(mgps_data *d, const double x[5], double f, const double dir[5], double gd, double dmax,
                        double xn[5], double gn[5], double *fn)
{
	double t = dmax > 2.0 ? 2.0 / dmax : 1.0;
	for (int ls = 0; ls < 60; ls++) {
		for (int i = 0; i < 5; i++)
			xn[i] = x[i] + t * dir[i];
		*fn = mgps_objective(d, xn, gn);
		if (*fn <= f + 1e-4 * t * gd)
			return true;
		t *= 0.5;
	}
	return false;
}

static int bfgs(mgps_data *d, double x[5], double *fx, double flat_tol)
{
	double g[5], H[5][5], xn[5], gn[5], s[5], y[5], dir[5];
	double f = mgps_objective(d, x, g);
	*fx = f;
	if (!isfinite(f))
		return 0;
	set_scaled_identity(H, 1.0);
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
			set_scaled_identity(H, 1.0);
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
		double fn;
		if (!line_search(d, x, f, dir, gd, dmax, xn, gn, &fn))
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
				set_scaled_identity(H, sy / yy);
				first = false;
			}
			inverse_hessian_update(H, s, y, sy);
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
	return cmp_u64_pair(a->key_n, a->key_e, b->key_n, b->key_e);
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

