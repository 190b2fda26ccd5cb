/* Excursion episodes, gaps and mean kinetic temperature, checked by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/coldchain.h"

enum { MAX_SEEN = 32 };

typedef struct seen {
	excursion_episode ep[MAX_SEEN];
	data_gap gap[MAX_SEEN];
	int n_ep, n_gap;
} seen;

static void on_episode(void *ctx, const excursion_episode *e)
{
	seen *s = ctx;
	assert_true(s->n_ep < MAX_SEEN);
	s->ep[s->n_ep++] = *e;
}

static void on_gap(void *ctx, const data_gap *g)
{
	seen *s = ctx;
	assert_true(s->n_gap < MAX_SEEN);
	s->gap[s->n_gap++] = *g;
}

/* Runs temperatures taken every `every` seconds from t = 0 (a time of 0 in at[] keeps that
 * schedule; otherwise at[] gives the times) against 2–8 °C. */
static void run(coldchain_eval *ev, seen *s, const double *c, const int64_t *at, size_t n, int64_t interval)
{
	coldchain_limits lim = {2.0, 8.0, interval};
	memset(s, 0, sizeof *s);
	coldchain_begin(ev, &lim, on_episode, on_gap, s);
	for (size_t i = 0; i < n; i++) {
		temp_reading r = {at ? at[i] : (int64_t)i * 300, c[i]};
		assert_int_equal(coldchain_feed(ev, &r), 0);
	}
	coldchain_finish(ev);
}

static void test_no_excursion(void **state)
{
	(void)state;
	/* On a limit is inside. */
	double c[] = {5, 2.0, 8.0, 4, 5, 6, 7, 5, 5, 5};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, NULL, 10, 0);
	assert_int_equal(ev.episodes, 0);
	assert_int_equal(ev.seconds_outside, 0);
	assert_int_equal(ev.gaps, 0);
	assert_int_equal(ev.interval_seconds, 300);
	assert_int_equal(ev.readings, 10);
	assert_int_equal(ev.first_at, 0);
	assert_int_equal(ev.last_at, 2700);
	assert_float_equal(ev.min_seen, 2.0, 0);
	assert_float_equal(ev.max_seen, 8.0, 0);
}

/* Compares an episode with the one expected, field by field (a message names the field). */
static void assert_episode(const excursion_episode *got, excursion_episode want)
{
	assert_int_equal(got->start, want.start);
	assert_int_equal(got->end, want.end);
	assert_int_equal(got->duration_seconds, want.duration_seconds);
	assert_int_equal(got->direction, want.direction);
	assert_float_equal(got->peak_celsius, want.peak_celsius, 0);
	assert_int_equal(got->open, want.open);
}

static void test_single_point_out(void **state)
{
	(void)state;
	/* One reading at 9 °C, every 5 minutes: not zero minutes but one interval. */
	double c[] = {5, 5, 5, 9, 5, 5, 5, 5, 5, 5, 5};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, NULL, 11, 0);
	assert_int_equal(s.n_ep, 1);
	assert_episode(&s.ep[0], (excursion_episode){.start = 900, .end = 900, .duration_seconds = 300,
	                                             .direction = EXCURSION_ABOVE, .peak_celsius = 9.0});
	assert_int_equal(ev.seconds_outside, 300);
}

