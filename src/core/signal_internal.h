/* Hashing shared by signal.c (scoring, squashing) and signal_count.c (counting). */
#ifndef EXOSAFE_SIGNAL_INTERNAL_H
#define EXOSAFE_SIGNAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The splitmix64 finaliser: spreads every input bit over the word. */
static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return h;
}

static inline uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	/* The last 0..7 bytes in at most two loads (overlapping when n > 4): a byte-by-byte copy
	 * of a short tail was the largest cost of interning names at registry scale. n is in the
	 * seed, so the overlap cannot make two lengths collide. */
	uint64_t w = 0;
	if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		w = (uint64_t)lo | (uint64_t)hi << 32;
	} else if (n > 0) {
		w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 | (uint64_t)(unsigned char)s[n - 1] << 16;
	}
	return mix64(h ^ w);
}

#endif
