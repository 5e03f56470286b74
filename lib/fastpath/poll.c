/* lib/fastpath: the run-to-completion poll loop (fp_poll.h) and the ring source. */
#include "fp_poll.h"

uint64_t
fp_poll_once(struct fp_poller *p)
{
	uint64_t done = 0;

	for (uint32_t i = 0; i < p->nsrc; i++) {
		struct fp_source *s = &p->src[i];
		uint32_t n = s->poll(s->ctx, p->budget);

		s->items += n;
		done += n;
	}
	if (done == 0)
		p->idle++;
	/* Relaxed: the heartbeat carries no data, the watchdog only needs to see it change;
	 * an atomic store so that the 64-bit value is never seen torn.  Only this loop writes
	 * it, so a load and a store (no read-modify-write) suffice. */
	__atomic_store_n(&p->sh->heartbeat,
	                 __atomic_load_n(&p->sh->heartbeat, __ATOMIC_RELAXED) + 1,
	                 __ATOMIC_RELAXED);
	return done;
}

uint64_t
fp_poll_run(struct fp_poller *p)
{
	uint64_t iters = 0;

	/* Acquire: pairs with fp_poll_stop's release store, so whatever the host wrote before
	 * asking to stop (a new configuration, a final command) is visible after the loop. */
	while (!__atomic_load_n(&p->sh->stop, __ATOMIC_ACQUIRE)) {
		fp_poll_once(p);
		iters++;
	}
	return iters;
}

void
fp_poll_stop(struct fp_poll_shared *sh)
{
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
}

uint64_t
fp_poll_heartbeat(const struct fp_poll_shared *sh)
{
	return __atomic_load_n(&sh->heartbeat, __ATOMIC_RELAXED);
}

uint32_t
fp_ring_source_poll(void *ctx, uint32_t budget)
{
	struct fp_ring_source *rs = ctx;
	uint32_t done = 0;

	/* Two peeks at most: a run of items stops at the end of the slot array. */
	for (int pass = 0; pass < 2 && done < budget; pass++) {
		void *first;
		uint32_t n = fp_ring_peek(rs->ring, &first, budget - done);

		for (uint32_t i = 0; i < n; i++)
			rs->handle(rs->ctx, (uint8_t *)first + (size_t)i * rs->ring->slot_size);
		fp_ring_release(rs->ring, n);
		done += n;
		if (n == 0)
			break;
	}
	return done;
}
