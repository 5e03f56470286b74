/* fpstat [-p | -l | -w]: the host partition's view of the fast path (issue 15 item 4,
 * docs/partitions.md "fpstat").  Always: every CPU's interrupt counters by kind and its owner
 * (core_stat, syscall 62).  Then every partition on the shell's partition board (partition.h,
 * "The board"): its state and, while its host lives, its full view, read in place in the
 * board.  With -p (a host program such as blkclient runs it so, the partition's area mapped
 * at PART_VA) the full view of that area alone.  The full view: the app's counters with
 * their rate since its loop began, each histogram's percentiles p50 ... p99.99 and max (TSC
 * cycles and microseconds), the heartbeat and its age (how long until it moved, up to 1 s),
 * and the log: its drops and the records waiting, printed in place (the program that reads
 * the log keeps them).  -w waits until a partition's app is ready; -l makes the next
 * partition registered stay until an fpstat has shown it. */
#include <stdint.h>

#include "abi/core.h"
#include "libos.h"
#include "partition.h"
#include "usyscall.h"
#include "xstring.h"

/* A heartbeat that has not moved in this long is reported as stalled.  Longer than the
 * watchdog's 10 ms: fpstat only reports, and a loaded host deschedules vCPUs for that long. */
#define AGE_MAX_MS 1000
#define WAIT_MS    120000 /* -w's bound */

static struct fp_hist snap;

static void
cores(void)
{
	struct abi_core_stat st;

	printf("fpstat: cpu  timer  device  ipi  other  stops  owner\n");
	for (uint64_t c = 0; sys_core_stat(c, &st) == 0; c++)
		printf("fpstat: %3lu %6lu %7lu %4lu %6lu %6lu  0x%lx\n", c, st.timer, st.device,
		       st.ipi, st.other, st.stops, st.owner);
}

static uint64_t
us(uint64_t cycles, uint64_t hz)
{
	return fp_cycles_to_ns(cycles, hz) / 1000;
}

static void
metrics(const struct fp_metrics *m, uint64_t hz, uint64_t elapsed)
{
	struct fp_hist_summary s;
	uint64_t secs_ns = fp_cycles_to_ns(elapsed, hz);

	for (uint32_t i = 0; i < FP_METRICS_COUNTERS; i++) {
		uint64_t v = fp_counter_read(m, i);
		char name[FP_METRICS_NAME + 1] = { 0 };

		memcpy(name, m->sh->counter_name[i], FP_METRICS_NAME);
		if (name[0] == '\0')
			continue;
		printf("fpstat: %-16s %lu (%lu/s)\n", name, v,
		       secs_ns ? v * 1000 / (secs_ns / 1000000 + 1) : 0);
	}
	for (uint32_t i = 0; i < m->nhists; i++) {
		char name[FP_METRICS_NAME + 1] = { 0 };
		int exact = fp_hist_snapshot(m, i, &snap);

		memcpy(name, m->sh->hist_name[i], FP_METRICS_NAME);
		fp_hist_summarize(&snap, &s);
		printf("fpstat: %s: %lu values%s, cycles p50 %lu p90 %lu p99 %lu p99.9 %lu "
		       "p99.99 %lu max %lu\n",
		       name, s.count, exact ? "" : " (busy copy)", s.p50, s.p90, s.p99, s.p999,
		       s.p9999, s.max);
		printf("fpstat: %s: us p50 %lu p90 %lu p99 %lu p99.9 %lu p99.99 %lu max %lu\n",
		       name, us(s.p50, hz), us(s.p90, hz), us(s.p99, hz), us(s.p999, hz),
		       us(s.p9999, hz), us(s.max, hz));
	}
}

/* The heartbeat's age: how long it takes to move, up to AGE_MAX_MS (then: stalled); none
 * when the loop was told to stop (l2fwd's stop frame, blkserve's client). */
static void
heartbeat(const struct part_ctl *c, uint64_t hz)
{
	uint64_t b0 = fp_poll_heartbeat(&c->poll), t0 = rdtsc(), t;
	uint64_t limit = part_ms_to_tsc(AGE_MAX_MS);

	if (__atomic_load_n(&c->poll.stop, __ATOMIC_ACQUIRE)) {
		printf("fpstat: heartbeat %lu, loop stopped\n", b0);
		return;
	}
	while ((t = rdtsc()) - t0 < limit)
		if (fp_poll_heartbeat(&c->poll) != b0) {
			printf("fpstat: heartbeat %lu, age <= %lu us\n", b0, us(t - t0, hz));
			return;
		}
	printf("fpstat: heartbeat %lu, unchanged for %u ms: stalled\n", b0, AGE_MAX_MS);
}

/* The log records waiting, printed in place (peek, no release): the host program that runs
 * fpstat stays the log's one consumer, its handle still right afterwards. */
static void
waiting(struct fp_log *log, uint64_t hz)
{
	uint32_t n = fp_ring_count(&log->ring), k;
	void *first;
	char line[96];

	printf("fpstat: log: %u lines waiting, %lu dropped\n", n, fp_log_drops(log));
	k = fp_ring_peek(&log->ring, &first, n);
	for (uint32_t i = 0; i < k; i++) {
		fp_log_format((const struct fp_log_rec *)first + i, hz, line, sizeof(line));
		printf("fpstat: log: %s\n", line);
	}
}

