/* blkserve: an NVMe read service on an owned core (issue 15 item 4, docs/partitions.md
 * "blkserve").  Started by a host program (blkclient) through part_app_start with the NVMe
 * controller's device capability in slot PART_APP_DEV and the shared area at PART_VA.  It
 * drives the controller itself with the portable driver (lib/drivers/nvme) polled, one I/O
 * queue pair, no interrupt bound, and runs the fast-path poll loop over two sources: the
 * request ring (each request becomes an NVMe read into a DMA buffer of a free tag) and the
 * queue pair's completions (the block is copied into the client's buffer in the area, the
 * reply posted on the reply ring).  Metrics: requests, errors, bytes; the service time from
 * the client's post to the reply, in TSC cycles.  With ctl->arg[PART_BLK_FILL] it first
 * writes the test pattern (part_blk_word) to the blocks it serves.
 *
 * With ctl->arg[PART_BLK_BENCH] (blkclient tests=bench-*, bench/fastpath) a request reads
 * 4 KiB (PART_BLK_BENCH_BYTES) and the service measures its own instructions per request under
 * `qemu -icount` (the TSC counts instructions), less an empty rdtsc pair per window, as
 * user/nvmetest.c's bench: the request's window (the ring dequeue, the checks, nvme_submit)
 * plus its share of the window of the nvme_poll that reaped it (the poll, the copy into the
 * client's buffer, the reply posted).  A poll of the completion queue that finds nothing is
 * the device's time: only counted (C_EMPTY).  Each request's sum goes into histogram 1 and
 * counter C_SVC, read by the client. */
#include <stdint.h>

#include "fp_log.h"
#include "fp_metrics.h"
#include "fp_poll.h"
#include "fp_ring.h"
#include "libos.h"
#include "nvme.h"
#include "nvme_libos.h"
#include "partition.h"
#include "usyscall.h"
#include "xstring.h"

#define DEPTH   16 /* NVMe I/O queue entries: DEPTH - 1 commands in flight */
#define NTAGS   (DEPTH - 1)
#define C_REQS  0
#define C_ERRS  1
#define C_BYTES 2
#define C_BAD   3
#define C_SVC   4 /* bench: the service's instructions, summed over requests */
#define C_EMPTY 5 /* bench: polls of the completion queue that found nothing */
#define C_COPY  6 /* bench: the copies' instructions (part of C_SVC), summed */
#define H_SVC   1 /* bench: the service's instructions per request */

struct tag {
	struct nvme_dma dma; /* one page, the block is read here */
	struct part_blk_req req;
	uint64_t sub; /* bench: the instructions of its request's window */
};

static struct {
	struct nvme_libos lo;
	struct nvme_ops ops;
	struct nvme_ctrl ctrl;
	struct part_area a;
	struct fp_log log;
	struct fp_metrics met;
	struct fp_ring req, rep;
	struct tag tag[NTAGS];
	uint32_t free[NTAGS], nfree;
	uint8_t *bufs;
	uint64_t first, count;
	uint32_t bytes, nlba; /* per request: PART_BLK_BLOCK, or PART_BLK_BENCH_BYTES */
	int bench;
	uint64_t empty; /* bench: an empty rdtsc pair */
} s;

/* The clock of the bench windows; 0 outside the benchmark. */
static inline uint64_t
stamp(void)
{
	return s.bench ? rdtsc() : 0;
}

/* A reply now: the client's ring has room for every request it may have posted. */
static void
reply(const struct part_blk_req *rq, int err, uint16_t status)
{
	struct part_blk_reply r = { .tag = rq->tag,
		                    .err = err,
		                    .status = status,
		                    .post_tsc = rq->post_tsc,
		                    .done_tsc = rdtsc() };

	if (fp_ring_enqueue(&s.rep, &r, 1) != 1)
		fp_counter_add(&s.met, C_BAD, 1);
	fp_hist_record(&s.met, 0, r.done_tsc - rq->post_tsc);
	fp_counter_add(&s.met, err ? C_ERRS : C_REQS, 1);
}

