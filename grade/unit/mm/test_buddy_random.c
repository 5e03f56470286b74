/* A seeded random sequence of 100,000 allocations and frees of various orders, checked after
 * every step against a reference model of which pages are free. */
#include "mmfix.h"

#define STEPS   100000
#define SEED    0x6a09e667f3bcc908ull
#define MAX_PFN (9 * MiB / PAGE_SIZE)

/* Two regions, the second with an unaligned start: [1M, 5M) and [6M + 12K, 9M). */
static const struct boot_mem map[] = {
	{ 1 * MiB, 4 * MiB, BOOT_MEM_AVAILABLE },
	{ 6 * MiB + 12 * 1024, 3 * MiB - 12 * 1024, BOOT_MEM_AVAILABLE },
};

struct live {
	uint64_t pa;
	unsigned order;
};

static uint8_t model_free[MAX_PFN]; /* 1 = the allocator must consider this page free */
static struct live live[MAX_PFN];
static unsigned nlive;
static uint64_t model_nfree;
static uint64_t rng = SEED;

static uint64_t
next_random(void)
{
	/* xorshift64* (Marsaglia 2003; Vigna 2016 multiplier) */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Orders skewed toward small blocks, as a kernel asks for them. */
static unsigned
random_order(void)
{
	static const unsigned cut[PMM_NORDERS] = { 50, 70, 80, 86, 90, 93, 95, 97, 98, 99, 100 };
	unsigned r = (unsigned)(next_random() % 100), k = 0;

	while (r >= cut[k])
		k++;
	return k;
}

/* The free blocks a buddy allocator with eager coalescing must hold for the model's free
 * pages: each maximal run of free pages, split greedily into the largest aligned blocks. */
static void
model_blocks(uint64_t out[PMM_NORDERS])
{
	memset(out, 0, PMM_NORDERS * sizeof(out[0]));
	for (uint64_t p = 0; p < MAX_PFN;) {
		unsigned k = PMM_MAX_ORDER;

		if (!model_free[p]) {
			p++;
			continue;
		}
		for (;; k--) {
			uint64_t n = 1ull << k, q;

			if (p % n != 0 || p + n > MAX_PFN)
				continue;
			for (q = p; q < p + n && model_free[q]; q++)
				;
			if (q == p + n)
				break;
		}
		out[k]++;
		p += 1ull << k;
	}
}

/* True when the model has an aligned run of 2^order free pages. */
static bool
model_has_block(unsigned order)
{
	uint64_t n = 1ull << order;

	for (uint64_t p = 0; p + n <= MAX_PFN; p += n) {
		uint64_t q = p;

		while (q < p + n && model_free[q])
			q++;
		if (q == p + n)
			return true;
	}
	return false;
}

static void
model_init(void)
{
	for (unsigned i = 0; i < 2; i++) {
		uint64_t first = PFN(MM_ALIGN_UP(map[i].base, PAGE_SIZE));
		uint64_t end = PFN(map[i].base + map[i].len);
		uint64_t meta = ((end - first) * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;

		for (uint64_t p = first + meta; p < end; p++) {
			model_free[p] = 1;
			model_nfree++;
		}
	}
}

static void
step_alloc(void)
{
	unsigned order = random_order();
	int64_t pa = pmm_alloc(order);

	if (pa < 0) {
		cr_assert_eq(pa, E_NOMEM);
		cr_assert(!model_has_block(order), "order %u failed with a free aligned run",
		          order);
		return;
	}
	cr_assert(MM_IS_ALIGNED(pa, PAGE_SIZE << order), "order %u block at 0x%llx", order,
	          (unsigned long long)pa);
	cr_assert_leq(PFN(pa) + (1ull << order), MAX_PFN);
	for (uint64_t p = PFN(pa); p < PFN(pa) + (1ull << order); p++) {
		cr_assert(model_free[p], "page 0x%llx handed out twice or never free",
		          (unsigned long long)PFN_TO_PA(p));
		model_free[p] = 0;
	}
	model_nfree -= 1ull << order;
	live[nlive++] = (struct live){ (uint64_t)pa, order };
}

static void
step_free(void)
{
	unsigned i = (unsigned)(next_random() % nlive);
	struct live b = live[i];

	live[i] = live[--nlive];
	pmm_free(b.pa, b.order);
	for (uint64_t p = PFN(b.pa); p < PFN(b.pa) + (1ull << b.order); p++)
		model_free[p] = 1;
	model_nfree += 1ull << b.order;
}

static void
check_against_model(unsigned step)
{
	uint64_t want[PMM_NORDERS];
	struct pmm_stats st;

	pmm_get_stats(&st);
	cr_assert_eq(st.free, model_nfree, "step %u: %llu free pages, model says %llu", step,
	             (unsigned long long)st.free, (unsigned long long)model_nfree);
	model_blocks(want);
	for (unsigned k = 0; k < PMM_NORDERS; k++)
		cr_assert_eq(st.free_blocks[k], want[k],
		             "step %u: order %u has %llu blocks, want %llu", step, k,
		             (unsigned long long)st.free_blocks[k], (unsigned long long)want[k]);
}

Test(buddy_random, hundred_thousand_steps_match_the_model, .timeout = 120)
{
	struct pmm_stats before, after;
	unsigned failures = 0;

	mmfix_mem(16 * MiB);
	cr_assert_eq(pmm_init(map, 2, NULL, 0), 0);
	model_init();
	pmm_get_stats(&before);
	cr_assert_eq(before.free, model_nfree);
	for (unsigned step = 0; step < STEPS; step++) {
		/* Allocations slightly outnumber frees, so memory runs out now and then. */
		if (nlive == 0 || next_random() % 100 < 53) {
			uint64_t n = model_nfree;

			step_alloc();
			failures += model_nfree == n;
		} else {
			step_free();
		}
		check_against_model(step);
		if (step % 1000 == 0)
			cr_assert_eq(pmm_check(), 0, "step %u", step);
	}
	cr_assert_gt(failures, 0, "the sequence never exhausted memory");
	while (nlive > 0)
		step_free();
	pmm_get_stats(&after);
	cr_assert_eq(after.free, before.free, "every page is back");
	for (unsigned k = 0; k < PMM_NORDERS; k++)
		cr_assert_eq(after.free_blocks[k], before.free_blocks[k], "order %u", k);
	cr_assert_eq(pmm_check(), 0);
}
