/* "%.10g" and "%u" without printf. `exosafe signals` writes its CSV with ten significant
 * digits, some 17 million numbers for a registry-sized extract; glibc's printf spends about
 * 200 ns on each, most of it in arbitrary-precision arithmetic that ten digits of a double in
 * an ordinary range do not need.
 *
 * How numfmt_g10 stays exact. For a finite normal x = M·2^E with 1e-12 <= |x| < 1e9 or so
 * (every statistic the signals output prints but the largest χ²), it picks the decimal
 * exponent e of |x| and computes M·10^(9−e) exactly in 128-bit integers; shifting that right
 * by −E gives the ten digits and an exact remainder, so rounding to nearest (a tie to even,
 * as glibc rounds) is decided exactly (ten_digits_exact). Elsewhere in 2^-59 <= |x| < 2^90
 * (about 1.7e-18 to 1.2e27) it scales y = |x| * 10^(9-e) into [1e9, 1e10) in x87 long
 * double (64-bit significand). Every power 10^k with 0 <= k <= 27 is exact in long double
 * (5^27 < 2^63), and negative powers are applied by dividing by the exact 10^-k, so y is the
 * exact product rounded once: |y - exact| <= ulp(y)/2 = 2^-31 (y < 2^34). The ten digits are
 * the exact value rounded to an integer, as glibc rounds. If y's distance from the nearest
 * integer is at most 0.5 - 1e-6, the exact value, within 2^-31 of y, lies on the same side of
 * both neighbouring half-integers, so it rounds to the same integer; closer to a half-integer
 * we let snprintf decide. An e one too small or too large near a power of ten gives the same
 * digits either way (the value is then within 2^-31 of 1e9 or 1e10 and rounds to it).
 * Outside the range, for subnormals, inf and nan, when x87 arithmetic does not round to
 * nearest at 64 bits (printf then rounds otherwise too), or in a locale whose
 * decimal point is not "." it is always taken. */
#include "core/numfmt.h"

#include <float.h>
#include <langinfo.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static size_t g10_printf(char buf[32], double x)
{
	return (size_t)snprintf(buf, 32, "%.10g", x);
}

#if LDBL_MANT_DIG == 64 && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/* 10^k, exact in a 64-bit significand for every k here. */
static const long double pow10l_exact[28] = {
	1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
	1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
	1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/* |x| * 10^k rounded once (|k| <= 27). */
static long double scale10(long double ax, int k)
{
	return k >= 0 ? ax * pow10l_exact[k] : ax / pow10l_exact[-k];
}

/* The argument above needs x87 arithmetic that rounds to nearest with a 64-bit significand,
 * and glibc's printf rounds in the x87 rounding mode (what fegetround reads). 1 ± 3·2^-65 is
 * 1 ± 3/4 of an ulp: rounded to nearest it is 1 ± 2^-63; upward, downward or toward zero,
 * or with the precision control set below 64 bits, one of the two comes out differently.
 * This is cheaper than fegetround (its fnstcw costs about 5 ns) and checks the precision as
 * well. volatile keeps the compiler from evaluating it at compile time. */
static volatile long double three_quarter_ulp = 0x3p-65L;

static bool x87_rounds_to_nearest(void)
{
#if defined(__x86_64__) || defined(__i386__)
	/* The control word itself: rounding control (bits 10-11) to nearest, precision control
	 * (bits 8-9) at 64 bits. Reading it is one instruction; the arithmetic check below took
	 * a fifth of the function's time. */
	uint16_t cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return (cw & 0x0f00) == 0x0300;
#else
	long double q = three_quarter_ulp;
	return 1.0L + q == 1.0L + 0x1p-63L && -1.0L - q == -1.0L - 0x1p-63L;
#endif
}
/* The five digits of v < 100000, leading zeros included, as the low five bytes of a word
 * (the first digit lowest): built in a register, so that the word is not read back from
 * bytes just stored, which stalls store-to-load forwarding. */
static uint64_t digits5(uint32_t v)
{
	uint16_t p1, p2;
	uint32_t r = v % 10000;
	memcpy(&p1, digit_pairs + 2 * (r / 100), 2);
	memcpy(&p2, digit_pairs + 2 * (r % 100), 2);
	return (uint64_t)('0' + v / 10000) | (uint64_t)p1 << 8 | (uint64_t)p2 << 24;
}
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;

/* 10^k for 0 <= k <= 21: below 2^70, so a 53-bit significand times one fits in 123 bits. */
#define P19 UINT64_C(10000000000000000000)
static const u128 pow10_u128[22] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000u,
	100000000000u, 1000000000000u, 10000000000000u, 100000000000000u, 1000000000000000u,
	10000000000000000u, 100000000000000000u, 1000000000000000000u, P19, (u128)P19 * 10, (u128)P19 * 100,
};

/* The ten digits of a normal x = M·2^E with 1e-12 <= |x| < 2^53 in integers: y = M·10^(9−e)
 * is exact in 128 bits and y/2^−E is split into its integer part and an exact remainder, so
 * rounding to nearest (a tie to even, as printf rounds) needs no error bound and never
 * falls back. Sets *m (1e9 <= *m <= 1e10) and may raise *e by one; false when x is outside
 * that range (the long double path then decides). */
