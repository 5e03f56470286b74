/* blkclient's benchmark (issue 15 item 5, docs/l2fwd.md "blkserve in the same table"), included by
 * user/blkclient.c: it uses that file's state `c` and its attach().  As init under
 * `qemu -icount shift=0` on two CPUs (bench/fastpath/blkserve_bench.py), where the TSC counts
 * executed instructions:
 *
 *   owned   blkserve owns CPU 1 (part_app_start: core_claim): no tick, no device interrupt
 *   shared  blkserve is an ordinary env pinned to CPU 1 beside a busy env (`l2gen busy`),
 *           both under the scheduler's tick (boot with sched=rr)
 *
 * This env, pinned to CPU 0, posts BENCH_WARM + BENCH_N 4 KiB reads at queue depth 1 (post,
 * look at the reply ring, sleep BENCH_NAP_NS between looks, check the block, post the next),
 * of 4 KiB blocks from the fixed-seed sequence, and records each request's latency, its post
 * to its seeing the reply, in a lib/fastpath histogram of its own (the warm-up's not).
 *
 * The client waits by sleeping, not spinning: under icount QEMU runs the vCPUs in turn on one
 * host thread, and a vCPU that spins keeps the turn until its next timer deadline (up to QEMU's
 * 100 ms round-robin kick), so the service's CPU would run only then (the reason
 * part_app_revoke sleeps, lib/user/partition.c).  A halt hands the turn to CPU 1 at once; the
 * client looks again when its timer fires.  The latency is therefore quantised by the nap:
 * BENCH_NAP_NS is 20 us (20000 instructions under icount); naps of 2 and 5 us ended before
 * the sleep's own path had halted the CPU, and the client kept the turn.  The reply's own
 * stamp (done_tsc) gives the latency to its posting as well, which no nap quantises.  The
 * service measures its own instructions per request (user/blkserve.c, PART_BLK_BENCH) into its
 * metrics page.  Prints `BENCH blkserve_MODE_NAME N UNIT` lines and `blkclient: bench: ... OK|FAIL`
 * checks. */
#ifndef EXOLAB_BLKCLIENT_BENCH_H
#define EXOLAB_BLKCLIENT_BENCH_H

#define BENCH_CPU     1
#define BENCH_WARM    16
#define BENCH_N       2000
#define BENCH_BLOCKS  64  /* 4 KiB blocks served: 256 KiB of the image */
#define BENCH_LBA     512 /* grade/nvmetests.py's images: the pattern is per 512-byte block */
#define BENCH_PAGES   PART_MAX_PAGES
#define BENCH_WAIT_S  20 /* a reply's bound in TSC seconds: a broken run ends, not a measure */
#define BENCH_BUSY_PG 16
#define BENCH_NAP_NS  20000

static struct {
	const char *mode;
	uint64_t busy; /* the busy env's slot (shared), 0: none */
	struct fp_metrics lat;
	struct fp_hist h;
	uint8_t mem[sizeof(struct fp_metrics_shared) + 2 * sizeof(struct fp_hist)]
	    __attribute__((aligned(FP_CACHELINE)));
} bb;

static void
bench_check(const char *what, int ok)
{
	printf("blkclient: bench: %s %s\n", what, ok ? "OK" : "FAIL");
	if (!ok)
		c.bad++;
}

static long
bench_pin(uint64_t eslot, unsigned cpu)
{
	/* Valid under every policy, as user/l2fwd.c's busy_pin. */
	struct abi_sched_params p = {
		.priority = 32, .tickets = 100, .period = 100000000, .budget = 10000000
	};

	return sys_env_set_sched(eslot, &p, 1ull << cpu);
}

/* Shared: blkserve spawned as part_app_start does, but pinned to the CPU instead of claiming
 * it, and a busy env pinned beside it.  0 or an E_* code. */
