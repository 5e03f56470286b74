/* lib/fastpath's SPSC ring and poll loop, one thread (ASan + UBSan): geometry checks, empty
 * and full, wrap-around, partial batches, zero-copy peeks across the wrap, a peer's
 * impossible index, and the poll loop's heartbeat, budget and stop flag. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "abi/error.h"
#include "fp_poll.h"
#include "fp_ring.h"

static _Alignas(64) uint8_t mem[sizeof(struct fp_ring_shared) + 16 * sizeof(uint32_t)];
static struct fp_ring prod, cons;

/* A ring of 8 slots of 4 bytes, a producer's and a consumer's handle on it. */
static void
ring8(void)
{
	cr_assert_eq(fp_ring_init(&prod, FP_RING_PRODUCER, mem, sizeof(mem), 8, 4), 0);
	cr_assert_eq(fp_ring_attach(&cons, FP_RING_CONSUMER, mem, sizeof(mem), 4), 0);
}

static void
seq(uint32_t *v, uint32_t n, uint32_t from)
{
	for (uint32_t i = 0; i < n; i++)
		v[i] = from + i;
}

Test(ring, init_refuses_bad_geometry)
{
	struct fp_ring r;

	cr_assert_eq(fp_ring_init(&r, FP_RING_PRODUCER, mem, sizeof(mem), 6, 4), E_RANGE);
	cr_assert_eq(fp_ring_init(&r, FP_RING_PRODUCER, mem, sizeof(mem), 1, 4), E_RANGE);
	cr_assert_eq(fp_ring_init(&r, FP_RING_PRODUCER, mem, sizeof(mem), 32, 4), E_RANGE);
	cr_assert_eq(fp_ring_init(&r, FP_RING_PRODUCER, mem, sizeof(mem), 8, 0), E_RANGE);
	cr_assert_eq(fp_ring_init(&r, FP_RING_PRODUCER, mem + 8, sizeof(mem) - 8, 4, 4), E_ALIGN);
	cr_assert_eq(fp_ring_init(&r, FP_RING_PRODUCER, mem, sizeof(mem), 16, 4), 0);
	cr_assert_eq(fp_ring_attach(&cons, FP_RING_CONSUMER, mem, sizeof(mem), 8), E_INVAL,
	             "attach checks the slot size");
	cr_assert_eq(fp_ring_attach(&cons, FP_RING_CONSUMER, mem, sizeof(mem) - 4, 4), E_RANGE,
	             "attach checks the memory covers the slots");
}

Test(ring, indices_sit_on_separate_cache_lines)
{
	size_t t = offsetof(struct fp_ring_shared, tail), h = offsetof(struct fp_ring_shared, head);

	cr_assert_neq(t / 64, h / 64);
	cr_assert_neq(t / 64, 0u);
	cr_assert_eq(offsetof(struct fp_ring_shared, slots) % 64, 0u);
}

Test(ring, empty_ring_gives_nothing_and_full_ring_takes_nothing)
{
	uint32_t in[9], out[9];

	ring8();
	cr_assert_eq(fp_ring_dequeue(&cons, out, 1), 0u);
	seq(in, 9, 100);
	cr_assert_eq(fp_ring_enqueue(&prod, in, 8), 8u);
	cr_assert_eq(fp_ring_enqueue(&prod, in + 8, 1), 0u, "a full ring takes nothing");
	cr_assert_eq(fp_ring_count(&cons), 8u);
	cr_assert_eq(fp_ring_dequeue(&cons, out, 9), 8u);
	cr_assert_arr_eq(out, in, 8 * sizeof(uint32_t));
	cr_assert_eq(fp_ring_dequeue(&cons, out, 1), 0u, "drained: empty again");
}

Test(ring, partial_batches_take_what_fits_and_give_what_is_there)
{
	uint32_t in[8], out[10];

	ring8();
	seq(in, 8, 0);
	cr_assert_eq(fp_ring_enqueue(&prod, in, 5), 5u);
	cr_assert_eq(fp_ring_enqueue(&prod, in + 5, 8), 3u, "only 3 slots were free");
	cr_assert_eq(fp_ring_dequeue(&cons, out, 2), 2u);
	cr_assert_eq(fp_ring_enqueue(&prod, in, 4), 2u, "the 2 freed slots");
	cr_assert_eq(fp_ring_dequeue(&cons, out + 2, 8), 8u);
	cr_assert_arr_eq(out, ((uint32_t[]){ 0, 1, 2, 3, 4, 5, 6, 7, 0, 1 }), sizeof(out));
}

/* Indices start just below 2^32 so that they wrap (mod 2^32) as well as the slots do. */
Test(ring, order_survives_many_wraps_of_slots_and_of_the_32_bit_indices)
{
	uint32_t in[7], out[7], next_in = 0, next_out = 0;
	struct fp_ring_shared *sh = (struct fp_ring_shared *)mem;

	fp_ring_init(&prod, FP_RING_PRODUCER, mem, sizeof(mem), 8, 4);
	sh->head = sh->tail = 0xfffffff0u;
	cr_assert_eq(fp_ring_attach(&prod, FP_RING_PRODUCER, mem, sizeof(mem), 4), 0);
	cr_assert_eq(fp_ring_attach(&cons, FP_RING_CONSUMER, mem, sizeof(mem), 4), 0);
	for (int round = 0; round < 200; round++) {
		uint32_t want = 1 + round % 7, n;

		seq(in, want, next_in);
		n = fp_ring_enqueue(&prod, in, want);
		next_in += n;
		n = fp_ring_dequeue(&cons, out, 1 + (round * 5) % 7);
		for (uint32_t i = 0; i < n; i++)
			cr_assert_eq(out[i], next_out++, "round %d item %u", round, i);
	}
	while (fp_ring_dequeue(&cons, out, 1))
		cr_assert_eq(out[0], next_out++);
	cr_assert_eq(next_out, next_in);
	cr_assert_gt(next_in, 400u);
	cr_assert_lt(sh->tail, 0xfffffff0u, "the tail wrapped past 2^32");
}

