#include "core/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/growth.h"

void strbuf_put(strbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n > SIZE_MAX - b->len - 1) {
		b->failed = true;
		return;
	}
	char *grown = growth_reserve(b->data, &b->cap, b->len + n + 1, 1);
	if (grown == NULL) {
		b->failed = true;
		return;
	}
	b->data = grown;
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s)
{
	strbuf_put(b, s, strlen(s));
}

void strbuf_vprintf(strbuf *b, const char *fmt, va_list ap)
{
	char small[512];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0) {
		va_end(again);
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof small) {
		va_end(again);
		strbuf_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		va_end(again);
		b->failed = true;
		return;
	}
	vsnprintf(big, (size_t)n + 1, fmt, again);
	va_end(again);
	strbuf_put(b, big, (size_t)n);
	free(big);
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Appends s with each byte that has an entry in `entity` replaced by it; the others are
 * copied in runs. */
static void put_escaped(strbuf *b, const char *s, const char *const entity[128])
{
	if (s == NULL)
		return;
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 128 || entity[c] == NULL)
			continue;
		strbuf_put(b, run, (size_t)(s - run));
		strbuf_puts(b, entity[c]);
		run = s + 1;
	}
	strbuf_put(b, run, (size_t)(s - run));
}

static const char *const html_entity[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
};

static const char *const xml_entity[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;",
};

static const char *const xhtml_text_entity[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
};

static const char *const ical_text_escape[128] = {
	['\\'] = "\\\\", [';'] = "\\;", [','] = "\\,", ['\n'] = "\\n", ['\r'] = "",
};

void strbuf_html(strbuf *b, const char *s)
{
	put_escaped(b, s, html_entity);
}

void strbuf_xml(strbuf *b, const char *s)
{
	put_escaped(b, s, xml_entity);
}

void strbuf_xhtml_text(strbuf *b, const char *s)
{
	put_escaped(b, s, xhtml_text_entity);
}

void strbuf_ical_text(strbuf *b, const char *s)
{
	put_escaped(b, s, ical_text_escape);
}

char *strbuf_finish(strbuf *b)
{
	strbuf_put(b, "", 0);
	char *text = b->failed ? NULL : b->data;
	if (b->failed)
		free(b->data);
	*b = (strbuf){0};
	return text;
}

void strbuf_free(strbuf *b)
{
	free(b->data);
	*b = (strbuf){0};
}
