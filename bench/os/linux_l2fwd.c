/* bench-linux-l2fwd: the Linux side of issue 15's forwarding figure (ExoLab's is `make
 * bench-fastpath`, user/l2fwd.c).  Runs as the only program of a busybox initramfs
 * (bench/linux/mkinitramfs.py, with e1000.ko) on the machine bench-fastpath gives ExoLab: two
 * CPUs, four e1000s on two QEMU hubs (grade/l2fwdtests.py).  The kernel line isolates CPU 1
 * the way Linux can (isolcpus, nohz_full, rcu_nocbs, irqaffinity=0): the closest Linux has to
 * an owned core.  bench-linux-l2fwd runs it without icount (Linux does not start CPU 1 under
 * icount: bench/linux/README.md) and takes its figures from the l2count plugin, which sees
 * the calls to the l2mark slots below; the program's own rdtsc figures (the L2FWD lines) are
 * then host cycles, and would be instructions under -icount shift=0.
 *
 * The forwarder (CPU 1) is the AF_PACKET equivalent of l2fwd's loop: it busy-polls
 * recvmmsg(MSG_DONTWAIT) for up to 32 frames on port 0, takes one rdtsc, records each frame's
 * latency (now - the generator's stamp), rewrites the MAC header as l2fwd does (destination
 * 02:00:00:00:00:01, source port 1's address) and sends the batch with one sendmmsg on port 1.
 * Per full batch of 32 it times recvmmsg through sendmmsg; the figure is the least full batch
 * / 32 (the undisturbed path, as bench-fastpath's `pkt`) and the mean.  The generator (CPU 0)
 * sends L2_NFRAMES frames in batches of 32 with one batch in flight, checks each one that
 * comes back on port 3 (sequence, flags, fill, the rewritten header) and stops the forwarder
 * with a stop frame.  Output: `L2FWD <name> <value>` lines and `l2fwd-linux: done, N failed`.
 *
 * Frame layout and addresses are user/l2fwd.h's (copied as numbers: that header needs the
 * ExoLab LibOS). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FRAME_LEN  60
#define ETHERTYPE  0x88b5
#define OFF_SEQ    14
#define OFF_FLAGS  18
#define OFF_STAMP  20
#define OFF_FILL   28
#define FLAG_WARM  1
#define FLAG_STOP  2
#define NFRAMES    2048
#define BATCH      32
#define NPORTS     4
#define WARM_TRIES 100 /* warm-up frames sent, 100 ms of poll apart, until one comes back */

static const uint8_t macs[NPORTS][6] = {
	{ 0x52, 0x54, 0x00, 0xf0, 0x00, 0x00 }, /* 0: forwarder in */
	{ 0x52, 0x54, 0x00, 0xf0, 0x00, 0x01 }, /* 1: forwarder out */
	{ 0x52, 0x54, 0x00, 0xe0, 0x00, 0x00 }, /* 2: generator out, hub 0 */
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }, /* 3: generator in, hub 1 */
};
static int ifindex[NPORTS];

/* Shared with the forwarder: its latencies and batch costs, read after it exits. */
struct results {
	uint64_t lat[NFRAMES];
	uint64_t nlat, batches, full, win_sum, sum_frames, full_min, rxtx_min, forwarded, dropped;
	uint64_t irqs;
};
static struct results *res;
static int failed;

/* Marker slots for bench/linux/l2count.c (the QEMU plugin that counts instructions when the
 * run is not under icount): 68 slots of 16 bytes, each a `ret`; calling slot k tells the
 * plugin event k (a call and a ret: 2 instructions).  0: the forwarder is about to poll,
 * 1: it has sent its batch, 2 + n: it received n frames, 35 + n: the generator stamped n. */
__asm__(".text\n.globl l2mark\n.balign 16\nl2mark:\n.rept 68\nret\n.balign 16\n.endr\n");
void l2mark(void);
#define MARK_START 0
#define MARK_END   1
#define MARK_RX    2
#define MARK_TX    35

