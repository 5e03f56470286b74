/* blkclient [-c CPU] [-n REQUESTS] [-b BLOCKS] [-f]: the host side of blkserve (issue 15
 * item 4, docs/partitions.md "blkserve").  Starts blkserve on an owned core (CPU 2 by
 * default) with the NVMe controller, serving blocks 0 .. BLOCKS-1 (64); -f makes it write the
 * test pattern there first (a blank image; grade/nvmetests.py's images hold it already).
 * Posts REQUESTS (1000) one-block reads of blocks from a fixed-seed sequence, at most
 * PART_BLK_BUFS in flight, checks each reply's block word by word against the pattern, and
 * reads the owned core's interrupt counters (core_stat) around the run: an owned core that
 * polls takes none.  Then runs fpstat on the partition, stops the service and prints its
 * log (read only then: fpstat shows what is waiting).  The area is on the shell's partition
 * board (part_area_board), so a shell-typed fpstat shows it too while it runs.
 *
 * As init with tests=bench-owned or tests=bench-shared (bench/fastpath/blkserve_bench.py,
 * `make bench-fastpath`, two CPUs under `qemu -icount`): the benchmark of the bench_*
 * functions below, on CPU 1. */
#include <stdint.h>

#include "abi/core.h"
#include "abi/dev.h"
#include "fp_ring.h"
#include "libos.h"
#include "nvme_libos.h"
#include "partition.h"
#include "usyscall.h"
#include "xstring.h"

#define AREA_PAGES  12 /* blkserve lays out about 9 */
#define WAIT_YIELDS 5000000

static struct {
	unsigned cpu;
	uint64_t nreq, blocks, fill;
	struct part_area a;
	struct part_app app;
	struct fp_log log;
	struct fp_metrics met;
	struct fp_ring req, rep;
	uint64_t posted, done, bad, errors, seed;
	uint32_t freebuf[PART_BLK_BUFS], nfree;
	uint64_t lba_of[PART_BLK_BUFS]; /* the block each buffer in flight was asked for */
	uint8_t busy[PART_BLK_BUFS];
	const uint8_t *bufs; /* the app's buffers, checked to lie in the area */
} c;

/* A 64-bit LCG (Knuth, MMIX): the block sequence is the same in every run. */
static uint64_t
next_block(void)
{
	c.seed = c.seed * 6364136223846793005ull + 1442695040888963407ull;
	return (c.seed >> 33) % c.blocks;
}

/* The reply comes from the app: its tag must name a buffer in flight, and the block checked
 * is the one this side asked for. */
static void
check_reply(const struct part_blk_reply *r)
{
	uint64_t b = r->tag, lba;
	const uint32_t *w;

	if (b >= PART_BLK_BUFS || !c.busy[b]) {
		if (c.bad++ == 0)
			printf("blkclient: a reply for tag %lu, not in flight\n", b);
		return;
	}
	lba = c.lba_of[b];
	w = (const uint32_t *)(c.bufs + b * PART_BLK_BLOCK);
	c.done++;
	if (r->err != 0) {
		if (c.errors++ == 0)
			printf("blkclient: block %lu: error %d status 0x%x\n", lba, r->err,
			       r->status);
	} else {
		for (uint32_t j = 0; j < PART_BLK_BLOCK / 4; j++)
			if (w[j] != part_blk_word(lba, j)) {
				if (c.bad++ == 0)
					printf(
					    "blkclient: block %lu word %u: 0x%x, expected 0x%x\n",
					    lba, j, w[j], part_blk_word(lba, j));
				break;
			}
	}
	c.busy[b] = 0;
	c.freebuf[c.nfree++] = (uint32_t)b;
}

/* Posts and reaps until every request is answered; 0, or E_AGAIN if the service went
 * quiet (bounded by yields). */
static int
run(void)
{
	struct part_blk_reply r;
	uint64_t idle = 0;

	while (c.done < c.nreq && idle < WAIT_YIELDS) {
		int moved = 0;

		while (c.posted < c.nreq && c.nfree > 0) {
			uint32_t b = c.freebuf[c.nfree - 1];
			struct part_blk_req q = { .tag = b, .buf = b };

			if (fp_ring_count(&c.req) == fp_ring_capacity(&c.req))
				break;
			q.lba = c.lba_of[b] = next_block();
			q.post_tsc = rdtsc();
			if (fp_ring_enqueue(&c.req, &q, 1) != 1)
				break; /* not reached: the count said there was room */
			c.busy[b] = 1;
			c.nfree--;
			c.posted++;
			moved = 1;
		}
		while (fp_ring_dequeue(&c.rep, &r, 1) == 1) {
			check_reply(&r);
			moved = 1;
		}
		idle = moved ? 0 : idle + 1;
	}
	return c.done == c.nreq ? 0 : E_AGAIN;
}

