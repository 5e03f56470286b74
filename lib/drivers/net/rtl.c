/* The Realtek "C+" descriptor driver: one implementation for the RTL8139 in C+ mode (QEMU's
 * rtl8139) and the RTL8168/8111 (the Legion's NIC), the differences in a per-chip table
 * (rtl_chips.c).  Rings of 16-byte descriptors hand buffers between driver and NIC by the OWN
 * bit; every buffer comes from the device's pool (netdev.h) and goes back to it.  Register
 * facts: rtl_regs.h. */
#include "abi/error.h"
#include "drv_mmio.h"
#include "netdev.h"
#include "rtl_regs.h"
#include "xstring.h"

#define RESET_NS 100000000ull /* per Linux r8169 rtl_hw_reset: 100 x 100 us; we allow 100 ms */
#define RX_BUF   NET_BUF_SIZE /* the size every RX descriptor advertises (frame + FCS) */
#define FCS      4u

struct rtl_priv {
	const struct rtl_chip *chip;
	struct net_dma rxring, txring;
	uint16_t nrx, ntx;
	uint16_t rx_filled;           /* RX descriptors holding a pool buffer */
	uint16_t rx_next;             /* the next RX descriptor the NIC gives back */
	uint16_t tx_head, tx_tail;    /* next free TX descriptor; oldest one in flight */
	uint16_t tx_used;             /* TX descriptors in flight */
	uint16_t rxbuf[RTL_RING_MAX]; /* RX: index in dev->pool per descriptor */
	/* TX: the buffer per descriptor, which may belong to another pool (a forwarder sends
	 * what another NIC received): it goes back to its own pool (netdev.h). */
	struct net_buf *txbuf[RTL_RING_MAX];
};

_Static_assert(sizeof(struct rtl_priv) <= NET_PRIV_BYTES, "rtl_priv outgrew net_dev.priv");

static struct rtl_priv *
priv(struct net_dev *dev)
{
	return (struct rtl_priv *)dev->priv;
}

static volatile struct rtl_desc *
desc(struct net_dma *ring, unsigned i)
{
	return (volatile struct rtl_desc *)ring->va + i;
}

/* Hands descriptor i to the NIC: address first, OWN last (the NIC may read it at once). */
static void
give(volatile struct rtl_desc *d, uint64_t pa, uint32_t opts1)
{
	d->addr = pa;
	d->opts2 = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	d->opts1 = opts1 | RTL_DESC_OWN;
}

static void
write_ring_base(struct net_dev *dev, uint32_t lo, uint64_t pa)
{
	/* Per Linux r8169 rtl_set_rx_tx_desc_registers: the high half first. */
	DRV_WR32(&dev->ops, lo + 4, (uint32_t)(pa >> 32));
	DRV_WR32(&dev->ops, lo, (uint32_t)pa);
}

/* ChipCmd RST: the NIC stops, clears its ring positions and reads RST as 1 until done. */
static int
chip_reset(struct net_dev *dev)
{
	uint64_t deadline = dev->ops.now_ns(dev->ops.ctx) + RESET_NS;

	DRV_WR8(&dev->ops, RTL_CHIPCMD, RTL_CMD_RST);
	while (DRV_RD8(&dev->ops, RTL_CHIPCMD) & RTL_CMD_RST) {
		uint64_t t = dev->ops.now_ns(dev->ops.ctx);

		if (t >= deadline)
			return E_AGAIN;
		if (dev->ops.wait != 0)
			dev->ops.wait(dev->ops.ctx, t + 100000 < deadline ? t + 100000 : deadline);
	}
	return 0;
}

static unsigned
ring_size(unsigned want, const struct rtl_chip *chip)
{
	unsigned max = chip->ring_max < RTL_RING_MAX ? chip->ring_max : RTL_RING_MAX;

	return want < RTL_RING_MIN ? RTL_RING_MIN : want > max ? max : want;
}

