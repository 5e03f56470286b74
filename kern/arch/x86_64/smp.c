/* Starting the application processors (APs).  The boot CPU copies the trampoline of
 * smp_boot.S to a free page below 1 MiB and, for each enabled CPU of the MADT in turn, sends
 * INIT, then two start-up IPIs (Intel SDM Vol. 3A 8.4.4.1 "Typical BSP Initialization
 * Sequence", 8.4.4.2 "Typical AP Initialization Sequence"; chapter 9 in the editions from
 * 2023 on), with the delays the SDM asks for measured by the calibrated TSC.  An AP that has
 * not finished its set-up within AP_TIMEOUT_US is reported, sent INIT again so it stays
 * parked, and left out: CPU numbers stay 0 .. smp_cpu_count() - 1 without holes.
 *
 * Once up, an AP loads its own GDT/TSS (with its own IST stacks), the IDT, its per-CPU area,
 * the syscall MSRs and its local APIC, then idles in smp_idle until the scheduler is up;
 * from then on it runs envs from its own run queue (kern/env/run.c, env_schedule). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "backtrace.h"
#include "bootinfo.h"
#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fpu.h"
#include "hal.h"
#include "kvm.h"
#include "lapic.h"
#include "paging.h"
#include "panic.h"
#include "percpu.h"
#include "pmm.h"
#include "sched.h"
#include "smp.h"
#include "syscall.h"
#include "trap.h"
#include "x86.h"

_Static_assert(SMP_MAX_CPUS == SCHED_MAX_CPUS, "one CPU per bit of the scheduler's masks");
_Static_assert(ACPI_MAX_CPUS >= SMP_MAX_CPUS, "the MADT list holds every CPU");

#define LOW_MEMORY_END 0x100000 /* a start-up IPI's vector names a page below 1 MiB */
#define LOW_MEMORY_MIN 0x1000   /* not the real-mode IVT and BIOS data area */
#define INIT_DELAY_US  10000    /* 8.4.4.1: INIT, wait 10 ms, ... */
#define SIPI_DELAY_US  200      /* ... SIPI, wait 200 us, SIPI, wait 200 us */
#define AP_TIMEOUT_US  1000000  /* then at most this long until the AP is set up */

/* Written by the boot CPU only; read by any. */
static volatile unsigned ncpus = 1;
static uint32_t apic_ids[SMP_MAX_CPUS];
static uint64_t trampoline_pa;

/* The start-up handshake: the AP being started sets `ap_ready` once its set-up is done. */
static volatile int ap_ready;
extern char smp_ap_stacks[];

void smp_ap_main(unsigned cpu);

void
smp_ap_stack(unsigned cpu, unsigned which, uint64_t *lo, uint64_t *hi)
{
	uint64_t base = (uint64_t)(uintptr_t)smp_ap_stacks + (uint64_t)(cpu - 1) * SMP_AP_BLOCK +
	                KSTACK_GUARD_SIZE;

	if (which > 0)
		base += SMP_KSTACK_SIZE + KSTACK_GUARD_SIZE +
		        (which - 1) * (uint64_t)(SMP_IST_SIZE + KSTACK_GUARD_SIZE);
	*lo = base;
	*hi = base + (which == 0 ? SMP_KSTACK_SIZE : SMP_IST_SIZE);
}

/* Does [a, a + len) overlap [lo, hi)? */
static bool
overlaps(uint64_t a, uint64_t len, uint64_t lo, uint64_t hi)
{
	return a < hi && lo < a + len;
}

/* The first available 4 KiB page below 1 MiB that no boot module or the multiboot2
 * information uses.  The page allocator never manages the first MiB (kern/mm/pmm.c makes it
 * a hole), so nothing else will ever be given this page; pmm_page() confirms it. */
static uint64_t
low_page_find(const struct bootinfo *bi)
{
	for (unsigned i = 0; i < bi->nmem; i++) {
		const struct boot_mem *m = &bi->mem[i];
		uint64_t pa = (m->base + 4095) & ~4095ull;

		if (m->type != BOOT_MEM_AVAILABLE)
			continue;
		for (pa = pa < LOW_MEMORY_MIN ? LOW_MEMORY_MIN : pa;
		     pa + 4096 <= m->base + m->len && pa + 4096 <= LOW_MEMORY_END; pa += 4096) {
			bool used = overlaps(pa, 4096, bi->info_start, bi->info_end);

			for (unsigned j = 0; j < bi->nmodules; j++)
				used |=
				    overlaps(pa, 4096, bi->modules[j].start, bi->modules[j].end);
			if (!used && pmm_page(pa) == NULL)
				return pa;
		}
	}
	return 0;
}

