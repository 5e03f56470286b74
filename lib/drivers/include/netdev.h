/* The portable network drivers (lib/drivers/net): one API for every NIC, shaped for the
 * partitioned fast path.  Like the NVMe driver (nvme.h) a driver has no x86 code: it reaches
 * the device through an ops table (the LibOS fills it from a device capability's BAR window
 * and its DMA frames; exosim and host tests fill it from a model), and packets move in batches
 * of buffers that stay in DMA memory from receive to transmit, so forwarding copies nothing
 * and makes no system call per packet. */
#ifndef EXOLAB_NETDEV_H
#define EXOLAB_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_BUF_SIZE   2048u /* one buffer: the largest frame (1518 + slack); two per page */
#define NET_POOL_MAX   1024u /* buffers in one pool */
#define NET_BATCH      32u   /* the batch the benchmarks and the fast path use */
#define NET_ETH_MIN    60u   /* shortest frame without its FCS (IEEE 802.3 §3.2.7, padded) */
#define NET_ETH_MAX    1514u /* longest frame without its FCS */
#define NET_PRIV_BYTES 4096u /* a driver's state, inside struct net_dev */

/* A physically contiguous, page-aligned, zeroed DMA region. */
struct net_dma {
	void *va;
	uint64_t pa;
	size_t len;
};

/* Everything a driver needs from the machine.  Offsets are in the register BAR (the one the
 * driver's table names).  `dma_alloc` returns 0 or a negative E_* code; `now_ns` is monotonic;
 * `wait` is optional (NULL: busy polling): it blocks until the device may have made progress
 * (its interrupt's notification) or `deadline_ns`, whichever is first, and may return early. */
struct net_ops {
	void *ctx;
	uint8_t (*read8)(void *ctx, uint32_t off);
	uint16_t (*read16)(void *ctx, uint32_t off);
	uint32_t (*read32)(void *ctx, uint32_t off);
	void (*write8)(void *ctx, uint32_t off, uint8_t val);
	void (*write16)(void *ctx, uint32_t off, uint16_t val);
	void (*write32)(void *ctx, uint32_t off, uint32_t val);
	int (*dma_alloc)(void *ctx, size_t len, struct net_dma *out);
	void (*dma_free)(void *ctx, struct net_dma *dma);
	uint64_t (*now_ns)(void *ctx);
	void (*wait)(void *ctx, uint64_t deadline_ns);
};

struct net_pool;

/* One packet buffer: NET_BUF_SIZE bytes of DMA memory that never cross a page.  `data` points
 * at the frame (Ethernet header first), `len` is its length without the FCS. */
struct net_buf {
	uint8_t *data;
	uint64_t pa;
	uint16_t len;
	uint16_t idx; /* index in its pool */
	struct net_pool *pool;
};

/* A fixed set of buffers and a stack of the free ones.  Not locked: one pool per core. */
struct net_pool {
	struct net_ops ops;
	unsigned n, nfree;
	struct net_dma pages[NET_POOL_MAX / (4096u / NET_BUF_SIZE)];
	struct net_buf bufs[NET_POOL_MAX];
	uint16_t free[NET_POOL_MAX];
};

struct net_stats {
	uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped; /* dropped: no buffer, bad frame */
	uint64_t tx_packets, tx_bytes, tx_errors;
};

struct net_dev;

/* A driver: matched by PCI vendor and device ID (never by bus address). */
struct net_driver {
	const char *name;
	uint16_t vendor, device;
	uint8_t bar; /* the BAR whose window the ops address */
	/* Resets the NIC, reads its MAC, sets up rings of `nrx`/`ntx` descriptors (rounded as
	 * the chip needs, at most its maximum) filled from dev->pool, enables RX and TX. */
	int (*init)(struct net_dev *dev, unsigned nrx, unsigned ntx);
	/* Stops the NIC (no DMA after it returns) and gives every buffer back to the pool. */
	void (*fini)(struct net_dev *dev);
	/* Takes up to `max` received frames (refilling the ring from the pool): the count. */
	unsigned (*rx)(struct net_dev *dev, struct net_buf **bufs, unsigned max);
	/* Queues up to `n` frames for transmission and rings the doorbell once: the count queued
	 * (fewer when the ring is full).  A queued buffer belongs to the driver, which frees it
	 * to its pool once the NIC is done with it; the caller keeps the rest. */
	unsigned (*tx)(struct net_dev *dev, struct net_buf **bufs, unsigned n);
	bool (*link_up)(struct net_dev *dev);
	/* Interrupt mode: enables (true) or masks (false) the RX/TX/link interrupts, and
	 * acknowledges the device's cause register (returns the causes it cleared). */
	void (*irq_enable)(struct net_dev *dev, bool on);
	uint32_t (*irq_ack)(struct net_dev *dev);
};

struct net_dev {
	const struct net_driver *drv;
	struct net_ops ops;
	struct net_pool *pool;
	uint8_t mac[6];
	struct net_stats stats;
	_Alignas(16) unsigned char priv[NET_PRIV_BYTES];
};

/* The driver for a PCI vendor/device ID, or NULL. */
const struct net_driver *net_driver_find(uint16_t vendor, uint16_t device);

/* Fills a pool of `n` buffers (n <= NET_POOL_MAX) from ops->dma_alloc, a page per two. */
int net_pool_init(struct net_pool *pool, const struct net_ops *ops, unsigned n);
void net_pool_fini(struct net_pool *pool);
/* Inline: the fast path takes and gives back a buffer per frame (a call and the spills around
 * it were about a tenth of l2fwd's instructions per frame, docs/l2fwd.md). */
static inline struct net_buf *
net_buf_alloc(struct net_pool *pool) /* NULL when none is free */
{
	struct net_buf *b;

	if (pool->nfree == 0)
		return 0;
	b = &pool->bufs[pool->free[--pool->nfree]];
	b->len = 0;
	return b;
}
static inline void
net_buf_free(struct net_buf *buf)
{
	struct net_pool *pool = buf->pool;

	pool->free[pool->nfree++] = buf->idx;
}

/* Binds dev to its driver and pool and runs the driver's init; when that fails, dev->drv is
 * NULL again (the driver's init undoes what it did). */
int net_dev_init(struct net_dev *dev, const struct net_driver *drv, const struct net_ops *ops,
                 struct net_pool *pool, unsigned nrx, unsigned ntx);
static inline unsigned
net_rx(struct net_dev *dev, struct net_buf **bufs, unsigned max)
{
	return dev->drv->rx(dev, bufs, max);
}
static inline unsigned
net_tx(struct net_dev *dev, struct net_buf **bufs, unsigned n)
{
	return dev->drv->tx(dev, bufs, n);
}

#endif
