/* Log-linear histogram of uint64 values (HDR-style): exact below 256, then every
 * power-of-two range split into 128 equal buckets, so a reported percentile is within
 * 1/256 (0.4%) of the true sample; bucket pages are allocated only when touched. */
#ifndef EXOSIM_HIST_H
#define EXOSIM_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB      (1u << HIST_SUB_BITS)    /* buckets per page */
#define HIST_PAGES    (64 - HIST_SUB_BITS + 1) /* covers all of uint64 */

struct hist {
	uint64_t *page[HIST_PAGES];
	uint64_t count;
	uint64_t min, max; /* exact; valid when count > 0 */
};

/* A zeroed struct hist is an empty histogram. */
/* Returns 0, or -1 when a bucket page cannot be allocated (the value is not counted). */
int hist_add(struct hist *h, uint64_t v);
/* Nearest-rank percentile, p in (0, 100]: the smallest recorded value v such that at least
 * p% of the samples are <= v, reported as its bucket's midpoint clamped to [min, max];
 * a rank that is the last sample (p = 100 always) gives max exactly.  0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
void hist_free(struct hist *h);

#endif
