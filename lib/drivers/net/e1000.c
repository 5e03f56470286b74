/* The Intel 82540EM (e1000) driver over the portable network API (netdev.h): reset, MAC
 * address, one receive and one transmit ring of legacy descriptors, batch receive and
 * transmit with one doorbell write per batch, interrupt causes for interrupt mode.  Section
 * numbers are those of the PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual (8254x SDM); the registers are in e1000_regs.h.
 *
 * Ownership: the NIC owns receive descriptors [RDH, RDT) and transmit descriptors [TDH, TDT)
 * (3.2.6, 3.4); the driver reads the others.  A ring of n descriptors keeps one empty so
 * that head == tail means empty.  rx_next is the oldest receive descriptor the driver has
 * not taken; tx_clean..tx_next are the transmit descriptors queued and not yet reclaimed. */
#include "abi/error.h"
#include "drv_mmio.h"
#include "e1000_regs.h"
#include "netdev.h"

#define RING_PAGE    4096u
#define E1000_RX_MAX 256u        /* one page of descriptors */
#define E1000_TX_MAX 128u        /* bounded by the buffer pointers kept in net_dev.priv */
#define RESET_NS     10000000ull /* 10 ms, far above the reset's few microseconds */
#define EERD_NS      10000000ull

struct e1000 {
	struct net_dma rxr, txr;
	volatile struct e1000_rx_desc *rx;
	volatile struct e1000_tx_desc *tx;
	uint16_t nrx, ntx;
	uint16_t rx_next, tx_next, tx_clean;
	uint16_t rx_buf[E1000_RX_MAX];        /* pool index of each receive descriptor's buffer */
	struct net_buf *tx_buf[E1000_TX_MAX]; /* queued frames (any pool) */
};

_Static_assert(sizeof(struct e1000) <= NET_PRIV_BYTES, "e1000 state exceeds net_dev.priv");
_Static_assert(sizeof(struct e1000_rx_desc) == 16 && sizeof(struct e1000_tx_desc) == 16,
               "legacy descriptors are 16 bytes (3.2.3, 3.3.3)");

static struct e1000 *
priv(struct net_dev *dev)
{
	return (struct e1000 *)dev->priv;
}

static uint32_t
rd32(struct net_dev *dev, uint32_t off)
{
	return dev->ops.read32(dev->ops.ctx, off);
}

static void
wr32(struct net_dev *dev, uint32_t off, uint32_t val)
{
	dev->ops.write32(dev->ops.ctx, off, val);
}

/* Every register access: a host build records the caller's line first (drv_mmio.h); the
 * kernel's build is the bare call, argument for argument. */
#define rd(dev, off)      (DRV_MMIO_AT(), rd32((dev), (off)))
#define wr(dev, off, val) (DRV_MMIO_AT(), wr32((dev), (off), (val)))

/* 13.4.1: CTRL.RST resets the MAC (not the PCI configuration) and self-clears.  Interrupts
 * are masked before and after it and receive and transmit stopped first, so that no DMA is
 * in flight while the rings change (14.3 General Configuration). */
static int
e1000_reset(struct net_dev *dev)
{
	uint64_t end = dev->ops.now_ns(dev->ops.ctx) + RESET_NS;

	wr(dev, E1000_IMC, 0xffffffffu);
	wr(dev, E1000_RCTL, 0);
	wr(dev, E1000_TCTL, 0);
	wr(dev, E1000_CTRL, rd(dev, E1000_CTRL) | E1000_CTRL_RST);
	while (rd(dev, E1000_CTRL) & E1000_CTRL_RST)
		if (dev->ops.now_ns(dev->ops.ctx) > end)
			return E_BUSY; /* the device never finished */
	wr(dev, E1000_IMC, 0xffffffffu);
	(void)rd(dev, E1000_ICR);
	/* 14.3: link set up by the MAC (SLU) with auto speed detection; no VLAN mode; PHY and
	 * link out of reset. */
	uint32_t ctrl = rd(dev, E1000_CTRL);
	ctrl &= ~(E1000_CTRL_LRST | E1000_CTRL_PHY_RST | E1000_CTRL_ILOS | E1000_CTRL_VME);
	wr(dev, E1000_CTRL, ctrl | E1000_CTRL_SLU | E1000_CTRL_ASDE);
	return 0;
}

/* 13.4.4: one EEPROM word through EERD, or a negative E_* code. */
static long
eeprom_word(struct net_dev *dev, unsigned addr)
{
	uint64_t end = dev->ops.now_ns(dev->ops.ctx) + EERD_NS;
	uint32_t v;

	wr(dev, E1000_EERD, E1000_EERD_START | addr << 8);
	while (!((v = rd(dev, E1000_EERD)) & E1000_EERD_DONE))
		if (dev->ops.now_ns(dev->ops.ctx) > end)
			return E_BUSY; /* the device never finished */
	return v >> 16;
}

