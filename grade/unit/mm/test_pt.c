/* Host tests of the page-table code, verified through the software MMU: mapping with every
 * permission and cache mode, unmapping, protecting, TLB flushes, every error code, atomicity
 * on E_NOMEM, and tear-down returning every table page. */
#include "mmfix.h"
#include "mmu.h"
#include "pt.h"

#define UVA   0x0000000040000000ull /* a user address: PML4[0] PDPT[1] */
#define KVA   0xffff800000200000ull /* a kernel address: PML4[256] */
#define FRAME 0x2000000ull          /* frames need not be managed memory */

static physaddr_t root;
static uint64_t baseline; /* free pages with the root allocated */

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

static void
translate(uint64_t va, unsigned access, enum mmu_fault want, struct mmu_result *r)
{
	cr_assert_eq(mmu_translate(root, va, access, r), want, "va 0x%llx access %u: %s, want %s",
	             (unsigned long long)va, access, mmu_fault_name(r->fault),
	             mmu_fault_name(want));
}

/* Every page of [va, va + size) maps to pa + offset with these rights. */
static void
expect_range(uint64_t va, uint64_t pa, uint64_t size, bool w, bool u, bool x)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		struct mmu_result r;

		translate(va + off + 0x18, MMU_READ, MMU_OK, &r);
		cr_assert_eq(r.pa, pa + off + 0x18, "va 0x%llx -> 0x%llx",
		             (unsigned long long)(va + off), (unsigned long long)r.pa);
		cr_assert_eq(r.writable, w);
		cr_assert_eq(r.user, u);
		cr_assert_eq(r.executable, x);
	}
}

static void
expect_unmapped(uint64_t va, unsigned level)
{
	struct mmu_result r;

	translate(va, MMU_READ, MMU_NOT_PRESENT, &r);
	cr_assert_eq(r.level, level, "va 0x%llx faults at level %u, want %u",
	             (unsigned long long)va, r.level, level);
}

TestSuite(pt, .init = setup);

Test(pt, map_translates_every_page_across_table_boundaries)
{
	uint64_t va = UVA + 2 * MiB - 40 * PAGE_SIZE;

	cr_assert_eq(pt_map(root, va, FRAME, 300 * PAGE_SIZE, PT_W | PT_U), 0);
	expect_range(va, FRAME, 300 * PAGE_SIZE, true, true, false);
	expect_unmapped(va - PAGE_SIZE, 1);
	expect_unmapped(va + 300 * PAGE_SIZE, 1);
	expect_unmapped(va + 1 * GiB, 3);
	expect_unmapped(va + 512 * GiB, 4);
	cr_assert_eq(baseline - mmfix_free_pages(), 3 + 1, "PDPT, PD, two PTs");
}

Test(pt, permissions_follow_the_flags)
{
	struct mmu_result r;

	cr_assert_eq(pt_map(root, UVA, FRAME, PAGE_SIZE, 0), 0);
	cr_assert_eq(pt_map(root, UVA + PAGE_SIZE, FRAME, PAGE_SIZE, PT_U | PT_X), 0);
	translate(UVA, MMU_READ | MMU_USER, MMU_USER_SUPERVISOR, &r);
	cr_assert_eq(r.level, 1);
	translate(UVA, MMU_WRITE, MMU_WRITE_PROTECT, &r);
	translate(UVA, MMU_EXEC, MMU_NX, &r);
	translate(UVA + PAGE_SIZE, MMU_EXEC | MMU_USER, MMU_OK, &r);
	translate(UVA + PAGE_SIZE, MMU_WRITE | MMU_USER, MMU_WRITE_PROTECT, &r);
	cr_assert(!r.global);
}

Test(pt, kernel_half_tables_are_not_user_accessible)
{
	struct mmu_result r;

	cr_assert_eq(pt_map(root, KVA, FRAME, PAGE_SIZE, PT_W | PT_G | PT_U), 0);
	translate(KVA, MMU_WRITE, MMU_OK, &r);
	cr_assert(r.global);
	translate(KVA, MMU_READ | MMU_USER, MMU_USER_SUPERVISOR, &r);
	cr_assert_eq(r.level, 4, "the PML4 entry of the upper half denies user access");
}

