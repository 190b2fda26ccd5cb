/* A weekly pattern of consultation slots: on the chosen weekdays between two dates, from a
 * start time to an end time of day, one slot every slot_minutes. Dates and times are Japan
 * Standard Time, which has had no daylight saving since 1951, so every day is 24 hours and a
 * wall time maps to exactly one instant (UTC+9). Pure: expands a pattern into start instants. */
#ifndef EXOSAFE_SLOT_PATTERN_H
#define EXOSAFE_SLOT_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* The longest range a pattern may cover, first and last day included. */
#define SLOT_PATTERN_MAX_DAYS 90
/* The most slots one pattern may make (90 days of 24 hours of 5-minute slots would be 25,920). */
#define SLOT_PATTERN_MAX_SLOTS 2000

typedef struct slot_pattern {
	const char *first_date;     /* YYYY-MM-DD (JST), the first day */
	const char *last_date;      /* YYYY-MM-DD (JST), the last day, inclusive */
	unsigned weekdays;          /* bit 0 Sunday ... bit 6 Saturday */
	const char *day_start;      /* HH:MM (JST), the first slot's start each day */
	const char *day_end;        /* HH:MM (JST), no slot runs past it */
	int slot_minutes;           /* 5 to 120 */
} slot_pattern;

/* Parses "HH:MM" (00:00 to 24:00) into minutes after midnight; -1 when it is not such a time. */
int slot_pattern_minutes(const char *hhmm);

/* The weekday of a YYYY-MM-DD date, 0 Sunday to 6 Saturday; -1 when it is not a real date. */
int slot_pattern_weekday(const char *date);

/* Writes the pattern's slot starts (unix seconds, ascending) into starts (room for max) and
 * their number into *count. Returns NULL, or on bad input a reason key for the message
 * catalogue with *field set to the input at fault (nothing useful in starts then):
 * first_date/last_date "date_format", last_date "date_order", last_date "pattern_days",
 * weekdays "weekdays_value", day_start/day_end "time_format", day_end "end_before_start"
 * (also when the hours are shorter than one slot), slot_minutes "out_of_range",
 * weekdays "pattern_empty" (no chosen weekday falls in the range), last_date
 * "pattern_too_many" (more than max or SLOT_PATTERN_MAX_SLOTS). */
const char *slot_pattern_expand(const slot_pattern *p, int64_t *starts, size_t max, size_t *count, const char **field);

#endif
