/* Calibrating time at boot.  The TSC first: CPUID leaf 0x15 gives it exactly (crystal x
 * ratio), leaf 0x16 gives the nominal base frequency; otherwise it is measured against the
 * ACPI PM timer, a 3.579545 MHz counter every ACPI machine has (ACPI 6.5 4.8.3.3), which is
 * also the path QEMU's TCG takes (no leaf 0x15 there).  Then the local APIC timer, measured
 * against the now-known TSC.  Nothing here touches the PIT or the HPET. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/hwinfo.h"
#include "acpi.h"
#include "clock.h"
#include "console.h"
#include "lapic.h"
#include "x86.h"

#define PM_MEASURE_TICKS (ACPI_PM_TIMER_HZ / 20) /* 50 ms of PM timer */
#define PM_STUCK_READS   1000000                 /* unchanged this long: a dead timer */
#define LAPIC_MEASURE_US 10000
#define FALLBACK_TSC_HZ  1000000000ull
#define MHZ(hz)          (((hz) + 500000) / 1000000)

static uint64_t tsc_hz, lapic_hz;
static bool tsc_deadline;
static unsigned tsc_source = ABI_HW_TSC_NONE; /* how tsc_hz was found (the hardware report) */

uint64_t
clock_crystal_hz(void)
{
	uint32_t max, eax, crystal, family, model;

	cpuid(0, 0, &max, NULL, NULL, NULL);
	if (max >= 0x15) {
		cpuid(0x15, 0, NULL, NULL, &crystal, NULL);
		if (crystal != 0)
			return crystal;
	}
	cpuid(1, 0, &eax, NULL, NULL, NULL);
	family = (eax >> 8) & 0xF;
	model = ((eax >> 4) & 0xF) | ((eax >> 12) & 0xF0);
	/* Skylake, Kaby Lake and Coffee Lake client parts (the Legion's i7-9750H is 0x9E). */
	if (family == 6 && (model == 0x4E || model == 0x5E || model == 0x8E || model == 0x9E))
		return 24000000;
	return 0;
}

/* CPUID 0x15: TSC = crystal * EBX / EAX (SDM Vol. 2A CPUID, leaf 15H); 0x16: EAX is the base
 * frequency in MHz (leaf 16H), which the TSC runs at on the parts that report it. */
static uint64_t
tsc_from_cpuid(const char **source)
{
	uint32_t max, den = 0, num = 0, base_mhz = 0;
	uint64_t crystal;

	cpuid(0, 0, &max, NULL, NULL, NULL);
	if (max >= 0x15)
		cpuid(0x15, 0, &den, &num, NULL, NULL);
	crystal = clock_crystal_hz();
	if (den != 0 && num != 0 && crystal != 0) {
		*source = "cpuid 0x15";
		tsc_source = ABI_HW_TSC_CPUID15;
		return crystal * num / den;
	}
	if (max >= 0x16)
		cpuid(0x16, 0, &base_mhz, NULL, NULL, NULL);
	base_mhz &= 0xFFFF;
	if (base_mhz != 0) {
		*source = "cpuid 0x16";
		tsc_source = ABI_HW_TSC_CPUID16;
		return (uint64_t)base_mhz * 1000000;
	}
	return 0;
}

/* Waits for the PM timer to change; false when it does not (no timer behind the port). */
static bool
pm_wait_change(uint32_t from, uint32_t *now)
{
	for (unsigned i = 0; i < PM_STUCK_READS; i++)
		if ((*now = acpi_pm_timer_read()) != from)
			return true;
	return false;
}

/* Counts TSC cycles over PM_MEASURE_TICKS of the PM timer, starting on one of its edges so
 * the count is not off by a fraction of a tick.  The counter may wrap (24 bits: every
 * 4.7 s); differences are taken modulo its width. */
