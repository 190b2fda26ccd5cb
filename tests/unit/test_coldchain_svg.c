/* The report chart: a well-formed standalone SVG, escaped text, the band, the episodes, and a
 * line of bounded size that keeps spikes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coldchain_svg.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Points in the readings path: each "M" or "L" starts one. */
static size_t path_points(const char *svg)
{
	const char *p = strstr(svg, "class=\"readings\"");
	assert_non_null(p);
	p = strstr(p, " d=\"");
	assert_non_null(p);
	p += 4;
	size_t n = 0;
	for (; *p && *p != '"'; p++)
		n += *p == 'M' || *p == 'L';
	return n;
}

/* A crude well-formedness check: every element opened is closed, in order, and no raw '&'
 * that does not start an entity, and no '<' inside text. */
static void check_well_formed(const char *svg)
{
	const char *stack[64];
	size_t stack_len[64];
	int depth = 0;
	const char *p = svg;
	assert_true(strncmp(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
	while ((p = strchr(p, '<')) != NULL) {
		if (p[1] == '?') {
			p = strstr(p, "?>");
			assert_non_null(p);
			continue;
		}
		const char *end = strchr(p, '>');
		assert_non_null(end);
		for (const char *q = p + 1; q < end; q++)
			assert_true(*q != '<');
		if (p[1] == '/') {
			assert_true(depth > 0);
			depth--;
			assert_true(strncmp(p + 2, stack[depth], stack_len[depth]) == 0);
		} else if (end[-1] != '/') {
			const char *name = p + 1;
			size_t len = strcspn(name, " >");
			assert_true(depth < 64);
			stack[depth] = name;
			stack_len[depth] = len;
			depth++;
		}
		p = end + 1;
	}
	assert_int_equal(depth, 0);
	for (const char *a = strchr(svg, '&'); a; a = strchr(a + 1, '&'))
		assert_true(strncmp(a, "&amp;", 5) == 0 || strncmp(a, "&lt;", 4) == 0 || strncmp(a, "&gt;", 4) == 0 ||
		            strncmp(a, "&quot;", 6) == 0 || strncmp(a, "&#39;", 5) == 0);
	assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_true(strcmp(svg + strlen(svg) - 7, "</svg>\n") == 0);
}

static void test_small_chart(void **state)
{
	(void)state;
	temp_reading r[] = {{1772326800, 5.0}, {1772327100, 8.6}, {1772327400, 9.2}, {1772327700, 7.0}, {1772328000, 1.0}};
	excursion_episode e[] = {{1772327100, 1772327400, 9.2, EXCURSION_ABOVE, 600, false},
	                         {1772328000, 1772328000, 1.0, EXCURSION_BELOW, 300, true}};
	coldchain_svg_options opt = {"Fridge <A> & \"B\" 'C' 冷蔵庫\x01", 2.0, 8.0, 0, 0, 0, 0};
	char *svg = coldchain_svg_render(&opt, r, 5, e, 2);
	assert_non_null(svg);
	check_well_formed(svg);
	/* Escaped title, in <title> and on the chart; the control character replaced. */
	assert_int_equal(count(svg, "Fridge &lt;A&gt; &amp; &quot;B&quot; &#39;C&#39; 冷蔵庫\xEF\xBF\xBD"), 2);
	assert_null(strstr(svg, "<A>"));
	assert_null(strstr(svg, "\x01"));
	/* The band, the two kinds of episode, the axis in JST. */
	assert_int_equal(count(svg, "class=\"band\""), 1);
	assert_non_null(strstr(svg, "class=\"excursions above\""));
	assert_non_null(strstr(svg, "class=\"excursions below\""));
	const char *above = strstr(svg, "class=\"excursions above\"");
	assert_true(strstr(above, "<rect") < strstr(above, "</g>"));
	assert_non_null(strstr(svg, "time (JST)"));
	/* 10:00 JST is 01:00 UTC: the ticks are labelled in JST. */
	assert_non_null(strstr(svg, "03-01 10:00"));
	assert_true(path_points(svg) >= 5);
	free(svg);
}

static void test_escaping_bad_utf8(void **state)
{
	(void)state;
	coldchain_svg_options opt = {"bad \xC3\x28 \xED\xA0\x80 end", 2.0, 8.0, 0, 0, 0, 0};
	char *svg = coldchain_svg_render(&opt, NULL, 0, NULL, 0);
	assert_non_null(svg);
	check_well_formed(svg);
	assert_non_null(strstr(svg, "bad \xEF\xBF\xBD( \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end"));
	assert_non_null(strstr(svg, "no readings"));
	assert_int_equal(count(svg, "class=\"band\""), 1);
	free(svg);
}

static void test_decimation_keeps_spikes(void **state)
{
	(void)state;
	/* A million readings, one a minute, at 5 °C with one single-reading spike to 30 °C and one
	 * dip to -10 °C: at most 2 points per bucket, and both extremes are drawn. */
	coldchain_svg_options opt = {"big", 2.0, 8.0, 0, 0, 1200, 500};
	coldchain_svg *c = coldchain_svg_new_with(&opt);
	assert_non_null(c);
	const int64_t n = 1000000, t0 = 1772326800;
	for (int64_t i = 0; i < n; i++) {
		temp_reading r = {t0 + i * 60, i == 123457 ? 30.0 : i == 876543 ? -10.0 : 5.0 + 0.5 * sin((double)i / 50)};
		coldchain_svg_reading(c, &r);
	}
	excursion_episode spike = {t0 + 123457 * 60, t0 + 123457 * 60, 30.0, EXCURSION_ABOVE, 60, false};
	coldchain_svg_episode(c, &spike);
	data_gap g = {t0 + 5000 * 60, t0 + 5001 * 60};
	coldchain_svg_gap(c, &g);
	char *svg = coldchain_svg_finish(c);
	coldchain_svg_free(c);
	assert_non_null(svg);
	check_well_formed(svg);
	size_t points = path_points(svg);
	assert_true(points <= 2 * COLDCHAIN_SVG_BUCKETS);
	assert_true(points >= COLDCHAIN_SVG_BUCKETS / 2);
	assert_true(strlen(svg) < 200 * 1024);
	assert_non_null(strstr(svg, "width=\"1200\" height=\"500\""));
	/* The temperature axis reaches both extremes, so they are on the chart: the lowest and
	 * highest y in the path are the plot's edges less the padding. */
	const char *d = strstr(strstr(svg, "class=\"readings\""), " d=\"") + 4;
	double ymin = 1e9, ymax = -1e9;
	while (*d != '"') {
		if (*d == 'M' || *d == 'L') {
			double x, y;
			assert_int_equal(sscanf(d + 1, "%lf %lf", &x, &y), 2);
			ymin = fmin(ymin, y);
			ymax = fmax(ymax, y);
		}
		d++;
	}
	/* Plot from y=44 to y=444 (500 - 56); 30 °C and -10 °C sit within 8 % of its edges. */
	assert_true(ymin < 44 + 0.1 * 400);
	assert_true(ymax > 444 - 0.1 * 400);
	assert_non_null(strstr(svg, "class=\"gaps\""));
	assert_true(strstr(strstr(svg, "class=\"gaps\""), "<rect") != NULL);
	free(svg);
}

static void test_fixed_span(void **state)
{
	(void)state;
	/* A fixed span leaves out readings outside it; ticks are whole JST days over a week. */
	int64_t from = 1772290800, to = from + 7 * 86400;  /* 2026-03-01 00:00 JST, one week */
	coldchain_svg_options opt = {NULL, -25.0, -15.0, from, to, 0, 0};
	coldchain_svg *c = coldchain_svg_new_with(&opt);
	temp_reading before = {from - 3600, 100.0};
	coldchain_svg_reading(c, &before);
	for (int64_t t = from; t <= to + 86400; t += 600) {
		temp_reading r = {t, -20.0};
		coldchain_svg_reading(c, &r);
	}
	char *svg = coldchain_svg_finish(c);
	coldchain_svg_free(c);
	assert_non_null(svg);
	check_well_formed(svg);
	assert_non_null(strstr(svg, ">03-01<"));
	assert_non_null(strstr(svg, ">03-08<"));
	assert_null(strstr(svg, ">100"));   /* the reading before the span did not stretch the axis */
	assert_true(path_points(svg) <= 2 * COLDCHAIN_SVG_BUCKETS);
	assert_non_null(strstr(svg, "<title>Temperature</title>"));
	free(svg);
}

static void test_without_band(void **state)
{
	(void)state;
	/* The short constructor; NaN limits: no band, no limit lines, the axis from the readings. */
	coldchain_svg *c = coldchain_svg_new("logger:EL-1", NAN, NAN);
	assert_non_null(c);
	for (int i = 0; i < 100; i++) {
		temp_reading r = {1772326800 + i * 60, -70.0 + i * 0.1};
		coldchain_svg_reading(c, &r);
	}
	char *svg = coldchain_svg_finish(c);
	coldchain_svg_free(c);
	assert_non_null(svg);
	check_well_formed(svg);
	assert_null(strstr(svg, "class=\"band\""));
	assert_null(strstr(svg, "class=\"limits\""));
	assert_non_null(strstr(svg, "no allowed range given"));
	assert_null(strstr(svg, "nan"));
	assert_non_null(strstr(svg, ">-70<"));
	assert_int_equal(path_points(svg), 100);
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_chart),
		cmocka_unit_test(test_escaping_bad_utf8),
		cmocka_unit_test(test_decimation_keeps_spikes),
		cmocka_unit_test(test_fixed_span),
		cmocka_unit_test(test_without_band),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