static uint32_t
poll_requests(void *ctx, uint32_t budget)
{
	struct part_blk_req rq;
	uint32_t n = 0;
	uint64_t t0;

	(void)ctx;
	while (n < budget && s.nfree > 0 && (t0 = stamp(), fp_ring_dequeue(&s.req, &rq, 1) == 1)) {
		uint32_t t = s.free[--s.nfree];
		struct nvme_req nr = { .op = NVME_OP_READ,
			               .lba = rq.lba,
			               .nblocks = s.nlba,
			               .buf_pa = s.tag[t].dma.pa,
			               .cookie = &s.tag[t] };

		n++;
		if (rq.buf >= PART_BLK_BUFS || rq.lba < s.first || rq.lba - s.first >= s.count ||
		    s.count - (rq.lba - s.first) < s.nlba ||
		    nvme_submit(&s.ctrl.ioq[0], &nr, 1) != 1) {
			s.free[s.nfree++] = t;
			reply(&rq, E_INVAL, 0);
			continue;
		}
		s.tag[t].req = rq;
		s.tag[t].sub = stamp() - t0 - s.empty;
	}
	return n;
}

/* bench: a reaping poll's window shared by the n requests it completed, each request's
 * service instructions recorded; an empty poll only counted. */
static void
bench_account(const struct nvme_done *d, int n, uint64_t window)
{
	if (n <= 0) {
		fp_counter_add(&s.met, C_EMPTY, 1);
		return;
	}
	for (int i = 0; i < n; i++) {
		const struct tag *t = d[i].cookie;
		uint64_t v = t->sub + window / (uint64_t)n;

		fp_hist_record(&s.met, H_SVC, v);
		fp_counter_add(&s.met, C_SVC, v);
	}
}

static uint32_t
poll_completions(void *ctx, uint32_t budget)
{
	struct nvme_done d[NTAGS];
	uint64_t t0 = stamp();
	int n = nvme_poll(&s.ctrl.ioq[0], d, budget < NTAGS ? budget : NTAGS);

	(void)ctx;
	for (int i = 0; i < n; i++) {
		struct tag *t = d[i].cookie;

		if (d[i].err == 0) {
			uint64_t c0 = stamp();

			memcpy(s.bufs + t->req.buf * s.bytes, t->dma.va, s.bytes);
			if (s.bench)
				fp_counter_add(&s.met, C_COPY, stamp() - c0 - s.empty);
			fp_counter_add(&s.met, C_BYTES, s.bytes);
		}
		reply(&t->req, d[i].err, d[i].status);
		s.free[s.nfree++] = (uint32_t)(t - s.tag);
	}
	if (s.bench)
		bench_account(d, n, stamp() - t0 - s.empty);
	return n > 0 ? (uint32_t)n : 0;
}

/* The pattern, one synchronous write a block, before the loop starts. */
static int
fill(void)
{
	uint32_t *w = s.tag[0].dma.va;
	uint16_t st;
	int err;

	for (uint64_t b = s.first; b < s.first + s.count; b++) {
		struct nvme_req nr = {
			.op = NVME_OP_WRITE, .lba = b, .nblocks = 1, .buf_pa = s.tag[0].dma.pa
		};

		for (uint32_t j = 0; j < PART_BLK_BLOCK / 4; j++)
			w[j] = part_blk_word(b, j);
		if ((err = nvme_io(&s.ctrl.ioq[0], &nr, &st)) < 0)
			return err;
	}
	return 0;
}

