/* Text normalisation shared by every input path. */
#ifndef EXOSAFE_TEXT_H
#define EXOSAFE_TEXT_H

#include <stddef.h>

/* Returns a newly allocated NFKC-normalised copy of the UTF-8 string in, with leading and
 * trailing white space (ASCII and U+3000 ideographic space) removed. The caller frees it.
 * Returns NULL when in is not valid UTF-8 or memory runs out. */
char *text_normalize(const char *in);

/* Returns the number of code points in the valid UTF-8 string s, or -1 when it is invalid. */
long text_char_count(const char *s);

/* Returns 1 when s is valid UTF-8 with no control characters (tab and newline allowed when
 * allow_newlines), else 0. */
int text_is_clean(const char *s, int allow_newlines);

#endif
