/* lib/fastpath: the ring's private helpers (ring.c), in a header so that a lab-6 handout,
 * whose stubs do not call them yet, still builds without unused-function warnings. */
#ifndef EXOLAB_FP_RING_UTIL_H
#define EXOLAB_FP_RING_UTIL_H

#include "fp_ring.h"
#include "xstring.h"

/* Of n items from index `at` on, how many lie before the end of the slot array (the rest
 * wrap around to slot 0). */
static inline uint32_t
ring_run(const struct fp_ring *r, uint32_t at, uint32_t n)
{
	uint32_t room = r->mask + 1 - (at & r->mask);

	return n < room ? n : room;
}

static inline void
ring_copy_in(struct fp_ring *r, uint32_t at, const void *items, uint32_t n)
{
	size_t ss = r->slot_size, first = ring_run(r, at, n);
	const uint8_t *b = items;

	memcpy(r->slots + (at & r->mask) * ss, b, first * ss);
	memcpy(r->slots, b + first * ss, (n - first) * ss);
}

static inline void
ring_copy_out(const struct fp_ring *r, uint32_t at, void *items, uint32_t n)
{
	size_t ss = r->slot_size, first = ring_run(r, at, n);
	uint8_t *b = items;

	memcpy(b, r->slots + (at & r->mask) * ss, first * ss);
	memcpy(b + first * ss, r->slots, (n - first) * ss);
}

/* The other side's index is only believable if it leaves 0 ... nslots items in the ring. */
static inline bool
ring_sane(struct fp_ring *r, uint32_t tail, uint32_t head)
{
	if (tail - head > r->mask + 1)
		r->corrupt = true;
	return !r->corrupt;
}

#endif
