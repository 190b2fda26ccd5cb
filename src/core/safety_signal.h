/* Signal detection over spontaneous reports: product×event (or lot×event) 2×2 tables and the
 * disproportionality statistics a pharmacovigilance team reads — PRR with χ², ROR with its 95%
 * confidence interval, the BCPNN information component IC with its 95% credibility interval,
 * and MGPS (EBGM, EB05, EB95) with a two-gamma mixture prior fitted to the data by maximum
 * likelihood (DuMouchel 1999, as openEBGM does). Pure: no I/O; the caller feeds rows.
 *
 * Counting. A row (report, item, event) says that the report names the item (a product, or a
 * lot) and the event. A report's items and events are the union over its rows, each counted
 * once however often it is repeated. For item i and event j:
 *   a = reports naming both i and j,   b = reports naming i but not j,
 *   c = reports naming j but not i,    d = reports naming neither,
 *   N = a + b + c + d = the number of distinct reports,
 *   E = (a + b)(a + c) / N, the count expected if i and j were independent.
 * "Naming both" does not require i and j on the same row; for an extract that lists every
 * item×event combination of a report (the usual registry form) that is the same thing as
 * counting the pair's rows, which is what openEBGM's processRaw does.
 *
 * The formulas are given at the top of each file that computes them (safety_signal_stats.c,
 * safety_signal_mgps.c, safety_signal_special.c) and, in one place, in docs/signals.md. The
 * reports CSV and the output formats are in safety_signal_csv.h. */
#ifndef EXOSAFE_SAFETY_SIGNAL_H
#define EXOSAFE_SAFETY_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

/* ---- counting ---- */

/* Rows are fed as (report, item, event) strings, in any order; reports whose rows are
 * contiguous (the usual case) are counted without a sort. Memory: per report (per run of
 * consecutive rows with its id) a record of its id, items and events — about 20 bytes for a
 * short id and a few of each — and an 8-byte hash, until signal_counter_finish; rows are not
 * kept. */
typedef struct signal_counter signal_counter;

/* The longest item, event or report name, in bytes. */
#define SIGNAL_NAME_MAX 1024

/* Creates an empty counter. Returns NULL when memory runs out. */
signal_counter *signal_counter_new(void);
void signal_counter_free(signal_counter *c);

/* Adds one row. The strings need not be NUL-terminated and are copied. Returns 0; -1 when a
 * name is empty or longer than SIGNAL_NAME_MAX, or contains a NUL byte, or memory runs out
 * (signal_counter_error says which); the counter is then unchanged. */
int signal_counter_add(signal_counter *c, const char *report, size_t report_len, const char *item, size_t item_len,
                       const char *event, size_t event_len);

/* As signal_counter_add, for names the caller has already checked: each 1..SIGNAL_NAME_MAX
 * bytes without a NUL. For readers that validate every field anyway. */
int signal_counter_add_clean(signal_counter *c, const char *report, size_t report_len, const char *item,
                             size_t item_len, const char *event, size_t event_len);

/* One row as a reader found it in its buffer. */
typedef struct signal_row_text {
	const char *report, *item, *event;
	uint32_t report_len, item_len, event_len;
} signal_row_text;

/* As signal_counter_add_clean for rows[0..n), whose names are each followed by at least 16
 * readable bytes (a reader's mapped file): their first bytes are loaded as words, not
 * copied, and a batch saves a call per row. On failure the rows before the one that failed
 * stay added. */
int signal_counter_add_padded(signal_counter *c, const signal_row_text *rows, size_t n);

/* One counter holding the rows of parts[0], then parts[1], … (as if every row had been added
 * to one counter in that order); frees the parts, also on failure. Lets a reader fill one
 * counter per part of a file, on every core. Returns NULL when memory runs out. */
signal_counter *signal_counter_join(signal_counter **parts, size_t n);

/* The rows added so far. */
uint64_t signal_counter_rows(const signal_counter *c);

/* The reason the last call failed. */
const char *signal_counter_error(const signal_counter *c);

