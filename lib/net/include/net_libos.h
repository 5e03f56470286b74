/* What the network programs (user/udpecho.c, user/ping.c) expect from the LibOS NIC glue,
 * lib/user/net_ops.c (written with the e1000 driver; this header only declares it). */
#ifndef EXOLAB_NET_LIBOS_H
#define EXOLAB_NET_LIBOS_H

#include "netdev.h"

/* Finds the first device capability of this env that net_driver_find() knows (class 02/00,
 * by vendor and device ID), maps its register BAR uncached, fills the ops (MMIO, DMA frames,
 * now_ns, and wait on the NIC's interrupt notification or NULL for busy polling), fills
 * `pool` with `nbufs` buffers and runs net_dev_init with the driver's default ring sizes.
 * 0, or an E_* code with nothing left mapped or allocated. */
int net_libos_open(struct net_dev *dev, struct net_pool *pool, unsigned nbufs);
/* Runs the driver's fini, frees the pool and unmaps the BAR. */
void net_libos_close(struct net_dev *dev, struct net_pool *pool);

#endif
