/* schedtest: the kernel's scheduling through kern/sched, seen from user space (grade/lab4b.py).
 * Time is the TSC; under `qemu -icount shift=0` it counts instructions, so runs repeat exactly.
 *
 * It runs as the first env, `init=schedtest tests=MODE` (init's test list cannot pass
 * arguments), and starts its children with "schedtest worker|task N".
 *
 *   stride             (sched=stride) three children spin, counting, with 100, 200 and 300
 *                      tickets; over a window of STRIDE_WINDOW cycles the parent reads how far
 *                      each got: the shares must be 1:2:3 within STRIDE_TOLERANCE per mille.
 *   edf                (sched=edf) three periodic tasks (U = 0.6 reserved) block at the end
 *                      of each job; the parent, with a small reservation of its own, releases
 *                      them (env_set_status RUNNABLE) when their period comes round.  There is
 *                      no timer syscall yet, so the parent yields until the TSC passes the
 *                      next release.  Every job must finish by its deadline (release + period).
 *   set[,edf]          env_set_sched on itself and on a child is accepted under the policy in
 *                      use (and, with ",edf" under sched=edf, a server without a
 *                      period is refused).
 *   yield              the context-switch benchmark (bench/sched/sched.mk): with one child
 *                      that only yields, each of the parent's yields is a round trip through
 *                      the child; under icount the TSC delta per yield is its instructions. */
#include <stdint.h>

#include "libos.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define SHARED_VA  0x30000000ull /* the page parent and children share */
#define MAX_YIELDS 1000000
#define NCHILD     3
#define M          1000000ull

#define STRIDE_WINDOW    (1000 * M) /* cycles the shares are measured over */
#define STRIDE_TOLERANCE 20         /* per mille of the whole window, each way */

#define EDF_WINDOW (2000 * M)
static const uint64_t edf_period[NCHILD] = { 100 * M, 200 * M, 400 * M };
static const uint64_t edf_budget[NCHILD] = { 20 * M, 40 * M, 80 * M };
static const uint64_t edf_work[NCHILD] = { 5 * M, 10 * M, 20 * M }; /* loop turns, 2 insns */

struct shared {
	volatile uint64_t count[NCHILD];   /* stride: turns of each worker's loop */
	volatile uint64_t ready[NCHILD];   /* edf: the task is set up and blocked */
	volatile uint64_t release[NCHILD]; /* edf: the current job's release (TSC) */
	volatile uint64_t jobs[NCHILD];    /* edf: jobs finished */
	volatile uint64_t missed[NCHILD];  /* edf: jobs finished after their deadline */
	volatile uint64_t worst[NCHILD];   /* edf: the longest response */
};

static struct shared *const sh = (struct shared *)SHARED_VA;
static int nchecks, nfailed;

static void
check(int ok, const char *tag, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("schedtest: %s: %s %s\n", tag, what, ok ? "OK" : "FAIL");
}

/* A fixed amount of work: n turns of a two-instruction loop. */
static void
work(uint64_t n)
{
	for (uint64_t i = n; i > 0; i--)
		__asm__ volatile("");
}

/* A child may use the shared page only once its parent has mapped it (protect to its own
 * permissions fails with E_NOENT until then). */
static void
wait_for_shared_page(void)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			return;
		sys_yield();
	}
	printf("schedtest[child]: sync: the shared page is mapped FAIL\n");
	exit(1);
}

/* Spawns "schedtest ROLE i" for each child, gives each `params[i]`, and shares one page with
 * all of them; env capabilities in env[], the page's in *page. */
