/* Kernel micro-benchmark of memory management (test=bench-mm), compiled into the kernel
 * (kern/Makefrag): the average cost of a 4 KiB allocate+free pair (the longest path, and the
 * shortest) and of a 4 KiB map+unmap pair, measured with hal_cycles.  Under
 * `qemu -icount shift=0` the TSC advances one per instruction, so the numbers are exact
 * instruction counts (`make bench-mm-kernel` runs it so with bench/icount.py); elsewhere they
 * are TSC ticks.  bench/mm/host_mm.c measures the same pairs on the host. */
#include "abi/error.h"
#include "console.h"
#include "hal.h"
#include "ktest.h"
#include "kvm.h"
#include "pmm.h"
#include "pt.h"

#define WARMUP 100
#define ITERS  10000
#define VA     0x0000000040000000ull

/* Cycles of `iters` allocate+free pairs of one page, or 0 if an allocation failed. */
static uint64_t
alloc_free(unsigned iters)
{
	uint64_t t0 = hal_cycles();

	for (unsigned i = 0; i < iters; i++) {
		int64_t pa = pmm_alloc(0);

		if (pa < 0)
			return 0;
		pmm_free((physaddr_t)pa, 0);
	}
	return hal_cycles() - t0;
}

/* Cycles of `iters` pairs of mapping and unmapping one page where the tables exist already. */
static uint64_t
map_unmap(physaddr_t root, physaddr_t frame, unsigned iters)
{
	uint64_t t0 = hal_cycles();

	for (unsigned i = 0; i < iters; i++) {
		if (pt_map(root, VA, frame, PAGE_SIZE, PT_W) != 0 ||
		    pt_unmap(root, VA, PAGE_SIZE) != 0)
			return 0;
	}
	return hal_cycles() - t0;
}

/* "BENCH name value unit" with the value per iteration to one decimal. */
static void
print_bench(const char *name, uint64_t total)
{
	uint64_t tenths = (total * 10 + ITERS / 2) / ITERS;

	printf("BENCH %s %lu.%lu instructions\n", name, tenths / 10, tenths % 10);
}

/* Takes every free block below PMM_MAX_ORDER, so that a one-page allocation must split a
 * largest block down to a page and its free must merge it all back: the longest path, and
 * the one the host benchmark measures on its fresh allocator.  The blocks are chained
 * through their first two words (next, order); returns the chain. */
static physaddr_t
drain_small_blocks(void)
{
	physaddr_t chain = 0; /* physical 0 is never allocated */
	struct pmm_stats st;

	for (unsigned k = 0; k < PMM_MAX_ORDER; k++) {
		for (pmm_get_stats(&st); st.free_blocks[k] > 0; pmm_get_stats(&st)) {
			int64_t pa = pmm_alloc(k);
			uint64_t *w;

			if (pa < 0)
				return chain;
			w = hal_phys_to_virt((physaddr_t)pa);
			w[0] = chain;
			w[1] = k;
			chain = (physaddr_t)pa;
		}
	}
	return chain;
}

static void
free_chain(physaddr_t chain)
{
	while (chain != 0) {
		uint64_t *w = hal_phys_to_virt(chain);
		physaddr_t next = w[0];

		pmm_free(chain, (unsigned)w[1]);
		chain = next;
	}
}

/* The two allocate+free figures: a pair that splits a largest block and merges it back,
 * and a pair that finds a free page (its buddy allocated, so nothing splits or merges). */
static void
bench_alloc_free(uint64_t *split, uint64_t *hot)
{
	physaddr_t chain = drain_small_blocks();
	int64_t a, b;

	alloc_free(WARMUP);
	*split = alloc_free(ITERS);
	*hot = 0;
	/* a splits a largest block; b is a's buddy, so a freed stays a free order-0 block. */
	a = pmm_alloc(0);
	b = pmm_alloc(0);
	if (a >= 0 && b >= 0 && ((uint64_t)a ^ (uint64_t)b) == PAGE_SIZE) {
		pmm_free((physaddr_t)a, 0);
		alloc_free(WARMUP);
		*hot = alloc_free(ITERS);
	} else if (a >= 0) {
		pmm_free((physaddr_t)a, 0);
	}
	if (b >= 0)
		pmm_free((physaddr_t)b, 0);
	free_chain(chain);
}

static void
ktest_bench_mm(void)
{
	int64_t root = kvm_root_new(), frame = pmm_alloc(0);
	uint64_t split, hot, mu = 0;

	bench_alloc_free(&split, &hot);
	/* The first map builds the tables; the loop then measures leaf updates and walks. */
	if (root >= 0 && frame >= 0 && map_unmap((physaddr_t)root, (physaddr_t)frame, WARMUP))
		mu = map_unmap((physaddr_t)root, (physaddr_t)frame, ITERS);
	if (split == 0 || hot == 0 || mu == 0) {
		printf("bench-mm: FAIL: an operation failed (root %ld, frame %ld)\n", root, frame);
	} else {
		print_bench("mm_alloc_free_4k_kernel", split);
		print_bench("mm_alloc_free_4k_hot_kernel", hot);
		print_bench("mm_map_unmap_4k_kernel", mu);
	}
	if (root >= 0)
		kvm_root_free((physaddr_t)root);
	if (frame >= 0)
		pmm_free((physaddr_t)frame, 0);
}

KTEST_NAMED(bench_mm, "bench-mm", ktest_bench_mm,
            "instructions per 4 KiB alloc+free and map+unmap pair (under qemu -icount)");
