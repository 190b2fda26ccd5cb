/* A text stream in UTF-8 or Shift_JIS (CP932), handed on as UTF-8. Many Japanese temperature
 * loggers export CSV in Shift_JIS as Windows writes it (code page 932); the file does not say
 * which encoding it uses, so the stream decides from the bytes (the rule is in
 * charset_stream.c). Pure apart from iconv(3), a library call: the caller feeds bytes. */
#ifndef EXOSAFE_CHARSET_STREAM_H
#define EXOSAFE_CHARSET_STREAM_H

#include <stddef.h>

typedef struct charset_stream charset_stream;

typedef enum charset {
	CHARSET_UNDECIDED = 0,  /* only ASCII so far */
	CHARSET_UTF8,
	CHARSET_CP932,
} charset;

typedef enum charset_failure {
	CHARSET_FAIL_NONE = 0,
	CHARSET_FAIL_UTF16,       /* a UTF-16 byte order mark */
	CHARSET_FAIL_UNKNOWN,     /* the deciding line is neither UTF-8 nor CP932 */
	CHARSET_FAIL_CP932,       /* a later line of a CP932 file is not CP932 */
	CHARSET_FAIL_UNAVAILABLE, /* iconv has no CP932 converter (or memory ran out) */
} charset_failure;

/* Receives the text as UTF-8, in order, in pieces of any size. Return non-zero to stop. */
typedef int (*charset_sink_fn)(void *ctx, const char *utf8, size_t len);

/* Creates a stream that hands its text to sink. Returns NULL when memory runs out. */
charset_stream *charset_stream_new(charset_sink_fn sink, void *ctx);
void charset_stream_free(charset_stream *s);

/* Feeds the next bytes. Returns 0; 1 once the sink asked to stop (the rest is ignored); or -1
 * on bad input, with charset_stream_failure saying what and on which line (1-based, counting
 * LF bytes). Text before the bad byte has been handed on. */
int charset_stream_feed(charset_stream *s, const char *data, size_t len);
/* Ends the stream: hands on what was held back to decide. Same returns as feed. */
int charset_stream_finish(charset_stream *s);

/* The encoding decided so far. */
charset charset_stream_charset(const charset_stream *s);
/* Why the stream failed, and the line; CHARSET_FAIL_NONE while it has not. */
charset_failure charset_stream_failure(const charset_stream *s, long *line);

#endif
