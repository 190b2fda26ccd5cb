/* Signal statistics on 2×2 tables checked by hand, the special functions against closed
 * forms, and the counting rules (a report counts once; ids in any order). The agreement with
 * an independent implementation on generated data is tests/signals/agreement.py. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/safety_signal.h"
#include "core/safety_signal_csv.h"
#include "core/strbuf.h"

static void assert_rel(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol * fabs(want)))
		fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, tol);
}

/* a = 10, b = 20, c = 30, d = 940; N = 1000.
 *   E    = (a+b)(a+c)/N = 30·40/1000 = 1.2
 *   PRR  = (10/30)/(30/970) = 970/90 = 10.777…
 *          se = sqrt(1/10 − 1/30 + 1/30 − 1/970) = sqrt(0.1 − 0.00103093) = 0.31458…
 *          CI = 10.7778·exp(∓1.959964·0.31458) = 5.8176, 19.9669
 *   χ²   = 1000·(|10·940 − 20·30| − 500)² / (30·970·40·960) = 1000·8300²/1117440000
 *        = 68890000000/1117440000 = 61.6498…
 *   ROR  = 10·940/(20·30) = 15.666…; se = sqrt(1/10 + 1/20 + 1/30 + 1/940) = 0.42942…
 *          CI = 15.6667·exp(∓0.84165) = 6.7524, 36.349
 *   IC   = log2(10.5/1.7) = log2(6.17647) = 2.62678…; its 95% interval is log2 of the 2.5% and
 *          97.5% quantiles of Gamma(10.5, rate 1.7): 1.59664, 3.38335 (scipy.stats.gamma.ppf;
 *          Norén's closed form IC − 3.3·10.5^−½ − 2·10.5^−3/2 = 1.5496 is within 0.05). */
static void test_hand_checked_table(void **state)
{
	(void)state;
	signal_stats s;
	signal_disproportionality(10, 20, 30, 940, &s);
	assert_rel(s.expected, 1.2, 1e-15);
	assert_rel(s.prr, 970.0 / 90.0, 1e-14);
	assert_rel(s.prr_lo, 5.8176387444517, 1e-12);
	assert_rel(s.prr_hi, 19.9669486074472, 1e-12);
	assert_rel(s.chi2, 68890000000.0 / 1117440000.0, 1e-14);
	assert_rel(s.ror, 9400.0 / 600.0, 1e-14);
	assert_rel(s.ror_lo, 15.6666666666667 * exp(-1.959963984540054 * sqrt(0.1 + 0.05 + 1.0 / 30 + 1.0 / 940)), 1e-12);
	assert_rel(s.ror_hi, 36.3492316766019, 1e-12);
	assert_rel(s.ic, log2(10.5 / 1.7), 1e-14);
	assert_rel(s.ic_lo, 1.59664023, 1e-8);
	assert_rel(s.ic_hi, 3.38335365, 1e-8);
}

/* a = 1, b = 9, c = 10, d = 90: ad = bc, so PRR = ROR = 1 and, with Yates' correction capped
 * at the difference, χ² = 0. */
static void test_independent_table(void **state)
{
	(void)state;
	signal_stats s;
	signal_disproportionality(1, 9, 10, 90, &s);
	assert_rel(s.prr, 1.0, 1e-15);
	assert_rel(s.ror, 1.0, 1e-15);
	assert_true(s.chi2 == 0.0);
	assert_rel(s.expected, 1.0, 1e-15);
	assert_true(fabs(s.ic) < 1e-15);   /* IC = log2(1.5/1.5) = 0 */
}

/* a = 5, b = 0, c = 0, d = 95: the event only ever with this product. PRR = a/(a+b) over
 * c/(c+d) = 1/0 and ROR = ad/(bc) = 475/0 are undefined (NaN, not infinity); χ² is
 * 100·(475 − 50)²/(5·95·5·95) = 80.055… */
