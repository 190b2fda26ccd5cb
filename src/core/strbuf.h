/* The one growing UTF-8 string of the core, for the documents it writes (HTML pages, XML and
 * FHIR exports, iCalendar, CSV, mail), with the escapers those formats need.
 * After a failed allocation every further append is ignored and `failed` stays set, so a
 * writer appends freely and checks once at the end (strbuf_finish). Start from
 * `strbuf b = {0};`. */
#ifndef EXOSAFE_STRBUF_H
#define EXOSAFE_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
	char *data;   /* NUL-terminated once anything was appended; owned by the buffer */
	size_t len, cap;
	bool failed;
} strbuf;

/* Appends n bytes of s. */
void strbuf_put(strbuf *b, const char *s, size_t n);

/* Appends the NUL-terminated s (markup we wrote ourselves, never case text). */
void strbuf_puts(strbuf *b, const char *s);

/* Appends formatted text; the arguments must not be case text (use an escaper for that). */
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* strbuf_printf with a va_list (ap is consumed). */
void strbuf_vprintf(strbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Appends s (NULL as "") escaped for HTML element content and quoted attribute values:
 * & < > " ' become &amp; &lt; &gt; &quot; &#39; (&apos; is not an HTML 4 entity). */
void strbuf_html(strbuf *b, const char *s);

/* Appends s (NULL as "") escaped for XML text and attribute values: & < > " ' become the five
 * predefined entities of XML 1.0 §4.6 (&amp; &lt; &gt; &quot; &apos;). */
void strbuf_xml(strbuf *b, const char *s);

/* Appends s (NULL as "") for XHTML element content: only & < > are escaped, which is all that
 * element content needs (quotes stay as they are). */
void strbuf_xhtml_text(strbuf *b, const char *s);

/* Appends s (NULL as "") as an iCalendar TEXT value (RFC 5545 §3.3.11): backslash, semicolon
 * and comma are backslash-escaped, a line feed becomes "\n", carriage returns are dropped. */
void strbuf_ical_text(strbuf *b, const char *s);

/* Returns the text (the caller frees it; "" when nothing was appended) and empties b; NULL
 * when an allocation failed (b is freed either way). */
char *strbuf_finish(strbuf *b);

/* Frees what b holds and empties it (for error paths that drop the text). */
void strbuf_free(strbuf *b);

#endif
