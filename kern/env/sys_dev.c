/* Device capabilities (issue 12 item 2, abi/dev.h): one CAP_DEVICE object per PCI function
 * found at boot (kern/dev/pci.c), all given to init; the device syscalls (40-44): reading
 * configuration space, writing the few registers a driver needs, and BAR windows
 * (CAP_DEVMEM) whose pages map uncached into an env.
 *
 * A BAR's pages are frame-like objects: frame_wrap makes them once, at boot, and the kernel
 * keeps a hold on each for ever.  A window is a region (region.c) on those frames: it is
 * what capabilities name, region_map maps it, and its release hook (its last capability
 * deleted, e.g. by a revoke of the device capability it came from) removes its mappings.
 *
 * Caching: user mappings of BAR pages set PCD|PWT, which selects IA32_PAT entry 3; the
 * kernel programs that entry UC (pte.h, PTE_PAT_MSR_VALUE; its power-up value is UC as
 * well, SDM Vol. 3A 11.12.2 Table 11-12), so device registers are never cached, combined or
 * read speculatively (SDM Vol. 3A 11.3, Table 11-2). */
#include "abi/dev.h"
#include "abi/memlayout.h"
#include "console.h"
#include "env_impl.h"
#include "iommu.h"
#include "mm.h"
#include "panic.h"
#include "pci.h"
#include "xstring.h"

/* What a CAP_DEVICE capability names. */
struct devobj {
	struct cap_object obj;
	const struct pci_dev *pci;
	struct frame *bar_frames[PCI_NBARS]; /* the BAR's pages, or NULL: not mappable */
	uint64_t bar_pa[PCI_NBARS];          /* first page of the BAR */
	uint64_t bar_pages[PCI_NBARS];
	/* The driver whose DMA domain the device is in (iommu_attach): that env and the slot of
	 * the device capability it made a window through; NULL: in none (all DMA blocked). */
	struct env *dma_env;
	uint64_t dma_env_id, dma_slot;
};

static struct devobj devobjs[PCI_MAX_DEVS];
static unsigned ndevobjs;

static uint64_t
dev_id(const struct pci_dev *d, unsigned bar)
{
	return (uint64_t)d->bus << 16 | (uint64_t)d->dev << 11 | (uint64_t)d->fn << 8 | bar;
}

/* True if the pages [pa, pa + n pages) hold no other BAR of any device: a page mapped for
 * a small BAR (rtl8139's 256 bytes) must not reach another device's registers. */
static bool
pages_exclusive(const struct pci_dev *self, unsigned bar, uint64_t pa, uint64_t n)
{
	for (unsigned i = 0; i < pci_ndevs; i++)
		for (unsigned j = 0; j < PCI_NBARS; j++) {
			const struct pci_bar *b = &pci_devs[i].bars[j];

			if ((&pci_devs[i] == self && j == bar) || b->type < PCI_BAR_MEM32 ||
			    b->size == 0)
				continue;
			if (b->base < pa + n * PAGE_SIZE && pa < b->base + b->size)
				return false;
		}
	return true;
}

/* The BAR's pages as frames held by the kernel for ever, or nothing (reported). */
static void
bar_wrap(struct devobj *o, unsigned i)
{
	const struct pci_bar *b = &o->pci->bars[i];
	uint64_t pa = MM_ALIGN_DOWN(b->base, PAGE_SIZE);
	uint64_t n = (MM_ALIGN_UP(b->base + b->size, PAGE_SIZE) - pa) / PAGE_SIZE;
	struct frame *f;

	if (b->type < PCI_BAR_MEM32 || b->size == 0 || b->base == 0)
		return;
	if (b->size > ABI_DEV_BAR_MAX || b->base + b->size < b->base ||
	    !pages_exclusive(o->pci, i, pa, n) || frame_wrap(pa, n, &f) < 0) {
		printf("dev: %02x:%02x.%u bar%u cannot be mapped\n", o->pci->bus, o->pci->dev,
		       o->pci->fn, i);
		return;
	}
	for (uint64_t p = 0; p < n; p++)
		if (frame_hold(&f[p]) < 0)
			panic("dev: no hold on a fresh BAR frame");
	o->bar_frames[i] = f;
	o->bar_pa[i] = pa;
	o->bar_pages[i] = n;
}

/* Every device object, once: called before init's capabilities are made. */
static void
dev_objects_init(void)
{
	for (unsigned i = 0; i < pci_ndevs && ndevobjs == 0; i++) {
		struct devobj *o = &devobjs[i];

		o->pci = &pci_devs[i];
		if (cap_object_init_device(&o->obj, CAP_DEVICE, dev_id(o->pci, 0), 0, 0) < 0)
			panic("dev: cannot make a device object");
		for (unsigned b = 0; b < PCI_NBARS; b++)
			bar_wrap(o, b);
	}
	ndevobjs = pci_ndevs;
}

