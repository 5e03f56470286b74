/* netfwd: a raw forward between two NICs, the per-packet figure (bench/net/net.mk),
 * run as init on a QEMU with two NICs, each on its own user-mode network with restrict=on
 * (nothing leaves the guest).  Each NIC has its own pool; NET_BATCH ARP requests for the
 * gateway 10.0.2.2 go round: the replies net_rx takes on one NIC are rewritten in place as
 * requests from the other NIC and net_tx sends the same buffers out of the other NIC, whose
 * gateway answers them, and so on.  Buffers cross pools (the transmitting driver frees each
 * to its own pool), nothing is copied but the 42 bytes rewritten outside the measurement.
 * Under qemu -icount shift=0 the TSC counts instructions: net_rx on one NIC plus net_tx on
 * the other, less two empty rdtsc pairs, per packet.  Prints `BENCH net_fwd2_pkt N
 * instructions`, and `netfwd: TAG: what = N OK|FAIL` check lines. */
#include <stdint.h>

#include "libos.h"
#include "net_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define POOL_BUFS  256
#define RING       128
#define ARP_LEN    42
#define TIMEOUT_NS 5000000000ull
#define WARM       2
#define ROUNDS     8          /* measured forwards of a batch, after WARM unmeasured ones */
#define GAP        4000000ull /* TSC cycles (instructions under icount) for replies to land */

struct nic {
	struct net_libos lo;
	struct net_ops ops;
	struct net_pool pool;
	struct net_dev dev;
};

static struct nic nics[2];

static void
check(const char *tag, const char *what, long got, long want)
{
	printf("netfwd: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

/* RFC 826: who has 10.0.2.2? tell 10.0.2.15, from `mac`, broadcast. */
static void
arp_request(struct net_buf *b, const uint8_t *mac)
{
	static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	static const uint8_t ips[10] = { 10, 0, 2, 15, 0, 0, 0, 0, 0, 0 };
	static const uint8_t gw[4] = { 10, 0, 2, 2 };
	uint8_t *f = b->data;

	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, ips, 10);
	memcpy(f + 38, gw, 4);
	b->len = ARP_LEN;
}

static uint64_t
now(struct nic *n)
{
	return n->ops.now_ns(n->ops.ctx);
}

/* Sends n requests from NIC n in one net_tx: the count sent. */
static unsigned
send_requests(struct nic *n, unsigned count)
{
	struct net_buf *bufs[NET_BATCH];
	unsigned k = 0, sent;

	for (; k < count && (bufs[k] = net_buf_alloc(&n->pool)) != NULL; k++)
		arp_request(bufs[k], n->dev.mac);
	sent = net_tx(&n->dev, bufs, k);
	for (unsigned i = sent; i < k; i++)
		net_buf_free(bufs[i]);
	return sent;
}

/* Receives and frees frames on n until `want` came or the deadline: the count. */
static unsigned
drain_rx(struct nic *n, unsigned want)
{
	struct net_buf *bufs[NET_BATCH];
	uint64_t end = now(n) + TIMEOUT_NS;
	unsigned got = 0;

	while (got < want && now(n) < end) {
		unsigned k = net_rx(&n->dev, bufs, NET_BATCH);
		for (unsigned i = 0; i < k; i++)
			net_buf_free(bufs[i]);
		got += k;
	}
	return got;
}

static int
bring_up(unsigned unit)
{
	struct nic *n = &nics[unit];
	const struct net_driver *drv;
	struct abi_dev_info info;
	uint64_t slot = net_libos_find(unit, &drv, &info);
	int r = E_NOENT;

	if (slot == 0 || (r = net_libos_attach(&n->lo, slot, drv, unit, &n->ops)) < 0 ||
	    (r = net_pool_init(&n->pool, &n->ops, POOL_BUFS)) < 0 ||
	    (r = net_dev_init(&n->dev, drv, &n->ops, &n->pool, RING, RING)) < 0)
		return r;
	/* QEMU's e1000 holds received frames back for a second after RCTL is written: one
	 * answered request first, outside the measurement. */
	if (send_requests(n, 1) != 1 || drain_rx(n, 1) != 1)
		return E_AGAIN;
	return 0;
}

/* Forwards the batch waiting on nics[from] out of the other NIC: rx + tx instructions. */
static uint64_t
forward(unsigned from, uint64_t empty, int *bad)
{
	struct nic *a = &nics[from], *b = &nics[1 - from];
	struct net_buf *bufs[NET_BATCH];
	uint64_t t0, t1, t2, t3;
	unsigned k, sent;

	for (t0 = rdtsc(); rdtsc() - t0 < GAP;)
		;
	t0 = rdtsc();
	k = net_rx(&a->dev, bufs, NET_BATCH);
	t1 = rdtsc();
	for (unsigned i = 0; i < k; i++)
		arp_request(bufs[i], b->dev.mac);
	t2 = rdtsc();
	sent = net_tx(&b->dev, bufs, k);
	t3 = rdtsc();
	*bad |= k != NET_BATCH || sent != k;
	return (t1 - t0) + (t3 - t2) - 2 * empty;
}

int
main(int argc, char **argv)
{
	uint64_t t0 = rdtsc(), t1 = rdtsc(), empty = t1 - t0, sum = 0;
	int bad = 0, r0, r1;

	(void)argc;
	(void)argv;
	check("init", "first NIC up", r0 = bring_up(0), 0);
	check("init", "second NIC up", r1 = bring_up(1), 0);
	if (r0 == 0 && r1 == 0) {
		bad |= send_requests(&nics[0], NET_BATCH) != NET_BATCH;
		for (unsigned i = 0; i < WARM + ROUNDS; i++) {
			uint64_t d = forward(i & 1, empty, &bad);
			if (i >= WARM)
				sum += d;
		}
		check("fwd", "every batch full", bad, 0);
		if (!bad)
			printf("BENCH net_fwd2_pkt %lu instructions\n",
			       (unsigned long)(sum / (ROUNDS * NET_BATCH)));
	}
	for (unsigned u = 0; u < 2; u++) {
		if (nics[u].dev.drv != NULL)
			nics[u].dev.drv->fini(&nics[u].dev);
	}
	for (unsigned u = 0; u < 2; u++) {
		check("end", "every buffer back in its pool", nics[u].pool.nfree, nics[u].pool.n);
		net_pool_fini(&nics[u].pool);
		net_libos_detach(&nics[u].lo);
	}
	printf("netfwd: done\n");
	return 0;
}