static uint64_t
tsc_from_pm_timer(void)
{
	uint32_t mask = acpi.pm_timer.bits32 ? 0xFFFFFFFF : 0xFFFFFF;
	uint32_t p0, p, last, elapsed;
	unsigned same = 0;
	uint64_t t0, t1;

	if (!acpi.pm_timer.present || !pm_wait_change(acpi_pm_timer_read(), &p0))
		return 0;
	t0 = rdtsc();
	last = p0;
	do {
		p = acpi_pm_timer_read();
		t1 = rdtsc();
		if (p != last) {
			same = 0;
			last = p;
		} else if (++same == PM_STUCK_READS) {
			return 0;
		}
		elapsed = (p - p0) & mask;
	} while (elapsed < PM_MEASURE_TICKS);
	return (t1 - t0) * ACPI_PM_TIMER_HZ / elapsed;
}

/* The APIC timer counts down from its initial count at input clock / LAPIC_TIMER_DIVIDE. */
static uint64_t
lapic_measure(void)
{
	uint64_t t0, t1, ticks;

	lapic_timer_oneshot(LAPIC_VEC_TIMER, 0xFFFFFFFF); /* 68 s at 1 GHz: never fires here */
	t0 = rdtsc();
	clock_delay_us(LAPIC_MEASURE_US);
	ticks = 0xFFFFFFFFull - lapic_timer_current();
	t1 = rdtsc();
	lapic_timer_oneshot(LAPIC_VEC_TIMER, 0);
	return ticks * LAPIC_TIMER_DIVIDE * tsc_hz / (t1 - t0);
}

void
clock_init(void)
{
	const char *source = NULL;

	tsc_hz = tsc_from_cpuid(&source);
	if (tsc_hz == 0 && (tsc_hz = tsc_from_pm_timer()) != 0) {
		source = "pm timer";
		tsc_source = ABI_HW_TSC_PM_TIMER;
	}
	if (tsc_hz == 0) {
		tsc_hz = FALLBACK_TSC_HZ;
		tsc_source = ABI_HW_TSC_GUESS;
		source = "no CPUID 0x15/0x16 and no PM timer: a guess";
	}
	printf("time: tsc %lu MHz (%s)\n", MHZ(tsc_hz), source);
	if (!lapic_ready()) {
		printf("time: no local APIC timer\n");
		return;
	}
	lapic_hz = lapic_measure();
	tsc_deadline = lapic_has_tsc_deadline();
	printf("time: lapic timer %lu MHz, one-shot by %s\n", MHZ(lapic_hz),
	       tsc_deadline ? "tsc-deadline" : "count");
}

uint64_t
clock_tsc_hz(void)
{
	return tsc_hz;
}

unsigned
clock_tsc_source(void)
{
	return tsc_source;
}

uint64_t
clock_lapic_hz(void)
{
	return lapic_hz;
}

bool
clock_uses_tsc_deadline(void)
{
	return tsc_deadline;
}

void
clock_delay_us(uint64_t us)
{
	uint64_t hz = tsc_hz ? tsc_hz : FALLBACK_TSC_HZ;
	uint64_t end = rdtsc() + us * (hz / 1000000);

	while (rdtsc() < end)
		pause();
}

/* cycles * rate / tsc_hz without a 128-bit division (the kernel links no libgcc): split off
 * the whole seconds first, so the product below stays under 2^64 for rates up to ~5 GHz. */
static uint64_t
tsc_to_lapic_ticks(uint64_t cycles)
{
	uint64_t rate = lapic_hz / LAPIC_TIMER_DIVIDE;

	return cycles / tsc_hz * rate + (cycles % tsc_hz) * rate / tsc_hz;
}

void
clock_oneshot(uint64_t cycles)
{
	uint64_t ticks;

	if (!lapic_ready() || lapic_hz == 0)
		return;
	if (tsc_deadline) {
		lapic_timer_deadline(LAPIC_VEC_TIMER, cycles ? rdtsc() + cycles : 0);
		return;
	}
	ticks = cycles ? tsc_to_lapic_ticks(cycles) : 0;
	if (cycles && ticks == 0)
		ticks = 1;
	lapic_timer_oneshot(LAPIC_VEC_TIMER, ticks > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)ticks);
}
