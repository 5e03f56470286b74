/* nvmetest: the portable NVMe driver (lib/drivers/nvme) running on QEMU's controller through
 * the LibOS ops (lib/user/nvme_ops.c), polled, then in interrupt mode with INTx, then with
 * MSI-X (issue 12 items 5 and 8; the interrupt runs also check that interrupts came).  Run as init
 * (`init=nvmetest`: only init holds device capabilities) by grade/nvmetests.py, which makes the
 * disk image: block b holds the 32-bit little-endian words b * PRE_MUL + j, so a block never
 * written has known contents.  Writes seeded patterns to blocks across the whole disk (first, last
 * and pseudo-random between), reads them back and compares checksums; transfers of 3 and 8 pages
 * (PRP lists, NVMe 1.4 §4.3); a read beyond the namespace fails with its decoded status and the
 * next I/O works; Flush; refused arguments; no leak.  One line per check: `nvmetest: TAG: what = N
 * OK|FAIL`.  With tests=bench it measures instead the software path of a 4 KiB read at queue depth
 * 1 and 32, polled, and at depth 1 with MSI-X (see bench_read4k, bench_qd32, bench_irq_read4k). */
#include <stdint.h>

#include "abi/cap.h"
#include "abi/dev.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PRE_MUL      0x9e3779b1u /* the image's pre-filled pattern (grade/nvmetests.py) */
#define NRANDOM      14          /* pseudo-random blocks between the first and the last */
#define PAGE         4096u
#define BENCH_N      32 /* measured reads, after BENCH_WARM unmeasured ones */
#define BENCH_WARM   4
#define BENCH_ROUNDS 8 /* depth-32 rounds measured, after BENCH_WARM */
#define QD           32
#define BENCH_DEPTH  (QD + 1) /* a queue holds depth - 1 commands */
#define BUF_PAGES    8

static struct nvme_libos lo;
static struct nvme_ops ops;
static struct nvme_ctrl ctrl;
static struct nvme_dma buf; /* BUF_PAGES pages for every transfer */
/* Every call of ops.wait is a poll that found nothing (nvme_io, admin commands, CSTS.RDY):
 * counted here in both modes, then passed on (polled: nothing, busy polling goes on). */
static void (*inner_wait)(void *ctx, uint64_t deadline_ns);
static uint64_t empty_polls;

static void
counted_wait(void *ctx, uint64_t deadline_ns)
{
	empty_polls++;
	if (inner_wait != NULL)
		inner_wait(ctx, deadline_ns);
}

