/* The simulations' random numbers: splitmix64 (Steele, Lea, Flood 2014) from a seed the test
 * fixes, so every run on every machine draws the same numbers (nothing depends on the date). */
#ifndef EXOSAFE_SIM_PRNG_H
#define EXOSAFE_SIM_PRNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
	uint64_t state;
} sim_prng;

static inline uint64_t sim_next_u64(sim_prng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double sim_unit(sim_prng *rng)
{
	return (double)(sim_next_u64(rng) >> 11) * 0x1p-53;
}

/* Exponential with the given rate (> 0): the wait to the next event of a Poisson process. */
static inline double sim_exponential(sim_prng *rng, double rate)
{
	return -log1p(-sim_unit(rng)) / rate;
}

#endif