static void test_zero_cells(void **state)
{
	(void)state;
	signal_stats s;
	signal_disproportionality(5, 0, 0, 95, &s);
	assert_true(isnan(s.prr) && isnan(s.prr_lo) && isnan(s.prr_hi));
	assert_true(isnan(s.ror) && isnan(s.ror_lo) && isnan(s.ror_hi));
	assert_rel(s.chi2, 100.0 * 425.0 * 425.0 / (5.0 * 95.0 * 5.0 * 95.0), 1e-14);
	assert_rel(s.expected, 0.25, 1e-15);
	assert_true(isfinite(s.ic) && isfinite(s.ic_lo) && isfinite(s.ic_hi));
}

static void test_special_functions(void **state)
{
	(void)state;
	const double euler = 0.57721566490153286;
	assert_rel(signal_digamma(1.0), -euler, 1e-14);
	assert_rel(signal_digamma(0.5), -euler - 2.0 * log(2.0), 1e-14);
	double h29 = 0.0;   /* ψ(30) = H_29 − γ */
	for (int k = 1; k <= 29; k++)
		h29 += 1.0 / k;
	assert_rel(signal_digamma(30.0), h29 - euler, 1e-14);
	/* P(1, x) = 1 − e^−x; P(½, x) = erf(√x); P(a, a) → ½ + 1/(3√(2πa)) (the Temme branch). */
	for (double x = 0.01; x < 40.0; x *= 1.7) {
		assert_rel(signal_gamma_p(1.0, x), -expm1(-x), 1e-13);
		assert_rel(signal_gamma_p(0.5, x), erf(sqrt(x)), 1e-13);
	}
	assert_rel(signal_gamma_p(1e6, 1e6), 0.5 + 1.0 / (3.0 * sqrt(2.0 * M_PI * 1e6)), 1e-11);
	/* Quantiles: the exponential's in closed form; a mixture's satisfies its CDF. */
	for (double p = 0.025; p < 1.0; p += 0.1)
		assert_rel(signal_gamma_mix_quantile(p, 1.0, 1.0, 2.0, 1.0, 2.0), -log1p(-p) / 2.0, 1e-12);
	double x = signal_gamma_mix_quantile(0.05, 0.3, 10.2, 1.1, 12.0, 4.2);
	assert_rel(0.3 * signal_gamma_p(10.2, 1.1 * x) + 0.7 * signal_gamma_p(12.0, 4.2 * x), 0.05, 1e-12);
	x = signal_gamma_mix_quantile(0.95, 0.7, 1e5 + 0.2, 1.1, 1e5 + 2.0, 4.2);   /* shapes of a large count */
	assert_rel(x, 91330.84522806239, 1e-11);
}

/* With both components equal the prior is one Gamma(1, 1); n = 1, E = 1 give the posterior
 * Gamma(2, rate 2): EBGM = exp(ψ(2) − ln 2) = exp(1 − γ − ln 2) = 0.76310…; EB05 and EB95 solve
 * 1 − e^−2λ(1 + 2λ) = 0.05 and 0.95: λ = 0.177681, 2.371932. */
static void test_mgps_single_gamma(void **state)
{
	(void)state;
	signal_prior prior = {1.0, 1.0, 1.0, 1.0, 0.5};
	signal_ebgm eb;
	signal_mgps_score(&prior, 1.0, 1.0, &eb);
	assert_rel(eb.ebgm, exp(1.0 - 0.57721566490153286 - log(2.0)), 1e-13);
	assert_rel(eb.eb05, 0.17768075534933098, 1e-11);
	assert_rel(eb.eb95, 2.3719322591952885, 1e-11);
}

static signal_counter *counter_with(const char *const rows[][3], size_t n)
{
	signal_counter *c = signal_counter_new();
	assert_non_null(c);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(signal_counter_add(c, rows[i][0], strlen(rows[i][0]), rows[i][1], strlen(rows[i][1]), rows[i][2],
		                                    strlen(rows[i][2])),
		                 0);
	return c;
}