static void test_back_and_forth(void **state)
{
	(void)state;
	/* Out 2 readings, in, out 3 readings (peak in the middle), in; then above straight to below. */
	double c[] = {5, 8.5, 9.5, 7, 8.2, 10.4, 8.1, 6, 8.5, 1.5, 1.0, 3};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, NULL, 12, 300);
	assert_int_equal(s.n_ep, 4);
	/* 300..600, closed by the reading at 900: 300 + 300. */
	assert_episode(&s.ep[0], (excursion_episode){.start = 300, .end = 600, .duration_seconds = 600,
	                                             .direction = EXCURSION_ABOVE, .peak_celsius = 9.5});
	/* 1200..1800: 900. */
	assert_episode(&s.ep[1], (excursion_episode){.start = 1200, .end = 1800, .duration_seconds = 900,
	                                             .direction = EXCURSION_ABOVE, .peak_celsius = 10.4});
	/* Above at 2400, then below at 2700 and 3000. */
	assert_episode(&s.ep[2], (excursion_episode){.start = 2400, .end = 2400, .duration_seconds = 300,
	                                             .direction = EXCURSION_ABOVE, .peak_celsius = 8.5});
	assert_episode(&s.ep[3], (excursion_episode){.start = 2700, .end = 3000, .duration_seconds = 600,
	                                             .direction = EXCURSION_BELOW, .peak_celsius = 1.0});
	assert_int_equal(ev.seconds_outside, 600 + 900 + 300 + 600);
	assert_int_equal(ev.episodes, 4);
}

static void test_open_at_end_and_below(void **state)
{
	(void)state;
	double c[] = {5, 5, 1.5, -0.5, 0.5};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, NULL, 5, 300);
	assert_int_equal(s.n_ep, 1);
	assert_episode(&s.ep[0], (excursion_episode){.start = 600, .end = 1200, .duration_seconds = 600 + 300,
	                                             .direction = EXCURSION_BELOW, .peak_celsius = -0.5, .open = true});
}

static void test_gaps(void **state)
{
	(void)state;
	/* Every 60 s, then a 121 s step (a gap: more than twice), a 120 s step (not a gap), and an
	 * hour of silence in the middle of an episode: the episode keeps counting through it. */
	int64_t at[] = {0, 60, 120, 180, 240, 300, 360, 420, 480, 601, 721, 781, 4381, 4441, 4501};
	double c[] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 9, 9, 5, 5};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, at, 15, 0);
	assert_int_equal(ev.interval_seconds, 60);
	assert_int_equal(s.n_gap, 2);
	assert_int_equal(s.gap[0].from, 480);
	assert_int_equal(s.gap[0].to, 601);
	assert_int_equal(s.gap[1].from, 781);
	assert_int_equal(s.gap[1].to, 4381);
	assert_int_equal(ev.gaps, 2);
	assert_int_equal(s.n_ep, 1);
	assert_int_equal(s.ep[0].duration_seconds, 4381 - 781 + 60);
}

static void test_interval_inference_is_robust(void **state)
{
	(void)state;
	/* A burst of 1 s and an early gap of 2 h do not move the median of 300 s. */
	int64_t at[] = {0, 1, 300, 600, 7800, 8100, 8400, 8700, 9000, 9300};
	double c[] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, at, 10, 0);
	assert_int_equal(ev.interval_seconds, 300);
	assert_int_equal(s.n_gap, 1);  /* the early gap, found once the interval was known */
	assert_int_equal(s.gap[0].from, 600);
	/* A given interval is used as is. */
	run(&ev, &s, c, at, 10, 60);
	assert_int_equal(ev.interval_seconds, 60);
	/* A single reading has no interval: its episode counts 0 s (the caller may give one). */
	double one[] = {9};
	run(&ev, &s, one, NULL, 1, 0);
	assert_int_equal(s.n_ep, 1);
	assert_int_equal(s.ep[0].duration_seconds, 0);
	run(&ev, &s, one, NULL, 1, 600);
	assert_int_equal(s.ep[0].duration_seconds, 600);
}

static void test_refuses_out_of_order(void **state)
{
	(void)state;
	coldchain_limits lim = {2, 8, 60};
	coldchain_eval ev;
	coldchain_begin(&ev, &lim, NULL, NULL, NULL);
	temp_reading a = {100, 5}, b = {100, 6}, c = {50, 6}, d = {160, NAN}, e = {160, -300};
	assert_int_equal(coldchain_feed(&ev, &a), 0);
	assert_int_equal(coldchain_feed(&ev, &b), -1);
	assert_int_equal(coldchain_feed(&ev, &c), -1);
	assert_int_equal(coldchain_feed(&ev, &d), -1);
	assert_int_equal(coldchain_feed(&ev, &e), -1);
	coldchain_finish(&ev);
	assert_int_equal(ev.readings, 1);
	assert_float_equal(coldchain_mkt_celsius(&ev), 5.0, 1e-9);
	coldchain_begin(&ev, &lim, NULL, NULL, NULL);
	assert_true(isnan(coldchain_mkt_celsius(&ev)));
}