/* Fills every RX descriptor with a pool buffer; the last one carries EOR. */
static int
rx_ring_fill(struct net_dev *dev, struct rtl_priv *p)
{
	for (unsigned i = 0; i < p->nrx; i++) {
		struct net_buf *b = net_buf_alloc(dev->pool);

		if (b == 0)
			return E_NOMEM;
		p->rxbuf[i] = b->idx;
		p->rx_filled++;
		give(desc(&p->rxring, i), b->pa, RX_BUF | (i == p->nrx - 1u ? RTL_DESC_EOR : 0));
	}
	return 0;
}

static void
rings_free(struct net_dev *dev, struct rtl_priv *p)
{
	if (p->rxring.va != 0 && dev->ops.dma_free != 0)
		dev->ops.dma_free(dev->ops.ctx, &p->rxring);
	if (p->txring.va != 0 && dev->ops.dma_free != 0)
		dev->ops.dma_free(dev->ops.ctx, &p->txring);
	p->rxring.va = p->txring.va = 0;
}

static void rtl_fini(struct net_dev *dev);

static int
rings_alloc(struct net_dev *dev, struct rtl_priv *p)
{
	int r = dev->ops.dma_alloc(dev->ops.ctx, p->nrx * sizeof(struct rtl_desc), &p->rxring);

	if (r < 0)
		return r;
	r = dev->ops.dma_alloc(dev->ops.ctx, p->ntx * sizeof(struct rtl_desc), &p->txring);
	if (r < 0)
		return r;
	/* 8139C+ datasheet: ring bases 256-byte aligned (dma_alloc gives pages). */
	if ((p->rxring.pa | p->txring.pa) & 0xff)
		return E_ALIGN;
	memset(p->rxring.va, 0, p->nrx * sizeof(struct rtl_desc));
	memset(p->txring.va, 0, p->ntx * sizeof(struct rtl_desc));
	return rx_ring_fill(dev, p);
}

/* The start sequence, after Linux r8169 rtl_hw_start: unlock, C+ command, RxMaxSize, ring
 * bases, lock, enable RX/TX, then RxConfig/TxConfig (per Linux r8169 the 8169 family takes
 * TxConfig only once TE is set). */
static void
chip_start(struct net_dev *dev, struct rtl_priv *p)
{
	const struct rtl_chip *c = p->chip;

	if (c->unlock_cfg)
		DRV_WR8(&dev->ops, RTL_CFG9346, RTL_CFG9346_UNLOCK);
	DRV_WR16(&dev->ops, RTL_CPCR, c->cpcr);
	if (c->has_rms)
		DRV_WR16(&dev->ops, RTL_RMS, RX_BUF);
	write_ring_base(dev, RTL_TNPDS_LO, p->txring.pa);
	write_ring_base(dev, RTL_RDSAR_LO, p->rxring.pa);
	if (c->unlock_cfg)
		DRV_WR8(&dev->ops, RTL_CFG9346, RTL_CFG9346_LOCK);
	if (c->rxdv_gate)
		DRV_WR32(&dev->ops, RTL_MISC, DRV_RD32(&dev->ops, RTL_MISC) & ~RTL_MISC_RXDV_GATED);
	DRV_WR8(&dev->ops, RTL_CHIPCMD, RTL_CMD_RE | RTL_CMD_TE);
	DRV_WR32(&dev->ops, RTL_RCR, RTL_RCR_VALUE);
	DRV_WR32(&dev->ops, RTL_TCR, RTL_TCR_VALUE);
	/* Every multicast group passes the hash filter: the stack filters (Linux does the
	 * same for IFF_ALLMULTI). */
	DRV_WR32(&dev->ops, RTL_MAR0, 0xffffffffu);
	DRV_WR32(&dev->ops, RTL_MAR0 + 4, 0xffffffffu);
	DRV_WR16(&dev->ops, RTL_IMR, 0);
	DRV_WR16(&dev->ops, RTL_ISR, RTL_INT_ALL);
}

