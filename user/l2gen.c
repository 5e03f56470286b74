/* l2gen: the generator of the layer-2 forwarding test (docs/l2fwd.md, user/l2fwd.h), spawned
 * by l2fwd with its device capabilities.  On CPU 0 it sends one warm-up frame, then
 * L2_NFRAMES frames in batches of NET_BATCH out of unit 2, each stamped with the TSC just
 * before its transmit, and takes them back on unit 3 through the forwarder.  One batch is in
 * flight at a time (no frame can be lost to a full ring): after a batch it sleeps PACE TSC
 * cycles, so that CPU 0 is idle while the forwarder works (under icount QEMU then runs the
 * forwarder's CPU at once), then polls, sleeping, until the batch is back (bounded).  Every
 * frame must come back exactly once, 60 bytes, with the MAC header rewritten and everything
 * else as sent.  `l2gen busy` is the other env of l2fwd's shared mode: it spins for ever. */
#include <stdint.h>

#include "libos.h"
#include "net_libos.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#include "l2fwd.h"

#define POOL_BUFS 128
#define RING      64
#define PACE      20000ull      /* TSC cycles after each batch (instructions under icount) */
#define STEP      20000ull      /* TSC cycles of each sleep while waiting for frames */
#define BATCH_TSC 2000000000ull /* a batch not back after this is lost */
#define WARM_TSC  8000000000ull /* the first frame's bound */

static struct l2_port ports[2];
static uint8_t seen[L2_NFRAMES];
static uint64_t lost, dups, bad;
static int nfailed;

