/* udpbench: the UDP echo's per-packet figure through the whole LibOS network stack (bench/net,
 * `make bench-net`), run as init on a QEMU with two NICs on one QEMU hub (-netdev hubport:
 * frames go from one NIC to the other inside QEMU, nothing reaches the host).  NIC 0 carries
 * a client stack (10.0.0.1), NIC 1 an echo server stack (10.0.0.2) with a socket on port 7.
 * Each round the client sends NET_BATCH datagrams of PAYLOAD bytes; then, measured, the
 * server takes them in one net_poll (net_rx of the batch, Ethernet, IPv4, UDP checks, queued
 * on the socket) and echoes each through the socket API (net_udp_recvfrom copies it out,
 * net_udp_sendto builds the reply and hands it to the driver).  Under qemu -icount shift=0
 * the TSC counts instructions: the round's count, less an empty rdtsc pair, per datagram,
 * averaged over ROUNDS rounds after WARM.  Prints `BENCH net_udp_rx_pkt N instructions` (the
 * net_poll alone) and `BENCH net_udp_echo_pkt N instructions` (the whole echo)
 * and `udpbench: TAG: what = N OK|FAIL` check lines. */
#include <stdint.h>

#include "libos.h"
#include "net.h"
#include "net_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define POOL_BUFS  256
#define RING       128
#define PAYLOAD    64
#define TIMEOUT_NS 5000000000ull
#define WARM       2
#define ROUNDS     8
#define GAP        4000000ull /* TSC cycles (instructions under icount) for frames to land */

struct host {
	struct net_libos lo;
	struct net_ops ops;
	struct net_pool pool;
	struct net_dev dev;
	struct net_stack st;
	int sock;
};

static struct host hosts[2]; /* 0: the client, 1: the echo server */
static uint8_t data[PAYLOAD], got[PAYLOAD];

static void
check(const char *tag, const char *what, long have, long want)
{
	printf("udpbench: %s: %s = %ld %s\n", tag, what, have, have == want ? "OK" : "FAIL");
}

static int
bring_up(unsigned unit, uint32_t addr, uint16_t port)
{
	struct host *h = &hosts[unit];
	const struct net_driver *drv;
	struct abi_dev_info info;
	uint64_t slot = net_libos_find(unit, &drv, &info);
	int r = E_NOENT;

	if (slot == 0 || (r = net_libos_attach(&h->lo, slot, drv, unit, &h->ops)) < 0 ||
	    (r = net_pool_init(&h->pool, &h->ops, POOL_BUFS)) < 0 ||
	    (r = net_dev_init(&h->dev, drv, &h->ops, &h->pool, RING, RING)) < 0)
		return r;
	net_init(&h->st, &h->dev, addr, NET_IP(255, 255, 255, 0), 0);
	h->sock = net_udp_bind(&h->st, port);
	return h->sock < 0 ? h->sock : 0;
}

/* The server's echo of every datagram its socket holds: the number echoed. */
static unsigned
echo_all(struct host *s)
{
	uint32_t src;
	uint16_t sport;
	unsigned n = 0;
	int len;

	while ((len = net_udp_recvfrom(&s->st, s->sock, got, sizeof(got), &src, &sport)) >= 0)
		n += net_udp_sendto(&s->st, s->sock, src, sport, got, (uint16_t)len) == 0;
	return n;
}

/* Polls both stacks (the server echoing) until the client has `want` echoes back or the
 * deadline: the count of correct ones. */
static unsigned
settle(unsigned want)
{
	struct host *c = &hosts[0];
	uint64_t end = net_now(&c->st) + TIMEOUT_NS;
	unsigned n = 0;
	int len;

	while (n < want && net_now(&c->st) < end) {
		net_poll(&hosts[1].st);
		echo_all(&hosts[1]);
		net_poll(&c->st);
		while ((len = net_udp_recvfrom(&c->st, c->sock, got, sizeof(got), 0, 0)) >= 0)
			n += len == PAYLOAD && memcmp(got, data, PAYLOAD) == 0;
	}
	return n;
}

/* One measured round: the instructions of the server's batch, in all and (*rx) of its
 * net_poll alone; *bad set on a short batch. */
static uint64_t
round_trip(uint64_t empty, uint64_t *rx, int *bad)
{
	struct host *c = &hosts[0];
	uint64_t t0, t1, t2;
	unsigned sent = 0, got, echoed;

	for (unsigned i = 0; i < NET_BATCH; i++)
		sent += net_udp_sendto(&c->st, c->sock, NET_IP(10, 0, 0, 2), 7, data, PAYLOAD) == 0;
	for (t0 = rdtsc(); rdtsc() - t0 < GAP;)
		;
	t0 = rdtsc();
	got = net_poll(&hosts[1].st);
	t1 = rdtsc();
	echoed = echo_all(&hosts[1]);
	t2 = rdtsc();
	*bad |= sent != NET_BATCH || got != NET_BATCH || echoed != NET_BATCH ||
	        settle(NET_BATCH) != NET_BATCH;
	*rx += t1 - t0 - empty;
	return t2 - t0 - 2 * empty;
}

int
main(int argc, char **argv)
{
	uint64_t t0 = rdtsc(), t1 = rdtsc(), empty = t1 - t0, sum = 0, rx = 0, warm_rx = 0;
	int bad = 0, r0, r1;

	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < PAYLOAD; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	check("init", "client NIC up", r0 = bring_up(0, NET_IP(10, 0, 0, 1), 40000), 0);
	check("init", "server NIC up", r1 = bring_up(1, NET_IP(10, 0, 0, 2), 7), 0);
	if (r0 == 0 && r1 == 0) {
		/* ARP both ways, and QEMU's e1000 holding frames for a while after RCTL is
		 * written: one echo first, outside the measurement. */
		net_udp_sendto(&hosts[0].st, hosts[0].sock, NET_IP(10, 0, 0, 2), 7, data, PAYLOAD);
		check("init", "first echo", settle(1), 1);
		for (unsigned i = 0; i < WARM + ROUNDS; i++) {
			uint64_t d = round_trip(empty, i < WARM ? &warm_rx : &rx, &bad);
			if (i >= WARM)
				sum += d;
		}
		check("echo", "every batch echoed whole", bad, 0);
		if (!bad) {
			printf("BENCH net_udp_rx_pkt %lu instructions\n",
			       (unsigned long)(rx / (ROUNDS * NET_BATCH)));
			printf("BENCH net_udp_echo_pkt %lu instructions\n",
			       (unsigned long)(sum / (ROUNDS * NET_BATCH)));
		}
	}
	for (unsigned u = 0; u < 2; u++) {
		net_fini(&hosts[u].st);
		if (hosts[u].dev.drv != NULL)
			hosts[u].dev.drv->fini(&hosts[u].dev);
	}
	for (unsigned u = 0; u < 2; u++) {
		check("end", "every buffer back in its pool", hosts[u].pool.nfree, hosts[u].pool.n);
		net_pool_fini(&hosts[u].pool);
		net_libos_detach(&hosts[u].lo);
	}
	printf("udpbench: done\n");
	return 0;
}
