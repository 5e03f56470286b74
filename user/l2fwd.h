/* l2fwd and l2gen (user/l2fwd.c, user/l2gen.c, docs/l2fwd.md): what both sides of the layer-2
 * forwarding test agree on.  Four e1000s on two QEMU hubs (nothing leaves QEMU):
 *
 *     l2gen unit 2 (GEN0_MAC) --hub 0-- unit 0 (FWD0_MAC) l2fwd
 *     l2gen unit 3 (GEN1_MAC) --hub 1-- unit 1 (FWD1_MAC) l2fwd
 *
 * The generator sends stamped frames out of unit 2 to FWD0_MAC; the forwarder takes them on
 * unit 0, rewrites the MAC header as DPDK's l2fwd does (destination 02:00:00:00:00:<out
 * port>, source the out port's own address) and sends them out of unit 1, where the
 * generator's unit 3 (whose address is that destination) takes them back and checks them. */
#ifndef EXOLAB_USER_L2FWD_H
#define EXOLAB_USER_L2FWD_H

#include <stdint.h>

#include "abi/error.h"
#include "fp_l2fwd.h" /* the frame layout and the forwarding step */
#include "net_libos.h"
#include "xstring.h"

/* The QEMU options the grader and the benchmark give (-device e1000,mac=...). */
#define L2_FWD0_MAC                                                                                \
	{                                                                                          \
		0x52, 0x54, 0x00, 0xf0, 0x00, 0x00                                                 \
	}
#define L2_FWD1_MAC                                                                                \
	{                                                                                          \
		0x52, 0x54, 0x00, 0xf0, 0x00, 0x01                                                 \
	}
#define L2_GEN0_MAC                                                                                \
	{                                                                                          \
		0x52, 0x54, 0x00, 0xe0, 0x00, 0x00                                                 \
	}
#define L2_GEN1_MAC                                                                                \
	{                                                                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01                                                 \
	} /* = the rewrite's destination */

#define L2_NFRAMES 2048 /* measured frames, sent in batches of NET_BATCH */

/* One NIC port of either side: the LibOS attachment, its buffer pool and the driver. */
struct l2_port {
	struct net_libos lo;
	struct net_ops ops;
	struct net_pool pool;
	struct net_dev dev;
};

/* Brings e1000 `unit` up with `bufs` pool buffers and rings of `ring` descriptors: 0, or
 * E_NOENT (no such NIC), the LibOS's or the driver's error, or E_INVAL when its address is
 * not the one the QEMU options gave. */
static inline int
l2_port_up(struct l2_port *p, unsigned unit, const uint8_t want_mac[6], unsigned bufs,
           unsigned ring)
{
	const struct net_driver *drv;
	struct abi_dev_info info;
	uint64_t slot = net_libos_find(unit, &drv, &info);
	int r;

	if (slot == 0)
		return E_NOENT;
	if ((r = net_libos_attach(&p->lo, slot, drv, unit, &p->ops)) < 0 ||
	    (r = net_pool_init(&p->pool, &p->ops, bufs)) < 0 ||
	    (r = net_dev_init(&p->dev, drv, &p->ops, &p->pool, ring, ring)) < 0)
		return r;
	return memcmp(p->dev.mac, want_mac, 6) == 0 ? 0 : E_INVAL;
}

static inline uint8_t
l2_fill(uint32_t seq, unsigned i)
{
	return (uint8_t)(seq * 7u + i);
}

#endif
