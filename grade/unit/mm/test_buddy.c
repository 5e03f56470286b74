/* Host tests of the physical page allocator: initialisation from a memory map, buddy split
 * and coalesce, exhaustion, the page record, statistics, and the bugs it must catch. */
#include "cap.h"
#include "mmfix.h"

/* Region [1015, 2048) in pages: 1033 pages whose 9 metadata pages (1033 * 32 bytes) end
 * exactly at 4 MiB, leaving one free order-10 block [4 MiB, 8 MiB). */
#define ONE_BLOCK_START (1015 * PAGE_SIZE)
#define ONE_BLOCK_END   (8 * MiB)
#define BLOCK           (4 * MiB)

static void
one_block(void)
{
	mmfix_pmm(16 * MiB, ONE_BLOCK_START, ONE_BLOCK_END);
}

/* The free-block counts of orders 0..10 must be exactly `want`. */
static void
expect_blocks(const uint64_t want[PMM_NORDERS], const char *when)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	for (unsigned k = 0; k < PMM_NORDERS; k++)
		cr_assert_eq(st.free_blocks[k], want[k],
		             "%s: order %u has %llu free blocks, want %llu", when, k,
		             (unsigned long long)st.free_blocks[k], (unsigned long long)want[k]);
	cr_assert_eq(pmm_check(), 0, "%s: pmm_check failed", when);
}

Test(buddy, init_places_metadata_in_the_region_and_frees_the_rest)
{
	static const uint64_t want[PMM_NORDERS] = { [10] = 1 };
	struct pmm_stats st;

	one_block();
	pmm_get_stats(&st);
	cr_assert_eq(st.total, 1033);
	cr_assert_eq(st.reserved, 9);
	cr_assert_eq(st.managed, 1024);
	cr_assert_eq(st.free, 1024);
	cr_assert_eq(st.allocated, 0);
	cr_assert_eq(st.regions, 1);
	expect_blocks(want, "after init");
	cr_assert_eq(pmm_page(ONE_BLOCK_START)->state, PAGE_RESERVED);
	cr_assert_eq(pmm_page(BLOCK - PAGE_SIZE)->state, PAGE_RESERVED);
	cr_assert_eq(pmm_page(BLOCK)->state, PAGE_FREE);
	cr_assert_null(pmm_page(ONE_BLOCK_START - PAGE_SIZE));
	cr_assert_null(pmm_page(ONE_BLOCK_END));
}

