/* Host tests of 2 MiB pages in the page-table code, verified through the software MMU. */
#include "mmfix.h"
#include "mmu.h"
#include "pt.h"

#define UVA   0x0000000080000000ull /* 2 MiB aligned */
#define FRAME 0x40000000ull

static physaddr_t root;
static uint64_t baseline;

static void
setup(void)
{
	mmfix_pmm(64 * MiB, 1 * MiB, 32 * MiB);
	root = (physaddr_t)pt_root_alloc();
	baseline = mmfix_free_pages();
	simhal_reset_events();
}

TestSuite(pt_huge, .init = setup);

/* va translates to pa through a page of `size`. */
static void
expect_page(uint64_t va, uint64_t pa, uint64_t size)
{
	struct mmu_result r;

	cr_assert_eq(mmu_translate(root, va, MMU_READ, &r), MMU_OK, "va 0x%llx: %s",
	             (unsigned long long)va, mmu_fault_name(r.fault));
	cr_assert_eq(r.pa, pa, "va 0x%llx -> 0x%llx, want 0x%llx", (unsigned long long)va,
	             (unsigned long long)r.pa, (unsigned long long)pa);
	cr_assert_eq(r.page_size, size, "va 0x%llx page size 0x%llx", (unsigned long long)va,
	             (unsigned long long)r.page_size);
}

Test(pt_huge, aligned_ranges_use_2m_pages)
{
	struct pt_mapping m;

	cr_assert_eq(pt_map(root, UVA, FRAME, 4 * MiB, PT_HUGE | PT_W | PT_CACHE_WC), 0);
	for (uint64_t off = 0; off < 4 * MiB; off += 0x7f123)
		expect_page(UVA + off, FRAME + off, HUGE_SIZE);
	cr_assert_eq(baseline - mmfix_free_pages(), 2, "a PDPT and a PD, no PT");
	cr_assert_eq(pt_lookup(root, UVA + 3 * MiB, &m), 0);
	cr_assert_eq(m.flags, PT_HUGE | PT_W | PT_CACHE_WC);
	cr_assert_eq(m.size, HUGE_SIZE);
	cr_assert_eq(m.pa, FRAME + 3 * MiB);
}

Test(pt_huge, unaligned_edges_use_4k_pages)
{
	uint64_t va = UVA - 2 * PAGE_SIZE, pa = FRAME - 2 * PAGE_SIZE;

	cr_assert_eq(pt_map(root, va, pa, 2 * MiB + 4 * PAGE_SIZE, PT_HUGE), 0);
	expect_page(va, pa, PAGE_SIZE);
	expect_page(va + PAGE_SIZE, pa + PAGE_SIZE, PAGE_SIZE);
	expect_page(UVA, FRAME, HUGE_SIZE);
	expect_page(UVA + 2 * MiB - 1, FRAME + 2 * MiB - 1, HUGE_SIZE);
	expect_page(UVA + 2 * MiB + PAGE_SIZE, FRAME + 2 * MiB + PAGE_SIZE, PAGE_SIZE);
}

Test(pt_huge, frames_not_congruent_to_2m_use_4k_pages)
{
	cr_assert_eq(pt_map(root, UVA, FRAME + PAGE_SIZE, 2 * MiB, PT_HUGE), 0);
	expect_page(UVA, FRAME + PAGE_SIZE, PAGE_SIZE);
	expect_page(UVA + 2 * MiB - PAGE_SIZE, FRAME + 2 * MiB, PAGE_SIZE);
}

Test(pt_huge, without_the_flag_only_4k_pages_are_used)
{
	cr_assert_eq(pt_map(root, UVA, FRAME, 2 * MiB, PT_W), 0);
	expect_page(UVA + 0x12345, FRAME + 0x12345, PAGE_SIZE);
}

