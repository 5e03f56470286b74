/* DMA domains (issue 14 item 2): one per driver env, named by a domain id (DID) in the
 * context entries of the env's devices.  A domain is identity-mapped (device address =
 * physical address, so drivers stay simple) but holds only the pages its env exposed for
 * DMA: the frames whose physical address it asked for (frame_phys), its dma_alloc regions,
 * and what it mapped with iommu_map (syscall 55).  Second-level page tables (VT-d 9.8,
 * 3.6): 3 or 4 levels as CAP.SAGAW allows, entries R|W (bits 0-1) and the address.
 *
 * Which domain a device is in: the one of the env that made a BAR window on it (dev_bar),
 * i.e. its driver; a later dev_bar by another env moves it.  A page leaves every domain
 * before it goes back to the allocator (iommu_page_gone, from frame.c), and the IOTLB is
 * invalidated before that returns, so a device never reaches a reused page.  Mapping a
 * not-present entry needs no invalidation while CAP.CM = 0 (6.1: not-present entries are
 * never cached); a unit with caching mode gets one anyway (iommu.c).  Env lock. */
#include "abi/error.h"
#include "acpi.h"
#include "cmdline.h"
#include "console.h"
#include "hal.h"
#include "iommu.h"
#include "mm.h"

#define IOMMU_MAX_DOMAINS 32
#define SL_R              (1ull << 0)
#define SL_W              (1ull << 1)
#define SL_ADDR           0x000ffffffffff000ull

struct domain {
	uint64_t env; /* 0: free */
	uint64_t root;
	uint64_t faults;
};

static struct domain doms[IOMMU_MAX_DOMAINS]; /* DID = index + 1 (DID 0 is reserved under CM) */
static unsigned levels;

void
iommu_domain_setup(unsigned nlevels)
{
	levels = nlevels;
}

static struct domain *
domain_find(uint64_t env, bool make)
{
	struct domain *free = NULL;
	int64_t root;

	for (unsigned i = 0; i < IOMMU_MAX_DOMAINS; i++) {
		if (doms[i].env == env)
			return &doms[i];
		if (doms[i].env == 0 && free == NULL)
			free = &doms[i];
	}
	if (!make || free == NULL || env == 0 || (root = iommu_table_alloc()) < 0)
		return NULL;
	*free = (struct domain){ env, (uint64_t)root, 0 };
	return free;
}

static unsigned
did_of(const struct domain *d)
{
	return (unsigned)(d - doms) + 1;
}

/* The leaf entry for device address `va`, making the tables on the way when `make`; NULL
 * when a table is missing (or no page for one). */
static uint64_t *
walk(const struct domain *d, uint64_t va, bool make)
{
	uint64_t table = d->root;

	for (unsigned lvl = levels; lvl > 1; lvl--) {
		uint64_t *e =
		    (uint64_t *)hal_phys_to_virt(table) + ((va >> (12 + 9 * (lvl - 1))) & 511);
		int64_t pa;

		if (!(*e & (SL_R | SL_W))) {
			if (!make || (pa = iommu_table_alloc()) < 0)
				return NULL;
			*e = (uint64_t)pa | SL_R | SL_W;
			iommu_flush(e, 8);
		}
		table = *e & SL_ADDR;
	}
	return (uint64_t *)hal_phys_to_virt(table) + ((va >> 12) & 511);
}

int
iommu_map(uint64_t env, uint64_t pa, uint64_t npages)
{
	struct domain *d;

	if (!iommu_on())
		return 0;
	if ((d = domain_find(env, true)) == NULL)
		return E_NOMEM;
	if (pa >> (12 + 9 * levels) || npages > (1ull << (9 * levels)))
		return E_RANGE;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *e = walk(d, pa + i * PAGE_SIZE, true);

		if (e == NULL) {
			iommu_unmap(env, pa, i);
			return E_NOMEM;
		}
		*e = ((pa + i * PAGE_SIZE) & SL_ADDR) | SL_R | SL_W;
		iommu_flush(e, 8);
	}
	if (iommu_caching_mode())
		iommu_invalidate();
	return 0;
}

/* Clears d's entries for [pa, pa + n pages); true if one was present. */
static bool
clear(const struct domain *d, uint64_t pa, uint64_t npages)
{
	bool any = false;

	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *e = walk(d, pa + i * PAGE_SIZE, false);

		if (e != NULL && (*e & (SL_R | SL_W))) {
			*e = 0;
			iommu_flush(e, 8);
			any = true;
		}
	}
	return any;
}

int
iommu_unmap(uint64_t env, uint64_t pa, uint64_t npages)
{
	struct domain *d;

	if (!iommu_on() || (d = domain_find(env, false)) == NULL)
		return 0;
	if (clear(d, pa, npages))
		iommu_invalidate();
	return 0;
}