/* A far pointer (32-bit offset, 16-bit selector) at `off` of the copy. */
static void
tr_put32(uint8_t *tr, unsigned off, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		tr[off + i] = (uint8_t)(v >> (8 * i));
}

/* Copies the trampoline and fills in what is the same for every AP. */
static void
trampoline_install(uint64_t pa)
{
	uint8_t *tr = hal_phys_to_virt(pa);
	uint64_t len = (uint64_t)(smp_trampoline_end - smp_trampoline);

	for (uint64_t i = 0; i < len; i++)
		tr[i] = (uint8_t)smp_trampoline[i];
	tr_put32(tr, TR_GDTR + 2, (uint32_t)(pa + TR_GDT));
	tr_put32(tr, TR_FAR32, (uint32_t)(pa + (uint64_t)(smp_tr_start32 - smp_trampoline)));
	tr_put32(tr, TR_FAR64, (uint32_t)(pa + (uint64_t)(smp_tr_start64 - smp_trampoline)));
	tr_put32(tr, TR_CR3, (uint32_t)KERN_IMAGE_V2P(kern_boot_pml4));
	*(uint64_t *)(tr + TR_ENTRY) = (uint64_t)(uintptr_t)smp_ap_entry;
}

/* The parameters of the next AP, then the claim released: the first CPU that runs the
 * trampoline from here on takes them. */
static void
trampoline_arm(unsigned cpu)
{
	uint8_t *tr = hal_phys_to_virt(trampoline_pa);
	uint64_t lo, hi;

	smp_ap_stack(cpu, 0, &lo, &hi);
	*(volatile uint64_t *)(tr + TR_STACK) = hi;
	*(volatile uint64_t *)(tr + TR_CPU) = cpu;
	__atomic_store_n((uint32_t *)(tr + TR_CLAIM), 0, __ATOMIC_RELEASE);
}

static bool
trampoline_claimed(void)
{
	return __atomic_load_n((uint32_t *)((uint8_t *)hal_phys_to_virt(trampoline_pa) + TR_CLAIM),
	                       __ATOMIC_ACQUIRE) != 0;
}

/* INIT-SIPI-SIPI to `apic_id`, which becomes CPU `cpu` if it finishes its set-up in time. */
static bool
start_ap(unsigned cpu, uint32_t apic_id)
{
	uint32_t vector = (uint32_t)(trampoline_pa >> 12);
	uint64_t waited = 0;

	static unsigned stacks_known = 1; /* CPUs whose stacks the backtrace walker knows */

	for (; stacks_known <= cpu; stacks_known++)
		for (unsigned s = 0; s <= SMP_IST_COUNT; s++) {
			uint64_t lo, hi;

			smp_ap_stack(stacks_known, s, &lo, &hi);
			backtrace_add_stack(lo, hi);
		}
	apic_ids[cpu] = apic_id;
	ap_ready = 0;
	trampoline_arm(cpu);
	lapic_send_ipi(apic_id, LAPIC_ICR_INIT);
	clock_delay_us(INIT_DELAY_US);
	lapic_send_ipi(apic_id, LAPIC_ICR_STARTUP | vector);
	clock_delay_us(SIPI_DELAY_US);
	if (!trampoline_claimed()) {
		lapic_send_ipi(apic_id, LAPIC_ICR_STARTUP | vector);
		clock_delay_us(SIPI_DELAY_US);
	}
	while (!__atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) && waited < AP_TIMEOUT_US) {
		clock_delay_us(100);
		waited += 100;
	}
	if (ap_ready)
		return true;
	printf("smp: cpu %u (apic id %u) did not start%s\n", cpu, apic_id,
	       trampoline_claimed() ? " (it ran the trampoline)" : "");
	lapic_send_ipi(apic_id, LAPIC_ICR_INIT); /* back to waiting for a start-up IPI */
	return false;
}

void
smp_ap_main(unsigned cpu)
{
	uint64_t lo, hi;

	if (kvm_root() != 0)
		hal_set_root(kvm_root());
	smp_ap_stack(cpu, 0, &lo, &hi);
	percpu_init_ap(cpu, hi);
	paging_cpu_init();
	fpu_cpu_init(); /* the boot CPU's choice (fpu_init ran before smp_init) */
	cpu_init_ap(cpu);
	trap_init_ap();
	syscall_init();
	lapic_init_ap();
	percpu_this()->apic_id = lapic_id();
	__atomic_store_n(&ap_ready, 1, __ATOMIC_RELEASE);
	smp_idle();
}