Test(pt, cache_modes_select_the_documented_pat_entries)
{
	static const unsigned mode[4] = { PT_CACHE_WB, PT_CACHE_WT, PT_CACHE_UC, PT_CACHE_WC };
	static const unsigned pat[4] = { 0, 1, 3, 4 };
	struct pt_mapping m;
	struct mmu_result r;

	cr_assert_eq((PTE_PAT_MSR_VALUE >> (8 * 4)) & 0xff, PAT_TYPE_WC);
	cr_assert_eq((PTE_PAT_MSR_VALUE >> (8 * 3)) & 0xff, PAT_TYPE_UC);
	cr_assert_eq(PTE_PAT_MSR_VALUE & 0xff, PAT_TYPE_WB);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t va = UVA + i * PAGE_SIZE;

		cr_assert_eq(pt_map(root, va, FRAME, PAGE_SIZE, mode[i] | PT_W), 0);
		translate(va, MMU_READ, MMU_OK, &r);
		cr_assert_eq(r.pat_index, pat[i], "mode %u", i);
		cr_assert_eq(pt_lookup(root, va, &m), 0);
		cr_assert_eq(m.flags, mode[i] | PT_W);
	}
}

Test(pt, lookup_reports_address_flags_and_size)
{
	struct pt_mapping m;

	cr_assert_eq(pt_map(root, UVA, FRAME, 2 * PAGE_SIZE, PT_W | PT_X | PT_U), 0);
	cr_assert_eq(pt_lookup(root, UVA + PAGE_SIZE + 5, &m), 0);
	cr_assert_eq(m.pa, FRAME + PAGE_SIZE + 5);
	cr_assert_eq(m.flags, PT_W | PT_X | PT_U);
	cr_assert_eq(m.size, PAGE_SIZE);
	cr_assert_eq(pt_lookup(root, UVA + 2 * PAGE_SIZE, &m), E_NOENT);
	cr_assert_eq(pt_lookup(root, 0x0000900000000000ull, &m), E_RANGE);
}

Test(pt, walk_finds_creates_and_reports)
{
	pte_t *e, *again;

	cr_assert_eq(pt_walk(root, UVA, PT_LEVEL_PT, false, &e), E_NOENT);
	cr_assert_eq(mmfix_free_pages(), baseline, "a failed lookup allocates nothing");
	cr_assert_eq(pt_walk(root, UVA, PT_LEVEL_PT, true, &e), 0);
	cr_assert_eq(*e, 0, "a new table is zeroed");
	cr_assert_eq(baseline - mmfix_free_pages(), 3);
	cr_assert_eq(pt_walk(root, UVA + PAGE_SIZE, PT_LEVEL_PT, false, &again), 0);
	cr_assert_eq(again, e + 1);
	cr_assert_eq(pt_walk(root, UVA, PT_LEVEL_PML4, false, &e), 0, "the PML4 always exists");
	cr_assert_eq(pmm_page(root)->use, PAGE_USE_PT);
}

Test(pt, mapping_over_a_mapping_needs_replace)
{
	struct mmu_result r;
	uintptr_t va;

	cr_assert_eq(pt_map(root, UVA, FRAME, 4 * PAGE_SIZE, PT_W), 0);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 0, "new mappings need no flush");
	cr_assert_eq(pt_map(root, UVA + 3 * PAGE_SIZE, 0x3000000, 2 * PAGE_SIZE, 0), E_EXIST);
	expect_unmapped(UVA + 4 * PAGE_SIZE, 1);
	expect_range(UVA, FRAME, 4 * PAGE_SIZE, true, false, false);
	cr_assert_eq(pt_map(root, UVA + 3 * PAGE_SIZE, 0x3000000, 2 * PAGE_SIZE, PT_REPLACE), 0);
	translate(UVA + 3 * PAGE_SIZE, MMU_READ, MMU_OK, &r);
	cr_assert_eq(r.pa, 0x3000000);
	cr_assert(!r.writable);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 1, "only the replaced page is flushed");
	cr_assert(simhal_tlb_recent(0, &va));
	cr_assert_eq(va, UVA + 3 * PAGE_SIZE);
}

