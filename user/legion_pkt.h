/* The packet path of the Legion's bench entry (issue 16 item 6; user/legion.c, which owns the
 * NIC and the lib/net stack that carry the netconsole).  legion sends UDP datagrams to an echo
 * peer, the netconsole's host at port netecho=PORT (default LEGION_ECHO_PORT:
 * `hw/legion/collect.py --echo-port 6667` sends each one back), and times, in TSC cycles:
 *
 *   software on this machine only, around the calls themselves (the wire and the peer are
 *   outside every one of these figures): the driver's transmit call with one frame and with a
 *   burst of PKT_BURST frames, its receive call finding nothing, taking one frame, and the
 *   frames of a burst; the stack's whole send (net_udp_sendto: UDP, IPv4, Ethernet and the
 *   driver's transmit) and whole receive (the net_poll that took the echo: the driver's
 *   receive, Ethernet, IPv4, UDP checks, then net_udp_recvfrom copying it out).  The driver's
 *   calls are timed by a copy of its net_driver table whose rx and tx wrap the real ones,
 *   installed only while this runs;
 *   the round trip (packet_rtt_*): from before the send call to the echo copied out, one
 *   datagram in flight.  It DOES include the wire, the peer's operating system and
 *   collect.py, so it is the machine pair's figure, not the laptop's.
 *
 * Without a peer (no echo after PKT_PROBES probes of PKT_PROBE_NS each) it prints
 * `BENCH-NA packet_rtt no echo peer` and nothing else: bounded, never a hang.  Nothing is
 * printed while a measurement runs (a printed line is a netconsole datagram, a transmit). */
#ifndef EXOLAB_USER_LEGION_PKT_H
#define EXOLAB_USER_LEGION_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "libos.h"
#include "net.h"
#include "printfmt.h"
#include "xstring.h"

#define LEGION_ECHO_PORT 6667 /* netecho=PORT's default: collect.py --echo-port 6667 */
#define PKT_SPORT        6664 /* our end (the netconsole's is 6665) */
#define PKT_N            1000 /* ping-pong datagrams, one in flight */
#define PKT_BURSTS       32   /* bursts of PKT_BURST datagrams */
#define PKT_BURST        8
#define PKT_PAYLOAD      64
#define PKT_PROBES       3
#define PKT_PROBE_NS     1000000000ull         /* each probe's wait for its echo */
#define PKT_WAIT_NS      200000000ull          /* a datagram not echoed within this is lost */
#define PKT_MAX_LOST     8                     /* lost in a row: the peer is gone, stop */
#define PKT_MIN_ECHOES   16                    /* fewer echoes than this: no figures */
#define PKT_EMPTY_MAX    4096                  /* empty receive calls kept */
#define PKT_MAGIC        0x6c6567696f6e706bull /* "legionpk" */

typedef void pkt_out_fn(const char *line);

enum pkt_phase { PKT_IDLE, PKT_PING, PKT_BURSTING };

struct pkt_bench {
	struct net_stack *st;
	uint32_t peer;
	uint16_t port;
	int sock;
	uint64_t empty; /* an empty rdtsc pair */
	uint64_t seq;
	const struct net_driver *real;
	struct net_driver timed;
	enum pkt_phase phase;
	bool hold; /* tx wrapper: keep frames in held[] instead of transmitting */
	unsigned nheld;
	struct net_buf *held[PKT_BURST];
	/* samples, TSC cycles less the empty pair */
	uint64_t rtt[PKT_N], send[PKT_N], recv[PKT_N], tx1[PKT_N], rx1[PKT_N];
	uint64_t txb[PKT_BURSTS], rx0[PKT_EMPTY_MAX];
	unsigned nrtt, nsend, nrecv, ntx1, nrx1, ntxb, nrx0;
	uint64_t burst_rx_cycles, burst_rx_calls, burst_rx_frames;
};

static struct pkt_bench pkt;

static uint64_t
pkt_less(uint64_t d)
{
	return d > pkt.empty ? d - pkt.empty : 0;
}

static void
pkt_add(uint64_t *v, unsigned *n, unsigned cap, uint64_t x)
{
	if (*n < cap)
		v[(*n)++] = x;
}

static unsigned
pkt_rx_timed(struct net_dev *dev, struct net_buf **bufs, unsigned max)
{
	uint64_t t0 = rdtsc();
	unsigned n = pkt.real->rx(dev, bufs, max);
	uint64_t d = pkt_less(rdtsc() - t0);

	if (pkt.phase == PKT_IDLE)
		return n;
	if (n == 0) {
		pkt_add(pkt.rx0, &pkt.nrx0, PKT_EMPTY_MAX, d);
	} else if (pkt.phase == PKT_PING) {
		if (n == 1)
			pkt_add(pkt.rx1, &pkt.nrx1, PKT_N, d);
	} else {
		pkt.burst_rx_cycles += d;
		pkt.burst_rx_calls++;
		pkt.burst_rx_frames += n;
	}
	return n;
}

