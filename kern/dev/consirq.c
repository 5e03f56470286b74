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
 * The lines go through the shared router (kern/dev/irq.c) as edge-triggered, active high
 * entries.  ISA IRQs 1 and 4 are taken to be GSIs 1 and 4: acpi.c does not read the MADT's
 * interrupt source overrides (ACPI 6.5 5.2.12.5), and QEMU's and the Legion's override
 * only IRQ 0 and the PCI lines. */
#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "consdev.h"
#include "console.h"
#include "env.h"
#include "irq.h"
#include "lapic.h"
#include "trap.h"

#define CONS_IRQ_VEC 0x40 /* above the 8259s' 0x30-0x3F, below the IPIs' 0xE0 */
#define ISA_IRQ_KBD  1
#define ISA_IRQ_COM1 4

static bool routed;

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
		routed |= irq_route(ISA_IRQ_COM1, CONS_IRQ_VEC, lapic_id(), 0);
	if (kbd)
		routed |= irq_route(ISA_IRQ_KBD, CONS_IRQ_VEC, lapic_id(), 0);
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