void
iommu_page_gone(uint64_t pa)
{
	bool any = false;

	if (!iommu_on())
		return;
	for (unsigned i = 0; i < IOMMU_MAX_DOMAINS; i++)
		if (doms[i].env != 0)
			any |= clear(&doms[i], pa, 1);
	if (any)
		iommu_invalidate();
}

/* No DMAR table and no iommu= word: the boot said nothing about DMA (a line on every boot of
 * every machine without VT-d would crowd the early screen), so the first driver to take a
 * device says it once: its device reaches all memory (issue 14 item 4, trusted-driver mode).
 * iommu=off and unusable units were warned about at boot (iommu_init). */
static void
trusted_warning(unsigned bus, unsigned devfn)
{
	static bool warned;

	if (acpi.dmar != 0 || cmdline_get("iommu") != NULL ||
	    __atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		return;
	printf("iommu: none (no DMAR table): WARNING: devices reach all memory (trusted drivers), "
	       "first %02x:%02x.%u\n",
	       bus, devfn >> 3, devfn & 7);
}

int
iommu_attach(unsigned bus, unsigned devfn, uint64_t env)
{
	struct domain *d;
	uint64_t *ce;

	if (!iommu_on()) {
		trusted_warning(bus, devfn);
		return 0;
	}
	if ((d = domain_find(env, true)) == NULL ||
	    (ce = iommu_context_entry(bus, devfn, true)) == NULL)
		return E_NOMEM;
	/* 9.3: AW 1 = 39-bit (3 levels), 2 = 48-bit (4 levels); DID in bits 8-23 of the upper
	 * quadword; lower: SLPTPTR, TT 00 (untranslated requests through the tables), P. */
	ce[0] = 0;
	iommu_flush(ce, 16);
	ce[1] = (uint64_t)(levels - 2) | (uint64_t)did_of(d) << 8;
	ce[0] = d->root | 1;
	iommu_flush(ce, 16);
	iommu_invalidate();
	return iommu_rmrr_map(bus, devfn, env);
}

void
iommu_detach(unsigned bus, unsigned devfn)
{
	uint64_t *ce;

	if (!iommu_on() || (ce = iommu_context_entry(bus, devfn, false)) == NULL)
		return;
	/* Not present (9.3: P = 0, every request blocked); the upper quadword keeps the DID, so
	 * a blocked transfer still counts against the driver that lost the device (iommu.c's
	 * fault_record), until its domain goes (iommu_env_gone). */
	ce[0] = 0;
	iommu_flush(ce, 16);
	iommu_invalidate();
	iommu_rmrr_restore(); /* a device with reserved regions keeps reaching them */
}

/* Frees a table page and, above the last level, the tables it points to. */
static void
tables_free(uint64_t table, unsigned lvl)
{
	uint64_t *t = hal_phys_to_virt(table);

	for (unsigned i = 0; lvl > 1 && i < 512; i++)
		if (t[i] & (SL_R | SL_W))
			tables_free(t[i] & SL_ADDR, lvl - 1);
	iommu_table_free(table);
}

void
iommu_env_gone(uint64_t env)
{
	struct domain *d;

	if (!iommu_on() || (d = domain_find(env, false)) == NULL)
		return;
	for (unsigned bus = 0; bus < 256; bus++)
		for (unsigned devfn = 0; devfn < 256; devfn++) {
			uint64_t *ce = iommu_context_entry(bus, devfn, false);

			if (ce == NULL)
				break;
			if (((ce[1] >> 8) & 0xffff) == did_of(d)) {
				ce[0] = 0; /* its device is blocked: context entry not present */
				ce[1] = 0; /* and its faults no longer this DID's */
				iommu_flush(ce, 16);
			}
		}
	iommu_invalidate(); /* before the tables can be reused */
	tables_free(d->root, levels);
	*d = (struct domain){ 0, 0, 0 };
	iommu_rmrr_restore();
}

void
iommu_domain_fault(unsigned did)
{
	if (did >= 1 && did <= IOMMU_MAX_DOMAINS)
		doms[did - 1].faults++;
}

uint64_t
iommu_domain_env(unsigned did)
{
	return did >= 1 && did <= IOMMU_MAX_DOMAINS ? doms[did - 1].env : 0;
}

bool
iommu_domain_exists(uint64_t env)
{
	return iommu_on() && env != 0 && domain_find(env, false) != NULL;
}

uint64_t
iommu_domain_faults(uint64_t env)
{
	struct domain *d = domain_find(env, false);

	return d != NULL ? d->faults : 0;
}
