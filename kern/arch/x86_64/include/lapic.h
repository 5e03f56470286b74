/* The local APIC of this CPU (xAPIC through MMIO, or x2APIC through MSRs when the firmware
 * left it in that mode) and the legacy 8259 PICs it replaces.  Machine-dependent: portable
 * code reaches timers through hal.h, never through this header. */
#ifndef EXOLAB_LAPIC_H
#define EXOLAB_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Interrupt vectors.  32 is the first vector not reserved for exceptions.  The 8259s are
 * moved to 0x30..0x3F before they are masked, so a spurious IRQ 7 or 15 (which a masked PIC
 * can still raise) lands on 0x37 / 0x3F, never on an exception vector.  The APIC's own
 * spurious vector keeps bits 0..3 set, as P6-family APICs hardwire them (Intel SDM Vol. 3A
 * 10.9, "Spurious Interrupt"; chapter 11 in editions from 2023 on). */
#define LAPIC_VEC_TIMER    32
#define PIC_VEC_BASE       0x30
#define PIC_VEC_SPURIOUS1  (PIC_VEC_BASE + 7)
#define PIC_VEC_SPURIOUS2  (PIC_VEC_BASE + 15)
#define LAPIC_VEC_SPURIOUS 0xFF

/* IPI vectors (fixed delivery) of the self-tests (kern/test/smp.c): a request, its
 * acknowledgement, and "panic now". */
#define LAPIC_VEC_IPI_TEST       0xF0
#define LAPIC_VEC_IPI_ACK        0xF1
#define LAPIC_VEC_IPI_PANIC_TEST 0xF2
/* The scheduler's IPIs (ipi.c): look at your run queue again; flush your TLB. */
#define LAPIC_VEC_RESCHED 0xE0
#define LAPIC_VEC_TLB     0xE1

/* Masks both 8259s, then turns the boot CPU's local APIC on (software enable, spurious
 * vector, task priority 0, LINT0, the timer and the error interrupt masked).  0, or E_NOSYS
 * when the CPU has no APIC or its registers lie outside the direct map.  Later calls return
 * the first call's result and change nothing. */
int lapic_init(void);

/* The same for an application processor, in the boot CPU's mode (xAPIC or x2APIC); only
 * after lapic_init() succeeded. */
void lapic_init_ap(void);

/* lapic_init() has succeeded. */
bool lapic_ready(void);

/* Interrupt Command Register, low word (Intel SDM Vol. 3A 10.6.1, Figure 10-12): delivery
 * mode in bits 10:8, level in bit 14. */
#define LAPIC_ICR_FIXED   0x00000u /* | vector */
#define LAPIC_ICR_NMI     0x00400u
#define LAPIC_ICR_INIT    0x04500u /* INIT, level assert */
#define LAPIC_ICR_STARTUP 0x04600u /* | the start page's number (start address >> 12) */

/* Sends one IPI to the CPU with local APIC id `apic_id`. */
void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);

/* Signals the end of the interrupt being handled (not for the spurious vector: 10.9). */
void lapic_eoi(void);

/* This CPU's local APIC id. */
uint32_t lapic_id(void);

/* True in x2APIC mode (registers are MSRs 0x800 + offset / 16). */
bool lapic_is_x2apic(void);

/* The rate the APIC timer counts at before its divider, in Hz: 1 GHz under QEMU, else the
 * core crystal clock (clock_crystal_hz), else the rate clock_init measured, else 1 GHz.  A
 * known rate beats a measured one: the periodic tick's count stays exact. */
uint64_t lapic_timer_base_hz(void);

/* Periodic timer on `vector` every `count` ticks of the base clock divided by
 * LAPIC_TIMER_DIVIDE; count 0 stops it. */
#define LAPIC_TIMER_DIVIDE 16
void lapic_timer_periodic(uint8_t vector, uint32_t count);

/* One interrupt on `vector` after `count` ticks (base clock / LAPIC_TIMER_DIVIDE); count 0
 * stops the timer. */
void lapic_timer_oneshot(uint8_t vector, uint32_t count);

/* The timer's current count (counts down to 0). */
uint32_t lapic_timer_current(void);

/* CPUID says the timer has TSC-deadline mode (CPUID.01H:ECX[24]). */
bool lapic_has_tsc_deadline(void);

/* TSC-deadline mode: one interrupt on `vector` when the TSC reaches `deadline` (0 disarms). */
void lapic_timer_deadline(uint8_t vector, uint64_t deadline);

#endif
