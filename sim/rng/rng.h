/* Deterministic random streams for exosim: every random source is its own stream derived
 * from (run seed, component name, index), so adding a component never perturbs another. */
#ifndef EXOSIM_RNG_H
#define EXOSIM_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4]; /* xoshiro256** state (Blackman & Vigna, 2018) */
};

/* Seed a stream from the run seed and a component identity, e.g. ("task", 3). */
void rng_stream(struct rng *r, uint64_t seed, const char *component, uint64_t index);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rng_unit(struct rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Exponential with the given mean (> 0). */
double rng_exp(struct rng *r, double mean);

#endif