static unsigned
pkt_tx_timed(struct net_dev *dev, struct net_buf **bufs, unsigned n)
{
	uint64_t t0, d;
	unsigned got;

	if (pkt.hold) { /* the burst's frames, transmitted together by pkt_burst */
		for (got = 0; got < n && pkt.nheld < PKT_BURST; got++)
			pkt.held[pkt.nheld++] = bufs[got];
		return got;
	}
	t0 = rdtsc();
	got = pkt.real->tx(dev, bufs, n);
	d = pkt_less(rdtsc() - t0);
	if (pkt.phase == PKT_PING && n == 1 && got == 1)
		pkt_add(pkt.tx1, &pkt.ntx1, PKT_N, d);
	return got;
}

/* The nearest-rank percentile `pct` of v[0..n) (sorts v; n > 0). */
static uint64_t
pkt_pct(uint64_t *v, unsigned n, unsigned pct)
{
	unsigned rank = (n * pct + 99) / 100;

	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[rank > 0 ? rank - 1 : 0];
}

static int
pkt_send(uint64_t seq)
{
	uint64_t data[PKT_PAYLOAD / 8] = { PKT_MAGIC, seq };

	return net_udp_sendto(pkt.st, pkt.sock, pkt.peer, pkt.port, data, PKT_PAYLOAD);
}

/* Takes the queued datagrams: the number that are our echoes with sequence >= first. */
static unsigned
pkt_take(uint64_t first)
{
	uint64_t data[PKT_PAYLOAD / 8];
	uint32_t src;
	uint16_t sport;
	unsigned n = 0;
	int len;

	while ((len = net_udp_recvfrom(pkt.st, pkt.sock, data, sizeof(data), &src, &sport)) >= 0)
		n += len == PKT_PAYLOAD && src == pkt.peer && sport == pkt.port &&
		     data[0] == PKT_MAGIC && data[1] >= first && data[1] <= pkt.seq;
	return n;
}

/* One datagram out and its echo back, measured: true if it came within PKT_WAIT_NS. */
static bool
pkt_ping(void)
{
	uint64_t seq = ++pkt.seq, end = net_now(pkt.st) + PKT_WAIT_NS, t0, t1, t2;
	unsigned got;

	pkt.phase = PKT_PING;
	t0 = rdtsc();
	if (pkt_send(seq) < 0) {
		pkt.phase = PKT_IDLE;
		return false;
	}
	t1 = rdtsc();
	pkt_add(pkt.send, &pkt.nsend, PKT_N, pkt_less(t1 - t0));
	while (net_now(pkt.st) < end) {
		t1 = rdtsc();
		got = net_poll(pkt.st);
		if (pkt_take(seq) > 0) {
			t2 = rdtsc();
			if (got == 1)
				pkt_add(pkt.recv, &pkt.nrecv, PKT_N, pkt_less(t2 - t1));
			pkt_add(pkt.rtt, &pkt.nrtt, PKT_N, pkt_less(t2 - t0));
			pkt.phase = PKT_IDLE;
			return true;
		}
	}
	pkt.phase = PKT_IDLE;
	return false;
}

/* PKT_BURST datagrams built by the stack, handed to the driver in one transmit call (timed),
 * then, after `gap` TSC cycles for the echoes to land, received (the receive calls timed). */
static void
pkt_burst(uint64_t gap)
{
	uint64_t first = pkt.seq + 1, end, t0, d;
	unsigned n = 0, want;

	pkt.hold = true;
	pkt.nheld = 0;
	for (unsigned i = 0; i < PKT_BURST; i++)
		pkt_send(++pkt.seq);
	pkt.hold = false;
	want = pkt.nheld;
	t0 = rdtsc();
	n = pkt.real->tx(pkt.st->dev, pkt.held, want);
	d = pkt_less(rdtsc() - t0);
	for (unsigned i = n; i < want; i++)
		net_buf_free(pkt.held[i]);
	if (n == PKT_BURST)
		pkt_add(pkt.txb, &pkt.ntxb, PKT_BURSTS, d);
	for (t0 = rdtsc(); rdtsc() - t0 < gap;)
		;
	pkt.phase = PKT_BURSTING;
	for (end = net_now(pkt.st) + PKT_WAIT_NS, n = 0; n < want && net_now(pkt.st) < end;) {
		net_poll(pkt.st);
		n += pkt_take(first);
	}
	pkt.phase = PKT_IDLE;
}

static void
pkt_line(pkt_out_fn *out, const char *name, uint64_t v, const char *unit)
{
	char line[96];

	fmt_snprintf(line, sizeof(line), "BENCH %s %lu %s", name, (unsigned long)v, unit);
	out(line);
}

