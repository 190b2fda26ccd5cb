/* Time as text. Storage keeps unix seconds (UTC); the API speaks ISO 8601; people in the
 * clinic see Japan Standard Time (UTC+9, no daylight saving). */
#ifndef EXOSAFE_TIMEFMT_H
#define EXOSAFE_TIMEFMT_H

#include <stdint.h>

#define ISO8601_LEN 21  /* "2026-11-25T12:34:56Z" + NUL */
#define JST_OFFSET_SECONDS (9 * 3600)

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void time_iso8601(int64_t t, char out[ISO8601_LEN]);

/* Parses "YYYY-MM-DDTHH:MM[:SS[.fraction]]" followed by "Z" or an offset "+HH:MM" / "-HH:MM"
 * (a time without an offset is ambiguous and refused). Returns 0 and sets *out to unix
 * seconds (fractions dropped), or -1 when s is not such a time or not a real date/time. */
int time_parse_iso8601(const char *s, int64_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
int64_t days_from_civil(int y, int m, int d);

/* Parses a calendar date "YYYY-MM-DD" as a day in JST and sets [*start, *end) to its bounds
 * in unix seconds. Returns 0, or -1 when it is not a real date. */
int jst_day_bounds(const char *date, int64_t *start, int64_t *end);

/* Writes the JST calendar date of t as "YYYY-MM-DD" into out. */
void jst_date(int64_t t, char out[11]);

#define JST_DATETIME_LEN 20  /* "2026-11-25 21:34:56" + NUL */
/* Writes t as "YYYY-MM-DD HH:MM:SS" in JST into out (what people in the clinic read). */
void jst_datetime(int64_t t, char out[JST_DATETIME_LEN]);

#endif
