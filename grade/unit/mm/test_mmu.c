/* Host tests of the software MMU on hand-built page tables: translation at every page size,
 * the level and reason of every kind of fault, and the CR0.WP/SMEP/SMAP/A-D options. */
#include "mmfix.h"
#include "mmu.h"
#include "pte.h"

/* Tables at fixed pages of a 4 MiB simulated memory. */
#define PML4 0x10000ull
#define PDPT 0x11000ull
#define PD   0x12000ull
#define PT   0x13000ull
#define VA   0x0000004040201000ull /* PML4[0] PDPT[257] PD[1] PT[1] */

static pte_t *
entry(physaddr_t table, unsigned index)
{
	return (pte_t *)hal_phys_to_virt(table) + index;
}

/* VA -> 0x5000 through PML4/PDPT/PD/PT, every level user-writable, leaf flags `leaf`. */
static void
build(pte_t leaf)
{
	struct mmu_config cfg = { .wp = true, .maxphyaddr = 52 };

	mmfix_mem(4 * MiB);
	mmu_set_config(&cfg);
	memset(hal_phys_to_virt(PML4), 0, 4 * PAGE_SIZE);
	*entry(PML4, PTE_INDEX(VA, 4)) = PDPT | PTE_P | PTE_W | PTE_U;
	*entry(PDPT, PTE_INDEX(VA, 3)) = PD | PTE_P | PTE_W | PTE_U;
	*entry(PD, PTE_INDEX(VA, 2)) = PT | PTE_P | PTE_W | PTE_U;
	*entry(PT, PTE_INDEX(VA, 1)) = 0x5000 | leaf;
}

static void
expect_fault(uint64_t va, unsigned access, enum mmu_fault f, unsigned level, uint32_t code)
{
	struct mmu_result r;

	cr_assert_eq(mmu_translate(PML4, va, access, &r), f, "got %s, want %s",
	             mmu_fault_name(r.fault), mmu_fault_name(f));
	cr_assert_eq(r.fault, f);
	cr_assert_eq(r.level, level, "%s at level %u, want %u", mmu_fault_name(f), r.level, level);
	cr_assert_eq(r.error_code, code, "error code 0x%x, want 0x%x", r.error_code, code);
}

Test(mmu, translates_a_4k_page_with_its_rights)
{
	struct mmu_result r;

	build(PTE_P | PTE_W | PTE_U | PTE_G | PTE_PCD | PTE_PWT);
	cr_assert_eq(mmu_translate(PML4, VA + 0x123, MMU_WRITE | MMU_USER, &r), MMU_OK);
	cr_assert_eq(r.pa, 0x5123);
	cr_assert_eq(r.page_size, PAGE_SIZE);
	cr_assert_eq(r.level, 1);
	cr_assert(r.writable && r.user && r.executable && r.global);
	cr_assert_eq(r.pat_index, 3);
}

