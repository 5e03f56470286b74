/* The per-CPU area (percpu.h) of the boot CPU, and the GS MSRs that let the syscall stub
 * find it.  One CPU for now; lab 4 gives each CPU its own area and kernel stack. */
#include <stdint.h>

#include "hal.h"
#include "kerninfo.h"
#include "percpu.h"
#include "x86.h"

#define MSR_GS_BASE        0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

static struct percpu percpu_area[1];

_Static_assert(__builtin_offsetof(struct percpu, kstack_top) == PERCPU_KSTACK_TOP,
               "percpu.h offsets");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu.h offsets");
_Static_assert(__builtin_offsetof(struct percpu, self) == PERCPU_SELF, "percpu.h offsets");

void
percpu_init(void)
{
	struct percpu *pc = &percpu_area[0];

	/* Entries from user mode start on an empty kernel stack: once the first env runs,
	 * nothing below kern_main is ever returned to, so the boot stack serves, and it is
	 * where cpu.c points TSS.rsp0 for traps from ring 3. */
	pc->kstack_top = (uint64_t)(uintptr_t)kern_bootstack_top;
	pc->self = pc;
	pc->cpu = 0;
	/* SWAPGS exchanges GS.base with IA32_KERNEL_GS_BASE (SDM Vol. 2B SWAPGS). */
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)(uintptr_t)pc);
	wrmsr(MSR_GS_BASE, 0);
}

struct percpu *
percpu_this(void)
{
	return &percpu_area[hal_cpu_id()];
}
