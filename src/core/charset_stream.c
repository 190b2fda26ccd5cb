/* UTF-8 or Shift_JIS (CP932), decided from the bytes.
 *
 * The rule: bytes up to the first one above 0x7F are ASCII, the same in both encodings, and
 * pass on as they are. The line that holds that byte decides (held back up to its LF, at most
 * DECIDE_MAX bytes, or to the end of the stream):
 *  - valid UTF-8 (RFC 3629: shortest forms, no surrogates, at most U+10FFFF), a byte order
 *    mark included: the stream is UTF-8 and every byte passes on unchanged; the reader checks
 *    the rest, so a later line in another encoding is its error;
 *  - else, at the very start, a UTF-16 byte order mark (FF FE or FE FF): CHARSET_FAIL_UTF16;
 *  - else CP932, converted with iconv(3) from "CP932" to "UTF-8", strictly: a sequence CP932
 *    does not define (0xA0, 0xFD-0xFF, an unassigned pair such as 85 40, a lead byte without
 *    its trail at the end) fails, as CHARSET_FAIL_UNKNOWN on the deciding line and
 *    CHARSET_FAIL_CP932 after it.
 * CP932 is Microsoft's Shift_JIS: JIS X 0208 plus the NEC special characters (①, ㈱, Roman
 * numerals) and IBM extensions that Windows software writes; plain "SHIFT_JIS" would refuse
 * them. Shift_JIS text is rarely valid UTF-8: its lead bytes 0x81-0x9F are UTF-8 continuation
 * bytes, so 日時 (93 FA 8E 9E) or 温度 (89 B7 93 78) fail at their first byte.
 * Line numbers count LF bytes: a CP932 trail byte is 0x40-0xFC, never an LF. */
#include "core/charset_stream.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum {
	DECIDE_MAX = 4096,  /* bytes of the deciding line held back */
	OUT_CHUNK = 4096,   /* UTF-8 handed on per iconv call (a CP932 byte gives at most 3) */
};

struct charset_stream {
	charset_sink_fn sink;
	void *ctx;
	charset decided;
	int status;                  /* 0, 1 stopped by the sink, -1 failed */
	charset_failure failure;
	long line;                   /* the line of the next byte, 1-based */
	size_t passed;               /* bytes consumed so far (before the held ones) */
	char held[DECIDE_MAX];       /* the deciding line, from its first non-ASCII byte */
	size_t held_len;
	iconv_t cd;                  /* CP932 -> UTF-8, once decided */
	char carry[4];               /* a CP932 character split between two feeds */
	size_t carry_len;
};

/* Length of the valid UTF-8 prefix of s[0..n). utf8proc_iterate refuses overlong forms,
 * surrogates, code points above U+10FFFF and a sequence cut short by n. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (len <= 0)
			return i;
		i += (size_t)len;
	}
	return i;
}

/* Is the held line UTF-8? When it was cut at DECIDE_MAX (not complete), a character cut in
 * two at the end is allowed: at most 3 bytes, a lead byte and continuation bytes. */
static bool held_is_utf8(const charset_stream *s, bool complete)
{
	const unsigned char *u = (const unsigned char *)s->held;
	size_t ok = utf8_valid_prefix(u, s->held_len);
	if (ok == s->held_len)
		return true;
	if (complete || s->held_len - ok > 3 || u[ok] < 0xC2 || u[ok] > 0xF4)
		return false;
	for (size_t i = ok + 1; i < s->held_len; i++)
		if ((u[i] & 0xC0) != 0x80)
			return false;
	return true;
}

static void fail(charset_stream *s, charset_failure why)
{
	s->status = -1;
	s->failure = why;
}

static int hand_on(charset_stream *s, const char *text, size_t len)
{
	if (len > 0 && s->sink(s->ctx, text, len) != 0)
		s->status = 1;
	return s->status;
}

static void count_lines(charset_stream *s, const char *p, size_t n)
{
	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
		s->line++;
}

/* Converts CP932 bytes and hands them on; an incomplete character at the end is carried to
 * the next feed. deciding: the bytes are the deciding line (its failure is UNKNOWN). */
