/* The HAL (kern/include/hal.h) on x86-64 hardware: the one place portable code reaches the
 * machine.  CPUs are numbered by smp.c, IPIs go through the local APIC (lapic.c), the
 * one-shot timer is the local APIC timer (clock.c), spinlocks are in spinlock.c. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "console.h"
#include "hal.h"
#include "kerninfo.h"
#include "lapic.h"
#include "panic.h"
#include "percpu.h"
#include "smp.h"
#include "trap.h"
#include "x86.h"

#define RFLAGS_IF (1UL << 9)

void *
hal_phys_to_virt(physaddr_t pa)
{
	return (void *)(KERN_DIRECTMAP_BASE + pa);
}

physaddr_t
hal_virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;

	if (v >= KERN_LINK_BASE)
		return v - KERN_LINK_BASE;
	if (v >= KERN_DIRECTMAP_BASE)
		return v - KERN_DIRECTMAP_BASE;
	panic("hal_virt_to_phys: %p is not a kernel address", va);
}

uint64_t
hal_cycles(void)
{
	return rdtsc();
}

/* Device registers: one access of exactly the given width, never merged or elided. */
uint8_t
hal_mmio_read8(volatile void *addr)
{
	return *(volatile uint8_t *)addr;
}

uint16_t
hal_mmio_read16(volatile void *addr)
{
	return *(volatile uint16_t *)addr;
}

uint32_t
hal_mmio_read32(volatile void *addr)
{
	return *(volatile uint32_t *)addr;
}

uint64_t
hal_mmio_read64(volatile void *addr)
{
	return *(volatile uint64_t *)addr;
}

void
hal_mmio_write8(volatile void *addr, uint8_t val)
{
	*(volatile uint8_t *)addr = val;
}

void
hal_mmio_write16(volatile void *addr, uint16_t val)
{
	*(volatile uint16_t *)addr = val;
}

void
hal_mmio_write32(volatile void *addr, uint32_t val)
{
	*(volatile uint32_t *)addr = val;
}

void
hal_mmio_write64(volatile void *addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

void
hal_tlb_flush_page(uintptr_t va)
{
	invlpg(va);
}

/* Reloading CR3 flushes only non-global TLB entries; the kernel's own mappings are global
 * (kern/mm/kvm.c), and a MOV to CR4 that changes PGE flushes every entry, global ones
 * included (Intel SDM Vol. 3A 4.10.4.1). */
#define CR4_PGE (1UL << 7)

void
hal_tlb_flush_all(void)
{
	uint64_t cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

void
hal_set_root(physaddr_t root)
{
	percpu_set_root(percpu_this(), root);
}

physaddr_t
hal_get_root(void)
{
	return read_cr3() & ~0xFFFUL;
}

hal_irqstate_t
hal_irq_save(void)
{
	hal_irqstate_t flags = read_rflags();

	cli();
	return flags;
}

void
hal_irq_restore(hal_irqstate_t state)
{
	if (state & RFLAGS_IF)
		sti();
}

unsigned
hal_cpu_id(void)
{
	return percpu_cpu();
}

unsigned
hal_cpu_count(void)
{
	return smp_cpu_count();
}

/* A fixed-delivery IPI; vectors below T_NEXC are exceptions, which no IPI may fake. */
void
hal_send_ipi(unsigned cpu, unsigned vector)
{
	if (cpu >= smp_cpu_count() || vector < T_NEXC || vector > 255 || !lapic_ready())
		panic("hal_send_ipi(cpu %u, vector %u): no such CPU or vector", cpu, vector);
	lapic_send_ipi(smp_apic_id(cpu), LAPIC_ICR_FIXED | vector);
}

void
hal_timer_oneshot(uint64_t cycles)
{
	clock_oneshot(cycles);
}

void
hal_panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_va(file, line, fmt, ap);
}

void
hal_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
