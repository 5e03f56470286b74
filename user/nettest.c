/* nettest: a NIC through the portable network drivers (lib/drivers/net) and the LibOS glue
 * (lib/user/net_ops.c), run as init (only init holds device capabilities) on a QEMU whose
 * network is user-mode with restrict=on (grade/nettests.py): nothing leaves the guest.  It
 * finds the first Ethernet controller that has a driver, brings it up, prints its MAC and
 * link, then in polled mode and again in interrupt mode (INTx to a notification) sends an
 * ARP request for the gateway 10.0.2.2 (we are 10.0.2.15; the frame is built by hand) and
 * checks the reply, then sends BATCH_ROUNDS batches of NET_BATCH requests and checks that
 * every frame was sent and answered.  One line per check: `nettest: TAG: what = N OK|FAIL`.
 * With tests=bench it measures instead the instructions per packet of net_rx and net_tx
 * batched by NET_BATCH under qemu -icount shift=0 (see bench_fwd). */
#include <stdint.h>

#include "libos.h"
#include "net_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define POOL_BUFS    256
#define RING         128
#define ARP_LEN      42 /* Ethernet header 14 + ARP for IPv4 28 (RFC 826) */
#define BATCH_ROUNDS 2
#define TIMEOUT_NS   5000000000ull /* a failure bound, far above the answer's time */
#define BENCH_WARM   2
#define BENCH_N      8
#define BENCH_GAP    4000000ull /* TSC cycles (instructions under icount) to let replies land */

static const uint8_t me_ip[4] = { 10, 0, 2, 15 }, gw_ip[4] = { 10, 0, 2, 2 };
static struct net_libos lo;
static struct net_ops ops;
static struct net_pool pool;
static struct net_dev dev;
static const char *mode = "poll";

