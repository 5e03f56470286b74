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

/* MSI and MSI-X (kern/dev/msi.c).  A bound device vector gets vector MSI_VEC_BASE + n of
 * its target CPU's pool (n < MSI_NVEC, per CPU: the same n may serve other vectors on other
 * CPUs), named by a handle cpu * MSI_NVEC + n.  Its handler masks the device vector, records
 * it as fired and defers the signal as a line's does; msi_unmask undoes the mask. */
#define MSI_VEC_BASE 0x50
#define MSI_NVEC     32 /* vectors 0x50-0x6F on every CPU */
#define IRQ_MSI      1u /* kinds (abi/dev.h ABI_IRQ_MSI/MSIX's kind field) */
#define IRQ_MSIX     2u

/* How many vectors d has of kind (MSI: 1, the kernel enables one message; 0: none). */
unsigned msi_vectors(const struct pci_dev *d, unsigned kind);
/* Vector `index` of d's MSI or MSI-X to a fresh vector of `cpu`, programmed and masked, the
 * function's MSI or MSI-X enabled; *h its handle.  E_INVAL: d has no such capability,
 * E_NOSYS: its MSI-X table is out of the kernel's reach or the CPU's APIC id does not fit
 * a message,
 * E_RANGE: index or cpu out of range, E_BUSY: that vector is bound or the function has
 * vectors of the other kind bound, E_NOMEM: cpu's pool is full, E_PERM: an env owns cpu
 * (corecap.h; checked first). */
int msi_open(const struct pci_dev *d, unsigned kind, unsigned index, unsigned cpu, unsigned *h);
/* Moves handle h's device vector to a fresh vector of `cpu` (*nh its new handle), masked,
 * without disabling the function's MSI or MSI-X meanwhile (a device may fall back to INTx
 * while it is off, and QEMU 7.2's e1000e aborts when MSI-X goes off under a pending
 * throttling timer).  E_RANGE, E_NOSYS, E_PERM as msi_open; E_NOENT: h is not open; E_NOMEM. */
int msi_retarget(unsigned h, unsigned cpu, unsigned *nh);
/* Masks and frees it; the last of a function's vectors disables its MSI or MSI-X. */
void msi_close(unsigned h);
void msi_unmask(unsigned h);
bool msi_masked(unsigned h);
/* Vectors of `cpu` that fired since the last call (bit n: handle cpu * MSI_NVEC + n). */
uint32_t msi_fired_take(unsigned cpu);

#endif
