/* A growing UTF-8 string for documents the core writes (HTML pages), with HTML escaping.
 * After a failed allocation every further append is ignored and `failed` stays set, so a
 * writer appends freely and checks once at the end. */
#ifndef EXOSAFE_STRBUF_H
#define EXOSAFE_STRBUF_H

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

/* Appends formatted text; the arguments must not be case text (use strbuf_html for that). */
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s (NULL as "") escaped for HTML element content and quoted attribute values:
 * & < > " ' become entities. */
void strbuf_html(strbuf *b, const char *s);

/* Returns the text (the caller frees it) and empties b; NULL when an allocation failed
 * (b is freed either way). */
char *strbuf_finish(strbuf *b);

#endif