static int convert(charset_stream *s, const char *data, size_t len, bool deciding)
{
	char out[OUT_CHUNK];
	/* First the carried lead byte with what completes it: one call on a small buffer. */
	while (s->carry_len > 0 && len > 0 && s->status == 0) {
		s->carry[s->carry_len++] = *data++;
		len--;
		char *in = s->carry, *o = out;
		size_t in_left = s->carry_len, out_left = sizeof out;
		size_t r = iconv(s->cd, &in, &in_left, &o, &out_left);
		if (r == (size_t)-1 && errno == EILSEQ) {
			fail(s, deciding ? CHARSET_FAIL_UNKNOWN : CHARSET_FAIL_CP932);
			return -1;
		}
		count_lines(s, s->carry, (size_t)(in - s->carry));
		memmove(s->carry, in, in_left);
		s->carry_len = in_left;
		if (s->carry_len >= sizeof s->carry - 1) {
			fail(s, CHARSET_FAIL_CP932);  /* no CP932 character is this long */
			return -1;
		}
		if (hand_on(s, out, (size_t)(o - out)) != 0)
			return s->status;
	}
	char *in = (char *)(uintptr_t)data;  /* iconv's prototype is not const; it does not write the input */
	size_t in_left = len;
	while (in_left > 0 && s->status == 0) {
		char *o = out, *start = in;
		size_t out_left = sizeof out;
		size_t r = iconv(s->cd, &in, &in_left, &o, &out_left);
		int e = errno;
		count_lines(s, start, (size_t)(in - start));
		if (hand_on(s, out, (size_t)(o - out)) != 0)
			return s->status;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e == EINVAL && in_left < sizeof s->carry) {
			memcpy(s->carry, in, in_left);
			s->carry_len = in_left;
			return 0;
		}
		fail(s, deciding ? CHARSET_FAIL_UNKNOWN : CHARSET_FAIL_CP932);
		return -1;
	}
	return s->status;
}

/* Decides from the held line and hands it on. complete: it ended with an LF or the stream. */
static int decide(charset_stream *s, bool complete)
{
	if (held_is_utf8(s, complete)) {
		s->decided = CHARSET_UTF8;
		return hand_on(s, s->held, s->held_len);
	}
	const unsigned char *u = (const unsigned char *)s->held;
	if (s->passed == 0 && s->held_len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		fail(s, CHARSET_FAIL_UTF16);
		return -1;
	}
	s->cd = iconv_open("UTF-8", "CP932");
	if (s->cd == (iconv_t)-1) {
		fail(s, CHARSET_FAIL_UNAVAILABLE);
		return -1;
	}
	s->decided = CHARSET_CP932;
	if (convert(s, s->held, s->held_len, true) != 0)
		return s->status;
	if (complete && s->carry_len > 0) {
		fail(s, CHARSET_FAIL_UNKNOWN);  /* a lead byte without its trail */
		return -1;
	}
	return 0;
}

charset_stream *charset_stream_new(charset_sink_fn sink, void *ctx)
{
	charset_stream *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->sink = sink;
	s->ctx = ctx;
	s->line = 1;
	s->cd = (iconv_t)-1;
	return s;
}

void charset_stream_free(charset_stream *s)
{
	if (s == NULL)
		return;
	if (s->cd != (iconv_t)-1)
		iconv_close(s->cd);
	free(s);
}

int charset_stream_feed(charset_stream *s, const char *data, size_t len)
{
	if (s->status != 0)
		return s->status;
	if (s->decided == CHARSET_UTF8)
		return hand_on(s, data, len);
	if (s->decided == CHARSET_CP932)
		return convert(s, data, len, false);
	size_t i = 0;
	if (s->held_len == 0) {
		/* ASCII passes on until the first byte above 0x7F. */
		while (i < len && (unsigned char)data[i] < 0x80)
			i++;
		count_lines(s, data, i);
		s->passed += i;
		if (hand_on(s, data, i) != 0 || i == len)
			return s->status;
	}
	/* Hold the rest of that line. */
	while (i < len && s->held_len < DECIDE_MAX) {
		char c = data[i++];
		s->held[s->held_len++] = c;
		if (c == '\n')
			break;
	}
	bool line_done = s->held[s->held_len - 1] == '\n';
	if (!line_done && s->held_len < DECIDE_MAX)
		return 0;  /* i == len: wait for more */
	if (decide(s, line_done) != 0)
		return s->status;
	return charset_stream_feed(s, data + i, len - i);
}

int charset_stream_finish(charset_stream *s)
{
	if (s->status != 0)
		return s->status;
	if (s->decided == CHARSET_UNDECIDED && s->held_len > 0)
		return decide(s, true);
	if (s->decided == CHARSET_CP932 && s->carry_len > 0) {
		fail(s, CHARSET_FAIL_CP932);
		return -1;
	}
	return 0;
}

charset charset_stream_charset(const charset_stream *s)
{
	return s->decided;
}

charset_failure charset_stream_failure(const charset_stream *s, long *line)
{
	if (line != NULL)
		*line = s->line;
	return s->failure;
}
