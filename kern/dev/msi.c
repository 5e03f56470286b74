/* Message-signalled interrupts (kern/include/irq.h "MSI and MSI-X"): a device vector bound
 * to a notification (kern/env/sys_irq.c) gets a CPU vector from that CPU's pool, and only
 * this file writes the message's address and data (dev_cfg_write refuses them, sys_dev.c).
 *
 * The message (Intel SDM Vol. 3A 11.11.1-2, "Message Address/Data Register Format"): address
 * 0xFEE00000 | destination APIC id << 12 (redirection hint 0, physical destination mode);
 * data: the vector in bits 0-7, fixed delivery (bits 8-10 = 0), edge (bit 15 = 0).  An
 * xAPIC id has 8 bits there: CPUs with a larger x2APIC id would need interrupt remapping.
 *
 * MSI-X (PCI Local Bus 3.0, 6.8.2): Message Control (cap + 2) bit 15 enable, bit 14
 * function mask, bits 0-10 table size - 1; the Table Offset/BIR dword (cap + 4) says which
 * BAR (bits 0-2) holds the table, at which offset; each entry is 16 bytes: address low,
 * address high, data, vector control (bit 0: masked, 6.8.2.9).  The kernel reaches the
 * table through the direct map (BARs below 4 GiB, uncached there: kvm.c).
 * MSI (6.8.1): Message Control bit 0 enable, bits 4-6 multiple message enable (left 0: one
 * vector, index 0), bit 7 64-bit address, bit 8 per-vector masking; address at cap + 4
 * (+ upper half at cap + 8 when 64-bit), data after it, mask bits after the data.
 *
 * Masking.  The handler masks the vector before its EOI and the driver's ack unmasks it, so
 * a vector fires at most once per ack.  MSI-X always has the entry's mask bit; a masked
 * vector's message is held pending by the device and sent when unmasked (6.8.2.9).  MSI
 * with per-vector masking uses its mask bit the same way.  MSI without it (e1000e's) is
 * "masked" by clearing MSI Enable, with the command register's INTx Disable set while the
 * function is bound so it cannot fall back to INTx (6.8.1.3); an event while disabled is not
 * remembered, so a driver of such a function acks before it reads the device's causes.
 * The handler's configuration write takes pci_cfg's lock: the kernel holds it only with
 * interrupts off, so it cannot be held by the code the handler interrupted. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/error.h"
#include "corecap.h"
#include "env.h"
#include "hal.h"
#include "irq.h"
#include "kerninfo.h"
#include "lapic.h"
#include "pci.h"
#include "smp.h"
#include "trap.h"

#define MSI_CTRL_ENABLE   0x0001u
#define MSI_CTRL_64BIT    0x0080u
#define MSI_CTRL_PVM      0x0100u
#define MSIX_CTRL_ENABLE  0x8000u
#define MSIX_CTRL_FMASK   0x4000u
#define MSIX_CTRL_SIZE    0x07ffu
#define MSIX_ENTRY_BYTES  16
#define MSIX_VCTRL_MASKED 1u
#define MSI_ADDR_BASE     0xFEE00000u

struct msi_vec {
	const struct pci_dev *dev; /* NULL: free */
	unsigned kind;             /* IRQ_MSI or IRQ_MSIX */
	unsigned index;
	volatile uint32_t *entry; /* MSI-X: the table entry (4 words) */
};

static struct hal_spinlock msi_lock = HAL_SPINLOCK_INIT("msi");
static struct msi_vec vecs[SMP_MAX_CPUS][MSI_NVEC];
static uint32_t fired[SMP_MAX_CPUS]; /* bit n: CPU's vector MSI_VEC_BASE + n fired */

static uint32_t
cfg_read(const struct pci_dev *d, unsigned off, unsigned size)
{
	return pci_cfg_read(d->bus, d->dev, d->fn, off, size);
}

