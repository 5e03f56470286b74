/* Interrupt routing (kern/dev/irq.c): the I/O APIC's redirection entries, shared by the
 * console's input interrupts (consirq.c) and the device interrupts drivers bind to
 * notifications (kern/env/sys_irq.c, issue 12 item 3).  Machine-free: kern/env includes it.
 *
 * A device's legacy interrupt (INTx) becomes a "line": one GSI of the I/O APIC, its own
 * vector (IRQ_VEC_BASE + line), level-triggered, delivered to the CPU that opened it (the
 * first binder's CPU at irq_bind: a driver pins itself to choose it).  The handler
 * masks the entry, records the line as fired and defers the signal to the env layer
 * (env_irq_defer, kern/env/knotify.c); the entry stays masked until irq_line_unmask. */
#ifndef EXOLAB_IRQ_H
#define EXOLAB_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

#define IRQ_LINES    8    /* device lines at once (distinct GSIs) */
#define IRQ_VEC_BASE 0x41 /* line n has vector 0x41 + n: above the console's 0x40 */

/* Redirection entry flags for irq_route. */
#define IRQ_LEVEL  1u /* level-triggered (else edge) */
#define IRQ_LOW    2u /* active low (else high) */
#define IRQ_MASKED 4u /* left masked */

/* GSI `gsi` to `vector` on the CPU with local APIC id `apic_id`, fixed delivery, physical
 * destination.  False when no I/O APIC of the MADT has that input. */
bool irq_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, unsigned flags);

/* The GSI of d's INTx pin and its entry flags (IRQ_LEVEL | polarity), or E_NOSYS when this
 * chipset's routing is not known (no _PRT interpreter), E_INVAL when d has no INTx pin. */
int irq_pci_gsi(const struct pci_dev *d, uint32_t *gsi, unsigned *flags);

/* A line for d's INTx: the existing one of its GSI (shared INTx), else a new one, routed
 * masked.  Each open is paired with an irq_line_close, whose last one masks the entry.
 * E_NOSYS/E_INVAL as irq_pci_gsi, E_NOMEM: IRQ_LINES in use, E_RANGE: no I/O APIC input. */
int irq_line_open(const struct pci_dev *d, unsigned *line);
void irq_line_close(unsigned line);
void irq_line_unmask(unsigned line);
uint32_t irq_line_gsi(unsigned line);

/* The lines that fired since the last call (bit n: line n), cleared. */
uint32_t irq_fired_take(void);

#endif
