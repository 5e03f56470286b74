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

/* Masks both 8259s, then turns this CPU's local APIC on (software enable, spurious vector,
 * task priority 0, LINT0 and the error interrupt masked).  0, or E_NOSYS when the CPU has no
 * APIC or its registers lie outside the direct map. */
int lapic_init(void);

/* Signals the end of the interrupt being handled (not for the spurious vector: 10.9). */
void lapic_eoi(void);

/* This CPU's local APIC id. */
uint32_t lapic_id(void);

/* True in x2APIC mode (registers are MSRs 0x800 + offset / 16). */
bool lapic_is_x2apic(void);

/* The rate the APIC timer counts at before its divider, in Hz: the core crystal clock when
 * CPUID leaf 0x15 reports it, 24 MHz on client Skylake..Coffee Lake (which report 0 there;
 * SDM Vol. 3B "Determining the Processor Base Frequency"), else 1 GHz, QEMU's APIC rate. */
uint64_t lapic_timer_base_hz(void);

/* Periodic timer on `vector` every `count` ticks of the base clock divided by
 * LAPIC_TIMER_DIVIDE; count 0 stops it. */
#define LAPIC_TIMER_DIVIDE 16
void lapic_timer_periodic(uint8_t vector, uint32_t count);

#endif
