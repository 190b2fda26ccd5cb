#include "core/validate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <utf8proc.h>

#include "core/roles.h"
#include "core/text.h"

const char *validate_email(const char *s)
{
	size_t len = strlen(s);
	if (len < 3 || len > 254)
		return "email_format";
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return "email_format";
	const char *domain = at + 1;
	if (*domain == '\0' || *domain == '.' || strchr(domain, '.') == NULL || s[len - 1] == '.')
		return "email_format";
	if (strstr(domain, "..") != NULL)
		return "email_format";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* ASCII only, no spaces or quoting: what a clinic can actually mail to. */
		if (*p <= 0x20 || *p >= 0x7F || *p == '"' || *p == '(' || *p == ')' || *p == ',' || *p == ':' ||
		    *p == ';' || *p == '<' || *p == '>' || *p == '[' || *p == ']' || *p == '\\')
			return "email_format";
	}
	return NULL;
}

const char *validate_password(const char *s)
{
	long n = text_char_count(s);
	if (n < 0)
		return "text_encoding";
	if (n < PASSWORD_MIN_CHARS)
		return "password_short";
	if (n > PASSWORD_MAX_CHARS)
		return "password_long";
	return NULL;
}

int date_is_valid(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int max = days[m - 1] + (m == 2 && leap);
	return d <= max;
}

const char *validate_birth_date(const char *s, int64_t now)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return "date_format";
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return "date_format";
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (!date_is_valid(y, m, d))
		return "date_invalid";
	time_t t = (time_t)now;
	struct tm today;
	gmtime_r(&t, &today);
	char today_s[11];
	strftime(today_s, sizeof today_s, "%Y-%m-%d", &today);
	if (strcmp(s, today_s) >= 0)
		return "date_not_past";
	return NULL;
}

const char *validate_sex(const char *s)
{
	if (strcmp(s, "female") == 0 || strcmp(s, "male") == 0 || strcmp(s, "other") == 0)
		return NULL;
	return "sex_value";
}

const char *validate_kana(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	if (*p == '\0')
		return "kana_format";
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n < 0)
			return "text_encoding";
		/* Katakana block (incl. ー and ・), plus spaces between family and given name. */
		int ok = (cp >= 0x30A0 && cp <= 0x30FF) || cp == ' ' || cp == 0x3000;
		if (!ok)
			return "kana_format";
		p += n;
	}
	return NULL;
}

const char *validate_phone(const char *s)
{
	int digits = 0;
	if (s[0] != '0')
		return "phone_format";
	for (const char *p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p != '-' || p[1] == '-' || p[1] == '\0')
			return "phone_format";
	}
	/* Mobile, IP and pager numbers (050, 070, 080, 090, 020) have 11 digits; landlines 10. */
	int eleven = s[1] != '0' && s[1] != '-' && strchr("25789", s[1]) != NULL && s[2] == '0';
	return digits == (eleven ? 11 : 10) ? NULL : "phone_format";
}

const char *validate_postal_code(const char *s)
{
	if (strlen(s) != 8 || s[3] != '-')
		return "postal_format";
	for (int i = 0; i < 8; i++)
		if (i != 3 && !isdigit((unsigned char)s[i]))
			return "postal_format";
	return NULL;
}

/* The characters validate_normalize_phone reads as a hyphen (see validate.h for where each
 * comes from). */
static bool is_hyphen_like(utf8proc_int32_t cp)
{
	return cp == '-' || cp == 0x30FC || cp == 0x2212 || (cp >= 0x2010 && cp <= 0x2015) || cp == 0xFE58 ||
	       cp == 0x2043;
}

char *validate_normalize_phone(const char *s)
{
	/* Never longer than s: every replaced character is one byte or more, '-' is one. */
	char *out = malloc(strlen(s) + 1);
	if (out == NULL)
		return NULL;
	char *w = out;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n < 0) {
			free(out);
			return NULL;
		}
		if (is_hyphen_like(cp)) {
			*w++ = '-';
		} else {
			memcpy(w, p, (size_t)n);
			w += n;
		}
		p += n;
	}
	*w = '\0';
	return out;
}

char *validate_normalize_postal_code(const char *s)
{
	static const char postal_mark[] = "\xE3\x80\x92"; /* 〒 U+3012 */
	if (strncmp(s, postal_mark, 3) == 0) {
		s += 3;
		while (*s == ' ')
			s++;
	}
	char *out = validate_normalize_phone(s);
	if (out == NULL || strlen(out) != 7)
		return out;
	for (int i = 0; i < 7; i++)
		if (!isdigit((unsigned char)out[i]))
			return out;
	char *hyphenated = malloc(9);
	if (hyphenated != NULL)
		snprintf(hyphenated, 9, "%.3s-%.4s", out, out + 3);
	free(out);
	return hyphenated;
}

const char *validate_staff_role(const char *s)
{
	user_role r = role_from_name(s);
	return (r & ROLE_STAFF) ? NULL : "role_value";
}

const char *validate_file_name(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return "empty";
	if (len > FILE_NAME_MAX_BYTES)
		return "too_long";
	if (strstr(s, "..") != NULL)
		return "filename_chars";
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n < 0)
			return "text_encoding";
		/* Bidirectional embeddings, overrides and isolates (U+202A-E, U+2066-9) count as
		 * control characters here: "cod.exe" shown as "exe.doc" is the trick they allow. */
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == '/' || cp == '\\')
			return "filename_chars";
		p += n;
	}
	return NULL;
}
