/* What the harnesses share: where the real data files are, a fixed "now", and a
 * deterministic way to cut an input into chunks. Header-only: each harness is one program. */
#ifndef EXOSAFE_FUZZ_COMMON_H
#define EXOSAFE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry points: the first in every harness, the second in those that need it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The source tree (meson passes it), for data/ and tests/data/. */
#ifndef EXOSAFE_SOURCE_ROOT
#define EXOSAFE_SOURCE_ROOT "."
#endif
#define FUZZ_DATA_DIR EXOSAFE_SOURCE_ROOT "/data"

/* "now" for every harness: fixed (2027-01-01T00:00:00Z), so that an input found once
 * behaves the same when replayed any later day. */
#define FUZZ_NOW INT64_C(1798761600)
#define FUZZ_TODAY "2027-01-01"

/* Stops the run on a broken property: libFuzzer records the input as a crash. */
#define FUZZ_CHECK(cond)                                                                         \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	} while (0)

/* The next chunk length (1..max) from a seed: a small xorshift, so that the same input is
 * always cut the same way. */
static inline size_t fuzz_next_chunk(uint32_t *seed, size_t max)
{
	uint32_t x = *seed ? *seed : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return 1 + (size_t)(x % (max ? max : 1));
}

/* A seed from the input's bytes (FNV-1a). */
static inline uint32_t fuzz_seed(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

#endif
