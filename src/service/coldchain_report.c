/* The cold-chain report (see coldchain_report.h). */
#include "service/coldchain_report.h"

#include <math.h>
#include <stdio.h>

#include "core/coldchain.h"
#include "core/timefmt.h"
#include "service/trace.h"

typedef struct report_ctx {
	coldchain_eval ev;
	json_t *episodes;
	coldchain_svg *svg;
} report_ctx;

static void report_episode(void *ctx, const excursion_episode *e)
{
	report_ctx *r = ctx;
	char start[ISO8601_LEN], end[ISO8601_LEN];
	time_iso8601(e->start, start);
	time_iso8601(e->end, end);
	json_array_append_new(r->episodes, json_pack("{s:s, s:s, s:I, s:f, s:s, s:b}", "start", start, "end", end, "minutes",
	                                             (json_int_t)(e->duration_seconds / 60), "peak_celsius", e->peak_celsius,
	                                             "direction", e->direction == EXCURSION_ABOVE ? "above" : "below",
	                                             "open", e->open));
	if (r->svg)
		coldchain_svg_episode(r->svg, e);
}

static int report_reading(void *ctx, int64_t at, double celsius)
{
	report_ctx *r = ctx;
	temp_reading t = {at, celsius};
	coldchain_feed(&r->ev, &t);
	if (r->svg)
		coldchain_svg_reading(r->svg, &t);
	return 0;
}

/* Evaluates one stretch of a logger's readings; returns its JSON summary or NULL. */
static json_t *report_stretch(store *s, int64_t logger_id, const char *place, int64_t from, int64_t to, double min_c,
                              double max_c, bool have_band, coldchain_svg *svg)
{
	report_ctx r = {.episodes = json_array(), .svg = svg};
	coldchain_limits limits = {have_band ? min_c : -1e9, have_band ? max_c : 1e9, 0};
	coldchain_begin(&r.ev, &limits, report_episode, NULL, &r);
	if (store_readings_range(s, logger_id, from, to, report_reading, &r) != STORE_OK) {
		json_decref(r.episodes);
		return NULL;
	}
	coldchain_finish(&r.ev);
	double mkt = coldchain_mkt_celsius(&r.ev);
	char first[ISO8601_LEN] = "", last[ISO8601_LEN] = "";
	if (r.ev.readings) {
		time_iso8601(r.ev.first_at, first);
		time_iso8601(r.ev.last_at, last);
	}
	json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:o}", "place", place, "readings", (json_int_t)r.ev.readings,
	                      "first_at", first, "last_at", last, "minutes_outside", (json_int_t)(r.ev.seconds_outside / 60),
	                      "data_gaps", (json_int_t)r.ev.gaps, "episodes", r.episodes);
	json_object_set_new(j, "mkt_celsius", isnan(mkt) ? json_null() : json_real(round(mkt * 100) / 100));
	json_object_set_new(j, "min_celsius", r.ev.readings ? json_real(r.ev.min_seen) : json_null());
	json_object_set_new(j, "max_celsius", r.ev.readings ? json_real(r.ev.max_seen) : json_null());
	json_object_set_new(j, "range", have_band ? json_pack("{s:f, s:f}", "min_c", min_c, "max_c", max_c) : json_null());
	return j;
}

typedef struct stays {
	lot_exposure items[64];
	int n;
} stays;

static int collect_stay(void *ctx, const lot_exposure *e)
{
	stays *st = ctx;
	if (st->n < 64)
		st->items[st->n++] = *e;
	return 0;
}

static coldchain_rc report_logger(store *s, const coldchain_report_query *q, json_t *stretches, coldchain_svg **svg)
{
	logger_record logger;
	if (store_logger_by_code(s, q->logger_code, &logger) != STORE_OK)
		return COLDCHAIN_NOT_FOUND;
	/* The range: the narrowest of the products kept where the logger watched. */
	stays st = {.n = 0};
	double min_c = -1e9, max_c = 1e9;
	bool have = false;
	if (store_exposures_of_logger(s, logger.id, q->from, q->to, collect_stay, &st) != STORE_OK)
		return COLDCHAIN_ERROR;
	for (int i = 0; i < st.n; i++) {
		min_c = have && min_c > st.items[i].min_celsius ? min_c : st.items[i].min_celsius;
		max_c = have && max_c < st.items[i].max_celsius ? max_c : st.items[i].max_celsius;
		have = true;
	}
	if (q->svg)
		*svg = coldchain_svg_new(logger.code, have ? min_c : NAN, have ? max_c : NAN);
	char place[80];
	snprintf(place, sizeof place, "logger:%s", logger.code);
	json_t *j = report_stretch(s, logger.id, place, q->from, q->to, min_c, max_c, have, *svg);
	if (j == NULL)
		return COLDCHAIN_ERROR;
	json_array_append_new(stretches, j);
	return COLDCHAIN_OK;
}

static coldchain_rc report_lot(store *s, const coldchain_report_query *q, int64_t now, json_t *stretches,
                               coldchain_svg **svg, int *lots_found)
{
	lot_record lot;
	if (trace_find_lots(s, q->lot_number, NULL, &lot, 1, lots_found) != TRACE_OK)
		return COLDCHAIN_ERROR;
	if (*lots_found != 1)
		return COLDCHAIN_NOT_FOUND;
	stays st = {.n = 0};
	if (store_exposures_of_lot(s, lot.id, collect_stay, &st) != STORE_OK)
		return COLDCHAIN_ERROR;
	for (int i = 0; i < st.n; i++) {
		lot_exposure *e = &st.items[i];
		int64_t a = e->from_at > q->from ? e->from_at : q->from;
		int64_t end = e->to_at ? e->to_at : now + 1;
		int64_t b = end < q->to ? end : q->to;
		if (b <= a)
			continue;
		if (*svg == NULL && q->svg)
			*svg = coldchain_svg_new(lot.lot_number, e->min_celsius, e->max_celsius);
		json_t *j = report_stretch(s, e->logger_id, e->place, a, b, e->min_celsius, e->max_celsius, true,
		                           *svg && json_array_size(stretches) == 0 ? *svg : NULL);
		if (j == NULL)
			return COLDCHAIN_ERROR;
		json_object_set_new(j, "allowance_minutes", json_integer(e->allowance_minutes));
		json_array_append_new(stretches, j);
	}
	return COLDCHAIN_OK;
}

coldchain_rc coldchain_report(store *s, const coldchain_report_query *q, int64_t now, json_t **stretches_out,
                              coldchain_svg **svg_out, int *lots_found)
{
	*stretches_out = json_array();
	*svg_out = NULL;
	*lots_found = 0;
	if (q->logger_code != NULL)
		return report_logger(s, q, *stretches_out, svg_out);
	return report_lot(s, q, now, *stretches_out, svg_out, lots_found);
}
