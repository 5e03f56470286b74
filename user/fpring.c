/* fpring [N]: lib/fastpath's SPSC ring between two owned cores (lab 6's 4-CPU ring test,
 * grade/lab6.py).  The host (this program, as init or from the shell, holding the core
 * capabilities) lays out one ring of RING_SLOTS 16-byte slots in a shared area, starts
 * `fpring -c N` on CPU 3 and `fpring -p N` on CPU 2 (part_app_start: each claims its core),
 * and waits for the consumer's verdict (giving up when it has got nothing new for STUCK_MS):
 * N items (1..FP_MAX, default 5000) sent in batches of
 * 1 to BATCH_MAX (a fixed-seed generator) must arrive once each, in order and untorn (each
 * item's second word is a function of its first).  Prints one line per side and a verdict
 * ending in OK or FAIL.  Two more checks ride on the same run (lab 6):
 *
 *   quiet  each side reads its own CPU's interrupt counters (core_stat) before its first and
 *          after its last ring operation; the host prints the difference, which on an owned
 *          core must be 0 of every kind (no tick, no device interrupt, no IPI), while the
 *          host changes its own page tables every millisecond (churn)
 *   log    the producer writes a record to its log channel (lib/fastpath/log.c, an SPSC ring
 *          of the same code) after every LOG_EVERY items; the host drains it while the run
 *          goes on and checks each record's sequence number, level, text and that its TSC
 *          (CPU 2's) never goes back: N / LOG_EVERY records, in order, none dropped. */
#include <stdint.h>

#include "abi/core.h"
#include "abi/error.h"
#include "abi/memlayout.h"
#include "libos.h"
#include "partition.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define RING_SLOTS 64
#define BATCH_MAX  32
#define FP_MAX     10000000
#define PRODUCER   2 /* the cores the two sides own */
#define CONSUMER   3
#define STUCK_MS   5000 /* the host gives up when the consumer gets nothing this long */
#define KEY        0x9e3779b97f4a7c15ull
#define AREA_PAGES 4   /* the control block, the ring, the report, the log */
#define LOG_RECS   16  /* the log channel's slots: more than the records of 5000 items */
#define LOG_EVERY  500 /* items between two log records */

/* ctl->arg[] words: each side's CPU, the counts, and the consumer's done flag (last). */
enum { ARG_N, ARG_PCPU, ARG_CCPU, ARG_SENT, ARG_GOT, ARG_BAD, ARG_DONE };

struct item {
	uint64_t seq, check;
};

/* What each side found out about its own CPU, carved in the area after the ring (both sides
 * carve in the same order): its interrupts of each kind over its run, each side's on its
 * own cache line, stored before the side's release store of its count (ARG_SENT, ARG_DONE). */
struct side {
	uint64_t timer, device, ipi, other;
	uint64_t cycles; /* the TSC cycles between the two reads */
} __attribute__((aligned(FP_CACHELINE)));

struct report {
	struct side side[2]; /* producer, consumer */
};

/* The host's view of the log channel and what it found in it. */
struct logcheck {
	struct fp_log log;
	struct fp_metrics met;
	int attached;
	uint32_t n, bad;
	uint64_t last_tsc;
};

static uint32_t
batch(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*seed >> 33) % BATCH_MAX + 1;
}

static uint64_t
stat_begin(struct abi_core_stat *s)
{
	sys_core_stat((uint64_t)sys_cpu(), s);
	return rdtsc();
}

static void
stat_end(const struct abi_core_stat *b, uint64_t t0, struct side *out)
{
	struct abi_core_stat e;
	uint64_t t = rdtsc();

	sys_core_stat((uint64_t)sys_cpu(), &e);
	*out = (struct side){ e.timer - b->timer, e.device - b->device, e.ipi - b->ipi,
		              e.other - b->other, t - t0 };
}

static void
produce(struct fp_ring *r, uint64_t n, struct part_ctl *c, struct fp_log *log, struct side *me)
{
	struct item it[BATCH_MAX];
	struct abi_core_stat st;
	uint64_t seed = 1, next = 0, t0;

	c->arg[ARG_PCPU] = (uint64_t)sys_cpu();
	t0 = stat_begin(&st);
	while (next < n) {
		uint32_t k = batch(&seed), put;

		k = n - next < k ? (uint32_t)(n - next) : k;
		for (uint32_t i = 0; i < k; i++)
			it[i] = (struct item){ next + i, (next + i) * KEY };
		while ((put = fp_ring_enqueue(r, it, k)) == 0)
			__asm__ volatile("pause");
		next += put; /* a partial batch: the rest is made again, the same items */
		if (next / LOG_EVERY != (next - put) / LOG_EVERY)
			fp_logf(log, FP_LOG_INFO, "sent %lu", next / LOG_EVERY * LOG_EVERY);
	}
	stat_end(&st, t0, me);
	__atomic_store_n(&c->arg[ARG_SENT], next, __ATOMIC_RELEASE);
}