Test(pt, unmap_removes_exactly_the_range_and_flushes_it)
{
	uintptr_t va;

	cr_assert_eq(pt_map(root, UVA, FRAME, 64 * PAGE_SIZE, PT_W), 0);
	cr_assert_eq(pt_unmap(root, UVA + 8 * PAGE_SIZE, 16 * PAGE_SIZE), 0);
	for (unsigned i = 0; i < 64; i++) {
		if (i >= 8 && i < 24)
			expect_unmapped(UVA + i * PAGE_SIZE, 1);
		else
			expect_range(UVA + i * PAGE_SIZE, FRAME + i * PAGE_SIZE, PAGE_SIZE, true,
			             false, false);
	}
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 16);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_ALL), 0);
	cr_assert(simhal_tlb_recent(0, &va));
	cr_assert_eq(va, UVA + 23 * PAGE_SIZE);
	cr_assert(simhal_tlb_recent(15, &va));
	cr_assert_eq(va, UVA + 8 * PAGE_SIZE);
}

Test(pt, large_unmaps_flush_the_whole_tlb_once)
{
	cr_assert_eq(pt_map(root, UVA, FRAME, 64 * PAGE_SIZE, PT_W), 0);
	cr_assert_eq(pt_unmap(root, UVA, 64 * PAGE_SIZE), 0);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 32);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_ALL), 1);
}

Test(pt, unmapping_holes_succeeds_without_flushing)
{
	cr_assert_eq(pt_unmap(root, UVA, 1 * GiB), 0);
	cr_assert_eq(pt_map(root, UVA, FRAME, PAGE_SIZE, 0), 0);
	cr_assert_eq(pt_unmap(root, UVA + PAGE_SIZE, 600 * GiB), 0);
	expect_range(UVA, FRAME, PAGE_SIZE, false, false, false);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 0);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_ALL), 0);
}

Test(pt, protect_changes_rights_but_not_frames)
{
	struct mmu_result r;

	cr_assert_eq(pt_map(root, UVA, FRAME, 8 * PAGE_SIZE, PT_W | PT_U), 0);
	cr_assert_eq(pt_protect(root, UVA + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PT_U | PT_X), 0);
	expect_range(UVA + 2 * PAGE_SIZE, FRAME + 2 * PAGE_SIZE, 2 * PAGE_SIZE, false, true, true);
	expect_range(UVA + 4 * PAGE_SIZE, FRAME + 4 * PAGE_SIZE, 4 * PAGE_SIZE, true, true, false);
	translate(UVA + 2 * PAGE_SIZE, MMU_WRITE | MMU_USER, MMU_WRITE_PROTECT, &r);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 2);
}

Test(pt, protect_of_a_range_with_a_hole_changes_nothing)
{
	cr_assert_eq(pt_map(root, UVA, FRAME, 2 * PAGE_SIZE, PT_W), 0);
	cr_assert_eq(pt_protect(root, UVA, 3 * PAGE_SIZE, 0), E_NOENT);
	expect_range(UVA, FRAME, 2 * PAGE_SIZE, true, false, false);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 0);
}

