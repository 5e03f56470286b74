/* fpring [N]: lib/fastpath's SPSC ring between two owned cores (lab 6's 4-CPU ring test,
 * grade/lab6.py).  The host (this program, as init or from the shell, holding the core
 * capabilities) lays out one ring of RING_SLOTS 16-byte slots in a shared area, starts
 * `fpring -c N` on CPU 3 and `fpring -p N` on CPU 2 (part_app_start: each claims its core),
 * and waits for the consumer's verdict (giving up when it has got nothing new for STUCK_MS):
 * N items (1..FP_MAX, default 5000) sent in batches of
 * 1 to BATCH_MAX (a fixed-seed generator) must arrive once each, in order and untorn (each
 * item's second word is a function of its first).  Prints one line per side and a verdict
 * ending in OK or FAIL. */
#include <stdint.h>

#include "abi/error.h"
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

/* ctl->arg[] words: each side's CPU, the counts, and the consumer's done flag (last). */
enum { ARG_N, ARG_PCPU, ARG_CCPU, ARG_SENT, ARG_GOT, ARG_BAD, ARG_DONE };

struct item {
	uint64_t seq, check;
};

static uint32_t
batch(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*seed >> 33) % BATCH_MAX + 1;
}

static void
produce(struct fp_ring *r, uint64_t n, struct part_ctl *c)
{
	struct item it[BATCH_MAX];
	uint64_t seed = 1, next = 0;

	c->arg[ARG_PCPU] = (uint64_t)sys_cpu();
	while (next < n) {
		uint32_t k = batch(&seed), put;

		k = n - next < k ? (uint32_t)(n - next) : k;
		for (uint32_t i = 0; i < k; i++)
			it[i] = (struct item){ next + i, (next + i) * KEY };
		while ((put = fp_ring_enqueue(r, it, k)) == 0)
			__asm__ volatile("pause");
		next += put; /* a partial batch: the rest is made again, the same items */
	}
	__atomic_store_n(&c->arg[ARG_SENT], next, __ATOMIC_RELEASE);
}

static void
consume(struct fp_ring *r, uint64_t n, struct part_ctl *c)
{
	struct item it[BATCH_MAX];
	uint64_t seed = 2, got = 0, bad = 0;

	c->arg[ARG_CCPU] = (uint64_t)sys_cpu();
	while (got < n) {
		uint32_t k = fp_ring_dequeue(r, it, batch(&seed));

		for (uint32_t i = 0; i < k; i++, got++)
			bad += it[i].seq != got || it[i].check != got * KEY;
		if (k == 0)
			__asm__ volatile("pause");
		__atomic_store_n(&c->arg[ARG_GOT], got, __ATOMIC_RELAXED); /* progress */
	}
	c->arg[ARG_BAD] = bad;
	__atomic_store_n(&c->arg[ARG_DONE], 1, __ATOMIC_RELEASE);
}

static int
app(int consumer)
{
	struct part_area a;
	struct fp_ring r;
	enum fp_ring_role role = consumer ? FP_RING_CONSUMER : FP_RING_PRODUCER;
	int err;

	if ((err = part_area_wait(&a)) < 0 ||
	    (err = part_ring_attach(&a, 0, role, sizeof(struct item), &r)) < 0) {
		printf("fpring: %s: %s\n", consumer ? "consumer" : "producer", error_name(err));
		return 1;
	}
	if (consumer)
		consume(&r, a.ctl->arg[ARG_N], a.ctl);
	else
		produce(&r, a.ctl->arg[ARG_N], a.ctl);
	return 0;
}

/* Waits for the consumer's verdict, looking every millisecond; E_AGAIN when it has got
 * nothing new for STUCK_MS. */
static int
wait_done(struct part_ctl *c)
{
	uint64_t got = 0, now;

	for (int idle = 0; idle < STUCK_MS; idle++) {
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

static int
host(uint64_t n)
{
	struct part_area a;
	struct part_app p = { 0 }, c = { 0 };
	struct fp_ring r;
	struct part_ctl *k;
	int err;

	if ((err = part_area_alloc(&a, 2, PRODUCER)) < 0 ||
	    (err = part_ring_init(&a, 0, FP_RING_PRODUCER, RING_SLOTS, sizeof(struct item), &r)) <
	        0)
		goto out;
	k = a.ctl;
	k->arg[ARG_N] = n;
	if ((err = part_app_start(&c, &a, CONSUMER, "fpring -c", 0)) < 0 ||
	    (err = part_app_start(&p, &a, PRODUCER, "fpring -p", 0)) < 0 ||
	    (err = wait_done(k)) < 0)
		goto out;
	/* The consumer can take the last item before the producer has stored its count. */
	for (int ms = 0; ms < STUCK_MS && __atomic_load_n(&k->arg[ARG_SENT], __ATOMIC_ACQUIRE) == 0;
	     ms++)
		sys_sleep_until(rdtsc() + part_ms_to_tsc(1), 0);
	printf("fpring: producer on cpu %lu sent %lu; consumer on cpu %lu got %lu, %lu out of "
	       "order or torn\n",
	       k->arg[ARG_PCPU], k->arg[ARG_SENT], k->arg[ARG_CCPU], k->arg[ARG_GOT],
	       k->arg[ARG_BAD]);
	printf("fpring: %lu items through a %u-slot ring, cpu %u -> cpu %u: %s\n", n, RING_SLOTS,
	       PRODUCER, CONSUMER,
	       k->arg[ARG_PCPU] == PRODUCER && k->arg[ARG_CCPU] == CONSUMER &&
	               k->arg[ARG_GOT] == n && k->arg[ARG_BAD] == 0
	           ? "OK"
	           : "FAIL");
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
