/* Host tests of the two-step allocator start-up the kernel uses (pmm_init_below, then
 * pmm_add_above once the direct map reaches every page): the windows, the regions they make,
 * and the exclusions applied in both. */
#include "mmfix.h"

#define LIMIT (16 * MiB)

/* Metadata pages of a region of `pages` pages (pmm.c puts its struct page array first). */
static uint64_t
meta_pages(uint64_t pages)
{
	return (pages * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Allocates single pages until E_NOMEM; each must lie in [lo, hi) and outside [xs, xe). */
static uint64_t
drain(uint64_t lo, uint64_t hi, uint64_t xs, uint64_t xe)
{
	uint64_t n = 0;
	int64_t pa;

	while ((pa = pmm_alloc(0)) >= 0) {
		cr_assert((uint64_t)pa >= lo && (uint64_t)pa < hi, "page 0x%llx outside the window",
		          (unsigned long long)pa);
		cr_assert((uint64_t)pa < xs || (uint64_t)pa >= xe, "excluded page 0x%llx",
		          (unsigned long long)pa);
		n++;
	}
	cr_assert_eq(pa, E_NOMEM);
	return n;
}

Test(pmm_window, init_below_manages_only_the_ram_under_the_limit)
{
	static const struct boot_mem map = { 1 * MiB, 63 * MiB, BOOT_MEM_AVAILABLE };
	const uint64_t pages = (LIMIT - 1 * MiB) / PAGE_SIZE;
	struct pmm_stats st;

	mmfix_mem(64 * MiB);
	cr_assert_eq(pmm_init_below(&map, 1, NULL, 0, LIMIT), 0);
	pmm_get_stats(&st);
	cr_assert_eq(st.regions, 1);
	cr_assert_eq(st.total, pages);
	cr_assert_eq(st.managed, pages - meta_pages(pages));
	cr_assert_null(pmm_page(LIMIT));
	cr_assert_eq(drain(1 * MiB, LIMIT, 0, 0), st.managed);
}

Test(pmm_window, add_above_adds_the_rest_as_a_new_region_and_keeps_allocations)
{
	static const struct boot_mem map = { 1 * MiB, 63 * MiB, BOOT_MEM_AVAILABLE };
	const uint64_t low = (LIMIT - 1 * MiB) / PAGE_SIZE, high = (64 * MiB - LIMIT) / PAGE_SIZE;
	struct pmm_stats st;
	int64_t kept;

	mmfix_mem(64 * MiB);
	cr_assert_eq(pmm_init_below(&map, 1, NULL, 0, LIMIT), 0);
	kept = pmm_alloc(3);
	cr_assert_geq(kept, 0);
	cr_assert_eq(pmm_add_above(&map, 1, NULL, 0), 0);
	pmm_get_stats(&st);
	cr_assert_eq(st.regions, 2);
	cr_assert_eq(st.total, low + high);
	cr_assert_eq(st.managed, low + high - meta_pages(low) - meta_pages(high));
	cr_assert_eq(st.allocated, 8, "the block allocated before pmm_add_above stays allocated");
	cr_assert_eq(pmm_page(LIMIT)->state, PAGE_RESERVED, "the new region's metadata");
	cr_assert_eq(pmm_page((physaddr_t)kept)->state, PAGE_ALLOCATED);
	cr_assert_eq(pmm_check(), 0);
	cr_assert_eq(drain(1 * MiB, 64 * MiB, 0, 0), st.managed - 8);
}

Test(pmm_window, exclusions_apply_in_both_windows)
{
	static const struct boot_mem map = { 1 * MiB, 63 * MiB, BOOT_MEM_AVAILABLE };
	static const struct pmm_range excl[] = { { 20 * MiB, 24 * MiB } };
	const uint64_t low = (LIMIT - 1 * MiB) / PAGE_SIZE, mid = (20 * MiB - LIMIT) / PAGE_SIZE,
	               top = (64 * MiB - 24 * MiB) / PAGE_SIZE;
	struct pmm_stats st;

	mmfix_mem(64 * MiB);
	cr_assert_eq(pmm_init_below(&map, 1, excl, 1, LIMIT), 0);
	cr_assert_eq(pmm_add_above(&map, 1, excl, 1), 0);
	pmm_get_stats(&st);
	cr_assert_eq(st.regions, 3);
	cr_assert_eq(st.total, low + mid + (4 * MiB) / PAGE_SIZE + top);
	cr_assert_eq(st.managed,
	             low + mid + top - meta_pages(low) - meta_pages(mid) - meta_pages(top));
	cr_assert_eq(drain(1 * MiB, 64 * MiB, 20 * MiB, 24 * MiB), st.managed);
}

Test(pmm_window, add_above_needs_init_below_and_adds_nothing_after_a_full_init)
{
	static const struct boot_mem map = { 1 * MiB, 15 * MiB, BOOT_MEM_AVAILABLE };
	struct pmm_stats before, after;

	mmfix_mem(16 * MiB);
	cr_assert_eq(pmm_init_below(&map, 1, NULL, 0, 4095), E_INVAL, "limit not page-aligned");
	cr_assert_eq(pmm_add_above(&map, 1, NULL, 0), E_INVAL, "no window was opened");
	cr_assert_eq(pmm_init(&map, 1, NULL, 0), 0);
	pmm_get_stats(&before);
	cr_assert_eq(pmm_add_above(&map, 1, NULL, 0), 0);
	pmm_get_stats(&after);
	cr_assert_eq(after.regions, before.regions);
	cr_assert_eq(after.managed, before.managed);
	cr_assert_eq(after.total, before.total);
}

Test(pmm_window, a_limit_below_all_ram_leaves_nothing_to_manage)
{
	static const struct boot_mem map = { 8 * MiB, 8 * MiB, BOOT_MEM_AVAILABLE };

	mmfix_mem(16 * MiB);
	cr_assert_eq(pmm_init_below(&map, 1, NULL, 0, 4 * MiB), E_NOMEM);
}