static uint32_t pair_count(const signal_table *t, const char *item, const char *event)
{
	for (size_t i = 0; i < t->n_pairs; i++)
		if (strcmp(t->item_names[t->pairs[i].item], item) == 0 && strcmp(t->event_names[t->pairs[i].event], event) == 0)
			return t->pairs[i].a;
	return 0;
}

static uint32_t margin(const char **names, const uint32_t *counts, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return counts[i];
	return UINT32_MAX;
}

/* R1 names P1, P2, P3 and E1, E2 (its rows are split: a repeated row, and a row after other
 * reports); R2 names P1, E1; R3 names P2, E3. So N = 3; P1 is in 2 reports, P2 in 2, P3 in 1;
 * E1 in 2, E2 in 1, E3 in 1; the pairs are R1's six (P1..P3 × E1, E2) plus P1·E1 again from
 * R2 and P2·E3 from R3. */
static void check_example(signal_table *t)
{
	assert_non_null(t);
	assert_int_equal(t->reports, 3);
	assert_int_equal(t->n_pairs, 7);
	assert_int_equal(pair_count(t, "P1", "E1"), 2);
	assert_int_equal(pair_count(t, "P1", "E2"), 1);
	assert_int_equal(pair_count(t, "P3", "E2"), 1);
	assert_int_equal(pair_count(t, "P2", "E3"), 1);
	assert_int_equal(pair_count(t, "P3", "E3"), 0);
	assert_int_equal(margin(t->item_names, t->item_reports, t->n_items, "P1"), 2);
	assert_int_equal(margin(t->item_names, t->item_reports, t->n_items, "P2"), 2);
	assert_int_equal(margin(t->item_names, t->item_reports, t->n_items, "P3"), 1);
	assert_int_equal(margin(t->event_names, t->event_reports, t->n_events, "E1"), 2);
	assert_int_equal(margin(t->event_names, t->event_reports, t->n_events, "E3"), 1);
	signal_table_free(t);
}

static void test_counting(void **state)
{
	(void)state;
	static const char *const scattered[][3] = {
		{"R1", "P1", "E1"}, {"R1", "P1", "E1"}, {"R1", "P2", "E2"}, {"R2", "P1", "E1"},
		{"R3", "P2", "E3"}, {"R1", "P3", "E1"},
	};
	static const char *const grouped[][3] = {
		{"R2", "P1", "E1"}, {"R1", "P3", "E1"}, {"R1", "P1", "E1"}, {"R1", "P2", "E2"}, {"R1", "P1", "E1"},
		{"R3", "P2", "E3"},
	};
	check_example(signal_counter_finish(counter_with(scattered, 6), NULL, NULL));
	check_example(signal_counter_finish(counter_with(grouped, 6), NULL, NULL));
}

/* Three counters filled from consecutive parts of the same rows and joined count what one
 * counter fed every row counts, also when a report's rows straddle a cut or come back. */
static void test_counter_merge(void **state)
{
	(void)state;
	static const char *const rows[][3] = {
		{"R2", "P1", "E1"}, {"R1", "P3", "E1"}, {"R1", "P1", "E1"}, {"R1", "P2", "E2"}, {"R1", "P1", "E1"},
		{"R3", "P2", "E3"},
	};
	for (size_t cut = 0; cut <= 6; cut++)
		for (size_t cut2 = cut; cut2 <= 6; cut2++) {
			signal_counter *parts[3] = {counter_with(rows, cut), counter_with(rows + cut, cut2 - cut),
			                            counter_with(rows + cut2, 6 - cut2)};
			signal_counter *all = signal_counter_join(parts, 3);
			assert_non_null(all);
			assert_int_equal(signal_counter_rows(all), 6);
			check_example(signal_counter_finish(all, NULL, NULL));
		}
}

/* Reports too large for the short record (300 events, 260 items), more than 65536 distinct
 * events (ids past 16 bits), long report ids, and one such report seen again in a second run:
 * the counts equal what follows from the rows by hand. */