Test(mmu, translates_2m_and_1g_pages)
{
	struct mmu_result r;

	build(PTE_P);
	*entry(PD, 5) = 0x40000000ull | PTE_P | PTE_PS | PTE_PAT_LARGE;
	cr_assert_eq(mmu_translate(PML4, 0x0000004040a12345ull, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pa, 0x40012345ull);
	cr_assert_eq(r.page_size, 2 * MiB);
	cr_assert_eq(r.level, 2);
	cr_assert_eq(r.pat_index, 4);
	*entry(PDPT, 3) = 0x80000000ull | PTE_P | PTE_PS | PTE_NX;
	cr_assert_eq(mmu_translate(PML4, 0x00000000c1234567ull, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pa, 0x81234567ull);
	cr_assert_eq(r.page_size, 1 * GiB);
	cr_assert_eq(r.level, 3);
	cr_assert(!r.executable);
}

Test(mmu, not_present_is_reported_at_the_level_it_occurs)
{
	build(PTE_P);
	expect_fault(VA + PAGE_SIZE, MMU_READ, MMU_NOT_PRESENT, 1, 0);
	expect_fault(VA + 2 * MiB, MMU_WRITE, MMU_NOT_PRESENT, 2, MMU_PF_W);
	expect_fault(VA + 1 * GiB, MMU_READ | MMU_USER, MMU_NOT_PRESENT, 3, MMU_PF_U);
	expect_fault(VA + (512 * GiB), MMU_EXEC, MMU_NOT_PRESENT, 4, MMU_PF_I);
}

Test(mmu, reserved_bits_fault_at_their_level)
{
	struct mmu_config cfg = { .wp = true, .maxphyaddr = 40 };

	build(PTE_P);
	*entry(PD, 5) = 0x40000000ull | PTE_P | PTE_PS | (1ull << 13);
	expect_fault(0x0000004040a00000ull, MMU_READ, MMU_RESERVED, 2, MMU_PF_P | MMU_PF_RSVD);
	*entry(PDPT, 3) = 0x80000000ull | PTE_P | PTE_PS | (1ull << 20);
	expect_fault(0x00000000c0000000ull, MMU_READ, MMU_RESERVED, 3, MMU_PF_P | MMU_PF_RSVD);
	*entry(PML4, 1) = PDPT | PTE_P | PTE_PS;
	expect_fault(512 * GiB, MMU_READ, MMU_RESERVED, 4, MMU_PF_P | MMU_PF_RSVD);
	*entry(PT, PTE_INDEX(VA, 1)) = 0x5000 | PTE_P | (1ull << 45);
	expect_fault(VA, MMU_READ, MMU_OK, 1, 0);
	mmu_set_config(&cfg);
	expect_fault(VA, MMU_READ, MMU_RESERVED, 1, MMU_PF_P | MMU_PF_RSVD);
}

Test(mmu, user_access_needs_u_at_every_level)
{
	build(PTE_P | PTE_U);
	*entry(PDPT, PTE_INDEX(VA, 3)) &= ~PTE_U;
	expect_fault(VA, MMU_READ | MMU_USER, MMU_USER_SUPERVISOR, 3, MMU_PF_P | MMU_PF_U);
	expect_fault(VA, MMU_READ, MMU_OK, 1, 0);
}

Test(mmu, writes_honour_rw_and_cr0_wp)
{
	struct mmu_config cfg = { .wp = false, .maxphyaddr = 52 };

	build(PTE_P | PTE_W | PTE_U);
	*entry(PD, PTE_INDEX(VA, 2)) &= ~PTE_W;
	expect_fault(VA, MMU_WRITE | MMU_USER, MMU_WRITE_PROTECT, 2,
	             MMU_PF_P | MMU_PF_W | MMU_PF_U);
	expect_fault(VA, MMU_WRITE, MMU_WRITE_PROTECT, 2, MMU_PF_P | MMU_PF_W);
	mmu_set_config(&cfg);
	expect_fault(VA, MMU_WRITE, MMU_OK, 1, 0);
	expect_fault(VA, MMU_WRITE | MMU_USER, MMU_WRITE_PROTECT, 2,
	             MMU_PF_P | MMU_PF_W | MMU_PF_U);
}

Test(mmu, execute_needs_xd_clear_at_every_level)
{
	build(PTE_P | PTE_U);
	expect_fault(VA, MMU_EXEC | MMU_USER, MMU_OK, 1, 0);
	*entry(PML4, PTE_INDEX(VA, 4)) |= PTE_NX;
	expect_fault(VA, MMU_EXEC | MMU_USER, MMU_NX, 4, MMU_PF_P | MMU_PF_U | MMU_PF_I);
	expect_fault(VA, MMU_READ | MMU_USER, MMU_OK, 1, 0);
}

Test(mmu, smep_and_smap_guard_user_pages_from_the_kernel)
{
	struct mmu_config cfg = { .wp = true, .smep = true, .smap = true, .maxphyaddr = 52 };

	build(PTE_P | PTE_U);
	expect_fault(VA, MMU_EXEC, MMU_OK, 1, 0);
	expect_fault(VA, MMU_READ, MMU_OK, 1, 0);
	mmu_set_config(&cfg);
	expect_fault(VA, MMU_EXEC, MMU_SMEP, 1, MMU_PF_P | MMU_PF_I);
	expect_fault(VA, MMU_READ, MMU_SMAP, 1, MMU_PF_P);
	expect_fault(VA, MMU_READ | MMU_USER, MMU_OK, 1, 0);
}

Test(mmu, accessed_and_dirty_bits_are_set_when_configured)
{
	struct mmu_config cfg = { .wp = true, .set_accessed = true, .maxphyaddr = 52 };
	struct mmu_result r;

	build(PTE_P | PTE_W);
	mmu_translate(PML4, VA, MMU_READ, &r);
	cr_assert_eq(*entry(PT, PTE_INDEX(VA, 1)) & (PTE_A | PTE_D), 0, "off by default");
	mmu_set_config(&cfg);
	mmu_translate(PML4, VA, MMU_READ, &r);
	cr_assert_eq(*entry(PT, PTE_INDEX(VA, 1)) & (PTE_A | PTE_D), PTE_A);
	cr_assert(*entry(PML4, PTE_INDEX(VA, 4)) & PTE_A);
	mmu_translate(PML4, VA, MMU_WRITE, &r);
	cr_assert_eq(*entry(PT, PTE_INDEX(VA, 1)) & (PTE_A | PTE_D), PTE_A | PTE_D);
}

Test(mmu, non_canonical_addresses_do_not_walk)
{
	build(PTE_P);
	expect_fault(0x0000800000000000ull, MMU_READ, MMU_NONCANONICAL, 0, 0);
	expect_fault(0xffff7fffffffffffull, MMU_READ, MMU_NONCANONICAL, 0, 0);
}

Test(mmu, a_table_outside_simulated_memory_is_a_test_failure)
{
	build(PTE_P);
	*entry(PD, PTE_INDEX(VA, 2)) = (64 * MiB) | PTE_P;
	MMFIX_EXPECT_PANIC(expect_fault(VA, MMU_READ, MMU_OK, 1, 0),
	                   "0x4000000 is outside simulated memory");
}
