/* The cold-chain report (exosafe coldchain report): excursion episodes, mean kinetic
 * temperature, minimum and maximum of a logger's readings, or of every stay of a lot under a
 * logger, against the product's storage range. Reads only. */
#ifndef EXOSAFE_SERVICE_COLDCHAIN_REPORT_H
#define EXOSAFE_SERVICE_COLDCHAIN_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/coldchain_svg.h"
#include "service/coldchain.h"

/* What to report: exactly one of logger_code and lot_number, over [from, to). */
typedef struct coldchain_report_query {
	const char *logger_code;
	const char *lot_number;
	int64_t from, to;
	bool svg;   /* also draw a chart of the first stretch (the logger, or the lot's first stay) */
} coldchain_report_query;

/* Evaluates the readings stretch by stretch: the logger's, against the narrowest range of the
 * products kept where it watched, or each of the lot's stays (an open stay ends at now),
 * against the lot's product. *stretches_out is a JSON array of {place, readings, first_at,
 * last_at, minutes_outside, data_gaps, episodes, mkt_celsius, min_celsius, max_celsius, range}
 * (a lot's also allowance_minutes); *svg_out the chart when asked and there was a stretch.
 * The caller frees both (json_decref, coldchain_svg_free), also on error. COLDCHAIN_NOT_FOUND:
 * no such logger, or not exactly one lot of that number (*lots_found says how many).
 * Errors: COLDCHAIN_NOT_FOUND, COLDCHAIN_ERROR (s->errmsg says why). */
coldchain_rc coldchain_report(store *s, const coldchain_report_query *q, int64_t now, json_t **stretches_out,
                              coldchain_svg **svg_out, int *lots_found);

#endif
