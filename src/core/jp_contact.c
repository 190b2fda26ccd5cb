#include "core/jp_contact.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/text.h"
#include "core/validate.h"

/* The characters read as a hyphen (see jp_contact.h for where each comes from). */
static bool is_hyphen_like(utf8proc_int32_t cp)
{
	return cp == '-' || cp == 0x30FC || cp == 0x2212 || (cp >= 0x2010 && cp <= 0x2015) || cp == 0xFE58 ||
	       cp == 0x2043;
}

/* What people put between the groups of a number. A patient's phone and the clinic's are read
 * alike: every separator only drops presentation, never a digit, and validate_phone still
 * counts the digits, so accepting "(03) 1234 5678" from a patient loses nothing a stricter
 * rule would keep. Spaces in a postal code are dropped rather than read (see tidy). */
static bool is_separator(utf8proc_int32_t cp, bool phone)
{
	return is_hyphen_like(cp) || (phone && (cp == ' ' || cp == '(' || cp == ')'));
}

/* The first character at or after p that is not a separator (or an undecodable byte). */
static const utf8proc_uint8_t *skip_separators(const utf8proc_uint8_t *p, bool phone)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t len;
	while (*p && (len = utf8proc_iterate(p, -1, &cp)) > 0 && is_separator(cp, phone))
		p += len;
	return p;
}

/* jp_phone_tidy (phone) and jp_postal_tidy (!phone): one pass, one set of separators. */
static char *tidy(const char *s, bool phone)
{
	/* At most strlen(s) + 1 bytes: other characters are copied as they are, a run of separators
	 * (one byte or more) gives at most one '-', "+81" gives "0", and the hyphen given to seven
	 * bare postal digits is the one byte more. */
	char *out = malloc(strlen(s) + 2);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	if (phone && strncmp(s, "+81", 3) == 0) {
		/* +81 3 1234 5678, +81-(0)3-…: the country code stands for the trunk prefix 0, which
		 * the "(0)" some people add repeats. */
		out[n++] = '0';
		p = skip_separators(p + 3, phone);
		if (p[0] == '0' && p[1] == ')')
			p = skip_separators(p + 2, phone);
	}
	if (!phone && strncmp(s, "\xE3\x80\x92", 3) == 0) /* 〒 U+3012 */
		p += 3;
	bool pending_hyphen = false;
	while (*p) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(p, -1, &cp);
		if (len < 0) {
			free(out);
			return NULL;
		}
		if (!phone && cp == ' ') {
			/* 〒 150 0001: spaces in a postal code carry nothing. */
		} else if (is_separator(cp, phone)) {
			pending_hyphen = n > 0; /* none before the first digit */
		} else {
			if (pending_hyphen)
				out[n++] = '-';
			pending_hyphen = false;
			memcpy(out + n, p, (size_t)len);
			n += (size_t)len;
		}
		p += len;
	}
	out[n] = '\0';
	if (!phone && n == 7 && strspn(out, "0123456789") == 7) {
		/* 郵便番号: three digits, hyphen, four digits. */
		memmove(out + 4, out + 3, 5);
		out[3] = '-';
	}
	return out;
}

char *jp_phone_tidy(const char *s)
{
	return tidy(s, true);
}

char *jp_postal_tidy(const char *s)
{
	return tidy(s, false);
}

/* text_normalize, tidy and the field's validator; the stored form into out. */
static const char *normalize_into(const char *in, char *out, size_t outlen, bool phone)
{
	out[0] = '\0';
	char *nfkc = text_normalize(in);
	char *tidied = nfkc ? tidy(nfkc, phone) : NULL;
	free(nfkc);
	if (tidied == NULL)
		return "text_encoding";
	const char *why = phone ? validate_phone(tidied) : validate_postal_code(tidied);
	if (why == NULL && strlen(tidied) >= outlen)
		why = phone ? "phone_format" : "postal_format";
	if (why == NULL)
		snprintf(out, outlen, "%s", tidied);
	free(tidied);
	return why;
}

const char *jp_phone_normalize(const char *in, char *out, size_t outlen)
{
	return normalize_into(in, out, outlen, true);
}

const char *jp_postal_normalize(const char *in, char *out, size_t outlen)
{
	return normalize_into(in, out, outlen, false);
}

int jp_phone_is_placeholder(const char *normalized)
{
	/* The last eight digits are the exchange and subscriber number of every 10- and 11-digit
	 * number (after a 2- to 3-digit prefix); all zero is no one's line. */
	int digits = 0, zeros_at_end = 0;
	for (const char *p = normalized; *p; p++) {
		if (!isdigit((unsigned char)*p))
			continue;
		digits++;
		zeros_at_end = *p == '0' ? zeros_at_end + 1 : 0;
	}
	return digits >= 10 && zeros_at_end >= 8;
}
