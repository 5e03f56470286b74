/* DMA memory (issue 12 item 4, syscall 50, docs/devices.md "DMA memory"): a physically
 * contiguous run of zeroed frames, one buddy block of kern/mm, as one region capability
 * (CAP_REGION, region.c) paid from an untyped quota.  A device sees physical addresses, so
 * dma_alloc returns the run's base; region_map maps the run whole with the cache type chosen
 * here, and region_derive hands parts of it to clients.
 *
 * Size: npages is rounded up to a power of two (the buddy allocator's block) and the quota is
 * charged for the whole block, which is what the region names; at most ABI_DMA_MAX_PAGES.
 *
 * Cache types (SDM Vol. 3A 11.3 Table 11-2, 11.12.3): write-back by default (coherent on x86:
 * PCIe DMA snoops the caches), uncached or write-combining through IA32_PAT entries 3 and 4
 * (pte.h).  The kernel's direct map keeps a write-back alias of every RAM page; the kernel
 * never reads or writes a DMA page through it after zeroing it, so the alias is never used,
 * but a CPU may still prefetch through it (SDM Vol. 3A 11.12.4 asks that such aliases be
 * avoided; on QEMU it is harmless, on real hardware UC/WC buffers rely on the direct map's
 * lines being clean, which the zeroing followed by the mapping's TLB entry does not ensure). */
#include "abi/dev.h"
#include "env_impl.h"
#include "iommu.h"
#include "mm.h"
#include "panic.h"

/* The smallest order whose block holds npages. */
static unsigned
order_of(uint64_t npages)
{
	unsigned order = 0;

	while ((1ull << order) < npages)
		order++;
	return order;
}

static const unsigned attr_flags[] = {
	[ABI_DMA_WB] = REGION_OWNS,
	[ABI_DMA_UC] = REGION_OWNS | REGION_UNCACHED,
	[ABI_DMA_WC] = REGION_OWNS | REGION_WC,
};

int64_t
sys_dma_alloc(struct env *e, const uint64_t *a)
{
	uint64_t uslot = a[0], dslot = a[1], npages = a[2], attr = a[3], rights = a[4];
	unsigned order;
	struct frame *f;
	struct region *r;
	int err;

	if (attr > ABI_DMA_WC || (rights & ~(uint64_t)CAP_R_ALL))
		return E_INVAL;
	if (npages == 0 || npages > ABI_DMA_MAX_PAGES)
		return E_RANGE;
	/* Only now: above 2^63 pages order_of never ends (found by user/fuzz, seed 2). */
	order = order_of(npages);
	if ((err = frame_new_run(order, e->id, &f)) < 0)
		return err;
	if ((err = region_new(f, 1ull << order, attr_flags[attr], f[0].obj.phys, ABI_REGION_RECS,
	                      &r)) < 0) {
		for (uint64_t i = 0; i < 1ull << order; i++)
			frame_discard(&f[i]);
		return err;
	}
	for (uint64_t i = 0; i < 1ull << order; i++)
		if (frame_hold(&f[i]) < 0)
			panic("dma: no hold on a fresh frame");
	/* The caller's devices reach the region at once (its DMA domain, iommu_domain.c); the
	 * frames leave the domain when they are freed (frame.c). */
	if ((err = iommu_map(e->id, f[0].obj.phys, 1ull << order)) < 0) {
		region_discard(r);
		return err;
	}
	err = cap_retype(&e->caps, uslot, &e->caps, dslot, region_obj(r), 1ull << order, rights);
	if (err < 0) {
		region_discard(r); /* puts the holds: the frames and the block go */
		return err;
	}
	return (int64_t)f[0].obj.phys;
}
