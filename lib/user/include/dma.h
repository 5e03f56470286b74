/* DMA memory for user-level drivers (lib/user/dma.c over syscall 50 dma_alloc, abi/dev.h):
 * a physically contiguous, zeroed run of pages as one region capability, mapped read-write
 * at an address of this env's DMA window with the cache type asked for. */
#ifndef EXOLAB_DMA_H
#define EXOLAB_DMA_H

#include <stdint.h>

#include "abi/dev.h"

/* The window dma_alloc_contig maps buffers in, bump-allocated upwards with an unmapped guard
 * page after each buffer (addresses are not reused: 64 GiB of window). */
#define DMA_VA     0x0000580000000000ull
#define DMA_VA_END 0x0000590000000000ull

/* A buffer of npages (1..ABI_DMA_MAX_PAGES, rounded up to a power of two by the kernel and
 * charged so to ABI_SLOT_UNTYPED's quota) with cache type attr (ABI_DMA_WB, _UC, _WC):
 * *va its address here, *pa the device's address of its first byte.  Returns the region's
 * capability slot (>= 0: for region_derive, or dma_free), or an error: E_RANGE for npages
 * out of range, E_NOMEM for a quota too small (or no free block), E_INVAL for attr. */
long dma_alloc_contig(uint64_t npages, unsigned attr, void **va, uint64_t *pa);

/* Deletes the region in slot: the kernel unmaps it everywhere it was mapped and the pages go
 * back (with the quota) once no other capability names it. */
int dma_free(long slot);

#endif