/* The full view of one area (ctl mapped, npages set): the lines of `fpstat -p`. */
static int
view(struct part_area *a)
{
	struct fp_log log;
	struct fp_metrics m;
	uint64_t hz;
	int r;

	if ((r = part_attach(a, a->ctl->generation, &log, &m)) <= 0) {
		printf("fpstat: no partition area: %s\n", r ? error_name(r) : "not ready");
		return 1;
	}
	hz = a->ctl->tsc_hz;
	printf("fpstat: partition on cpu %u, generation %u, tsc %lu Hz\n", a->ctl->cpu,
	       a->ctl->generation, hz);
	metrics(&m, hz, rdtsc() - a->ctl->started_tsc);
	heartbeat(a->ctl, hz);
	waiting(&log, hz);
	return 0;
}

/* Entry i's area as the board maps it here, or NULL when its control block is not one. */
static struct part_ctl *
entry_area(const struct part_board *b, unsigned i, struct part_area *a)
{
	memset(a, 0, sizeof(*a));
	a->ctl = part_board_area(b, i);
	a->npages = __atomic_load_n(&a->ctl->npages, __ATOMIC_RELAXED);
	if (a->ctl->magic != PART_MAGIC || a->npages == 0 || a->npages > PART_BOARD_AREA)
		return NULL;
	return a->ctl;
}

/* One entry: its state and, while its loop runs, the full view, read in place (a copy reads
 * nothing it must release).  Read only when the kernel names the loop's env as its core's
 * owner (a dead env owns no core: its claim ended with it), so a dead host's pages are never
 * shown as live even where no shell swept its entry; an ENDED entry is never read either.
 * gen read again afterwards: a change means the entry was reused under us. */
static void
entry(struct part_board *b, unsigned i)
{
	struct part_board_ent *e = &b->ent[i];
	uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
	uint64_t gen = __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE), runner = e->runner;
	char name[PART_BOARD_NAME + 1] = { 0 };
	struct part_area a;

	if (st == PART_BOARD_FREE)
		return;
	memcpy(name, e->name, PART_BOARD_NAME);
	printf("fpstat: board %u: %s, host env 0x%lx, registration %lu: ", i, name, e->host, gen);
	if (st == PART_BOARD_TAKEN) {
		printf("being set up\n");
		return;
	}
	if (st == PART_BOARD_ENDED) {
		printf("ended (its host is gone)\n");
		return;
	}
	if (!part_board_on_core(runner, e->cpu)) {
		printf("live, not on cpu %u (starting or ending): not read\n", e->cpu);
		return;
	}
	printf("live, running on cpu %u (env 0x%lx)\n", e->cpu, runner);
	if (entry_area(b, i, &a) == NULL)
		printf("fpstat: board %u: no control block yet\n", i);
	else if (view(&a) == 0 && __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == gen)
		__atomic_store_n(&e->seen, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) != gen ||
	    __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != PART_BOARD_LIVE)
		printf("fpstat: board %u: ended while read: the lines above may mix two runs\n", i);
}

/* -w: until an entry is live and its app has laid its area out (bounded). */
static int
wait_ready(const struct part_board *b)
{
	uint64_t end = rdtsc() + part_ms_to_tsc(WAIT_MS), nap = part_ms_to_tsc(1);
	struct part_area a;

	while (rdtsc() < end) {
		for (unsigned i = 0; i < PART_BOARD_ENTRIES; i++)
			if (__atomic_load_n(&b->ent[i].state, __ATOMIC_ACQUIRE) ==
			        PART_BOARD_LIVE &&
			    entry_area(b, i, &a) != NULL &&
			    __atomic_load_n(&a.ctl->ready, __ATOMIC_ACQUIRE) == a.ctl->generation &&
			    a.ctl->generation != 0)
				return 0;
		sys_sleep_until(rdtsc() + nap, 0);
	}
	printf("fpstat: -w: no partition became ready in %u s\n", WAIT_MS / 1000);
	return 1;
}

static int
board(int argc, char **argv)
{
	struct part_board *b = part_board_map();
	int n = 0, r = 0;

	if (b == NULL) {
		printf("fpstat: board: none (fpstat was not started from a shell)\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0) {
			__atomic_store_n(&b->linger, 1, __ATOMIC_RELEASE);
			printf(
			    "fpstat: board: the next partition stays until an fpstat shows it\n");
		} else if (strcmp(argv[i], "-w") == 0) {
			r = wait_ready(b);
		} else {
			printf("usage: fpstat [-p | -l | -w]\n");
			return 2;
		}
	}
	for (unsigned i = 0; i < PART_BOARD_ENTRIES; i++)
		n += __atomic_load_n(&b->ent[i].state, __ATOMIC_ACQUIRE) != PART_BOARD_FREE;
	if (n == 0)
		printf("fpstat: board: no partition\n");
	for (unsigned i = 0; i < PART_BOARD_ENTRIES; i++)
		entry(b, i);
	return r;
}

int
main(int argc, char **argv)
{
	struct part_area a;
	int r;

	cores();
	if (argc < 2 || strcmp(argv[1], "-p") != 0)
		return board(argc, argv);
	if ((r = part_area_wait(&a)) < 0) {
		printf("fpstat: no partition area: %s\n", error_name(r));
		return 1;
	}
	return view(&a);
}