/* The MAC: receive address 0 when the EEPROM load made it valid (13.5.3 RAH.AV), else EEPROM
 * words 0-2 (5.6.1, little-endian byte pairs), written back into RAL0/RAH0 so that the
 * receive filter accepts unicast frames to it. */
static int
e1000_mac(struct net_dev *dev)
{
	uint32_t lo = rd(dev, E1000_RAL0), hi = rd(dev, E1000_RAH0);

	if (!(hi & E1000_RAH_AV)) {
		long w[3];
		for (unsigned i = 0; i < 3; i++)
			if ((w[i] = eeprom_word(dev, i)) < 0)
				return (int)w[i];
		lo = (uint32_t)w[0] | (uint32_t)w[1] << 16;
		hi = (uint32_t)w[2];
	}
	for (unsigned i = 0; i < 4; i++)
		dev->mac[i] = (uint8_t)(lo >> (8 * i));
	dev->mac[4] = (uint8_t)hi;
	dev->mac[5] = (uint8_t)(hi >> 8);
	wr(dev, E1000_RAL0, lo);
	wr(dev, E1000_RAH0, (hi & 0xffffu) | E1000_RAH_AV);
	for (unsigned i = 0; i < E1000_MTA_N; i++)
		wr(dev, E1000_MTA + 4 * i, 0); /* 14.4: no multicast */
	return 0;
}

/* A ring size the chip takes: a multiple of 8 descriptors (RDLEN/TDLEN are multiples of
 * 128 bytes, 13.4.27, 13.4.40), at least 8, at most max. */
static unsigned
ring_size(unsigned n, unsigned max)
{
	n = (n + 7u) & ~7u;
	return n < 8 ? 8 : n > max ? max : n;
}

/* 14.4 Receive Initialization: every descriptor gets a pool buffer, RDT one behind RDH. */
static int
rx_init(struct net_dev *dev, unsigned n)
{
	struct e1000 *e = priv(dev);
	int r;

	if ((r = dev->ops.dma_alloc(dev->ops.ctx, RING_PAGE, &e->rxr)) < 0)
		return r;
	e->rx = e->rxr.va;
	e->nrx = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct net_buf *b = net_buf_alloc(dev->pool);
		if (b == 0)
			return E_NOMEM;
		e->rx_buf[i] = b->idx;
		e->rx[i].addr = b->pa;
		e->rx[i].status = 0;
	}
	wr(dev, E1000_RDBAL, (uint32_t)e->rxr.pa);
	wr(dev, E1000_RDBAH, (uint32_t)(e->rxr.pa >> 32));
	wr(dev, E1000_RDLEN, n * (uint32_t)sizeof(struct e1000_rx_desc));
	wr(dev, E1000_RDH, 0);
	wr(dev, E1000_RDT, n - 1);
	wr(dev, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
	return 0;
}

/* 14.5 Transmit Initialization. */
static int
tx_init(struct net_dev *dev, unsigned n)
{
	struct e1000 *e = priv(dev);
	int r;

	if ((r = dev->ops.dma_alloc(dev->ops.ctx, RING_PAGE, &e->txr)) < 0)
		return r;
	e->tx = e->txr.va;
	e->ntx = (uint16_t)n;
	wr(dev, E1000_TDBAL, (uint32_t)e->txr.pa);
	wr(dev, E1000_TDBAH, (uint32_t)(e->txr.pa >> 32));
	wr(dev, E1000_TDLEN, n * (uint32_t)sizeof(struct e1000_tx_desc));
	wr(dev, E1000_TDH, 0);
	wr(dev, E1000_TDT, 0);
	wr(dev, E1000_TIPG, E1000_TIPG_8254X);
	wr(dev, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT | E1000_TCTL_COLD);
	return 0;
}

static void e1000_fini(struct net_dev *dev);

static int
e1000_init(struct net_dev *dev, unsigned nrx, unsigned ntx)
{
	int r;

	if (dev->ops.read32 == 0 || dev->ops.write32 == 0 || dev->ops.dma_alloc == 0 ||
	    dev->ops.now_ns == 0)
		return E_INVAL;
	if ((r = e1000_reset(dev)) < 0 || (r = e1000_mac(dev)) < 0)
		return r;
	if ((r = rx_init(dev, ring_size(nrx, E1000_RX_MAX))) < 0 ||
	    (r = tx_init(dev, ring_size(ntx, E1000_TX_MAX))) < 0) {
		e1000_fini(dev);
		return r;
	}
	return 0;
}

