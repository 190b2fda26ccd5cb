/* numfmt_g10 against snprintf("%.10g") and numfmt_u32 against "%u", byte for byte: edge
 * values picked by hand (zeros, powers of ten and their neighbours, ties at the tenth digit,
 * the ends of the double range, inf and nan), then millions of values from a fixed-seed
 * generator — random bit patterns, the range the signals CSV prints, and decimals with ten or
 * eleven digits read with strtod, which put the exact value on or next to a rounding tie. */
#include <fenv.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/numfmt.h"

static uint64_t rng_state;

/* splitmix64 (Steele, Lea, Flood 2014). */
static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double next_unit(void)
{
	return (double)(next_u64() >> 11) * 0x1p-53;
}

/* Whether numfmt_g10 writes what snprintf does for x and -x; if not, says how in msg. */
static bool g10_matches(double x, char msg[200])
{
	for (int sign = 0; sign < 2; sign++, x = -x) {
		char want[32], got[32];
		memset(got, 'X', sizeof got);
		int wn = snprintf(want, sizeof want, "%.10g", x);
		size_t n = numfmt_g10(got, x);
		if (wn < 0 || n != (size_t)wn || memcmp(got, want, (size_t)wn + 1) != 0) {
			snprintf(msg, 200, "%a (%.17g): expected \"%s\", got \"%.32s\" (length %zu)", x, x,
			         want, got, n);
			return false;
		}
	}
	return true;
}

/* x and -x. */
static void check_pm(double x)
{
	char msg[200];
	if (!g10_matches(x, msg))
		fail_msg("%s", msg);
}

static void check_neighbours(double x)
{
	check_pm(x);
	check_pm(nextafter(x, 0.0));
	check_pm(nextafter(x, INFINITY));
}

/* The double nearest to digits * 10^exp10. */
static double decimal(uint64_t digits, int exp10)
{
	char s[64];
	snprintf(s, sizeof s, "%" PRIu64 "e%d", digits, exp10);
	return strtod(s, NULL);
}

