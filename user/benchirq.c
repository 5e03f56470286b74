/* benchirq: the instructions a LAPIC timer interrupt costs the env it interrupts, when the
 * interrupt switches nothing (bench/irq runs it as `init=benchirq sched=edf`).
 *
 * Under `qemu -icount shift=0` the TSC advances once per executed instruction, and on one
 * CPU nothing else runs, so a loop that only reads the TSC sees the same small delta every
 * turn, except for the turn an interrupt lands in: that turn's delta is the loop's own
 * instructions plus the whole interrupt path (entry, the handler, the scheduler's tick, the
 * re-armed one-shot timer, the return to user mode).
 *
 * The interrupt comes from edf: the env is a server whose budget equals its period and
 * deadline (TIMER_PERIOD), so the kernel arms the one-shot timer for the end of the budget
 * (sched_next_timer), and when it fires the budget is gone exactly as the next period starts:
 * edf_tick starts the new period at once (kern/sched/edf.c) and the env keeps the CPU.  That
 * is the "timer_interrupt" cost exosim charges for every one-shot timer that does not
 * switch (sim/machine/cpu.c).
 *
 * With `tests=share` (two CPUs, sched=rr) it shows instead how QEMU's round-robin TCG shares
 * the one icount clock between busy vCPUs (docs/sim.md, "Kernel versus exosim"): this env,
 * pinned to CPU 0, and a child pinned to CPU 1 each spin for SHARE_WINDOW cycles of the TSC
 * and report when they started and ended and how long they were away (gaps: the other vCPU's
 * turns).
 *
 * With `tests=ipi` (two CPUs, sched=edf) it makes reschedule IPIs that switch nothing, for
 * bench/ipi to count on the receiving CPU: a spinner pinned to CPU 1, and an env (an exofork
 * child that never runs) pinned there with a later deadline, which this env, on CPU 0,
 * makes runnable (the wake-up IPIs CPU 1, whose env runs with no timer) and stops again,
 * IPI_ROUNDS times. */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define TIMER_PERIOD 1000000ull  /* cycles = instructions under icount: 1 ms */
#define INTERRUPTS   20          /* periods the loop spans */
#define GAP_MIN      64          /* a delta this large is an interrupt, not a loop turn */
#define SHARE_WINDOW 20000000ull /* cycles each spinner of tests=share spins for */
#define SHARE_GAP    1000        /* a delta this large: the other vCPU had the turn */

/* Parameters valid under every policy (those of a new env), pinned to the CPUs in `mask`. */
static void
pin(uint64_t mask)
{
	struct abi_sched_params p = { .priority = 32,
		                      .tickets = 100,
		                      .period = 100000000,
		                      .deadline = 100000000,
		                      .budget = 10000000 };

	if (sys_env_set_sched(ABI_SLOT_SELF, &p, mask) != 0)
		panic("benchirq: cannot pin to CPUs 0x%lx", (unsigned long)mask);
}

/* Spin for SHARE_WINDOW cycles; report the turns the other vCPU took from this one. */
static void
share_spin(void)
{
	uint64_t start = rdtsc(), prev = start, now, d, gaps = 0, away = 0, longest = 0;

	while (prev - start < SHARE_WINDOW) {
		now = rdtsc();
		d = now - prev;
		prev = now;
		if (d >= SHARE_GAP) {
			gaps++;
			away += d;
			longest = d > longest ? d : longest;
		}
	}
	printf("benchirq: share: cpu %ld: tsc %lu..%lu, %lu gaps, %lu cycles away, longest %lu\n",
	       sys_cpu(), (unsigned long)start, (unsigned long)prev, (unsigned long)gaps,
	       (unsigned long)away, (unsigned long)longest);
	printf("BENCH share_cpu%ld_away %lu instructions\n", sys_cpu(), (unsigned long)away);
}

/* The spinner dies with its creator (descendants die with it), so CPU 0 then waits for
 * its death, blocked: halted, as it was when it simply exited. */
static int
share(void)
{
	long s = slot_alloc(), n = slot_alloc();
	uint64_t word;

	pin(1);
	if (s < 0 || sys_spawn("benchirq spinner", 16, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0)
		panic("benchirq: cannot spawn the spinner");
	if (n < 0 || sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)n, CAP_R_ALL) != 0 ||
	    sys_env_notify((uint64_t)s, (uint64_t)n, 1) != 0)
		panic("benchirq: cannot be told of the spinner's death");
	share_spin();
	return sys_notify_wait((uint64_t)n, &word) != 0;
}