static int
bench_start_shared(uint64_t dev)
{
	static const char busy[] = "l2gen busy", srv[] = "blkserve";
	long es = slot_alloc(), bs, id, err;

	if (es < 0)
		return (int)es;
	if ((id = sys_spawn(srv, sizeof(srv) - 1, (uint64_t)es, ABI_SLOT_UNTYPED, PART_APP_PAGES)) <
	    0) {
		slot_free((uint64_t)es);
		return (int)id;
	}
	c.app.eslot = (uint64_t)es;
	c.app.envid = (uint64_t)id;
	c.app.cpu = BENCH_CPU;
	c.a.ctl->cpu = BENCH_CPU;
	if ((err = bench_pin(c.app.eslot, BENCH_CPU)) < 0 ||
	    (err = sys_cap_copy(dev, c.app.eslot, PART_APP_DEV)) < 0 ||
	    (err = part_area_share(&c.a, c.app.eslot)) < 0)
		return (int)err;
	if ((bs = slot_alloc()) < 0)
		return (int)bs;
	if ((err = sys_spawn(busy, sizeof(busy) - 1, (uint64_t)bs, ABI_SLOT_UNTYPED,
	                     BENCH_BUSY_PG)) < 0) {
		slot_free((uint64_t)bs);
		return (int)err;
	}
	bb.busy = (uint64_t)bs;
	return (int)bench_pin(bb.busy, BENCH_CPU);
}

/* Word j of the 4 KiB block at lba: the image's pattern, 512-byte block by block. */
static int
bench_block_ok(const uint32_t *w, uint64_t lba)
{
	for (uint32_t j = 0; j < PART_BLK_BENCH_BYTES / 4; j++)
		if (w[j] != part_blk_word(lba + j / (BENCH_LBA / 4), j % (BENCH_LBA / 4)))
			return 0;
	return 1;
}

/* One request at depth 1: 0, or E_AGAIN if no reply came within the bound. */
static int
bench_one(int record, uint64_t bound)
{
	struct part_blk_req q = { .tag = 0, .buf = 0 };
	struct part_blk_reply r;
	uint64_t t, end, nap = part_tsc_hz() / (1000000000 / BENCH_NAP_NS);

	q.lba = next_block() * (PART_BLK_BENCH_BYTES / BENCH_LBA);
	q.post_tsc = rdtsc();
	if (fp_ring_enqueue(&c.req, &q, 1) != 1)
		return E_AGAIN;
	c.posted++;
	end = q.post_tsc + bound;
	while (fp_ring_dequeue(&c.rep, &r, 1) != 1) {
		if (rdtsc() > end)
			return E_AGAIN;
		sys_sleep_until(rdtsc() + nap, 0);
	}
	t = rdtsc();
	if (record) {
		fp_hist_record(&bb.lat, 0, t - q.post_tsc);
		fp_hist_record(&bb.lat, 1, r.done_tsc - q.post_tsc);
	}

	c.done++;
	if (r.tag != 0 || r.err != 0) {
		if (c.errors++ == 0)
			printf("blkclient: bench: block %lu: tag %lu error %d status 0x%x\n", q.lba,
			       r.tag, r.err, r.status);
	} else if (!bench_block_ok((const uint32_t *)c.bufs, q.lba) && c.bad++ == 0) {
		printf("blkclient: bench: block %lu: not the pattern\n", q.lba);
	}
	return 0;
}

static uint64_t
bench_irqs(const struct abi_core_stat *a, const struct abi_core_stat *b)
{
	return (b->timer - a->timer) + (b->device - a->device) + (b->ipi - a->ipi) +
	       (b->other - a->other);
}

static void
bench_line(const char *name, uint64_t v, const char *unit)
{
	printf("BENCH blkserve_%s_%s %lu %s\n", bb.mode, name, (unsigned long)v, unit);
}

/* The service's figures from its metrics page (histogram 1, counters C_REQS 0, C_SVC 4,
 * C_EMPTY 5, C_COPY 6 of user/blkserve.c), the latencies from this env's; the interrupts of CPU 1.
 */