static void
cfg_write(const struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
	pci_cfg_write(d->bus, d->dev, d->fn, off, size, val);
}

/* Offset of MSI's mask bits, or 0 when the function has no per-vector masking. */
static unsigned
msi_mask_reg(const struct pci_dev *d)
{
	uint16_t ctrl = (uint16_t)cfg_read(d, d->msi + 2u, 2);

	if (!(ctrl & MSI_CTRL_PVM))
		return 0;
	return d->msi + ((ctrl & MSI_CTRL_64BIT) ? 0x10u : 0x0Cu);
}

/* Masks (true) or unmasks v's device vector. */
static void
vec_mask(const struct msi_vec *v, bool masked)
{
	const struct pci_dev *d = v->dev;
	unsigned reg;

	if (v->kind == IRQ_MSIX) {
		hal_mmio_write32(&v->entry[3], masked ? MSIX_VCTRL_MASKED : 0);
		(void)hal_mmio_read32(&v->entry[3]); /* the write has reached the device */
	} else if ((reg = msi_mask_reg(d)) != 0) {
		cfg_write(d, reg, 4, masked ? 1u : 0u);
	} else {
		uint16_t ctrl = (uint16_t)cfg_read(d, d->msi + 2u, 2);

		cfg_write(d, d->msi + 2u, 2,
		          masked ? ctrl & ~MSI_CTRL_ENABLE : ctrl | MSI_CTRL_ENABLE);
	}
}

/* The MSI-X table entry `index` of d through the direct map, or NULL (E_NOSYS: the BAR is
 * not a memory BAR below 4 GiB). */
static volatile uint32_t *
msix_entry(const struct pci_dev *d, unsigned index)
{
	uint32_t tbl = cfg_read(d, d->msix + 4u, 4);
	const struct pci_bar *b = &d->bars[tbl & 7u];
	uint64_t off = (tbl & ~7u) + (uint64_t)index * MSIX_ENTRY_BYTES;

	if ((tbl & 7u) >= PCI_NBARS || b->type < PCI_BAR_MEM32 ||
	    off + MSIX_ENTRY_BYTES > b->size || b->base + b->size > KERN_BOOT_MAP_SIZE)
		return NULL;
	return hal_phys_to_virt(b->base + off);
}

unsigned
msi_vectors(const struct pci_dev *d, unsigned kind)
{
	if (kind == IRQ_MSIX && d->msix)
		return (cfg_read(d, d->msix + 2u, 2) & MSIX_CTRL_SIZE) + 1;
	if (kind == IRQ_MSI && d->msi)
		return 1; /* multiple message enable stays 0 */
	return 0;
}

/* Other vectors of d's kind still bound (the function's enable stays on while any is). */
static unsigned
users(const struct pci_dev *d, unsigned kind)
{
	unsigned n = 0;

	for (unsigned c = 0; c < smp_cpu_count(); c++)
		for (unsigned i = 0; i < MSI_NVEC; i++)
			n += vecs[c][i].dev == d && vecs[c][i].kind == kind;
	return n;
}

static void
msi_irq(struct trapframe *tf)
{
	unsigned cpu = hal_cpu_id(), n = (unsigned)(tf->vector - MSI_VEC_BASE) % MSI_NVEC;

	hal_spin_lock(&msi_lock); /* interrupts are off in a handler */
	if (vecs[cpu][n].dev != NULL)
		vec_mask(&vecs[cpu][n], true);
	hal_spin_unlock(&msi_lock);
	__atomic_fetch_or(&fired[cpu], 1u << n, __ATOMIC_ACQ_REL);
	lapic_eoi();
	env_irq_defer(tf); /* may not return (a tick from user mode) */
}

