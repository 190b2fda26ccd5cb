/* What the safety-signal files share and no caller needs (safety_signal.h is the interface):
 * hashing (scoring, squashing and counting), gamma-mixture pieces (special functions, MGPS)
 * and the per-count MGPS terms (MGPS, ranking). */
#ifndef EXOSAFE_SAFETY_SIGNAL_INTERNAL_H
#define EXOSAFE_SAFETY_SIGNAL_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/safety_signal.h"

/* The splitmix64 finaliser: spreads every input bit over the word. */
static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return h;
}

/* -1, 0 or 1 as a is below, equal to or above b: the three-way compare of qsort's callbacks. */
static inline int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* As cmp_u64 by (a1, a2) against (b1, b2), the first key first. */
static inline int cmp_u64_pair(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
	return a1 != b1 ? cmp_u64(a1, b1) : cmp_u64(a2, b2);
}

static inline uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	/* The last 0..7 bytes in at most two loads (overlapping when n > 4): a byte-by-byte copy
	 * of a short tail was the largest cost of interning names at registry scale. n is in the
	 * seed, so the overlap cannot make two lengths collide. */
	uint64_t w = 0;
	if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		w = (uint64_t)lo | (uint64_t)hi << 32;
	} else if (n > 0) {
		w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 | (uint64_t)(unsigned char)s[n - 1] << 16;
	}
	return mix64(h ^ w);
}

/* ---- gamma mixtures (safety_signal_special.c) ---- */

/* ln of the common factor x^a e^−x / Γ(a), given ln x and ln Γ(a). */
static inline double gamma_prefactor_log(double a, double x, double log_x, double lgamma_a)
{
	return a * log_x - x - lgamma_a;
}

/* One component of a gamma mixture: weight w, shape a, rate b, with ln b and ln Γ(a) kept
 * so that the quantile iterations do not recompute them. */
typedef struct gamma_part {
	double w, a, b, log_b, lgamma_a;
} gamma_part;

static inline gamma_part gamma_part_make(double w, double a, double b, double lgamma_a)
{
	return (gamma_part){w, a, b, log(b), lgamma_a};
}

static inline gamma_part gamma_part_make_log(double w, double a, double b, double log_b, double lgamma_a)
{
	return (gamma_part){w, a, b, log_b, lgamma_a};
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

/* A starting guess for the p-quantile of Gamma(a, rate b) (Wilson–Hilferty). */
double signal_gamma_quantile_guess(double p, double a, double b);

/* The p-quantile of the two-part mixture from x0 (ln x0 given); component known, when 0 or 1,
 * is taken to be at its own p-quantile with common factor known_pref; relative tolerance tol. */
double signal_mix_quantile(const gamma_part part[2], double p, double x0, double log_x0, int known, double known_pref,
                           double tol);

/* The p-quantile of Gamma(a, rate 1), to the last bit. */
double signal_gamma_unit_quantile(double p, double a);

/* ---- disproportionality (safety_signal_stats.c) ---- */

/* As signal_disproportionality, given the 2.5% and 97.5% quantiles of Gamma(a + 0.5, rate 1),
 * which the ranking computes once per count a. */
void signal_disproportionality_with(uint32_t a, uint32_t b, uint32_t c, uint32_t d, double unit_025, double unit_975,
                                    signal_stats *out);

/* ---- MGPS terms (safety_signal_mgps.c), reused per distinct count by the ranking ---- */

prior_terms signal_prior_terms_make(const signal_prior *prior);
void signal_count_terms_make(const signal_prior *prior, double n, bool with_ic, count_terms *ct);
void signal_mgps_score_terms(const signal_prior *prior, const prior_terms *pt, const count_terms *ct, double expected,
                             signal_ebgm *out);

#endif