static void
bench_report(const struct abi_core_stat *s0, const struct abi_core_stat *s1)
{
	struct fp_hist_summary sv, lat;
	uint64_t reqs = fp_counter_read(&c.met, 0), svc = fp_counter_read(&c.met, 4), svmin;
	uint64_t copy = reqs ? fp_counter_read(&c.met, 6) / reqs : 0;

	bench_check("service histogram", fp_hist_snapshot(&c.met, 1, &bb.h) == 1);
	fp_hist_summarize(&bb.h, &sv);
	svmin = bb.h.min;
	bench_check("every request measured by the service", sv.count == BENCH_WARM + BENCH_N);
	printf("blkclient: bench: %s: service insn/request min %lu p50 %lu mean %lu max %lu over "
	       "%lu requests, %lu empty polls; the 4 KiB copy %lu of it (mean)\n",
	       bb.mode, (unsigned long)svmin, (unsigned long)sv.p50,
	       (unsigned long)(reqs ? svc / reqs : 0), (unsigned long)sv.max, (unsigned long)reqs,
	       (unsigned long)fp_counter_read(&c.met, 5), (unsigned long)copy);
	fp_hist_snapshot(&bb.lat, 1, &bb.h);
	fp_hist_summarize(&bb.h, &lat);
	printf("blkclient: bench: %s: post to the reply posted: p50 %lu p90 %lu p99 %lu p99.9 %lu "
	       "max %lu\n",
	       bb.mode, (unsigned long)lat.p50, (unsigned long)lat.p90, (unsigned long)lat.p99,
	       (unsigned long)lat.p999, (unsigned long)lat.max);
	bench_line("reply_p50", lat.p50, "instructions");
	bench_line("reply_p999", lat.p999, "instructions");
	fp_hist_snapshot(&bb.lat, 0, &bb.h);
	fp_hist_summarize(&bb.h, &lat);
	bench_check("every latency recorded", lat.count == BENCH_N);
	printf("blkclient: bench: %s: post to the reply seen: p50 %lu p90 %lu p99 %lu p99.9 %lu "
	       "max %lu\n",
	       bb.mode, (unsigned long)lat.p50, (unsigned long)lat.p90, (unsigned long)lat.p99,
	       (unsigned long)lat.p999, (unsigned long)lat.max);
	printf("blkclient: bench: %s: cpu %u took timer %lu device %lu ipi %lu other %lu\n",
	       bb.mode, BENCH_CPU, (unsigned long)(s1->timer - s0->timer),
	       (unsigned long)(s1->device - s0->device), (unsigned long)(s1->ipi - s0->ipi),
	       (unsigned long)(s1->other - s0->other));
	if (strcmp(bb.mode, "owned") == 0)
		bench_check("no interrupt on the owned core", bench_irqs(s0, s1) == 0);
	bench_line("svc", svmin, "instructions");
	bench_line("svc_p50", sv.p50, "instructions");
	bench_line("svc_mean", reqs ? svc / reqs : 0, "instructions");
	bench_line("copy", copy, "instructions");
	bench_line("irqs", bench_irqs(s0, s1), "interrupts");
	bench_line("lat_p50", lat.p50, "instructions");
	bench_line("lat_p99", lat.p99, "instructions");
	bench_line("lat_p999", lat.p999, "instructions");
	bench_line("lat_max", lat.max, "instructions");
}

/* The requests, CPU 1's interrupt counters around them. */
static int
bench_run(void)
{
	struct abi_core_stat s0, s1;
	uint64_t bound = part_tsc_hz() * BENCH_WAIT_S;
	int err = 0;

	for (int i = 0; i < BENCH_WARM && err == 0; i++)
		err = bench_one(0, bound);
	sys_core_stat(BENCH_CPU, &s0);
	for (int i = 0; i < BENCH_N && err == 0; i++)
		err = bench_one(1, bound);
	sys_core_stat(BENCH_CPU, &s1);
	printf("blkclient: bench: %s: %lu requests, %lu answered, %lu bad blocks, %lu errors%s\n",
	       bb.mode, (unsigned long)c.posted, (unsigned long)c.done, (unsigned long)c.bad,
	       (unsigned long)c.errors, err ? ": the service went quiet" : "");
	if (err == 0)
		bench_report(&s0, &s1);
	return err;
}