/* LAB 5: true when the stack may take the frame descriptor d holds, `len` bytes long (3.2.3):
 * whole (EOP set: a 2048-byte buffer holds any frame the filter passes without RCTL.LPE, so
 * a frame without EOP is one the NIC split, never one to hand up) and between an Ethernet
 * header (14 bytes) and NET_ETH_MAX long.  The NIC is trusted no further than that. */
/* BEGIN LAB 5 */
static bool
rx_good(const volatile struct e1000_rx_desc *d, uint16_t len)
{
	return (d->status & E1000_RXD_EOP) && len >= 14 && len <= NET_ETH_MAX;
}
/* END LAB 5 */

static unsigned
e1000_rx(struct net_dev *dev, struct net_buf **bufs, unsigned max)
{
	/* LAB 5: reap the receive ring from e->rx_next: while fewer than `max` frames are taken
	 * and the descriptor there has DD set (3.2.3.1; read the rest of it only after DD, an
	 * acquire fence), take it.  A frame with an error bit (E1000_RXE_FRAME, 3.2.3.2) counts in
	 * rx_errors, one rx_good refuses in rx_dropped, and so does a good one when the pool has
	 * no buffer to put in its place: in all three cases the buffer stays on the ring.  Else
	 * hand the buffer up (its len, in bufs[n]), count it, and put a fresh pool buffer in the
	 * descriptor (its pa in addr, its pool index in e->rx_buf).  Clear each taken
	 * descriptor's status, so that a stale DD never reads as new.  Then, once per call and
	 * only if something was taken, give the descriptors back: RDT (13.4.29) is the last one
	 * the NIC may fill, one behind the next it should look at (the ring keeps one empty so
	 * that RDH == RDT means "nothing for the NIC"), after a release fence. */
	/* BEGIN LAB 5 */
	struct e1000 *e = priv(dev);
	struct net_pool *pool = dev->pool;
	unsigned n = 0, i = e->rx_next, taken = 0, nrx = e->nrx;
	uint64_t bytes = 0; /* the counters once per call: stores through the descriptors'
	                     * byte fields would make the compiler reload them per frame */

	while (n < max) {
		volatile struct e1000_rx_desc *d = &e->rx[i];
		if (!(d->status & E1000_RXD_DD))
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the rest after DD */
		struct net_buf *b = &pool->bufs[e->rx_buf[i]];
		uint16_t len = d->len;
		struct net_buf *fresh;
		if (d->errors & E1000_RXE_FRAME) {
			dev->stats.rx_errors++; /* the buffer stays on the ring */
		} else if (!rx_good(d, len)) {
			dev->stats.rx_dropped++;
		} else if ((fresh = net_buf_alloc(pool)) == 0) {
			dev->stats.rx_dropped++;
		} else {
			b->len = len;
			bufs[n++] = b;
			bytes += len;
			e->rx_buf[i] = fresh->idx;
			d->addr = fresh->pa;
		}
		d->status = 0;
		i = i + 1 == nrx ? 0 : i + 1;
		taken++;
	}
	if (taken != 0) {
		dev->stats.rx_packets += n;
		dev->stats.rx_bytes += bytes;
		e->rx_next = (uint16_t)i;
		__atomic_thread_fence(__ATOMIC_RELEASE); /* descriptors before the doorbell */
		wr(dev, E1000_RDT, i == 0 ? nrx - 1u : i - 1u);
	}
	return n;
	/* END LAB 5 */
	/* STUB LAB 5: return 0; */
}

/* 3.3.3.2: gives back every transmit descriptor the NIC has written back (RS asked for DD). */
static void
tx_reclaim(struct net_dev *dev)
{
	/* LAB 5: from e->tx_clean up to (not including) e->tx_next, while the descriptor has DD
	 * (3.3.3.2: the NIC wrote it back because the driver asked with RS), count the frame
	 * (tx_errors when E1000_TXD_EC_LC says it was not sent, else tx_packets and tx_bytes),
	 * free its buffer to its pool, forget it (e->tx_buf[i] = 0), and advance tx_clean. */
	/* BEGIN LAB 5 */
	struct e1000 *e = priv(dev);
	unsigned i = e->tx_clean, end = e->tx_next, ntx = e->ntx;
	uint64_t sent = 0, bytes = 0;

	while (i != end && (e->tx[i].status & E1000_TXD_DD)) {
		struct net_buf *b = e->tx_buf[i];
		if (e->tx[i].status & E1000_TXD_EC_LC) {
			dev->stats.tx_errors++;
		} else {
			sent++;
			bytes += b->len;
		}
		net_buf_free(b);
		e->tx_buf[i] = 0;
		i = i + 1 == ntx ? 0 : i + 1;
	}
	dev->stats.tx_packets += sent;
	dev->stats.tx_bytes += bytes;
	e->tx_clean = (uint16_t)i;
	/* END LAB 5 */
}

