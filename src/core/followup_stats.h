/* Statistics of active safety follow-up (issue 17): exact binomial intervals for per-symptom
 * incidence, and the Kaplan–Meier estimate of time to the first reported symptom with its
 * pointwise confidence band. Pure: no I/O (the Kaplan–Meier sorts a copy on the heap).
 *
 * Sources (the formulas are written out in followup_stats.c):
 *   Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of
 *     the binomial. Biometrika 1934;26:404–413.
 *   Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. JASA
 *     1958;53:457–481.
 *   Greenwood M. The natural duration of cancer. Reports on Public Health and Medical Subjects
 *     33, HMSO 1926.
 *   Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data. Wiley 1980
 *     (2nd ed. 2002, section 4.3): the band on the log(−log S) scale.
 * Checked against SciPy (tests/ref/followup_stats_ref.py, meson test followup_stats_ref) and
 * against published values (tests/unit/test_followup_stats.c). */
#ifndef EXOSAFE_FOLLOWUP_STATS_H
#define EXOSAFE_FOLLOWUP_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The follow-up checklist has this many symptoms at most (a bit each in fs_symptom_incidence). */
#define FS_MAX_SYMPTOMS 32

/* Days in a month for person-months (365.25 / 12, CONTRACT17.md section 4). */
#define FS_DAYS_PER_MONTH 30.4375

typedef struct { double lower, upper; } fs_interval;

/* Exact two-sided Clopper–Pearson interval for k events among n (0 <= k <= n, n >= 1) at
 * level conf (0 < conf < 1, usually 0.95): lower = Beta quantile (alpha/2; k, n-k+1) (0 when
 * k == 0), upper = Beta quantile (1-alpha/2; k+1, n-k) (1 when k == n).
 * Returns 0, or -1 for arguments out of range (out untouched). */
int fs_clopper_pearson(int64_t k, int64_t n, double conf, fs_interval *out);

typedef struct {
	double time;  /* days from entry to the first event, or to the last check-in (censored) */
	int event;    /* 1: the event happened at time; 0: censored at time */
} fs_obs;

typedef struct {
	double time;       /* a distinct event time, ascending */
	int64_t at_risk;   /* units with time >= this time */
	int64_t events;    /* events at this time */
	int64_t censored;  /* censored at this time (counted after the events, the usual convention) */
	double survival;   /* Kaplan–Meier S(t) just after time */
	double lower, upper; /* pointwise band at conf, Greenwood variance on the log(-log S) scale
	                        (Kalbfleisch & Prentice); NAN where undefined (S = 0 or 1) */
} fs_km_step;

/* Kaplan–Meier estimate of time to first event. obs need not be sorted (the function sorts a
 * copy); steps has room for n entries; one step per distinct time at which an event or a
 * censoring happens. Returns the number of steps written, or -1 on bad input
 * (n == 0 is 0 steps; negative or non-finite times are bad input; so are an event other than
 * 0 or 1, conf outside (0, 1), NULL pointers with n > 0, and running out of memory). */
ptrdiff_t fs_kaplan_meier(const fs_obs *obs, size_t n, double conf, fs_km_step *steps);

/* ---- Helpers for the follow-up service and the benchmark ---- */

/* The regularized incomplete beta function I_x(a, b) (a > 0, b > 0, 0 <= x <= 1), by the
 * continued fraction of Numerical Recipes §6.4 evaluated with the modified Lentz method;
 * NAN for arguments out of range. */
double fs_beta_cdf(double x, double a, double b);

/* The p quantile of Beta(a, b) (0 <= p <= 1, a > 0, b > 0): the x with I_x(a, b) = p, found
 * by Newton's method kept inside a shrinking bisection bracket, to full double precision.
 * Returns 0, or -1 for arguments out of range (*x untouched). */
int fs_beta_quantile(double p, double a, double b, double *x);

/* The standard normal quantile Φ⁻¹(p), 0 < p < 1 (Wichura, Algorithm AS 241, Applied
 * Statistics 1988;37:477–484, PPND16: about 1e-16 relative); NAN outside (0, 1). */
double fs_normal_quantile(double p);

/* Person-time in days of followed units, each given as its follow-up in whole seconds (the
 * event or censoring time minus the entry, >= 0): the integer sum divided by 86400 once, so the
 * figure is the same whatever the order of the units. Returns -1 when a value is negative or the
 * sum would overflow. */
double fs_person_days(const int64_t *follow_seconds, size_t n);

typedef struct {
	int64_t units;      /* units that reported the symptom at least once */
	double proportion;  /* units / followed; NAN when no unit was followed */
	double lower, upper; /* Clopper–Pearson at conf; NAN when no unit was followed */
} fs_incidence;

/* One symptom's incidence: units that reported it among followed units (0 <= units <=
 * followed, followed >= 0; followed == 0 gives NAN proportion and interval). Returns 0, or -1
 * for arguments out of range (out untouched). */
int fs_incidence_of(int64_t units, int64_t followed, double conf, fs_incidence *out);

/* Per-symptom incidence over followed units: unit_symptoms[i] has bit s set when unit i
 * reported symptom s at least once (bits from n_symptoms up are ignored); out[s] for
 * s < n_symptoms (1 <= n_symptoms <= FS_MAX_SYMPTOMS) gets the count, the proportion and the
 * Clopper–Pearson interval at conf over the n_units followed units. Returns 0, or -1 for
 * arguments out of range. */
int fs_symptom_incidence(const uint32_t *unit_symptoms, size_t n_units, int n_symptoms, double conf,
                         fs_incidence *out);

#endif
