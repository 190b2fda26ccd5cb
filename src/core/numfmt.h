/* Number formatting without printf, for output that prints millions of numbers (the CSV of
 * `exosafe signals`: ten significant digits and four counts a row). Each function writes
 * exactly the bytes the named printf conversion would, so the output does not change. */
#ifndef EXOSAFE_NUMFMT_H
#define EXOSAFE_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Writes exactly what snprintf(buf, 32, "%.10g", x) writes, NUL-terminated, and returns its
 * length (at most 17). Bytes after the NUL, within the 32, may be written too (the digits
 * are moved in fixed-size words): a caller writing into a larger buffer keeps 32 bytes free. Exact for every double, in any rounding mode and locale: the cases
 * the fast path cannot vouch for are handed to snprintf. */
size_t numfmt_g10(char buf[32], double x);

/* Writes v in decimal like "%u", NUL-terminated, and returns its length (at most 10). */
size_t numfmt_u32(char buf[16], uint32_t v);

#endif