static void
check(const char *tag, const char *what, long got, long want)
{
	printf("nvmetest: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

/* FNV-1a, 64-bit. */
static uint64_t
checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* xorshift64: the seeded patterns and the pseudo-random block numbers. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
fill_seeded(void *p, size_t len, uint64_t seed)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dull + 1, *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = next_rand(&s);
}

static int
io(uint8_t op, uint64_t lba, uint32_t nblocks, uint16_t *status)
{
	struct nvme_req rq = { op, lba, nblocks, buf.pa, NULL };

	return nvme_io(&ctrl.ioq[0], &rq, status);
}

/* Writes a pattern seeded by its block number to `nblocks` at lba, clears the buffer, reads
 * them back: 1 if the checksums match, else 0 (an I/O error: its code). */
static long
write_read(uint64_t lba, uint32_t nblocks)
{
	size_t len = (size_t)nblocks * ctrl.lba_size;
	uint64_t want;
	int r;

	fill_seeded(buf.va, len, lba);
	want = checksum(buf.va, len);
	if ((r = io(NVME_OP_WRITE, lba, nblocks, NULL)) < 0)
		return r;
	memset(buf.va, 0, len);
	if ((r = io(NVME_OP_READ, lba, nblocks, NULL)) < 0)
		return r;
	return checksum(buf.va, len) == want;
}

/* Reads back the blocks write_read wrote earlier: 1 if each still holds its pattern. */
static long
read_back(uint64_t lba)
{
	uint8_t *want = (uint8_t *)buf.va + ctrl.lba_size;
	int r;

	fill_seeded(want, ctrl.lba_size, lba);
	memset(buf.va, 0, ctrl.lba_size);
	if ((r = io(NVME_OP_READ, lba, 1, NULL)) < 0)
		return r;
	return checksum(buf.va, ctrl.lba_size) == checksum(want, ctrl.lba_size);
}

/* The block grade/nvmetests.py filled and nothing writes: 1 if it holds the image's pattern. */
static long
read_prefilled(uint64_t lba)
{
	uint32_t *w = buf.va;
	int r;

	memset(buf.va, 0, ctrl.lba_size);
	if ((r = io(NVME_OP_READ, lba, 1, NULL)) < 0)
		return r;
	for (unsigned j = 0; j < ctrl.lba_size / 4; j++)
		if (w[j] != (uint32_t)lba * PRE_MUL + j)
			return 0;
	return 1;
}

/* Blocks 0 and nsze - 1 and NRANDOM distinct ones between, none equal to `skip`. */
static void
pick_blocks(uint64_t *lbas, uint64_t skip)
{
	uint64_t s = 12345;
	unsigned n = 2;

	lbas[0] = 0;
	lbas[1] = ctrl.nsze - 1;
	while (n < NRANDOM + 2) {
		uint64_t b = 1 + next_rand(&s) % (ctrl.nsze - 2);
		bool dup = b == skip || b == skip + 1;
		for (unsigned i = 0; i < n; i++)
			dup |= lbas[i] == b;
		if (!dup)
			lbas[n++] = b;
	}
}

static void
spread_cases(uint64_t untouched)
{
	uint64_t lbas[NRANDOM + 2];
	long ok = 0, back = 0;

	pick_blocks(lbas, untouched);
	for (unsigned i = 0; i < NRANDOM + 2; i++)
		ok += write_read(lbas[i], 1) == 1;
	check("spread", "blocks first, last, 14 random: written and read back equal", ok,
	      NRANDOM + 2);
	for (unsigned i = 0; i < NRANDOM + 2; i++)
		back += read_back(lbas[i]) == 1;
	check("spread", "all still equal after the others were written", back, NRANDOM + 2);
	check("spread", "a block never written holds the image's pattern",
	      read_prefilled(untouched), 1);
	check("spread", "so does the next one", read_prefilled(untouched + 1), 1);
}

/* Transfers over two pages: PRP2 points at a list of the pages after the first (§4.3). */
static void
multipage_cases(void)
{
	uint32_t per_page = PAGE / ctrl.lba_size;

	check("prp", "3 pages (a PRP list of 2) at block 64", write_read(64, 3 * per_page), 1);
	check("prp", "8 pages (a PRP list of 7) at the end",
	      write_read(ctrl.nsze - 8 * per_page, 8 * per_page), 1);
	check("prp", "the 3 pages' first block reads back alone", read_back(64), 1);
}

/* §4.6.1.2.1 Generic status 80h LBA Out of Range; the driver reports it and goes on. */
static void
error_cases(void)
{
	uint16_t st = 0;
	int r = io(NVME_OP_READ, ctrl.nsze, 1, &st);

	printf("nvmetest: read at block %lu (the namespace's size): %s (SCT %u SC 0x%02x), "
	       "error %d\n",
	       (unsigned long)ctrl.nsze, nvme_status_name(st), NVME_SF_SCT(st), NVME_SF_SC(st), r);
	/* The controller also sets DNR (bit 14): retrying cannot succeed. */
	check("error", "read beyond the namespace: SCT/SC", st & 0x7ff, NVME_SF(0, 0x80));
	check("error", "with Do Not Retry", NVME_SF_DNR(st), 1);
	check("error", "its error code", r, nvme_status_err(st));
	st = 0;
	r = io(NVME_OP_WRITE, ctrl.nsze - 1, 2, &st);
	printf("nvmetest: write across the end: %s\n", nvme_status_name(st));
	check("error", "write across the end: SCT/SC", st & 0x7ff, NVME_SF(0, 0x80));
	check("error", "the next I/O works", read_back(0), 1);
	check("error", "flush", io(NVME_OP_FLUSH, 0, 0, NULL), 0);
	check("error", "the driver counted 2 errors", (long)ctrl.stats.errors, 2);
}

static void
bad_input_cases(void)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_req rq = { NVME_OP_READ, 0, 1, buf.pa, NULL };
	static struct nvme_ctrl c2;
	static struct nvme_libos l2;
	struct nvme_dma d;
	struct nvme_ops o2;

	rq.nblocks = 0;
	check("bad", "read of 0 blocks", nvme_submit(qp, &rq, 1), E_INVAL);
	rq.nblocks = ctrl.max_xfer / ctrl.lba_size + 1;
	check("bad", "read over the largest transfer", nvme_submit(qp, &rq, 1), E_INVAL);
	rq.nblocks = 1;
	rq.buf_pa = buf.pa + 2;
	check("bad", "buffer not dword aligned", nvme_submit(qp, &rq, 1), E_INVAL);
	rq.buf_pa = buf.pa;
	rq.op = 0x7f;
	check("bad", "unknown opcode", nvme_submit(qp, &rq, 1), E_INVAL);
	check("bad", "no command left in flight", (long)qp->inflight, 0);
	check("bad", "dma_alloc of 0 bytes", nvme_libos_dma_alloc(&lo, 0, &d), E_INVAL);
	check("bad", "dma_alloc over the contiguous limit",
	      nvme_libos_dma_alloc(&lo, (NVME_LIBOS_CONTIG_MAX + 1) * PAGE, &d), E_INVAL);
	check("bad", "nvme_init of depth 1", nvme_init(&c2, &ops, 1, 1), E_INVAL);
	check("bad", "nvme_init of 5 queue pairs", nvme_init(&c2, &ops, 5, 2), E_INVAL);
	check("bad", "open the env cap as a device", nvme_libos_open(&l2, ABI_SLOT_SELF, &o2),
	      E_INVAL);
	check("bad", "the I/O queue still works", read_back(0), 1);
}