/* Called now and then during long steps with a phase name and the fraction done (0..1). */
typedef void (*signal_progress_fn)(void *ctx, const char *phase, double fraction);

typedef struct signal_pair {
	uint32_t item, event;   /* dense ids into signal_table's names */
	uint32_t a;             /* reports naming both */
} signal_pair;

/* The counts: margins per item and per event, and every item×event pair with a >= 1 (in no
 * particular order). Names are NUL-terminated and owned by the table. */
typedef struct signal_table {
	uint32_t reports;               /* N */
	uint32_t n_items, n_events;
	const char **item_names;        /* [n_items] */
	const char **event_names;       /* [n_events] */
	uint32_t *item_reports;         /* [n_items]: a + b for every event */
	uint32_t *event_reports;        /* [n_events]: a + c for every item */
	size_t n_pairs;
	signal_pair *pairs;             /* [n_pairs] */
	char *item_arena, *event_arena; /* the names' storage */
} signal_table;

/* Builds the tables from every row added and frees the counter (also on failure). Returns
 * NULL when no row was added or memory runs out. The caller frees the table with
 * signal_table_free. progress may be NULL. */
signal_table *signal_counter_finish(signal_counter *c, signal_progress_fn progress, void *ctx);
void signal_table_free(signal_table *t);

/* ---- disproportionality (frequentist and BCPNN) ---- */

/* A statistic that is undefined for the table (a zero cell in a ratio or a logarithm) is NaN,
 * never ±infinity. */
typedef struct signal_stats {
	double expected;                /* E = (a+b)(a+c)/N */
	double prr, prr_lo, prr_hi;     /* PRR and its 95% CI (log-normal) */
	double chi2;                    /* Pearson χ² with Yates' correction, 1 df */
	double ror, ror_lo, ror_hi;     /* ROR and its 95% CI (Woolf, log-normal) */
	double ic, ic_lo, ic_hi;        /* IC = log2((a+0.5)/(E+0.5)), 95% credibility interval */
} signal_stats;

/* Fills *out from one 2×2 table. a must be >= 1. */
void signal_disproportionality(uint32_t a, uint32_t b, uint32_t c, uint32_t d, signal_stats *out);

/* ---- MGPS ---- */

/* The prior on λ = μ/E: P·Gamma(α1, β1) + (1−P)·Gamma(α2, β2), shape α and rate β. */
typedef struct signal_prior {
	double alpha1, beta1, alpha2, beta2, p;
} signal_prior;

typedef struct signal_ebgm {
	double ebgm;   /* exp(E[ln λ | n]), the geometric mean of the posterior */
	double eb05;   /* the posterior's 5% quantile */
	double eb95;   /* the posterior's 95% quantile */
} signal_ebgm;

/* Fills *out for an observed count n >= 0 and expected count E > 0 under prior. */
void signal_mgps_score(const signal_prior *prior, double n, double expected, signal_ebgm *out);

/* The log-likelihood of prior over the points (n[k] >= 1, E[k], weight w[k]): the sum of
 * w·log of the mixture of negative binomials at n, truncated at n >= 1 (pairs never reported
 * are not in the data). Returns -infinity for an invalid prior. */
double signal_mgps_loglik(const signal_prior *prior, const double *n, const double *expected, const double *w,
                          size_t k);

/* The same log-likelihood over every pair of t (a >= 1), unsquashed. */
double signal_mgps_loglik_table(const signal_table *t, const signal_prior *prior);

typedef struct signal_fit {
	signal_prior prior;
	double loglik;          /* at prior, over every pair with a >= 1 (not squashed) */
	double loglik_fitted;   /* the maximum found, over the points the fit used */
	size_t pairs;           /* pairs in the data (a >= 1) */
	size_t points;          /* distinct (n, E) points the final fit used */
	int squashed;           /* 1 when points were merged into bins of E (see safety_signal_mgps.c) */
	int starts;             /* starting points tried */
	int iterations;         /* BFGS iterations, over every start and the polish */
} signal_fit;

