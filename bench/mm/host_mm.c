/* Host micro-benchmark of the portable memory-management code (kern/mm over sim/hal, -O2, no
 * sanitizers): prints BENCH lines in nanoseconds per operation pair, the best of 5 runs; the
 * same pairs as the kernel's test=bench-mm (bench/mm/kern_mm.c). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "abi/error.h"
#include "pmm.h"
#include "pt.h"
#include "simhal.h"

#define MiB    (1ull << 20)
#define ITERS  1000000
#define ROUNDS 5

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One page allocated and freed, with the allocator fully coalesced: every pair splits an
 * order-10 block down to order 0 and merges it back (the longest path for one page). */
static double
alloc_free_round(void)
{
	double t0 = now_ns();

	for (unsigned i = 0; i < ITERS; i++) {
		int64_t pa = pmm_alloc(0);

		if (pa < 0)
			abort();
		pmm_free((physaddr_t)pa, 0);
	}
	return (now_ns() - t0) / ITERS;
}

/* One 4 KiB page mapped and unmapped where its tables already exist. */
static double
map_unmap_round(physaddr_t root)
{
	const uintptr_t va = 0x0000000040000000ull;
	double t0 = now_ns();

	for (unsigned i = 0; i < ITERS; i++) {
		if (pt_map(root, va, 0x200000, PAGE_SIZE, PT_W) != 0 ||
		    pt_unmap(root, va, PAGE_SIZE) != 0)
			abort();
	}
	return (now_ns() - t0) / ITERS;
}

static double
best_of(double (*round)(void))
{
	double best = 1e18;

	for (int r = 0; r < ROUNDS; r++) {
		double t = round();

		best = t < best ? t : best;
	}
	return best;
}

static physaddr_t bench_root;

static double
map_unmap_bench_round(void)
{
	return map_unmap_round(bench_root);
}

int
main(void)
{
	struct boot_mem map = { 1 * MiB, 63 * MiB, BOOT_MEM_AVAILABLE };
	double split, hot, mapping;
	int64_t root, a, b;

	if (simhal_init(64 * MiB) != 0 || pmm_init(&map, 1, NULL, 0) != 0)
		return 1;
	split = best_of(alloc_free_round);
	/* a splits an order-10 block and b is its buddy: a freed stays a free order-0 block
	 * whose buddy is allocated, so each pair then neither splits nor merges (the kernel
	 * benchmark's "hot" pair, bench/mm/kern_mm.c). */
	a = pmm_alloc(0);
	b = pmm_alloc(0);
	if (a < 0 || b < 0 || (a ^ b) != (int64_t)PAGE_SIZE)
		return 1;
	pmm_free((physaddr_t)a, 0);
	hot = best_of(alloc_free_round);
	pmm_free((physaddr_t)b, 0);
	root = pt_root_alloc();
	/* Build the tables once; the loop then measures leaf updates and walks only. */
	if (root < 0 || pt_map((physaddr_t)root, 0x40000000, 0x200000, PAGE_SIZE, 0) != 0 ||
	    pt_unmap((physaddr_t)root, 0x40000000, PAGE_SIZE) != 0)
		return 1;
	bench_root = (physaddr_t)root;
	mapping = best_of(map_unmap_bench_round);
	printf("BENCH mm_alloc_free_4k_host %.1f ns\n", split);
	printf("BENCH mm_alloc_free_4k_hot_host %.1f ns\n", hot);
	printf("BENCH mm_map_unmap_4k_host %.1f ns\n", mapping);
	return 0;
}
