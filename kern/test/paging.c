/* Self-tests of the kernel address space's protections on the real MMU: each makes one
 * access the kernel page tables forbid and must end in the page-fault trap dump (the CPU
 * reports the access in the error code, Intel SDM Vol. 3A 4.7), never in a reset. */
#include <stdint.h>

#include "console.h"
#include "kerninfo.h"
#include "kheap.h"
#include "ktest.h"
#include "kvm.h"

static int
need_kernel_tables(const char *test)
{
	if (kvm_root() != 0)
		return 1;
	printf("%s: not on the kernel page tables (lab 2 set-up failed); not run\n", test);
	return 0;
}

/* Text is mapped read+execute, and CR0.WP makes the kernel obey R/W = 0 too. */
static void
ktest_wp(void)
{
	volatile uint8_t *p = (volatile uint8_t *)kern_text_start;

	if (!need_kernel_tables("wp"))
		return;
	printf("wp: writing kernel text at %p\n", (void *)p);
	*p = *p;
	printf("wp: kernel text was written without a fault\n");
}

/* The heap is no-execute: calling into it faults on the instruction fetch. */
static void
ktest_nx(void)
{
	uint8_t *buf;

	if (!need_kernel_tables("nx"))
		return;
	buf = kmalloc(64);
	if (buf == NULL) {
		printf("nx: kmalloc failed\n");
		return;
	}
	buf[0] = 0xC3; /* ret: if the fetch were allowed, the call would simply return */
	printf("nx: calling heap buffer %p\n", (void *)buf);
	((void (*)(void))(uintptr_t)buf)();
	printf("nx: code in the heap ran without a fault\n");
	kfree(buf);
}

/* The page under the boot stack is unmapped: what a stack overflow would touch first. */
static void
ktest_guard(void)
{
	/* Computed as an integer: the compiler may not see a pointer below an array. */
	volatile uint64_t *g = (volatile uint64_t *)((uintptr_t)kern_bootstack_bottom - 8);

	if (!need_kernel_tables("guard"))
		return;
	printf("guard: writing %p, just below the boot stack\n", (void *)g);
	*g = 0;
	printf("guard: the guard page was written without a fault\n");
}

KTEST(wp, ktest_wp, "write to kernel text: #PF dump, protection violation on a write");
KTEST(nx, ktest_nx, "call into a kmalloc buffer: #PF dump, instruction fetch");
KTEST(guard, ktest_guard, "write below the boot stack: #PF dump, not-present page");
