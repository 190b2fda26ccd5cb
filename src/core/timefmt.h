/* Time as text. Storage keeps unix seconds (UTC); the API speaks ISO 8601 UTC. */
#ifndef EXOSAFE_TIMEFMT_H
#define EXOSAFE_TIMEFMT_H

#include <stdint.h>

#define ISO8601_LEN 21  /* "2026-11-25T12:34:56Z" + NUL */

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void time_iso8601(int64_t t, char out[ISO8601_LEN]);

#endif