/* Programs the message of v (vector `vec` on apic_id), masked, and enables the function. */
static void
program(struct msi_vec *v, uint8_t vec, uint32_t apic_id, bool first)
{
	const struct pci_dev *d = v->dev;
	uint32_t addr = MSI_ADDR_BASE | apic_id << 12;

	if (v->kind == IRQ_MSIX) {
		uint16_t ctrl = (uint16_t)cfg_read(d, d->msix + 2u, 2);

		if (first) { /* every entry masked, then the function enabled (6.8.2.3) */
			for (unsigned i = 0; i < msi_vectors(d, IRQ_MSIX); i++)
				if (msix_entry(d, i) != NULL)
					hal_mmio_write32(&msix_entry(d, i)[3], MSIX_VCTRL_MASKED);
			cfg_write(d, d->msix + 2u, 2,
			          (ctrl | MSIX_CTRL_ENABLE) & ~(unsigned)MSIX_CTRL_FMASK);
		}
		hal_mmio_write32(&v->entry[0], addr);
		hal_mmio_write32(&v->entry[1], 0);
		hal_mmio_write32(&v->entry[2], vec);
		return;
	}
	uint16_t ctrl = (uint16_t)cfg_read(d, d->msi + 2u, 2);
	unsigned data = d->msi + ((ctrl & MSI_CTRL_64BIT) ? 0x0Cu : 0x08u);

	cfg_write(d, d->msi + 2u, 2, ctrl & ~(MSI_CTRL_ENABLE | 0x70u)); /* one message */
	cfg_write(d, d->msi + 4u, 4, addr);
	if (ctrl & MSI_CTRL_64BIT)
		cfg_write(d, d->msi + 8u, 4, 0);
	cfg_write(d, data, 2, vec);
	cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) | PCI_CMD_INTX_OFF);
	vec_mask(v, true);
	if (msi_mask_reg(d) != 0) /* else the enable bit is the mask, set at unmask */
		cfg_write(d, d->msi + 2u, 2, (ctrl & ~0x70u) | MSI_CTRL_ENABLE);
}

int
msi_open(const struct pci_dev *d, unsigned kind, unsigned index, unsigned cpu, unsigned *h)
{
	volatile uint32_t *entry = NULL;
	hal_irqstate_t s;
	unsigned n;
	int err = 0;

	if (cpu < smp_cpu_count() && core_owned(cpu))
		return E_PERM; /* an env owns that core: no device interrupt goes there */
	if (msi_vectors(d, kind) == 0)
		return E_INVAL;
	if (index >= msi_vectors(d, kind) || cpu >= smp_cpu_count() || !lapic_ready())
		return E_RANGE;
	if (smp_apic_id(cpu) > 0xFF)
		return E_NOSYS; /* needs interrupt remapping (see the top) */
	if (kind == IRQ_MSIX && (entry = msix_entry(d, index)) == NULL)
		return E_NOSYS;
	s = hal_spin_lock_irqsave(&msi_lock);
	for (n = 0; n < MSI_NVEC && vecs[cpu][n].dev != NULL; n++)
		;
	for (unsigned c = 0; c < smp_cpu_count() && err == 0; c++)
		for (unsigned i = 0; i < MSI_NVEC; i++)
			if (vecs[c][i].dev == d && vecs[c][i].kind == kind &&
			    vecs[c][i].index == index)
				err = E_BUSY;
	/* MSI and MSI-X are never enabled together (PCI Local Bus 3.0, 6.8.2). */
	if (err == 0 && users(d, kind == IRQ_MSI ? IRQ_MSIX : IRQ_MSI) > 0)
		err = E_BUSY;
	if (err == 0 && n == MSI_NVEC)
		err = E_NOMEM;
	if (err == 0) {
		bool first = users(d, kind) == 0;

		vecs[cpu][n] =
		    (struct msi_vec){ .dev = d, .kind = kind, .index = index, .entry = entry };
		trap_register(MSI_VEC_BASE + n, msi_irq);
		program(&vecs[cpu][n], (uint8_t)(MSI_VEC_BASE + n), smp_apic_id(cpu), first);
		*h = cpu * MSI_NVEC + n;
	}
	hal_spin_unlock_irqrestore(&msi_lock, s);
	return err;
}