/* A frame with a length the NIC must not be given is taken as if queued (freed and counted
 * in tx_errors), so that the caller's bufs[0..count) is always what the driver took. */
static unsigned
e1000_tx(struct net_dev *dev, struct net_buf **bufs, unsigned n)
{
	tx_reclaim(dev);
	/* LAB 5: queue bufs[0..n) from e->tx_next, stopping when the ring is full (the next slot
	 * is e->tx_clean: one descriptor stays empty so that TDH == TDT means "all sent").  A
	 * frame shorter than 14 or longer than NET_ETH_MAX bytes must not reach the NIC: count it
	 * in tx_errors and free it, as if queued.  A legacy descriptor (3.3.3) gets the buffer's
	 * pa and len, zero cso/css/special/status, and cmd EOP (the frame is this one buffer),
	 * IFCS (the NIC appends the FCS) and RS (report status: DD when done, which
	 * tx_reclaim waits for).  Remember the buffer in e->tx_buf.  Then, once per call and only
	 * if a descriptor was filled, write the new tail to TDT (13.4.42) after a release fence:
	 * the NIC sends [TDH, TDT).  Return how many of bufs the driver took. */
	/* BEGIN LAB 5 */
	struct e1000 *e = priv(dev);
	unsigned i = e->tx_next, k, ntx = e->ntx, clean = e->tx_clean;

	for (k = 0; k < n; k++) {
		unsigned next = i + 1 == ntx ? 0 : i + 1;
		struct net_buf *b = bufs[k];
		if (next == clean)
			break; /* full */
		if (b->len < 14 || b->len > NET_ETH_MAX) {
			dev->stats.tx_errors++;
			net_buf_free(b);
			continue;
		}
		volatile struct e1000_tx_desc *d = &e->tx[i];
		d->addr = b->pa;
		d->len = b->len;
		d->cso = 0;
		d->css = 0;
		d->special = 0;
		d->status = 0;
		d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
		e->tx_buf[i] = b;
		i = next;
	}
	if (i != e->tx_next) {
		e->tx_next = (uint16_t)i;
		__atomic_thread_fence(__ATOMIC_RELEASE);
		wr(dev, E1000_TDT, i);
	}
	return k;
	/* END LAB 5 */
	/* STUB LAB 5: return 0; */
}

static bool
e1000_link_up(struct net_dev *dev)
{
	return (rd(dev, E1000_STATUS) & E1000_STATUS_LU) != 0;
}

/* 13.4.20 IMS / 13.4.21 IMC: a frame received, the ring running low or overrun, a transmit
 * descriptor written back, the link changed. */
static void
e1000_irq_enable(struct net_dev *dev, bool on)
{
	uint32_t causes =
	    E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | E1000_ICR_RXO | E1000_ICR_TXDW | E1000_ICR_LSC;

	wr(dev, on ? E1000_IMS : E1000_IMC, causes);
}

/* 13.4.17: reading ICR clears it and deasserts the interrupt. */
static uint32_t
e1000_irq_ack(struct net_dev *dev)
{
	return rd(dev, E1000_ICR);
}

/* Reset stops all DMA (13.4.1); then every buffer goes back to its pool. */
static void
e1000_fini(struct net_dev *dev)
{
	struct e1000 *e = priv(dev);

	(void)e1000_reset(dev);
	for (unsigned i = 0; e->rx != 0 && i < e->nrx; i++)
		if (e->rx[i].addr != 0)
			net_buf_free(&dev->pool->bufs[e->rx_buf[i]]);
	for (unsigned i = 0; i < E1000_TX_MAX; i++)
		if (e->tx_buf[i] != 0)
			net_buf_free(e->tx_buf[i]);
	if (e->rxr.va != 0 && dev->ops.dma_free != 0)
		dev->ops.dma_free(dev->ops.ctx, &e->rxr);
	if (e->txr.va != 0 && dev->ops.dma_free != 0)
		dev->ops.dma_free(dev->ops.ctx, &e->txr);
	*e = (struct e1000){ 0 };
}

const struct net_driver e1000_driver = {
	.name = "e1000",
	.vendor = 0x8086,
	.device = 0x100e,
	.bar = 0,
	.init = e1000_init,
	.fini = e1000_fini,
	.rx = e1000_rx,
	.tx = e1000_tx,
	.link_up = e1000_link_up,
	.irq_enable = e1000_irq_enable,
	.irq_ack = e1000_irq_ack,
};
