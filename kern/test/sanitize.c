/* Self-tests of the sanitizer runtimes (kern/debug), meaningful in the kernel that
 * `make kernel-ubsan` builds (KERN_SANITIZE: -fsanitize=undefined, the stack protector):
 *   test=ubsan     four kinds of undefined behaviour, each of which must print its
 *                  `ubsan:` report (grade/ubsan.py checks them) and then go on;
 *   test=stackprot a write past a local array: the function's return must stop in
 *                  __stack_chk_fail's panic. */
#include <limits.h>
#include <stdint.h>

#include "console.h"
#include "ktest.h"

static volatile int int_max = INT_MAX, shift = 40, index = 4;

static void
ktest_ubsan(void)
{
	static uint8_t bytes[16] __attribute__((aligned(8)));
	volatile uint32_t *misaligned = (volatile uint32_t *)(bytes + 1);
	int small[4] = { 1, 2, 3, 4 };
	volatile int sink;

#ifndef KERN_SANITIZE
	printf("ktest-ubsan: this kernel is not instrumented (make kernel-ubsan)\n");
#endif
	sink = int_max + 1;      /* signed overflow */
	sink = 1 << shift;       /* shift by more than the width */
	sink = (int)*misaligned; /* misaligned load */
	sink = small[index];     /* index out of bounds */
	(void)sink;
	printf("ktest-ubsan: done\n");
}

/* Not inlined, so its own frame (buffer, then the guard) is the one overwritten. */
static __attribute__((noinline)) void
smash(volatile char *extra)
{
	char buf[16];
	volatile char *p = buf;

	for (int i = 0; i < 16 + *extra; i++)
		p[i] = 'A';
	printf("ktest-stackprot: wrote %d bytes into a 16-byte array\n", 16 + *extra);
}

static void
ktest_stackprot(void)
{
	volatile char extra = 8;

#ifndef KERN_SANITIZE
	printf("ktest-stackprot: this kernel has no stack protector (make kernel-ubsan)\n");
	return;
#endif
	smash(&extra);
	printf("ktest-stackprot: the overwritten guard went unnoticed\n");
}

KTEST(ubsan, ktest_ubsan, "overflow, shift, misaligned load, bad index: ubsan reports");
KTEST(stackprot, ktest_stackprot, "a write past a local array: the stack protector panics");