/* The MKT formula written out plainly, for comparison on small inputs. */
static double mkt_plain(const double *c, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += exp(-10000.0 / (c[i] + 273.15));
	return 10000.0 / -log(s / (double)n) - 273.15;
}

static void test_mkt_hand_checked(void **state)
{
	(void)state;
	/* Constant temperature: MKT is that temperature. */
	double five[] = {5, 5, 5, 5};
	assert_float_equal(mkt_celsius(five, 4), 5.0, 1e-9);
	double hot[] = {25};
	assert_float_equal(mkt_celsius(hot, 1), 25.0, 1e-9);
	/* Two temperatures, 20 °C and 30 °C, by hand:
	 *   e^(-10000/293.15) = e^(-34.112229) = 1.53196e-15
	 *   e^(-10000/303.15) = e^(-32.986970) = 4.71999e-15
	 *   mean 3.12597e-15, ln = -33.39903, 10000/33.39903 = 299.410 K = 26.26 °C
	 * above the arithmetic mean of 25 °C, as MKT always is. */
	double two[] = {20, 30};
	assert_float_equal(mkt_celsius(two, 2), 26.26, 0.01);
	assert_float_equal(mkt_celsius(two, 2), mkt_plain(two, 2), 1e-9);
	/* 2 and 8 °C by the same steps: e^(-36.343812) = 1.64469e-16, e^(-35.568202) = 3.57212e-16,
	 * mean 2.60840e-16, ln = -35.88262, 10000/35.88262 = 278.686 K = 5.54 °C. */
	double fridge[] = {2, 8};
	assert_float_equal(mkt_celsius(fridge, 2), 5.54, 0.005);
	assert_float_equal(mkt_celsius(fridge, 2), mkt_plain(fridge, 2), 1e-9);
	assert_true(isnan(mkt_celsius(NULL, 0)));
	/* The streaming evaluator agrees with the array form. */
	double c[] = {4.1, 5.3, 7.9, 8.4, 3.2, 2.0, 6.6};
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, NULL, 7, 300);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_plain(c, 7), 1e-9);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_celsius(c, 7), 1e-12);
}

static void test_mkt_published_example(void **state)
{
	(void)state;
	/* Published worked example (ToolJolt "Controlled Room Temperature (CRT) MKT Calculator",
	 * after USP <1079>, ΔH = 83.144 kJ/mol): 24 °C for 16 h, 26 °C for 5 h, 28 °C for 3 h and
	 * 21 °C for 24 h give an MKT of 23.23 °C (the time-weighted mean is 22.96 °C). With
	 * readings every hour, equal weights are the time weights. */
	double c[48];
	size_t n = 0;
	for (int i = 0; i < 16; i++)
		c[n++] = 24;
	for (int i = 0; i < 5; i++)
		c[n++] = 26;
	for (int i = 0; i < 3; i++)
		c[n++] = 28;
	for (int i = 0; i < 24; i++)
		c[n++] = 21;
	assert_float_equal(mkt_celsius(c, n), 23.23, 0.005);
	/* By hand, a 30-day month at 25 °C with one day at 40 °C:
	 *   (29 e^(-10000/298.15) + e^(-10000/313.15)) / 30 = (29 · 2.71451e-15 + 1.35339e-14) / 30
	 *   = 3.07516e-15, ln = -33.41542, 10000/33.41542 = 299.263 K = 26.11 °C
	 * one day in thirty at 40 °C lifts the month by more than a degree. */
	double month[30];
	for (int i = 0; i < 30; i++)
		month[i] = i == 10 ? 40 : 25;
	assert_float_equal(mkt_celsius(month, 30), 26.11, 0.005);
}