static void test_edge_values(void **state)
{
	(void)state;
	static const double values[] = { /* each with -x and both neighbours */
		0.0, 1.0, 0.1, 1e-5, 0.0001, 0.00001234, 0.000099999999995, 123456789.5, 9999999999.5,
		9999999999.4, 9999999998.5, 1234567890.5, 1234567891.5, 99999.99999, 99999.999995,
		1e10, 1e-10, 1e9, 999999999.95, 1.0000000005, 1.0000000015, 0.12345678905,
		0.5, 2.5, 1.5, 0.3, 2.0 / 3.0, 1.0 / 3.0, 12345.6789, 4294967295.0, 4294967296.0,
		5e-324, 2.2250738585072014e-308, DBL_MIN, DBL_MAX, DBL_EPSILON, 0x1p-59, 0x1p-60,
		0x1p90, 0x1p89, 0x1.fffffffffffffp89, 0x1.fffffffffffffp-60, 1e27, 1e-18, 9.9999999995e26,
		9.99999999949e26, 1.7e-18, 1.2e27, 1.5e-18, 3.14159265358979, 2.718281828459045,
		INFINITY, NAN,
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		check_neighbours(values[i]);

	/* Powers of ten and the last digits around them, in both notations. */
	for (int k = -30; k <= 30; k++) {
		check_neighbours(decimal(1, k));
		check_neighbours(decimal(99999999995, k - 11));
		check_neighbours(decimal(99999999994, k - 11));
		check_neighbours(decimal(10000000005, k - 10));
		check_neighbours(decimal(10000000015, k - 10));
	}
	/* Powers of two across the whole exponent range. */
	for (int k = -1074; k <= 1023; k++)
		check_neighbours(ldexp(1.0, k));
}

/* Any double at all: most exponents are outside the fast path's range. */
static void test_random_bits(void **state)
{
	(void)state;
	rng_state = 1;
	for (int i = 0; i < 1000000; i++) {
		uint64_t bits = next_u64();
		double x;
		memcpy(&x, &bits, sizeof x);
		check_pm(x);
	}
}

/* Random significands with exponents in and just around the fast path's range. */
static void test_random_bits_fast_range(void **state)
{
	(void)state;
	rng_state = 2;
	for (int i = 0; i < 1000000; i++) {
		uint64_t e2 = (uint64_t)(1023 - 64 + (int)(next_u64() % 160));
		uint64_t bits = (next_u64() & 0x800fffffffffffffu) | e2 << 52;
		double x;
		memcpy(&x, &bits, sizeof x);
		check_pm(x);
	}
}

/* What the signals CSV prints: statistics between 1e-6 and 1e7, uniform on a log scale. */
static void test_random_signal_range(void **state)
{
	(void)state;
	rng_state = 3;
	for (int i = 0; i < 2000000; i++) {
		double x = pow(10.0, -6.0 + 13.0 * next_unit());
		check_pm(x);
	}
}

/* Ten-digit decimals (the nearest double sits next to a 10-digit value, whose neighbours
 * have to be printed the same way) and eleven-digit ones ending in 5 (the double sits on
 * either side of the rounding tie, or on it when it is exact). */
static void test_random_decimals(void **state)
{
	(void)state;
	rng_state = 4;
	for (int i = 0; i < 500000; i++) {
		int exp10 = -30 + (int)(next_u64() % 61);
		uint64_t m10 = 1000000000u + next_u64() % 9000000000u;
		check_neighbours(decimal(m10, exp10 - 9));
		check_pm(decimal(m10 * 10 + 5, exp10 - 10));
	}
	/* Exact ties: a 10-digit integer plus one half, scaled by a power of two. */
	for (int i = 0; i < 200000; i++) {
		uint64_t m10 = 1000000000u + next_u64() % 9000000000u;
		check_pm(ldexp((double)m10 + 0.5, -40 + (int)(next_u64() % 80)));
	}
}

/* Values for the tests that change the floating-point environment: the signals range and a
 * few that round differently in each rounding mode. Restores nothing itself, so that the
 * caller can restore the environment before failing. */
static bool env_values_match(uint64_t seed, char msg[200])
{
	rng_state = seed;
	if (!g10_matches(1.00000000001, msg) || !g10_matches(9999999999.5, msg) ||
	    !g10_matches(0.12345678905, msg))
		return false;
	for (int i = 0; i < 20000; i++)
		if (!g10_matches(pow(10.0, -6.0 + 13.0 * next_unit()), msg))
			return false;
	return true;
}

/* Other rounding modes round differently in glibc's printf: numfmt_g10 must follow. */
static void test_rounding_modes(void **state)
{
	(void)state;
	static const int modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
	for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
		char msg[200];
		assert_int_equal(fesetround(modes[k]), 0);
		bool ok = env_values_match(5 + k, msg);
		assert_int_equal(fesetround(FE_TONEAREST), 0);
		if (!ok)
			fail_msg("rounding mode %d: %s", modes[k], msg);
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The x87 precision control at 53 bits (some runtimes set it so): long double arithmetic then
 * rounds like double and the fast path's error bound is gone; numfmt_g10 notices and leaves
 * every value to snprintf. */
static void test_x87_precision(void **state)
{
	(void)state;
	unsigned short cw, cw53;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	cw53 = (unsigned short)((cw & ~0x300u) | 0x200u);
	__asm__ volatile("fldcw %0" : : "m"(cw53));
	char msg[200];
	bool ok = env_values_match(8, msg);
	__asm__ volatile("fldcw %0" : : "m"(cw));
	if (!ok)
		fail_msg("53-bit x87 precision: %s", msg);
}
#endif

static void check_u32(uint32_t v)
{
	char want[16], got[16];
	memset(got, 'X', sizeof got);
	int wn = snprintf(want, sizeof want, "%u", v);
	size_t n = numfmt_u32(got, v);
	if (wn < 0 || n != (size_t)wn || memcmp(got, want, (size_t)wn + 1) != 0)
		fail_msg("%" PRIu32 ": expected \"%s\", got \"%.16s\" (length %zu)", v, want, got, n);
}

static void test_u32(void **state)
{
	(void)state;
	static const uint32_t values[] = {0, 1, 9, 10, 11, 99, 100, 999999999, 1000000000, UINT32_MAX - 1, UINT32_MAX};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		check_u32(values[i]);
	rng_state = 9;
	for (int i = 0; i < 1000000; i++) {
		uint64_t r = next_u64();
		check_u32((uint32_t)(r >> (r & 31))); /* all lengths, not mostly ten digits */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_values),         cmocka_unit_test(test_random_bits),
		cmocka_unit_test(test_random_bits_fast_range), cmocka_unit_test(test_random_signal_range),
		cmocka_unit_test(test_random_decimals),     cmocka_unit_test(test_rounding_modes),
		cmocka_unit_test(test_u32),
#if defined(__x86_64__) && defined(__GNUC__)
		cmocka_unit_test(test_x87_precision),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