#define IPI_ROUNDS 8
#define IPI_PERIOD 1000000ull /* cycles */
#define IPI_BUDGET 500000ull

/* Edf parameters for tests=ipi: `slot` pinned to the CPUs in `mask`, period and deadline
 * `period`, budget `budget` (0: no budget, so no timer while it runs alone). */
static void
set_edf(long slot, uint64_t mask, uint64_t period, uint64_t budget)
{
	struct abi_sched_params p = { .priority = 32,
		                      .tickets = 100,
		                      .period = period,
		                      .deadline = period,
		                      .budget = budget };

	if (slot < 0 || sys_env_set_sched((uint64_t)slot, &p, mask) != 0)
		panic("benchirq: cannot set env %ld's edf parameters", slot);
}

/* The spinner on CPU 1 runs with no budget, so CPU 1 arms no timer and a wake-up there
 * must send an IPI; the woken env's deadline is far behind the spinner's, so the IPI
 * switches nothing.  This env's own budget (IPI_BUDGET of each IPI_PERIOD) ends each round:
 * throttled, CPU 0 halts, and QEMU lets CPU 1 run until the next period. */
static int
ipi(void)
{
	long spinner = slot_alloc(), sleeper = slot_alloc();

	set_edf(ABI_SLOT_SELF, 1, IPI_PERIOD, IPI_BUDGET);
	if (spinner < 0 ||
	    sys_spawn("benchirq ipispin", 16, (uint64_t)spinner, ABI_SLOT_UNTYPED, 0) < 0)
		panic("benchirq: cannot spawn the spinner");
	set_edf(spinner, 2, IPI_PERIOD, 0);
	if (sleeper < 0 || sys_exofork((uint64_t)sleeper) < 0)
		panic("benchirq: cannot make the low-priority env");
	set_edf(sleeper, 2, 100 * IPI_PERIOD, 0);
	for (int i = 0; i < IPI_ROUNDS; i++) {
		uint64_t t = rdtsc();

		if (sys_env_set_status((uint64_t)sleeper, ENV_RUNNABLE) != 0 ||
		    sys_env_set_status((uint64_t)sleeper, ENV_NOT_RUNNABLE) != 0)
			panic("benchirq: env_set_status failed");
		while (rdtsc() - t < IPI_PERIOD) /* into the next period, past a throttle */
			;
	}
	sys_env_destroy((uint64_t)sleeper);
	printf("benchirq: ipi: %d rounds done\n", IPI_ROUNDS);
	return 0; /* the spinner spins on: the boot ends here */
}

int
main(int argc, char **argv)
{
	struct abi_sched_params p = {
		.priority = 32,
		.tickets = 100,
		.period = TIMER_PERIOD,
		.deadline = TIMER_PERIOD,
		.budget = TIMER_PERIOD,
	};
	uint64_t base = UINT64_MAX, lo = UINT64_MAX, hi = 0, n = 0, prev, now, end, d;

	if (argc > 1 && strcmp(argv[1], "spinner") == 0) {
		pin(2);
		share_spin();
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "ipispin") == 0) {
		for (;;) /* long blocks: fewer for QEMU to dispatch */
			__asm__ volatile(".rept 64\n\tnop\n\t.endr");
	}
	if (strcmp(libos_envinfo->tests, "share") == 0)
		return share();
	if (strcmp(libos_envinfo->tests, "ipi") == 0)
		return ipi();
	if (sys_env_set_sched(ABI_SLOT_SELF, &p, 1) != 0) {
		printf("benchirq: env_set_sched refused (boot with sched=edf)\n");
		return 1;
	}
	prev = rdtsc();
	end = prev + INTERRUPTS * TIMER_PERIOD;
	while (prev < end) {
		now = rdtsc();
		d = now - prev;
		prev = now;
		if (d < GAP_MIN) {
			base = d < base ? d : base;
		} else {
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
			n++;
		}
	}
	if (n == 0 || base == UINT64_MAX) {
		printf("benchirq: no timer interrupt seen in %llu periods\n",
		       (unsigned long long)INTERRUPTS);
		return 1;
	}
	printf("benchirq: loop turn %lu; %lu interrupted turns, min %lu max %lu\n",
	       (unsigned long)base, (unsigned long)n, (unsigned long)lo, (unsigned long)hi);
	printf("BENCH timer_interrupt %lu instructions\n", (unsigned long)(lo - base));
	return 0;
}
