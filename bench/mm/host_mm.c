/* Host micro-benchmark of the portable memory-management code (kern/mm over sim/hal, -O2, no
 * sanitizers): prints BENCH lines in nanoseconds per operation pair, the best of 5 runs. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "error.h"
#include "pmm.h"
#include "simhal.h"
#include "vmm.h"

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

int
main(void)
{
	struct boot_mem map = {1 * MiB, 63 * MiB, BOOT_MEM_AVAILABLE};
	double best_alloc = 1e18, best_map = 1e18;
	int64_t root;

	if (simhal_init(64 * MiB) != 0 || pmm_init(&map, 1, NULL, 0) != 0)
		return 1;
	root = pt_root_alloc();
	/* Build the tables once; the loop then measures leaf updates and walks only. */
	if (root < 0 || pt_map((physaddr_t)root, 0x40000000, 0x200000, PAGE_SIZE, 0) != 0 ||
	    pt_unmap((physaddr_t)root, 0x40000000, PAGE_SIZE) != 0)
		return 1;
	for (int r = 0; r < ROUNDS; r++) {
		double a = alloc_free_round(), m = map_unmap_round((physaddr_t)root);

		best_alloc = a < best_alloc ? a : best_alloc;
		best_map = m < best_map ? m : best_map;
	}
	printf("BENCH mm_alloc_free_4k_host %.1f ns\n", best_alloc);
	printf("BENCH mm_map_unmap_4k_host %.1f ns\n", best_map);
	return 0;
}