uint64_t
dev_count(void)
{
	return pci_ndevs;
}

int
dev_grant(struct env *e, uint64_t first_slot)
{
	int err;

	dev_objects_init();
	for (unsigned i = 0; i < ndevobjs; i++)
		if ((err = cap_create(&e->caps, first_slot + i, &devobjs[i].obj,
		                      CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS |
		                          CAP_R_GRANT | CAP_R_DERIVE)) < 0)
			return err;
	return 0;
}

static struct devobj *
devobj_of(struct cap_object *obj)
{
	return (struct devobj *)((char *)obj - __builtin_offsetof(struct devobj, obj));
}

const struct pci_dev *
dev_pci(struct cap_object *obj)
{
	return devobj_of(obj)->pci;
}

int64_t
sys_dev_info(struct env *e, const uint64_t *a)
{
	struct abi_dev_info info;
	struct cap_object *obj;
	const struct pci_dev *d;
	int err = cap_acquire(&e->caps, a[0], CAP_DEVICE, CAP_R_READ, &obj, NULL);

	if (err < 0)
		return err;
	d = devobj_of(obj)->pci;
	memset(&info, 0, sizeof(info));
	info = (struct abi_dev_info){ .bus = d->bus,
		                      .dev = d->dev,
		                      .fn = d->fn,
		                      .class = d->class,
		                      .subclass = d->subclass,
		                      .progif = d->progif,
		                      .revision = d->revision,
		                      .header = d->header,
		                      .vendor = d->vendor,
		                      .device = d->device,
		                      .cfg_size = d->cfg_size,
		                      .msi = d->msi,
		                      .msix = d->msix,
		                      .pcie = d->pcie,
		                      .msi_len = d->msi_len,
		                      .intpin = d->intpin };
	for (unsigned i = 0; i < PCI_NBARS; i++) {
		info.bars[i].type = d->bars[i].type;
		info.bars[i].flags = d->bars[i].prefetch ? ABI_BAR_PREFETCH : 0;
		info.bars[i].base = d->bars[i].base;
		info.bars[i].size = d->bars[i].size;
	}
	cap_object_put(obj);
	return copyout(a[1], &info, sizeof(info));
}

/* size 1, 2 or 4 (E_INVAL), off aligned to it (E_ALIGN), inside the space (E_RANGE). */
static int
cfg_check(const struct pci_dev *d, uint64_t off, uint64_t size)
{
	if (size != 1 && size != 2 && size != 4)
		return E_INVAL;
	if (off & (size - 1))
		return E_ALIGN;
	if (off >= d->cfg_size || off + size > d->cfg_size)
		return E_RANGE;
	return 0;
}

int64_t
sys_dev_cfg_read(struct env *e, const uint64_t *a)
{
	uint64_t off = a[1], size = a[2];
	struct cap_object *obj;
	const struct pci_dev *d;
	int64_t ret;
	int err = cap_acquire(&e->caps, a[0], CAP_DEVICE, CAP_R_READ, &obj, NULL);

	if (err < 0)
		return err;
	d = devobj_of(obj)->pci;
	ret = cfg_check(d, off, size);
	if (ret == 0)
		ret = pci_cfg_read(d->bus, d->dev, d->fn, (unsigned)off, (unsigned)size);
	cap_object_put(obj);
	return ret;
}

/* [off, off + size) inside [lo, hi). */
static bool
inside(uint64_t off, uint64_t size, unsigned lo, unsigned hi)
{
	return lo < hi && off >= lo && off + size <= hi;
}

/* The registers a driver may write (PCI Local Bus 3.0): the command register's IO, MEM,
 * bus master and INTx-disable bits (6.2.2; the rest keep their value), and the Message
 * Control words of MSI (6.8.1.3) and MSI-X (6.8.2.3) as long as the enable bit stays clear.
 * A message's address and data choose the vector and the CPU it hits, so a driver that
 * could write them could raise any vector (the timer's, an IPI's, an exception's) on any
 * CPU, or, enabled with address 0, make its device write to physical memory: only the
 * kernel may program and enable MSI (kern/dev/msi.c, through irq_bind_msi; docs/devices.md
 * says why the MSI-X table inside a BAR window is no new power without an IOMMU). */
#define MSI_CTRL_ENABLE  0x0001u /* MSI Message Control bit 0 (6.8.1.3) */
#define MSIX_CTRL_ENABLE 0x8000u /* MSI-X Message Control bit 15 (6.8.2.3) */

static bool
msi_ctrl_write_ok(unsigned cap, uint16_t enable, uint64_t off, uint64_t size, uint32_t val)
{
	unsigned shift = 8 * (unsigned)(off - (cap + 2u));

	return cap && inside(off, size, cap + 2u, cap + 4u) && !((val << shift) & enable);
}

