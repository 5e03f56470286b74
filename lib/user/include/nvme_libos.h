/* The LibOS side of the portable NVMe driver (lib/drivers/nvme): an ops table over a device
 * capability (lib/user/nvme_ops.c).  BAR0 is a region mapped uncached (region_map), DMA
 * memory is frames of the env's quota mapped at NVME_LIBOS_DMA_VA, time is the TSC. */
#ifndef EXOLAB_NVME_LIBOS_H
#define EXOLAB_NVME_LIBOS_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme.h"

#define NVME_LIBOS_BAR_VA  0x0000500000000000ull /* BAR0's window */
#define NVME_LIBOS_DMA_VA  0x0000500000100000ull /* DMA pages, bump-allocated upwards */
#define NVME_LIBOS_DMA_MAX 128                   /* DMA pages held at once */
/* The longest physically contiguous allocation: the LibOS has one-frame allocations only, so
 * a longer one is a run of ascending frames found among at most NVME_LIBOS_CONTIG_TRIES. */
#define NVME_LIBOS_CONTIG_MAX   64 /* a queue of depth 64's PRP lists: one page per slot */
#define NVME_LIBOS_CONTIG_TRIES 128
/* The driver's clock: the LibOS knows no TSC rate (abi_envinfo has none), so nanoseconds are
 * TSC cycles / 4, which is never faster than real time for a TSC up to 4 GHz: a timeout
 * lasts at least as long as the driver asked (longer on a slower TSC). */
#define NVME_LIBOS_TSC_PER_NS 4

/* Interrupt mode: a wait shorter than this spins (returns at once) instead of blocking.  The
 * driver waits for CSTS.RDY in 1 ms slices (ctrl.c) and no interrupt reports that register;
 * its waits for completions are cmd_timeout / 16 (62 ms) or longer. */
#define NVME_LIBOS_SPIN_NS 10000000ull

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
	/* Interrupt mode (nvme_libos_irq_bind): the notification, its bits, and whether the
	 * line was signalled and not yet acknowledged (masked by the kernel until irq_ack). */
	uint64_t nslot, nbits;
	bool bound, owed;
	struct nvme_libos_irq_stats {
		uint64_t waits;   /* calls of ops.wait */
		uint64_t signals; /* notifications received (each one an interrupt) */
		uint64_t blocks;  /* of them, received by blocking in notify_wait */
		uint64_t spins;   /* waits that returned without a notification */
	} irq;
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

/* Interrupt mode: binds the controller's interrupt to `bits` of the notification in `nslot`
 * (WRITE and READ) and sets ops->wait (block on the notification, acknowledge the line once
 * the driver has serviced the queues) and ops->intr.  Call it between nvme_libos_open and
 * nvme_init (nvme_init creates the completion queues with interrupts enabled).  Today the
 * binding is legacy INTx (irq_bind, syscall 47); switching to MSI-X changes this call only.
 * 0 or irq_bind's error (the ops stay polled then). */
int nvme_libos_irq_bind(struct nvme_libos *l, uint64_t nslot, uint64_t bits, struct nvme_ops *ops);
/* Back to polled (after nvme_fini): removes the binding; ops->wait = NULL, ops->intr false. */
void nvme_libos_irq_unbind(struct nvme_libos *l, struct nvme_ops *ops);

#endif
