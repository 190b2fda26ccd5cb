#include "core/ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"

/* Appends one content line "name:value" folded at 75 octets (RFC 5545 §3.1), never inside a
 * UTF-8 character. A text value (escape set) is escaped as TEXT (§3.3.11); carriage returns
 * are dropped from every value, since a bare CR would end the line early. */
static void line(strbuf *b, const char *name, const char *value, int escape)
{
	strbuf logical = {0};
	strbuf_printf(&logical, "%s:", name);
	if (escape) {
		strbuf_ical_text(&logical, value);
	} else {
		for (const char *p = value; *p; p++) {
			size_t run = strcspn(p, "\r");
			strbuf_put(&logical, p, run);
			p += run;
			if (*p == '\0')
				break;
		}
	}
	if (logical.failed) {
		b->failed = true;
		strbuf_free(&logical);
		return;
	}
	size_t col = 0, n = logical.len;
	for (size_t i = 0; i < n;) {
		/* Length of the UTF-8 character starting here. */
		unsigned char c = (unsigned char)logical.data[i];
		size_t clen = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (i + clen > n)
			clen = n - i;
		if (col + clen > 75) {
			strbuf_put(b, "\r\n ", 3);
			col = 1;
		}
		strbuf_put(b, logical.data + i, clen);
		col += clen;
		i += clen;
	}
	strbuf_put(b, "\r\n", 2);
	strbuf_free(&logical);
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
	strbuf b = {0};
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
	return strbuf_finish(&b);
}
