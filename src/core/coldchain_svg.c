#include "core/coldchain_svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/timefmt.h"

enum { MARK_ABOVE = 1, MARK_BELOW = 2, MARK_GAP = 4 };
enum { MARGIN_LEFT = 64, MARGIN_RIGHT = 20, MARGIN_TOP = 44, MARGIN_BOTTOM = 56 };

/* One slice of time: the lowest and highest reading in it, and when they were taken. */
typedef struct bucket {
	double lo, hi;
	int64_t t_lo, t_hi;
	uint32_t count;
	uint8_t marks;
} bucket;

struct coldchain_svg {
	coldchain_svg_options opt;
	char *title;
	bool fixed;          /* from/to given: the buckets are fixed */
	bool started;        /* origin and width are set */
	int64_t origin;      /* the time bucket 0 starts at */
	int64_t width;       /* seconds per bucket; doubles as the span grows when not fixed */
	int64_t first_at, last_at;
	int64_t readings;
	double lo, hi;
	bucket b[COLDCHAIN_SVG_BUCKETS];
};

coldchain_svg *coldchain_svg_new_with(const coldchain_svg_options *opt)
{
	coldchain_svg *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->opt = *opt;
	if (c->opt.width <= 0)
		c->opt.width = 960;
	if (c->opt.height <= 0)
		c->opt.height = 420;
	if (c->opt.width < MARGIN_LEFT + MARGIN_RIGHT + 100)
		c->opt.width = MARGIN_LEFT + MARGIN_RIGHT + 100;
	if (c->opt.height < MARGIN_TOP + MARGIN_BOTTOM + 60)
		c->opt.height = MARGIN_TOP + MARGIN_BOTTOM + 60;
	if (opt->title != NULL) {
		c->title = strdup(opt->title);
		if (c->title == NULL) {
			free(c);
			return NULL;
		}
	}
	c->opt.title = NULL;
	if (opt->from < opt->to) {
		c->fixed = true;
		c->started = true;
		c->origin = opt->from;
		c->width = (opt->to - opt->from + COLDCHAIN_SVG_BUCKETS - 1) / COLDCHAIN_SVG_BUCKETS;
	}
	return c;
}

coldchain_svg *coldchain_svg_new(const char *title, double min_celsius, double max_celsius)
{
	coldchain_svg_options opt = {title, min_celsius, max_celsius, 0, 0, 0, 0};
	return coldchain_svg_new_with(&opt);
}

void coldchain_svg_free(coldchain_svg *c)
{
	if (c == NULL)
		return;
	free(c->title);
	free(c);
}

static void merge_into(bucket *d, const bucket *s)
{
	if (s->count > 0) {
		if (d->count == 0 || s->lo < d->lo) {
			d->lo = s->lo;
			d->t_lo = s->t_lo;
		}
		if (d->count == 0 || s->hi > d->hi) {
			d->hi = s->hi;
			d->t_hi = s->t_hi;
		}
		d->count += s->count;
	}
	d->marks |= s->marks;
}

/* Halves the resolution: bucket i takes buckets 2i and 2i+1. */
static void coarsen(coldchain_svg *c)
{
	for (int i = 0; i < COLDCHAIN_SVG_BUCKETS / 2; i++) {
		bucket m = c->b[2 * i];
		merge_into(&m, &c->b[2 * i + 1]);
		c->b[i] = m;
	}
	memset(&c->b[COLDCHAIN_SVG_BUCKETS / 2], 0, sizeof c->b[0] * (COLDCHAIN_SVG_BUCKETS - COLDCHAIN_SVG_BUCKETS / 2));
	c->width *= 2;
}

/* The bucket of time t, growing the span when it is not fixed; -1 when t is outside a fixed
 * span. Times before the origin (only an episode or gap could be) fall in bucket 0. */
static int bucket_of(coldchain_svg *c, int64_t t)
{
	if (!c->started) {
		c->started = true;
		c->origin = t;
		c->width = 1;
	}
	if (t < c->origin)
		return c->fixed ? -1 : 0;
	int64_t i = (t - c->origin) / c->width;
	if (c->fixed)
		return i < COLDCHAIN_SVG_BUCKETS && t <= c->opt.to ? (int)i : -1;
	while (i >= COLDCHAIN_SVG_BUCKETS) {
		coarsen(c);
		i = (t - c->origin) / c->width;
	}
	return (int)i;
}

