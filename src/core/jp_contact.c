#include "core/jp_contact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/text.h"
#include "core/validate.h"

/* Characters people type between the groups of a number: NFKC leaves these as they are.
 * U+2010–2015 hyphens and dashes, U+2212 minus, U+30FC katakana prolonged sound mark (typed
 * for a dash on Japanese keyboards; NFKC also maps half-width U+FF70 to it), U+301C wave dash. */
static int is_dash_like(utf8proc_int32_t cp)
{
	return cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0x30FC || cp == 0x301C;
}

/* NFKC-normalises in, then copies digits to out and separators as single '-'. A leading "+81"
 * becomes "0". Returns 0, or -1 on a character that is neither. */
static int digits_and_dashes(const char *in, char *out, size_t outlen, int allow_plus81, int skip_postal_mark)
{
	char *norm = text_normalize(in);
	if (norm == NULL)
		return -2;
	size_t n = 0;
	int pending_dash = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)norm;
	if (allow_plus81 && strncmp(norm, "+81", 3) == 0) {
		/* +81 3 1234 5678 and +81-(0)3-… : the country code replaces the trunk prefix 0. */
		out[n++] = '0';
		p += 3;
		while (*p == ' ' || *p == '-' || *p == '(')
			p++;
		if (p[0] == '0' && p[1] == ')')
			p += 2;
		while (*p == ' ' || *p == '-' || *p == ')')
			p++;
	}
	if (skip_postal_mark && strncmp((const char *)p, "\xE3\x80\x92", 3) == 0) /* 〒 U+3012 */
		p += 3;
	int rc = 0;
	while (*p) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(p, -1, &cp);
		if (len < 0) {
			rc = -2;
			break;
		}
		p += len;
		if (cp >= '0' && cp <= '9') {
			if (pending_dash && n > 0 && n + 1 < outlen)
				out[n++] = '-';
			pending_dash = 0;
			if (n + 1 >= outlen) {
				rc = -1;
				break;
			}
			out[n++] = (char)cp;
		} else if (cp == ' ' && skip_postal_mark) {
			/* 〒 150 0001: spaces in a postal code carry nothing. */
		} else if (is_dash_like(cp) || cp == ' ' || (!skip_postal_mark && (cp == '(' || cp == ')'))) {
			pending_dash = 1;
		} else {
			rc = -1;
			break;
		}
	}
	out[n] = '\0';
	free(norm);
	return rc;
}

const char *jp_phone_normalize(const char *in, char *out, size_t outlen)
{
	char buf[64];
	int rc = digits_and_dashes(in, buf, sizeof buf, 1, 0);
	out[0] = '\0';
	if (rc == -2)
		return "text_encoding";
	if (rc != 0 || buf[0] == '\0' || validate_phone(buf) != NULL || strlen(buf) >= outlen)
		return "phone_format";
	snprintf(out, outlen, "%s", buf);
	return NULL;
}

const char *jp_postal_normalize(const char *in, char *out, size_t outlen)
{
	char buf[32];
	int rc = digits_and_dashes(in, buf, sizeof buf, 0, 1);
	out[0] = '\0';
	if (rc == -2)
		return "text_encoding";
	if (rc != 0 || outlen < 9)
		return "postal_format";
	char digits[8];
	size_t nd = 0;
	for (const char *p = buf; *p; p++) {
		if (*p == '-') {
			/* One separator, after the third digit (郵便番号: 3 digits, hyphen, 4 digits). */
			if (nd != 3 || p[1] == '\0')
				return "postal_format";
			continue;
		}
		if (nd == 7)
			return "postal_format";
		digits[nd++] = *p;
	}
	if (nd != 7)
		return "postal_format";
	snprintf(out, outlen, "%.3s-%.4s", digits, digits + 3);
	return NULL;
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
