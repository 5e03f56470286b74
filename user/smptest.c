/* smptest: every CPU runs envs (grade/lab4b.py, the smp-* tests, SMP=4).  It runs as the
 * first env, `init=smptest tests=MODE`, and starts its children as "smptest ROLE i".  Every
 * check prints one `smptest: TAG: ... OK|FAIL` line; no check waits for a time, only for a
 * flag in the page parent and children share (bounded by a count of yields).
 *
 *   spread    four children spin, each writing the CPU it runs on (sys_cpu) into its slot;
 *             once all four have started, the four slots must name four different CPUs
 *             at the same moment.  Then the parent destroys them while they run on their
 *             CPUs: each destroy returns with the child off its CPU (its counter is still).
 *   pin       two children pinned to CPU 2 (env_set_sched's affinity) run and yield many
 *             times while the other CPUs idle and would steal them: every sys_cpu they see
 *             is 2.
 *   wake      a child pinned to CPU 1 blocks itself; the parent (on CPU 0) wakes it, and it
 *             must run on CPU 1 (an idle CPU woken by an IPI); then a spinner pinned to
 *             CPU 1 holds that CPU and the child, woken again, must still run there (the
 *             spinner's CPU had no timer armed: the wake-up arms it, the slice ends).
 *   shoot     a child pinned to CPU 1 reads a shared page in a loop; the parent (pinned to
 *             CPU 0) unmaps that page from the child and then raises a flag: a read the
 *             child makes after it saw the flag must fault (TLB shootdown), so the child
 *             dies by a page fault at that address and never reports a stale read.
 *   tickless  a child pinned to CPU 3 spins alone for SPIN_CYCLES TSC cycles and exits;
 *             the grader then reads CPU 3's timer interrupts in the monitor's `cpus`. */
#include <stdint.h>

#include "libos.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define SHARED_VA   0x30000000ull /* the handshake page, in parent and children */
#define VICTIM_VA   0x30001000ull /* shoot: the page the parent takes away */
#define MAX_YIELDS  2000000
#define NSPREAD     4
#define PIN_CPU     2
#define PIN_ROUNDS  2000
#define SPIN_CYCLES 1500000000ull

struct shared {
	volatile uint64_t cpu[NSPREAD];   /* spread: the CPU each child last saw */
	volatile uint64_t count[NSPREAD]; /* spread: turns of each child's loop */
	volatile uint64_t started[NSPREAD];
	volatile uint64_t bad[NSPREAD]; /* pin: sys_cpu answers other than PIN_CPU */
	volatile uint64_t done[NSPREAD];
	volatile uint64_t runs;     /* wake: times the child ran after a wake-up */
	volatile uint64_t ran_on;   /* wake: the CPU it ran on last */
	volatile uint64_t spinning; /* wake: the spinner holds its CPU */
	volatile uint64_t ready;    /* shoot: the child has read the victim page */
	volatile uint64_t unmapped; /* shoot: the parent's unmap has returned */
	volatile uint64_t stale;    /* shoot: the child read the page after the unmap */
};

static struct shared *const sh = (struct shared *)SHARED_VA;
static int nchecks, nfailed;

static void
check(int ok, const char *tag, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("smptest: %s: %s %s\n", tag, what, ok ? "OK" : "FAIL");
}

/* Keeps `env` on the CPUs of `mask`, with the default parameters. */
static int
pin(uint64_t env, uint64_t mask)
{
	struct abi_sched_params p = { .priority = 32, .tickets = 100 };

	return (int)sys_env_set_sched(env, &p, mask);
}

/* Yields until *flag reaches `want`; false if it never does. */
static int
wait_for(volatile uint64_t *flag, uint64_t want)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (*flag >= want)
			return 1;
		sys_yield();
	}
	return 0;
}

/* A child may use the shared page only once its parent has mapped it. */
static void
wait_for_shared_page(void)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			return;
		sys_yield();
	}
	exit(1);
}

/* A fresh page mapped at `va` here; its frame capability's slot. */
static uint64_t
new_page(uint64_t va)
{
	long s = slot_alloc();

	if (s < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) <
	        0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)s, va, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot make a page at 0x%lx", va);
	return (uint64_t)s;
}

