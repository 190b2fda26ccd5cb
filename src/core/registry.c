#include "core/registry.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* y, m, d of a YYYY-MM-DD date with a plausible month and day; false otherwise. */
static bool parse_date(const char *s, int *y, int *m, int *d)
{
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

void registry_age_band(const char *birth_date, const char *onset_date, char out[8])
{
	out[0] = '\0';
	int by, bm, bd, oy, om, od;
	if (!parse_date(birth_date, &by, &bm, &bd) || !parse_date(onset_date, &oy, &om, &od))
		return;
	int age = oy - by - ((om < bm || (om == bm && od < bd)) ? 1 : 0);
	if (age < 0)
		return;
	if (age >= 90) {
		snprintf(out, 8, "90+");
		return;
	}
	int low = age / 5 * 5;
	snprintf(out, 8, "%d-%d", low, low + 4);
}

void registry_onset_month(const char *date, char out[8])
{
	out[0] = '\0';
	int y, m, d;
	if (parse_date(date, &y, &m, &d))
		snprintf(out, 8, "%04d-%02d", y, m);
}