static void test_mkt_extremes(void **state)
{
	(void)state;
	/* Nothing overflows or underflows: a deep freezer beside a hot spike. */
	double c[] = {-80, -80, 60, -80};
	double m = mkt_celsius(c, 4);
	assert_true(isfinite(m));
	assert_true(m > -80 && m < 60);
	double cold[] = {-273.15, -273.15};
	assert_float_equal(mkt_celsius(cold, 2), -273.15, 1e-9);
	double near_zero[] = {-273.0, -200};
	assert_true(isfinite(mkt_celsius(near_zero, 2)));
}

static void test_mkt_large_n_stable(void **state)
{
	(void)state;
	/* Ten million readings alternating 2 and 8 °C must give the MKT of {2, 8} exactly enough,
	 * and a constant 5 °C must stay 5 °C: compensated sums do not drift with n. */
	const double two[] = {2.0, 8.0};
	double want = mkt_celsius(two, 2);
	coldchain_limits lim = {0, 10, 60};
	coldchain_eval ev, flat;
	coldchain_begin(&ev, &lim, NULL, NULL, NULL);
	coldchain_begin(&flat, &lim, NULL, NULL, NULL);
	const int64_t n = 10 * 1000 * 1000;
	for (int64_t i = 0; i < n; i++) {
		temp_reading r = {i * 60, two[i & 1]};
		coldchain_feed(&ev, &r);
		r.celsius = 5.0;
		coldchain_feed(&flat, &r);
	}
	coldchain_finish(&ev);
	coldchain_finish(&flat);
	assert_int_equal(ev.readings, n);
	assert_float_equal(coldchain_mkt_celsius(&ev), want, 1e-9);
	assert_float_equal(coldchain_mkt_celsius(&flat), 5.0, 1e-9);
	/* An uneven series: 1 reading in 1000 at 30 °C; the closed form is
	 * (999 e^(-10000/278.15) + e^(-10000/303.15)) / 1000. */
	coldchain_eval spiky;
	coldchain_begin(&spiky, &lim, NULL, NULL, NULL);
	for (int64_t i = 0; i < n; i++) {
		temp_reading r = {i * 60, i % 1000 == 999 ? 30.0 : 5.0};
		coldchain_feed(&spiky, &r);
	}
	coldchain_finish(&spiky);
	double closed = 10000.0 / -log((999 * exp(-10000.0 / 278.15) + exp(-10000.0 / 303.15)) / 1000) - 273.15;
	assert_float_equal(coldchain_mkt_celsius(&spiky), closed, 1e-9);
}

/* The closed form of a time-weighted MKT over (seconds, °C) pairs. */
static double mkt_by_time(const double *seconds, const double *c, size_t n)
{
	double s = 0, w = 0;
	for (size_t i = 0; i < n; i++) {
		s += seconds[i] * exp(-10000.0 / (c[i] + 273.15));
		w += seconds[i];
	}
	return 10000.0 / -log(s / w) - 273.15;
}

/* A day logged every 15 min at `base` °C, except one hour in the middle (from 12:00) logged
 * every minute at `alarm` °C, the way a logger samples faster during an alarm. */
static void run_alarm_day(coldchain_eval *ev, double base, double alarm)
{
	coldchain_limits lim = {2.0, 8.0, 0};
	coldchain_begin(ev, &lim, NULL, NULL, NULL);
	int64_t t = 0;
	for (; t < 12 * 3600; t += 900) {
		temp_reading r = {t, base};
		assert_int_equal(coldchain_feed(ev, &r), 0);
	}
	for (int i = 0; i < 60; i++, t += 60) {
		temp_reading r = {t, alarm};
		assert_int_equal(coldchain_feed(ev, &r), 0);
	}
	for (; t < 24 * 3600; t += 900) {
		temp_reading r = {t, base};
		assert_int_equal(coldchain_feed(ev, &r), 0);
	}
}