static int
rtl_init(struct net_dev *dev, const struct rtl_chip *chip, unsigned nrx, unsigned ntx)
{
	struct rtl_priv *p = priv(dev);
	int r;

	if (dev->ops.read8 == 0 || dev->ops.write8 == 0 || dev->ops.read16 == 0 ||
	    dev->ops.write16 == 0 || dev->ops.write32 == 0 || dev->ops.dma_alloc == 0 ||
	    dev->ops.now_ns == 0)
		return E_INVAL;
	memset(p, 0, sizeof(*p));
	p->chip = chip;
	p->nrx = (uint16_t)ring_size(nrx, chip);
	p->ntx = (uint16_t)ring_size(ntx, chip);
	if ((r = chip_reset(dev)) < 0)
		return r;
	for (unsigned i = 0; i < 6; i++)
		dev->mac[i] = DRV_RD8(&dev->ops, RTL_IDR0 + i);
	if ((r = rings_alloc(dev, p)) < 0) {
		rtl_fini(dev);
		return r;
	}
	chip_start(dev, p);
	return 0;
}

static int
rtl8139_init(struct net_dev *dev, unsigned nrx, unsigned ntx)
{
	return rtl_init(dev, &rtl_chip_8139cp, nrx, ntx);
}

static int
rtl8168_init(struct net_dev *dev, unsigned nrx, unsigned ntx)
{
	return rtl_init(dev, &rtl_chip_8168, nrx, ntx);
}

/* Stops DMA by a reset (the NIC forgets its rings), then returns every buffer. */
static void
rtl_fini(struct net_dev *dev)
{
	struct rtl_priv *p = priv(dev);
	struct net_buf *bufs = dev->pool->bufs;

	DRV_WR16(&dev->ops, RTL_IMR, 0);
	DRV_WR8(&dev->ops, RTL_CHIPCMD, 0);
	chip_reset(dev);
	for (unsigned i = 0; i < p->rx_filled; i++)
		net_buf_free(&bufs[p->rxbuf[i]]);
	p->rx_filled = 0;
	for (; p->tx_used > 0; p->tx_used--) {
		net_buf_free(p->txbuf[p->tx_tail]);
		p->tx_tail = (uint16_t)((p->tx_tail + 1u) % p->ntx);
	}
	rings_free(dev, p);
}

/* A received descriptor's frame length, or 0 when the frame is to be dropped. */
static unsigned
rx_frame_len(const struct rtl_chip *c, uint32_t opts1)
{
	unsigned len = opts1 & c->rx_len_mask;
	uint32_t whole = RTL_DESC_FS | RTL_DESC_LS;

	if (opts1 & (c->rx_res | c->rx_runt | c->rx_crc))
		return 0;
	/* One buffer holds any frame: a frame in several segments is not one we asked for. */
	if ((opts1 & whole) != whole || len < FCS + 14u || len - FCS > NET_ETH_MAX)
		return 0;
	return len - FCS;
}

static unsigned
rtl_rx(struct net_dev *dev, struct net_buf **out, unsigned max)
{
	struct rtl_priv *p = priv(dev);
	struct net_buf *bufs = dev->pool->bufs;
	unsigned n = 0;

	while (n < max) {
		unsigned i = p->rx_next;
		volatile struct rtl_desc *d = desc(&p->rxring, i);
		uint32_t opts1 = d->opts1;
		struct net_buf *b = &bufs[p->rxbuf[i]], *fresh = 0;
		unsigned len;

		if (opts1 & RTL_DESC_OWN)
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the frame is read after OWN */
		len = rx_frame_len(p->chip, opts1);
		if (len == 0) {
			dev->stats.rx_errors++;
			dev->stats.rx_dropped++;
		} else if ((fresh = net_buf_alloc(dev->pool)) == 0) {
			dev->stats.rx_dropped++; /* no buffer to refill with: keep the old one */
		} else {
			b->len = (uint16_t)len;
			out[n++] = b;
			dev->stats.rx_packets++;
			dev->stats.rx_bytes += len;
			b = fresh;
			p->rxbuf[i] = b->idx;
		}
		give(d, b->pa, RX_BUF | (i == p->nrx - 1u ? RTL_DESC_EOR : 0));
		p->rx_next = (uint16_t)((i + 1u) % p->nrx);
	}
	return n;
}

