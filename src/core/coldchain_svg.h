/* A report chart of a logger's temperatures as one standalone SVG file: the time axis in
 * Japan Standard Time, the temperature axis, the allowed band shaded, excursion episodes and
 * data gaps shaded, and the readings as a line. Used by `exosafe coldchain report --format svg`.
 *
 * Streaming, with flat memory: readings go into COLDCHAIN_SVG_BUCKETS time buckets keeping
 * each bucket's minimum and maximum (with their times), so a one-reading spike survives
 * however many readings there are, and the line has at most 2 × COLDCHAIN_SVG_BUCKETS points.
 * Episodes and gaps are marked on the same buckets. Pure: no I/O; every text is escaped. */
#ifndef EXOSAFE_COLDCHAIN_SVG_H
#define EXOSAFE_COLDCHAIN_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "core/coldchain.h"

#define COLDCHAIN_SVG_BUCKETS 1000

typedef struct coldchain_svg_options {
	const char *title;            /* above the chart (UTF-8, escaped here); NULL: none */
	double min_celsius, max_celsius;  /* the allowed band; NaN in either: no band drawn */
	int64_t from, to;             /* the time axis in unix seconds; from >= to: the readings' span */
	int width, height;            /* in pixels; 0: 960 × 420 */
} coldchain_svg_options;

typedef struct coldchain_svg coldchain_svg;

/* Starts a chart over the readings' own time span, 960 × 420 pixels; title may be NULL, and
 * either limit NaN for a chart without a band. Returns NULL when memory runs out. */
coldchain_svg *coldchain_svg_new(const char *title, double min_celsius, double max_celsius);
/* Starts a chart with every option; they are copied (the title too). NULL when out of memory. */
coldchain_svg *coldchain_svg_new_with(const coldchain_svg_options *opt);
void coldchain_svg_free(coldchain_svg *c);

/* Adds a reading; readings come in time order. With a fixed from/to, readings outside it are
 * left out. */
void coldchain_svg_reading(coldchain_svg *c, const temp_reading *r);
/* Shades an episode over [start, start + duration_seconds]; in time order with the readings
 * (an episode arrives once it has closed, as coldchain_eval reports it). */
void coldchain_svg_episode(coldchain_svg *c, const excursion_episode *e);
/* Shades a data gap (between its two readings). */
void coldchain_svg_gap(coldchain_svg *c, const data_gap *g);

/* Writes the chart (without readings it says so). Returns a NUL-terminated SVG document the
 * caller frees, or NULL when memory runs out. The chart stays usable. */
char *coldchain_svg_finish(const coldchain_svg *c);

/* All at once, for small reports and tests: the same as new_with, each reading and episode in
 * time order, finish, free. */
char *coldchain_svg_render(const coldchain_svg_options *opt, const temp_reading *readings, size_t n,
                           const excursion_episode *episodes, size_t n_episodes);

#endif
