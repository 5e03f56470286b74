/* DMA buffers for drivers (dma.h): one dma_alloc syscall makes the region, one region_map
 * maps it whole; the kernel records the mapping and removes it when the region goes. */
#include "dma.h"
#include "abi/cap.h"
#include "abi/memlayout.h"
#include "libos.h"
#include "usyscall.h"

#define DMA_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS | CAP_R_GRANT | CAP_R_DERIVE)

static uint64_t dma_next = DMA_VA;

long
dma_alloc_contig(uint64_t npages, unsigned attr, void **va, uint64_t *pa)
{
	long slot = slot_alloc(), base, r;
	uint64_t pages = 1, at = dma_next;

	if (slot < 0)
		return slot;
	if ((base = sys_dma_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, npages, attr, DMA_RIGHTS)) <
	    0) {
		slot_free((uint64_t)slot);
		return base;
	}
	while (pages < npages)
		pages *= 2;
	if (at + (pages + 1) * ABI_PAGE_SIZE > DMA_VA_END) {
		r = E_NOMEM;
	} else {
		r = sys_region_map((uint64_t)slot, ABI_SLOT_SELF, at, ABI_PERM_R | ABI_PERM_W);
		dma_next = at + (pages + 1) * ABI_PAGE_SIZE; /* a guard page after each buffer */
	}
	if (r < 0) {
		(void)dma_free(slot);
		return r;
	}
	*va = (void *)at;
	*pa = (uint64_t)base;
	return slot;
}

int
dma_free(long slot)
{
	long r = sys_cap_delete((uint64_t)slot);

	if (r == 0)
		slot_free((uint64_t)slot);
	return (int)r;
}