static void
start_children(const char *role, const struct abi_sched_params *params, uint64_t *env,
               uint64_t *page)
{
	char cmd[32];
	long s;

	if ((s = slot_alloc()) < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) <
	        0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)s, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot make the shared page");
	*page = (uint64_t)s;
	for (int i = 0; i < NCHILD; i++) {
		int len = fmt_snprintf(cmd, sizeof(cmd), "schedtest %s %d", role, i);

		if ((s = slot_alloc()) < 0 ||
		    sys_spawn(cmd, (size_t)len, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0)
			panic("cannot spawn %s", cmd);
		env[i] = (uint64_t)s;
		/* Set while the child waits in its queue, before it first runs. */
		check(sys_env_set_sched(env[i], &params[i], ~0ull) == 0, "setup",
		      "the parent sets a queued child's parameters");
		if (sys_map(env[i], *page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
			panic("cannot share the page with %s", cmd);
	}
}

static void
stop_children(const uint64_t *env, uint64_t page)
{
	for (int i = 0; i < NCHILD; i++) {
		sys_env_destroy(env[i]);
		sys_cap_delete(env[i]);
		slot_free(env[i]);
	}
	sys_unmap(ABI_SLOT_SELF, SHARED_VA);
	sys_cap_delete(page);
	slot_free(page);
}

static __attribute__((noreturn)) void
stride_worker(int i)
{
	wait_for_shared_page();
	for (;;)
		sh->count[i]++;
}

static void
stride_parent(void)
{
	struct abi_sched_params p[NCHILD] = { { .tickets = 100 },
		                              { .tickets = 200 },
		                              { .tickets = 300 } };
	struct abi_sched_params me = { .tickets = 1 }; /* the watcher takes almost nothing */
	uint64_t env[NCHILD], page, start[NCHILD], got[NCHILD], sum = 0, t0;
	char what[128];

	check(sys_env_set_sched(ABI_SLOT_SELF, &me, ~0ull) == 0, "setup",
	      "the parent sets its own parameters");
	start_children("worker", p, env, &page);
	for (int i = 0; i < MAX_YIELDS && (!sh->count[0] || !sh->count[1] || !sh->count[2]); i++)
		sys_yield();
	t0 = rdtsc();
	for (int i = 0; i < NCHILD; i++)
		start[i] = sh->count[i];
	while (rdtsc() - t0 < STRIDE_WINDOW)
		sys_yield();
	for (int i = 0; i < NCHILD; i++)
		got[i] = sh->count[i] - start[i];
	stop_children(env, page);
	for (int i = 0; i < NCHILD; i++)
		sum += got[i];
	for (int i = 0; i < NCHILD; i++) {
		uint64_t share = sum ? got[i] * 1000 / sum : 0, want = 1000 * (uint64_t)(i + 1) / 6;
		uint64_t off = share > want ? share - want : want - share;

		fmt_snprintf(what, sizeof(what),
		             "worker %d (%u tickets) ran %lu loops, %lu per mille, want %lu +- %d",
		             i, p[i].tickets, (unsigned long)got[i], (unsigned long)share,
		             (unsigned long)want, STRIDE_TOLERANCE);
		check(off <= STRIDE_TOLERANCE, "share", what);
	}
}

static __attribute__((noreturn)) void
edf_task(int i)
{
	wait_for_shared_page();
	sh->ready[i] = 1;
	for (;;) {
		uint64_t response;

		sys_env_set_status(ABI_SLOT_SELF, ENV_NOT_RUNNABLE); /* until the next release */
		work(edf_work[i]);
		response = rdtsc() - sh->release[i];
		sh->jobs[i]++;
		sh->missed[i] += response > edf_period[i];
		if (response > sh->worst[i])
			sh->worst[i] = response;
	}
}

/* Releases the tasks for EDF_WINDOW cycles; late[i] counts releases that found the previous
 * job still running (a missed deadline the task itself cannot see). */
static void
edf_release(const uint64_t *env, uint64_t *released, uint64_t *late)
{
	uint64_t t0 = rdtsc(), next[NCHILD], now;

	for (int i = 0; i < NCHILD; i++)
		next[i] = t0;
	while ((now = rdtsc()) - t0 < EDF_WINDOW) {
		for (int i = 0; i < NCHILD; i++) {
			if (now < next[i])
				continue;
			if (sys_env_status(env[i]) == ENV_NOT_RUNNABLE) {
				sh->release[i] = next[i];
				released[i]++;
				sys_env_set_status(env[i], ENV_RUNNABLE);
			} else {
				late[i]++;
			}
			next[i] += edf_period[i];
		}
		sys_yield();
	}
}

static void
edf_parent(void)
{
	struct abi_sched_params p[NCHILD], me = { .period = 10 * M, .budget = 1 * M };
	uint64_t env[NCHILD], page, released[NCHILD] = { 0 }, late[NCHILD] = { 0 };
	uint64_t jobs[NCHILD], missed[NCHILD], worst[NCHILD];
	char what[160];

	for (int i = 0; i < NCHILD; i++)
		p[i] =
		    (struct abi_sched_params){ .period = edf_period[i], .budget = edf_budget[i] };
	check(sys_env_set_sched(ABI_SLOT_SELF, &me, ~0ull) == 0, "setup",
	      "the parent sets its own parameters");
	start_children("task", p, env, &page);
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sh->ready[0] && sh->ready[1] && sh->ready[2] &&
		    sys_env_status(env[0]) == ENV_NOT_RUNNABLE &&
		    sys_env_status(env[1]) == ENV_NOT_RUNNABLE &&
		    sys_env_status(env[2]) == ENV_NOT_RUNNABLE)
			break;
		sys_yield();
	}
	edf_release(env, released, late);
	for (int i = 0; i < NCHILD; i++) {
		jobs[i] = sh->jobs[i];
		missed[i] = sh->missed[i];
		worst[i] = sh->worst[i];
	}
	stop_children(env, page);
	for (int i = 0; i < NCHILD; i++) {
		fmt_snprintf(
		    what, sizeof(what),
		    "task %d (period %luM, budget %luM): %lu released, %lu done, %lu missed, "
		    "%lu late, worst response %lu",
		    i, (unsigned long)(edf_period[i] / M), (unsigned long)(edf_budget[i] / M),
		    (unsigned long)released[i], (unsigned long)jobs[i], (unsigned long)missed[i],
		    (unsigned long)late[i], (unsigned long)worst[i]);
		check(released[i] == EDF_WINDOW / edf_period[i] && missed[i] == 0 && late[i] == 0 &&
		          jobs[i] + 1 >= released[i],
		      "deadline", what);
	}
}

