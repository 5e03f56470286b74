/* Interrupt routing through the I/O APIC (kern/include/irq.h): the redirection entries for
 * the console's ISA lines (consirq.c) and for PCI devices' INTx lines bound to notifications
 * (kern/env/sys_irq.c).
 *
 * The I/O APIC (Intel 82093AA datasheet, 3.0 "Register Description"): registers are reached
 * through an index (IOREGSEL, offset 0x00) and a window (IOWIN, 0x10); IOAPICVER (index 1)
 * bits 16-23 hold the last redirection entry's number; entry n is indexes 0x10 + 2n (low
 * word: vector in 0-7, delivery mode 8-10 (0: fixed), destination mode 11 (0: physical),
 * polarity 13 (1: active low), remote IRR 14, trigger 15 (1: level), mask 16) and 0x11 + 2n
 * (destination APIC id in bits 24-31).  A level-triggered entry's remote IRR is set at
 * delivery and cleared by the EOI the local APIC broadcasts (SDM Vol. 3A 10.8.5); while the
 * line stays asserted and the entry unmasked, the I/O APIC delivers again.  So the handler
 * masks the entry before its EOI: the line may stay asserted (the device has not been
 * serviced yet) without a storm, until the driver acknowledges (irq_line_unmask).
 *
 * Finding a PCI function's GSI (irq_pci_gsi).  The chipset wires INTA#-INTD# to interrupt
 * inputs; ACPI describes it with the _PRT of the host bridge's namespace (ACPI 6.5, 6.2.13),
 * which needs an AML interpreter this kernel does not have.  Instead, for the two QEMU
 * machines, what their firmware and ACPI tables say:
 *  - i440fx (`pc`, host bridge 8086:1237): PIIX3 routes PIRQA-D to ISA IRQs and SeaBIOS
 *    writes the IRQ into each function's Interrupt Line register (config 0x3C, PCI Local Bus
 *    3.0, 6.2.4); QEMU's MADT identity-maps those IRQs (5, 9, 10, 11) to GSIs with an
 *    interrupt source override "level, active high" (ACPI 6.5, 5.2.12.5).
 *  - q35 (host bridge 8086:29c0): ICH9 routes PIRQA-H to GSIs 16-23; QEMU's _PRT puts bus
 *    0's slots 0-23 on PIRQ E + (slot + pin) mod 4 (pin 0 = INTA#), GSI 20-23, as links of
 *    "level, active high" interrupts.  Functions behind a bridge would need the bridge's
 *    swizzle (PCI-to-PCI Bridge 1.2, 9.1) and the root port's own route: E_NOSYS.
 * Both QEMU boards invert nothing: PCI's active-low INTx# reaches the I/O APIC active high.
 * Any other chipset (the Legion's PCH) is E_NOSYS: it needs the _PRT (and the MADT's
 * overrides, which acpi.c does not keep); PCH PIRQs are usually GSI 16-23 active low. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/error.h"
#include "acpi.h"
#include "corecap.h"
#include "env.h"
#include "hal.h"
#include "irq.h"
#include "kerninfo.h"
#include "lapic.h"
#include "pci.h"
#include "smp.h"
#include "trap.h"

#define IOREGSEL    0x00
#define IOWIN       0x10
#define IOAPICVER   0x01
#define IOREDTBL(n) (0x10 + 2 * (n))
#define RTE_LOW     (1u << 13)
#define RTE_LEVEL   (1u << 15)
#define RTE_MASK    (1u << 16)

#define HOST_I440FX 0x1237 /* Intel 82441FX PMC (vendor 8086) */
#define HOST_Q35    0x29c0 /* Intel 82G33/Q35 DRAM controller (vendor 8086) */

struct line {
	unsigned users; /* irq_line_open minus irq_line_close; 0: free */
	uint32_t gsi;
	uint32_t low;           /* the entry's low word, mask bit clear */
	volatile uint8_t *base; /* its I/O APIC */
	uint32_t pin;           /* its entry there */
	unsigned cpu;           /* the CPU its interrupts go to */
};

