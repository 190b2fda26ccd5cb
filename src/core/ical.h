/* iCalendar (RFC 5545) for one appointment, so a patient can put the call in a calendar. */
#ifndef EXOSAFE_ICAL_H
#define EXOSAFE_ICAL_H

#include <stdint.h>

typedef struct ical_event {
	const char *uid;          /* globally unique, e.g. "booking-12@exosafe" */
	int64_t stamp;            /* when the file was made */
	int64_t starts_at, ends_at;
	const char *summary;
	const char *description;
} ical_event;

/* Returns a newly allocated VCALENDAR with one VEVENT: CRLF line endings, text escaped,
 * lines folded at 75 octets without splitting a UTF-8 character. The caller frees it.
 * NULL when memory runs out. */
char *ical_event_text(const ical_event *ev);

#endif