static inline void
mark(unsigned slot)
{
	((void (*)(void))((uintptr_t)l2mark + 16u * slot))();
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void
check(const char *what, int ok)
{
	printf("l2fwd-linux: %s %s\n", what, ok ? "OK" : "FAIL");
	failed += !ok;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("l2fwd-linux: sched_setaffinity");
}

/* Finds each port's interface by its MAC address and brings it up, promiscuous. */
static int
find_ports(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int s = socket(AF_INET, SOCK_DGRAM, 0), found = 0;

	for (i = ifs; i != NULL && i->if_index != 0; i++) {
		struct ifreq r;

		memset(&r, 0, sizeof(r));
		snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", i->if_name);
		if (ioctl(s, SIOCGIFHWADDR, &r) != 0)
			continue;
		for (int p = 0; p < NPORTS; p++) {
			if (memcmp(r.ifr_hwaddr.sa_data, macs[p], 6) != 0)
				continue;
			ifindex[p] = (int)i->if_index;
			found++;
			if (ioctl(s, SIOCGIFFLAGS, &r) == 0) {
				r.ifr_flags |= IFF_UP | IFF_PROMISC;
				if (ioctl(s, SIOCSIFFLAGS, &r) != 0)
					perror("l2fwd-linux: SIOCSIFFLAGS");
			}
		}
	}
	if_freenameindex(ifs);
	close(s);
	return found;
}

/* An AF_PACKET socket for the test's EtherType on port p. */
static int
port_socket(int p)
{
	struct sockaddr_ll a;
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE));

	if (s < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(ETHERTYPE);
	a.sll_ifindex = ifindex[p];
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

static uint8_t
fill_byte(uint32_t seq, unsigned i)
{
	return (uint8_t)(seq * 31u + i * 7u);
}

static void
make_frame(uint8_t *f, uint32_t seq, uint16_t flags)
{
	memcpy(f, macs[0], 6);
	memcpy(f + 6, macs[2], 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	memcpy(f + OFF_SEQ, &seq, 4);
	memcpy(f + OFF_FLAGS, &flags, 2);
	for (unsigned i = OFF_FILL; i < FRAME_LEN; i++)
		f[i] = fill_byte(seq, i);
}

/* A frame back on port 3: the forwarder's header, and the rest as sent. */
static int
frame_ok(const uint8_t *f, ssize_t len, uint32_t seq)
{
	uint32_t got;

	if (len < FRAME_LEN || memcmp(f, macs[3], 6) != 0 || memcmp(f + 6, macs[1], 6) != 0)
		return 0;
	memcpy(&got, f + OFF_SEQ, 4);
	if (got != seq)
		return 0;
	for (unsigned i = OFF_FILL; i < FRAME_LEN; i++)
		if (f[i] != fill_byte(seq, i))
			return 0;
	return 1;
}

/* CPU 1's column of /proc/interrupts (every kind: device, timer, IPIs), per line; the
 * generator reads it on CPU 0 around the measured frames.  Returns the sum. */
#define IRQ_LINES 64
struct irq_snap {
	char name[IRQ_LINES][16];
	uint64_t count[IRQ_LINES];
	int n;
};

static uint64_t
cpu1_interrupts(struct irq_snap *snap)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	uint64_t sum = 0;

	snap->n = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':'), *end, *name = line;
		unsigned long long c1;

		if (colon == NULL)
			continue;
		(void)strtoull(colon + 1, &end, 10);
		if (end == colon + 1)
			continue;
		c1 = strtoull(end, &end, 10);
		sum += c1;
		if (snap->n == IRQ_LINES)
			continue;
		*colon = '\0';
		while (*name == ' ')
			name++;
		snprintf(snap->name[snap->n], sizeof(snap->name[0]), "%.15s", name);
		snap->count[snap->n++] = c1;
	}
	fclose(f);
	return sum;
}

/* `IRQ1 <line> <count>` for each /proc/interrupts line whose CPU 1 count changed. */
static void
print_irq_delta(const struct irq_snap *a, const struct irq_snap *b)
{
	for (int i = 0; i < a->n && i < b->n; i++)
		if (b->count[i] != a->count[i] && strcmp(a->name[i], b->name[i]) == 0)
			printf("IRQ1 %s %lu\n", b->name[i],
			       (unsigned long)(b->count[i] - a->count[i]));
}

static void
forward_init(struct mmsghdr *msg, struct iovec *iov, uint8_t (*bufs)[2048])
{
	memset(msg, 0, sizeof(*msg) * BATCH);
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
}