static __attribute__((noreturn)) void
yield_partner(void)
{
	for (;;)
		sys_yield();
}

/* The smallest of YIELD_SAMPLES round trips: anything that interrupts one (a tick) only adds
 * to it. */
#define YIELD_SAMPLES 1000

static void
yield_bench(void)
{
	uint64_t best = UINT64_MAX, t;
	long s = slot_alloc();

	if (s < 0 || sys_spawn("schedtest partner", 17, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0)
		panic("cannot spawn the partner");
	sys_yield(); /* the partner's first turn: it starts and yields back */
	for (int i = 0; i < YIELD_SAMPLES; i++) {
		t = rdtsc();
		sys_yield();
		t = rdtsc() - t;
		best = t < best ? t : best;
	}
	sys_env_destroy((uint64_t)s);
	sys_cap_delete((uint64_t)s);
	printf("BENCH ctxsw_yield_roundtrip %lu instructions\n", (unsigned long)best);
}

/* Valid parameters for every policy are accepted, for the caller and for a child. */
static void
set_params(int edf)
{
	struct abi_sched_params p = {
		.priority = 10, .tickets = 50, .quantum = 2 * M, .period = 50 * M, .budget = 10 * M
	};
	struct abi_sched_params none = { 0 };
	long child = slot_alloc();

	check(sys_env_set_sched(ABI_SLOT_SELF, &p, ~0ull) == 0, "set", "own parameters accepted");
	check(sys_env_set_sched(ABI_SLOT_SELF, &p, 1) == 0, "set", "pinned to CPU 0");
	/* The child is never made runnable, so exofork's second return never happens. */
	if (child < 0 || sys_exofork((uint64_t)child) < 0)
		panic("cannot make a child env");
	check(sys_env_set_sched((uint64_t)child, &p, ~0ull) == 0, "set",
	      "a new child's parameters accepted");
	check(sys_env_set_sched((uint64_t)child, &none, ~0ull) == (edf ? E_INVAL : 0), "set",
	      "all-zero parameters: refused by edf only");
	sys_env_destroy((uint64_t)child);
	sys_cap_delete((uint64_t)child);
	slot_free((uint64_t)child);
}

int
main(int argc, char **argv)
{
	const char *mode = libos_envinfo->tests;
	int i = argc > 2 ? argv[2][0] - '0' : -1;

	if (argc > 1 && strcmp(argv[1], "worker") == 0 && i >= 0 && i < NCHILD)
		stride_worker(i);
	if (argc > 1 && strcmp(argv[1], "task") == 0 && i >= 0 && i < NCHILD)
		edf_task(i);
	if (argc > 1 && strcmp(argv[1], "partner") == 0)
		yield_partner();
	if (strcmp(mode, "stride") == 0)
		stride_parent();
	else if (strcmp(mode, "edf") == 0)
		edf_parent();
	else if (strcmp(mode, "set") == 0 || strcmp(mode, "set,edf") == 0)
		set_params(strcmp(mode, "set,edf") == 0);
	else if (strcmp(mode, "yield") == 0)
		yield_bench();
	else
		panic("usage: init=schedtest tests=stride|edf|set|set,edf|yield");
	printf("schedtest: %d of %d checks failed\n", nfailed, nchecks);
	return nfailed ? 1 : 0;
}