/* Waits for the entry k places past the CQ head to carry its phase tag, inverted past the
 * queue's end (§4.6): the device's time.  The device fills the slots in order. */
static void
wait_phase(struct nvme_qpair *qp, unsigned k)
{
	unsigned slot = (qp->cq_head + k) % qp->depth;
	uint32_t want = slot < qp->cq_head ? !qp->phase : qp->phase;
	volatile uint32_t *e = (volatile uint32_t *)qp->cq.va + 4u * slot;

	while (((e[3] >> 16) & 1) != want)
		;
}

/* Under qemu -icount shift=0 the TSC counts instructions: nvme_submit (entry, PRPs, doorbell)
 * plus nvme_poll once the phase tag flipped (entry, CQ head doorbell, the slot), less an
 * empty rdtsc pair each. */
static void
bench_read4k(void)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_req rq = { NVME_OP_READ, 0, PAGE / ctrl.lba_size, buf.pa, NULL };
	struct nvme_done d;
	uint64_t sub = 0, comp = 0, t0, t1, t2, t3, empty;
	int bad = 0;

	t0 = rdtsc();
	empty = rdtsc() - t0;
	for (unsigned i = 0; i < BENCH_WARM + BENCH_N; i++) {
		rq.lba = (i * 8u) % (ctrl.nsze - 8);
		t0 = rdtsc();
		bad |= nvme_submit(qp, &rq, 1) != 1;
		t1 = rdtsc();
		wait_phase(qp, 0);
		t2 = rdtsc();
		bad |= nvme_poll(qp, &d, 1) != 1 || d.err != 0;
		t3 = rdtsc();
		if (i >= BENCH_WARM) {
			sub += t1 - t0 - empty;
			comp += t3 - t2 - empty;
		}
	}
	if (bad)
		printf("nvmetest: bench: an I/O failed FAIL\n");
	else
		printf("BENCH nvme_read4k_submit %lu instructions\n"
		       "BENCH nvme_read4k_complete %lu instructions\n"
		       "BENCH nvme_read4k_sw %lu instructions\n",
		       (unsigned long)(sub / BENCH_N), (unsigned long)(comp / BENCH_N),
		       (unsigned long)((sub + comp) / BENCH_N));
}

/* Interrupt mode: a notification in a fresh slot, bound to the controller's interrupt of
 * `kind` alone (no fallback: the MSI-X run must not quietly use INTx). */
static int
bind_irq(uint64_t *nslot, unsigned kind)
{
	long s = slot_alloc(), r;

	if (s < 0)
		return (int)s;
	*nslot = (uint64_t)s;
	check("irq", "a notification", r = sys_notify_alloc(ABI_SLOT_UNTYPED, *nslot, CAP_R_ALL),
	      0);
	if (r == 0)
		check("irq", "bind the controller's interrupt to it",
		      r = nvme_libos_irq_bind(&lo, *nslot, 1, kind, &ops), 0);
	if (r == 0)
		check("irq", "the kind bound is the kind asked", lo.kind, kind);
	return (int)r;
}

