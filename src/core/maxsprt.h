/* Sequential lot monitoring: the Poisson maximized sequential probability ratio test
 * (MaxSPRT) with continuous monitoring, of Kulldorff M, Davis RL, Kolczak M, Lewis E, Lieu T,
 * Platt R. A maximized sequential probability ratio test for drug and vaccine safety
 * surveillance. Sequential Analysis 2011;30:58–78. Pure: no I/O.
 *
 * A lot is watched as its patients' follow-up accumulates. At each look, `observed` events
 * are compared with `expected`, the count the product's baseline rate predicts for the lot's
 * person-time (expected is the "time" of the test: under the null the events are a Poisson
 * process of rate 1 in expected-count time). The test statistic is the log-likelihood ratio
 * maximised over relative risks RR >= 1:
 *
 *   LLR(c, mu) = (mu - c) + c·ln(c / mu)   when c > mu,   0 otherwise,
 *
 * and the null (RR = 1) is rejected — a signal — at the first look where LLR >= CV with at
 * least M events, before mu passes the upper limit T; surveillance ends without a signal once
 * mu > T. CV is chosen so that, with continuous monitoring, P(signal | null) = alpha exactly
 * (maxsprt_critical_value). Looking only at some times (at check-ins) can only miss signals,
 * so a lot looked at less often keeps its false-alarm rate at or below alpha. */
#ifndef EXOSAFE_MAXSPRT_H
#define EXOSAFE_MAXSPRT_H

#include <stdint.h>

/* The largest upper limit T maxsprt_critical_value accepts: the exact computation costs about
 * T^1.5 operations per trial value, 15 to 30 trials (0.4 ms at T 20, 0.2 s at 1,000, 2.5 s
 * at 10,000 on one core; R's Sequential suggests staying below 1,000), and a lot is rarely
 * followed that far. */
#define MAXSPRT_UPPER_LIMIT_MAX 10000.0

/* Log-likelihood ratio for `observed` events where `expected` were expected under the null
 * (expected > 0): (expected - observed) + observed * ln(observed / expected) when observed >
 * expected, else 0. expected == 0 gives +INFINITY with events and 0 without; a negative or
 * non-finite expected, or a negative observed, gives NAN. */
double maxsprt_llr(int64_t observed, double expected);

/* The critical value CV such that, under the null, the probability of LLR >= CV at any time
 * before the expected count reaches upper_limit (T) is alpha, signals needing at least
 * min_events events (M >= 1), computed exactly (Kulldorff 2011 section on the exact
 * continuous Poisson critical value; the same quantity as R package Sequential's CV.Poisson
 * with D = 0). Returns 0 or -1 for bad arguments (T <= 0, alpha not in (0,1), M < 1), and
 * also -1 (*cv untouched) when T > MAXSPRT_UPPER_LIMIT_MAX, when no CV reaches alpha (too few
 * events expected by T for M of them to happen with probability alpha: CV.Poisson's "does
 * not have solution"), or when memory runs out. On success *cv is the smallest value at
 * which P(signal | null) <= alpha, to double precision. */
int maxsprt_critical_value(double upper_limit, int min_events, double alpha, double *cv);

/* The probability that the continuous test with critical value cv signals under the null, or
 * with the events arriving rel_risk times as fast as expected (the power when rel_risk > 1):
 * the exact computation maxsprt_critical_value inverts. Returns NAN for bad arguments
 * (cv <= 0, rel_risk <= 0, or as maxsprt_critical_value) or when memory runs out. */
double maxsprt_signal_probability(double upper_limit, int min_events, double cv, double rel_risk);

typedef struct {
	double llr;        /* at the current observed/expected */
	double cv;         /* critical value used */
	int signal;        /* 1: llr >= cv and observed >= min_events and expected <= upper_limit */
	int ended;         /* 1: expected > upper_limit: surveillance over without a signal */
} maxsprt_result;

/* One look at a lot: observed events, expected under the baseline. A NAN cv (no critical
 * value could be had) or a NAN llr (expected negative or not finite) never signals. */
void maxsprt_look(int64_t observed, double expected, double cv, double upper_limit, int min_events,
                  maxsprt_result *out);

#endif
