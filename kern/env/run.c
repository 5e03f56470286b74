/* Running envs: the switch into user mode, the timer tick, and the choice of the next env,
 * which the scheduler makes (kern/env/sched.c, the policy chosen by sched=) whenever the
 * current env yields, blocks, exits, faults, or is preempted by the timer tick
 * (kern/arch/x86_64/timer.c).
 *
 * The monitor runs only once no env is runnable.  An env that spins forever (init
 * included) therefore keeps the monitor away for good, but never the other envs: the timer
 * moves the CPU on whenever the policy says the env's turn is over.
 *
 * Extended state (x87/SSE/AVX, fpu.h) is switched eagerly, here and only here: the kernel
 * has no FPU code, so the registers hold the state of this CPU's current env (pc->env) from
 * the moment it is switched to until another env is; syscalls and traps that come back to
 * the same env leave it alone.  Why eager and not lazy: docs/architecture.md. */
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "fpu.h"
#include "ktrace.h"
#include "lockcheck.h"
#include "machine.h"
#include "monitor.h"
#include "panic.h"
#include "syscall.h"
#include "timer.h"

struct env *
env_current(void)
{
	return percpu_this()->env;
}

/* The one place an env's extended state leaves or enters the registers: `next` (or none)
 * becomes this CPU's env.  The env switched away from is saved unless it is destroyed (its
 * area is gone; the restore below overwrites whatever it left), and only then marked as
 * loaded nowhere: another CPU that picked it meanwhile (it was stolen, or woken there)
 * waits for that before it restores it.  Always inlined: a call here costs bench-ctxsw. */
static inline __attribute__((always_inline)) void
env_switch(struct percpu *pc, struct env *next)
{
	struct env *prev = pc->env;

	if (prev == next)
		return;
	if (prev != NULL) {
		if (prev->fpu != NULL)
			fpu_save(prev->fpu);
		__atomic_store_n(&prev->loaded, 0, __ATOMIC_RELEASE);
	}
	if (next != NULL) {
		while (__atomic_load_n(&next->loaded, __ATOMIC_ACQUIRE) != 0) {
			env_spin_irqs_on();
			/* A device interrupt taken in this window was only marked (knotify.c), and
			 * no lock is taken from here to user mode: a reschedule IPI to this CPU,
			 * pending until next runs, makes that a tick (env_tick) that signals it. */
			if (knotify_cons_due())
				hal_resched(pc->cpu);
		}
		next->loaded = pc->cpu + 1;
		fpu_restore(next->fpu);
	}
	ktrace_switch(next);
	pc->env = next;
}

/* Everything of env_run but the way out: e is this CPU's env in its address space. */
static inline __attribute__((always_inline)) void
env_enter(struct env *e)
{
	struct percpu *pc = percpu_this();

	env_switch(pc, e);
	pc->after &= PERCPU_STICKY;
	e->runs++;
	/* Whatever set this frame up (the loader, exofork, a trap), user mode runs with IF on. */
	e->tf.rflags |= ENV_RFLAGS_ALWAYS;
	if ((read_cr3() & ~0xFFFull) != e->root) /* CR3's low bits are flags (SDM Vol. 3A 4.5) */
		percpu_set_root(pc, e->root);
	lockcheck_user_return();
}

void
env_run_prepare(struct env *e)
{
	env_enter(e);
}

/* Inlined into env_schedule, its one caller (a call less per switch); still external. */
inline __attribute__((always_inline)) void
env_run(struct env *e)
{
	env_enter(e);
	/* LAB 3: enter user mode with the env's saved registers. */
	/* BEGIN LAB 3 */
	syscall_iret(&e->tf);
	/* END LAB 3 */
	/* STUB LAB 3: panic("env_run: user mode is not implemented"); */
}

static void wake_sleepers(struct percpu *pc);

void
env_tick(const struct trapframe *tf)
{
	struct env *e = env_current();

	/* Interrupt gates leave AC as user mode set it: close SMAP's window first. */
	uaccess_end();
	if (e == NULL || (e->status != ENV_RUNNABLE && e->status != ENV_DEAD))
		panic("env_tick: a tick from user mode with no runnable env running");
	if (!env_sched_tick())
		return;
	/* It stays RUNNABLE: its next turn resumes it right here. */
	if (e->status != ENV_DEAD)
		trapframe_copy(&e->tf, tf);
	/* Console input came (an interrupt, knotify.c): signalled by wake_sleepers' env_unlock.
	 * Here rather than in env_schedule's loop, which every yield runs through. */
	if (knotify_cons_due()) {
		lockcheck_irq_reset(); /* as env_schedule does: this never returns to the handler */
		wake_sleepers(percpu_this());
	}
	env_schedule();
}