/* Polls nslot until a notification is posted and signals its word back for the next poll
 * to take: the polls that found nothing.  A lost interrupt fails after 4e9 instructions. */
static unsigned
await_irq(uint64_t nslot, int *bad)
{
	uint64_t word = 0, deadline = rdtsc() + 4000000000ull;
	unsigned n = 0;

	while (sys_notify_poll(nslot, &word) == E_AGAIN && rdtsc() < deadline)
		n++;
	*bad |= word == 0 || sys_notify_signal(nslot, word) != 0;
	return n;
}

/* QD1 in MSI-X mode: nvme_submit, notify_poll taking the notification, nvme_poll and
 * irq_ack_msi, without the interrupt's delivery: QEMU's NVMe model posts a completion from a
 * main-loop bottom half (entry by DMA, then msix_notify: hw/nvme/ctrl.c nvme_post_cqes) while
 * the vCPU runs on, so even under icount the delivery lands inside nvme_submit, after the
 * spin or between, by host timing.  So a first read's interrupt stays unacked (the vector
 * masked since delivery): the measured read's message waits in the device (PCI 3.0 §6.8.2.9)
 * until that ack after the spin.  Median of the I/Os with no notification after their ack. */
static void
bench_irq_read4k(uint64_t nslot)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_req rq = { NVME_OP_READ, 0, PAGE / ctrl.lba_size, buf.pa, NULL };
	struct nvme_done d = { 0 };
	uint64_t each[BENCH_N], word = 0, t0, t1, t2, t3, empty;
	unsigned nm = 0, late = 0, extra = 0, n;
	int bad = 0;

	(void)sys_irq_ack_msi(lo.dev, NVME_LIBOS_MSIX_WHICH); /* nvme_init's last, if unacked */
	t0 = rdtsc();
	empty = rdtsc() - t0;
	for (unsigned i = 0; i < BENCH_WARM + BENCH_N && !bad; i++) {
		rq.lba = (i * 16u) % (ctrl.nsze - 16);
		bad |= nvme_submit(qp, &rq, 1) != 1;
		wait_phase(qp, 0);
		(void)await_irq(nslot, &bad);
		bad |= sys_notify_poll(nslot, &word) != 0 || nvme_poll(qp, &d, 1) != 1 || d.err;
		rq.lba += 8;
		t0 = rdtsc();
		bad |= nvme_submit(qp, &rq, 1) != 1;
		t1 = rdtsc();
		wait_phase(qp, 0);
		bad |= sys_irq_ack_msi(lo.dev, NVME_LIBOS_MSIX_WHICH) != 0; /* the first read's */
		late += await_irq(nslot, &bad) > 0 && i >= BENCH_WARM;
		t2 = rdtsc();
		bad |= sys_notify_poll(nslot, &word) != 0 || nvme_poll(qp, &d, 1) != 1 || d.err;
		bad |= sys_irq_ack_msi(lo.dev, NVME_LIBOS_MSIX_WHICH) != 0;
		t3 = rdtsc();
		for (n = 0; n < 16 && sys_notify_poll(nslot, &word) == 0; n++)
			(void)sys_irq_ack_msi(lo.dev, NVME_LIBOS_MSIX_WHICH);
		if (i >= BENCH_WARM && n == 0)
			each[nm++] = t1 - t0 + t3 - t2 - 2 * empty;
		extra += i >= BENCH_WARM && n > 0;
	}
	lo.owed = false;
	if (bad || nm == 0) {
		printf("nvmetest: bench: MSI-X I/Os: failed %d, %u measured FAIL\n", bad, nm);
		return;
	}
	sort_u64(each, nm);
	printf("BENCH nvme_read4k_msix_sw %lu instructions\n"
	       "nvmetest: msix qd1: %u measured (min %lu max %lu), %u message after the spin, %u "
	       "not (a notification after the ack)\n",
	       (unsigned long)each[nm / 2], nm, (unsigned long)each[0], (unsigned long)each[nm - 1],
	       late, extra);
}

/* Queue depth 32: each round submits QD reads in one nvme_submit (one doorbell), waits
 * until the last one's entry is posted (the device's time: how many a poll found before
 * was QEMU's timing, and with it the figure) and reaps all QD in one nvme_poll.  Measured,
 * per I/O: nvme_submit and nvme_poll. */
