/* The LibOS side of the portable NVMe driver (lib/drivers/nvme): an ops table over a device
 * capability (lib/user/nvme_ops.c).  BAR0 is a region mapped uncached (region_map), DMA
 * memory is frames of the env's quota mapped at NVME_LIBOS_DMA_VA, time is the TSC. */
#ifndef EXOLAB_NVME_LIBOS_H
#define EXOLAB_NVME_LIBOS_H

#include <stdint.h>

#include "nvme.h"

#define NVME_LIBOS_BAR_VA  0x0000500000000000ull /* BAR0's window */
#define NVME_LIBOS_DMA_VA  0x0000500000100000ull /* DMA pages, bump-allocated upwards */
#define NVME_LIBOS_DMA_MAX 128                   /* DMA pages held at once */
/* The longest physically contiguous allocation: the LibOS has one-frame allocations only, so
 * a longer one is a run of ascending frames found among at most NVME_LIBOS_CONTIG_TRIES. */
#define NVME_LIBOS_CONTIG_MAX   8
#define NVME_LIBOS_CONTIG_TRIES 64
/* The driver's clock: the LibOS knows no TSC rate (abi_envinfo has none), so nanoseconds are
 * TSC cycles / 4, which is never faster than real time for a TSC up to 4 GHz: a timeout
 * lasts at least as long as the driver asked (longer on a slower TSC). */
#define NVME_LIBOS_TSC_PER_NS 4

struct nvme_libos_page {
	uint64_t va;
	uint64_t slot; /* 0: free entry */
};

struct nvme_libos {
	uint64_t dev;    /* the device capability */
	uint64_t window; /* BAR0's window capability */
	volatile uint8_t *bar;
	uint64_t bar_size;
	uint64_t dma_next; /* the next unused DMA address */
	struct nvme_libos_page pages[NVME_LIBOS_DMA_MAX];
};

/* Checks that `dev` is an NVMe controller (class 01/08/02) with a memory BAR0, enables memory
 * decoding and bus mastering in its command register, maps BAR0 and fills *ops.  0 or an
 * E_* code (nothing is left mapped or allocated then). */
int nvme_libos_open(struct nvme_libos *l, uint64_t dev, struct nvme_ops *ops);
/* Deletes BAR0's window (which unmaps it) and frees every DMA page still allocated. */
void nvme_libos_close(struct nvme_libos *l);
/* The ops' DMA calls, also for the driver's users' buffers: `len` up to
 * NVME_LIBOS_CONTIG_MAX pages, physically contiguous, zeroed. */
int nvme_libos_dma_alloc(void *ctx, size_t len, struct nvme_dma *out);
void nvme_libos_dma_free(void *ctx, struct nvme_dma *dma);

#endif
