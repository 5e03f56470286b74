/* Device capabilities (issue 12 item 2, abi/dev.h): one CAP_DEVICE object per PCI function
 * found at boot (kern/dev/pci.c), all given to init; the device syscalls (40-44): reading
 * configuration space, writing the few registers a driver needs, and BAR windows
 * (CAP_DEVMEM) whose pages map uncached into an env.
 *
 * A BAR's pages are frame-like objects: frame_wrap makes them once, at boot, and the kernel
 * keeps a hold on each for ever, so a mapping holds them like any frame and unmap, protect
 * and env teardown need nothing special.  The window object is what capabilities name; it
 * records where it was mapped, and its release hook (its last capability deleted, e.g. by a
 * revoke of the device capability it came from) removes those mappings.
 *
 * Caching: user mappings of BAR pages set PCD|PWT, which selects IA32_PAT entry 3; the
 * kernel programs that entry UC (pte.h, PTE_PAT_MSR_VALUE; its power-up value is UC as
 * well, SDM Vol. 3A 11.12.2 Table 11-12), so device registers are never cached, combined or
 * read speculatively (SDM Vol. 3A 11.3, Table 11-2). */
#include "abi/dev.h"
#include "abi/memlayout.h"
#include "console.h"
#include "env_impl.h"
#include "kheap.h"
#include "mm.h"
#include "panic.h"
#include "pci.h"
#include "pt.h"
#include "xstring.h"

/* What a CAP_DEVICE capability names. */
struct devobj {
	struct cap_object obj;
	const struct pci_dev *pci;
	struct frame *bar_frames[PCI_NBARS]; /* the BAR's pages, or NULL: not mappable */
	uint64_t bar_pa[PCI_NBARS];          /* first page of the BAR */
	uint64_t bar_pages[PCI_NBARS];
};

/* What a CAP_DEVMEM capability names: one BAR of one device. */
struct devwin {
	struct cap_object obj;
	struct devobj *dev;
	unsigned bar;
	unsigned nmaps;
	struct {
		uint64_t env, va;
	} maps[ABI_DEV_MAPS_MAX];
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

static void devwin_release(struct cap_object *obj);

/* Every device object, once: called before init's capabilities are made. */
static void
dev_objects_init(void)
{
	cap_set_release_hook(CAP_DEVMEM, devwin_release);
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

static struct devwin *
devwin_of(struct cap_object *obj)
{
	return (struct devwin *)((char *)obj - __builtin_offsetof(struct devwin, obj));
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
 * bus master and INTx-disable bits (6.2.2; the rest keep their value), MSI's control,
 * address, data and mask (6.8.1), MSI-X's control (6.8.2; its table is in a BAR). */
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
	if ((d->msi && inside(off, size, d->msi + 2u, d->msi + (unsigned)d->msi_len)) ||
	    (d->msix && inside(off, size, d->msix + 2u, d->msix + 4u))) {
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
	struct devwin *w;
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
	else if ((w = kmalloc(sizeof(*w))) == NULL)
		err = E_NOMEM;
	cap_object_put(obj);
	if (err < 0)
		return err;
	memset(w, 0, sizeof(*w));
	w->dev = o;
	w->bar = (unsigned)bar;
	if ((err = cap_object_init_device(&w->obj, CAP_DEVMEM, dev_id(o->pci, w->bar),
	                                  o->bar_pa[bar], o->bar_pages[bar] * PAGE_SIZE)) < 0 ||
	    (err = cap_derive_object(&e->caps, a[0], CAP_DEVICE, CAP_R_MAP, &e->caps, wslot,
	                             &w->obj, rights)) < 0)
		kfree(w);
	return err;
}

/* Removes pages [0, n) of the window's mapping at va in env t, where they still map the
 * window's pages (the env may have unmapped or replaced some since). */
static void
unmap_pages(struct env *t, const struct devwin *w, uint64_t va, uint64_t n)
{
	physaddr_t pa = w->dev->bar_pa[w->bar];

	for (uint64_t i = 0; i < n; i++) {
		struct pt_mapping m;

		if (pt_lookup(t->root, va + i * PAGE_SIZE, &m) == 0 && m.pa == pa + i * PAGE_SIZE)
			env_vm_unmap(t, va + i * PAGE_SIZE);
	}
}

/* The env with this id if it still has an address space, else NULL. */
static struct env *
env_by_id(uint64_t id)
{
	for (unsigned i = 0; i < NENV; i++)
		if (envs[i].id == id && envs[i].status != ENV_FREE && envs[i].root != 0)
			return &envs[i];
	return NULL;
}

/* The window's last capability is gone: every mapping made through it goes too (callers
 * hold the env lock: a revoke, a delete, an env's table destroyed). */
static void
devwin_release(struct cap_object *obj)
{
	struct devwin *w = devwin_of(obj);
	uint64_t n = w->dev->bar_pages[w->bar];

	for (unsigned i = 0; i < w->nmaps; i++) {
		struct env *t = env_by_id(w->maps[i].env);

		if (t != NULL)
			unmap_pages(t, w, w->maps[i].va, n);
	}
	kfree(w);
}

int64_t
sys_dev_bar_map(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[1], va = a[2], perm = a[3], n;
	struct cap_object *obj;
	struct devwin *w;
	struct env *t;
	int err;

	if (!MM_IS_ALIGNED(va, PAGE_SIZE))
		return E_ALIGN;
	if (perm != ABI_PERM_R && perm != (ABI_PERM_R | ABI_PERM_W))
		return E_INVAL;
	err = cap_acquire(&e->caps, a[0], CAP_DEVMEM, CAP_R_MAP | (uint32_t)perm, &obj, NULL);
	if (err < 0)
		return err;
	w = devwin_of(obj);
	n = w->dev->bar_pages[w->bar];
	if (va < ABI_USER_START || va >= ABI_USER_END || n * PAGE_SIZE > ABI_USER_END - va)
		err = E_RANGE;
	else if (w->nmaps == ABI_DEV_MAPS_MAX)
		err = E_NOMEM;
	if (err == 0 && (err = env_get(e, eslot, CAP_R_MAP, &t)) == 0) {
		for (uint64_t i = 0; i < n && err == 0; i++) {
			struct frame *f = &w->dev->bar_frames[w->bar][i];

			if ((err = frame_hold(f)) == 0 &&
			    (err = env_vm_map(t, va + i * PAGE_SIZE, f,
			                      (unsigned)perm | ENV_VM_UNCACHED, (unsigned)perm)) <
			        0)
				cap_object_put(&f->obj);
			if (err < 0)
				unmap_pages(t, w, va, i);
		}
		if (err == 0) {
			w->maps[w->nmaps].env = t->id;
			w->maps[w->nmaps++].va = va;
		}
		cap_object_put(&t->obj);
	}
	cap_object_put(obj);
	return err;
}
