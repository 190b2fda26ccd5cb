/* The one clock exosafe reads.
 *
 * Every "now" in the server and the CLI comes from clock_now(), so that a test, a demo or an
 * investigator can run exosafe at another instant and nothing reads the wall clock behind its
 * back. By default it is the system's UTC time. EXOSAFE_NOW, read once by clock_init_from_env()
 * at start-up, moves it: the clock starts at that instant and advances in real time from there
 * (sessions still expire, rate limits still decay). Nothing else may call time(). */
#ifndef EXOSAFE_CLOCK_H
#define EXOSAFE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since 1970-01-01T00:00:00Z on exosafe's clock. */
int64_t clock_now(void);

/* Reads EXOSAFE_NOW: an ISO 8601 UTC instant ("2027-12-03T09:00:00Z") or seconds since the
 * epoch ("1827900000"). Unset or empty leaves the system clock. Call once, before any thread
 * starts. Returns 0, or -1 with a message naming the variable in err (the clock unchanged). */
int clock_init_from_env(char *err, size_t errlen);

/* Moves the clock so that clock_now() returns t now (tests). Not thread-safe: call before
 * threads start. */
void clock_set(int64_t t);

#endif