static void
bench_qd32(const struct nvme_dma *bufs)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_req rq[QD];
	struct nvme_done d[QD] = { 0 };
	uint64_t sub = 0, comp = 0, t0, t1, t2, t3, empty;
	int bad = 0;

	t0 = rdtsc();
	empty = rdtsc() - t0;
	for (unsigned round = 0; round < BENCH_WARM + BENCH_ROUNDS && !bad; round++) {
		for (unsigned i = 0; i < QD; i++)
			rq[i] = (struct nvme_req){ NVME_OP_READ,
				                   (round * QD + i) * 8u % (ctrl.nsze - 8),
				                   PAGE / ctrl.lba_size,
				                   bufs[i / 8].pa + (i % 8) * PAGE, NULL };
		t0 = rdtsc();
		bad |= nvme_submit(qp, rq, QD) != QD;
		t1 = rdtsc();
		wait_phase(qp, QD - 1);
		t2 = rdtsc();
		bad |= nvme_poll(qp, d, QD) != QD;
		t3 = rdtsc();
		for (unsigned k = 0; k < QD; k++)
			bad |= d[k].err != 0;
		sub += round >= BENCH_WARM ? t1 - t0 - empty : 0;
		comp += round >= BENCH_WARM ? t3 - t2 - empty : 0;
	}
	if (bad) {
		printf("nvmetest: bench: an I/O at depth 32 failed FAIL\n");
		return;
	}
	uint64_t nio = (uint64_t)QD * BENCH_ROUNDS;
	printf("BENCH nvme_qd32_submit %lu instructions\n"
	       "BENCH nvme_qd32_complete %lu instructions\n"
	       "BENCH nvme_qd32_sw %lu instructions\n",
	       (unsigned long)(sub / nio), (unsigned long)(comp / nio),
	       (unsigned long)((sub + comp) / nio));
}

/* The benchmarks: QD1 on buf, then QD32 on QD more pages. */
static void
bench_all(void)
{
	struct nvme_dma bufs[QD / 8] = { 0 };
	int r = 0;

	bench_read4k();
	for (unsigned i = 0; i < QD / 8 && r == 0; i++)
		r = nvme_libos_dma_alloc(&lo, 8 * PAGE, &bufs[i]);
	if (r == 0)
		bench_qd32(bufs);
	else
		printf("nvmetest: bench: buffers for depth 32: %d FAIL\n", r);
	for (unsigned i = 0; i < QD / 8; i++)
		if (bufs[i].va != NULL)
			nvme_libos_dma_free(&lo, &bufs[i]);
}

static const char *
mode_name(unsigned kind)
{
	return kind == NVME_LIBOS_MSIX   ? "interrupt (MSI-X)"
	       : kind == NVME_LIBOS_INTX ? "interrupt (INTx)"
	                                 : "polled";
}

/* The MSI-X Enable bit (Message Control bit 15, PCI Local Bus 3.0 §6.8.2.3), or -1. */
static long
msix_enabled(uint64_t dev)
{
	struct abi_dev_info info;
	long mc;

	if (sys_dev_info(dev, &info) < 0 || info.msix == 0 ||
	    (mc = sys_dev_cfg_read(dev, info.msix + 2u, 2)) < 0)
		return -1;
	return mc >> 15 & 1;
}

/* Interrupt mode, one read, nothing else in flight: the driver's own protocol (wait, the
 * LibOS's irq_wait under counted_wait, then poll) completes it, and at least one notification
 * came back through the wait.  Whether a wait found it already posted (notify_poll) or blocked
 * for it in notify_wait_until is QEMU's timing, and a notification left from nvme_init's admin
 * commands may come first: so the loop waits until the poll reaps the read, and only the sum
 * is checked.  The deadline (10 s) only keeps a lost interrupt from hanging the test. */
static void
wait_case(void)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_req rq = { NVME_OP_READ, 0, PAGE / ctrl.lba_size, buf.pa, NULL };
	struct nvme_done d = { 0 };
	uint64_t before = lo.irq.signals, deadline;
	int n = 0;

	deadline = ops.now_ns(ops.ctx) + 10000000000ull;
	if (nvme_submit(qp, &rq, 1) == 1)
		do {
			inner_wait(ops.ctx, deadline);
			n = nvme_poll(qp, &d, 1);
		} while (n == 0 && ops.now_ns(ops.ctx) < deadline);
	check("irq", "one read completes through the driver's wait and poll",
	      n == 1 && d.err == 0 && lo.irq.signals > before, 1);
}

