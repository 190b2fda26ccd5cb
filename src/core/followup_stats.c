/* Follow-up statistics (followup_stats.h).
 *
 * Clopper–Pearson (1934): with alpha = 1 − conf, the exact two-sided interval for k events
 * among n is
 *     lower = B⁻¹(alpha/2; k, n − k + 1)        (0 when k = 0)
 *     upper = B⁻¹(1 − alpha/2; k + 1, n − k)    (1 when k = n)
 * where B⁻¹(p; a, b) is the p quantile of the Beta(a, b) distribution: the binomial tail
 * P(X >= k | π) equals I_π(k, n − k + 1) (Abramowitz & Stegun 26.5.24), so each limit is the π
 * at which the tail beyond k on its side is alpha/2.
 *
 * Kaplan–Meier (1958) with Greenwood's (1926) variance: at each distinct time t_j with n_j
 * units at risk and d_j events,
 *     S(t) = Π_{t_j <= t} (1 − d_j / n_j),
 *     Var[log S(t)] ≈ Σ_{t_j <= t} d_j / (n_j (n_j − d_j)),
 * and the band of Kalbfleisch & Prentice (2002, §4.3) on the log(−log S) scale, which stays
 * inside (0, 1):
 *     se = sqrt(Σ d_j / (n_j (n_j − d_j))) / |log S(t)|,
 *     lower = S(t)^exp(+z·se),  upper = S(t)^exp(−z·se),  z = Φ⁻¹(1 − alpha/2).
 * It is undefined at S = 1 (no event yet: log S = 0) and at S = 0 (log S = −∞); those steps get
 * NAN. (R's survfit(conf.type = "log-log") and lifelines' default band are the same quantity.) */
#include "core/followup_stats.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- The regularized incomplete beta function and its inverse ---- */

static double log_beta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* The continued fraction for I_x(a, b) (Numerical Recipes 2nd ed. §6.4, eq. 6.4.5), evaluated
 * by the modified Lentz method; it converges fast for x < (a + 1)/(a + b + 2), in about
 * O(sqrt(max(a, b))) terms, so the limit is generous for n up to millions. */
static double beta_cont_frac(double a, double b, double x)
{
	const double tiny = 1e-300;
	const int max_terms = 100000;
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d = 1.0 - qab * x / qap;
	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	double h = d;
	for (int m = 1; m <= max_terms; m++) {
		double m2 = 2.0 * m;
		double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) <= DBL_EPSILON)
			break;
	}
	return h;
}

/* I_x(a, b) with log B(a, b) given (the quantile search computes it once). */
static double beta_cdf_lb(double x, double a, double b, double lbeta)
{
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	/* x^a (1 − x)^b / B(a, b), in logs: the powers under- and overflow for large a, b. */
	double front = exp(a * log(x) + b * log1p(-x) - lbeta);
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * beta_cont_frac(a, b, x) / a;
	/* The symmetry I_x(a, b) = 1 − I_{1−x}(b, a) keeps the fraction in its fast region. */
	return 1.0 - front * beta_cont_frac(b, a, 1.0 - x) / b;
}

double fs_beta_cdf(double x, double a, double b)
{
	if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0) || !isfinite(a) || !isfinite(b))
		return NAN;
	return beta_cdf_lb(x, a, b, log_beta(a, b));
}

/* The Newton search for I_x(a, b) = p from start, on x's own scale. */
static double beta_quantile_search(double p, double a, double b, double start)
{
	double lbeta = log_beta(a, b);
	double lo = 0.0, hi = 1.0, xc = start;
	for (int iter = 0; iter < 400; iter++) {
		double f = beta_cdf_lb(xc, a, b, lbeta) - p;
		if (f == 0.0)
			break;
		if (f < 0.0)
			lo = xc;
		else
			hi = xc;
		/* Newton with the density; a step that leaves the bracket (or a density that
		 * underflowed far in a tail) bisects instead, so the search always converges. */
		double density = exp((a - 1.0) * log(xc) + (b - 1.0) * log1p(-xc) - lbeta);
		double next = xc - f / density;
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		double moved = fabs(next - xc);
		xc = next;
		if (moved <= 2.0 * DBL_EPSILON * xc || hi - lo <= 2.0 * DBL_EPSILON * hi)
			break;
	}
	return xc;
}

