/* lib/fastpath: the poll loop of a partition's core.  Each iteration polls every source once
 * and runs the handlers of what it found to completion (no queueing between stages, no
 * interrupts, no sleeping), then bumps a heartbeat in shared memory for the watchdog. */
#ifndef EXOLAB_FP_POLL_H
#define EXOLAB_FP_POLL_H

#include <stdint.h>

#include "fp_ring.h"

/* One thing to poll: a device queue (the driver's batch receive behind `poll`), a ring, ...
 * poll handles at most `budget` items to completion and returns how many it handled. */
struct fp_source {
	const char *name;
	uint32_t (*poll)(void *ctx, uint32_t budget);
	void *ctx;
	uint64_t items; /* handled so far, for statistics (written by the loop only) */
};

/* The words the partition shares with the host partition: the loop writes `heartbeat`, the
 * host writes `stop`.  Each on its own cache line: the host polls the heartbeat every
 * millisecond and must not slow the loop's stores by sharing a line the loop writes. */
struct fp_poll_shared {
	uint64_t heartbeat; /* iterations completed; the watchdog reads it */
	uint8_t pad0[FP_CACHELINE - 8];
	uint32_t stop; /* nonzero: the loop returns after its current iteration */
	uint8_t pad1[FP_CACHELINE - 4];
} __attribute__((aligned(FP_CACHELINE)));

struct fp_poller {
	struct fp_source *src;
	uint32_t nsrc;
	uint32_t budget; /* items per source per iteration (the batch size) */
	struct fp_poll_shared *sh;
	uint64_t idle; /* iterations in which no source had anything */
};

/* One iteration: every source once, then the heartbeat.  Returns the items handled. */
uint64_t fp_poll_once(struct fp_poller *p);
/* Iterates until sh->stop is set; returns the number of iterations it ran. */
uint64_t fp_poll_run(struct fp_poller *p);
/* Host side: ask the loop to stop; read the heartbeat (watchdog). */
void fp_poll_stop(struct fp_poll_shared *sh);
uint64_t fp_poll_heartbeat(const struct fp_poll_shared *sh);

/* A ring as a source: peeks at up to `budget` items in place and runs handle on each,
 * then frees them together.  ctx is a struct fp_ring_source. */
struct fp_ring_source {
	struct fp_ring *ring; /* the consumer's handle */
	void (*handle)(void *ctx, void *item);
	void *ctx;
};
uint32_t fp_ring_source_poll(void *ctx, uint32_t budget);

#endif