static void
check(const char *tag, const char *what, long got, long want)
{
	nfailed += got != want;
	printf("l2gen: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

static void
build(uint8_t *f, uint32_t seq, uint16_t flags)
{
	static const uint8_t dst[6] = L2_FWD0_MAC;

	memcpy(f, dst, 6);
	memcpy(f + 6, ports[0].dev.mac, 6);
	f[12] = L2_ETHERTYPE >> 8;
	f[13] = L2_ETHERTYPE & 0xff;
	memcpy(f + L2_OFF_SEQ, &seq, 4);
	memcpy(f + L2_OFF_FLAGS, &flags, 2);
	for (unsigned i = L2_OFF_FILL; i < L2_FRAME_LEN; i++)
		f[i] = l2_fill(seq, i);
}

/* Sends frames seq .. seq + n - 1 in one net_tx, each stamped last thing before it. */
static unsigned
send_batch(uint32_t seq, unsigned n, uint16_t flags)
{
	struct net_buf *bufs[NET_BATCH];
	unsigned k = 0, sent;

	for (; k < n && (bufs[k] = net_buf_alloc(&ports[0].pool)) != NULL; k++) {
		build(bufs[k]->data, seq + k, flags);
		bufs[k]->len = L2_FRAME_LEN;
	}
	for (unsigned i = 0; i < k; i++) {
		uint64_t now = rdtsc();
		memcpy(bufs[i]->data + L2_OFF_STAMP, &now, 8);
	}
	sent = net_tx(&ports[0].dev, bufs, k);
	for (unsigned i = sent; i < k; i++)
		net_buf_free(bufs[i]);
	return sent;
}

/* One frame back: the rewritten header, then the rest as build() made it. */
static void
take(const struct net_buf *b)
{
	static const uint8_t dst[6] = L2_GEN1_MAC, src[6] = L2_FWD1_MAC;
	const uint8_t *f = b->data;
	uint32_t seq = l2_get32(f + L2_OFF_SEQ);
	uint16_t flags = l2_get16(f + L2_OFF_FLAGS);
	int ok = b->len == L2_FRAME_LEN && memcmp(f, dst, 6) == 0 && memcmp(f + 6, src, 6) == 0 &&
	         f[12] == (L2_ETHERTYPE >> 8) && f[13] == (L2_ETHERTYPE & 0xff);

	for (unsigned i = L2_OFF_FILL; ok && i < L2_FRAME_LEN; i++)
		ok = f[i] == l2_fill(seq, i);
	if (!ok || flags > L2_FLAG_WARM || (!flags && seq >= L2_NFRAMES)) {
		bad++;
		return;
	}
	if (flags == L2_FLAG_WARM)
		return;
	if (seen[seq]++)
		dups++;
}

/* Takes frames on unit 3 until `want` came back or the TSC passed `end`: the count.  It
 * sleeps STEP cycles whenever the ring is empty: an idle CPU 0 lets the forwarder's CPU run
 * (under icount QEMU runs one CPU at a time) and lets QEMU's virtual clock pass. */
static unsigned
collect(unsigned want, uint64_t end)
{
	struct net_buf *bufs[NET_BATCH];
	unsigned got = 0;

	while (got < want) {
		unsigned k = net_rx(&ports[1].dev, bufs, NET_BATCH);

		for (unsigned j = 0; j < k; j++) {
			take(bufs[j]);
			net_buf_free(bufs[j]);
		}
		got += k;
		if (k == 0 && rdtsc() >= end)
			break;
		if (k == 0)
			sys_sleep_until(rdtsc() + STEP, 0);
	}
	return got;
}

static void
generate(void)
{
	uint32_t seq = 0;

	check("warm", "first frame sent", send_batch(0, 1, L2_FLAG_WARM), 1);
	/* QEMU's e1000 takes nothing for a second (of its virtual clock) after RCTL is written. */
	check("warm", "first frame back", collect(1, rdtsc() + WARM_TSC), 1);
	while (seq < L2_NFRAMES) {
		unsigned n = send_batch(seq, NET_BATCH, 0), back;

		sys_sleep_until(rdtsc() + PACE, 0);
		back = collect(n, rdtsc() + BATCH_TSC);
		lost += n - back;
		if (n == 0 || back != n)
			break;
		seq += n;
	}
	check("run", "frames sent", seq, L2_NFRAMES);
	check("run", "frames lost", (long)lost, 0);
	check("run", "frames duplicated", (long)dups, 0);
	check("run", "frames changed beyond the MAC header", (long)bad, 0);
	for (uint32_t s = 0; s < L2_NFRAMES; s++)
		lost += !seen[s];
	check("run", "frames never seen", (long)lost, 0);
	check("stop", "stop frame sent", send_batch(seq, 1, L2_FLAG_STOP), 1);
}

static __attribute__((noreturn)) void
busy(void)
{
	for (;;)
		__asm__ volatile("pause");
}

static void
pin_cpu0(void)
{
	struct abi_sched_params p = {
		.priority = 32, .tickets = 100, .period = 100000000, .budget = 10000000
	};

	if (sys_env_set_sched(ABI_SLOT_SELF, &p, 1) < 0)
		panic("cannot pin to cpu 0");
}

int
main(int argc, char **argv)
{
	static const uint8_t mac0[6] = L2_GEN0_MAC, mac1[6] = L2_GEN1_MAC;
	int r0, r1;

	if (argc > 1 && strcmp(argv[1], "busy") == 0)
		busy();
	pin_cpu0();
	check("init", "port 2 up", r0 = l2_port_up(&ports[0], 2, mac0, POOL_BUFS, RING), 0);
	check("init", "port 3 up", r1 = l2_port_up(&ports[1], 3, mac1, POOL_BUFS, RING), 0);
	if (r0 == 0 && r1 == 0)
		generate();
	for (unsigned u = 0; u < 2; u++) {
		if (ports[u].dev.drv != NULL)
			ports[u].dev.drv->fini(&ports[u].dev);
		net_pool_fini(&ports[u].pool);
		net_libos_detach(&ports[u].lo);
	}
	printf("l2gen: %d checks failed\n", nfailed);
	return nfailed != 0;
}