void coldchain_svg_reading(coldchain_svg *c, const temp_reading *r)
{
	int i = bucket_of(c, r->at);
	if (i < 0 || !isfinite(r->celsius))
		return;
	bucket *b = &c->b[i];
	if (b->count == 0 || r->celsius < b->lo) {
		b->lo = r->celsius;
		b->t_lo = r->at;
	}
	if (b->count == 0 || r->celsius > b->hi) {
		b->hi = r->celsius;
		b->t_hi = r->at;
	}
	b->count++;
	if (c->readings == 0 || r->celsius < c->lo)
		c->lo = r->celsius;
	if (c->readings == 0 || r->celsius > c->hi)
		c->hi = r->celsius;
	if (c->readings == 0)
		c->first_at = r->at;
	c->last_at = r->at;
	c->readings++;
}

/* Marks every bucket that [from, to] touches. */
static void mark(coldchain_svg *c, int64_t from, int64_t to, uint8_t m)
{
	if (to < from)
		return;
	if (c->fixed) {
		if (to < c->opt.from || from > c->opt.to)
			return;
		if (from < c->opt.from)
			from = c->opt.from;
		if (to > c->opt.to)
			to = c->opt.to;
	}
	if (!c->started)
		(void)bucket_of(c, from);  /* the grid starts at the earlier end */
	int last = bucket_of(c, to);     /* before first: it may coarsen the grid */
	int first = bucket_of(c, from);
	if (first < 0 || last < 0)
		return;
	for (int i = first; i <= last; i++)
		c->b[i].marks |= m;
}

void coldchain_svg_episode(coldchain_svg *c, const excursion_episode *e)
{
	int64_t end = e->start + (e->duration_seconds > 0 ? e->duration_seconds : 0);
	mark(c, e->start, end, e->direction == EXCURSION_ABOVE ? MARK_ABOVE : MARK_BELOW);
}

