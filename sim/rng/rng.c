/* Deterministic random streams for exosim (see rng.h). */
#include "rng.h"

#include <math.h>

/* SplitMix64 step: used only to expand a 64-bit key into generator state, as the
 * xoshiro authors recommend (a zero state is impossible from it). */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* FNV-1a over the component name: stable across hosts and runs. */
static uint64_t
name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
rng_stream(struct rng *r, uint64_t seed, const char *component, uint64_t index)
{
	uint64_t key = seed;
	uint64_t mix = splitmix64(&key) ^ name_hash(component);

	mix ^= splitmix64(&mix) + index * 0xd1342543de82ef95ULL;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&mix);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t
rng_below(struct rng *r, uint64_t n)
{
	/* Reject the top partial range so every residue is equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do {
		x = rng_next(r);
	} while (x >= limit);
	return x % n;
}

double
rng_exp(struct rng *r, double mean)
{
	/* Inverse transform; 1 - u lies in (0, 1], so the log is finite. */
	return -mean * log(1.0 - rng_unit(r));
}
