/* The scheduler's inter-processor interrupts: reschedule (another CPU changed this CPU's run
 * queue, or wants its env off it) and TLB shootdown (another CPU changed the page tables of
 * an address space loaded here).  Both are fixed-delivery IPIs (SDM Vol. 3A 10.6.1).
 *
 * The kernel runs with IF = 0 except in user mode, in the idle halt and while it waits for a
 * contended lock or an acknowledgement (kern/env/lock.c), so an IPI is taken at one of
 * those points, never in the middle of kernel work.  A shootdown's initiator waits for the
 * acknowledgement with interrupts on, so two CPUs shooting at each other both make progress. */
#include <stdint.h>

#include "env.h"
#include "hal.h"
#include "lapic.h"
#include "percpu.h"
#include "smp.h"
#include "trap.h"
#include "x86.h"

#define SHOOT_MAX 32 /* pages named one by one; beyond, the whole TLB is flushed */

/* One shootdown at a time: its pages, read by the targets until they acknowledge. */
static struct hal_spinlock shoot_lock = HAL_SPINLOCK_INIT("tlb-shootdown");
static uintptr_t shoot_va[SHOOT_MAX];
static unsigned shoot_n; /* 0: flush everything */

static void
resched_ipi(struct trapframe *tf)
{
	percpu_this()->ipis++;
	lapic_eoi();
	env_ipi(tf);
}

/* Non-global entries only: kernel mappings are global and never shot down (INVLPG and a
 * CR3 reload, SDM Vol. 3A 4.10.4.1). */
static void
tlb_ipi(struct trapframe *tf)
{
	struct percpu *pc = percpu_this();
	uint64_t req = pc->tlb_req;

	pc->ipis++;
	if (shoot_n == 0) {
		write_cr3(read_cr3());
	} else {
		for (unsigned i = 0; i < shoot_n; i++)
			__asm__ volatile("invlpg (%0)" ::"r"(shoot_va[i]) : "memory");
	}
	__atomic_store_n(&pc->tlb_done, req, __ATOMIC_RELEASE);
	lapic_eoi();
}

void
ipi_init(void)
{
	trap_register(LAPIC_VEC_RESCHED, resched_ipi);
	trap_register(LAPIC_VEC_TLB, tlb_ipi);
}

void
hal_resched(unsigned cpu)
{
	if (cpu < smp_cpu_count() && lapic_ready())
		lapic_send_ipi(smp_apic_id(cpu), LAPIC_ICR_FIXED | LAPIC_VEC_RESCHED);
}

/* Spins with interrupts on: a CPU waiting here still answers the shootdowns and reschedules
 * of others (their handlers take no lock). */
static void
wait_irqs_on(volatile uint64_t *done, uint64_t want)
{
	while (__atomic_load_n(done, __ATOMIC_ACQUIRE) < want)
		__asm__ volatile("sti; pause; cli" ::: "memory");
}

void
hal_tlb_shootdown(physaddr_t root, const uintptr_t *vas, unsigned n)
{
	unsigned me = hal_cpu_id(), ncpu = smp_cpu_count();
	uint64_t want[SMP_MAX_CPUS];
	uint64_t targets = 0;

	if (ncpu <= 1 || !lapic_ready())
		return;
	/* The entries were written before this fence; a CPU that loads root after it reads the
	 * new entries, one that loaded it before is seen here (hal_set_root). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* LAB 4b: the targets are every other CPU that has this address space loaded
	 * (percpu_of(c)->root == root): set bit c of `targets` for each. */
	/* BEGIN LAB 4b */
	for (unsigned c = 0; c < ncpu; c++)
		if (c != me && percpu_of(c)->root == root)
			targets |= 1ull << c;
	/* END LAB 4b */
	/* STUB LAB 4b: (void)me; */
	if (targets == 0)
		return;
	__asm__ volatile("sti" ::: "memory");
	hal_spin_lock(&shoot_lock);
	__asm__ volatile("cli" ::: "memory");
	shoot_n = n > SHOOT_MAX ? 0 : n;
	for (unsigned i = 0; i < shoot_n; i++)
		shoot_va[i] = vas[i];
	for (unsigned c = 0; c < ncpu; c++) {
		if (!(targets >> c & 1))
			continue;
		want[c] = __atomic_add_fetch(&percpu_of(c)->tlb_req, 1, __ATOMIC_SEQ_CST);
		lapic_send_ipi(smp_apic_id(c), LAPIC_ICR_FIXED | LAPIC_VEC_TLB);
	}
	for (unsigned c = 0; c < ncpu; c++)
		if (targets >> c & 1)
			wait_irqs_on(&percpu_of(c)->tlb_done, want[c]);
	hal_spin_unlock(&shoot_lock);
}