static int
cfg_write_allowed(const struct pci_dev *d, uint64_t off, uint64_t size, uint32_t val)
{
	const uint16_t keep = PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF;

	if (inside(off, size, PCI_COMMAND, PCI_COMMAND + 2)) {
		unsigned shift = 8 * (unsigned)(off - PCI_COMMAND);
		uint16_t old = (uint16_t)pci_cfg_read(d->bus, d->dev, d->fn, PCI_COMMAND, 2);
		uint16_t mask = (uint16_t)(keep & (size == 2 ? 0xffff : 0xff << shift));
		uint16_t v = (uint16_t)((old & ~mask) | ((val << shift) & mask));

		pci_cfg_write(d->bus, d->dev, d->fn, PCI_COMMAND, 2, v);
		return 0;
	}
	if (msi_ctrl_write_ok(d->msi, MSI_CTRL_ENABLE, off, size, val) ||
	    msi_ctrl_write_ok(d->msix, MSIX_CTRL_ENABLE, off, size, val)) {
		pci_cfg_write(d->bus, d->dev, d->fn, (unsigned)off, (unsigned)size, val);
		return 0;
	}
	return E_PERM;
}

int64_t
sys_dev_cfg_write(struct env *e, const uint64_t *a)
{
	uint64_t off = a[1], size = a[2], val = a[3];
	struct cap_object *obj;
	const struct pci_dev *d;
	int err = cap_acquire(&e->caps, a[0], CAP_DEVICE, CAP_R_WRITE, &obj, NULL);

	if (err < 0)
		return err;
	d = devobj_of(obj)->pci;
	if ((err = cfg_check(d, off, size)) == 0 && (size < 4 && val >> (8 * size)) != 0)
		err = E_INVAL;
	if (err == 0 && val > 0xffffffffu)
		err = E_INVAL;
	if (err == 0)
		err = cfg_write_allowed(d, off, size, (uint32_t)val);
	cap_object_put(obj);
	return err;
}

int64_t
sys_dev_bar(struct env *e, const uint64_t *a)
{
	uint64_t bar = a[1], wslot = a[2], rights = a[3];
	struct cap_object *obj;
	struct devobj *o;
	struct region *w;
	int err = cap_acquire(&e->caps, a[0], CAP_DEVICE, CAP_R_MAP, &obj, NULL);

	if (err < 0)
		return err;
	o = devobj_of(obj);
	if (bar >= PCI_NBARS)
		err = E_RANGE;
	else if (o->pci->bars[bar].type < PCI_BAR_MEM32)
		err = E_INVAL;
	else if (o->bar_frames[bar] == NULL)
		err = E_RANGE;
	else
		err = region_new(o->bar_frames[bar], o->bar_pages[bar], REGION_UNCACHED,
		                 dev_id(o->pci, (unsigned)bar), ABI_DEV_MAPS_MAX, &w);
	cap_object_put(obj);
	if (err < 0)
		return err;
	if ((err = cap_derive_object(&e->caps, a[0], CAP_DEVICE, CAP_R_MAP, &e->caps, wslot,
	                             region_obj(w), rights)) < 0) {
		region_discard(w);
		return err;
	}
	/* The env that maps a device's registers is its driver: the device's DMA goes through
	 * that env's domain from now on, until that capability goes (dev_revalidate) or another
	 * env maps it (docs/devices.md "DMA isolation"). */
	if ((err = iommu_attach(o->pci->bus, (unsigned)(o->pci->dev << 3 | o->pci->fn), e->id)) ==
	        0 &&
	    iommu_on()) {
		o->dma_env = e;
		o->dma_env_id = e->id;
		o->dma_slot = a[0];
	}
	return err;
}

/* The driver still holds, in the slot it used, a capability to this device. */
static bool
driver_holds(const struct devobj *o)
{
	struct cap_object *obj;

	if (o->dma_env->id != o->dma_env_id || o->dma_env->status == ENV_DEAD ||
	    o->dma_env->status == ENV_FREE)
		return false;
	if (cap_acquire(&o->dma_env->caps, o->dma_slot, CAP_DEVICE, 0, &obj, NULL) < 0)
		return false;
	cap_object_put(obj);
	return obj == &o->obj;
}

void
dev_revalidate(void)
{
	for (unsigned i = 0; i < ndevobjs; i++) {
		struct devobj *o = &devobjs[i];

		if (o->dma_env == NULL || driver_holds(o))
			continue;
		/* Revoked or deleted (or its env gone): the device leaves the domain and every
		 * transfer it still has in flight is blocked from here on. */
		iommu_detach(o->pci->bus, (unsigned)(o->pci->dev << 3 | o->pci->fn));
		printf("iommu: %02x:%02x.%u detached: its driver's capability is gone\n",
		       o->pci->bus, o->pci->dev, o->pci->fn);
		o->dma_env = NULL;
	}
}
