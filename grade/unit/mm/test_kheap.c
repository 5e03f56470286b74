/* Host tests of the kernel heap: size classes, reuse, slab release, exhaustion, and the
 * detection of double frees and foreign pointers (caught through simhal's panic hook). */
#include <stdio.h>

#include "kheap.h"
#include "mmfix.h"
#include "pt.h"

#define OBJS_16 252 /* (4096 - 64-byte header) / 16 */

static void
setup(void)
{
	mmfix_pmm(32 * MiB, 1 * MiB, 16 * MiB);
	kheap_init();
}

TestSuite(kheap, .init = setup);

Test(kheap, sizes_round_up_to_their_class)
{
	static const size_t req[] = { 1, 16, 17, 100, 512, 1025, 2048, 2049, 4097, 100000 };
	static const size_t got[] = { 16, 16, 32, 128, 512, 2048, 2048, 4096, 8192, 131072 };
	struct kheap_stats st;

	for (unsigned i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		void *p = kmalloc(req[i]);

		cr_assert_not_null(p);
		cr_assert(MM_IS_ALIGNED((uintptr_t)p, 16));
		cr_assert_eq(kheap_usable_size(p), got[i], "kmalloc(%zu)", req[i]);
		memset(p, 0x5a, req[i]);
	}
	kheap_get_stats(&st);
	cr_assert_eq(st.objects[0], 2);
	cr_assert_eq(st.objects[1], 1);
	cr_assert_eq(st.objects[3], 1);
	cr_assert_eq(st.objects[5], 1);
	cr_assert_eq(st.objects[7], 2);
	cr_assert_eq(st.large_blocks, 3);
	cr_assert_eq(st.large_pages, 1 + 2 + 32);
}

Test(kheap, zero_bytes_is_null_and_freeing_null_is_harmless)
{
	cr_assert_null(kmalloc(0));
	kfree(NULL);
}

Test(kheap, a_freed_object_is_reused_first)
{
	void *a = kmalloc(64), *b = kmalloc(64), *c = kmalloc(64);

	cr_assert_eq((char *)b - (char *)a, 64);
	kfree(b);
	cr_assert_eq(((uint8_t *)b)[0], 0x6b, "freed objects are poisoned");
	cr_assert_eq(((uint8_t *)b)[63], 0x6b);
	cr_assert_eq(kmalloc(64), b);
	kfree(a);
	kfree(b);
	kfree(c);
}

Test(kheap, slabs_fill_then_grow_and_empty_ones_are_released)
{
	static void *p[3 * OBJS_16];
	struct kheap_stats st;
	struct pmm_stats ps;

	for (unsigned i = 0; i < 3 * OBJS_16; i++)
		p[i] = kmalloc(16);
	kheap_get_stats(&st);
	cr_assert_eq(st.slabs[0], 3);
	cr_assert_eq(st.objects[0], 3 * OBJS_16);
	cr_assert_eq(((uintptr_t)p[OBJS_16 - 1] & ~(PAGE_SIZE - 1)),
	             ((uintptr_t)p[0] & ~(PAGE_SIZE - 1)), "252 objects share a page");
	cr_assert_neq(((uintptr_t)p[OBJS_16] & ~(PAGE_SIZE - 1)),
	              ((uintptr_t)p[0] & ~(PAGE_SIZE - 1)));
	for (unsigned i = 0; i < 3 * OBJS_16; i++)
		kfree(p[i]);
	kheap_get_stats(&st);
	cr_assert_eq(st.slabs[0], 1, "one empty slab is kept");
	cr_assert_eq(st.objects[0], 0);
	pmm_get_stats(&ps);
	cr_assert_eq(ps.used_pages[PAGE_USE_HEAP], 1);
}

Test(kheap, exhaustion_returns_null_and_recovers)
{
	struct pmm_stats ps;
	uint64_t n = 0, pages;
	void *p, *last = NULL;

	pmm_get_stats(&ps);
	pages = ps.free;
	while ((p = kmalloc(16)) != NULL) {
		last = p;
		n++;
	}
	cr_assert_eq(n, pages * OBJS_16, "every page becomes a full slab");
	cr_assert_null(kmalloc(2048));
	cr_assert_null(kmalloc(5000));
	kfree(last);
	cr_assert_eq(kmalloc(16), last);
	cr_assert_null(kmalloc(8 * MiB), "larger than the largest buddy block");
}

static __attribute__((noinline)) void
free_here(void *p)
{
	kfree(p);
	__asm__ volatile(""); /* keep kfree from becoming a tail call */
}

Test(kheap, double_free_is_reported_with_the_caller)
{
	void *p = kmalloc(100), *caller = NULL;
	char want[64];
	const char *msg;

	kfree(p);
	snprintf(want, sizeof(want), "kfree: double free of %p, caller ", p);
	MMFIX_EXPECT_PANIC(free_here(p), want);
	msg = strstr(simhal_last_panic(), "caller ");
	cr_assert_eq(sscanf(msg, "caller %p", &caller), 1);
	cr_assert((uintptr_t)caller > (uintptr_t)free_here &&
	              (uintptr_t)caller < (uintptr_t)free_here + 1024,
	          "caller %p is not in free_here %p", caller, (void *)free_here);
}

Test(kheap, foreign_pointers_are_reported)
{
	char *small = kmalloc(32), *big = kmalloc(3 * PAGE_SIZE);
	void *table = hal_phys_to_virt((physaddr_t)pt_root_alloc());

	MMFIX_EXPECT_PANIC(kfree(small + 8), "is not the start of a heap object");
	MMFIX_EXPECT_PANIC(kfree(table), "is not a live heap pointer");
	MMFIX_EXPECT_PANIC(kfree(big + PAGE_SIZE), "is not a live heap pointer");
	MMFIX_EXPECT_PANIC(kfree(big + 16), "is inside a large block");
	kfree(big);
	MMFIX_EXPECT_PANIC(kfree(big), "is not a live heap pointer");
	kfree(small);
}

Test(kheap, print_stats_lists_classes)
{
	char log[512];

	kmalloc(16);
	kmalloc(3000);
	simhal_capture_log(log, sizeof(log));
	kheap_print_stats();
	simhal_capture_log(NULL, 0);
	cr_assert(strstr(log, "kheap: 16:1/1 32:0/0"), "%s", log);
	cr_assert(strstr(log, "large 1 blocks 1 pages"), "%s", log);
}

/* Every byte of a freed object of every slab class is poisoned, and none of its
 * neighbours' (the fill is word-wise). */
Test(kheap, every_byte_of_a_freed_object_is_poisoned_and_only_those)
{
	for (unsigned shift = KHEAP_MIN_SHIFT; shift <= KHEAP_MAX_SHIFT; shift++) {
		size_t size = (size_t)1 << shift;
		uint8_t *a = kmalloc(size), *b = kmalloc(size), *c = kmalloc(size);

		cr_assert(a && b && c);
		for (size_t i = 0; i < size; i++)
			a[i] = c[i] = 0x11;
		kfree(b);
		for (size_t i = 0; i < size; i++) {
			cr_assert_eq(b[i], 0x6b, "size %zu byte %zu", size, i);
			cr_assert_eq(a[i], 0x11, "size %zu: the object before, byte %zu", size, i);
			cr_assert_eq(c[i], 0x11, "size %zu: the object after, byte %zu", size, i);
		}
		kfree(a);
		kfree(c);
	}
}
