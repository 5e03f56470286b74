/* Division of a 128-bit product by a 64-bit divisor for the policies: the kernel is
 * freestanding, with no compiler library to provide __udivti3, so C's 128-bit division
 * cannot be used there.  Products are 128-bit (they may exceed 2^64); quotients must fit
 * 64 bits. */
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
