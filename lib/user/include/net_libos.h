/* The LibOS side of the portable network drivers (lib/drivers/net): an ops table over a NIC's
 * device capability (lib/user/net_ops.c), the same for every driver.  The driver's register
 * BAR (net_driver.bar) is a region mapped uncached (region_map), DMA memory is single frames
 * of the env's quota, time is the TSC, and the optional interrupt wait is the NIC's INTx
 * bound to a notification (irq_bind/irq_ack). */
#ifndef EXOLAB_NET_LIBOS_H
#define EXOLAB_NET_LIBOS_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/dev.h"
#include "netdev.h"

/* Each NIC a program opens gets its own window of address space: unit u's BAR at
 * NET_LIBOS_VA + u * NET_LIBOS_UNIT_SPAN, its DMA pages NET_LIBOS_BAR_SPAN above. */
#define NET_LIBOS_VA         0x0000510000000000ull
#define NET_LIBOS_UNIT_SPAN  0x0000000100000000ull
#define NET_LIBOS_BAR_SPAN   ABI_DEV_BAR_MAX
#define NET_LIBOS_UNITS      4
#define NET_LIBOS_DMA_MAX    288  /* DMA pages held at once: a 512-buffer pool and two rings */
#define NET_LIBOS_TSC_PER_NS 4    /* as NVME_LIBOS_TSC_PER_NS: a timeout never ends early */
#define NET_LIBOS_RING       128  /* net_libos_open's ring sizes */
#define NET_LIBOS_IRQ_BIT    1ull /* the notification bit the NIC's interrupt signals */

struct net_libos_page {
	uint64_t va;
	uint64_t slot; /* 0: free entry */
};

struct net_libos {
	uint64_t dev;           /* the device capability */
	uint64_t window;        /* the register BAR's window capability */
	uint64_t notif;         /* interrupt mode: the notification (0: polled) */
	struct net_dev *netdev; /* interrupt mode: the device whose causes wait acknowledges */
	volatile uint8_t *bar;
	uint64_t bar_size;
	uint64_t dma_next;
	uint64_t irqs; /* interrupts taken by wait */
	struct net_libos_page pages[NET_LIBOS_DMA_MAX];
};

/* The nth (from 0) Ethernet controller (class 02/00) among init's device capabilities that
 * has a driver: its capability slot, with *drv and *info filled; 0 if there is none. */
uint64_t net_libos_find(unsigned nth, const struct net_driver **drv, struct abi_dev_info *info);
/* Enables memory decoding and bus mastering, maps drv->bar for unit `unit` and fills *ops
 * (polled: ops->wait NULL).  0 or an E_* code (nothing left mapped then). */
int net_libos_attach(struct net_libos *l, uint64_t dev, const struct net_driver *drv, unsigned unit,
                     struct net_ops *ops);
/* Interrupt mode on (after net_dev_init): binds the NIC's INTx to a fresh notification, sets
 * ops->wait (and dev->ops.wait) to wait for it, and enables the driver's interrupt causes.
 * Off: masks the causes and unbinds.  0 or an E_* code. */
int net_libos_irq(struct net_libos *l, struct net_dev *dev, bool on);
/* Unbinds, deletes the BAR window (unmapping it) and frees every DMA page still held. */
void net_libos_detach(struct net_libos *l);

/* For programs that want one NIC and no details (user/udpecho.c, user/ping.c): finds the
 * first NIC with a driver, attaches it as unit 0, fills `pool` with `nbufs` buffers and runs
 * net_dev_init with rings of NET_LIBOS_RING, polled.  0, or an E_* code with nothing left
 * mapped or allocated.  net_libos_close runs the driver's fini, frees the pool, detaches. */
int net_libos_open(struct net_dev *dev, struct net_pool *pool, unsigned nbufs);
void net_libos_close(struct net_dev *dev, struct net_pool *pool);

#endif