static void test_counting_large_reports(void **state)
{
	(void)state;
	signal_counter *c = signal_counter_new();
	assert_non_null(c);
	char rid[64], item[32], event[32];
	/* BIG: 260 items × 300 events, then 70000 one-row reports over distinct events */
	const char *big = "REPORT-WITH-A-LONG-IDENTIFIER-000";
	for (int i = 0; i < 260; i++) {
		snprintf(item, sizeof item, "P%d", i);
		for (int e = 0; e < 300; e += (i == 0 ? 1 : 150)) {
			snprintf(event, sizeof event, "E%d", e);
			assert_int_equal(signal_counter_add(c, big, strlen(big), item, strlen(item), event, strlen(event)), 0);
		}
	}
	for (int r = 0; r < 70000; r++) {
		snprintf(rid, sizeof rid, "REPORT-WITH-A-LONG-IDENTIFIER-%06d", r + 1);
		snprintf(event, sizeof event, "X%d", r);
		assert_int_equal(signal_counter_add(c, rid, strlen(rid), "P1", 2, event, strlen(event)), 0);
	}
	/* BIG again, with an event it had and a new one: it stays one report */
	assert_int_equal(signal_counter_add(c, big, strlen(big), "P0", 2, "E7", 2), 0);
	assert_int_equal(signal_counter_add(c, big, strlen(big), "P999", 4, "X69999", 6), 0);
	signal_table *t = signal_counter_finish(c, NULL, NULL);
	assert_non_null(t);
	assert_int_equal(t->reports, 70001);
	assert_int_equal(t->n_items, 261);
	assert_int_equal(t->n_events, 300 + 70000);
	/* BIG names P0..P259, P999 and E0..E299, X69999: every pair of those once */
	assert_int_equal(pair_count(t, "P0", "E299"), 1);
	assert_int_equal(pair_count(t, "P259", "E1"), 1);
	assert_int_equal(pair_count(t, "P999", "E0"), 1);
	assert_int_equal(pair_count(t, "P1", "X69999"), 2);   /* BIG and report 70000 */
	assert_int_equal(pair_count(t, "P1", "X5"), 1);
	assert_int_equal(margin(t->item_names, t->item_reports, t->n_items, "P1"), 70001);
	assert_int_equal(margin(t->item_names, t->item_reports, t->n_items, "P0"), 1);
	assert_int_equal(margin(t->event_names, t->event_reports, t->n_events, "E7"), 1);
	assert_int_equal(margin(t->event_names, t->event_reports, t->n_events, "X69999"), 2);
	assert_int_equal(t->n_pairs, (size_t)261 * 301 + 69999);
	signal_table_free(t);
}

static void test_counter_refuses_bad_names(void **state)
{
	(void)state;
	signal_counter *c = signal_counter_new();
	assert_int_equal(signal_counter_add(c, "R1", 2, "", 0, "E1", 2), -1);
	assert_non_null(strstr(signal_counter_error(c), "empty item"));
	assert_int_equal(signal_counter_add(c, "R1", 2, "P\0", 2, "E1", 2), -1);
	assert_int_equal(signal_counter_rows(c), 0);
	assert_null(signal_counter_finish(c, NULL, NULL));   /* no rows: nothing to count */
}

/* Reports drawn from a small model with one strong pair: the fit's maximum is at least as high
 * as every starting point's likelihood, and the ranking puts the strong pair first with EB05
 * descending throughout. */
