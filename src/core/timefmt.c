#include "core/timefmt.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "core/validate.h"

void time_iso8601(int64_t t, char out[ISO8601_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, ISO8601_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at s into *v. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' || digits(s + 8, 2, d))
		return -1;
	return date_is_valid(*y, *m, *d) ? 0 : -1;
}

int time_parse_iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec = 0;
	if (strlen(s) < 17 || parse_date(s, &y, &mo, &d) != 0 || (s[10] != 'T' && s[10] != 't'))
		return -1;
	const char *p = s + 11;
	if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
		return -1;
	p += 5;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec))
			return -1;
		p += 3;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		int sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh))
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (digits(p, 2, &om) || oh > 23 || om > 59)
			return -1;
		p += 2;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
	return 0;
}

int jst_day_bounds(const char *date, int64_t *start, int64_t *end)
{
	int y, m, d;
	if (strlen(date) != 10 || parse_date(date, &y, &m, &d) != 0)
		return -1;
	*start = days_from_civil(y, m, d) * 86400 - JST_OFFSET_SECONDS;
	*end = *start + 86400;
	return 0;
}

void jst_date(int64_t t, char out[11])
{
	time_t tt = (time_t)(t + JST_OFFSET_SECONDS);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void jst_datetime(int64_t t, char out[JST_DATETIME_LEN])
{
	time_t tt = (time_t)(t + JST_OFFSET_SECONDS);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, JST_DATETIME_LEN, "%Y-%m-%d %H:%M:%S", &tm);
}
