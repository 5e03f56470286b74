/* Multiprocessor start-up (smp.c, smp_boot.S): the application processors (APs) the MADT
 * lists are started with INIT-SIPI-SIPI through a real-mode trampoline below 1 MiB, each on
 * its own kernel stack, GDT, TSS and IST stacks, and numbered 0 (the boot CPU), 1, 2, ... in
 * the order they come up, so CPU numbers are always 0 .. smp_cpu_count() - 1. */
#ifndef EXOLAB_SMP_H
#define EXOLAB_SMP_H

#include "kerninfo.h"

#define SMP_MAX_CPUS    64    /* SCHED_MAX_CPUS: the scheduler's affinity mask width */
#define SMP_KSTACK_SIZE 16384 /* each AP's kernel stack (the boot CPU's is in entry.S) */
#define SMP_IST_SIZE    8192  /* IST_STACK_SIZE of cpu.h */
#define SMP_IST_COUNT   3     /* #DF, NMI, #MC */

/* The AP stack area (smp_boot.S): per AP, the kernel stack then the IST stacks, each above
 * its own guard page. */
#define SMP_AP_BLOCK                                                                               \
	(KSTACK_GUARD_SIZE + SMP_KSTACK_SIZE + SMP_IST_COUNT * (KSTACK_GUARD_SIZE + SMP_IST_SIZE))

/* The trampoline's parameter block, at these offsets from its start (smp_boot.S): filled in
 * by the boot CPU in the copy below 1 MiB before each start-up IPI. */
#define TR_GDTR  0x08 /* 6 bytes: limit, 32-bit base of TR_GDT in the copy */
#define TR_FAR32 0x10 /* 6 bytes: far pointer (offset, selector) to the 32-bit code */
#define TR_FAR64 0x18 /* 6 bytes: far pointer to the 64-bit code */
#define TR_CLAIM 0x20 /* 4 bytes: set by the first CPU to run the copy; others park */
#define TR_CR3   0x24 /* 4 bytes: physical PML4 (the boot page tables, below 4 GiB) */
#define TR_ENTRY 0x28 /* 8 bytes: smp_ap_entry, in the higher half */
#define TR_STACK 0x30 /* 8 bytes: the AP's kernel stack top */
#define TR_CPU   0x38 /* 8 bytes: the CPU number it will have */
#define TR_GDT   0x40 /* null, 32-bit code 0x08, data 0x10, 64-bit code 0x18 */
#define TR_CODE  0x60 /* the 16-bit entry: the start-up IPI's vector points at offset 0 */

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

/* Starts every enabled AP of the MADT on the boot CPU and prints "smp: N CPUs online" (or
 * why some did not start).  Needs acpi_init, clock_init and lapic_init done. */
void smp_init(void);

/* CPUs running (the boot CPU included). */
unsigned smp_cpu_count(void);

/* The local APIC id of CPU `cpu` (< smp_cpu_count()). */
uint32_t smp_apic_id(unsigned cpu);

/* Sends an NMI to every other running CPU; their NMI handler halts them (panic).  Safe
 * before smp_init and without a local APIC (then it does nothing). */
void smp_stop_others(void);

/* Prints one line per CPU (the monitor's `cpus`). */
void smp_print_cpus(void);

/* A running CPU with nothing to do: interrupts on, halted until the next one.  Never
 * returns. */
_Noreturn void smp_idle(void);

/* [lo, hi) of AP `cpu`'s kernel stack (which 0) or IST stack `which` (1..3). */
void smp_ap_stack(unsigned cpu, unsigned which, uint64_t *lo, uint64_t *hi);

/* The trampoline image and the 64-bit AP entry (smp_boot.S). */
extern const char smp_trampoline[], smp_trampoline_end[];
extern const char smp_tr_start32[], smp_tr_start64[];
void smp_ap_entry(void);
/* The scheduler's IPIs (ipi.c): reschedule and TLB shootdown handlers on every CPU. */
void ipi_init(void);

#endif

#endif