/* Taken by the handlers: every index/window pair is done under it, interrupts off. */
static struct hal_spinlock ioapic_lock = HAL_SPINLOCK_INIT("ioapic");
static struct line lines[IRQ_LINES];
static uint32_t fired; /* bit n: line n fired and is not taken yet (atomic) */

static uint32_t
ioapic_read(volatile uint8_t *base, uint32_t reg)
{
	hal_mmio_write32(base + IOREGSEL, reg);
	return hal_mmio_read32(base + IOWIN);
}

static void
ioapic_write(volatile uint8_t *base, uint32_t reg, uint32_t val)
{
	hal_mmio_write32(base + IOREGSEL, reg);
	hal_mmio_write32(base + IOWIN, val);
}

/* The I/O APIC with input `gsi` and its pin there, or NULL. */
static volatile uint8_t *
ioapic_of(uint32_t gsi, uint32_t *pin)
{
	for (unsigned i = 0; i < acpi.nioapics; i++) {
		const struct acpi_ioapic *a = &acpi.ioapics[i];
		volatile uint8_t *base;

		/* The direct map covers the first 4 GiB, device holes uncached (kvm.c). */
		if ((uint64_t)a->addr + 0x20 > KERN_BOOT_MAP_SIZE || gsi < a->gsi_base)
			continue;
		base = hal_phys_to_virt(a->addr);
		if (gsi - a->gsi_base > ((ioapic_read(base, IOAPICVER) >> 16) & 0xFF))
			continue;
		*pin = gsi - a->gsi_base;
		return base;
	}
	return NULL;
}

bool
irq_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, unsigned flags)
{
	uint32_t low = vector | (flags & IRQ_LEVEL ? RTE_LEVEL : 0) |
	               (flags & IRQ_LOW ? RTE_LOW : 0) | (flags & IRQ_MASKED ? RTE_MASK : 0);
	volatile uint8_t *base;
	hal_irqstate_t s;
	uint32_t pin;

	if (!lapic_ready() || !acpi.valid)
		return false;
	s = hal_spin_lock_irqsave(&ioapic_lock);
	if ((base = ioapic_of(gsi, &pin)) != NULL) {
		/* Masked while the destination changes, then the low word in one write. */
		ioapic_write(base, IOREDTBL(pin), RTE_MASK);
		ioapic_write(base, IOREDTBL(pin) + 1, apic_id << 24);
		ioapic_write(base, IOREDTBL(pin), low);
	}
	hal_spin_unlock_irqrestore(&ioapic_lock, s);
	return base != NULL;
}

static const struct pci_dev *
host_bridge(void)
{
	for (unsigned i = 0; i < pci_ndevs; i++)
		if (pci_devs[i].bus == 0 && pci_devs[i].dev == 0 && pci_devs[i].fn == 0)
			return pci_devs[i].vendor == 0x8086 ? &pci_devs[i] : NULL;
	return NULL;
}

int
irq_pci_gsi(const struct pci_dev *d, uint32_t *gsi, unsigned *flags)
{
	const struct pci_dev *h = host_bridge();
	uint32_t line;

	if (d->intpin < 1 || d->intpin > 4)
		return E_INVAL;
	*flags = IRQ_LEVEL; /* active high on both QEMU boards (see the top) */
	if (h != NULL && h->device == HOST_I440FX) {
		line = pci_cfg_read(d->bus, d->dev, d->fn, 0x3c, 1);
		if (line == 0 || line >= 16 || line == 2)
			return E_NOSYS; /* the firmware routed nothing (0xff) */
		*gsi = line;
		return 0;
	}
	if (h != NULL && h->device == HOST_Q35 && d->bus == 0 && d->dev < 24) {
		*gsi = 20 + (d->dev + d->intpin - 1u) % 4;
		return 0;
	}
	return E_NOSYS;
}

static void
line_irq(struct trapframe *tf)
{
	unsigned n = (unsigned)(tf->vector - IRQ_VEC_BASE);
	struct line *l = &lines[n % IRQ_LINES];

	hal_spin_lock(&ioapic_lock); /* interrupts are off in a handler */
	if (l->users > 0)
		ioapic_write(l->base, IOREDTBL(l->pin), l->low | RTE_MASK);
	hal_spin_unlock(&ioapic_lock);
	__atomic_fetch_or(&fired, 1u << (n % IRQ_LINES), __ATOMIC_ACQ_REL);
	lapic_eoi();
	env_irq_defer(tf); /* may not return (a tick from user mode) */
}