static void test_mkt_weighted_by_time(void **state)
{
	(void)state;
	/* 23 h at 5 °C every 15 min and 1 h at 25 °C every minute: 92 + 60 readings. By reading
	 * the hour counts 60/152 of the day and the MKT is 18.05 °C, far outside 2-8 °C; by time
	 * it is 1/24 and the MKT is 7.76 °C:
	 *   (23 e^(-10000/278.15) + e^(-10000/298.15)) / 24 = (23 · 2.4386e-16 + 2.7145e-15) / 24
	 *   = 3.4680e-16, ln = -35.5976, 10000/35.5976 = 280.918 K = 7.76 °C. */
	coldchain_eval ev;
	run_alarm_day(&ev, 5.0, 25.0);
	double mkt_before_finish = coldchain_mkt_celsius(&ev);
	coldchain_finish(&ev);
	assert_int_equal(ev.readings, 152);
	assert_int_equal(ev.interval_seconds, 900);
	const double hours[] = {23 * 3600, 3600}, five_then_25[] = {5, 25};
	assert_float_equal(coldchain_mkt_celsius(&ev), 7.76, 0.005);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_by_time(hours, five_then_25, 2), 1e-9);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_before_finish, 1e-12);
	/* What the equal-weight form gives on the same readings (the old, wrong answer). */
	double by_reading[152];
	for (int i = 0; i < 152; i++)
		by_reading[i] = i < 92 ? 5 : 25;
	assert_float_equal(mkt_celsius(by_reading, 152), 18.05, 0.005);

	/* The mirror: 23 h at 25 °C, the logger sampling every minute for one cool hour at 5 °C.
	 * By reading the cool hour pulls the MKT down to 21.09 °C; by time it is 24.66 °C. */
	run_alarm_day(&ev, 25.0, 5.0);
	coldchain_finish(&ev);
	const double hot_then_cool[] = {25, 5};
	assert_float_equal(coldchain_mkt_celsius(&ev), 24.66, 0.005);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_by_time(hours, hot_then_cool, 2), 1e-9);
	double mirror[152];
	for (int i = 0; i < 152; i++)
		mirror[i] = i < 92 ? 25 : 5;
	assert_float_equal(mkt_celsius(mirror, 152), 21.09, 0.005);
}

static void test_mkt_weights_across_gaps(void **state)
{
	(void)state;
	/* Every 5 min at 5 °C, then one reading at 30 °C followed by a 6-hour gap, then 5 °C
	 * again. The reading before the gap stands for one interval, not six hours (nothing shows
	 * what happened in the gap; it is reported): every reading weighs 300 s, the equal-weight
	 * MKT of the readings. */
	double c[20];
	int64_t at[20];
	for (int i = 0; i < 20; i++) {
		c[i] = i == 10 ? 30 : 5;
		at[i] = i * 300 + (i > 10 ? 6 * 3600 : 0);
	}
	coldchain_eval ev;
	seen s;
	run(&ev, &s, c, at, 20, 0);
	assert_int_equal(ev.gaps, 1);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_celsius(c, 20), 1e-9);
	/* The same with the interval given rather than inferred. */
	run(&ev, &s, c, at, 20, 300);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_celsius(c, 20), 1e-9);
	/* A gap shorter than twice the interval is no gap, but the reading still counts at most
	 * one interval: 30 °C 420 s before the next reading counts 300 s. */
	at[11] = at[10] + 420;
	for (int i = 12; i < 20; i++)
		at[i] = at[i - 1] + 300;
	run(&ev, &s, c, at, 20, 300);
	assert_int_equal(ev.gaps, 0);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_celsius(c, 20), 1e-9);
	/* Readings closer than the interval count the time to the next: at 5-min logging, two
	 * readings 60 s apart at 30 °C then 5 °C give 30 °C 60 s and the 5 °C reading 300 s. */
	const int64_t pair_at[] = {0, 60};
	const double pair_c[] = {30, 5}, pair_w[] = {60, 300};
	run(&ev, &s, pair_c, pair_at, 2, 300);
	assert_float_equal(coldchain_mkt_celsius(&ev), mkt_by_time(pair_w, pair_c, 2), 1e-9);
}