static int
setup(struct fp_clock *clk)
{
	struct part_ctl *c = s.a.ctl;
	int err;

	s.bench = c->arg[PART_BLK_BENCH] != 0;
	s.bytes = s.bench ? PART_BLK_BENCH_BYTES : PART_BLK_BLOCK;
	if ((err = part_app_layout(&s.a, clk, 64, s.bench ? 2 : 1, &s.log, &s.met)) < 0)
		return err;
	if ((err = part_ring_init(&s.a, 0, FP_RING_CONSUMER, PART_BLK_SLOTS,
	                          sizeof(struct part_blk_req), &s.req)) < 0 ||
	    (err = part_ring_init(&s.a, 1, FP_RING_PRODUCER, PART_BLK_SLOTS,
	                          sizeof(struct part_blk_reply), &s.rep)) < 0)
		return err;
	s.bufs = part_carve(&s.a, PART_BLK_BUFS * s.bytes, &c->arg[PART_BLK_BUF_OFF]);
	if (s.bufs == NULL)
		return E_NOMEM;
	fp_metrics_name_counter(&s.met, C_REQS, "requests");
	fp_metrics_name_counter(&s.met, C_ERRS, "errors");
	fp_metrics_name_counter(&s.met, C_BYTES, "bytes");
	fp_metrics_name_counter(&s.met, C_BAD, "reply drops");
	fp_metrics_name_hist(&s.met, 0, "service cycles");
	if (s.bench) {
		fp_metrics_name_counter(&s.met, C_SVC, "service insn");
		fp_metrics_name_counter(&s.met, C_EMPTY, "empty polls");
		fp_metrics_name_counter(&s.met, C_COPY, "copy insn");
		fp_metrics_name_hist(&s.met, H_SVC, "insn/request");
	}
	if ((err = nvme_libos_open(&s.lo, PART_APP_DEV, &s.ops)) < 0)
		return err;
	if ((err = nvme_init(&s.ctrl, &s.ops, 1, DEPTH)) < 0)
		return err;
	for (uint32_t i = 0; i < NTAGS; i++) {
		if ((err = nvme_libos_dma_alloc(&s.lo, 4096, &s.tag[i].dma)) < 0)
			return err;
		s.free[s.nfree++] = i;
	}
	s.first = c->arg[PART_BLK_FIRST];
	s.count = c->arg[PART_BLK_COUNT];
	if (s.count > s.ctrl.nsze || s.first > s.ctrl.nsze - s.count)
		return E_RANGE;
	s.nlba = 1;
	if (s.bench && (s.ctrl.lba_size == 0 || s.bytes % s.ctrl.lba_size != 0))
		return E_RANGE;
	if (s.bench)
		s.nlba = s.bytes / s.ctrl.lba_size;
	if (s.bench) {
		uint64_t t0 = rdtsc();

		s.empty = rdtsc() - t0;
	}
	return c->arg[PART_BLK_FILL] ? fill() : 0;
}

int
main(int argc, char **argv)
{
	struct fp_clock clk;
	struct fp_source src[2] = {
		{ .name = "requests", .poll = poll_requests },
		{ .name = "completions", .poll = poll_completions },
	};
	struct fp_poller p = { .src = src, .nsrc = 2, .budget = NTAGS };
	uint64_t iters;
	int err;

	(void)argc;
	(void)argv;
	if (slot_reserve(PART_APP_DEV) < 0 || part_area_wait(&s.a) < 0)
		return 1;
	part_clock(&clk);
	if ((err = setup(&clk)) < 0) {
		printf("blkserve: setup: %s\n", error_name(err));
		return 1;
	}
	fp_logf(&s.log, FP_LOG_INFO, "cpu %ld, blocks %lu+%lu, polled", sys_cpu(), s.first,
	        s.count);
	p.sh = &s.a.ctl->poll;
	part_app_ready(&s.a);
	iters = fp_poll_run(&p);
	fp_logf(&s.log, FP_LOG_INFO, "stopping after %lu iterations", iters);
	nvme_fini(&s.ctrl);
	nvme_libos_close(&s.lo);
	return 0;
}