/* Fits the prior to every pair of t by maximum likelihood. Returns 0, or -1 when memory runs
 * out or no start converged to a finite likelihood (out is then the default prior
 * SIGNAL_PRIOR_DEFAULT). progress may be NULL. */
int signal_mgps_fit(const signal_table *t, signal_fit *out, signal_progress_fn progress, void *ctx);

/* The fit keeps α and β within these bounds, a numerical guard (see safety_signal_mgps.c). */
#define SIGNAL_PARAM_MIN 1e-10
#define SIGNAL_PARAM_MAX 1e10

/* DuMouchel's starting point, the first of the fit's starts. */
#define SIGNAL_PRIOR_DEFAULT ((signal_prior){0.2, 0.1, 2.0, 4.0, 1.0 / 3.0})

/* Where the prior a computation used came from; both the API and the CLI report it. */
typedef enum signal_prior_source {
	SIGNAL_SOURCE_GIVEN,    /* the caller's (exosafe signals --prior) */
	SIGNAL_SOURCE_FITTED,   /* fitted to the data by maximum likelihood */
	SIGNAL_SOURCE_DEFAULT,  /* DuMouchel's published values: too few pairs to fit, or the fit failed */
} signal_prior_source;

/* Pairs below which the five hyperparameters are not fitted: a clinic's handful of cases cannot
 * support a maximum-likelihood fit of five parameters (with one pair it degenerates and EBGM
 * collapses towards 0). */
#define SIGNAL_MIN_PAIRS_FOR_FIT 50

/* The one rule that picks the MGPS prior for t, so that every caller (the API, the CLI over the
 * database or over a reports file) gives the same EBGM for the same data: given when not NULL;
 * otherwise fitted when t has at least SIGNAL_MIN_PAIRS_FOR_FIT pairs and the fit converges;
 * otherwise SIGNAL_PRIOR_DEFAULT. out->prior is the prior to score with and out->loglik its
 * log-likelihood over t; the fit's details are set only when it was fitted. Returns the source.
 * progress may be NULL. */
signal_prior_source signal_choose_prior(const signal_table *t, const signal_prior *given, signal_fit *out,
                                        signal_progress_fn progress, void *ctx);

/* "given", "fitted" or "default". */
const char *signal_prior_source_name(signal_prior_source source);

/* ---- everything, ranked ---- */

typedef struct signal_row {
	uint32_t item, event;
	uint32_t a, b, c, d;
	signal_stats stats;
	signal_ebgm mgps;
} signal_row;

/* Scores every pair of t with a >= min_count (min_count 0 is taken as 1) under prior and
 * returns them in *rows (the caller frees it), strongest first: EB05 descending, then EBGM
 * descending, then a descending, then item and event name. Returns 0, or -1 when memory runs
 * out (*rows is then NULL). */
int signal_compute(const signal_table *t, const signal_prior *prior, uint32_t min_count, signal_row **rows,
                   size_t *n_rows, signal_progress_fn progress, void *ctx);

/* As signal_compute, leaving the rows in the order of t's pairs and giving the ranking as
 * indexes into them: (*rows)[(*order)[0]] is the strongest. Saves moving every row at
 * registry scale. The caller frees *rows and *order. */
int signal_compute_ranked(const signal_table *t, const signal_prior *prior, uint32_t min_count, signal_row **rows,
                          uint32_t **order, size_t *n_rows, signal_progress_fn progress, void *ctx);

/* ---- numerics, exposed for the tests ---- */

/* The regularised lower incomplete gamma function P(a, x), a > 0, x >= 0. */
double signal_gamma_p(double a, double x);
/* The p-quantile (0 < p < 1) of the mixture q·Gamma(a1, rate b1) + (1−q)·Gamma(a2, rate b2);
 * q = 1 gives a single gamma. Relative accuracy about 1e-12. */
double signal_gamma_mix_quantile(double p, double q, double a1, double b1, double a2, double b2);
/* ψ(x), the digamma function, x > 0. */
double signal_digamma(double x);

#endif
