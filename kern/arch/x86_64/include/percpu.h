/* The per-CPU area: what the syscall entry stub needs before it has a stack (the kernel
 * stack top and a scratch slot, at fixed offsets for assembly) and the CPU's current env.
 *
 * IA32_KERNEL_GS_BASE always holds this CPU's area and the GS base always holds the user's
 * value: the syscall stub swaps them (swapgs) only for the few instructions that fetch the
 * kernel stack, so trap entry code never has to know whether it came from user mode. */
#ifndef EXOLAB_PERCPU_H
#define EXOLAB_PERCPU_H

#define PERCPU_KSTACK_TOP 0 /* offsets for kern/arch/x86_64/syscall.S */
#define PERCPU_USER_RSP   8
#define PERCPU_SELF       16

/* percpu.after: work for the end of a syscall, off the fast path. */
#define PERCPU_TRACE       0x1 /* trace=syscalls: log the call (stays set) */
#define PERCPU_RESCHED     0x2 /* the call gave the CPU away (yield, exit, ...) */
#define PERCPU_FULL_RETURN 0x4 /* the call changed its caller's rcx/r11: leave by iretq */
#define PERCPU_REARM       0x8 /* the run queue changed: arm the timer again (sched.c) */
/* Bits 8..15: the spinlocks this CPU holds, counted by the lock checker (lockcheck.c) when
 * it is on.  Kept in this word so that the one test the syscall path makes anyway sends a
 * call that returns with a lock held to syscall_after, where the checker reports it. */
#define PERCPU_LOCK_HELD  0x100
#define PERCPU_LOCKS_MASK 0xFF00
#define PERCPU_STICKY     (PERCPU_TRACE | PERCPU_LOCKS_MASK) /* what one call never clears */
/* The call saved its caller's frame itself, under the env lock (it blocked in IPC, kern/ipc):
 * syscall_after must not copy the live frame over what a partner may have written since. */
#define PERCPU_TF_SAVED 0x10

/* percpu.irqs' kinds (abi/core.h struct abi_core_stat, in this order). */
#define PERCPU_IRQ_TIMER  0
#define PERCPU_IRQ_DEVICE 1
#define PERCPU_IRQ_IPI    2
#define PERCPU_IRQ_OTHER  3
#define PERCPU_IRQ_KINDS  4

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86.h"

struct env;

struct percpu {
	uint64_t kstack_top; /* rsp on entry from user mode (also TSS.rsp0) */
	uint64_t user_rsp;   /* scratch: the user rsp while the stub switches stacks */
	struct percpu *self; /* this area's own address, for the stub */
	struct env *env;     /* the env running on this CPU, or NULL */
	unsigned after;      /* PERCPU_TRACE | PERCPU_RESCHED | PERCPU_FULL_RETURN, locks held */
	unsigned cpu;        /* 0 .. hal_cpu_count() - 1; 0 is the boot CPU */
	uint32_t apic_id;    /* its local APIC id */
	int trap_depth;      /* traps being handled on this CPU (trap.c) */
	volatile int idle;   /* halted in smp_idle (or a test's wait): a timer tick is a wake-up */
	int irq_window;      /* waiting for a lock with interrupts on (kern/env/lock.c) */
	uint64_t wakeups;    /* timer interrupts taken while idle */
	uint64_t timer_irqs; /* timer interrupts taken (any mode): the tickless test reads it */
	uint64_t ipis;       /* reschedule and shootdown IPIs taken */
	volatile uint64_t root;          /* the PML4 in CR3 (hal_set_root): shootdown targets */
	volatile uint64_t tlb_req;       /* shootdowns asked of this CPU (ipi.c) */
	volatile uint64_t tlb_done;      /* shootdowns it has carried out */
	uint64_t irqs[PERCPU_IRQ_KINDS]; /* interrupts taken, by kind (percpu_count_irq) */
};

/* Counts an interrupt (vector >= 32) on this CPU by kind, before its handler runs
 * (trap.c): what core_stat reports (abi/core.h). */
void percpu_count_irq(uint64_t vector);

/* Sets up the boot CPU's area (CPU 0) and the MSRs that point at it. */
void percpu_init(void);

/* The same for application processor `cpu`, whose kernel stack top is `kstack_top`. */
void percpu_init_ap(unsigned cpu, uint64_t kstack_top);

/* This CPU's area: the one IA32_KERNEL_GS_BASE points at (CPU 0's before percpu_init).
 * In kernel C code that MSR always holds this CPU's area: only the few instructions of the
 * syscall stub between its two swapgs see the user's value there.  Inline: the syscall and
 * switch paths ask several times (one rdmsr, SDM Vol. 4 Table 2-2, C000_0102H). */
#define PERCPU_MSR_KERNEL_GS_BASE 0xC0000102
extern struct percpu percpu_area[];

static inline struct percpu *
percpu_this(void)
{
	struct percpu *pc = (struct percpu *)(uintptr_t)rdmsr(PERCPU_MSR_KERNEL_GS_BASE);

	return pc != NULL ? pc : &percpu_area[0];
}

/* Loads `root` (a PML4's physical address) into CR3, published in pc->root first: a
 * shootdown that reads the old value was issued after its entries changed, and the mov to
 * CR3 (serialising) loads only the new ones.  hal_set_root is this for the current CPU. */
static inline void
percpu_set_root(struct percpu *pc, uint64_t root)
{
	pc->root = root;
	write_cr3(root);
}

/* CPU `cpu`'s area (cpu < SMP_MAX_CPUS). */
struct percpu *percpu_of(unsigned cpu);

/* This CPU's number, the cheapest way the CPU offers: every spinlock acquisition needs it.
 * With RDPID (CPUID.(EAX=7,ECX=0):ECX[22]) it is one instruction reading IA32_TSC_AUX,
 * which percpu.c sets to the CPU number (SDM Vol. 2B RDPID; Vol. 4 Table 2-2, C000_0103H).
 * Else LSL reads the limit of this CPU's GDT_CPUNUM descriptor (cpu.c), which is the CPU
 * number: one instruction that every x86-64 CPU has, and no MSR access (Linux's vDSO
 * getcpu does the same).  The GS base holds the user's value in kernel code (above), so no
 * %gs-relative load can do it.  Valid once the CPU's own GDT is loaded (cpu_init,
 * cpu_init_ap); before that LSL fails (the slot is beyond the boot GDTs) and it says 0. */
#define PERCPU_GDT_CPUNUM 0x38
extern bool percpu_rdpid; /* set once the boot CPU's IA32_TSC_AUX holds its number */

static inline unsigned
percpu_cpu(void)
{
	unsigned long v = 0;

	if (percpu_rdpid)
		__asm__ volatile("rdpid %0" : "=r"(v));
	else /* LSL leaves v alone (and clears ZF) when the descriptor is not there */
		__asm__ volatile("lsl %1, %0"
		                 : "+r"(v)
		                 : "r"((unsigned long)PERCPU_GDT_CPUNUM)
		                 : "cc");
	return (unsigned)v;
}
#endif

#endif