void coldchain_svg_gap(coldchain_svg *c, const data_gap *g)
{
	mark(c, g->from, g->to, MARK_GAP);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Writes text escaped for XML: & < > " ' as entities (strbuf_html's), control characters and bytes that are
 * not UTF-8 as U+FFFD. */
static void put_text(strbuf *o, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		unsigned char ch = *u;
		size_t len = ch < 0x80 ? 1 : ch >= 0xC2 && ch <= 0xDF ? 2 : ch >= 0xE0 && ch <= 0xEF ? 3 : ch >= 0xF0 && ch <= 0xF4 ? 4 : 0;
		bool ok = len > 0;
		for (size_t i = 1; ok && i < len; i++)
			ok = (u[i] & 0xC0) == 0x80;
		if (ok && len == 3) {
			unsigned cp = ((ch & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
			ok = cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
		} else if (ok && len == 4) {
			unsigned cp = ((ch & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
			ok = cp >= 0x10000 && cp <= 0x10FFFF;
		}
		if (!ok) {
			strbuf_puts(o, "\xEF\xBF\xBD");
			u++;
			continue;
		}
		if (len == 1 && (ch < 0x20 || ch == 0x7F)) {
			strbuf_puts(o, "\xEF\xBF\xBD");
		} else if (len == 1) {
			const char one[2] = {(char)ch, '\0'};
			strbuf_html(o, one);
		} else {
			strbuf_put(o, (const char *)u, len);
		}
		u += len;
	}
}

typedef struct frame {
	double left, top, w, h;
	double t0, t1;      /* time span shown */
	double y0, y1;      /* temperature span shown, bottom to top */
} frame;

static double x_of(const frame *f, double t)
{
	return f->left + (t - f->t0) / (f->t1 - f->t0) * f->w;
}

static double y_of(const frame *f, double celsius)
{
	return f->top + (f->y1 - celsius) / (f->y1 - f->y0) * f->h;
}

/* The time label of a tick in JST: "MM-DD HH:MM" below a day's step, "MM-DD" from a day,
 * "YYYY-MM" from a month. */
static void time_label(int64_t t, int64_t step, char out_label[24])
{
	char date[11];
	jst_date(t, date);
	int64_t sod = ((t + JST_OFFSET_SECONDS) % 86400 + 86400) % 86400;
	if (step >= 28 * 86400)
		snprintf(out_label, 24, "%.7s", date);
	else if (step >= 86400)
		snprintf(out_label, 24, "%.5s", date + 5);
	else
		snprintf(out_label, 24, "%.5s %02d:%02d", date + 5, (int)(sod / 3600), (int)(sod / 60 % 60));
}

static void put_time_axis(strbuf *o, const frame *f)
{
	static const int64_t steps[] = {60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400,
	                                2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 182 * 86400,
	                                364 * 86400};
	double span = f->t1 - f->t0;
	int64_t step = steps[sizeof steps / sizeof steps[0] - 1];
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (span / (double)steps[i] <= 7.0) {
			step = steps[i];
			break;
		}
	/* Ticks fall on JST boundaries: midnight for days, the hour for hours. */
	int64_t t = (int64_t)ceil((f->t0 + JST_OFFSET_SECONDS) / (double)step) * step - JST_OFFSET_SECONDS;
	double base = f->top + f->h;
	strbuf_puts(o, "<g class=\"time-axis\" font-size=\"11\" text-anchor=\"middle\">\n");
	for (; (double)t <= f->t1; t += step) {
		char label[24];
		double x = x_of(f, (double)t);
		time_label(t, step, label);
		strbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", x, f->top, x, base);
		strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">", x, base + 16);
		put_text(o, label);
		strbuf_puts(o, "</text>\n");
	}
	strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">time (JST)</text>\n</g>\n", f->left + f->w / 2, base + 40);
}

static void put_temp_axis(strbuf *o, const frame *f)
{
	static const double steps[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
	double span = f->y1 - f->y0, step = 1000;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (span / steps[i] <= 8.0) {
			step = steps[i];
			break;
		}
	strbuf_puts(o, "<g class=\"temperature-axis\" font-size=\"11\" text-anchor=\"end\">\n");
	for (double v = ceil(f->y0 / step) * step; v <= f->y1 + 1e-9; v += step) {
		double y = y_of(f, v);
		strbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", f->left, y, f->left + f->w, y);
		strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", f->left - 6, y + 4, step < 1 ? 1 : 0, fabs(v) < 1e-9 ? 0.0 : v);
	}
	strbuf_printf(o, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">°C</text>\n</g>\n",
	    f->top + f->h / 2, f->top + f->h / 2);
}

/* Runs of buckets carrying mark m, as rectangles. */
static void put_marks(strbuf *o, const coldchain_svg *c, const frame *f, uint8_t m, const char *cls, const char *fill,
                      double opacity)
{
	strbuf_printf(o, "<g class=\"%s\" fill=\"%s\" fill-opacity=\"%.2f\">\n", cls, fill, opacity);
	for (int i = 0; i < COLDCHAIN_SVG_BUCKETS;) {
		if (!(c->b[i].marks & m)) {
			i++;
			continue;
		}
		int j = i;
		while (j + 1 < COLDCHAIN_SVG_BUCKETS && (c->b[j + 1].marks & m))
			j++;
		double a = x_of(f, (double)(c->origin + (int64_t)i * c->width));
		double z = x_of(f, (double)(c->origin + (int64_t)(j + 1) * c->width));
		if (a < f->left)
			a = f->left;
		if (z > f->left + f->w)
			z = f->left + f->w;
		if (z - a < 1.0)
			z = a + 1.0;  /* a short episode is still visible */
		strbuf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", a, f->top, z - a, f->h);
		i = j + 1;
	}
	strbuf_puts(o, "</g>\n");
}

/* The line: each bucket's minimum and maximum in time order; a break over empty buckets. */
static void put_line(strbuf *o, const coldchain_svg *c, const frame *f)
{
	strbuf_puts(o, "<path class=\"readings\" fill=\"none\" stroke=\"#263238\" stroke-width=\"1.2\" stroke-linejoin=\"round\" d=\"");
	int last = -2;
	for (int i = 0; i < COLDCHAIN_SVG_BUCKETS; i++) {
		const bucket *b = &c->b[i];
		if (b->count == 0)
			continue;
		const char *cmd = last == i - 1 ? "L" : "M";
		bool lo_first = b->t_lo <= b->t_hi;
		double t1 = (double)(lo_first ? b->t_lo : b->t_hi), v1 = lo_first ? b->lo : b->hi;
		double t2 = (double)(lo_first ? b->t_hi : b->t_lo), v2 = lo_first ? b->hi : b->lo;
		strbuf_printf(o, "%s%.1f %.1f", cmd, x_of(f, t1), y_of(f, v1));
		if (b->t_lo != b->t_hi || b->lo != b->hi)
			strbuf_printf(o, "L%.1f %.1f", x_of(f, t2), y_of(f, v2));
		last = i;
	}
	strbuf_puts(o, "\"/>\n");
}

char *coldchain_svg_finish(const coldchain_svg *c)
{
	strbuf o = {0};
	int W = c->opt.width, H = c->opt.height;
	frame f = {MARGIN_LEFT, MARGIN_TOP, W - MARGIN_LEFT - MARGIN_RIGHT, H - MARGIN_TOP - MARGIN_BOTTOM, 0, 1, 0, 1};
	if (c->fixed) {
		f.t0 = (double)c->opt.from;
		f.t1 = (double)c->opt.to;
	} else if (c->readings > 0) {
		f.t0 = (double)c->first_at;
		f.t1 = (double)c->last_at;
		/* Episodes may reach one interval past the last reading. */
		for (int i = COLDCHAIN_SVG_BUCKETS - 1; i >= 0; i--)
			if (c->b[i].marks) {
				double end = (double)(c->origin + (int64_t)(i + 1) * c->width);
				if (end > f.t1 && c->b[i].count == 0)
					f.t1 = end;
				break;
			}
	}
	if (f.t1 <= f.t0) {
		f.t0 -= 1800;
		f.t1 = f.t0 + 3600;
	}
	bool band = !isnan(c->opt.min_celsius) && !isnan(c->opt.max_celsius);
	double lo = band ? c->opt.min_celsius : c->readings > 0 ? c->lo : 0.0;
	double hi = band ? c->opt.max_celsius : c->readings > 0 ? c->hi : 10.0;
	if (c->readings > 0) {
		lo = fmin(lo, c->lo);
		hi = fmax(hi, c->hi);
	}
	double pad = fmax((hi - lo) * 0.08, 0.5);
	f.y0 = lo - pad;
	f.y1 = hi + pad;

	strbuf_puts(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	strbuf_printf(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	        "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
	strbuf_puts(&o, "<title>");
	put_text(&o, c->title ? c->title : "Temperature");
	strbuf_printf(&o, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
	if (c->title) {
		strbuf_printf(&o, "<text class=\"title\" x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", MARGIN_LEFT);
		put_text(&o, c->title);
		strbuf_puts(&o, "</text>\n");
	}
	double band_top = band ? y_of(&f, c->opt.max_celsius) : 0, band_bottom = band ? y_of(&f, c->opt.min_celsius) : 0;
	if (band)
		strbuf_printf(&o, "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2e7d32\" "
		        "fill-opacity=\"0.12\"/>\n", f.left, band_top, f.w, band_bottom - band_top);
	put_temp_axis(&o, &f);
	put_time_axis(&o, &f);
	put_marks(&o, c, &f, MARK_GAP, "gaps", "#9e9e9e", 0.35);
	put_marks(&o, c, &f, MARK_ABOVE, "excursions above", "#c62828", 0.25);
	put_marks(&o, c, &f, MARK_BELOW, "excursions below", "#1565c0", 0.25);
	if (band)
		strbuf_printf(&o, "<g class=\"limits\" stroke-dasharray=\"4 3\" stroke=\"#2e7d32\">"
	        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
	    f.left, band_top, f.left + f.w, band_top, f.left, band_bottom, f.left + f.w, band_bottom);
	if (c->readings > 0)
		put_line(&o, c, &f);
	else
		strbuf_printf(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no readings</text>\n", f.left + f.w / 2,
		    f.top + f.h / 2);
	strbuf_printf(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#555\"/>\n", f.left,
	    f.top, f.w, f.h);
	strbuf_printf(&o, "<text class=\"legend\" x=\"%.1f\" y=\"22\" text-anchor=\"end\" font-size=\"11\">", f.left + f.w);
	if (band)
		strbuf_printf(&o, "allowed %.1f to %.1f °C · ", c->opt.min_celsius, c->opt.max_celsius);
	else
		strbuf_puts(&o, "no allowed range given · ");
	strbuf_printf(&o, "<tspan fill=\"#c62828\">■ above</tspan> <tspan fill=\"#1565c0\">■ below</tspan> "
	        "<tspan fill=\"#9e9e9e\">■ no data</tspan></text>\n");
	strbuf_puts(&o, "</svg>\n");
	return strbuf_finish(&o);
}

char *coldchain_svg_render(const coldchain_svg_options *opt, const temp_reading *readings, size_t n,
                           const excursion_episode *episodes, size_t n_episodes)
{
	coldchain_svg *c = coldchain_svg_new_with(opt);
	if (c == NULL)
		return NULL;
	size_t e = 0;
	for (size_t i = 0; i < n; i++) {
		coldchain_svg_reading(c, &readings[i]);
		while (e < n_episodes && episodes[e].start <= readings[i].at)
			coldchain_svg_episode(c, &episodes[e++]);
	}
	while (e < n_episodes)
		coldchain_svg_episode(c, &episodes[e++]);
	char *svg = coldchain_svg_finish(c);
	coldchain_svg_free(c);
	return svg;
}