static void
consume(struct fp_ring *r, uint64_t n, struct part_ctl *c, struct side *me)
{
	struct item it[BATCH_MAX];
	struct abi_core_stat st;
	uint64_t seed = 2, got = 0, bad = 0, t0;

	c->arg[ARG_CCPU] = (uint64_t)sys_cpu();
	t0 = stat_begin(&st);
	while (got < n) {
		uint32_t k = fp_ring_dequeue(r, it, batch(&seed));

		for (uint32_t i = 0; i < k; i++, got++)
			bad += it[i].seq != got || it[i].check != got * KEY;
		if (k == 0)
			__asm__ volatile("pause");
		__atomic_store_n(&c->arg[ARG_GOT], got, __ATOMIC_RELAXED); /* progress */
	}
	stat_end(&st, t0, me);
	c->arg[ARG_BAD] = bad;
	__atomic_store_n(&c->arg[ARG_DONE], 1, __ATOMIC_RELEASE);
}

/* Both sides carve the area in the host's order (host()): the ring, the report (*rep). */
static int
carve(struct part_area *a, struct report **rep)
{
	uint64_t off;

	if (part_carve(a, fp_ring_bytes(RING_SLOTS, sizeof(struct item)), &off) == NULL ||
	    (*rep = part_carve(a, sizeof(**rep), &off)) == NULL)
		return E_NOMEM;
	return 0;
}

static int
app(int consumer)
{
	struct part_area a;
	struct fp_ring r;
	struct fp_clock clk;
	struct fp_log log;
	struct fp_metrics met;
	struct report *rep;
	enum fp_ring_role role = consumer ? FP_RING_CONSUMER : FP_RING_PRODUCER;
	int err;

	part_clock(&clk);
	if ((err = part_area_wait(&a)) < 0 ||
	    (err = part_ring_attach(&a, 0, role, sizeof(struct item), &r)) < 0 ||
	    (err = carve(&a, &rep)) < 0 ||
	    (!consumer && (err = part_app_layout(&a, &clk, LOG_RECS, 0, &log, &met)) < 0)) {
		printf("fpring: %s: %s\n", consumer ? "consumer" : "producer", error_name(err));
		return 1;
	}
	if (consumer) {
		consume(&r, a.ctl->arg[ARG_N], a.ctl, &rep->side[1]);
		return 0;
	}
	part_app_ready(&a);
	produce(&r, a.ctl->arg[ARG_N], a.ctl, &log, &rep->side[0]);
	return 0;
}

/* The host: every log record waiting, each checked against the one expected next. */
static void
log_check(struct part_area *a, struct logcheck *lc)
{
	struct fp_log_rec rec;
	uint32_t gap;
	char want[FP_LOG_MSG];

	if (!lc->attached && part_attach(a, 1, &lc->log, &lc->met) == 1)
		lc->attached = 1;
	while (lc->attached && fp_log_read(&lc->log, &rec, &gap) == 1) {
		fmt_snprintf(want, sizeof(want), "sent %u", (lc->n + 1) * LOG_EVERY);
		if (gap != 0 || rec.seq != lc->n || rec.level != FP_LOG_INFO ||
		    rec.tsc < lc->last_tsc || strcmp(rec.msg, want) != 0) {
			if (lc->bad++ == 0)
				printf("fpring: log record %u: seq %u gap %u level %u \"%s\" after "
				       "tsc "
				       "%lu: expected seq %u, \"%s\"\n",
				       lc->n, rec.seq, gap, rec.level, rec.msg, lc->last_tsc, lc->n,
				       want);
		}
		lc->last_tsc = rec.tsc;
		lc->n++;
	}
}

/* Page-table work of the host's own while the ring runs: taking write access away from its
 * last area page (which nothing uses) needs a TLB shootdown, and that must reach only the
 * CPUs that have the host's address space loaded, never the owned cores (their envs' address
 * spaces do not change).  A kernel that sent it to every CPU fails the quiet check. */
static void
churn(void)
{
	uintptr_t va = PART_VA + (AREA_PAGES - 1) * ABI_PAGE_SIZE;

	sys_protect(ABI_SLOT_SELF, va, ABI_PERM_R);
	sys_protect(ABI_SLOT_SELF, va, ABI_PERM_R | ABI_PERM_W);
}

/* Waits for the consumer's verdict, looking every millisecond; E_AGAIN when it has got
 * nothing new for STUCK_MS. */
