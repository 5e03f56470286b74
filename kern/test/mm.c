/* Boot self-checks of memory management on the real machine (test=mm): the buddy allocator,
 * the page record and the kernel heap here, page tables and the kernel address space in
 * mm_pt.c and kvm.c.  One "mm-check: <name>: OK" or "mm-check: <name>: FAIL <reason>" line
 * per check (grade/lab2.py grades each); every check must also give back every page it took. */
#include <stdarg.h>
#include <stdbool.h>

#include "abi/error.h"
#include "bootinfo.h"
#include "cap.h"
#include "console.h"
#include "hal.h"
#include "kheap.h"
#include "ktest.h"
#include "mm.h"
#include "mmcheck.h"
#include "pmm.h"
#include "printfmt.h"

#define CHAIN_END 0 /* physical 0 is never handed out (the first MiB is excluded) */

static char why[160];
static bool pmm_broken; /* pmm_check failed once: later checks are not blamed for it */

int
mmcheck_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return E_RANGE;
}

uint64_t
mmcheck_free_pages(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	return st.free;
}

static uint64_t *
word(physaddr_t pa)
{
	return hal_phys_to_virt(pa);
}

/* Allocated pages kept on a list threaded through their first word. */
static void
chain_free(physaddr_t head)
{
	while (head != CHAIN_END) {
		physaddr_t next = *word(head);

		pmm_free(head, 0);
		head = next;
	}
}

static int
check_consistent(void)
{
	struct pmm_stats st;

	pmm_get_stats(&st);
	if (st.managed == 0 || st.free > st.managed || st.total != st.managed + st.reserved)
		return mmcheck_fail("stats total %lu managed %lu reserved %lu free %lu", st.total,
		                    st.managed, st.reserved, st.free);
	return pmm_check() == 0 ? 0 : mmcheck_fail("pmm_check found an inconsistency");
}

/* A fresh page must be managed RAM outside the kernel image and the first MiB. */
static int
check_page(int64_t pa, unsigned order)
{
	const struct page *pg;

	if (pa < 0)
		return mmcheck_fail("pmm_alloc(%u) failed: %s", order, error_name((int)pa));
	pg = pmm_page((physaddr_t)pa);
	if (!MM_IS_ALIGNED(pa, PAGE_SIZE << order) || pg == NULL)
		return mmcheck_fail("block 0x%lx of order %u misaligned or unmanaged", pa, order);
	if (pg->state != PAGE_ALLOCATED || pg->order != order || pg->frame != NULL ||
	    pg->use != PAGE_USE_KERNEL)
		return mmcheck_fail("block 0x%lx: state %u order %u frame %p use %u", pa, pg->state,
		                    pg->order, (void *)pg->frame, pg->use);
	if ((uint64_t)pa < (1u << 20) ||
	    ((uint64_t)pa < bootinfo.kernel_end &&
	     (uint64_t)pa + (PAGE_SIZE << order) > bootinfo.kernel_start))
		return mmcheck_fail("block 0x%lx is in the first MiB or the kernel image", pa);
	return 0;
}

static int
check_alloc_free(void)
{
	physaddr_t pages[8];
	int err = 0;
	unsigned n;

	for (n = 0; n < 8 && err == 0; n++) {
		int64_t pa = pmm_alloc(0);

		err = check_page(pa, 0);
		if (err == 0) {
			pages[n] = (physaddr_t)pa;
			for (unsigned w = 0; w < PAGE_SIZE / 8; w++)
				word(pa)[w] = (uint64_t)pa ^ w;
		} else {
			n--;
		}
	}
	/* Every page must still hold its own pattern: no two allocations overlap. */
	for (unsigned i = 0; i < n && err == 0; i++) {
		for (unsigned w = 0; w < PAGE_SIZE / 8 && err == 0; w++) {
			if (word(pages[i])[w] != (pages[i] ^ w))
				err =
				    mmcheck_fail("page 0x%lx word %u was overwritten", pages[i], w);
		}
	}
	for (unsigned i = 0; i < n; i++)
		pmm_free(pages[i], 0);
	return err;
}