static void
pkt_report(pkt_out_fn *out)
{
	uint64_t rx0 = pkt.nrx0 ? pkt_pct(pkt.rx0, pkt.nrx0, 50) : 0;

	pkt_line(out, "packet_udp_send", pkt_pct(pkt.send, pkt.nsend, 50), "cycles");
	if (pkt.nrecv)
		pkt_line(out, "packet_udp_recv", pkt_pct(pkt.recv, pkt.nrecv, 50), "cycles");
	if (pkt.ntx1)
		pkt_line(out, "packet_tx_1", pkt_pct(pkt.tx1, pkt.ntx1, 50), "cycles");
	if (pkt.ntxb) {
		pkt_line(out, "packet_tx_burst", pkt_pct(pkt.txb, pkt.ntxb, 50), "cycles");
		pkt_line(out, "packet_burst_frames", PKT_BURST, "frames");
	}
	if (pkt.nrx0)
		pkt_line(out, "packet_rx_empty", rx0, "cycles");
	if (pkt.nrx1)
		pkt_line(out, "packet_rx_1", pkt_pct(pkt.rx1, pkt.nrx1, 50), "cycles");
	if (pkt.burst_rx_frames > 0 && pkt.nrx0) {
		uint64_t base = pkt.burst_rx_calls * rx0, c = pkt.burst_rx_cycles;
		pkt_line(out, "packet_rx_frame", (c > base ? c - base : 0) / pkt.burst_rx_frames,
		         "cycles");
	}
	pkt_line(out, "packet_rtt_p50", pkt_pct(pkt.rtt, pkt.nrtt, 50), "cycles");
	pkt_line(out, "packet_rtt_p99", pkt_pct(pkt.rtt, pkt.nrtt, 99), "cycles");
}

/* The whole measurement on the stack `st` (its device up) against peer:port; `out` prints
 * a result line (and legion records it). */
static void
legion_pkt_bench(struct net_stack *st, uint32_t peer, uint16_t port, pkt_out_fn *out)
{
	char line[160];
	unsigned lost = 0, inrow = 0, probe = 0;
	uint64_t t0 = rdtsc(), t1 = rdtsc(), gap;

	memset(&pkt, 0, sizeof(pkt));
	pkt.st = st;
	pkt.peer = peer;
	pkt.port = port;
	pkt.empty = t1 - t0;
	if ((pkt.sock = net_udp_bind(st, PKT_SPORT)) < 0) {
		fmt_snprintf(line, sizeof(line), "BENCH-NA packet_rtt no socket (%s)",
		             error_name(pkt.sock));
		out(line);
		return;
	}
	pkt.real = st->dev->drv;
	pkt.timed = *pkt.real;
	pkt.timed.rx = pkt_rx_timed;
	pkt.timed.tx = pkt_tx_timed;
	st->dev->drv = &pkt.timed;
	for (probe = 0; probe < PKT_PROBES; probe++) {
		uint64_t end = net_now(st) + PKT_PROBE_NS;
		bool echoed = false;

		pkt_send(++pkt.seq);
		while (!echoed && net_now(st) < end) {
			net_poll(st);
			echoed = pkt_take(pkt.seq) > 0;
		}
		if (echoed)
			break;
	}
	if (probe == PKT_PROBES) {
		out("BENCH-NA packet_rtt no echo peer");
	} else {
		for (unsigned i = 0; i < PKT_N && inrow < PKT_MAX_LOST; i++) {
			bool ok = pkt_ping();
			lost += !ok;
			inrow = ok ? 0 : inrow + 1;
		}
		if (pkt.nrtt >= PKT_MIN_ECHOES) {
			/* the gap: twice the round trip's p99, so a burst's echoes are all there */
			gap = 2 * pkt_pct(pkt.rtt, pkt.nrtt, 99);
			if (gap > libos_envinfo->tsc_hz / 10)
				gap = libos_envinfo->tsc_hz / 10;
			for (unsigned i = 0; i < PKT_BURSTS; i++)
				pkt_burst(gap);
		}
		fmt_snprintf(
		    line, sizeof(line),
		    "legion: packet path: %u echoes of %u datagrams (%u lost), %u bursts of %u",
		    pkt.nrtt, pkt.nrtt + lost, lost, pkt.ntxb, PKT_BURST);
		out(line);
		if (pkt.nrtt < PKT_MIN_ECHOES) {
			fmt_snprintf(line, sizeof(line), "BENCH-NA packet_rtt only %u echoes",
			             pkt.nrtt);
			out(line);
		} else {
			pkt_report(out);
			out("legion: packet_rtt_* include the wire and the echo peer; the other "
			    "packet_* are this machine's software only");
		}
	}
	st->dev->drv = pkt.real;
	net_udp_close(st, pkt.sock);
}

#endif