static void
check(const char *tag, const char *what, long got, long want)
{
	printf("nettest: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

/* The checks both modes run, under the mode's tag (grade/nettests.py counts these calls). */
static void
mcheck(const char *what, long got, long want)
{
	check(mode, what, got, want);
}

static uint64_t
now(void)
{
	return ops.now_ns(ops.ctx);
}

/* RFC 826: who has 10.0.2.2? tell 10.0.2.15, broadcast. */
static void
arp_request(uint8_t *f)
{
	static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 }; /* Ethernet, IPv4, request */

	memset(f, 0xff, 6);
	memcpy(f + 6, dev.mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, dev.mac, 6);
	memcpy(f + 28, me_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, gw_ip, 4);
}

/* An ARP reply from 10.0.2.2 to us: the gateway's MAC into gw (when not NULL). */
static bool
is_arp_reply(const struct net_buf *b, uint8_t *gw)
{
	const uint8_t *f = b->data;

	if (b->len < ARP_LEN || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2 ||
	    memcmp(f, dev.mac, 6) != 0 || memcmp(f + 28, gw_ip, 4) != 0 ||
	    memcmp(f + 32, dev.mac, 6) != 0 || memcmp(f + 38, me_ip, 4) != 0)
		return false;
	if (gw != NULL)
		memcpy(gw, f + 22, 6);
	return true;
}

/* Sends n requests in one net_tx: how many it queued. */
static unsigned
send_requests(unsigned n)
{
	struct net_buf *bufs[NET_BATCH];
	unsigned k = 0, sent;

	for (; k < n && (bufs[k] = net_buf_alloc(&pool)) != NULL; k++) {
		arp_request(bufs[k]->data);
		bufs[k]->len = ARP_LEN;
	}
	sent = net_tx(&dev, bufs, k);
	for (unsigned i = sent; i < k; i++)
		net_buf_free(bufs[i]);
	return sent;
}

/* The end of a wait: TIMEOUT_NS from now, or now once a wait has timed out (a driver that
 * sends or receives nothing, e.g. lab 5's stubbed one, fails the rest at once instead of
 * waiting out every bound). */
static bool waited_out;

static uint64_t
deadline(void)
{
	return now() + (waited_out ? 0 : TIMEOUT_NS);
}

/* Receives until `want` ARP replies came or the deadline: the replies counted (other frames
 * are counted in *other), the gateway's MAC into gw. */
static unsigned
recv_replies(unsigned want, uint8_t *gw, unsigned *other)
{
	struct net_buf *bufs[NET_BATCH];
	uint64_t end = deadline();
	unsigned got = 0, n = 0;

	while (got < want && now() < end) {
		/* Interrupt mode: block until the NIC interrupts, then reap.  Only after a short
		 * batch (the ring was empty): frames left behind a full one raise no new interrupt.
		 */
		if (n < NET_BATCH && dev.ops.wait != NULL)
			dev.ops.wait(dev.ops.ctx, end);
		n = net_rx(&dev, bufs, NET_BATCH);
		for (unsigned i = 0; i < n; i++) {
			if (is_arp_reply(bufs[i], gw))
				got++;
			else
				(*other)++;
			net_buf_free(bufs[i]);
		}
	}
	waited_out = waited_out || got < want;
	return got;
}

/* Reclaims transmit descriptors (net_tx of nothing) until tx_packets reaches want. */
static uint64_t
drain_tx(uint64_t want)
{
	uint64_t end = deadline();

	while (dev.stats.tx_packets < want && now() < end)
		(void)net_tx(&dev, NULL, 0);
	waited_out = waited_out || dev.stats.tx_packets < want;
	return dev.stats.tx_packets;
}

static void
arp_and_batches(void)
{
	struct net_stats s0 = dev.stats;
	uint64_t tx_bytes;
	uint8_t gw[6] = { 0 };
	unsigned other = 0, sent = 0;

	mcheck("ARP request queued", send_requests(1), 1);
	mcheck("ARP reply from 10.0.2.2", recv_replies(1, gw, &other), 1);
	printf("nettest: %s: gateway 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", mode, gw[0],
	       gw[1], gw[2], gw[3], gw[4], gw[5]);
	for (unsigned r = 0; r < BATCH_ROUNDS; r++)
		sent += send_requests(NET_BATCH);
	mcheck("frames queued in batches of 32", sent, BATCH_ROUNDS * NET_BATCH);
	mcheck("replies to the batches", recv_replies(sent, NULL, &other),
	       BATCH_ROUNDS * NET_BATCH);
	mcheck("tx_packets", (long)(drain_tx(s0.tx_packets + 1 + sent) - s0.tx_packets), 1 + sent);
	/* A driver may count a short frame as sent (42) or as padded to NET_ETH_MIN (60). */
	tx_bytes = dev.stats.tx_bytes - s0.tx_bytes;
	mcheck("tx_bytes: 42 or 60 (padded) per frame",
	       tx_bytes == (1 + sent) * ARP_LEN || tx_bytes == (1 + sent) * NET_ETH_MIN, 1);
	mcheck("rx_packets (replies and others)", (long)(dev.stats.rx_packets - s0.rx_packets),
	       1 + sent + other);
	mcheck("tx_errors", (long)(dev.stats.tx_errors - s0.tx_errors), 0);
	mcheck("rx_errors + rx_dropped",
	       (long)(dev.stats.rx_errors + dev.stats.rx_dropped - s0.rx_errors - s0.rx_dropped),
	       0);
}

/* Frames the NIC must not be given are refused and counted in tx_errors, never sent.  A
 * driver may take such a frame (and free it) or leave it to the caller (net_tx's count stops
 * before it): the test frees what was not taken, and the pool must come out whole. */
static void
bad_frame(const char *what, uint16_t len)
{
	struct net_buf *b = net_buf_alloc(&pool);
	uint64_t err0 = dev.stats.tx_errors, pkts0 = dev.stats.tx_packets;

	b->len = len;
	if (net_tx(&dev, &b, 1) == 0)
		net_buf_free(b);
	check("bad", what, (long)(dev.stats.tx_errors - err0), 1);
	check("bad", "not sent", (long)(dev.stats.tx_packets - pkts0), 0);
}

/* The pool empty: a received frame is dropped and counted, its buffer stays on the ring. */
static void
no_buffers(void)
{
	static struct net_buf *held[POOL_BUFS];
	struct net_buf *b;
	uint64_t drop0 = dev.stats.rx_dropped, end;
	unsigned n = 0, got = 0;

	check("bad", "an ARP request queued", send_requests(1), 1);
	(void)drain_tx(dev.stats.tx_packets + 1);
	while ((held[n] = net_buf_alloc(&pool)) != NULL)
		n++;
	for (end = deadline(); dev.stats.rx_dropped == drop0 && now() < end;)
		got += net_rx(&dev, &b, 1);
	waited_out = waited_out || dev.stats.rx_dropped == drop0;
	check("bad", "pool empty: the reply dropped and counted",
	      (long)(dev.stats.rx_dropped - drop0), 1);
	check("bad", "pool empty: nothing handed up", got, 0);
	while (n > 0)
		net_buf_free(held[--n]);
}

static void
bad_frames(void)
{
	unsigned nfree = pool.nfree;

	bad_frame("oversized frame counted in tx_errors", NET_ETH_MAX + 1);
	bad_frame("empty frame counted in tx_errors", 0);
	no_buffers();
	check("bad", "every buffer back in the pool", pool.nfree, nfree);
}

/* e1000 only: the NIC itself hands up a frame longer than NET_ETH_MAX, which the driver must
 * drop and count.  PHY loopback (PHY Control register bit 14, written through MDIC, 8254x SDM
 * 13.4.7) turns each sent frame into a received one, and RCTL.SECRC cleared (13.4.22) makes
 * the NIC count the 4-byte FCS in the length: a 1514-byte frame comes back as 1518, a
 * 100-byte one as 104.  Both settings are restored after. */
#define E1000_MDIC       0x20u
#define E1000_MDIC_READ  (2u << 26 | 1u << 21) /* PHY 1, register 0: PHY Control */
#define E1000_MDIC_WRITE (1u << 26 | 1u << 21)
#define E1000_MDIC_READY (1u << 28)
#define E1000_PHY_LOOP   (1u << 14)
#define E1000_RCTL       0x100u
#define E1000_RCTL_SECRC (1u << 26)
#define ETH_EXPERIMENTAL 0x88b5 /* IEEE 802 local experimental EtherType */

static long
e1000_mdic(uint32_t cmd)
{
	uint64_t end = deadline();
	uint32_t v;

	ops.write32(ops.ctx, E1000_MDIC, cmd);
	while (!((v = ops.read32(ops.ctx, E1000_MDIC)) & E1000_MDIC_READY))
		if (now() > end)
			return -1;
	return v & 0xffff;
}

/* A frame of `len` bytes from us to us: net_tx's count. */
static unsigned
send_self(uint16_t len)
{
	struct net_buf *b = net_buf_alloc(&pool);

	memset(b->data, 0x5a, len);
	memcpy(b->data, dev.mac, 6);
	memcpy(b->data + 6, dev.mac, 6);
	b->data[12] = ETH_EXPERIMENTAL >> 8;
	b->data[13] = ETH_EXPERIMENTAL & 0xff;
	b->len = len;
	return net_tx(&dev, &b, 1);
}

/* Receives until a frame is handed up or the receive counters moved by `events`: the
 * length of the frame handed up, 0 if none. */
static unsigned
recv_one(uint64_t events)
{
	struct net_stats s0 = dev.stats;
	uint64_t end = deadline();
	struct net_buf *b;
	unsigned len = 0;

	while (dev.stats.rx_packets + dev.stats.rx_dropped + dev.stats.rx_errors <
	           s0.rx_packets + s0.rx_dropped + s0.rx_errors + events &&
	       now() < end)
		if (net_rx(&dev, &b, 1) == 1) {
			len = b->len;
			net_buf_free(b);
		}
	return len;
}

static void
e1000_oversized(void)
{
	uint32_t rctl = ops.read32(ops.ctx, E1000_RCTL);
	long bmcr = e1000_mdic(E1000_MDIC_READ);
	struct net_stats s0;
	uint64_t tx0 = dev.stats.tx_packets;
	unsigned other = 0;

	check("e1000", "PHY Control read", bmcr >= 0, 1);
	/* QEMU's model holds received frames back for a second after an RCTL write and loses
	 * looped-back ones meanwhile (flush_queue_timer): the gateway's answer, which it queues,
	 * shows when the second is over. */
	ops.write32(ops.ctx, E1000_RCTL, rctl & ~E1000_RCTL_SECRC);
	check("e1000", "SECRC off: an ARP request answered",
	      send_requests(1) == 1 && recv_replies(1, NULL, &other) == 1, 1);
	check("e1000", "PHY loopback on",
	      e1000_mdic(E1000_MDIC_WRITE | (uint32_t)bmcr | E1000_PHY_LOOP) >= 0, 1);
	s0 = dev.stats;
	check("e1000", "a 100-byte frame to ourselves", send_self(100), 1);
	check("e1000", "comes back with its FCS: length", recv_one(1), 104);
	check("e1000", "a 1514-byte frame to ourselves", send_self(NET_ETH_MAX), 1);
	check("e1000", "comes back as 1518 bytes: not handed up", recv_one(1), 0);
	check("e1000", "rx_dropped", (long)(dev.stats.rx_dropped - s0.rx_dropped), 1);
	check("e1000", "rx_packets", (long)(dev.stats.rx_packets - s0.rx_packets), 1);
	check("e1000", "the three frames sent", (long)(drain_tx(tx0 + 3) - tx0), 3);
	ops.write32(ops.ctx, E1000_RCTL, rctl);
	check("e1000", "PHY loopback off", e1000_mdic(E1000_MDIC_WRITE | (uint32_t)bmcr) >= 0, 1);
}

/* Under qemu -icount shift=0 the TSC counts instructions: net_rx taking NET_BATCH ARP
 * replies and net_tx sending them back rewritten as requests (the gateway answers each, so
 * the same buffers go round: a forward through one NIC with no copy), each less an empty
 * rdtsc pair.  The replies land during a BENCH_GAP spin, outside the measurement. */
static void
bench_fwd(void)
{
	struct net_buf *bufs[NET_BATCH];
	uint64_t rx = 0, tx = 0, t0, t1, empty;
	unsigned other = 0;
	int bad = 0;

	t0 = rdtsc();
	t1 = rdtsc();
	empty = t1 - t0;
	/* QEMU's e1000 holds received frames back for a second (its flush_queue_timer; 10^9
	 * instructions under icount) after RCTL is written: one answered request first. */
	bad |= send_requests(1) != 1 || recv_replies(1, NULL, &other) != 1;
	bad |= send_requests(NET_BATCH) != NET_BATCH;
	for (unsigned i = 0; i < BENCH_WARM + BENCH_N; i++) {
		for (t0 = rdtsc(); rdtsc() - t0 < BENCH_GAP;)
			;
		t0 = rdtsc();
		unsigned n = net_rx(&dev, bufs, NET_BATCH);
		t1 = rdtsc();
		if (i >= BENCH_WARM)
			rx += t1 - t0 - empty;
		for (unsigned k = 0; k < n; k++)
			arp_request(bufs[k]->data), bufs[k]->len = ARP_LEN;
		if (n != NET_BATCH && !bad)
			printf("nettest: bench: round %u: %u frames received\n", i, n);
		bad |= n != NET_BATCH;
		t0 = rdtsc();
		bad |= net_tx(&dev, bufs, n) != n;
		t1 = rdtsc();
		if (i >= BENCH_WARM)
			tx += t1 - t0 - empty;
	}
	if (bad)
		printf("nettest: bench: a batch was short FAIL\n");
	else
		printf("BENCH net_rx_pkt %lu instructions\nBENCH net_tx_pkt %lu instructions\n"
		       "BENCH net_fwd_pkt %lu instructions\n",
		       (unsigned long)(rx / (BENCH_N * NET_BATCH)),
		       (unsigned long)(tx / (BENCH_N * NET_BATCH)),
		       (unsigned long)((rx + tx) / (BENCH_N * NET_BATCH)));
}

static int
bring_up(uint64_t slot, const struct net_driver *drv)
{
	int r;

	check("init", "open the device", r = net_libos_attach(&lo, slot, drv, 0, &ops), 0);
	if (r < 0)
		return r;
	check("init", "a pool of 256 buffers", r = net_pool_init(&pool, &ops, POOL_BUFS), 0);
	if (r < 0)
		return r;
	check("init", "net_dev_init: rings of 128",
	      r = net_dev_init(&dev, drv, &ops, &pool, RING, RING), 0);
	if (r < 0)
		return r;
	printf("nettest: %s mac %02x:%02x:%02x:%02x:%02x:%02x link %s\n", drv->name, dev.mac[0],
	       dev.mac[1], dev.mac[2], dev.mac[3], dev.mac[4], dev.mac[5],
	       drv->link_up(&dev) ? "up" : "down");
	check("init", "link up", drv->link_up(&dev), 1);
	return 0;
}

static void
run(uint64_t slot, const struct net_driver *drv, bool bench)
{
	if (bring_up(slot, drv) == 0 && bench) {
		bench_fwd();
	} else if (dev.drv != NULL) {
		arp_and_batches();
		bad_frames();
		if (strcmp(drv->name, "e1000") == 0)
			e1000_oversized();
		mode = "irq";
		check("init", "interrupt mode on", net_libos_irq(&lo, &dev, true), 0);
		arp_and_batches();
		printf("nettest: irq: %lu interrupts taken\n", (unsigned long)lo.irqs);
		check("irq", "interrupts taken", lo.irqs > 0, 1);
		check("irq", "interrupt mode off", net_libos_irq(&lo, &dev, false), 0);
	}
	if (dev.drv != NULL) {
		drv->fini(&dev);
		check("end", "every buffer back in the pool", pool.nfree, pool.n);
	}
	net_pool_fini(&pool);
	net_libos_detach(&lo);
}

int
main(int argc, char **argv)
{
	const struct net_driver *drv = NULL;
	struct abi_dev_info info;
	uint64_t slot = net_libos_find(0, &drv, &info);
	bool bench = strcmp(libos_envinfo->tests, "bench") == 0;

	(void)argc;
	(void)argv;
	check("init", "an Ethernet controller (02/00) with a driver", slot != 0, 1);
	if (slot == 0)
		return 1;
	printf("nettest: %s %04x:%04x at %02x:%02x.%u\n", drv->name, info.vendor, info.device,
	       info.bus, info.dev, info.fn);
	/* Warm-up: the first mappings of the BAR and a DMA page allocate page tables, which stay.
	 */
	if (net_libos_attach(&lo, slot, drv, 0, &ops) == 0 && net_pool_init(&pool, &ops, 2) == 0)
		net_pool_fini(&pool);
	net_libos_detach(&lo);
	sys_leak_check();
	run(slot, drv, bench);
	sys_leak_check();
	printf("nettest: done\n");
	return 0;
}