static int
check_orders(void)
{
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		int64_t pa = pmm_alloc(k);
		int err = check_page(pa, k);

		if (err < 0)
			return err;
		*(volatile uint8_t *)hal_phys_to_virt((physaddr_t)pa) = 1;
		*(volatile uint8_t *)hal_phys_to_virt((physaddr_t)pa + (PAGE_SIZE << k) - 1) = 1;
		pmm_free((physaddr_t)pa, k);
	}
	if (pmm_alloc(PMM_MAX_ORDER + 1) != E_INVAL)
		return mmcheck_fail("an order above %u is not E_INVAL", PMM_MAX_ORDER);
	return 0;
}

static bool
same_blocks(const struct pmm_stats *a, const struct pmm_stats *b, unsigned *order)
{
	for (*order = 0; *order < PMM_NORDERS; (*order)++) {
		if (a->free_blocks[*order] != b->free_blocks[*order])
			return false;
	}
	return true;
}

/* With no free order-0 block, one page splits the smallest free block j: one block of
 * each order below j appears and one of order j goes; freeing it merges them all back. */
static int
split_and_merge(void)
{
	struct pmm_stats before, mid, after;
	const struct page *buddy;
	unsigned j, k;
	int64_t pa;

	pmm_get_stats(&before);
	for (j = 1; j < PMM_NORDERS && before.free_blocks[j] == 0; j++)
		;
	if (before.free_blocks[0] != 0 || j == PMM_NORDERS)
		return mmcheck_fail("no block to split");
	pa = pmm_alloc(0);
	if (pa < 0)
		return mmcheck_fail("pmm_alloc(0): %s", error_name((int)pa));
	pmm_get_stats(&mid);
	for (k = 0; k < PMM_NORDERS; k++) {
		uint64_t want = before.free_blocks[k] + (k < j) - (k == j);

		if (mid.free_blocks[k] != want) {
			pmm_free((physaddr_t)pa, 0);
			return mmcheck_fail("split of order %u: order %u has %lu blocks, want %lu",
			                    j, k, mid.free_blocks[k], want);
		}
	}
	buddy = pmm_page((physaddr_t)pa ^ PAGE_SIZE);
	if (buddy == NULL || buddy->state != PAGE_FREE || buddy->order != 0) {
		pmm_free((physaddr_t)pa, 0);
		return mmcheck_fail("the buddy of 0x%lx is not a free order-0 block", pa);
	}
	pmm_free((physaddr_t)pa, 0);
	pmm_get_stats(&after);
	if (!same_blocks(&before, &after, &k))
		return mmcheck_fail("freeing did not coalesce back: order %u has %lu, had %lu", k,
		                    after.free_blocks[k], before.free_blocks[k]);
	return 0;
}

static int
check_split_coalesce(void)
{
	struct pmm_stats before, after;
	physaddr_t chain = CHAIN_END;
	unsigned k;
	int err;

	pmm_get_stats(&before);
	/* Take the free order-0 pages first, so the next page must come from a split. */
	for (;;) {
		struct pmm_stats st;
		int64_t pa;

		pmm_get_stats(&st);
		if (st.free_blocks[0] == 0)
			break;
		pa = pmm_alloc(0);
		if (pa < 0)
			break;
		*word((physaddr_t)pa) = chain;
		chain = (physaddr_t)pa;
	}
	err = split_and_merge();
	chain_free(chain);
	pmm_get_stats(&after);
	if (err == 0 && !same_blocks(&before, &after, &k))
		err = mmcheck_fail("after all frees order %u has %lu blocks, had %lu", k,
		                   after.free_blocks[k], before.free_blocks[k]);
	return err;
}

/* Takes every page, one at a time: the allocator and the heap must say no, not panic,
 * and work again once the pages are back. */