int fs_beta_quantile(double p, double a, double b, double *x)
{
	if (x == NULL || !(p >= 0.0 && p <= 1.0) || !(a > 0.0) || !(b > 0.0) || !isfinite(a) || !isfinite(b))
		return -1;
	if (p == 0.0 || p == 1.0) {
		*x = p;
		return 0;
	}
	/* Closed forms where one shape is 1 (Clopper–Pearson's k = 0 and k = n limits):
	 * I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b. */
	if (b == 1.0) {
		*x = pow(p, 1.0 / a);
		return 0;
	}
	if (a == 1.0) {
		*x = -expm1(log1p(-p) / b);
		return 0;
	}
	/* Start from the normal approximation. A quantile above 1/2 is found as 1 − y with
	 * I_y(b, a) = 1 − p: near 1 the density is small and x itself has few bits to spare, while
	 * y and 1 − p (exact for p >= 1/2) keep their relative precision. */
	double mean = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1.0)));
	double guess = mean + fs_normal_quantile(p) * sd;
	/* Beyond (0, 1) the normal start is useless: in the tails I_x(a, b) ≈ x^a / (a B(a, b))
	 * and 1 − I_x(a, b) ≈ (1 − x)^b / (b B(a, b)) (the continued fraction's first term). */
	if (!(guess > 0.0))
		guess = exp((log(p) + log(a) + log_beta(a, b)) / a);
	else if (!(guess < 1.0))
		guess = -expm1((log1p(-p) + log(b) + log_beta(a, b)) / b);
	if (!(guess > 0.0 && guess < 1.0))
		guess = mean;
	if (guess > 0.5)
		*x = 1.0 - beta_quantile_search(1.0 - p, b, a, 1.0 - guess);
	else
		*x = beta_quantile_search(p, a, b, guess);
	return 0;
}

/* ---- The normal quantile (Wichura 1988, AS 241, PPND16) ---- */

double fs_normal_quantile(double p)
{
	if (!(p > 0.0 && p < 1.0))
		return NAN;
	double q = p - 0.5, r, val;
	if (fabs(q) <= 0.425) {
		r = 0.180625 - q * q;
		val = q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
		                45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
		             133.14166789178437745) * r + 3.387132872796366608) /
		      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
		           21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
		        42.313330701600911252) * r + 1.0);
		return val;
	}
	r = q < 0 ? p : 1.0 - p;
	r = sqrt(-log(r));
	if (r <= 5.0) {
		r -= 1.6;
		val = (((((((r * 7.7454501427834140764e-4 + .0227238449892691845833) * r + .24178072517745061177) * r +
		           1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
		        4.6303378461565452959) * r + 1.42343711074968357734) /
		      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + .0151986665636164571966) * r +
		           .14810397642748007459) * r + .68976733498510000455) * r + 1.6763848301838038494) * r +
		        2.05319162663775882187) * r + 1.0);
	} else {
		r -= 5.0;
		val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + .0012426609473880784386) * r +
		           .026532189526576123093) * r + .29656057182850489123) * r + 1.7848265399172913358) * r +
		        5.4637849111641143699) * r + 6.6579046435011037772) /
		      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
		           7.868691311456132591e-4) * r + .0148753612908506148525) * r + .13692988092273580531) * r +
		        .59983220655588793769) * r + 1.0);
	}
	return q < 0.0 ? -val : val;
}

/* ---- Clopper–Pearson ---- */

static bool conf_ok(double conf)
{
	return conf > 0.0 && conf < 1.0;
}

int fs_clopper_pearson(int64_t k, int64_t n, double conf, fs_interval *out)
{
	if (out == NULL || n < 1 || k < 0 || k > n || !conf_ok(conf))
		return -1;
	double alpha = 1.0 - conf;
	fs_interval ci = {0.0, 1.0};
	if (k > 0 && fs_beta_quantile(alpha / 2.0, (double)k, (double)(n - k + 1), &ci.lower) != 0)
		return -1;
	if (k < n && fs_beta_quantile(1.0 - alpha / 2.0, (double)(k + 1), (double)(n - k), &ci.upper) != 0)
		return -1;
	*out = ci;
	return 0;
}

/* ---- Kaplan–Meier ---- */

/* Sorts obs by time into out (both n long; obs is overwritten): an LSD radix sort on the bits of
 * the times, 8 at a time. Times are finite and >= 0 (checked), and for those the IEEE 754 bit
 * patterns read as unsigned integers are in the same order as the values. Stable, O(n), and
 * without qsort's comparison callbacks and temporary copy (the benchmark sorts 400,000 units). */
static void sort_by_time(fs_obs *obs, fs_obs *out, size_t n)
{
	size_t counts[8][256];
	memset(counts, 0, sizeof counts);
	for (size_t i = 0; i < n; i++) {
		uint64_t bits;
		memcpy(&bits, &obs[i].time, sizeof bits);
		for (int d = 0; d < 8; d++)
			counts[d][(bits >> (8 * d)) & 0xff]++;
	}
	fs_obs *from = obs, *to = out;
	for (int d = 0; d < 8; d++) {
		/* A digit the same in every time moves nothing: skip its pass. */
		size_t *c = counts[d];
		bool constant = false;
		for (int b = 0; b < 256; b++)
			if (c[b] == n) {
				constant = true;
				break;
			}
		if (constant)
			continue;
		size_t at = 0;
		for (int b = 0; b < 256; b++) {
			size_t k = c[b];
			c[b] = at;
			at += k;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t bits;
			memcpy(&bits, &from[i].time, sizeof bits);
			to[c[(bits >> (8 * d)) & 0xff]++] = from[i];
		}
		fs_obs *swap = from;
		from = to;
		to = swap;
	}
	if (from != out)
		memcpy(out, from, n * sizeof *out);
}

