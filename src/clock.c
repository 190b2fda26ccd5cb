/* The one clock: the system's time plus an offset fixed at start-up (see clock.h). */
#include "clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/timefmt.h"

/* Set once before threads start, read-only afterwards: configuration, not shared state. */
static int64_t clock_offset_seconds;

int64_t clock_now(void)
{
	return (int64_t)time(NULL) + clock_offset_seconds;
}

void clock_set(int64_t t)
{
	clock_offset_seconds = t - (int64_t)time(NULL);
}

int clock_init_from_env(char *err, size_t errlen)
{
	const char *v = getenv("EXOSAFE_NOW");
	if (!v || !*v)
		return 0;
	int64_t t;
	char *end;
	errno = 0;
	long long secs = strtoll(v, &end, 10);
	if (end != v && *end == '\0' && errno == 0) {
		t = (int64_t)secs;
	} else if (time_parse_iso8601(v, &t) != 0) {
		snprintf(err, errlen, "EXOSAFE_NOW '%s' is neither an ISO 8601 UTC instant (2027-12-03T09:00:00Z) "
		         "nor seconds since 1970", v);
		return -1;
	}
	/* Past 2000 and before 10000: the dates exosafe stores have four-digit years. */
	if (t < 946684800 || t >= INT64_C(253402300800)) {
		snprintf(err, errlen, "EXOSAFE_NOW '%s' is outside 2000-01-01 .. 9999-12-31", v);
		return -1;
	}
	clock_set(t);
	return 0;
}