static int
check_exhaustion(void)
{
	uint64_t free_before = mmcheck_free_pages(), n = 0;
	physaddr_t chain = CHAIN_END;
	int64_t pa, big;
	void *heap;
	int err = 0;

	while ((pa = pmm_alloc(0)) >= 0) {
		*word((physaddr_t)pa) = chain;
		chain = (physaddr_t)pa;
		n++;
	}
	big = pmm_alloc(3);
	heap = kmalloc(2 * PAGE_SIZE);
	if (pa != E_NOMEM || big != E_NOMEM || heap != NULL || mmcheck_free_pages() != 0)
		err = mmcheck_fail("exhausted: pmm_alloc gave %s and %s, kmalloc %p, %lu free",
		                   error_name((int)pa), error_name((int)(big < 0 ? big : 0)), heap,
		                   mmcheck_free_pages());
	else if (n != free_before)
		err = mmcheck_fail("%lu pages allocated, %lu were free", n, free_before);
	if (big >= 0)
		pmm_free((physaddr_t)big, 3);
	kfree(heap);
	chain_free(chain);
	if (err == 0 && (pa = pmm_alloc(0)) < 0)
		err = mmcheck_fail("no page after the memory came back: %s", error_name((int)pa));
	else if (err == 0)
		pmm_free((physaddr_t)pa, 0);
	return err;
}

/* A user page's struct page records its owner and its frame object, and gives the object
 * back by physical address until it is cleared and the page freed. */
static int
check_page_record(void)
{
	static struct cap_object obj;
	int64_t pa = pmm_alloc(0);
	struct pmm_stats st;

	if (pa < 0)
		return mmcheck_fail("pmm_alloc(0): %s", error_name((int)pa));
	pmm_set_use((physaddr_t)pa, PAGE_USE_USER, 7);
	pmm_set_frame((physaddr_t)pa, &obj);
	pmm_get_stats(&st);
	if (pmm_page((physaddr_t)pa)->owner != 7 || st.used_pages[PAGE_USE_USER] == 0 ||
	    pmm_frame((physaddr_t)pa) != &obj || pmm_frame((physaddr_t)pa + 123) != &obj) {
		pmm_set_frame((physaddr_t)pa, NULL);
		pmm_free((physaddr_t)pa, 0);
		return mmcheck_fail("the page does not record its owner and frame object");
	}
	pmm_set_frame((physaddr_t)pa, NULL);
	pmm_free((physaddr_t)pa, 0);
	if (pmm_page((physaddr_t)pa)->state == PAGE_ALLOCATED || pmm_frame((physaddr_t)pa) != NULL)
		return mmcheck_fail("the freed page still looks allocated or names a frame");
	return 0;
}

static int
check_kmalloc_classes(void)
{
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++) {
		size_t size = (size_t)1 << (c + KHEAP_MIN_SHIFT);
		uint8_t *p = kmalloc(size / 2 + 1), *q;

		if (p == NULL || ((uintptr_t)p & 15) != 0 || kheap_usable_size(p) != size) {
			kfree(p);
			return mmcheck_fail("kmalloc(%zu) gave %p, not an aligned %zu-byte object",
			                    size / 2 + 1, p, size);
		}
		for (size_t b = 0; b < size; b++)
			p[b] = (uint8_t)b;
		kfree(p);
		if (p[size - 1] != 0x6b)
			return mmcheck_fail("a freed %zu-byte object is not poisoned", size);
		q = kmalloc(size);
		kfree(q);
		if (q != p)
			return mmcheck_fail("a freed %zu-byte object was not reused", size);
	}
	if (kmalloc(0) != NULL)
		return mmcheck_fail("kmalloc(0) is not NULL");
	return 0;
}

