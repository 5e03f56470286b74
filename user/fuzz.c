/* fuzz: the seeded system-call fuzzer (issue 17 item 7).  Run as init (`init=fuzz
 * tests=seed=S,seeds=N,calls=M[,orphans][,trace]`: init's tests= list carries its options), it
 * spawns one worker per seed (`fuzz -w SEED CALLS FLAGS`), hands it real capabilities of
 * every type, waits until it is dead, releases it and asks the kernel for a leak-check line,
 * which grade/fuzz.py compares with the one printed before the first seed.  The worker makes
 * CALLS system calls from a xorshift64* stream seeded by SEED (user/fuzzgen.h): every number
 * of the ABI_SYSCALLS list and unknown ones, with adversarial arguments, plus scenarios:
 * children that execute random instruction bytes, capability chains across environments,
 * exofork/spawn/destroy.  A seed replays exactly: the same calls in the same order.
 *
 * Without `orphans` the worker destroys every child it made before it exits, never deletes the
 * last capability to a live child, and its random code never contains `syscall`: these are
 * the patterns of issue 17's defect 1 (environments outliving whoever could stop them); with
 * `orphans` it does all three.  Blocking calls are made so they cannot block forever (IPC
 * non-blocking, bounded sleeps), so a worker that never ends is a kernel hang. */
#include <stdbool.h>
#include <stdint.h>

#include "libos.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#include "fuzzgen.h"

#define WORKER_QUOTA 384 /* pages of the master's quota each worker gets */
/* Master yields after which a worker still alive is a hang. */
#define WORKER_YIELDS 20000000
/* Spawns of a worker that failed with E_NOMEM (failalloc) before the seed gives up. */
#define SPAWN_TRIES 50
/* Master yields with the worker NOT_RUNNABLE after which it counts as stopped (its bounded
 * sleeps end within 200,000 cycles, user/fuzzgen.h deadline()). */
#define STOPPED_YIELDS 100000

/* The master's objects, copied into each worker at FZ_SLOT_GIVEN.. (fuzzgen.h). */
static uint64_t given[FZ_NGIVEN];

static uint64_t
opt(const char *list, const char *key, uint64_t dflt)
{
	size_t n = strlen(key);

	for (const char *p = list; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len > n && strncmp(p, key, n) == 0 && p[n] == '=')
			return fz_parse(p + n + 1);
		if (len == n && strncmp(p, key, n) == 0)
			return 1;
		p += comma ? len + 1 : len;
	}
	return dflt;
}

/* One object of each type the master can make or holds, in `given` (0: none). */
static void
master_objects(void)
{
	uint64_t first = 0, ndev = libos_devices(&first);
	long s;

	for (unsigned i = 0; i < FZ_NGIVEN; i++)
		given[i] = 0;
	if ((s = slot_alloc()) > 0 && sys_notify_alloc(ABI_SLOT_UNTYPED, s, CAP_R_ALL) == 0)
		given[0] = (uint64_t)s;
	if ((s = slot_alloc()) > 0 && sys_endpoint_alloc(ABI_SLOT_UNTYPED, s, CAP_R_ALL) == 0)
		given[1] = (uint64_t)s;
	if ((s = slot_alloc()) > 0 && sys_frame_alloc(ABI_SLOT_UNTYPED, s, CAP_R_ALL) == 0)
		given[2] = (uint64_t)s;
	given[3] = libos_envinfo->initrd_slot;
	given[4] = ndev > 0 ? first : 0;
	given[5] = ndev > 1 ? first + ndev - 1 : 0;
	/* The last CPU's core: claimable by the worker when there is more than one CPU. */
	if (libos_envinfo->core_count > 0)
		given[6] = libos_envinfo->core_slot + libos_envinfo->core_count - 1;
	given[7] = given[0]; /* the last copy tells the worker the others are there */
}

/* Calls the fuzzer once hung or crashed the kernel with, each with the answer it must get
 * (a kernel that hangs here never prints "fuzz: seeds", which grade/fuzz.py reports). */
static void
regressions(void)
{
	static const struct {
		const char *what;
		long num;
		uint64_t a[5];
		long want;
	} cases[] = {
		/* sys_dma.c computed the block order before the range check: a loop without end. */
		{ "dma_alloc npages 2^64-1",
		  SYS_dma_alloc,
		  { ABI_SLOT_UNTYPED, 0, ~0ull, 0, 0 },
		  E_RANGE },
		{ "dma_alloc npages 2^63+1",
		  SYS_dma_alloc,
		  { ABI_SLOT_UNTYPED, 0, (1ull << 63) + 1, 0, 0 },
		  E_RANGE },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long r = syscall5(cases[i].num, cases[i].a[0], cases[i].a[1], cases[i].a[2],
		                  cases[i].a[3], cases[i].a[4]);

		printf("fuzz: regression: %s = %s %s\n", cases[i].what, error_name((int)r),
		       r == cases[i].want ? "OK" : "FAIL");
	}
}

