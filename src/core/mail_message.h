/* One outbox message as it goes to the SMTP relay: an Internet Message Format text.
 *
 *   RFC 5322 (Internet Message Format): CRLF line ends; Date as "Thu, 03 Dec 2026 20:31:00
 *     +0000" (§3.3); From, To, Subject, Message-ID (§3.6); header lines folded below 78
 *     characters (§2.1.1, §2.2.3).
 *   RFC 2047 (MIME Part Three): a subject or display name that is not plain ASCII becomes
 *     encoded-words "=?UTF-8?B?...?=", each at most 75 characters (§2), split only between
 *     whole UTF-8 characters (§5 rule 3), on folded lines.
 *   RFC 2045 / 2046 (MIME): MIME-Version: 1.0; Content-Type: text/plain; charset=UTF-8; the
 *     body in canonical form (CRLF line breaks, RFC 2046 §4.1.1) then base64 in lines of 76
 *     characters (RFC 2045 §6.8).
 *   RFC 3834 §5: Auto-Submitted: auto-generated, so vacation responders do not answer.
 * Pure: no I/O. */
#ifndef EXOSAFE_MAIL_MESSAGE_H
#define EXOSAFE_MAIL_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mail_message_in {
	const char *from_address;   /* plain address */
	const char *from_name;      /* display name (UTF-8), may be NULL */
	const char *to_address;
	const char *subject;        /* UTF-8, one line */
	const char *body_text;      /* UTF-8, LF or CRLF line ends */
	int64_t date;               /* unix seconds, written as UTC */
	const char *message_id;     /* without the angle brackets: "id@domain" */
} mail_message_in;

/* Builds the message text. Returns a NUL-terminated heap string (the caller frees), or NULL
 * with the reason in err: an address or subject holding CR, LF or angle brackets, or text
 * that is not valid UTF-8. */
char *mail_message_build(const mail_message_in *in, char *err, size_t errlen);

/* Appends the RFC 2047 form of text to a header whose line already holds used characters:
 * written as is when it is printable ASCII and fits, as encoded-words otherwise. Exposed for
 * the tests. Returns a heap string (the caller frees) or NULL when out of memory. */
char *mail_header_encode(const char *text, size_t used);

#endif