Test(ring, peek_stops_at_the_end_of_the_slots_and_release_frees)
{
	uint32_t in[8], out[8];
	void *first;

	ring8();
	seq(in, 8, 10);
	fp_ring_enqueue(&prod, in, 6);
	fp_ring_dequeue(&cons, out, 6);
	fp_ring_enqueue(&prod, in, 5); /* slots 6, 7, 0, 1, 2 */
	cr_assert_eq(fp_ring_peek(&cons, &first, 8), 2u, "a run stops at the last slot");
	cr_assert_eq(((uint32_t *)first)[0], 10u);
	cr_assert_eq(((uint32_t *)first)[1], 11u);
	fp_ring_release(&cons, 2);
	cr_assert_eq(fp_ring_peek(&cons, &first, 8), 3u);
	cr_assert_eq(first, (void *)((struct fp_ring_shared *)mem)->slots);
	cr_assert_eq(((uint32_t *)first)[2], 14u);
	fp_ring_release(&cons, 9); /* more than was seen: ignored */
	cr_assert_eq(fp_ring_count(&cons), 3u);
	fp_ring_release(&cons, 3);
	cr_assert_eq(fp_ring_dequeue(&cons, out, 1), 0u);
	cr_assert_eq(fp_ring_enqueue(&prod, in, 8), 8u, "every slot free again");
}

Test(ring, an_impossible_peer_index_kills_the_ring_for_this_side)
{
	uint32_t in[4] = { 1, 2, 3, 4 }, out[8];
	struct fp_ring_shared *sh = (struct fp_ring_shared *)mem;

	ring8();
	fp_ring_enqueue(&prod, in, 4);
	cr_assert_eq(fp_ring_dequeue(&cons, out, 1), 1u); /* the consumer now knows tail = 4 */
	sh->tail = 4 + 9; /* once the 4 are read, a tail 9 items ahead in 8 slots */
	cr_assert_eq(fp_ring_dequeue(&cons, out, 3), 3u, "the 3 items it knew of");
	cr_assert_eq(fp_ring_dequeue(&cons, out, 1), 0u);
	cr_assert(cons.corrupt);
	sh->head = sh->tail + 1; /* a consumer ahead of the producer */
	cr_assert_eq(fp_ring_enqueue(&prod, in, 8), 0u);
	cr_assert(prod.corrupt);
}

Test(ring, each_side_refuses_the_other_sides_operation)
{
	uint32_t v = 7;

	ring8();
	cr_assert_eq(fp_ring_enqueue(&cons, &v, 1), 0u);
	fp_ring_enqueue(&prod, &v, 1);
	cr_assert_eq(fp_ring_dequeue(&prod, &v, 1), 0u);
	cr_assert_eq(fp_ring_dequeue(&cons, &v, 1), 1u);
}

/* The poll loop: a counting source and a ring source. */
static uint32_t dev_pending;
static uint32_t handled[32], nhandled;
static struct fp_poll_shared psh;

static uint32_t
dev_poll(void *ctx, uint32_t budget)
{
	uint32_t n = dev_pending < budget ? dev_pending : budget;

	dev_pending -= n;
	if (dev_pending == 0 && nhandled == 20)
		fp_poll_stop(&psh); /* the last item asks the loop to stop */
	return n;
}

static void
ring_item(void *ctx, void *item)
{
	handled[nhandled++] = *(uint32_t *)item;
}

Test(poll, sources_get_their_budget_and_the_heartbeat_counts_iterations)
{
	uint32_t in[8];
	struct fp_ring_source rs = { .ring = &cons, .handle = ring_item };
	struct fp_source src[2] = { { "dev", dev_poll, 0, 0 },
		                    { "ring", fp_ring_source_poll, &rs, 0 } };
	struct fp_poller p = { .src = src, .nsrc = 2, .budget = 4, .sh = &psh };

	ring8();
	memset(&psh, 0, sizeof(psh));
	cr_assert_eq(fp_poll_once(&p), 0u);
	cr_assert_eq(p.idle, 1u);
	for (uint32_t k = 0; k < 20; k += 4) {
		seq(in, 4, k);
		while (fp_ring_enqueue(&prod, in, 4) != 4)
			cr_assert_eq(fp_poll_once(&p), 4u, "only the ring is backed up");
		cr_assert_leq(fp_ring_count(&prod), 8u);
	}
	dev_pending = 10;
	cr_assert_eq(fp_poll_run(&p), 3u, "8 ring items and 10 device items at 4 per iteration");
	cr_assert_eq(nhandled, 20u);
	for (uint32_t i = 0; i < 20; i++)
		cr_assert_eq(handled[i], i);
	cr_assert_eq(src[0].items, 10u);
	cr_assert_eq(src[1].items, 20u);
	cr_assert_eq(fp_poll_heartbeat(&psh), 1u + 3 + 3, "one beat per iteration");
}
