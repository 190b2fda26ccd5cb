#include "core/timefmt.h"

#include <time.h>

void time_iso8601(int64_t t, char out[ISO8601_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, ISO8601_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
