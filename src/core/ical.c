#include "core/ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct buf {
	char *data;
	size_t len, cap;
	int failed;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 512) + n;
		char *p = realloc(b->data, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Writes one content line, escaping text values when escape is set and folding at 75 octets. */
static void line(buf *b, const char *name, const char *value, int escape)
{
	char logical[4096];
	size_t n = (size_t)snprintf(logical, sizeof logical, "%s:", name);
	for (const char *p = value; *p && n < sizeof logical - 3; p++) {
		if (escape && (*p == '\\' || *p == ';' || *p == ',')) {
			logical[n++] = '\\';
			logical[n++] = *p;
		} else if (escape && *p == '\n') {
			logical[n++] = '\\';
			logical[n++] = 'n';
		} else if (*p != '\r') {
			logical[n++] = *p;
		}
	}
	size_t col = 0;
	for (size_t i = 0; i < n;) {
		/* Length of the UTF-8 character starting here. */
		unsigned char c = (unsigned char)logical[i];
		size_t clen = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (i + clen > n)
			clen = n - i;
		if (col + clen > 75) {
			put(b, "\r\n ", 3);
			col = 1;
		}
		put(b, logical + i, clen);
		col += clen;
		i += clen;
	}
	put(b, "\r\n", 2);
}

static void utc_stamp(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

char *ical_event_text(const ical_event *ev)
{
	buf b = {0};
	char stamp[17], start[17], end[17];
	utc_stamp(ev->stamp, stamp);
	utc_stamp(ev->starts_at, start);
	utc_stamp(ev->ends_at, end);
	line(&b, "BEGIN", "VCALENDAR", 0);
	line(&b, "VERSION", "2.0", 0);
	line(&b, "PRODID", "-//exosafe//consultation//JA", 0);
	line(&b, "CALSCALE", "GREGORIAN", 0);
	line(&b, "METHOD", "PUBLISH", 0);
	line(&b, "BEGIN", "VEVENT", 0);
	line(&b, "UID", ev->uid, 0);
	line(&b, "DTSTAMP", stamp, 0);
	line(&b, "DTSTART", start, 0);
	line(&b, "DTEND", end, 0);
	line(&b, "SUMMARY", ev->summary, 1);
	if (ev->description && *ev->description)
		line(&b, "DESCRIPTION", ev->description, 1);
	line(&b, "BEGIN", "VALARM", 0);
	line(&b, "ACTION", "DISPLAY", 0);
	line(&b, "DESCRIPTION", ev->summary, 1);
	line(&b, "TRIGGER", "-PT15M", 0);
	line(&b, "END", "VALARM", 0);
	line(&b, "END", "VEVENT", 0);
	line(&b, "END", "VCALENDAR", 0);
	if (b.failed) {
		free(b.data);
		return NULL;
	}
	return b.data;
}