static int
check_kmalloc_many(void)
{
	enum { N = 300, SIZE = 64 };
	uint64_t *obj[N];
	void *big = kmalloc(3 * PAGE_SIZE);
	const struct page *pg;
	int err = 0;
	unsigned n;

	pg = big ? pmm_page(hal_virt_to_phys(big)) : NULL;
	if (pg == NULL || pg->use != PAGE_USE_HEAP || kheap_usable_size(big) != 4 * PAGE_SIZE ||
	    !MM_IS_ALIGNED((uintptr_t)big, PAGE_SIZE))
		err = mmcheck_fail("kmalloc(3 pages) gave %p, not 4 heap pages", big);
	kfree(big);
	for (n = 0; n < N && err == 0; n++) {
		obj[n] = kmalloc(SIZE);
		if (obj[n] == NULL)
			err = mmcheck_fail("kmalloc(%d) number %u failed", SIZE, n);
		for (unsigned w = 0; obj[n] && w < SIZE / 8; w++)
			obj[n][w] = n;
	}
	for (unsigned i = 0; i < n && err == 0; i++) {
		for (unsigned w = 0; w < SIZE / 8 && err == 0; w++) {
			if (obj[i][w] != i)
				err = mmcheck_fail("object %u (%p) overlaps another", i, obj[i]);
		}
	}
	for (unsigned i = 0; i < n; i++)
		kfree(obj[i]);
	return err;
}

static const struct mmcheck pmm_checks[] = {
	{ "pmm-consistent", check_consistent },
	{ "alloc-free", check_alloc_free },
	{ "orders", check_orders },
	{ "split-coalesce", check_split_coalesce },
	{ "exhaustion", check_exhaustion },
	{ "page-record", check_page_record },
	{ "kmalloc-classes", check_kmalloc_classes },
	{ "kmalloc-many", check_kmalloc_many },
};

/* Runs one check and demands the free-page count it started with. */
static bool
run_check(const struct mmcheck *c)
{
	uint64_t before = mmcheck_free_pages(), after;
	int err;

	why[0] = '\0';
	err = c->run();
	after = mmcheck_free_pages();
	if (err == 0 && after != before)
		err = mmcheck_fail("free pages %lu before, %lu after", before, after);
	if (err == 0 && !pmm_broken && pmm_check() != 0) {
		pmm_broken = true;
		err = mmcheck_fail("pmm_check failed afterwards");
	}
	if (err == 0)
		printf("mm-check: %s: OK\n", c->name);
	else
		printf("mm-check: %s: FAIL %s\n", c->name, why[0] ? why : error_name(err));
	return err == 0;
}

/* One object of every class allocated and freed: each class then keeps one empty slab,
 * so later checks see the free-page count come back exactly. */
static void
warm_heap(void)
{
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		kfree(kmalloc((size_t)1 << (c + KHEAP_MIN_SHIFT)));
}

static void
ktest_mm(void)
{
	uint64_t baseline;
	struct kheap_stats h0, h1;
	unsigned ok = 0, n = 0;
	bool leak = false;

	warm_heap();
	baseline = mmcheck_free_pages();
	kheap_get_stats(&h0);
	printf("mm-check: baseline %lu free pages\n", baseline);
	for (unsigned i = 0; i < sizeof(pmm_checks) / sizeof(pmm_checks[0]); i++, n++)
		ok += run_check(&pmm_checks[i]);
	for (unsigned i = 0; i < mmcheck_pt_count; i++, n++)
		ok += run_check(&mmcheck_pt[i]);
	for (unsigned i = 0; i < mmcheck_kvm_count; i++, n++)
		ok += run_check(&mmcheck_kvm[i]);
	kheap_get_stats(&h1);
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		leak |= h0.objects[c] != h1.objects[c];
	if (mmcheck_free_pages() != baseline || leak)
		printf("mm-check: leaks: FAIL %lu free pages, baseline %lu; heap objects %s\n",
		       mmcheck_free_pages(), baseline, leak ? "leaked" : "balanced");
	else
		printf("mm-check: leaks: OK\n");
	ok += mmcheck_free_pages() == baseline && !leak;
	n++;
	printf("mm-check: done: %u passed, %u failed\n", ok, n - ok);
}

KTEST(mm, ktest_mm, "allocator, heap, page tables, kernel address space: mm-check lines");