static struct msi_vec *
vec_of(unsigned h)
{
	return &vecs[(h / MSI_NVEC) % SMP_MAX_CPUS][h % MSI_NVEC];
}

int
msi_retarget(unsigned h, unsigned cpu, unsigned *nh)
{
	hal_irqstate_t s;
	struct msi_vec *old, *v;
	unsigned n;
	int err = 0;

	if (cpu >= smp_cpu_count() || !lapic_ready())
		return E_RANGE;
	if (core_owned(cpu))
		return E_PERM; /* as msi_open */
	if (smp_apic_id(cpu) > 0xFF)
		return E_NOSYS;
	s = hal_spin_lock_irqsave(&msi_lock);
	old = vec_of(h);
	for (n = 0; n < MSI_NVEC && vecs[cpu][n].dev != NULL; n++)
		;
	if (old->dev == NULL)
		err = E_NOENT;
	else if (n == MSI_NVEC)
		err = E_NOMEM;
	if (err == 0) {
		v = &vecs[cpu][n];
		*v = *old;
		vec_mask(v, true); /* the device's vector: masked while its message changes */
		trap_register(MSI_VEC_BASE + n, msi_irq);
		program(v, (uint8_t)(MSI_VEC_BASE + n), smp_apic_id(cpu), false);
		*old = (struct msi_vec){ 0 };
		__atomic_fetch_and(&fired[h / MSI_NVEC % SMP_MAX_CPUS], ~(1u << (h % MSI_NVEC)),
		                   __ATOMIC_ACQ_REL);
		*nh = cpu * MSI_NVEC + n;
	}
	hal_spin_unlock_irqrestore(&msi_lock, s);
	return err;
}

void
msi_close(unsigned h)
{
	hal_irqstate_t s = hal_spin_lock_irqsave(&msi_lock);
	struct msi_vec *v = vec_of(h);
	const struct pci_dev *d = v->dev;

	if (d != NULL) {
		vec_mask(v, true);
		v->dev = NULL;
		if (users(d, v->kind) == 0 && v->kind == IRQ_MSIX) /* the last: function off */
			cfg_write(d, d->msix + 2u, 2,
			          cfg_read(d, d->msix + 2u, 2) & ~(unsigned)MSIX_CTRL_ENABLE);
		else if (users(d, v->kind) == 0)
			cfg_write(d, d->msi + 2u, 2,
			          cfg_read(d, d->msi + 2u, 2) & ~MSI_CTRL_ENABLE);
		__atomic_fetch_and(&fired[h / MSI_NVEC % SMP_MAX_CPUS], ~(1u << (h % MSI_NVEC)),
		                   __ATOMIC_ACQ_REL);
	}
	hal_spin_unlock_irqrestore(&msi_lock, s);
}

void
msi_unmask(unsigned h)
{
	hal_irqstate_t s = hal_spin_lock_irqsave(&msi_lock);

	if (vec_of(h)->dev != NULL)
		vec_mask(vec_of(h), false);
	hal_spin_unlock_irqrestore(&msi_lock, s);
}

bool
msi_masked(unsigned h)
{
	const struct msi_vec *v = vec_of(h);
	unsigned reg;

	if (v->dev == NULL)
		return true;
	if (v->kind == IRQ_MSIX)
		return hal_mmio_read32(&v->entry[3]) & MSIX_VCTRL_MASKED;
	if ((reg = msi_mask_reg(v->dev)) != 0)
		return cfg_read(v->dev, reg, 4) & 1u;
	return !(cfg_read(v->dev, v->dev->msi + 2u, 2) & MSI_CTRL_ENABLE);
}

uint32_t
msi_fired_take(unsigned cpu)
{
	return __atomic_exchange_n(&fired[cpu % SMP_MAX_CPUS], 0, __ATOMIC_ACQ_REL);
}