static int
attach(void)
{
	struct part_ctl *ctl = c.a.ctl;
	int r = 0;

	for (uint64_t i = 0; i < WAIT_YIELDS && r == 0; i++)
		if ((r = part_attach(&c.a, 1, &c.log, &c.met)) == 0)
			sys_yield();
	if (r <= 0)
		return r ? r : E_AGAIN;
	c.bufs = part_span(&c.a, &ctl->arg[PART_BLK_BUF_OFF], PART_BLK_BUFS * PART_BLK_BLOCK);
	if (c.bufs == NULL)
		return E_RANGE;
	if ((r = part_ring_attach(&c.a, 0, FP_RING_PRODUCER, sizeof(struct part_blk_req), &c.req)) <
	    0)
		return r;
	return part_ring_attach(&c.a, 1, FP_RING_CONSUMER, sizeof(struct part_blk_reply), &c.rep);
}

static int
parse(int argc, char **argv)
{
	long v;

	c.cpu = 2;
	c.nreq = 1000;
	c.blocks = 64;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0) {
			c.fill = 1;
			continue;
		}
		if (i + 1 >= argc || (v = part_number(argv[i + 1])) < 0)
			return -1;
		if (strcmp(argv[i], "-c") == 0)
			c.cpu = (unsigned)v;
		else if (strcmp(argv[i], "-n") == 0)
			c.nreq = (uint64_t)v;
		else if (strcmp(argv[i], "-b") == 0 && v > 0)
			c.blocks = (uint64_t)v;
		else
			return -1;
		i++;
	}
	return 0;
}

/* The service's run: interrupt counters of its core around the requests. */
static int
serve(void)
{
	struct abi_core_stat s0, s1;
	uint64_t t0, t;
	int err;

	sys_core_stat(c.cpu, &s0);
	t0 = rdtsc();
	err = run();
	t = rdtsc() - t0;
	sys_core_stat(c.cpu, &s1);
	printf("blkclient: %lu requests, %lu answered, %lu bad blocks, %lu errors, %lu us (%lu "
	       "per second)%s\n",
	       c.nreq, c.done, c.bad, c.errors, fp_cycles_to_ns(t, part_tsc_hz()) / 1000,
	       c.done * 1000 / (fp_cycles_to_ns(t, part_tsc_hz()) / 1000000 + 1),
	       err ? ": the service went quiet" : "");
	printf("blkclient: cpu %u took timer %lu device %lu ipi %lu other %lu during the run; "
	       "owner 0x%lx\n",
	       c.cpu, s1.timer - s0.timer, s1.device - s0.device, s1.ipi - s0.ipi,
	       s1.other - s0.other, s1.owner);
	return err;
}

#include "blkclient_bench.h"

int
main(int argc, char **argv)
{
	uint64_t dev = nvme_libos_find();
	int err;

	if (argc == 1 && strncmp(libos_envinfo->tests, "bench-", 6) == 0)
		return bench_main(dev, libos_envinfo->tests + 6);

	if (parse(argc, argv) < 0) {
		printf("usage: blkclient [-c CPU] [-n REQUESTS] [-b BLOCKS] [-f]\n");
		return 2;
	}
	if (dev == 0) {
		printf("blkclient: no NVMe controller (boot with NVME=1)\n");
		return 1;
	}
	if ((err = part_area_board(&c.a, AREA_PAGES, c.cpu, "blkserve")) < 0)
		goto out;
	c.a.ctl->generation = 1;
	c.a.ctl->arg[PART_BLK_FIRST] = 0;
	c.a.ctl->arg[PART_BLK_COUNT] = c.blocks;
	c.a.ctl->arg[PART_BLK_FILL] = c.fill;
	c.seed = 15;
	for (uint32_t i = 0; i < PART_BLK_BUFS; i++)
		c.freebuf[c.nfree++] = i;
	if ((err = part_app_start(&c.app, &c.a, c.cpu, "blkserve", dev)) < 0)
		goto out;
	printf("blkclient: blkserve is env 0x%lx on cpu %u\n", c.app.envid, c.cpu);
	if ((err = attach()) < 0 || (err = serve()) < 0)
		goto stop;
	part_board_leave(&c.a);
	err = part_run_fpstat(&c.a);
stop:
	fp_poll_stop(&c.a.ctl->poll);
	(void)env_wait_dead(c.app.eslot, WAIT_YIELDS);
	if (c.log.sh != NULL)
		part_log_drain(&c.log, c.a.ctl->tsc_hz, "blkserve");
	part_app_destroy(&c.app);
out:
	part_area_free(&c.a);
	printf("blkclient: %s\n", err < 0 ? error_name(err) : c.bad || c.errors ? "FAIL" : "done");
	return err < 0 || c.bad || c.errors;
}
