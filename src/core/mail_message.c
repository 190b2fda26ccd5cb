/* Building an Internet Message Format text (the standards are listed in mail_message.h). */
#include "core/mail_message.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "core/text.h"

/* RFC 2047 §2: an encoded-word is at most 75 characters; "=?UTF-8?B?" and "?=" take 12, so
 * 63 characters of base64 remain, which carry at most 45 bytes (15 groups of three). */
#define EW_MAX_BYTES 45

static bool plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* Length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

static void put_base64(strbuf *b, const unsigned char *bytes, size_t n)
{
	char out[128];
	while (n > 0) {
		size_t take = n > 57 ? 57 : n;  /* 57 bytes: one 76-character line */
		sodium_bin2base64(out, sizeof out, bytes, take, sodium_base64_VARIANT_ORIGINAL);
		strbuf_puts(b, out);
		bytes += take;
		n -= take;
		if (n > 0)
			strbuf_puts(b, "\r\n");
	}
}

char *mail_header_encode(const char *text, size_t used)
{
	strbuf b = {0};
	if (plain_ascii(text) && used + strlen(text) <= 78) {
		strbuf_puts(&b, text);
		return strbuf_finish(&b);
	}
	const unsigned char *p = (const unsigned char *)text;
	size_t left = strlen(text);
	bool first = true;
	while (left > 0) {
		/* Take whole characters up to EW_MAX_BYTES. */
		size_t take = 0;
		while (take < left) {
			size_t n = utf8_len(p[take]);
			if (take + n > EW_MAX_BYTES || take + n > left)
				break;
			take += n;
		}
		if (take == 0)
			take = left < EW_MAX_BYTES ? left : EW_MAX_BYTES;
		char ew[80];
		sodium_bin2base64(ew, sizeof ew, p, take, sodium_base64_VARIANT_ORIGINAL);
		/* Encoded-words on separate lines: the whitespace between them is not displayed
		 * (RFC 2047 §6.2), so the text reads unbroken. */
		if (!first)
			strbuf_puts(&b, "\r\n ");
		strbuf_printf(&b, "=?UTF-8?B?%s?=", ew);
		first = false;
		p += take;
		left -= take;
	}
	return strbuf_finish(&b);
}

static bool header_safe(const char *s)
{
	return s != NULL && s[0] != '\0' && strpbrk(s, "\r\n<>") == NULL;
}

char *mail_message_build(const mail_message_in *in, char *err, size_t errlen)
{
	if (!header_safe(in->from_address) || !header_safe(in->to_address) || !header_safe(in->message_id) ||
	    in->subject == NULL || in->subject[0] == '\0' || strpbrk(in->subject, "\r\n") != NULL ||
	    (in->from_name && strpbrk(in->from_name, "\r\n") != NULL)) {
		snprintf(err, errlen, "an address, the subject or the message id is empty or holds a line break");
		return NULL;
	}
	if (text_char_count(in->subject) < 0 || text_char_count(in->body_text) < 0 ||
	    (in->from_name && text_char_count(in->from_name) < 0)) {
		snprintf(err, errlen, "the subject or body is not valid UTF-8");
		return NULL;
	}
	time_t t = (time_t)in->date;
	struct tm tm;
	gmtime_r(&t, &tm);
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	strbuf b = {0};
	strbuf_printf(&b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
	              months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	strbuf_puts(&b, "From: ");
	if (in->from_name && in->from_name[0]) {
		/* An ASCII display name could hold specials (RFC 5322 §3.2.3); encoding it always
		 * avoids quoting rules. */
		char *name = plain_ascii(in->from_name) && strpbrk(in->from_name, "()<>[]:;@\\,.\"") == NULL
		                     ? mail_header_encode(in->from_name, 6)
		                     : mail_header_encode(in->from_name, 200);
		strbuf_puts(&b, name ? name : "");
		strbuf_puts(&b, " ");
		free(name);
	}
	strbuf_printf(&b, "<%s>\r\n", in->from_address);
	strbuf_printf(&b, "To: <%s>\r\n", in->to_address);
	char *subject = mail_header_encode(in->subject, 9);
	strbuf_printf(&b, "Subject: %s\r\n", subject ? subject : "");
	free(subject);
	strbuf_printf(&b, "Message-ID: <%s>\r\n", in->message_id);
	strbuf_puts(&b, "MIME-Version: 1.0\r\n"
	                "Content-Type: text/plain; charset=UTF-8\r\n"
	                "Content-Transfer-Encoding: base64\r\n"
	                "Auto-Submitted: auto-generated\r\n"
	                "\r\n");
	/* Canonical form: every line break CRLF, and the text ends with one. */
	strbuf canon = {0};
	for (const char *p = in->body_text; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			strbuf_put(&canon, "\r\n", 2);
		else
			strbuf_put(&canon, p, 1);
	}
	if (canon.len < 2 || memcmp(canon.data + canon.len - 2, "\r\n", 2) != 0)
		strbuf_put(&canon, "\r\n", 2);
	size_t canon_len = canon.len;
	char *canon_text = strbuf_finish(&canon);
	if (canon_text == NULL) {
		free(strbuf_finish(&b));
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	put_base64(&b, (const unsigned char *)canon_text, canon_len);
	strbuf_puts(&b, "\r\n");
	free(canon_text);
	char *msg = strbuf_finish(&b);
	if (msg == NULL)
		snprintf(err, errlen, "out of memory");
	return msg;
}