ptrdiff_t fs_kaplan_meier(const fs_obs *obs, size_t n, double conf, fs_km_step *steps)
{
	if (!conf_ok(conf))
		return -1;
	if (n == 0)
		return 0;
	if (obs == NULL || steps == NULL || n > (size_t)PTRDIFF_MAX / (2 * sizeof(fs_obs)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(obs[i].time) || obs[i].time < 0.0 || (obs[i].event != 0 && obs[i].event != 1))
			return -1;
	fs_obs *scratch = malloc(2 * n * sizeof *scratch);
	if (scratch == NULL)
		return -1;
	fs_obs *sorted = scratch + n;
	/* + 0.0 turns a −0 into +0, whose bits sort first (−0's sign bit would put it last). */
	for (size_t i = 0; i < n; i++)
		scratch[i] = (fs_obs){obs[i].time + 0.0, obs[i].event};
	sort_by_time(scratch, sorted, n);

	double z = fs_normal_quantile(1.0 - (1.0 - conf) / 2.0);
	double survival = 1.0, greenwood = 0.0;
	size_t written = 0;
	for (size_t i = 0; i < n;) {
		double t = sorted[i].time;
		int64_t at_risk = (int64_t)(n - i), events = 0, censored = 0;
		for (; i < n && sorted[i].time == t; i++) {
			if (sorted[i].event)
				events++;
			else
				censored++;
		}
		if (events > 0) {
			survival *= 1.0 - (double)events / (double)at_risk;
			/* When every unit at risk has the event, S drops to 0 and the term is infinite;
			 * the band is undefined from there on anyway. */
			if (events < at_risk)
				greenwood += (double)events / ((double)at_risk * (double)(at_risk - events));
		}
		fs_km_step *s = &steps[written++];
		s->time = t;
		s->at_risk = at_risk;
		s->events = events;
		s->censored = censored;
		s->survival = survival;
		if (events == 0 && written > 1) {
			/* Censorings alone change neither S nor the Greenwood sum: the band stands. */
			s->lower = s[-1].lower;
			s->upper = s[-1].upper;
		} else if (survival > 0.0 && survival < 1.0) {
			double log_s = log(survival);
			double theta = z * sqrt(greenwood) / fabs(log_s);
			s->lower = pow(survival, exp(theta));
			s->upper = pow(survival, exp(-theta));
		} else {
			s->lower = NAN;
			s->upper = NAN;
		}
	}
	free(scratch);
	return (ptrdiff_t)written;
}

/* ---- Person-time and incidence ---- */

double fs_person_days(const int64_t *follow_seconds, size_t n)
{
	if (n > 0 && follow_seconds == NULL)
		return -1.0;
	int64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (follow_seconds[i] < 0 || follow_seconds[i] > INT64_MAX - total)
			return -1.0;
		total += follow_seconds[i];
	}
	return (double)total / 86400.0;
}

int fs_incidence_of(int64_t units, int64_t followed, double conf, fs_incidence *out)
{
	if (out == NULL || followed < 0 || units < 0 || units > followed || !conf_ok(conf))
		return -1;
	if (followed == 0) {
		*out = (fs_incidence){.units = 0, .proportion = NAN, .lower = NAN, .upper = NAN};
		return 0;
	}
	fs_interval ci;
	if (fs_clopper_pearson(units, followed, conf, &ci) != 0)
		return -1;
	*out = (fs_incidence){.units = units, .proportion = (double)units / (double)followed,
	                      .lower = ci.lower, .upper = ci.upper};
	return 0;
}

int fs_symptom_incidence(const uint32_t *unit_symptoms, size_t n_units, int n_symptoms, double conf,
                         fs_incidence *out)
{
	if (out == NULL || n_symptoms < 1 || n_symptoms > FS_MAX_SYMPTOMS || (n_units > 0 && unit_symptoms == NULL) ||
	    !conf_ok(conf) || n_units > (size_t)INT64_MAX)
		return -1;
	int64_t counts[FS_MAX_SYMPTOMS] = {0};
	for (size_t i = 0; i < n_units; i++)
		for (uint32_t bits = unit_symptoms[i]; bits != 0; bits &= bits - 1)
			counts[__builtin_ctz(bits)]++;
	for (int s = 0; s < n_symptoms; s++)
		if (fs_incidence_of(counts[s], (int64_t)n_units, conf, &out[s]) != 0)
			return -1;
	return 0;
}