Test(pt, bad_arguments_return_their_error_codes)
{
	cr_assert_eq(pt_map(root, UVA + 1, FRAME, PAGE_SIZE, 0), E_ALIGN);
	cr_assert_eq(pt_map(root, UVA, FRAME + 8, PAGE_SIZE, 0), E_ALIGN);
	cr_assert_eq(pt_map(root, UVA, FRAME, 100, 0), E_ALIGN);
	cr_assert_eq(pt_map(root, UVA, FRAME, 0, 0), E_INVAL);
	cr_assert_eq(pt_map(root, UVA, FRAME, PAGE_SIZE, 0x8000), E_INVAL);
	cr_assert_eq(pt_map(root, 0x0000800000000000ull, FRAME, PAGE_SIZE, 0), E_RANGE);
	cr_assert_eq(pt_map(root, VA_USER_END - PAGE_SIZE, FRAME, 2 * PAGE_SIZE, 0), E_RANGE);
	cr_assert_eq(pt_map(root, 0xfffffffffffff000ull, FRAME, 2 * PAGE_SIZE, 0), E_RANGE);
	cr_assert_eq(pt_map(root, UVA, PHYS_ADDR_END - PAGE_SIZE, 2 * PAGE_SIZE, 0), E_RANGE);
	cr_assert_eq(pt_unmap(root, UVA, 0), E_INVAL);
	cr_assert_eq(pt_unmap(root, UVA + 8, PAGE_SIZE), E_ALIGN);
	cr_assert_eq(pt_unmap(root, 0x0000800000000000ull, PAGE_SIZE), E_RANGE);
	cr_assert_eq(pt_protect(root, UVA, PAGE_SIZE, PT_REPLACE), E_INVAL);
	cr_assert_eq(pt_protect(root, UVA, PAGE_SIZE, PT_W), E_NOENT);
	cr_assert_eq(pt_destroy(root, 0, 1 * GiB), E_ALIGN);
	cr_assert_eq(pt_destroy(root, 512 * GiB, 0), E_RANGE);
	cr_assert_eq(pt_destroy(root, 0, 0x0000900000000000ull), E_RANGE);
	cr_assert_eq(mmfix_free_pages(), baseline, "failed calls allocate nothing");
	cr_assert_eq(pt_map(root, 0xfffffffffffff000ull, FRAME, PAGE_SIZE, 0), 0,
	             "the last page of the address space is mappable");
}

/* Holds every free page but `keep`, so the next table allocations fail. */
static unsigned
starve(int64_t *held, unsigned keep)
{
	unsigned n = 0;
	int64_t pa;

	while (mmfix_free_pages() > keep && (pa = pmm_alloc(0)) >= 0)
		held[n++] = pa;
	return n;
}

Test(pt, nomem_changes_no_mapping)
{
	static int64_t held[8192];
	unsigned n;

	/* The first 2 MiB needs a PDPT, a PD and a PT; the next 2 MiB another PT. */
	n = starve(held, 3);
	cr_assert_eq(pt_map(root, UVA, FRAME, 4 * MiB, PT_W), E_NOMEM);
	for (uint64_t off = 0; off < 4 * MiB; off += PAGE_SIZE)
		expect_unmapped(UVA + off, 4);
	cr_assert_eq(mmfix_free_pages(), 3, "the three tables made went back, empty");
	while (n > 0)
		pmm_free(held[--n], 0);
	cr_assert_eq(pt_map(root, UVA, FRAME, 4 * MiB, PT_W), 0);
	expect_range(UVA, FRAME, 4 * MiB, true, false, false);
	cr_assert_eq(pt_destroy(root, 0, VA_USER_END - 1), 0);
	cr_assert_eq(mmfix_free_pages(), baseline);
}