static void test_mkt_held_back_readings(void **state)
{
	(void)state;
	/* Fewer readings than the inference needs: they are held back, and the MKT still weighs
	 * them by the interval inferred from them, before and after finish. Spacings 300, 300,
	 * 60, 300: the interval is 300, the 30 °C reading counts 60 s. */
	const int64_t at[] = {0, 300, 600, 660, 960};
	const double c[] = {5, 5, 30, 5, 5}, w[] = {300, 300, 60, 300, 300};
	coldchain_limits lim = {2, 8, 0};
	coldchain_eval ev;
	coldchain_begin(&ev, &lim, NULL, NULL, NULL);
	for (int i = 0; i < 5; i++) {
		temp_reading r = {at[i], c[i]};
		assert_int_equal(coldchain_feed(&ev, &r), 0);
	}
	double want = mkt_by_time(w, c, 5);
	assert_float_equal(coldchain_mkt_celsius(&ev), want, 1e-9);
	assert_int_equal(ev.pending_count, 5);  /* unchanged by the call */
	coldchain_finish(&ev);
	assert_float_equal(coldchain_mkt_celsius(&ev), want, 1e-9);
	assert_float_equal(coldchain_mkt_celsius(&ev), coldchain_mkt_celsius(&ev), 0);
}

static void test_reading_plausible(void **state)
{
	(void)state;
	/* Relative to any now: here 2030-06-01T00:00:00Z, and a day either side of the limits. */
	const int64_t now = INT64_C(1906502400);
	const struct {
		int64_t at;
		double celsius;
		const char *field;  /* NULL: plausible */
	} cases[] = {
		{now, 5, NULL},
		{now, -196, NULL},                                 /* liquid nitrogen */
		{now, COLDCHAIN_PLAUSIBLE_MIN_CELSIUS, NULL},
		{now, COLDCHAIN_PLAUSIBLE_MAX_CELSIUS, NULL},
		{now, 500, "celsius"},
		{now, 1e308, "celsius"},
		{now, -1e308, "celsius"},
		{now, INFINITY, "celsius"},
		{now, NAN, "celsius"},
		{now, -273.16, "celsius"},
		{COLDCHAIN_EARLIEST_READING, 5, NULL},
		{COLDCHAIN_EARLIEST_READING - 1, 5, "at"},
		{-2208988800, 5, "at"},                           /* 1900-01-01 */
		{now + COLDCHAIN_FUTURE_ALLOWANCE_SECONDS, 5, NULL},
		{now + COLDCHAIN_FUTURE_ALLOWANCE_SECONDS + 1, 5, "at"},
		{INT64_C(253402300799), 5, "at"},                 /* 9999-12-31T23:59:59Z */
		{INT64_C(253402300799), 500, "celsius"},          /* the temperature is named first */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		temp_reading r = {cases[i].at, cases[i].celsius};
		const char *key = NULL;
		char reason[200] = "";
		const char *field = coldchain_reading_implausible(&r, now, &key, reason, sizeof reason);
		if (cases[i].field == NULL) {
			if (field != NULL)
				fail_msg("case %zu refused: %s", i, reason);
			continue;
		}
		if (field == NULL || strcmp(field, cases[i].field) != 0)
			fail_msg("case %zu: field %s, expected %s", i, field ? field : "none", cases[i].field);
		assert_non_null(key);
		assert_true(strlen(reason) > 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_excursion),
		cmocka_unit_test(test_single_point_out),
		cmocka_unit_test(test_back_and_forth),
		cmocka_unit_test(test_open_at_end_and_below),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_interval_inference_is_robust),
		cmocka_unit_test(test_refuses_out_of_order),
		cmocka_unit_test(test_mkt_hand_checked),
		cmocka_unit_test(test_mkt_published_example),
		cmocka_unit_test(test_mkt_extremes),
		cmocka_unit_test(test_mkt_large_n_stable),
		cmocka_unit_test(test_mkt_weighted_by_time),
		cmocka_unit_test(test_mkt_weights_across_gaps),
		cmocka_unit_test(test_mkt_held_back_readings),
		cmocka_unit_test(test_reading_plausible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
