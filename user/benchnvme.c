/* benchnvme: 4 KiB read latency of the machine's NVMe SSD at queue depth 1 and 32, and the
 * driver's software path, in TSC cycles, for hw/legion/calibrate.py (docs/legion.md).
 * READS ONLY: every command this program builds is NVME_OP_READ (NVMe 1.4 §6.9), at LBAs
 * spread over namespace 1; it writes nothing, whatever the driver would allow.  Polled (no
 * interrupt), through the portable driver (lib/drivers/nvme) and the LibOS ops.
 *
 *   BENCH nvme_qd1_lat_p50, _p99     submit to the reaping poll's return, one read in flight
 *   BENCH nvme_read4k_submit         nvme_submit of one read
 *   BENCH nvme_read4k_complete       the nvme_poll that reaps it, once its entry is there
 *   BENCH nvme_qd32_lat_p50, _p99    each read of a batch of 32 submitted at once (one
 *                                    nvme_submit, one doorbell), to the poll that reaps it
 *   BENCH nvme_qd32_submit           that nvme_submit, per read
 *   BENCH nvme_qd32_complete         the polls that reaped something, per read
 *   BENCH nvme_qd32_per_poll         reads those polls reaped each (unit cqes)
 *
 * The software figures have nvmetest's names and windows (tests=bench), so calibrate.py fits
 * the driver's per-call and per-request costs from either.  `benchnvme cycles` prints the
 * unit `cycles`, else `instructions`.  Without an NVMe controller among this env's devices
 * it says so (BENCH-NA) and ends.  Bounded: a read not complete within a second of TSC ends
 * the run with a message. */
#include <stdint.h>

#include "abi/dev.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE   4096u
#define QD     32
#define QD1_N  256 /* measured reads at depth 1, after WARM */
#define ROUNDS 16  /* measured batches of QD, after WARM */
#define WARM   4

static struct nvme_libos lo;
static struct nvme_ops ops;
static struct nvme_ctrl ctrl;
static struct nvme_dma bufs[QD / 8]; /* QD pages: 8 per allocation */
static uint64_t lat[ROUNDS * QD];
static const char *unit = "instructions";
static uint64_t timeout;  /* TSC cycles: a second */
static uint64_t seed = 1; /* xorshift64 state: the LBAs */

static uint64_t
next_lba(void)
{
	uint64_t per = PAGE / ctrl.lba_size;

	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed % (ctrl.nsze / per) * per; /* 4 KiB aligned, inside the namespace */
}

static void
report(const char *name, uint64_t *v, unsigned n)
{
	sort_u64(v, n);
	printf("BENCH %s_p50 %lu %s\nBENCH %s_p99 %lu %s\n", name, (unsigned long)v[n / 2], unit,
	       name, (unsigned long)v[n * 99 / 100], unit);
	printf("benchnvme: %s: %u reads, min %lu max %lu\n", name, n, (unsigned long)v[0],
	       (unsigned long)v[n - 1]);
}

/* Spins until the completion entry at the CQ head carries the current phase tag (§4.6), or
 * until `start` + timeout: 0, or -1. */
static int
wait_phase(struct nvme_qpair *qp, uint64_t start)
{
	volatile uint32_t *e = (volatile uint32_t *)qp->cq.va + 4u * qp->cq_head;

	while (((e[3] >> 16) & 1) != qp->phase)
		if (rdtsc() - start > timeout)
			return -1;
	return 0;
}

static struct nvme_req
read_req(unsigned i, void *cookie)
{
	return (struct nvme_req){ NVME_OP_READ, next_lba(), PAGE / ctrl.lba_size,
		                  bufs[i / 8].pa + (i % 8) * PAGE, cookie };
}

static int
qd1(void)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_done d;
	uint64_t sub = 0, comp = 0, t0, t1, t2, t3;

	for (int i = -WARM; i < QD1_N; i++) {
		struct nvme_req rq = read_req(0, NULL);

		t0 = rdtsc();
		if (nvme_submit(qp, &rq, 1) != 1)
			return printf("benchnvme: qd1: submit refused\n"), -1;
		t1 = rdtsc();
		if (wait_phase(qp, t0) < 0)
			return printf("benchnvme: qd1: no completion within a second\n"), -1;
		t2 = rdtsc();
		if (nvme_poll(qp, &d, 1) != 1 || d.err != 0)
			return printf("benchnvme: qd1: read failed: %s\n",
			              nvme_status_name(d.status)),
			       -1;
		t3 = rdtsc();
		if (i >= 0) {
			lat[i] = t3 - t0;
			sub += t1 - t0;
			comp += t3 - t2;
		}
	}
	printf("BENCH nvme_read4k_submit %lu %s\nBENCH nvme_read4k_complete %lu %s\n",
	       (unsigned long)(sub / QD1_N), unit, (unsigned long)(comp / QD1_N), unit);
	report("nvme_qd1_lat", lat, QD1_N);
	return 0;
}

