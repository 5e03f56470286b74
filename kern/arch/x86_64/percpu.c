/* The per-CPU areas (percpu.h), one per possible CPU, indexed by CPU number, and the GS
 * MSRs that let the syscall stub and percpu_this() find the current CPU's. */
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "irq.h"
#include "kerninfo.h"
#include "lapic.h"
#include "percpu.h"
#include "smp.h"
#include "x86.h"

#define MSR_GS_BASE        0xC0000101
#define MSR_KERNEL_GS_BASE PERCPU_MSR_KERNEL_GS_BASE
#define MSR_TSC_AUX        0xC0000103
#define CPUID7_ECX_RDPID   (1u << 22)

bool percpu_rdpid;

struct percpu percpu_area[SMP_MAX_CPUS];

_Static_assert(__builtin_offsetof(struct percpu, kstack_top) == PERCPU_KSTACK_TOP,
               "percpu.h offsets");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu.h offsets");
_Static_assert(__builtin_offsetof(struct percpu, self) == PERCPU_SELF, "percpu.h offsets");

static bool
percpu_has_rdpid(void)
{
	uint32_t max, ecx;

	cpuid(0, 0, &max, NULL, NULL, NULL);
	if (max < 7)
		return false;
	cpuid(7, 0, NULL, NULL, &ecx, NULL);
	return (ecx & CPUID7_ECX_RDPID) != 0;
}

static void
percpu_load(struct percpu *pc, unsigned cpu, uint64_t kstack_top)
{
	pc->kstack_top = kstack_top;
	pc->self = pc;
	pc->cpu = cpu;
	/* SWAPGS exchanges GS.base with IA32_KERNEL_GS_BASE (SDM Vol. 2B SWAPGS). */
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)(uintptr_t)pc);
	wrmsr(MSR_GS_BASE, 0);
	/* RDPID reads IA32_TSC_AUX, which every CPU with RDPID has (SDM Vol. 4 Table 2-2). */
	if (percpu_has_rdpid())
		wrmsr(MSR_TSC_AUX, cpu);
}

void
percpu_init(void)
{
	/* Entries from user mode start on an empty kernel stack: once the first env runs,
	 * nothing below kern_main is ever returned to, so the boot stack serves, and it is
	 * where cpu.c points TSS.rsp0 for traps from ring 3. */
	percpu_load(&percpu_area[0], 0, (uint64_t)(uintptr_t)kern_bootstack_top);
	/* The application processors load their own IA32_TSC_AUX before they take a lock. */
	percpu_rdpid = percpu_has_rdpid();
}

void
percpu_init_ap(unsigned cpu, uint64_t kstack_top)
{
	percpu_load(&percpu_area[cpu], cpu, kstack_top);
}

struct percpu *
percpu_of(unsigned cpu)
{
	return &percpu_area[cpu];
}

/* The kinds by vector: the timer's, the scheduler's IPIs (lapic.h), the device range from
 * the console's 0x40 (kern/dev/consirq.c) through the INTx lines to the last MSI vector
 * (irq.h), and everything else (spurious vectors, the IPI self-tests). */
void
percpu_count_irq(uint64_t vector)
{
	unsigned kind = PERCPU_IRQ_OTHER;

	if (vector == LAPIC_VEC_TIMER)
		kind = PERCPU_IRQ_TIMER;
	else if (vector == LAPIC_VEC_RESCHED || vector == LAPIC_VEC_TLB)
		kind = PERCPU_IRQ_IPI;
	else if (vector >= IRQ_VEC_BASE - 1 && vector < MSI_VEC_BASE + MSI_NVEC)
		kind = PERCPU_IRQ_DEVICE;
	__atomic_add_fetch(&percpu_this()->irqs[kind], 1, __ATOMIC_RELAXED);
}