/* Spawns "smptest ROLE i", pinned to `mask` (~0: anywhere), with the shared page. */
static uint64_t
start_child(const char *role, int i, uint64_t mask, uint64_t page)
{
	char cmd[32];
	int len = fmt_snprintf(cmd, sizeof(cmd), "smptest %s %d", role, i);
	long s = slot_alloc();

	if (s < 0 || sys_spawn(cmd, (size_t)len, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0)
		panic("cannot spawn %s", cmd);
	if (mask != ~0ull && pin((uint64_t)s, mask) < 0)
		panic("cannot pin %s", cmd);
	if (sys_map((uint64_t)s, page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot share the page with %s", cmd);
	return (uint64_t)s;
}

static void
stop_child(uint64_t env)
{
	sys_env_destroy(env);
	sys_cap_delete(env);
	slot_free(env);
}

static __attribute__((noreturn)) void
spread_child(int i)
{
	wait_for_shared_page();
	sh->started[i] = 1;
	for (;;) {
		sh->cpu[i] = (uint64_t)sys_cpu();
		sh->count[i]++;
	}
}

static void
spread_parent(void)
{
	uint64_t env[NSPREAD], seen = 0, before[NSPREAD], page = new_page(SHARED_VA);
	int all = 1, still = 1, ncpus = 0;

	for (int i = 0; i < NSPREAD; i++)
		env[i] = start_child("spread", i, ~0ull, page);
	for (int i = 0; i < NSPREAD; i++)
		all &= wait_for(&sh->started[i], 1);
	check(all, "spread", "all four children run");
	for (int i = 0; i < NSPREAD; i++) {
		printf("smptest: spread: child %d on cpu %lu\n", i, sh->cpu[i]);
		ncpus += !(seen >> (sh->cpu[i] & 63) & 1);
		seen |= 1ull << (sh->cpu[i] & 63);
	}
	check(ncpus == NSPREAD, "spread", "four spinning children on four different CPUs");
	for (int i = 0; i < NSPREAD; i++) {
		sys_env_destroy(env[i]);
		before[i] = sh->count[i];
	}
	for (int i = 0; i < 1000; i++)
		sys_yield();
	for (int i = 0; i < NSPREAD; i++) {
		still &= sh->count[i] == before[i];
		still &= sys_env_status(env[i]) == ENV_DEAD;
		sys_cap_delete(env[i]);
		slot_free(env[i]);
	}
	check(still, "destroy", "each destroy returns with the child off its CPU for good");
}

static __attribute__((noreturn)) void
pin_child(int i)
{
	wait_for_shared_page();
	for (int r = 0; r < PIN_ROUNDS; r++) {
		if (sys_cpu() != PIN_CPU)
			sh->bad[i]++;
		sys_yield();
	}
	sh->done[i] = 1;
	exit(0);
}

static void
pin_parent(void)
{
	uint64_t page = new_page(SHARED_VA), env[2];
	int done = 1;

	for (int i = 0; i < 2; i++)
		env[i] = start_child("pin", i, 1ull << PIN_CPU, page);
	for (int i = 0; i < 2; i++)
		done &= wait_for(&sh->done[i], 1);
	check(done, "pin", "both pinned children finish");
	check(sh->bad[0] == 0 && sh->bad[1] == 0, "pin",
	      "an env pinned to cpu 2 only ever runs on cpu 2");
	for (int i = 0; i < 2; i++)
		stop_child(env[i]);
}

static __attribute__((noreturn)) void
wake_child(void)
{
	wait_for_shared_page();
	for (;;) {
		sh->ran_on = (uint64_t)sys_cpu();
		sh->runs++;
		sys_env_set_status(ABI_SLOT_SELF, ENV_NOT_RUNNABLE);
	}
}

static __attribute__((noreturn)) void
wake_spinner(void)
{
	wait_for_shared_page();
	for (;;)
		sh->spinning = (uint64_t)sys_cpu() + 1; /* no yield, no block */
}

/* Wakes the blocked child and waits for its next run; false if it never comes. */
static int
wake_once(uint64_t child)
{
	uint64_t runs = sh->runs;

	for (int i = 0; i < MAX_YIELDS && sys_env_status(child) != ENV_NOT_RUNNABLE; i++)
		sys_yield();
	if (sys_env_set_status(child, ENV_RUNNABLE) < 0)
		return 0;
	return wait_for(&sh->runs, runs + 1);
}

static void
wake_parent(void)
{
	uint64_t page = new_page(SHARED_VA), child, spinner;

	pin(ABI_SLOT_SELF, 1);
	child = start_child("wakee", 0, 2, page);
	check(wait_for(&sh->runs, 1), "wake", "the child pinned to cpu 1 runs");
	check(wake_once(child) && sh->ran_on == 1, "wake",
	      "woken from cpu 0, it runs on idle cpu 1");
	spinner = start_child("spinner", 0, 2, page);
	check(wait_for(&sh->spinning, 2), "wake", "a spinner holds cpu 1");
	check(wake_once(child) && sh->ran_on == 1, "wake",
	      "woken again, it preempts the spinner on cpu 1");
	stop_child(spinner);
	stop_child(child);
}

static __attribute__((noreturn)) void
shoot_child(void)
{
	volatile uint64_t *victim = (volatile uint64_t *)VICTIM_VA;

	wait_for_shared_page();
	while (sys_protect(ABI_SLOT_SELF, VICTIM_VA, ABI_PERM_R) != 0)
		sys_yield();
	(void)*victim; /* in this CPU's TLB from here on */
	sh->ready = 1;
	for (;;) {
		uint64_t after = sh->unmapped;

		(void)*victim;
		if (after)
			sh->stale = 1; /* read after the unmap returned: a stale TLB entry */
	}
}

static void
shoot_parent(void)
{
	uint64_t page = new_page(SHARED_VA), victim = new_page(VICTIM_VA), child;
	int died = 0;

	pin(ABI_SLOT_SELF, 1);
	child = start_child("shoot", 0, 2, page);
	if (sys_map(child, victim, VICTIM_VA, ABI_PERM_R) < 0)
		panic("cannot share the victim page");
	check(wait_for(&sh->ready, 1), "shoot", "the child on cpu 1 reads the page");
	check(sys_unmap(child, VICTIM_VA) == 0, "shoot", "the parent unmaps it from the child");
	sh->unmapped = 1;
	for (int i = 0; i < MAX_YIELDS && !died; i++) {
		died = sys_env_status(child) == ENV_DEAD;
		sys_yield();
	}
	check(died && sh->stale == 0, "shoot",
	      "the child's next read faults: no read after the unmap succeeded");
	sys_cap_delete(child);
	slot_free(child);
}

static __attribute__((noreturn)) void
tickless_child(void)
{
	uint64_t start = rdtsc();

	wait_for_shared_page();
	sh->ran_on = (uint64_t)sys_cpu();
	while (rdtsc() - start < SPIN_CYCLES)
		;
	sh->done[0] = 1;
	exit(0);
}

static void
tickless_parent(void)
{
	uint64_t page = new_page(SHARED_VA), child;

	pin(ABI_SLOT_SELF, 1);
	child = start_child("alone", 0, 1ull << 3, page);
	check(wait_for(&sh->done[0], 1) && sh->ran_on == 3, "tickless",
	      "a spinner ran alone on cpu 3");
	stop_child(child);
}

int
main(int argc, char **argv)
{
	const char *mode = libos_envinfo->tests;
	const char *role = argc > 1 ? argv[1] : "";
	int i = argc > 2 ? argv[2][0] - '0' : -1;

	if (strcmp(role, "spread") == 0 && i >= 0 && i < NSPREAD)
		spread_child(i);
	if (strcmp(role, "pin") == 0 && i >= 0 && i < 2)
		pin_child(i);
	if (strcmp(role, "wakee") == 0)
		wake_child();
	if (strcmp(role, "spinner") == 0)
		wake_spinner();
	if (strcmp(role, "shoot") == 0)
		shoot_child();
	if (strcmp(role, "alone") == 0)
		tickless_child();
	if (strcmp(mode, "spread") == 0)
		spread_parent();
	else if (strcmp(mode, "pin") == 0)
		pin_parent();
	else if (strcmp(mode, "wake") == 0)
		wake_parent();
	else if (strcmp(mode, "shoot") == 0)
		shoot_parent();
	else if (strcmp(mode, "tickless") == 0)
		tickless_parent();
	else
		panic("usage: init=smptest tests=spread|pin|wake|shoot|tickless");
	printf("smptest: %d of %d checks failed\n", nfailed, nchecks);
	return nfailed ? 1 : 0;
}