/* One received batch: latencies, the MAC rewrite; returns how many to send (the stop frame
 * and what follows it are not), *stop set when the stop frame came. */
static int
forward_batch(struct mmsghdr *msg, struct iovec *iov, int n, uint64_t now, int *stop)
{
	for (int i = 0; i < n; i++) {
		uint8_t *f = iov[i].iov_base;
		uint16_t flags;
		uint64_t stamp;

		memcpy(&flags, f + OFF_FLAGS, 2);
		if (flags & FLAG_STOP) {
			*stop = 1;
			return i;
		}
		memcpy(&stamp, f + OFF_STAMP, 8);
		if (!(flags & FLAG_WARM) && res->nlat < NFRAMES)
			res->lat[res->nlat++] = now - stamp;
		memcpy(f, macs[3], 6);
		memcpy(f + 6, macs[1], 6);
		iov[i].iov_len = msg[i].msg_len;
	}
	return n;
}

/* CPU 1: busy-polls port 0, forwards to port 1, until the stop frame. */
static int
forwarder(void)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	int rx = port_socket(0), tx = port_socket(1), stop = 0;

	if (rx < 0 || tx < 0)
		return 1;
	while (!stop) {
		uint64_t t0, t1, t2, t3;
		int n, m, sent;

		forward_init(msg, iov, bufs);
		mark(MARK_START);
		t0 = rdtsc();
		n = recvmmsg(rx, msg, BATCH, MSG_DONTWAIT, NULL);
		t1 = rdtsc();
		if (n <= 0)
			continue;
		mark(MARK_RX + (unsigned)n);
		m = forward_batch(msg, iov, n, t1, &stop);
		t2 = rdtsc();
		sent = m > 0 ? sendmmsg(tx, msg, (unsigned)m, 0) : 0;
		t3 = rdtsc();
		mark(MARK_END);
		sent = sent < 0 ? 0 : sent;
		res->forwarded += (uint64_t)sent;
		res->dropped += (uint64_t)(m - sent);
		if (res->nlat == 0 || stop)
			continue; /* warm-up, or the stop frame's batch: not measured */
		res->batches++;
		res->win_sum += t3 - t0;
		res->sum_frames += (uint64_t)m;
		if (m == BATCH) {
			res->full++;
			if (t3 - t0 < res->full_min)
				res->full_min = t3 - t0;
			if (t1 - t0 + t3 - t2 < res->rxtx_min)
				res->rxtx_min = t1 - t0 + t3 - t2;
		}
	}
	return 0;
}

/* Sends the batch (each frame stamped just before the transmit) and takes it back on port
 * 3, in order; returns the frames that came back right. */
static int
gen_batch(int tx, int rx, uint32_t seq0, int n, uint16_t flags)
{
	static uint8_t out[BATCH][FRAME_LEN], in[BATCH][2048];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint64_t stamp;
	int got = 0, good = 0;

	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < n; i++) {
		make_frame(out[i], seq0 + (uint32_t)i, flags);
		iov[i].iov_base = out[i];
		iov[i].iov_len = FRAME_LEN;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	stamp = rdtsc();
	mark(MARK_TX + (unsigned)n);
	for (int i = 0; i < n; i++)
		memcpy(out[i] + OFF_STAMP, &stamp, 8);
	if (sendmmsg(tx, msg, (unsigned)n, 0) != n)
		return 0;
	if (flags & FLAG_STOP)
		return n;
	while (got < n) {
		struct pollfd p = { rx, POLLIN, 0 };
		int k;

		if (poll(&p, 1, 1000) <= 0)
			break;
		forward_init(msg, iov, in);
		k = recvmmsg(rx, msg, (unsigned)(n - got), MSG_DONTWAIT, NULL);
		for (int i = 0; i < k; i++) {
			uint16_t f;

			memcpy(&f, in[i] + OFF_FLAGS, 2);
			if ((f & FLAG_WARM) && !(flags & FLAG_WARM))
				continue; /* a warm-up try's frame that came back late */
			good += frame_ok(in[i], msg[i].msg_len, seq0 + (uint32_t)got);
			got++;
		}
	}
	return good;
}

