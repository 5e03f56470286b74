/* lib/fastpath's SPSC ring between two threads under ThreadSanitizer: 10M items in batches
 * of 1 ... 64 arrive once, in order and untorn, with no data race reported (TSan checks
 * that each slot's write happens-before its read through the tail's release/acquire, and
 * each slot's read happens-before its next write through the head's); and the poll loop
 * consuming a ring in place while another thread watches its heartbeat. */
#include <stdio.h>

#include "fp_poll.h"
#include "stress.h"
#include "tcheck.h"

#define STRESS_ITEMS 10000000ull

static void
ten_million_items_arrive_once_in_order_untorn(void)
{
	static struct stress st;
	double s = stress_run(&st, STRESS_ITEMS);

	TCHECK(s >= 0, "setup failed");
	TCHECK(!st.stalled, "the ring moved nothing for %d s (%llu of %llu items received)",
	       STRESS_STALL_S, (unsigned long long)st.received, (unsigned long long)STRESS_ITEMS);
	TCHECK(st.received == STRESS_ITEMS, "%llu received", (unsigned long long)st.received);
	TCHECK(st.bad == 0, "%llu items out of order or torn", (unsigned long long)st.bad);
	fprintf(stderr,
	        "stress (TSan): %llu items in %.2f s, %.1f M items/s; %llu full, %llu "
	        "empty spins\n",
	        (unsigned long long)STRESS_ITEMS, s, STRESS_ITEMS / s / 1e6,
	        (unsigned long long)st.full_spins, (unsigned long long)st.empty_spins);
}

/* The poll loop on its own thread consumes a ring in place (fp_ring_source_poll); the
 * handler stops the loop after the last item; the main thread produces and watches the
 * heartbeat, which only ever grows. */
#define POLL_ITEMS 300000u

static struct fp_poll_shared psh;
static uint64_t got, wrong;

static void
poll_item(void *ctx, void *item)
{
	if (*(uint64_t *)item != got)
		wrong++;
	if (++got == POLL_ITEMS)
		fp_poll_stop(&psh);
}

static void *
poll_thread(void *arg)
{
	return (void *)(uintptr_t)fp_poll_run(arg);
}

static void
the_poll_loop_consumes_a_ring_and_its_heartbeat_only_grows(void)
{
	size_t bytes = fp_ring_bytes(256, sizeof(uint64_t));
	void *mem = aligned_alloc(FP_CACHELINE, bytes);
	struct fp_ring prod, cons;
	struct fp_ring_source rs = { .ring = &cons, .handle = poll_item };
	struct fp_source src = { "ring", fp_ring_source_poll, &rs, 0 };
	struct fp_poller p = { .src = &src, .nsrc = 1, .budget = 32, .sh = &psh };
	uint64_t next = 0, beat = 0;
	pthread_t t;
	void *iters;

	TCHECK(mem && !fp_ring_init(&prod, FP_RING_PRODUCER, mem, bytes, 256, sizeof(uint64_t)),
	       "init");
	TCHECK(!fp_ring_attach(&cons, FP_RING_CONSUMER, mem, bytes, sizeof(uint64_t)), "attach");
	TCHECK(!pthread_create(&t, 0, poll_thread, &p), "thread");
	while (next < POLL_ITEMS) {
		uint64_t b = fp_poll_heartbeat(&psh);

		TCHECK(b >= beat, "heartbeat went back from %llu to %llu", (unsigned long long)beat,
		       (unsigned long long)b);
		beat = b;
		uint64_t batch[16];
		uint32_t n = POLL_ITEMS - next < 16 ? (uint32_t)(POLL_ITEMS - next) : 16;

		for (uint32_t i = 0; i < n; i++)
			batch[i] = next + i;
		n = fp_ring_enqueue(&prod, batch, n);
		next += n;
		if (n == 0)
			sched_yield();
	}
	pthread_join(t, &iters);
	TCHECK(got == POLL_ITEMS, "%llu handled", (unsigned long long)got);
	TCHECK(wrong == 0, "%llu out of order", (unsigned long long)wrong);
	TCHECK(fp_poll_heartbeat(&psh) == (uint64_t)(uintptr_t)iters, "one beat per iteration");
	TCHECK(src.items == POLL_ITEMS, "source count");
	free(mem);
}

int
main(void)
{
	TRUN(ten_million_items_arrive_once_in_order_untorn);
	TRUN(the_poll_loop_consumes_a_ring_and_its_heartbeat_only_grows);
	return 0;
}