int
irq_line_open(const struct pci_dev *d, unsigned *line)
{
	unsigned flags, n = IRQ_LINES, cpu;
	uint32_t gsi, pin;
	volatile uint8_t *base;
	hal_irqstate_t s;
	int err;

	if ((err = irq_pci_gsi(d, &gsi, &flags)) < 0)
		return err;
	if (!lapic_ready() || !acpi.valid)
		return E_NOSYS;
	s = hal_spin_lock_irqsave(&ioapic_lock);
	for (unsigned i = 0; i < IRQ_LINES; i++)
		if (lines[i].users > 0 && lines[i].gsi == gsi)
			n = i;
		else if (lines[i].users == 0 && n == IRQ_LINES)
			n = i;
	err = n == IRQ_LINES ? E_NOMEM : 0;
	if (err == 0 && lines[n].users == 0) {
		if ((base = ioapic_of(gsi, &pin)) == NULL) {
			err = E_RANGE;
		} else {
			trap_register(IRQ_VEC_BASE + n, line_irq);
			lines[n] = (struct line){ .gsi = gsi, .base = base, .pin = pin };
			lines[n].low =
			    (IRQ_VEC_BASE + n) | RTE_LEVEL | (flags & IRQ_LOW ? RTE_LOW : 0);
			/* The CPU that opens the line takes its interrupts, unless an env owns it
			 * (docs/partitions.md): then the host CPU does. */
			cpu = core_owned(hal_cpu_id()) ? CORE_HOST_CPU : hal_cpu_id();
			lines[n].cpu = cpu;
			ioapic_write(base, IOREDTBL(pin), RTE_MASK);
			ioapic_write(base, IOREDTBL(pin) + 1, smp_apic_id(cpu) << 24);
			ioapic_write(base, IOREDTBL(pin), lines[n].low | RTE_MASK);
		}
	}
	if (err == 0) {
		lines[n].users++;
		*line = n;
	}
	hal_spin_unlock_irqrestore(&ioapic_lock, s);
	return err;
}

void
irq_line_close(unsigned line)
{
	hal_irqstate_t s = hal_spin_lock_irqsave(&ioapic_lock);
	struct line *l = &lines[line % IRQ_LINES];

	if (l->users > 0 && --l->users == 0)
		ioapic_write(l->base, IOREDTBL(l->pin), l->low | RTE_MASK);
	hal_spin_unlock_irqrestore(&ioapic_lock, s);
}

void
irq_line_unmask(unsigned line)
{
	hal_irqstate_t s = hal_spin_lock_irqsave(&ioapic_lock);
	struct line *l = &lines[line % IRQ_LINES];

	if (l->users > 0)
		ioapic_write(l->base, IOREDTBL(l->pin), l->low);
	hal_spin_unlock_irqrestore(&ioapic_lock, s);
}

uint32_t
irq_line_gsi(unsigned line)
{
	return lines[line % IRQ_LINES].gsi;
}

uint32_t
irq_fired_take(void)
{
	return __atomic_exchange_n(&fired, 0, __ATOMIC_ACQ_REL);
}

void
irq_lines_avoid_owned(void)
{
	hal_irqstate_t s = hal_spin_lock_irqsave(&ioapic_lock);

	for (unsigned n = 0; n < IRQ_LINES; n++) {
		struct line *l = &lines[n];
		uint32_t low;

		if (l->users == 0 || !core_owned(l->cpu))
			continue;
		/* Masked while the destination changes; the mask bit then as it was. */
		low = ioapic_read(l->base, IOREDTBL(l->pin));
		ioapic_write(l->base, IOREDTBL(l->pin), low | RTE_MASK);
		ioapic_write(l->base, IOREDTBL(l->pin) + 1, smp_apic_id(CORE_HOST_CPU) << 24);
		ioapic_write(l->base, IOREDTBL(l->pin), low);
		l->cpu = CORE_HOST_CPU;
	}
	hal_spin_unlock_irqrestore(&ioapic_lock, s);
}
