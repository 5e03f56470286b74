/* lib/fastpath: time in cycles of the partition's clock behind a caller-supplied function,
 * so the library stays portable: the LibOS passes rdtsc (x86, outside lib/fastpath),
 * exosim its simulated clock, host tests a counter or clock_gettime. */
#ifndef EXOLAB_FP_TIME_H
#define EXOLAB_FP_TIME_H

#include <stdint.h>

struct fp_clock {
	uint64_t (*now)(void *ctx); /* monotonic cycles (the TSC on x86) */
	void *ctx;
	uint64_t hz; /* cycles per second, 0 when unknown (times then print in cycles) */
};

static inline uint64_t
fp_now(const struct fp_clock *c)
{
	return c->now(c->ctx);
}

/* Cycles to nanoseconds without overflow for any cycle count below 2^64 / 10^9 * hz:
 * whole seconds and the remainder are converted apart. */
static inline uint64_t
fp_cycles_to_ns(uint64_t cycles, uint64_t hz)
{
	if (hz == 0)
		return cycles;
	return cycles / hz * 1000000000u + cycles % hz * 1000000000u / hz;
}

#endif