/* The app's layout done (ctl->ready, acquire: pairs with part_app_ready), looked at between
 * naps (see the top); then attach() finds it at once.  0 or E_AGAIN. */
static int
bench_wait_ready(void)
{
	uint64_t end = rdtsc() + part_tsc_hz() * BENCH_WAIT_S;

	while (__atomic_load_n(&c.a.ctl->ready, __ATOMIC_ACQUIRE) != c.a.ctl->generation) {
		if (rdtsc() > end)
			return E_AGAIN;
		sys_sleep_until(rdtsc() + part_tsc_hz() / 100000, 0);
	}
	return 0;
}

static void
bench_stop(void)
{
	if (c.a.ctl != NULL)
		fp_poll_stop(&c.a.ctl->poll);
	/* A millisecond's sleep: CPU 1 runs, sees the stop and ends (see the top). */
	sys_sleep_until(rdtsc() + part_tsc_hz() / 1000, 0);
	if (c.app.eslot != 0)
		(void)env_wait_dead(c.app.eslot, WAIT_YIELDS);
	if (c.log.sh != NULL)
		part_log_drain(&c.log, c.a.ctl->tsc_hz, "blkserve");
	part_app_destroy(&c.app);
	if (bb.busy != 0) {
		sys_env_destroy(bb.busy);
		(void)env_wait_dead(bb.busy, WAIT_YIELDS);
		sys_cap_delete(bb.busy);
		slot_free(bb.busy);
	}
	part_area_free(&c.a);
}

/* tests=bench-owned or bench-shared; the exit status. */
static int
bench_main(uint64_t dev, const char *mode)
{
	int owned = strcmp(mode, "owned") == 0, err;

	bb.mode = owned ? "owned" : "shared";
	if ((!owned && strcmp(mode, "shared") != 0) || dev == 0) {
		printf("blkclient: bench: mode '%s' (owned or shared), NVMe %s FAIL\n", mode,
		       dev ? "found" : "not found");
		return 1;
	}
	c.blocks = BENCH_BLOCKS;
	c.seed = 15;
	if ((err = fp_metrics_init(&bb.lat, bb.mem, sizeof(bb.mem), 2)) < 0 ||
	    (err = (int)bench_pin(ABI_SLOT_SELF, 0)) < 0 ||
	    (err = part_area_alloc(&c.a, BENCH_PAGES, BENCH_CPU)) < 0)
		goto out;
	fp_metrics_name_hist(&bb.lat, 0, "latency");
	fp_metrics_name_hist(&bb.lat, 1, "reply posted");
	c.a.ctl->generation = 1;
	c.a.ctl->arg[PART_BLK_FIRST] = 0;
	c.a.ctl->arg[PART_BLK_COUNT] = BENCH_BLOCKS * (PART_BLK_BENCH_BYTES / BENCH_LBA);
	c.a.ctl->arg[PART_BLK_BENCH] = 1;
	err = owned ? part_app_start(&c.app, &c.a, BENCH_CPU, "blkserve", dev)
	            : bench_start_shared(dev);
	if (err < 0 || (err = bench_wait_ready()) < 0 || (err = attach()) < 0)
		goto out;
	c.bufs =
	    part_span(&c.a, &c.a.ctl->arg[PART_BLK_BUF_OFF], PART_BLK_BUFS * PART_BLK_BENCH_BYTES);
	if (c.bufs == NULL)
		err = E_RANGE;
	else
		err = bench_run();
out:
	bench_stop();
	printf("blkclient: bench: %s%s\n", err < 0 ? error_name(err) : "done",
	       err < 0 || c.bad || c.errors ? " FAIL" : "");
	return err < 0 || c.bad || c.errors;
}

#endif
