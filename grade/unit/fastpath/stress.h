/* The two-thread ring traffic shared by the TSan stress test (tsan_stress.c) and the
 * throughput benchmark (ring_bench.c): a producer and a consumer thread move `items`
 * two-word items through one SPSC ring in batches of varying size; the consumer checks
 * that every item arrives once, in order, untorn. */
#ifndef FPTEST_STRESS_H
#define FPTEST_STRESS_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "fp_ring.h"

#define STRESS_SLOTS 1024u
#define STRESS_BATCH 64u
#define STRESS_MIX   0x9e3779b97f4a7c15ull

struct stress_item {
	uint64_t seq;
	uint64_t check; /* seq * STRESS_MIX: a torn slot shows as a mismatch */
};

struct stress {
	struct fp_ring prod, cons;
	uint64_t items;
	uint64_t received, bad; /* the consumer's results */
	uint64_t full_spins, empty_spins;
	int stalled; /* set (atomically) by a side that saw no progress for STRESS_STALL_S */
	void *mem;
};

/* A ring that never moves (a stubbed or broken enqueue or dequeue) must fail the test, not
 * hang it: a side that makes no progress for this long gives up and says so.  A working
 * ring on a loaded machine moves within milliseconds. */
#define STRESS_STALL_S 10

static inline double
stress_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Called after each empty-handed try (*idle counts them; *since is when they began): true
 * when this side or the other has given up. */
static inline bool
stress_stalled(struct stress *st, uint64_t *idle, double *since)
{
	if (__atomic_load_n(&st->stalled, __ATOMIC_RELAXED))
		return true;
	if ((*idle)++ == 0)
		*since = stress_now();
	else if (*idle % 1024 == 0 && stress_now() - *since > STRESS_STALL_S) {
		__atomic_store_n(&st->stalled, 1, __ATOMIC_RELAXED);
		return true;
	}
	return false;
}

/* Batch sizes 1 ... STRESS_BATCH from a fixed-seed generator (each thread its own). */
static inline uint32_t
stress_batch(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return 1 + (uint32_t)(*s % STRESS_BATCH);
}

static inline void *
stress_producer(void *arg)
{
	struct stress *st = arg;
	struct stress_item buf[STRESS_BATCH];
	uint64_t next = 0, seed = 1, idle = 0;
	double since = 0;

	while (next < st->items) {
		uint32_t want = stress_batch(&seed), n;

		if (want > st->items - next)
			want = (uint32_t)(st->items - next);
		for (uint32_t i = 0; i < want; i++)
			buf[i] = (struct stress_item){ next + i, (next + i) * STRESS_MIX };
		/* A partial batch is fine: what was not taken is offered again. */
		n = fp_ring_enqueue(&st->prod, buf, want);
		next += n;
		if (n) {
			idle = 0;
		} else {
			st->full_spins++;
			if (stress_stalled(st, &idle, &since))
				break;
			sched_yield(); /* two cores shared by many: let the consumer run */
		}
	}
	return 0;
}

static inline void *
stress_consumer(void *arg)
{
	struct stress *st = arg;
	struct stress_item buf[STRESS_BATCH];
	uint64_t seed = 2, idle = 0;
	double since = 0;

	while (st->received < st->items) {
		uint32_t n = fp_ring_dequeue(&st->cons, buf, stress_batch(&seed));

		for (uint32_t i = 0; i < n; i++) {
			uint64_t want = st->received + i;

			if (buf[i].seq != want || buf[i].check != want * STRESS_MIX)
				st->bad++;
		}
		st->received += n;
		if (n) {
			idle = 0;
		} else {
			st->empty_spins++;
			if (stress_stalled(st, &idle, &since))
				break;
			sched_yield();
		}
	}
	return 0;
}

/* Runs the two threads; returns the wall-clock seconds, or a negative value on error. */
static inline double
stress_run(struct stress *st, uint64_t items)
{
	size_t bytes = fp_ring_bytes(STRESS_SLOTS, sizeof(struct stress_item));
	struct timespec t0, t1;
	pthread_t p, c;

	st->mem = aligned_alloc(FP_CACHELINE, bytes);
	st->items = items;
	st->received = st->bad = st->full_spins = st->empty_spins = 0;
	st->stalled = 0;
	if (!st->mem ||
	    fp_ring_init(&st->prod, FP_RING_PRODUCER, st->mem, bytes, STRESS_SLOTS,
	                 sizeof(struct stress_item)) ||
	    fp_ring_attach(&st->cons, FP_RING_CONSUMER, st->mem, bytes, sizeof(struct stress_item)))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pthread_create(&c, 0, stress_consumer, st) ||
	    pthread_create(&p, 0, stress_producer, st))
		return -1;
	pthread_join(p, 0);
	pthread_join(c, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(st->mem);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

#endif
