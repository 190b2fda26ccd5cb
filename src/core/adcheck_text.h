/* Text preparation for the advertising checker: UTF-8 validation, HTML visible text, NFKC
 * normalisation, each keeping a map from the text it makes back to the text it read so that
 * findings point at the input as the user wrote it. Pure: no I/O. */
#ifndef EXOSAFE_ADCHECK_TEXT_H
#define EXOSAFE_ADCHECK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Where derived text differs from its source. Bytes between anchors correspond one to one
 * (same length; an HTML newline turned into a space still counts as the same byte). */
typedef struct adtext_anchor {
	size_t out_off, out_len;  /* in the derived text */
	size_t src_off, src_len;  /* in the source text */
} adtext_anchor;

typedef struct adtext_map {
	adtext_anchor *anchors;   /* ordered by out_off, then by src_off */
	size_t count, cap;
} adtext_map;

/* A derived text and its map; text is NUL-terminated, len excludes the NUL. */
typedef struct adtext {
	char *text;
	size_t len, cap;
	adtext_map map;
	size_t src_cursor;        /* private: the source offset copied up to */
	bool failed;              /* private: memory ran out */
} adtext;

void adtext_free(adtext *t);

/* Maps an offset in the derived text back to its source. A start inside a replaced span maps
 * to the span's start, an end (is_end) inside or at the end of one to the span's end. */
size_t adtext_map_back(const adtext_map *m, size_t off, bool is_end);

/* Returns 0 when s[0..len) is UTF-8 without NUL; else 1 with *bad_offset at the first NUL,
 * or 2 with *bad_offset at the first byte of the first ill-formed sequence (overlong forms,
 * surrogates and code points above U+10FFFF are ill-formed). */
int adtext_validate(const char *s, size_t len, size_t *bad_offset);

/* The visible text of valid UTF-8 HTML: text and the alt, title, placeholder, aria-label
 * and value (of buttons) attributes and meta description contents; script, style, template,
 * comments, doctype and processing instructions skipped; character references decoded;
 * block elements and <br> separate text with "\n"; outside <pre> and <textarea>, a run of
 * white space becomes one space, or nothing when it holds a line break between two CJK
 * characters (as a browser shows it). Returns false when memory runs out. */
bool adtext_html_visible(const char *html, size_t len, adtext *out);

/* NFKC of valid UTF-8 text, normalised character by character (composition across
 * characters kept: a base and its combining marks are normalised together). Returns false
 * when memory runs out. */
bool adtext_nfkc(const char *s, size_t len, adtext *out);

/* Line (1-based), column (1-based, code points), code point offset and UTF-16 offset of
 * byte offsets into valid UTF-8 text. offsets need not be sorted; results go to the same
 * index. Returns false when memory runs out. */
typedef struct adtext_position {
	size_t byte;
	long line, column;
	size_t chars, utf16;
} adtext_position;
bool adtext_locate(const char *s, size_t len, adtext_position *positions, size_t count);

#endif