/* Waits for the death of the worker in `slot`: 0, E_AGAIN after WORKER_YIELDS yields.  A
 * worker that claimed a core for itself and then lost the core's capability (deleted,
 * revoked) is stopped by the kernel, NOT_RUNNABLE for good (docs/partitions.md): by design,
 * not a hang.  Seen so, the master makes it runnable again, as a parent may, and it goes on
 * with its calls (found by the -smp 4 campaign, seed 1003). */
static int
wait_worker(uint64_t slot, uint64_t seed)
{
	uint64_t stopped = 0;

	for (uint64_t i = 0; i < WORKER_YIELDS; i++) {
		long st = sys_env_status(slot);

		if (st < 0)
			return (int)st;
		if (st == ENV_DEAD)
			return 0;
		stopped = st == ENV_NOT_RUNNABLE ? stopped + 1 : 0;
		if (stopped == STOPPED_YIELDS) {
			printf("fuzz: seed %lu: the worker was stopped; made runnable again\n",
			       seed);
			sys_env_set_status(slot, ENV_RUNNABLE);
			stopped = 0;
		}
		sys_yield();
	}
	return E_AGAIN;
}

/* Spawns the worker for `seed`, copies the given capabilities into it, waits for its death. */
static int
run_seed(uint64_t seed, uint64_t calls, uint64_t flags)
{
	char cmd[96];
	long slot = slot_alloc(), id;
	int n, r;

	if (slot < 0)
		return (int)slot;
	n = fmt_snprintf(cmd, sizeof(cmd), "fuzz -w %lu %lu %lu", seed, calls, flags);
	/* Under failalloc a spawn may fail with E_NOMEM: an answer, not a finding; try again. */
	for (unsigned tries = 0;; tries++) {
		id = sys_spawn(cmd, (size_t)n, (uint64_t)slot, ABI_SLOT_UNTYPED, WORKER_QUOTA);
		if (id != E_NOMEM || tries == SPAWN_TRIES)
			break;
		sys_cap_delete((uint64_t)slot); /* nothing there unless the kernel is wrong */
	}
	if (id < 0) {
		printf("fuzz: seed %lu: spawn: %s\n", seed, error_name((int)id));
		slot_free((uint64_t)slot);
		return (int)id;
	}
	for (unsigned i = 0; i < FZ_NGIVEN; i++)
		if (given[i] != 0 &&
		    (r = (int)sys_cap_copy(given[i], (uint64_t)slot, FZ_SLOT_GIVEN + i)) < 0)
			printf("fuzz: seed %lu: giving slot %lu: %s\n", seed, given[i],
			       error_name(r));
	r = wait_worker((uint64_t)slot, seed);
	if (r < 0) {
		printf("fuzz: seed %lu: HANG: the worker did not end (%s); destroying it\n", seed,
		       error_name(r));
		sys_env_destroy((uint64_t)slot);
	}
	sys_cap_delete((uint64_t)slot);
	slot_free((uint64_t)slot);
	return r;
}

static void
master(void)
{
	const char *o = libos_envinfo->tests;
	uint64_t seed = opt(o, "seed", 1), seeds = opt(o, "seeds", 4),
	         calls = opt(o, "calls", 2000);
	uint64_t flags =
	    (opt(o, "orphans", 0) ? FZ_ORPHANS : 0) | (opt(o, "trace", 0) ? FZ_TRACE : 0);
	uint64_t t0 = rdtsc();

	printf("fuzz: seeds %lu..%lu, %lu calls each%s\n", seed, seed + seeds - 1, calls,
	       flags & FZ_ORPHANS ? ", orphans" : "");
	regressions();
	master_objects();
	sys_leak_check(); /* the baseline */
	for (uint64_t s = seed; s < seed + seeds; s++) {
		printf("fuzz: seed %lu start\n", s);
		run_seed(s, calls, flags);
		sys_leak_check();
		sys_kcheck(); /* kern/check: capability trees, reference counts, quotas */
		printf("fuzz: seed %lu end\n", s);
	}
	printf("fuzz: done %lu seeds, %lu tsc\n", seeds, rdtsc() - t0);
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "-w") == 0)
		return fz_worker(fz_parse(argv[2]), fz_parse(argv[3]), fz_parse(argv[4]));
	if (libos_envinfo->tests[0] == '\0' && argc > 1) {
		printf("usage: init=fuzz tests=seed=S,seeds=N,calls=M[,orphans]\n");
		return 1;
	}
	master();
	return 0;
}
