/* Time on x86-64 (clock.c): the TSC's rate, calibrated once at boot from CPUID or against the
 * ACPI PM timer, and the local APIC timer's rate measured against the TSC.  Never a PIT or an
 * HPET: the Legion has neither in a usable state. */
#ifndef EXOLAB_CLOCK_H
#define EXOLAB_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Calibrates both clocks on the boot CPU (after acpi_init and lapic_init) and prints
 * "time: tsc N MHz (source)" and "time: lapic timer N MHz, ..." lines. */
void clock_init(void);

/* TSC ticks per second; 0 before clock_init. */
uint64_t clock_tsc_hz(void);

/* How clock_tsc_hz was found: ABI_HW_TSC_* (abi/hwinfo.h), for the hardware report. */
unsigned clock_tsc_source(void);

/* The local APIC timer's input clock (before its divider), in Hz; 0 when unmeasured. */
uint64_t clock_lapic_hz(void);

/* The core crystal clock from CPUID leaf 0x15, or 24 MHz on the client Skylake..Coffee Lake
 * models that report 0 there (Intel SDM Vol. 3B 18.7.3, "Determining the Processor Base
 * Frequency"); 0 when unknown. */
uint64_t clock_crystal_hz(void);

/* Busy-waits `us` microseconds by the TSC. */
void clock_delay_us(uint64_t us);

/* Arms this CPU's local APIC timer to interrupt on LAPIC_VEC_TIMER once, `cycles` TSC
 * cycles from now (TSC-deadline mode when the CPU has it, else one-shot mode); 0 disarms.
 * It replaces whatever the timer did before, the periodic tick included. */
void clock_oneshot(uint64_t cycles);

/* True when clock_oneshot uses TSC-deadline mode. */
bool clock_uses_tsc_deadline(void);

#endif