void
env_ipi(const struct trapframe *tf)
{
	struct percpu *pc = percpu_this();

	if ((tf->cs & 3) == 3)
		env_tick(tf);
	else if (!pc->idle && pc->env != NULL)
		pc->after |= PERCPU_REARM; /* in a wait with interrupts on: decide on the way out */
}

/* Nothing runs here now: halt with interrupts on until this CPU's timer (a throttled env's
 * release) or an IPI (a wake-up sent here, work to steal, the last env gone), then choose
 * again.  Its env's address space is left first: a destroyed env's may be freed. */
static void
idle(struct percpu *pc)
{
	env_switch(pc, NULL);
	if (hal_get_root() != env_kern_root)
		hal_set_root(env_kern_root);
	pc->idle = 1;
	/* sti takes effect after the next instruction: no interrupt slips in before the hlt. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	pc->idle = 0;
}

/* CPU 0 once no env is runnable anywhere: the summary, then the monitor (or halt). */
static _Noreturn void
all_done(void)
{
	struct timer_stats ts;

	timer_get_stats(&ts);
	printf("timer: %lu ticks in user mode, %lu in kernel mode\n", ts.user, ts.kernel);
	/* The IPC fast path's direct switches per CPU (grade/ipc.py reads this line). */
	printf("ipc: direct switches");
	for (unsigned c = 0; c < hal_cpu_count() && c < SCHED_MAX_CPUS; c++)
		printf(" cpu%u %lu", c, env_handoffs(c));
	printf("\n");
	printf("env: no runnable environment\n");
	if (cmdline_has("halt"))
		ktrace_halt();
	monitor();
	machine_halt(0);
}

/* This CPU's first sleeper is due (sleep.c): wake the due ones, under the env lock.  The
 * CPU first lets go of its env's registers and address space, as idle does: a CPU that
 * holds the env lock may be waiting for exactly that (env_sched_exit of this env). */
static void
wake_sleepers(struct percpu *pc)
{
	env_switch(pc, NULL);
	if (hal_get_root() != env_kern_root)
		hal_set_root(env_kern_root);
	env_lock();
	env_sleep_expire();
	env_unlock();
}

/* The capability this CPU's claim was made through is gone (sys_core.c): stop its owner,
 * here, under the env lock, and give the core back.  The CPU lets go of the env first, as
 * wake_sleepers does. */
static void
stop_owner(struct percpu *pc)
{
	env_switch(pc, NULL);
	if (hal_get_root() != env_kern_root)
		hal_set_root(env_kern_root);
	env_lock();
	core_stop(pc->cpu);
	env_unlock();
}

void
env_schedule(void)
{
	struct percpu *pc = percpu_this();
	struct env *next;
	bool waiting;

	lockcheck_irq_reset(); /* from an interrupt handler, it never returns there */
	/* The current env's state leaves this CPU before its entity can reach another. */
	if (pc->env != NULL && pc->env->status == ENV_DEAD)
		env_switch(pc, NULL);
	for (;;) {
		if (core_stop_due(pc->cpu))
			stop_owner(pc);
		if (env_sleep_due(pc->cpu))
			wake_sleepers(pc);
		if ((next = env_sched_next(&waiting)) != NULL)
			env_run(next);
		/* Nothing to run: before this CPU halts, signal what an interrupt deferred (console
		 * input, a device's line or vector: knotify.c) that it took with interrupts on
		 * anywhere but the halt below: in smp_idle before it came here, in a lock's or
		 * spin's window.  Checked after the halt only, such a deferral stayed pending
		 * while this CPU halted for good: no env_unlock ran anywhere (an MSI-X vector
		 * aimed at an AP still in smp_idle hung irqtest's blocking wait on CPU 0).
		 * Interrupts stay off from here to the sti;hlt, so one taken later wakes the halt
		 * and is seen on the next turn of the loop. */
		if (knotify_cons_due()) {
			wake_sleepers(pc);
			continue;
		}
		/* An env bound to console input or a device interrupt waits for it, not for the
		 * monitor. */
		if (pc->cpu == 0 && !waiting && env_sched_idle_all() && !knotify_cons_bound()) {
			env_switch(pc, NULL);
			hal_set_root(env_kern_root);
			all_done();
		}
		idle(pc);
	}
}

void
env_schedule_ap(void)
{
	syscall_trace_init(); /* trace= holds for every CPU */
	env_schedule();
}
