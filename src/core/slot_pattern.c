#include "core/slot_pattern.h"

#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"

int slot_pattern_minutes(const char *hhmm)
{
	if (hhmm == NULL || strlen(hhmm) != 5 || hhmm[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (hhmm[i] < '0' || hhmm[i] > '9'))
			return -1;
	int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
	int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* Sets *day to the days since 1970-01-01 of a YYYY-MM-DD date and *start to the instant its
 * JST day begins. Returns 0, or -1 when it is not a real date. */
static int day_number(const char *date, int64_t *start, int64_t *day)
{
	int64_t end;
	if (date == NULL || jst_day_bounds(date, start, &end) != 0)
		return -1;
	/* start + 9 h is midnight UTC of the same calendar day: an exact multiple of a day. */
	*day = (*start + JST_OFFSET_SECONDS) / 86400;
	return 0;
}

int slot_pattern_weekday(const char *date)
{
	int64_t start, day;
	if (day_number(date, &start, &day) != 0)
		return -1;
	/* 1970-01-01 was a Thursday (4). */
	return (int)(((day + 4) % 7 + 7) % 7);
}

const char *slot_pattern_expand(const slot_pattern *p, int64_t *starts, size_t max, size_t *count, const char **field)
{
	*count = 0;
	int64_t first_start, last_start, first, last;
	if (day_number(p->first_date, &first_start, &first) != 0) {
		*field = "first_date";
		return "date_format";
	}
	if (day_number(p->last_date, &last_start, &last) != 0) {
		*field = "last_date";
		return "date_format";
	}
	if (last < first) {
		*field = "last_date";
		return "date_order";
	}
	if (last - first + 1 > SLOT_PATTERN_MAX_DAYS) {
		*field = "last_date";
		return "pattern_days";
	}
	if (p->weekdays == 0 || p->weekdays > 0x7F) {
		*field = "weekdays";
		return "weekdays_value";
	}
	int from = slot_pattern_minutes(p->day_start), to = slot_pattern_minutes(p->day_end);
	if (from < 0 || from >= 24 * 60) {
		*field = "day_start";
		return "time_format";
	}
	if (to < 0) {
		*field = "day_end";
		return "time_format";
	}
	if (p->slot_minutes < 5 || p->slot_minutes > 120) {
		*field = "slot_minutes";
		return "out_of_range";
	}
	if (to - from < p->slot_minutes) {
		*field = "day_end";
		return "end_before_start";
	}
	size_t n = 0;
	for (int64_t d = 0; d <= last - first; d++) {
		int weekday = (int)(((first + d + 4) % 7 + 7) % 7);
		if (!(p->weekdays & (1u << weekday)))
			continue;
		int64_t midnight = first_start + d * 86400;  /* JST: every day is 86,400 seconds */
		for (int m = from; m + p->slot_minutes <= to; m += p->slot_minutes) {
			if (n >= max || n >= SLOT_PATTERN_MAX_SLOTS) {
				*field = "last_date";
				return "pattern_too_many";
			}
			starts[n++] = midnight + (int64_t)m * 60;
		}
	}
	if (n == 0) {
		*field = "weekdays";
		return "pattern_empty";
	}
	*count = n;
	return NULL;
}