void
smp_idle(void)
{
	percpu_this()->idle = 1;
	for (;;) {
		if (panic_in_progress())
			for (;;)
				__asm__ volatile("cli; hlt");
		/* LAB 4b: hand this CPU to the scheduler once it is up (env_sched_ready()): it is
		 * no longer idle, and env_schedule_ap() runs envs from its run queue for good. */
		/* BEGIN LAB 4b */
		/* Envs run here once the scheduler is up; the first IPI sent here brings us in. */
		if (env_sched_ready()) {
			percpu_this()->idle = 0;
			env_schedule_ap();
		}
		/* END LAB 4b */
		/* sti takes effect after the next instruction, so no interrupt slips in between
		 * the check and the halt (SDM Vol. 2B STI). */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

CMDLINE_OPTION(cpus, "cpus", "cpus=N: start at most N CPUs, the boot CPU included");

/* cpus=N: start at most N CPUs, the boot CPU included (N >= 1; the Legion image's safe mode
 * boots with cpus=1).  Absent or malformed: every CPU. */
static unsigned
cpus_wanted(void)
{
	const char *v = cmdline_get("cpus");
	unsigned long n = 0;

	if (v == NULL || *v == '\0')
		return SMP_MAX_CPUS;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || n > SMP_MAX_CPUS) {
			printf("smp: cpus=%s is not a number from 1 to %u: ignored\n",
			       cmdline_get("cpus"), SMP_MAX_CPUS);
			return SMP_MAX_CPUS;
		}
		n = n * 10 + (unsigned long)(*v - '0');
	}
	if (n == 0) {
		printf("smp: cpus=0 makes no sense: starting only the boot CPU\n");
		return 1;
	}
	return n < SMP_MAX_CPUS ? (unsigned)n : SMP_MAX_CPUS;
}

static void
start_all(void)
{
	uint32_t bsp = apic_ids[0];
	unsigned limit = cpus_wanted();

	for (unsigned i = 0; i < acpi.ncpus; i++) {
		const struct acpi_cpu *c = &acpi.cpus[i];

		if (c->apic_id == bsp)
			continue;
		if (ncpus >= limit) {
			printf("smp: cpus=%u: apic id %u not started\n", limit, c->apic_id);
			continue;
		}
		if (!c->enabled) {
			printf("smp: apic id %u is online-capable only: not started\n", c->apic_id);
			continue;
		}
		if (ncpus == SMP_MAX_CPUS) {
			printf("smp: more than %u CPUs: apic id %u not started\n", SMP_MAX_CPUS,
			       c->apic_id);
			continue;
		}
		if (start_ap(ncpus, c->apic_id)) {
			if (percpu_of(ncpus)->apic_id != c->apic_id)
				printf("smp: cpu %u reports apic id %u, the MADT says %u\n", ncpus,
				       percpu_of(ncpus)->apic_id, c->apic_id);
			ncpus = ncpus + 1;
		}
	}
}

void
smp_init(void)
{
	apic_ids[0] = lapic_ready() ? lapic_id() : 0;
	percpu_this()->apic_id = apic_ids[0];
	if (!lapic_ready() || acpi.ncpus <= 1) {
		printf("smp: 1 CPU online%s\n", lapic_ready() ? "" : " (no local APIC)");
		return;
	}
	trampoline_pa = low_page_find(&bootinfo);
	if (trampoline_pa == 0 || smp_trampoline_end - smp_trampoline > 4096) {
		printf("smp: no free page below 1 MiB for the trampoline: 1 CPU online\n");
		return;
	}
	trampoline_install(trampoline_pa);
	start_all();
	printf("smp: %u CPU%s online (%s, trampoline at 0x%lx)\n", ncpus, ncpus == 1 ? "" : "s",
	       lapic_is_x2apic() ? "x2APIC" : "xAPIC", trampoline_pa);
}

unsigned
smp_cpu_count(void)
{
	return ncpus;
}

uint32_t
smp_apic_id(unsigned cpu)
{
	return apic_ids[cpu];
}

void
smp_stop_others(void)
{
	unsigned me;

	if (ncpus <= 1 || !lapic_ready())
		return;
	me = hal_cpu_id();
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		if (cpu != me)
			lapic_send_ipi(apic_ids[cpu], LAPIC_ICR_NMI);
}

void
smp_print_cpus(void)
{
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		printf("cpu %u: apic id %u%s%s, timer irqs %lu, ipis %lu\n", cpu, apic_ids[cpu],
		       cpu == 0 ? ", boot" : "", cpu == hal_cpu_id() ? ", this one" : "",
		       percpu_of(cpu)->timer_irqs, percpu_of(cpu)->ipis);
	printf("%u CPU%s online; tsc %lu kHz, lapic timer %lu kHz\n", ncpus, ncpus == 1 ? "" : "s",
	       clock_tsc_hz() / 1000, clock_lapic_hz() / 1000);
}