static int
wait_done(struct part_area *a, struct logcheck *lc)
{
	struct part_ctl *c = a->ctl;
	uint64_t got = 0, now;

	for (int idle = 0; idle < STUCK_MS; idle++) {
		log_check(a, lc);
		churn();
		if (__atomic_load_n(&c->arg[ARG_DONE], __ATOMIC_ACQUIRE) != 0)
			return 0;
		now = __atomic_load_n(&c->arg[ARG_GOT], __ATOMIC_RELAXED);
		if (now != got) {
			got = now;
			idle = 0;
		}
		sys_sleep_until(rdtsc() + part_ms_to_tsc(1), 0);
	}
	printf("fpring: the consumer got nothing for %d ms after %lu items\n", STUCK_MS, got);
	return E_AGAIN;
}

static void
show_side(const char *who, uint64_t cpu, const struct side *s)
{
	printf("fpring: %s on cpu %lu took timer %lu device %lu ipi %lu other %lu during its run "
	       "(%lu us)\n",
	       who, cpu, s->timer, s->device, s->ipi, s->other,
	       s->cycles / (part_ms_to_tsc(1) / 1000 + 1));
}

/* After the run: each side's interrupts, the log channel's records, then the verdict. */
static void
verdict(struct part_area *a, const struct report *rep, struct logcheck *lc, uint64_t n)
{
	struct part_ctl *k = a->ctl;

	log_check(a, lc); /* the producer's last record came before its count */
	printf("fpring: producer on cpu %lu sent %lu; consumer on cpu %lu got %lu, %lu out of "
	       "order or torn\n",
	       k->arg[ARG_PCPU], k->arg[ARG_SENT], k->arg[ARG_CCPU], k->arg[ARG_GOT],
	       k->arg[ARG_BAD]);
	if (k->arg[ARG_SENT] == n) {
		show_side("producer", k->arg[ARG_PCPU], &rep->side[0]);
		show_side("consumer", k->arg[ARG_CCPU], &rep->side[1]);
	}
	printf("fpring: log channel from cpu %u: %u records of %lu, %u out of order, %lu "
	       "dropped\n",
	       PRODUCER, lc->n, n / LOG_EVERY, lc->bad, lc->attached ? fp_log_drops(&lc->log) : 0);
	printf("fpring: %lu items through a %u-slot ring, cpu %u -> cpu %u: %s\n", n, RING_SLOTS,
	       PRODUCER, CONSUMER,
	       k->arg[ARG_PCPU] == PRODUCER && k->arg[ARG_CCPU] == CONSUMER &&
	               k->arg[ARG_GOT] == n && k->arg[ARG_BAD] == 0
	           ? "OK"
	           : "FAIL");
}

static int
host(uint64_t n)
{
	struct part_area a;
	struct part_app p = { 0 }, c = { 0 };
	struct fp_ring r;
	struct report *rep;
	static struct logcheck lc;
	uint64_t off;
	int err;

	if ((err = part_area_alloc(&a, AREA_PAGES, PRODUCER)) < 0)
		goto out;
	part_area_renew(&a, 1); /* generation 1: part_attach waits for the producer's ready */
	if ((err = part_ring_init(&a, 0, FP_RING_PRODUCER, RING_SLOTS, sizeof(struct item), &r)) <
	        0 ||
	    (err = (rep = part_carve(&a, sizeof(*rep), &off)) != NULL ? 0 : E_NOMEM) < 0)
		goto out;
	a.ctl->arg[ARG_N] = n;
	if ((err = part_app_start(&c, &a, CONSUMER, "fpring -c", 0)) < 0 ||
	    (err = part_app_start(&p, &a, PRODUCER, "fpring -p", 0)) < 0 ||
	    (err = wait_done(&a, &lc)) < 0)
		goto out;
	/* The consumer can take the last item before the producer has stored its count. */
	for (int ms = 0;
	     ms < STUCK_MS && __atomic_load_n(&a.ctl->arg[ARG_SENT], __ATOMIC_ACQUIRE) == 0; ms++)
		sys_sleep_until(rdtsc() + part_ms_to_tsc(1), 0);
	verdict(&a, rep, &lc, n);
out:
	if (err < 0)
		printf("fpring: %s: FAIL\n", error_name(err));
	part_app_destroy(&p);
	part_app_destroy(&c);
	part_area_free(&a);
	return err < 0;
}

int
main(int argc, char **argv)
{
	long n = 5000;

	if (argc > 1 && (strcmp(argv[1], "-p") == 0 || strcmp(argv[1], "-c") == 0))
		return app(argv[1][1] == 'c');
	if (argc > 1 && ((n = part_number(argv[1])) < 1 || n > FP_MAX)) {
		printf("usage: fpring [N]  (1 <= N <= %d)\n", FP_MAX);
		return 2;
	}
	return host((uint64_t)n);
}