/* One batch: QD reads in one nvme_submit, polled until all are reaped.  Adds to the
 * software sums and stores read i's latency (from the submit) at lat_out[i]. */
static int
batch(uint64_t *lat_out, uint64_t *sub, uint64_t *comp, uint64_t *reaps)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_req rq[QD];
	struct nvme_done d[QD];
	uint64_t t0, t1, start;
	unsigned got = 0;

	for (unsigned i = 0; i < QD; i++)
		rq[i] = read_req(i, &lat_out[i]);
	start = rdtsc();
	if (nvme_submit(qp, rq, QD) != QD)
		return printf("benchnvme: qd32: submit refused\n"), -1;
	*sub += rdtsc() - start;
	while (got < QD) {
		t0 = rdtsc();
		int n = nvme_poll(qp, d, QD);
		t1 = rdtsc();
		if (n < 0)
			return printf("benchnvme: qd32: poll failed (%d)\n", n), -1;
		for (int k = 0; k < n; k++) {
			if (d[k].err != 0)
				return printf("benchnvme: qd32: read failed: %s\n",
				              nvme_status_name(d[k].status)),
				       -1;
			*(uint64_t *)d[k].cookie = t1 - start;
		}
		got += (unsigned)n;
		*comp += n > 0 ? t1 - t0 : 0;
		*reaps += n > 0;
		if (n == 0 && t1 - start > timeout)
			return printf("benchnvme: qd32: %u of %d reads not done within a second\n",
			              QD - got, QD),
			       -1;
	}
	return 0;
}

static int
qd32(void)
{
	uint64_t sub = 0, comp = 0, reaps = 0, s = 0, c = 0, r = 0;
	uint64_t nio = (uint64_t)ROUNDS * QD;

	for (int i = 0; i < WARM; i++)
		if (batch(lat, &s, &c, &r) < 0)
			return -1;
	for (int i = 0; i < ROUNDS; i++)
		if (batch(&lat[i * QD], &sub, &comp, &reaps) < 0)
			return -1;
	printf("BENCH nvme_qd32_submit %lu %s\nBENCH nvme_qd32_complete %lu %s\n"
	       "BENCH nvme_qd32_per_poll %lu cqes\n",
	       (unsigned long)(sub / nio), unit, (unsigned long)(comp / nio), unit,
	       (unsigned long)(reaps ? (nio + reaps / 2) / reaps : 0));
	report("nvme_qd32_lat", lat, (unsigned)nio);
	return 0;
}

/* This env's first device of class 01/08/02 (NVMe), or 0. */
static uint64_t
find_nvme(uint64_t *count)
{
	uint64_t first;

	*count = libos_devices(&first);
	return nvme_libos_find();
}

static int
run(void)
{
	int r = nvme_init(&ctrl, &ops, 1, QD + 1); /* a queue holds depth - 1 commands */

	if (r != 0)
		return printf("benchnvme: nvme_init: %d\n", r), 1;
	printf("benchnvme: model '%s' serial '%s', %lu blocks of %u bytes\n", ctrl.model,
	       ctrl.serial, (unsigned long)ctrl.nsze, ctrl.lba_size);
	if (ctrl.lba_size > PAGE || ctrl.nsze < 2 * PAGE / ctrl.lba_size)
		return printf("benchnvme: namespace 1 too small or blocks over 4 KiB\n"), 1;
	for (unsigned i = 0; i < QD / 8 && r == 0; i++)
		r = nvme_libos_dma_alloc(&lo, 8 * PAGE, &bufs[i]);
	if (r != 0)
		return printf("benchnvme: buffers: %d\n", r), 1;
	r = qd1() < 0 || qd32() < 0;
	printf("benchnvme: %lu reads, %lu errors, 0 writes\n", (unsigned long)ctrl.stats.submitted,
	       (unsigned long)ctrl.stats.errors);
	return r;
}

int
main(int argc, char **argv)
{
	uint64_t ndev, dev = find_nvme(&ndev);
	int r;

	if (argc > 1 && strcmp(argv[1], "cycles") == 0)
		unit = "cycles";
	timeout = libos_envinfo->tsc_hz ? libos_envinfo->tsc_hz : 4000000000ull;
	if (dev == 0) {
		printf(
		    "benchnvme: no NVMe controller (class 01/08/02) among this env's %lu devices: "
		    "nothing measured\nBENCH-NA nvme_qd1_lat no NVMe controller\n",
		    (unsigned long)ndev);
		return 0;
	}
	if ((r = nvme_libos_open(&lo, dev, &ops)) != 0) {
		printf("benchnvme: cannot open the controller: %d\n", r);
		return 1;
	}
	r = run();
	for (unsigned i = 0; i < QD / 8; i++)
		if (bufs[i].va != NULL)
			nvme_libos_dma_free(&lo, &bufs[i]);
	nvme_fini(&ctrl);
	nvme_libos_close(&lo);
	printf("benchnvme: done\n");
	return r;
}