/* Frees the buffers of the TX descriptors the NIC gave back (OWN clear), oldest first. */
static void
tx_reclaim(struct net_dev *dev, struct rtl_priv *p)
{
	while (p->tx_used > 0) {
		volatile struct rtl_desc *d = desc(&p->txring, p->tx_tail);
		struct net_buf *b = p->txbuf[p->tx_tail];

		if (d->opts1 & RTL_DESC_OWN)
			break;
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += b->len;
		net_buf_free(b);
		p->tx_tail = (uint16_t)((p->tx_tail + 1u) % p->ntx);
		p->tx_used--;
	}
}

static unsigned
rtl_tx(struct net_dev *dev, struct net_buf **bufs, unsigned n)
{
	struct rtl_priv *p = priv(dev);
	unsigned q = 0;

	tx_reclaim(dev, p);
	for (; q < n && p->tx_used < p->ntx; q++) {
		struct net_buf *b = bufs[q];
		unsigned i = p->tx_head;

		if (b->len == 0 || b->len > NET_ETH_MAX) {
			dev->stats.tx_errors++; /* the caller keeps it and the rest */
			break;
		}
		/* Pad short frames ourselves: per Linux r8169 (rtl_skb_pad) some 8168s do not. */
		if (b->len < NET_ETH_MIN) {
			memset(b->data + b->len, 0, NET_ETH_MIN - b->len);
			b->len = NET_ETH_MIN;
		}
		p->txbuf[i] = b;
		give(desc(&p->txring, i), b->pa,
		     RTL_DESC_FS | RTL_DESC_LS | b->len | (i == p->ntx - 1u ? RTL_DESC_EOR : 0));
		p->tx_head = (uint16_t)((i + 1u) % p->ntx);
		p->tx_used++;
	}
	if (q > 0) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* descriptors before the doorbell */
		DRV_WR8(&dev->ops, p->chip->txpoll, RTL_TXPOLL_NPQ);
	}
	return q;
}

static bool
rtl_link_up(struct net_dev *dev)
{
	const struct rtl_chip *c = priv(dev)->chip;
	uint16_t v =
	    c->link_width == 1 ? DRV_RD8(&dev->ops, c->link_reg) : DRV_RD16(&dev->ops, c->link_reg);

	return (v & c->link_bit) != 0;
}

static void
rtl_irq_enable(struct net_dev *dev, bool on)
{
	DRV_WR16(&dev->ops, RTL_IMR, on ? RTL_INT_USED : 0);
}

/* IntrStatus is write-1-to-clear: writing back what was read clears exactly those causes. */
static uint32_t
rtl_irq_ack(struct net_dev *dev)
{
	uint16_t s = DRV_RD16(&dev->ops, RTL_ISR);

	if (s != 0)
		DRV_WR16(&dev->ops, RTL_ISR, s);
	return s;
}

/* RTL8139C+: registers in BAR 1 (memory; BAR 0 is I/O ports). */
const struct net_driver rtl8139_driver = {
	.name = "rtl8139",
	.vendor = 0x10ec,
	.device = 0x8139,
	.bar = 1,
	.init = rtl8139_init,
	.fini = rtl_fini,
	.rx = rtl_rx,
	.tx = rtl_tx,
	.link_up = rtl_link_up,
	.irq_enable = rtl_irq_enable,
	.irq_ack = rtl_irq_ack,
};

/* RTL8168/8111: per Linux r8169 the registers are in memory BAR 2 (BAR 0 I/O, 4 MSI-X). */
const struct net_driver rtl8168_driver = {
	.name = "rtl8168",
	.vendor = 0x10ec,
	.device = 0x8168,
	.bar = 2,
	.init = rtl8168_init,
	.fini = rtl_fini,
	.rx = rtl_rx,
	.tx = rtl_tx,
	.link_up = rtl_link_up,
	.irq_enable = rtl_irq_enable,
	.irq_ack = rtl_irq_ack,
};