Test(pt, destroy_returns_every_table_and_keeps_the_other_half)
{
	struct pmm_stats st;

	cr_assert_eq(pt_map(root, UVA, FRAME, 3 * MiB, PT_W | PT_U), 0);
	cr_assert_eq(pt_map(root, 5 * 512 * GiB + 7 * GiB, FRAME, 6 * PAGE_SIZE, PT_U), 0);
	cr_assert_eq(pt_map(root, 0x00007ffffffff000ull, FRAME, PAGE_SIZE, PT_U), 0);
	cr_assert_eq(pt_map(root, UVA + 64 * MiB, FRAME, 4 * MiB, PT_HUGE), 0);
	cr_assert_eq(pt_map(root, KVA, FRAME, 16 * PAGE_SIZE, PT_W | PT_G), 0);
	cr_assert_eq(pt_destroy(root, 0, VA_USER_END - 1), 0);
	expect_unmapped(UVA, 4);
	expect_unmapped(0x00007ffffffff000ull, 4);
	expect_range(KVA, FRAME, 16 * PAGE_SIZE, true, false, false);
	cr_assert_eq(baseline - mmfix_free_pages(), 3, "the kernel half's PDPT, PD and PT remain");
	cr_assert_eq(pt_destroy(root, VA_KERNEL_START, UINTPTR_MAX), 0);
	cr_assert_eq(mmfix_free_pages(), baseline);
	pt_root_free(root);
	pmm_get_stats(&st);
	cr_assert_eq(st.used_pages[PAGE_USE_PT], 0);
	cr_assert_eq(st.allocated, 0);
	cr_assert_eq(pmm_check(), 0);
}

/* What pt_destroy_each handed over: a bit per 4 KiB page of FRAME's first 2 MiB, and the
 * 2 MiB pages. */
struct puts {
	uint64_t small[512 / 64];
	unsigned small_count, huge_count;
	physaddr_t huge_pa;
};

static void
record_put(pte_t e, enum pt_level level, void *arg)
{
	struct puts *p = arg;
	uint64_t pa = e & PTE_ADDR_MASK;

	cr_assert(e & PTE_P, "put of a non-present entry 0x%llx", (unsigned long long)e);
	if (level == PT_LEVEL_PD) {
		cr_assert(e & PTE_PS);
		p->huge_count++;
		p->huge_pa = pa & ~(HUGE_SIZE - 1);
		return;
	}
	cr_assert_eq(level, PT_LEVEL_PT);
	cr_assert(pa >= FRAME && pa < FRAME + HUGE_SIZE, "pa 0x%llx", (unsigned long long)pa);
	p->small[(pa - FRAME) / PAGE_SIZE / 64] |= 1ull << ((pa - FRAME) / PAGE_SIZE % 64);
	p->small_count++;
}

/* Every present leaf once, whichever of a run of eight entries it sits in (first, last,
 * alone, beside unmapped ones), in every table; then the same tables as pt_destroy frees. */