Test(pt_huge, a_table_already_there_keeps_4k_pages)
{
	pte_t *e;

	/* An empty page table (pt_unmap frees the tables it empties: made by a walk). */
	cr_assert_eq(pt_walk(root, UVA, PT_LEVEL_PT, true, &e), 0);
	cr_assert_eq(pt_map(root, UVA, FRAME, 2 * MiB, PT_HUGE), 0);
	expect_page(UVA + 5 * PAGE_SIZE, FRAME + 5 * PAGE_SIZE, PAGE_SIZE);
}

Test(pt_huge, partial_unmap_and_protect_are_rejected)
{
	struct mmu_result r;

	cr_assert_eq(pt_map(root, UVA, FRAME, 4 * MiB, PT_HUGE | PT_W), 0);
	cr_assert_eq(pt_unmap(root, UVA + PAGE_SIZE, PAGE_SIZE), E_HUGE);
	cr_assert_eq(pt_unmap(root, UVA, 3 * MiB), E_HUGE,
	             "nothing changes, not even the first page");
	cr_assert_eq(pt_protect(root, UVA + 1 * MiB, 2 * MiB, 0), E_HUGE);
	expect_page(UVA, FRAME, HUGE_SIZE);
	expect_page(UVA + 3 * MiB, FRAME + 3 * MiB, HUGE_SIZE);
	cr_assert_eq(mmu_translate(root, UVA, MMU_WRITE, &r), MMU_OK);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 0);
}

Test(pt_huge, whole_huge_pages_unmap_and_protect)
{
	struct mmu_result r;
	uintptr_t va;

	cr_assert_eq(pt_map(root, UVA, FRAME, 4 * MiB, PT_HUGE | PT_W), 0);
	cr_assert_eq(pt_protect(root, UVA + 2 * MiB, 2 * MiB, PT_X), 0);
	cr_assert_eq(mmu_translate(root, UVA + 3 * MiB, MMU_WRITE, &r), MMU_WRITE_PROTECT);
	cr_assert_eq(r.level, 2);
	cr_assert_eq(mmu_translate(root, UVA + 3 * MiB, MMU_EXEC, &r), MMU_OK);
	cr_assert_eq(mmu_translate(root, UVA, MMU_WRITE, &r), MMU_OK);
	cr_assert_eq(pt_unmap(root, UVA, 2 * MiB), 0);
	cr_assert_eq(mmu_translate(root, UVA + 5, MMU_READ, &r), MMU_NOT_PRESENT);
	cr_assert_eq(r.level, 2);
	expect_page(UVA + 2 * MiB, FRAME + 2 * MiB, HUGE_SIZE);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 2, "one flush per huge page");
	cr_assert(simhal_tlb_recent(0, &va));
	cr_assert_eq(va, UVA);
}

Test(pt_huge, mapping_into_a_huge_page_is_exist_or_huge)
{
	cr_assert_eq(pt_map(root, UVA, FRAME, 2 * MiB, PT_HUGE), 0);
	cr_assert_eq(pt_map(root, UVA + PAGE_SIZE, FRAME, PAGE_SIZE, 0), E_EXIST);
	cr_assert_eq(pt_map(root, UVA + PAGE_SIZE, FRAME, PAGE_SIZE, PT_REPLACE), E_HUGE);
	cr_assert_eq(pt_map(root, UVA, FRAME, 2 * MiB, PT_HUGE), E_EXIST);
	cr_assert_eq(pt_map(root, UVA, 0x60000000, 2 * MiB, PT_HUGE | PT_REPLACE), 0);
	expect_page(UVA + 7, 0x60000007, HUGE_SIZE);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 1);
}

Test(pt_huge, destroy_with_huge_pages_returns_to_baseline)
{
	cr_assert_eq(pt_map(root, UVA, FRAME, 64 * MiB + 12 * PAGE_SIZE, PT_HUGE | PT_U), 0);
	cr_assert_eq(pt_destroy(root, 0, VA_USER_END - 1), 0);
	cr_assert_eq(mmfix_free_pages(), baseline);
	cr_assert_eq(pmm_check(), 0);
}