Test(buddy, split_and_coalesce_give_exact_free_counts)
{
	static const uint64_t s1[PMM_NORDERS] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s2[PMM_NORDERS] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s3[PMM_NORDERS] = { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s4[PMM_NORDERS] = { 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s5[PMM_NORDERS] = { 2, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s6[PMM_NORDERS] = { 1, 2, 0, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s7[PMM_NORDERS] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const uint64_t s8[PMM_NORDERS] = { [10] = 1 };
	int64_t a, b, c, d;

	one_block();
	a = pmm_alloc(0);
	cr_assert_eq(a, BLOCK, "the lowest half is kept at every split");
	expect_blocks(s1, "alloc 0");
	b = pmm_alloc(0);
	cr_assert_eq(b, BLOCK + PAGE_SIZE);
	expect_blocks(s2, "alloc 0 again");
	c = pmm_alloc(1);
	cr_assert_eq(c, BLOCK + 2 * PAGE_SIZE);
	expect_blocks(s3, "alloc 1");
	d = pmm_alloc(0);
	cr_assert_eq(d, BLOCK + 4 * PAGE_SIZE);
	expect_blocks(s4, "alloc 0 splitting an order-2 block");
	pmm_free(a, 0);
	expect_blocks(s5, "free with an allocated buddy");
	pmm_free(b, 0);
	expect_blocks(s6, "free merging one level");
	pmm_free(c, 1);
	expect_blocks(s7, "free merging into order 2");
	pmm_free(d, 0);
	expect_blocks(s8, "free merging up to order 10");
}

Test(buddy, blocks_are_aligned_to_their_order)
{
	one_block();
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		int64_t pa = pmm_alloc(k);

		cr_assert_geq(pa, 0);
		cr_assert(MM_IS_ALIGNED(pa, PAGE_SIZE << k), "order %u block at 0x%llx", k,
		          (unsigned long long)pa);
		pmm_free(pa, k);
	}
}

Test(buddy, exhaustion_returns_nomem_and_frees_make_it_work_again)
{
	static const uint64_t whole[PMM_NORDERS] = { [10] = 1 };
	int64_t pa;

	one_block();
	for (unsigned i = 0; i < 1024; i++)
		cr_assert_eq(pmm_alloc(0), (int64_t)(BLOCK + i * PAGE_SIZE));
	cr_assert_eq(pmm_alloc(0), E_NOMEM);
	cr_assert_eq(pmm_alloc(3), E_NOMEM);
	cr_assert_eq(mmfix_free_pages(), 0);
	pmm_free(BLOCK + 77 * PAGE_SIZE, 0);
	cr_assert_eq(pmm_alloc(1), E_NOMEM, "one free page is not an order-1 block");
	pa = pmm_alloc(0);
	cr_assert_eq(pa, BLOCK + 77 * PAGE_SIZE);
	for (unsigned i = 0; i < 1024; i++)
		pmm_free(BLOCK + i * PAGE_SIZE, 0);
	expect_blocks(whole, "after freeing every page");
	cr_assert_eq(pmm_alloc(10), BLOCK);
}

Test(buddy, order_above_max_is_invalid)
{
	one_block();
	cr_assert_eq(pmm_alloc(PMM_MAX_ORDER + 1), E_INVAL);
	cr_assert_eq(mmfix_free_pages(), 1024);
}

Test(buddy, init_subtracts_low_memory_reserved_entries_and_exclusions)
{
	static const struct boot_mem map[] = {
		{ 0, 640 * 1024, BOOT_MEM_AVAILABLE },
		{ 640 * 1024, 384 * 1024, BOOT_MEM_RESERVED },
		{ 1 * MiB, 15 * MiB, BOOT_MEM_AVAILABLE },
		{ 8 * MiB, 8 * 1024, BOOT_MEM_ACPI_RECLAIMABLE },
		{ 32 * MiB, 16 * MiB, BOOT_MEM_AVAILABLE },
		{ 32 * MiB, 4 * MiB, BOOT_MEM_AVAILABLE }, /* a duplicate must not count twice */
	};
	static const struct pmm_range excl[] = {
		{ 2 * MiB, 3 * MiB + 100 }, /* the kernel: its end rounds up */
		{ 5 * MiB, 5 * MiB + 1 },   /* a module of one byte takes its page */
	};
	/* Regions [1M,2M) [3M+4K,5M) [5M+4K,8M) [8M+8K,16M) [32M,48M): 256 + 511 + 767 + 2046
	 * + 4096 pages, of which 2 + 4 + 6 + 16 + 32 hold metadata. */
	const uint64_t managed = 254 + 507 + 761 + 2030 + 4064;
	struct pmm_stats st;
	uint64_t n = 0;
	int64_t pa;

	mmfix_mem(64 * MiB);
	cr_assert_eq(pmm_init(map, 6, excl, 2), 0);
	pmm_get_stats(&st);
	cr_assert_eq(st.regions, 5);
	cr_assert_eq(st.total, 160 + 3840 + 4096);
	cr_assert_eq(st.managed, managed);
	cr_assert_eq(st.reserved, st.total - managed);
	cr_assert_null(pmm_page(0x9f000));
	cr_assert_null(pmm_page(3 * MiB));
	cr_assert_null(pmm_page(5 * MiB));
	cr_assert_null(pmm_page(8 * MiB + 4096));
	while ((pa = pmm_alloc(0)) >= 0) {
		cr_assert(!(pa < 1 * MiB || (pa >= 2 * MiB && pa < 3 * MiB + 4096) ||
		            pa == 5 * MiB || (pa >= 8 * MiB && pa < 8 * MiB + 8192) ||
		            (pa >= 16 * MiB && pa < 32 * MiB) || pa >= 48 * MiB),
		          "handed out excluded page 0x%llx", (unsigned long long)pa);
		cr_assert_eq(pmm_page(pa)->state, PAGE_ALLOCATED);
		n++;
	}
	cr_assert_eq(pa, E_NOMEM);
	cr_assert_eq(n, managed);
}

Test(buddy, init_rejects_bad_arguments_and_empty_maps)
{
	static const struct boot_mem low = { 0, 1 * MiB, BOOT_MEM_AVAILABLE };
	struct pmm_range excl[PMM_MAX_EXCL + 1] = { 0 };

	mmfix_mem(4 * MiB);
	cr_assert_eq(pmm_init(&low, 1, excl, PMM_MAX_EXCL + 1), E_INVAL);
	cr_assert_eq(pmm_init(NULL, 1, NULL, 0), E_INVAL);
	cr_assert_eq(pmm_init(&low, BOOT_MAX_MEM + 1, NULL, 0), E_INVAL);
	cr_assert_eq(pmm_init(&low, 1, NULL, 0), E_NOMEM, "the first MiB is never usable");
}

Test(buddy, boot_exclusions_cover_kernel_modules_and_framebuffer)
{
	struct bootinfo bi = { .nmodules = 2, .kernel_start = 0x100000, .kernel_end = 0x180000 };
	struct pmm_range out[4];

	bi.modules[0] = (struct boot_module){ 0x200000, 0x201000, "initrd" };
	bi.modules[1] = (struct boot_module){ 0x300000, 0x300010, "m" };
	bi.fb = (struct boot_fb){
		.type = BOOT_FB_RGB, .addr = 0xfd000000, .pitch = 4096, .height = 768
	};
	cr_assert_eq(pmm_boot_exclusions(&bi, out, 4), 4);
	cr_assert_eq(out[0].start, 0x100000);
	cr_assert_eq(out[0].end, 0x180000);
	cr_assert_eq(out[1].end, 0x201000);
	cr_assert_eq(out[2].start, 0x300000);
	cr_assert_eq(out[3].end, 0xfd000000 + 4096ull * 768);
	cr_assert_eq(pmm_boot_exclusions(&bi, out, 3), E_RANGE);
	bi.fb.type = BOOT_FB_NONE;
	cr_assert_eq(pmm_boot_exclusions(&bi, out, 3), 3);
}

Test(buddy, boot_exclusions_keep_the_multiboot_information)
{
	struct bootinfo bi = {
		.kernel_start = 0x100000,
		.kernel_end = 0x180000,
		.info_start = 0x10000,
		.info_end = 0x10a48,
	};
	struct pmm_range out[2];

	bi.fb.type = BOOT_FB_NONE;
	cr_assert_eq(pmm_boot_exclusions(&bi, out, 1), E_RANGE);
	cr_assert_eq(pmm_boot_exclusions(&bi, out, 2), 2);
	cr_assert_eq(out[1].start, 0x10000);
	cr_assert_eq(out[1].end, 0x10a48);
}

Test(buddy, a_user_page_records_its_frame_object_until_cleared)
{
	static struct cap_object obj;
	int64_t pa;

	one_block();
	pa = pmm_alloc(2);
	cr_assert_null(pmm_frame(pa), "a new block names no frame object");
	pmm_set_use(pa, PAGE_USE_USER, 42);
	pmm_set_frame(pa, &obj);
	cr_assert_eq(pmm_frame(pa), &obj);
	cr_assert_eq(pmm_frame(pa + PAGE_SIZE - 1), &obj, "any address in the page finds it");
	cr_assert_null(pmm_frame(pa + PAGE_SIZE), "a page inside the block is no frame");
	cr_assert_eq(mmfix_free_pages(), 1020);
	pmm_set_frame(pa, NULL);
	cr_assert_null(pmm_frame(pa));
	pmm_free(pa, 2);
	cr_assert_eq(mmfix_free_pages(), 1024);
	cr_assert_null(pmm_frame(pa), "a free page names no frame object");
	cr_assert_eq(pmm_check(), 0);
}

Test(buddy, only_a_user_page_can_record_a_frame_object)
{
	static struct cap_object obj;
	int64_t pa;

	one_block();
	pa = pmm_alloc(0);
	MMFIX_EXPECT_PANIC(pmm_set_frame(pa, &obj), "pmm_set_frame: 0x400000 is not a user page");
	cr_assert_null(pmm_frame(pa));
	MMFIX_EXPECT_PANIC(pmm_set_frame(12 * MiB, &obj),
	                   "pmm_set_frame: 0xc00000 is not a managed page");
}

Test(buddy, use_tags_are_counted)
{
	struct pmm_stats st;
	int64_t a, b;

	one_block();
	a = pmm_alloc(0);
	b = pmm_alloc(3);
	pmm_set_use(b, PAGE_USE_USER, 42);
	cr_assert_eq(pmm_page(b)->owner, 42);
	pmm_get_stats(&st);
	cr_assert_eq(st.used_pages[PAGE_USE_KERNEL], 1);
	cr_assert_eq(st.used_pages[PAGE_USE_USER], 8);
	cr_assert_eq(st.allocated, 9);
	pmm_free(b, 3);
	pmm_free(a, 0);
	pmm_get_stats(&st);
	cr_assert_eq(st.used_pages[PAGE_USE_USER], 0);
	cr_assert_eq(st.used_pages[PAGE_USE_KERNEL], 0);
}

Test(buddy, print_stats_reports_counts)
{
	char log[1024];

	one_block();
	pmm_alloc(0);
	simhal_capture_log(log, sizeof(log));
	pmm_print_stats();
	simhal_capture_log(NULL, 0);
	cr_assert(strstr(log, "pages: total 1033 reserved 9 managed 1024 free 1023 allocated 1"),
	          "%s", log);
	cr_assert(strstr(log, "in use: kernel 1 pt 0"), "%s", log);
	cr_assert(
	    strstr(log, "free blocks by order: 0:1 1:1 2:1 3:1 4:1 5:1 6:1 7:1 8:1 9:1 10:0\n"),
	    "%s", log);
}

Test(buddy, freeing_a_free_page_panics_with_its_address)
{
	int64_t pa;

	one_block();
	pa = pmm_alloc(0);
	pmm_free(pa, 0);
	MMFIX_EXPECT_PANIC(pmm_free(pa, 0), "pmm_free: 0x400000 is not an allocated block");
}

Test(buddy, freeing_with_the_wrong_order_panics)
{
	int64_t pa;

	one_block();
	pa = pmm_alloc(1);
	MMFIX_EXPECT_PANIC(pmm_free(pa, 0), "block 0x400000 has order 1, freed with order 0");
	cr_assert_eq(mmfix_free_pages(), 1022, "the block stays allocated");
}

Test(buddy, freeing_inside_a_block_panics)
{
	int64_t pa;

	one_block();
	pa = pmm_alloc(2);
	MMFIX_EXPECT_PANIC(pmm_free(pa + PAGE_SIZE, 0),
	                   "0x401000 is not an allocated block (page is inside a block)");
}

Test(buddy, freeing_unmanaged_or_referenced_memory_panics)
{
	static struct cap_object obj;
	int64_t pa;

	one_block();
	MMFIX_EXPECT_PANIC(pmm_free(ONE_BLOCK_START, 0),
	                   "0x3f7000 is not an allocated block (page is reserved)");
	MMFIX_EXPECT_PANIC(pmm_free(12 * MiB, 0), "pmm_free: 0xc00000 is not a managed page");
	pa = pmm_alloc(0);
	pmm_set_use(pa, PAGE_USE_USER, 1);
	pmm_set_frame(pa, &obj);
	MMFIX_EXPECT_PANIC(pmm_free(pa, 0), "block 0x400000 still names a frame object");
	cr_assert_eq(mmfix_free_pages(), 1023, "the block stays allocated");
}

Test(buddy, check_detects_corrupt_metadata)
{
	struct page *pg;

	one_block();
	cr_assert_eq(pmm_check(), 0);
	pg = (struct page *)pmm_page(BLOCK);
	pg->order = 9;
	cr_assert_eq(pmm_check(), E_RANGE);
}

/* pmm_alloc_as tags the block at once (one lock round trip); a page-table page, and only
 * one, has a present-entry summary, which starts empty even on a page reused after free. */
Test(buddy, alloc_as_tags_the_block_and_a_table_page_has_a_summary)
{
	struct pmm_stats st;
	int64_t pa, user;

	one_block();
	cr_assert_eq(pmm_alloc_as(0, PAGE_USE_NONE, 0), E_INVAL);
	cr_assert_eq(pmm_alloc_as(0, PAGE_USE_COUNT, 0), E_INVAL);
	cr_assert_eq(pmm_alloc_as(PMM_MAX_ORDER + 1, PAGE_USE_PT, 0), E_INVAL);
	pa = pmm_alloc_as(0, PAGE_USE_PT, 0);
	cr_assert_geq(pa, 0);
	pmm_get_stats(&st);
	cr_assert_eq(st.used_pages[PAGE_USE_PT], 1);
	cr_assert_eq(st.used_pages[PAGE_USE_KERNEL], 0);
	cr_assert_eq(*pmm_pt_groups(pa), 0);
	*pmm_pt_groups(pa) = 0x81;
	pmm_free(pa, 0);
	cr_assert_eq(pmm_alloc_as(0, PAGE_USE_PT, 0), pa, "the same page again");
	cr_assert_eq(*pmm_pt_groups(pa), 0, "the summary of a reused page starts empty");
	user = pmm_alloc_as(0, PAGE_USE_USER, 7);
	cr_assert_eq(pmm_page(user)->owner, 7);
	MMFIX_EXPECT_PANIC(pmm_pt_groups(user), "pmm_pt_groups: 0x401000 is not a page-table page");
	pmm_free(user, 0);
	pmm_free(pa, 0);
	cr_assert_eq(pmm_check(), 0);
}