static bool ten_digits_exact(uint64_t bits, int e2, int *e, uint64_t *m)
{
	int E = e2 - 52, k = 9 - *e;
	if (E >= 0 || -E >= 128 || k < 1 || k > 21)
		return false;
	uint64_t M = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52;
	int shift = -E;
	u128 v = (u128)M * pow10_u128[k], q = v >> shift;
	if (q >= 10000000000u) {
		k--;
		v = (u128)M * pow10_u128[k];
		q = v >> shift;
		++*e;
	}
	u128 rem = v & (((u128)1 << shift) - 1), half = (u128)1 << (shift - 1);
	*m = (uint64_t)q + (rem > half || (rem == half && (q & 1)));
	return true;
}
#else
static bool ten_digits_exact(uint64_t bits, int e2, int *e, uint64_t *m)
{
	(void)bits, (void)e2, (void)e, (void)m;
	return false;
}
#endif

/* The digits of the ten in w0 (bytes 0-7) and w1 (bytes 8-9; bytes 10-15 are '0') up to
 * the last that is not '0' (the first is not): found a word at a time, with no loop whose
 * trip count a branch would have to guess. */
static int significant_digits(uint64_t w0, uint64_t w1)
{
	const uint64_t zeros = UINT64_C(0x3030303030303030), low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
	w0 ^= zeros;
	w1 ^= zeros;
	/* bit 7 of each byte that is not '0' (exact: no carry crosses a byte) */
	uint64_t nz0 = (((w0 & low7) + low7) | w0) & ~low7, nz1 = (((w1 & low7) + low7) | w1) & ~low7;
	if (nz1)
		return 8 + (63 - __builtin_clzll(nz1)) / 8 + 1;
	return (63 - __builtin_clzll(nz0)) / 8 + 1;
}
/* floor(e2 * log10(2)); 78913 / 2^18 is close enough to log10(2) for |e2| < 1000. */
static int floor_log10_pow2(int e2)
{
	int q = e2 * 78913;
	return q >= 0 ? q >> 18 : -((-q + (1 << 18) - 1) >> 18);
}

size_t numfmt_g10(char buf[32], double x)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof bits);
	char *p = buf;
	if (bits >> 63)
		*p++ = '-';
	if ((bits << 1) == 0) { /* 0 or -0 */
		*p++ = '0';
		*p = '\0';
		return (size_t)(p - buf);
	}
	/* For a normal x, 2^e2 <= |x| < 2^(e2+1). */
	int e2 = (int)((bits >> 52) & 0x7ff) - 1023;
	const char *radix;
	if (e2 < -59 || e2 > 89 || !x87_rounds_to_nearest() ||
	    (radix = nl_langinfo(RADIXCHAR))[0] != '.' || radix[1] != '\0')
		return g10_printf(buf, x);

	/* 10^e <= |x| < 10^(e+2), so y = |x|·10^(9-e) >= 1e9 and at most one step up is needed;
	 * e stays in [-18, 27], so 9 - e is within the tables. */
	int e = floor_log10_pow2(e2);
	uint64_t m;
	if (!ten_digits_exact(bits, e2, &e, &m)) {
		long double ax = (long double)(x < 0 ? -x : x);
		long double y = scale10(ax, 9 - e);
		if (y >= 1e10L) {
			e++;
			y = scale10(ax, 9 - e);
		}
		/* Adding 2^63, where the spacing of long doubles is 1, rounds y to an integer (to
		 * nearest, as checked above); the difference is then exact. */
		long double r = (y + 0x1p63L) - 0x1p63L;
		long double frac = y - r;
		if (frac > 0.5L - 1e-6L || frac < -(0.5L - 1e-6L) || r < 1e9L || r > 1e10L)
			return g10_printf(buf, x);
		m = (uint64_t)(double)r; /* an integer below 2^53: exact, and a fast conversion */
	}
	if (m == 10000000000u) { /* rounded up to the next power of ten */
		m = 1000000000u;
		e++;
	}

	/* Ten digits as two independent halves: a chain of ten 64-bit divisions by 10 took half
	 * the time of the whole function. d is padded with '0' to 32 bytes so that the copies
	 * below can be fixed-size moves, not calls: they may write past the number, within buf,
	 * and the terminating NUL goes after it. */
	uint64_t hi = digits5((uint32_t)(m / 100000)), lo = digits5((uint32_t)(m % 100000));
	uint64_t w0 = hi | lo << 40, w1 = lo >> 24 | UINT64_C(0x303030303030) << 16;
	char d[32];
	memcpy(d, &w0, 8);
	memcpy(d + 8, &w1, 8);
	memset(d + 16, '0', 16);
	int nd = significant_digits(w0, w1); /* once %g has dropped the trailing zeros */

	/* %g with precision 10: fixed notation when -4 <= e < 10, else d.ddde±XX. */
	if (e >= 0 && e < 10) {
		memcpy(p, d, 16);
		if (nd > e + 1) {
			p[e + 1] = '.';
			memcpy(p + e + 2, d + e + 1, 16);
			p += nd + 1;
		} else {
			p += e + 1;
		}
	} else if (e < 0 && e >= -4) {
		memcpy(p, "0.000", 5);
		p += 2 + (-e - 1);
		memcpy(p, d, 16);
		p += nd;
	} else {
		*p++ = d[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, d + 1, 16);
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = e < 0 ? '-' : '+';
		int ae = e < 0 ? -e : e; /* below 100 in this range; printf writes at least two digits */
		memcpy(p, digit_pairs + 2 * ae, 2);
		p += 2;
	}
	*p = '\0';
	return (size_t)(p - buf);
}

#else /* long double is not the x87 format (the error bound above does not hold), or the digits
       * are not little-endian words */

size_t numfmt_g10(char buf[32], double x)
{
	return g10_printf(buf, x);
}

#endif

size_t numfmt_u32(char buf[16], uint32_t v)
{
	char tmp[10];
	char *p = tmp + sizeof tmp; /* filled from the right, two digits at a time */
	while (v >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof tmp - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}