static void test_fit_and_ranking(void **state)
{
	(void)state;
	signal_counter *c = signal_counter_new();
	uint64_t z = 12345;
	char rid[16], item[8], event[8];
	for (int r = 0; r < 3000; r++) {
		z = z * 6364136223846793005u + 1442695040888963407u;
		int p = (int)((z >> 33) % 12), e = (int)((z >> 45) % 30);
		if (p == 3 && (z >> 20) % 4 == 0)
			e = 7;   /* the planted signal */
		snprintf(rid, sizeof rid, "R%d", r);
		snprintf(item, sizeof item, "P%d", p);
		snprintf(event, sizeof event, "E%d", e);
		assert_int_equal(signal_counter_add(c, rid, strlen(rid), item, strlen(item), event, strlen(event)), 0);
	}
	signal_table *t = signal_counter_finish(c, NULL, NULL);
	assert_non_null(t);
	signal_fit fit;
	assert_int_equal(signal_mgps_fit(t, &fit, NULL, NULL), 0);
	assert_false(fit.squashed);
	assert_rel(fit.loglik, signal_mgps_loglik_table(t, &fit.prior), 1e-12);
	signal_prior start = SIGNAL_PRIOR_DEFAULT;
	assert_true(fit.loglik >= signal_mgps_loglik_table(t, &start));
	signal_row *rows;
	size_t n;
	assert_int_equal(signal_compute(t, &fit.prior, 3, &rows, &n, NULL, NULL), 0);
	assert_true(n > 0);
	assert_string_equal(t->item_names[rows[0].item], "P3");
	assert_string_equal(t->event_names[rows[0].event], "E7");
	for (size_t i = 1; i < n; i++) {
		assert_true(rows[i - 1].mgps.eb05 >= rows[i].mgps.eb05);
		assert_true(rows[i].a >= 3);
		assert_int_equal(rows[i].a + rows[i].b + rows[i].c + rows[i].d, t->reports);
	}
	free(rows);
	signal_table_free(t);
}

/* The one rule for the prior: fitted from 50 pairs up, DuMouchel's below, a given one as given. */
static void test_choose_prior(void **state)
{
	(void)state;
	signal_table *t[2];
	for (int k = 0; k < 2; k++) {
		/* k = 0: 7 products × 7 events = 49 pairs; k = 1: one pair more. */
		signal_counter *c = signal_counter_new();
		char rid[16], item[8], event[8];
		int r = 0;
		for (int p = 0; p < 7; p++)
			for (int e = 0; e < 7; e++) {
				snprintf(rid, sizeof rid, "R%d", r++);
				snprintf(item, sizeof item, "P%d", p);
				snprintf(event, sizeof event, "E%d", e);
				assert_int_equal(signal_counter_add(c, rid, strlen(rid), item, strlen(item), event, strlen(event)), 0);
				if ((p + e) % 3 == 0)  /* uneven counts, so a fit has something to fit */
					assert_int_equal(signal_counter_add(c, "X", 1, item, strlen(item), event, strlen(event)), 0);
			}
		if (k == 1)
			assert_int_equal(signal_counter_add(c, "R-extra", 7, "P7", 2, "E0", 2), 0);
		t[k] = signal_counter_finish(c, NULL, NULL);
		assert_non_null(t[k]);
	}
	assert_int_equal(t[0]->n_pairs, SIGNAL_MIN_PAIRS_FOR_FIT - 1);
	assert_int_equal(t[1]->n_pairs, SIGNAL_MIN_PAIRS_FOR_FIT);
	signal_fit fit;
	signal_prior dumouchel = SIGNAL_PRIOR_DEFAULT;
	assert_int_equal(signal_choose_prior(t[0], NULL, &fit, NULL, NULL), SIGNAL_SOURCE_DEFAULT);
	assert_memory_equal(&fit.prior, &dumouchel, sizeof dumouchel);
	assert_rel(fit.loglik, signal_mgps_loglik_table(t[0], &dumouchel), 1e-15);
	assert_string_equal(signal_prior_source_name(SIGNAL_SOURCE_DEFAULT), "default");
	assert_int_equal(signal_choose_prior(t[1], NULL, &fit, NULL, NULL), SIGNAL_SOURCE_FITTED);
	assert_true(fit.loglik >= signal_mgps_loglik_table(t[1], &dumouchel));
	signal_prior given = {0.3, 0.2, 3.5, 3.1, 0.15};
	assert_int_equal(signal_choose_prior(t[1], &given, &fit, NULL, NULL), SIGNAL_SOURCE_GIVEN);
	assert_memory_equal(&fit.prior, &given, sizeof given);
	assert_string_equal(signal_prior_source_name(SIGNAL_SOURCE_GIVEN), "given");
	signal_table_free(t[0]);
	signal_table_free(t[1]);
}

