#include "core/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static int is_space_at(const unsigned char *p, size_t *len)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
		*len = 1;
		return 1;
	}
	/* U+3000 IDEOGRAPHIC SPACE; NFKC maps it to U+0020 already, kept for safety. */
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
		*len = 3;
		return 1;
	}
	return 0;
}

char *text_normalize(const char *in)
{
	utf8proc_uint8_t *nfkc = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, 0, &nfkc,
	                                  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
	if (n < 0)
		return NULL;

	unsigned char *start = nfkc, *end = nfkc + n;
	size_t len;
	while (start < end && is_space_at(start, &len))
		start += len;
	/* Trim from the end: only ASCII white space can remain there after NFKC. */
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	size_t out_len = (size_t)(end - start);
	char *out = malloc(out_len + 1);
	if (out != NULL) {
		memcpy(out, start, out_len);
		out[out_len] = '\0';
	}
	free(nfkc);
	return out;
}

long text_char_count(const char *s)
{
	long count = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n < 0)
			return -1;
		p += n;
		count++;
	}
	return count;
}

int text_is_clean(const char *s, int allow_newlines)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n < 0)
			return 0;
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
			if (!(allow_newlines && (cp == '\n' || cp == '\t' || cp == '\r')))
				return 0;
		}
		p += n;
	}
	return 1;
}
