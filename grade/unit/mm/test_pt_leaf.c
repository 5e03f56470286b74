/* Host tests of the single-leaf page-table calls (pt_cursor_leaf, pt_leaf_set,
 * pt_leaf_protect) that the kernel's map, protect and share_pages use, verified through the
 * software MMU: one walk per 2 MiB region, the entries they write, software bits kept, and
 * exactly the TLB flushes a changed present entry needs. */
#include "mmfix.h"
#include "mmu.h"
#include "pt.h"

#define UVA   0x0000000040000000ull /* a user address: PML4[0] PDPT[1], a 2 MiB boundary */
#define FRAME 0x2000000ull
#define SOFT  (5ull << 9) /* two of the software bits 11:9 */

static physaddr_t root;
static uint64_t baseline;

static void
setup(void)
{
	int64_t r;

	mmfix_pmm(64 * MiB, 1 * MiB, 32 * MiB);
	r = pt_root_alloc();
	cr_assert_geq(r, 0);
	root = (physaddr_t)r;
	baseline = mmfix_free_pages();
	simhal_reset_events();
}

TestSuite(pt_leaf, .init = setup);

Test(pt_leaf, cursor_walks_once_per_2mib_region)
{
	struct pt_cursor c = { .root = root };
	pte_t *e, *f, *g;

	cr_assert_eq(pt_cursor_leaf(&c, UVA, false, &e), E_NOENT, "no table, no create");
	cr_assert_eq(mmfix_free_pages(), baseline);
	cr_assert_eq(pt_cursor_leaf(&c, UVA, true, &e), 0);
	cr_assert_eq(baseline - mmfix_free_pages(), 3, "PDPT, PD and PT made once");
	cr_assert_eq(pt_cursor_leaf(&c, UVA + 511 * PAGE_SIZE, false, &f), 0);
	cr_assert_eq(f, e + 511, "the last page of the region: the cached table");
	cr_assert_eq(pt_cursor_leaf(&c, UVA + 512 * PAGE_SIZE, false, &g), E_NOENT,
	             "the next region has no table yet");
	cr_assert_eq(pt_cursor_leaf(&c, UVA + 512 * PAGE_SIZE, true, &g), 0);
	cr_assert_eq(baseline - mmfix_free_pages(), 4, "one more leaf table");
	cr_assert_eq(pt_cursor_leaf(&c, 0x0000800000000000ull, true, &g), E_RANGE, "non-canonical");
}

Test(pt_leaf, set_maps_keeps_soft_bits_and_flushes_only_a_replaced_entry)
{
	struct pt_cursor c = { .root = root };
	struct mmu_result r;
	uintptr_t va;
	pte_t *e, old;

	cr_assert_eq(pt_cursor_leaf(&c, UVA + PAGE_SIZE, true, &e), 0);
	old = pt_leaf_set(root, e, UVA + PAGE_SIZE, FRAME, PT_W | PT_U, SOFT | PTE_NX);
	cr_assert_eq(old, 0);
	cr_assert_eq(*e & PTE_SOFT_MASK, SOFT, "only software bits come from `soft`");
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 0, "a new entry needs no flush");
	cr_assert_eq(mmu_translate(root, UVA + PAGE_SIZE + 8, MMU_WRITE | MMU_USER, &r), MMU_OK);
	cr_assert_eq(r.pa, FRAME + 8);
	cr_assert(!r.executable);
	old = pt_leaf_set(root, e, UVA + PAGE_SIZE, FRAME + PAGE_SIZE, PT_U | PT_X, 0);
	cr_assert_eq(old & PTE_ADDR_MASK, FRAME, "the old entry is returned");
	cr_assert_eq(*e & PTE_SOFT_MASK, 0);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 1);
	cr_assert(simhal_tlb_recent(0, &va));
	cr_assert_eq(va, UVA + PAGE_SIZE);
	cr_assert_eq(mmu_translate(root, UVA + PAGE_SIZE, MMU_WRITE | MMU_USER, &r),
	             MMU_WRITE_PROTECT);
	cr_assert_eq(mmu_translate(root, UVA + PAGE_SIZE, MMU_EXEC | MMU_USER, &r), MMU_OK);
	cr_assert_eq(r.pa, FRAME + PAGE_SIZE);
}

Test(pt_leaf, protect_changes_rights_keeps_frame_and_soft_bits_and_flushes)
{
	struct pt_cursor c = { .root = root };
	struct mmu_result r;
	uintptr_t va;
	pte_t *e;

	cr_assert_eq(pt_cursor_leaf(&c, UVA, true, &e), 0);
	pt_leaf_set(root, e, UVA, FRAME, PT_W | PT_U, SOFT);
	pt_leaf_protect(root, e, UVA, PT_U);
	cr_assert_eq(*e & PTE_SOFT_MASK, SOFT);
	cr_assert_eq(mmu_translate(root, UVA, MMU_WRITE | MMU_USER, &r), MMU_WRITE_PROTECT);
	cr_assert_eq(mmu_translate(root, UVA, MMU_READ | MMU_USER, &r), MMU_OK);
	cr_assert_eq(r.pa, FRAME);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 1, "the old rights may be cached");
	cr_assert(simhal_tlb_recent(0, &va));
	cr_assert_eq(va, UVA);
	pt_leaf_protect(root, e, UVA, PT_W | PT_U);
	cr_assert_eq(mmu_translate(root, UVA, MMU_WRITE | MMU_USER, &r), MMU_OK);
}

static void
count_put(pte_t e, enum pt_level level, void *arg)
{
	(void)e;
	if (level == PT_LEVEL_PT)
		++*(unsigned *)arg;
}

/* The present-entry summary of a leaf table (pmm_pt_groups): a bit per group of eight
 * entries, set by pt_leaf_set, pt_leaf_protect and pt_map alike, one bit for a run inside a
 * group; the upper tables mark the entries pt_walk made; tear-down finds every leaf. */
Test(pt_leaf, summary_marks_each_group_that_becomes_present)
{
	struct pt_cursor c = { .root = root };
	unsigned puts = 0;
	pte_t *e;

	cr_assert_eq(pt_cursor_leaf(&c, UVA, true, &e), 0);
	cr_assert_eq(*pmm_pt_groups(hal_virt_to_phys(e)), 0, "a new table marks nothing");
	for (unsigned i = 0; i < 8; i++)
		pt_leaf_set(root, e + i, UVA + i * PAGE_SIZE, FRAME, PT_U, 0);
	cr_assert_eq(*pmm_pt_groups(hal_virt_to_phys(e)), 1ull, "one group, one bit");
	pt_leaf_set(root, e + 511, UVA + 511 * PAGE_SIZE, FRAME, PT_U, 0);
	pt_leaf_protect(root, e + 17, UVA + 17 * PAGE_SIZE, PT_U);
	cr_assert_eq(pt_map(root, UVA + 300 * PAGE_SIZE, FRAME, PAGE_SIZE, PT_U), 0);
	cr_assert_eq(*pmm_pt_groups(hal_virt_to_phys(e)),
	             1ull | 1ull << 63 | 1ull << 2 | 1ull << (300 / 8));
	cr_assert_eq(*pmm_pt_groups(root), 1ull, "PML4[0] only");
	cr_assert_eq(pt_destroy_each(root, 0, VA_USER_END - 1, count_put, &puts), 0);
	cr_assert_eq(puts, 11);
	cr_assert_eq(mmfix_free_pages(), baseline);
}
