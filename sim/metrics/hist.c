/* Log-linear histogram (see hist.h). */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Values below 2 * HIST_SUB have their own bucket; above, a value with top bit b lands in
 * band b - HIST_SUB_BITS + 1, each band HIST_SUB buckets of width 2^(b - HIST_SUB_BITS). */
static unsigned
bucket_of(uint64_t v)
{
	unsigned shift;

	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	shift = 63 - (unsigned)__builtin_clzll(v) - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned)(v >> shift) - HIST_SUB;
}

/* The midpoint of bucket i: its low end plus half its width, rounded down. */
static uint64_t
bucket_mid(unsigned i)
{
	unsigned shift;

	if (i < 2 * HIST_SUB)
		return i;
	shift = i / HIST_SUB - 1;
	return ((uint64_t)(i % HIST_SUB + HIST_SUB) << shift) + (((uint64_t)1 << shift) - 1) / 2;
}

int
hist_add(struct hist *h, uint64_t v)
{
	unsigned b = bucket_of(v);
	uint64_t **pg = &h->page[b / HIST_SUB];

	if (!*pg && !(*pg = calloc(HIST_SUB, sizeof(**pg))))
		return -1;
	(*pg)[b % HIST_SUB]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	return 0;
}

uint64_t
hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (p >= 100 || rank >= h->count)
		return h->max; /* the largest sample is known exactly */
	for (unsigned pg = 0; pg < HIST_PAGES; pg++) {
		if (!h->page[pg])
			continue;
		for (unsigned i = 0; i < HIST_SUB; i++) {
			seen += h->page[pg][i];
			if (seen >= rank) {
				uint64_t v = bucket_mid(pg * HIST_SUB + i);
				return v < h->min ? h->min : v > h->max ? h->max : v;
			}
		}
	}
	return h->max;
}

void
hist_free(struct hist *h)
{
	for (unsigned i = 0; i < HIST_PAGES; i++)
		free(h->page[i]);
	memset(h, 0, sizeof(*h));
}