/* The ranking over more rows than one core sorts alone (the halves sorted apart and merged),
 * with many exact ties in EB05 (pairs of equal counts and margins): every neighbour in order
 * by EB05, then EBGM, then a, then names. */
static void test_ranking_many_rows(void **state)
{
	(void)state;
	signal_counter *c = signal_counter_new();
	char rid[16], item[8], event[8];
	for (int r = 0; r < 20000; r++) {
		snprintf(rid, sizeof rid, "R%d", r);
		snprintf(item, sizeof item, "P%d", r % 60);
		snprintf(event, sizeof event, "E%d", (r / 60) % 90);
		assert_int_equal(signal_counter_add(c, rid, strlen(rid), item, strlen(item), event, strlen(event)), 0);
	}
	signal_table *t = signal_counter_finish(c, NULL, NULL);
	assert_non_null(t);
	signal_prior prior = SIGNAL_PRIOR_DEFAULT;
	signal_row *rows;
	size_t n;
	assert_int_equal(signal_compute(t, &prior, 1, &rows, &n, NULL, NULL), 0);
	assert_true(n > 4096);
	size_t ties = 0;
	for (size_t i = 1; i < n; i++) {
		const signal_row *x = &rows[i - 1], *y = &rows[i];
		assert_true(x->mgps.eb05 >= y->mgps.eb05);
		if (x->mgps.eb05 != y->mgps.eb05)
			continue;
		ties++;
		assert_true(x->mgps.ebgm >= y->mgps.ebgm);
		if (x->mgps.ebgm != y->mgps.ebgm)
			continue;
		assert_true(x->a >= y->a);
		if (x->a != y->a)
			continue;
		int k = strcmp(t->item_names[x->item], t->item_names[y->item]);
		assert_true(k < 0 || (k == 0 && strcmp(t->event_names[x->event], t->event_names[y->event]) < 0));
	}
	assert_true(ties > 100);
	free(rows);
	signal_table_free(t);
}

/* ---- the reports CSV (core/safety_signal_csv.h) ---- */

/* Reads text with the stream reader, fed in chunks of step bytes. */
static signal_csv_status read_stream(const char *text, bool by_lot, size_t step, signal_counter **out,
                                     signal_csv_result *res)
{
	signal_counter *c = signal_counter_new();
	signal_csv_stream *s = signal_csv_stream_new(c, by_lot);
	assert_non_null(s);
	size_t len = strlen(text);
	for (size_t at = 0; at < len; at += step)
		if (signal_csv_stream_feed(s, text + at, len - at < step ? len - at : step) != SIGNAL_CSV_OK)
			break;
	signal_csv_status st = signal_csv_stream_finish(s, true, res);
	*out = c;
	return st;
}