Test(pt, destroy_each_hands_over_every_leaf_once)
{
	static const unsigned idx[] = { 0, 1, 7, 8, 15, 16, 63, 64, 255, 504, 510, 511 };
	struct puts got = { 0 };
	uint64_t mapped = 0;

	for (unsigned i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		cr_assert_eq(pt_map(root, UVA + idx[i] * PAGE_SIZE, FRAME + idx[i] * PAGE_SIZE,
		                    PAGE_SIZE, PT_U),
		             0);
		mapped++;
	}
	/* A page mapped and unmapped leaves a zero entry between present ones. */
	cr_assert_eq(pt_map(root, UVA + 9 * PAGE_SIZE, FRAME, PAGE_SIZE, PT_U), 0);
	cr_assert_eq(pt_unmap(root, UVA + 9 * PAGE_SIZE, PAGE_SIZE), 0);
	/* Other tables at each level: the last PML4 entry of the user half, PDPT[5]. */
	cr_assert_eq(pt_map(root, 0x00007ffffffff000ull, FRAME + 300 * PAGE_SIZE, PAGE_SIZE, PT_U),
	             0);
	cr_assert_eq(
	    pt_map(root, 5 * 512 * GiB + 5 * GiB, FRAME + 301 * PAGE_SIZE, PAGE_SIZE, PT_U), 0);
	mapped += 2;
	cr_assert_eq(pt_map(root, UVA + 64 * MiB, 4 * HUGE_SIZE, HUGE_SIZE, PT_HUGE | PT_U), 0);
	cr_assert_eq(pt_map(root, KVA, FRAME + 400 * PAGE_SIZE, PAGE_SIZE, PT_W), 0);
	cr_assert_eq(pt_destroy_each(root, 0, VA_USER_END - 1, record_put, &got), 0);
	cr_assert_eq(got.small_count, mapped);
	for (unsigned i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		cr_assert(got.small[idx[i] / 64] & (1ull << (idx[i] % 64)), "index %u", idx[i]);
	cr_assert(got.small[300 / 64] & (1ull << (300 % 64)));
	cr_assert(got.small[301 / 64] & (1ull << (301 % 64)));
	cr_assert_eq(got.huge_count, 1);
	cr_assert_eq(got.huge_pa, 4 * HUGE_SIZE);
	expect_unmapped(UVA, 4);
	expect_range(KVA, FRAME + 400 * PAGE_SIZE, PAGE_SIZE, true, false, false);
	cr_assert_eq(baseline - mmfix_free_pages(), 3, "the kernel half's PDPT, PD and PT remain");
	cr_assert_eq(pt_destroy_each(root, VA_KERNEL_START, UINTPTR_MAX, NULL, NULL), 0);
	cr_assert_eq(mmfix_free_pages(), baseline);
	cr_assert_eq(pt_destroy_each(root, 0, 1 * GiB, record_put, &got), E_ALIGN);
}

Test(pt, unmap_frees_the_tables_it_empties)
{
	cr_assert_eq(pt_map(root, UVA, FRAME, PAGE_SIZE, PT_W), 0);
	cr_assert_eq(pt_map(root, UVA + 1 * GiB, FRAME, PAGE_SIZE, PT_W), 0);
	cr_assert_eq(baseline - mmfix_free_pages(), 5, "PDPT, two PDs, two PTs");
	cr_assert_eq(pt_unmap(root, UVA, PAGE_SIZE), 0);
	cr_assert_eq(baseline - mmfix_free_pages(), 3, "the first PT and PD went");
	expect_range(UVA + 1 * GiB, FRAME, PAGE_SIZE, true, false, false);
	cr_assert_eq(pt_unmap(root, UVA + 1 * GiB, PAGE_SIZE), 0);
	cr_assert_eq(mmfix_free_pages(), baseline, "every table went with the last page");
	expect_unmapped(UVA + 1 * GiB, 4);
}

static int charged, charge_limit;

static int
count_charge(uint32_t owner, int pages)
{
	cr_assert_eq(owner, 7, "charged to the root's owner");
	if (pages > 0 && charged + pages > charge_limit)
		return E_NOMEM;
	charged += pages;
	return 0;
}

Test(pt, tables_are_charged_to_the_roots_owner_and_given_back)
{
	pmm_set_use(root, PAGE_USE_PT, 7);
	charged = 0, charge_limit = 100;
	pt_set_charge_hook(count_charge);
	cr_assert_eq(pt_map(root, UVA, FRAME, PAGE_SIZE, PT_W), 0);
	cr_assert_eq(charged, 3, "PDPT, PD, PT");
	cr_assert_eq(pt_map(root, UVA + 1 * GiB, FRAME, PAGE_SIZE, PT_W), 0);
	cr_assert_eq(charged, 5, "and a PD and a PT");
	cr_assert_eq(pt_unmap(root, UVA, PAGE_SIZE), 0);
	cr_assert_eq(pt_unmap(root, UVA + 1 * GiB, PAGE_SIZE), 0);
	cr_assert_eq(charged, 0, "every table given back");
	pt_set_charge_hook(NULL);
}

Test(pt, a_spent_account_refuses_the_table)
{
	pmm_set_use(root, PAGE_USE_PT, 7);
	charged = 0, charge_limit = 2;
	pt_set_charge_hook(count_charge);
	cr_assert_eq(pt_map(root, UVA, FRAME, PAGE_SIZE, PT_W), E_NOMEM);
	cr_assert_eq(charged, 0, "the PDPT and PD made before the PT was refused went back");
	cr_assert_eq(mmfix_free_pages(), baseline);
	expect_unmapped(UVA, 4);
	pt_set_charge_hook(NULL);
}
