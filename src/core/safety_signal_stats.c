/* Disproportionality statistics of one 2×2 table (safety_signal.h): PRR, χ², ROR and the
 * BCPNN information component.
 *
 * Formulas (a, b, c, d, N and E as in safety_signal.h; z = 1.959963984540054, the 97.5% normal
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

#define Z975 1.959963984540054

/* ---------------------------------------------------------------- disproportionality */

/* As signal_disproportionality, given the 2.5% and 97.5% quantiles of Gamma(a + 0.5, rate 1):
 * the IC interval depends on E only through the rate, so a run computes them once per a. */
void signal_disproportionality_with(uint32_t a, uint32_t b, uint32_t c, uint32_t d, double unit_025, double unit_975,
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
	signal_disproportionality_with(a, b, c, d, signal_gamma_unit_quantile(0.025, shape), signal_gamma_unit_quantile(0.975, shape), out);
}