static int cmp_line(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The table's pairs as "item|event=a" lines in name order, to compare two readings. */
static char *table_text(signal_counter *c)
{
	signal_table *t = signal_counter_finish(c, NULL, NULL);
	assert_non_null(t);
	char **lines = calloc(t->n_pairs, sizeof *lines);
	for (size_t i = 0; i < t->n_pairs; i++) {
		const signal_pair *p = &t->pairs[i];
		size_t n = strlen(t->item_names[p->item]) + strlen(t->event_names[p->event]) + 32;
		lines[i] = malloc(n);
		snprintf(lines[i], n, "%s|%s=%u", t->item_names[p->item], t->event_names[p->event], p->a);
	}
	qsort(lines, t->n_pairs, sizeof *lines, cmp_line);
	strbuf b = {0};
	strbuf_printf(&b, "N=%u\n", t->reports);
	for (size_t i = 0; i < t->n_pairs; i++) {
		strbuf_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	signal_table_free(t);
	return strbuf_finish(&b);
}

static void test_csv_readers_agree(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"report_id,product,event\nR1,P1,E1\nR1,P1,E2\nR2,P2,E1\n\nR3,P1,E1\nR1,P2,E2\n",
		"report_id,product,event\r\nR1,P1,E1\r\nR2,P1,E2\r\nR2,P1,E2\r\n",
		"\n\nreport_id,product,event\nR1,エクソソーム,紅斑\nR2,P1,かゆみ",
		"report_id,product,lot,event\nR1,P1,L1,E1\nR2,P1,L2,E1\nR3,P2,L1,E2\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		bool by_lot = strstr(texts[i], ",lot,") != NULL;
		signal_counter *fast = NULL, *streamed = NULL;
		signal_csv_result r1, r2;
		assert_int_equal(signal_csv_read_buffer(texts[i], strlen(texts[i]), by_lot, NULL, &fast, &r1), SIGNAL_CSV_OK);
		assert_non_null(fast);
		assert_int_equal(read_stream(texts[i], by_lot, 3, &streamed, &r2), SIGNAL_CSV_OK);
		assert_int_equal(r1.columns, by_lot ? 4 : 3);
		assert_int_equal(r2.columns, r1.columns);
		char *a = table_text(fast), *b = table_text(streamed);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
}

static void test_csv_quotes_and_bom(void **state)
{
	(void)state;
	const char *text = "\xEF\xBB\xBFreport_id,product,event\r\nR1,\"Cream, 50 g\",\"Rash \"\"x\"\"\"\r\nR2,\"Cream, 50 g\",E\r\n";
	signal_counter *c = NULL;
	signal_csv_result res;
	/* A quote anywhere: the parallel reader declines and adds nothing. */
	assert_int_equal(signal_csv_read_buffer(text, strlen(text), false, NULL, &c, &res), SIGNAL_CSV_NOT_SIMPLE);
	assert_null(c);
	assert_int_equal(read_stream(text, false, 1, &c, &res), SIGNAL_CSV_OK);
	char *t = table_text(c);
	assert_string_equal(t, "N=2\nCream, 50 g|E=1\nCream, 50 g|Rash \"x\"=1\n");
	free(t);
}

/* Each bad input: the line the record starts on and the reason, the same from both readers. */
static void test_csv_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool by_lot;
		long line;
		const char *reason;
	} cases[] = {
		{"report_id,product,event\nR1,P1,E1\nR2,P1\n", false, 3, "expected 3 fields (report_id,product,event), found 2"},
		{"report_id,product,event\nR1,P1,E1\n\nR2,P1,\n", false, 4, "empty event"},
		{"id,product,event\nR1,P1,E1\n", false, 1, "expected the header report_id,product,event"},
		{"report_id,product,event\nR1,P\x01,E1\n", false, 2, "product is not valid UTF-8 text"},
		{"report_id,product,event\nR1,P\xff,E1\n", false, 2, "product is not valid UTF-8 text"},
		{"report_id,product,event\nR1,P1,E1\n", true, 1, "--by lot needs a lot column"},
		{"report_id,product,event\nR1,P\"1,E1\n", false, 2, "malformed quoting"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		signal_counter *c = NULL;
		signal_csv_result res;
		signal_csv_status st = signal_csv_read_buffer(cases[i].text, strlen(cases[i].text), cases[i].by_lot, NULL, &c, &res);
		if (st != SIGNAL_CSV_NOT_SIMPLE) {
			assert_int_equal(st, SIGNAL_CSV_BAD_ROW);
			assert_null(c);
			assert_int_equal(res.line, cases[i].line);
			if (strstr(res.reason, cases[i].reason) == NULL)
				fail_msg("case %zu (parallel): %s", i, res.reason);
		}
		assert_int_equal(read_stream(cases[i].text, cases[i].by_lot, 7, &c, &res), SIGNAL_CSV_BAD_ROW);
		signal_counter_free(c);
		assert_int_equal(res.line, cases[i].line);
		if (strstr(res.reason, cases[i].reason) == NULL)
			fail_msg("case %zu (stream): %s", i, res.reason);
	}
	/* No header at all: read, nothing counted, and said so through columns. */
	signal_counter *c = NULL;
	signal_csv_result res;
	assert_int_equal(signal_csv_read_buffer("\n\n", 2, false, NULL, &c, &res), SIGNAL_CSV_OK);
	assert_int_equal(res.columns, 0);
	signal_counter_free(c);
}

static int to_strbuf(void *ctx, const char *data, size_t len)
{
	strbuf_put(ctx, data, len);
	return 0;
}

static void test_csv_and_json_output(void **state)
{
	(void)state;
	signal_counter *c = signal_counter_new();
	const char *rows[][3] = {{"R1", "Cream, 50 g", "Rash \"x\""}, {"R2", "Cream, 50 g", "E"}, {"R3", "P\x1fL-1", "E"}};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(signal_counter_add(c, rows[i][0], strlen(rows[i][0]), rows[i][1], strlen(rows[i][1]), rows[i][2],
		                                    strlen(rows[i][2])), 0);
	signal_table *t = signal_counter_finish(c, NULL, NULL);
	signal_fit fit;
	signal_prior_source source = signal_choose_prior(t, NULL, &fit, NULL, NULL);
	assert_int_equal(source, SIGNAL_SOURCE_DEFAULT);
	signal_row *out;
	uint32_t *order;
	size_t n;
	assert_int_equal(signal_compute_ranked(t, &fit.prior, 1, &out, &order, &n, NULL, NULL), 0);
	assert_int_equal(n, 3);

	strbuf csv = {0};
	assert_int_equal(signal_csv_write(t, out, order, n, false, to_strbuf, &csv), 0);
	char *text = strbuf_finish(&csv);
	assert_non_null(strstr(text, "product,event,a,b,c,d,expected,prr,prr_lo,prr_hi,chi2,ror,ror_lo,ror_hi,ic,ic_lo,ic_hi,ebgm,eb05,eb95\n"));
	assert_non_null(strstr(text, "\n\"Cream, 50 g\",\"Rash \"\"x\"\"\",1,1,0,1,"));
	/* PRR's interval is undefined when c = 0: empty fields, never inf or nan. */
	assert_null(strstr(text, "inf"));
	assert_null(strstr(text, "nan"));
	free(text);

	strbuf json = {0};
	assert_int_equal(signal_json_write(t, out, order, n, true, 1, &fit, source, to_strbuf, &json), 0);
	text = strbuf_finish(&json);
	static const char *const want[] = {
		"\"by\": \"lot\"", "\"source\": \"default\", \"fitted\": false}",
		"{\"product\": \"P\", \"lot\": \"L-1\", \"event\": \"E\"", "\"event\": \"Rash \\\"x\\\"\"", "\"prr_lo\": null",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("no %s in %s", want[i], text);
	free(text);
	free(out);
	free(order);
	signal_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_checked_table), cmocka_unit_test(test_independent_table),
		cmocka_unit_test(test_zero_cells),          cmocka_unit_test(test_special_functions),
		cmocka_unit_test(test_mgps_single_gamma),   cmocka_unit_test(test_counting),
		cmocka_unit_test(test_counter_merge),       cmocka_unit_test(test_counting_large_reports),
		cmocka_unit_test(test_counter_refuses_bad_names), cmocka_unit_test(test_fit_and_ranking),
		cmocka_unit_test(test_ranking_many_rows),   cmocka_unit_test(test_choose_prior),
		cmocka_unit_test(test_csv_readers_agree),  cmocka_unit_test(test_csv_quotes_and_bom),
		cmocka_unit_test(test_csv_refusals),      cmocka_unit_test(test_csv_and_json_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
