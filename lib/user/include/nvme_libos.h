/* The LibOS side of the portable NVMe driver (lib/drivers/nvme): an ops table over a device
 * capability (lib/user/nvme_ops.c).  BAR0 is a region mapped uncached (region_map), DMA
 * memory is the kernel's contiguous regions (dma.h), interrupts are INTx or MSI-X bound to
 * a notification, time is the TSC. */
#ifndef EXOLAB_NVME_LIBOS_H
#define EXOLAB_NVME_LIBOS_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/dev.h"
#include "nvme.h"
#include "nvme_wp.h"

#define NVME_LIBOS_BAR_VA  0x0000500000000000ull /* BAR0's window */
#define NVME_LIBOS_DMA_MAX 32 /* DMA allocations held at once (each one region) */
/* The longest DMA allocation in pages: dma_alloc's limit (256 KiB), a queue of depth 64's
 * PRP lists (one page per slot). */
#define NVME_LIBOS_CONTIG_MAX ABI_DMA_MAX_PAGES
/* The driver's clock: nanoseconds are TSC cycles / 4, which is never faster than real time
 * for a TSC up to 4 GHz: a timeout lasts at least as long as the driver asked (longer on a
 * slower TSC).  (abi_envinfo.tsc_hz now gives the real rate, as lib/user/partition.c uses
 * it; moving this clock to it is a follow-up.) */
#define NVME_LIBOS_TSC_PER_NS 4

/* Interrupt mode: a wait shorter than this spins (returns at once) instead of blocking.  The
 * driver waits for CSTS.RDY in 1 ms slices (ctrl.c) and no interrupt reports that register;
 * its waits for completions are cmd_timeout / 16 (62 ms) or longer. */
#define NVME_LIBOS_SPIN_NS 10000000ull

/* Interrupt kinds for nvme_libos_irq_bind (a set: MSI-X is tried first). */
#define NVME_LIBOS_INTX 1u
#define NVME_LIBOS_MSIX 2u
#define NVME_LIBOS_ANY  (NVME_LIBOS_INTX | NVME_LIBOS_MSIX)
/* The MSI-X table entry bound: every completion queue signals vector 0 (the admin CQ has no
 * IV field and always uses vector 0; ctrl.c creates the I/O CQs with IV 0, NVMe 1.4 §5.3),
 * delivered to CPU 0 (online on every machine). */
#define NVME_LIBOS_MSIX_WHICH ABI_IRQ_WHICH(ABI_IRQ_MSIX, 0)
#define NVME_LIBOS_MSIX_CPU   0

struct nvme_libos_dma {
	uint64_t va;
	uint64_t slot; /* the region's capability (lib/user/dma.c); 0: a free entry */
};

struct nvme_libos {
	uint64_t dev;    /* the device capability */
	uint64_t window; /* BAR0's window capability */
	volatile uint8_t *bar;
	uint64_t bar_size;
	struct nvme_libos_dma dma[NVME_LIBOS_DMA_MAX];
	/* Interrupt mode (nvme_libos_irq_bind): the kind bound (0: none), the notification,
	 * its bits, and whether the interrupt was signalled and not yet acknowledged (masked
	 * by the kernel until irq_ack or irq_ack_msi). */
	unsigned kind;
	uint64_t nslot, nbits;
	bool owed;
	struct nvme_libos_irq_stats {
		uint64_t waits;   /* calls of ops.wait */
		uint64_t signals; /* notifications received (each one an interrupt) */
		uint64_t blocks;  /* of them, received by blocking in notify_wait */
		uint64_t spins;   /* waits that returned without a notification */
	} irq;
	struct nvme_wp wp; /* the write protection (ops.wp points here when it is on) */
};

/* Checks that `dev` is an NVMe controller (class 01/08/02) with a memory BAR0, enables memory
 * decoding and bus mastering in its command register, maps BAR0 and fills *ops, with ops->wp
 * from nvme_libos_protect.  0 or an E_* code (nothing is left mapped or allocated then). */
/* This env's first NVMe controller (PCI class 01/08/02) among its device capabilities
 * (libos_devices: init's from the kernel, a spawned program's from its parent), or 0. */
uint64_t nvme_libos_find(void);

int nvme_libos_open(struct nvme_libos *l, uint64_t dev, struct nvme_ops *ops);
/* The write protection (lib/user/nvme_protect.c): on real hardware (CPUID.01H:ECX[31] clear)
 * or with the kernel word `nvme_ro`, configures l->wp from `nvme_write=START+COUNT`, prints
 * the policy in one line and returns &l->wp; otherwise NULL (no protection). */
struct nvme_wp *nvme_libos_protect(struct nvme_libos *l);
/* Removes the interrupt binding, deletes BAR0's window (which unmaps it) and frees every DMA
 * region still allocated. */
void nvme_libos_close(struct nvme_libos *l);
/* The ops' DMA calls, also for the driver's users' buffers: `len` up to
 * NVME_LIBOS_CONTIG_MAX pages, physically contiguous, zeroed, mapped write-back; one region
 * (dma_alloc, syscall 50) each, so `len` is charged rounded up to 2^k pages.  E_INVAL for a
 * bad len, E_NOMEM for NVME_LIBOS_DMA_MAX allocations held or a quota too small. */
int nvme_libos_dma_alloc(void *ctx, size_t len, struct nvme_dma *out);
void nvme_libos_dma_free(void *ctx, struct nvme_dma *dma);

/* Interrupt mode: binds the controller's interrupt to `bits` of the notification in `nslot`
 * (WRITE and READ) and sets ops->wait (block on the notification, acknowledge the interrupt
 * once the driver has serviced the queues) and ops->intr.  `kinds`: NVME_LIBOS_MSIX (table
 * entry 0 through irq_bind_msi, syscall 51), NVME_LIBOS_INTX (irq_bind, 47), or both: MSI-X
 * if it binds, else INTx; l->kind says which.  Call it between nvme_libos_open and nvme_init
 * (nvme_init resets the controller and creates the completion queues with interrupts
 * enabled).  0 or the last bind's error (the ops stay polled then). */
int nvme_libos_irq_bind(struct nvme_libos *l, uint64_t nslot, uint64_t bits, unsigned kinds,
                        struct nvme_ops *ops);
/* Back to polled (after nvme_fini): removes the binding; ops->wait = NULL, ops->intr false. */
void nvme_libos_irq_unbind(struct nvme_libos *l, struct nvme_ops *ops);

#endif
