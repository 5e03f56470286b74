/* Console input interrupts: COM1's "received data available" (ISA IRQ 4) and the i8042
 * keyboard's "output buffer full" (ISA IRQ 1), routed through the I/O APIC to one vector on
 * the boot CPU.  The handler reads nothing (sys_cgetc does, through cons_getc): it tells the
 * env layer that input arrived (env_cons_input), which signals every notification bound
 * with cons_notify, so a reader sleeps in notify_wait instead of polling.
 *
 * Why nothing is lost.  Both devices hold their interrupt line high while unread data waits
 * (NS16550D "Interrupt Identification Register": the RDA interrupt clears when the receiver
 * buffer is read; the i8042 raises IRQ 1 while its output buffer is full), and ISA lines are
 * edge-triggered at the I/O APIC.  A reader calls cgetc until E_AGAIN, which leaves both
 * devices empty and their lines low, then waits: the next character raises the line again,
 * hence an edge, hence a signal; one that arrives between E_AGAIN and the wait finds the
 * notification's word already set (it is sticky).
 *
 * The I/O APIC (Intel 82093AA datasheet, 3.0 "Register Description"): registers are reached
 * through an index (IOREGSEL, offset 0x00) and a window (IOWIN, 0x10); IOAPICVER (index 1)
 * bits 16-23 hold the last redirection entry's number; entry n is indexes 0x10 + 2n (low
 * word: vector in 0-7, delivery mode 8-10 (0: fixed), destination mode 11 (0: physical),
 * polarity 13 (0: active high), trigger 15 (0: edge), mask 16) and 0x11 + 2n (destination
 * APIC id in bits 24-31).  ISA IRQs 1 and 4 are taken to be GSIs 1 and 4: acpi.c does not
 * read the MADT's interrupt source overrides (ACPI 6.5 5.2.12.5), and QEMU's and the
 * Legion's override only IRQ 0 and the PCI lines.  Lab 5's interrupt routing (issue 12)
 * should own the I/O APIC; this file then only asks it for the two lines. */
#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "consdev.h"
#include "console.h"
#include "env.h"
#include "hal.h"
#include "kerninfo.h"
#include "lapic.h"
#include "trap.h"

#define CONS_IRQ_VEC 0x40 /* above the 8259s' 0x30-0x3F, below the IPIs' 0xE0 */
#define ISA_IRQ_KBD  1
#define ISA_IRQ_COM1 4

#define IOREGSEL    0x00
#define IOWIN       0x10
#define IOAPICVER   0x01
#define IOREDTBL(n) (0x10 + 2 * (n))

static bool routed;

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

/* GSI `gsi` to `vector` on the CPU with local APIC id `apic_id`: fixed, physical, active
 * high, edge, unmasked.  False when no I/O APIC of the MADT has that input. */
static bool
ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id)
{
	for (unsigned i = 0; i < acpi.nioapics; i++) {
		const struct acpi_ioapic *a = &acpi.ioapics[i];
		volatile uint8_t *base;
		uint32_t last, pin;

		/* The direct map covers the first 4 GiB, device holes uncached (kvm.c). */
		if ((uint64_t)a->addr + 0x20 > KERN_BOOT_MAP_SIZE || gsi < a->gsi_base)
			continue;
		base = hal_phys_to_virt(a->addr);
		last = (ioapic_read(base, IOAPICVER) >> 16) & 0xFF;
		pin = gsi - a->gsi_base;
		if (pin > last)
			continue;
		ioapic_write(base, IOREDTBL(pin) + 1, apic_id << 24);
		ioapic_write(base, IOREDTBL(pin), vector);
		return true;
	}
	return false;
}

static void
cons_irq(struct trapframe *tf)
{
	lapic_eoi();
	env_cons_input(tf);
}

void
cons_irq_init(void)
{
	bool com1 = serial_irq_enable(), kbd = kbd_irq_enable();

	if (!lapic_ready() || !acpi.valid || acpi.nioapics == 0 || (!com1 && !kbd)) {
		printf("console: no input interrupts (no I/O APIC or no device): readers poll\n");
		return;
	}
	trap_register(CONS_IRQ_VEC, cons_irq);
	if (com1)
		routed |= ioapic_route(ISA_IRQ_COM1, CONS_IRQ_VEC, lapic_id());
	if (kbd)
		routed |= ioapic_route(ISA_IRQ_KBD, CONS_IRQ_VEC, lapic_id());
	/* Silent when it works: the boot banner must stay on a framebuffer's first screen
	 * (lab 1's boot-uefi-framebuffer). */
	if (!routed)
		printf("console: no I/O APIC input for irq 1 or 4: readers poll\n");
}

bool
cons_irq_routed(void)
{
	return routed;
}