/* One run on a fresh controller: polled (kind 0) or interrupt mode of that kind. */
static int
run(uint64_t dev, bool bench, unsigned kind)
{
	uint64_t nslot = 0;
	int r;

	printf("nvmetest: mode %s\n", mode_name(kind));
	check("init", "open the device", r = nvme_libos_open(&lo, dev, &ops), 0);
	if (r < 0)
		return 1;
	if (kind != 0 && bind_irq(&nslot, kind) < 0)
		r = E_INVAL;
	inner_wait = ops.wait;
	ops.wait = counted_wait;
	empty_polls = 0;
	if (r == 0)
		check("init", "nvme_init: 1 I/O queue pair of depth 2 (bench: 33)",
		      r = nvme_init(&ctrl, &ops, 1, bench ? BENCH_DEPTH : 2), 0);
	if (r == 0) {
		printf("nvmetest: model '%s' serial '%s' %lu blocks of %u bytes, max transfer %u\n",
		       ctrl.model, ctrl.serial, (unsigned long)ctrl.nsze, ctrl.lba_size,
		       ctrl.max_xfer);
		r = nvme_libos_dma_alloc(&lo, BUF_PAGES * PAGE, &buf);
		check("init", "8 contiguous pages for buffers", r, 0);
	}
	if (r == 0 && bench && kind == NVME_LIBOS_MSIX) {
		bench_irq_read4k(nslot);
	} else if (r == 0 && bench) {
		bench_all();
	} else if (r == 0) {
		if (kind != 0)
			wait_case();
		spread_cases(ctrl.nsze / 2 + 3);
		multipage_cases();
		error_cases();
		bad_input_cases();
	}
	printf("nvmetest: %s: %lu I/Os, %lu empty polls, %lu interrupts (%lu blocked for)\n",
	       mode_name(kind), (unsigned long)ctrl.stats.submitted, (unsigned long)empty_polls,
	       (unsigned long)lo.irq.signals, (unsigned long)lo.irq.blocks);
	if (!bench && kind == NVME_LIBOS_MSIX)
		check("irq", "MSI-X enabled while bound", msix_enabled(dev), 1);
	if (buf.va != NULL)
		nvme_libos_dma_free(&lo, &buf);
	nvme_fini(&ctrl);
	nvme_libos_close(&lo); /* unbinds the interrupt */
	if (!bench && kind == NVME_LIBOS_MSIX)
		check("irq", "MSI-X disabled after close (the kernel, with the last vector)",
		      msix_enabled(dev), 0);
	if (nslot != 0) {
		(void)sys_cap_delete(nslot);
		slot_free(nslot);
	}
	return 0;
}

/* Interrupt mode really took interrupts: notifications arrived (how many by blocking is
 * QEMU's timing: printed, not checked; wait_case checks one wait deterministically), and the
 * driver polled an empty queue fewer times than in polled mode (`polled_polls`). */
static void
irq_cases(uint64_t polled_polls)
{
	check("irq", "notifications received > 0", lo.irq.signals > 0, 1);
	check("irq", "fewer empty polls than polled mode", empty_polls < polled_polls, 1);
}

int
main(int argc, char **argv)
{
	uint64_t dev = nvme_libos_find();
	bool bench = strcmp(libos_envinfo->tests, "bench") == 0;

	(void)argc;
	(void)argv;
	check("init", "an NVMe controller by class 01/08/02", dev != 0, 1);
	if (dev == 0)
		return 1;
	/* Warm-up: the first mappings of BAR0 and a DMA page allocate page tables, which stay. */
	if (nvme_libos_open(&lo, dev, &ops) == 0 && nvme_libos_dma_alloc(&lo, PAGE, &buf) == 0)
		nvme_libos_dma_free(&lo, &buf);
	nvme_libos_close(&lo);
	sys_leak_check();
	run(dev, bench, 0);
	if (bench) {
		run(dev, true, NVME_LIBOS_MSIX);
	} else {
		uint64_t polled_polls = empty_polls;
		run(dev, false, NVME_LIBOS_INTX);
		irq_cases(polled_polls);
		run(dev, false, NVME_LIBOS_MSIX);
		irq_cases(polled_polls);
	}
	sys_leak_check();
	printf("nvmetest: done\n");
	return 0;
}