/* CPU 0: the warm-up (links come up: retried), NFRAMES frames, then the stop frame. */
static void
generator(void)
{
	int tx = port_socket(2), rx = port_socket(3), warm = 0, good = 0;
	static struct irq_snap snap[2];
	uint64_t irq0;

	check("generator sockets on ports 2 and 3", tx >= 0 && rx >= 0);
	if (tx < 0 || rx < 0)
		return;
	for (int t = 0; t < WARM_TRIES && !warm; t++)
		warm = gen_batch(tx, rx, 0, 1, FLAG_WARM) == 1;
	check("a warm-up frame came back through the forwarder", warm);
	irq0 = cpu1_interrupts(&snap[0]); /* every CPU's column is in /proc/interrupts */
	for (uint32_t seq = 1; warm && seq <= NFRAMES; seq += BATCH)
		good += gen_batch(tx, rx, seq, BATCH, 0);
	res->irqs = cpu1_interrupts(&snap[1]) - irq0;
	print_irq_delta(&snap[0], &snap[1]);
	printf("l2fwd-linux: %d of %d frames came back once, in order, rewritten\n", good, NFRAMES);
	check("every frame forwarded once, unmodified but for the MAC header", good == NFRAMES);
	gen_batch(tx, rx, NFRAMES + 1, 1, FLAG_STOP);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The latency at per-mille q: the smallest value with at least q/1000 of the samples <= it. */
static uint64_t
pct(uint64_t q)
{
	uint64_t i = (res->nlat * q + 999) / 1000;

	return res->lat[i > 0 ? i - 1 : 0];
}

static void
report(void)
{
	check("latencies recorded for every frame", res->nlat == NFRAMES);
	check("at least one full batch of 32", res->full > 0);
	if (res->nlat == 0 || res->full == 0 || res->sum_frames == 0)
		return;
	qsort(res->lat, res->nlat, sizeof(res->lat[0]), cmp_u64);
	printf("L2FWD pkt %lu\n", (unsigned long)(res->full_min / BATCH));
	printf("L2FWD pkt_mean %lu\n", (unsigned long)(res->win_sum / res->sum_frames));
	printf("L2FWD rxtx_pkt %lu\n", (unsigned long)(res->rxtx_min / BATCH));
	printf("L2FWD lat_p50 %lu\n", (unsigned long)pct(500));
	printf("L2FWD lat_p99 %lu\n", (unsigned long)pct(990));
	printf("L2FWD lat_p999 %lu\n", (unsigned long)pct(999));
	printf("L2FWD lat_max %lu\n", (unsigned long)res->lat[res->nlat - 1]);
	printf("L2FWD irqs %lu\n", (unsigned long)res->irqs);
	printf("L2FWD batches %lu\n", (unsigned long)res->batches);
	printf("L2FWD full_batches %lu\n", (unsigned long)res->full);
	printf("L2FWD dropped %lu\n", (unsigned long)res->dropped);
}

/* With `maxcpus=1` on the kernel line CPU 1 is brought up here, by CPU hotplug, instead of
 * at boot (bench/linux/README.md: Linux's boot-time bring-up stalls under icount). */
static void
cpu1_online(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/cpu1/online", "r+");
	int c;

	if (f == NULL)
		return;
	c = fgetc(f);
	if (c == '0') {
		rewind(f);
		fputs("1\n", f);
		printf("l2fwd-linux: CPU 1 brought online\n");
	}
	fclose(f);
}

int
main(void)
{
	pid_t fwd;
	int st = 0, found = find_ports();

	setvbuf(stdout, NULL, _IOLBF, 0);
	cpu1_online();
	check("four e1000 ports found by their MAC addresses", found == NPORTS);
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (found != NPORTS || res == MAP_FAILED) {
		printf("l2fwd-linux: done, %d failed\n", failed + (res == MAP_FAILED));
		return 1;
	}
	res->full_min = res->rxtx_min = UINT64_MAX;
	fwd = fork();
	if (fwd == 0) {
		pin(1);
		_exit(forwarder());
	}
	pin(0);
	generator();
	check("the forwarder ended cleanly",
	      waitpid(fwd, &st, 0) == fwd && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	report();
	printf("l2fwd-linux: done, %d failed\n", failed);
	return 0;
}
