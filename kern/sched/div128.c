/* Integer arithmetic for the policies (and exosim's workloads): division of a 128-bit
 * product by a 64-bit divisor, as the kernel is freestanding, with no compiler library to
 * provide __udivti3, so C's 128-bit division cannot be used there (products are 128-bit,
 * they may exceed 2^64; quotients must fit 64 bits); weighted virtual time. */
#include "sched.h"

uint64_t
sched_div128(unsigned __int128 n, uint64_t d)
{
	unsigned __int128 rem = 0;
	uint64_t q = 0;

	if ((uint64_t)(n >> 64) == 0)
		return (uint64_t)n / d; /* the common case: one 64-bit division */
	/* Restoring long division, one bit at a time; only the low 64 quotient bits are kept. */
	for (int i = 127; i >= 0; i--) {
		rem = (rem << 1) | (uint64_t)((n >> i) & 1);
		q <<= 1;
		if (rem >= d) {
			rem -= d;
			q |= 1;
		}
	}
	return q;
}

uint64_t
sched_vtime_advance(uint64_t ran, uint64_t weight, uint64_t *vrem)
{
	unsigned __int128 v = (unsigned __int128)ran * SCHED_NICE0_WEIGHT + *vrem;
	uint64_t dv = sched_div128(v, weight);

	*vrem = (uint64_t)(v - (unsigned __int128)dv * weight);
	return dv;
}
