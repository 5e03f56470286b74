/* The envs' side of the portable scheduler (kern/sched): one scheduler instance with the
 * policy named by sched=, one run queue per online CPU, and the calls that keep each env's
 * entity in step with its status.  An env is RUNNABLE exactly while its entity is queued,
 * throttled or running; every change of status goes through here (wake, block, exit), and
 * so do yield, the timer tick and the choice of the next env (kern/env/run.c).
 *
 * Locking (docs/smp.md, "Locking"): run queue i is guarded by rq_lock[i], taken with
 * interrupts off; an entity's fields belong to the lock of the queue it is on (se->cpu),
 * which lock_entity finds.  Wake-up locks only the chosen CPU's queue, a steal locks two in
 * CPU-index order.  Changes of env status and of a blocked entity happen under the env lock
 * (lock.c), which every system call but null, env_id and yield holds.
 *
 * Time is the TSC (hal_cycles).  The policies need its rate only for defaults given in time
 * (rr's and stride's 4 ms quantum, mlfq's allotments, the edf server below): the rate
 * calibrated at boot (clock_tsc_hz), or ENV_SCHED_HZ when there is none, which is exact under
 * `qemu -icount shift=0` (the TSC counts instructions, QEMU's virtual clock runs at 1 GHz). */
#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "corecap.h"
#include "env_impl.h"
#include "ktrace.h"
#include "sched_impl.h"
#include "panic.h"
#include "xstring.h"

CMDLINE_OPTION(
    sched, "sched",
    "sched=rr|prio|mlfq|stride|edf|gedf|pedf_ff|pedf_wf|pfp_ff|pfp_wf|cfs|eevdf|lottery: "
    "the scheduling policy (default rr; docs/policies.md)");

#define ENV_SCHED_HZ      1000000000ull /* TSC rate when uncalibrated: see above */
#define ENV_SCHED_DEFAULT "rr"

struct sched sched; /* sched_impl.h */
static uint64_t hz; /* the TSC's rate */
static struct sched_rq rqs[SCHED_MAX_CPUS];
static struct hal_spinlock rq_lock[SCHED_MAX_CPUS];
static bool tickless[SCHED_MAX_CPUS];          /* under rq_lock: its env runs with no timer armed */
static uint64_t armed[SCHED_MAX_CPUS];         /* under rq_lock: the deadline its timer holds */
static bool yielding[SCHED_MAX_CPUS];          /* this CPU's env yields at its next schedule */
static struct env *handoff_to[SCHED_MAX_CPUS]; /* runs next here, already current (env_handoff) */
static uint64_t handoffs[SCHED_MAX_CPUS];      /* direct switches made here (env_handoffs) */
static unsigned nrunnable;                     /* envs RUNNABLE, on any CPU (atomic) */
static volatile bool ready;

/* CPUs whose run queues envs go to: every CPU online. */
static unsigned
env_sched_cpus(void)
{
	unsigned n = hal_cpu_count();

	return n > SCHED_MAX_CPUS ? SCHED_MAX_CPUS : n;
}

static hal_irqstate_t
rq_lock_cpu(unsigned cpu)
{
	return hal_spin_lock_irqsave(&rq_lock[cpu]);
}

void
rq_unlock_cpu(unsigned cpu, hal_irqstate_t f)
{
	hal_spin_unlock_irqrestore(&rq_lock[cpu], f);
}

/* Locks the queue e's entity is on (a steal may move it until then); returns its CPU. */
unsigned
lock_entity(struct env *e, hal_irqstate_t *f)
{
	for (;;) {
		unsigned cpu = __atomic_load_n(&e->se.cpu, __ATOMIC_ACQUIRE);

		*f = rq_lock_cpu(cpu);
		if (e->se.cpu == cpu)
			return cpu;
		rq_unlock_cpu(cpu, *f);
	}
}

/* The absolute cycle at which `cpu` (locked) needs its timer, or SCHED_NO_TIMER, given the
 * core's answer t (sched_next_timer).  Alone on its CPU, an env's slice ends for nothing
 * (the policy would pick it again), so only a budget the policy enforces (edf's, see
 * budget_timer in sched.h) or a throttled env's release arms the timer: tickless.  Every
 * env has a budget in its params (default_params), used or not. */
static uint64_t
next_timer(unsigned cpu, uint64_t now, uint64_t t)
{
	struct sched_rq *rq = &rqs[cpu];
	struct sched_link *l;

	/* An owned core runs its owner alone, whatever the policy's slices and budgets say
	 * (sys_core.c); only an owner the policy throttled (it yielded or blocked out of budget)
	 * needs the timer, to run again at its release. */
	if (core_owned(cpu)) {
		l = sched_rq_first_throttled(rq);
		return l ? l->key : SCHED_NO_TIMER;
	}
	if (t == now || rq->nqueued || !rq->curr ||
	    (sched.policy->budget_timer && rq->curr->params.budget))
		return t;
	l = sched_rq_first_throttled(rq);
	return l ? l->key : SCHED_NO_TIMER;
}

void
env_timer_fired(void)
{
	/* Only this CPU arms its timer, always with interrupts off: no lock is needed.  Forgetting
	 * the deadline matters when the timer fired early (its clock and the TSC disagree a
	 * little): arm_timer would otherwise take the same deadline for one still pending and
	 * arm nothing, and the CPU would keep its env forever. */
	armed[hal_cpu_id()] = SCHED_NO_TIMER;
}

/* Arms this CPU's (locked) one-shot timer for its queue as it now is.  A timer already
 * armed for an earlier time is left alone: it fires, finds nothing to do (sched_tick says
 * no) and arms the real deadline then, which is cheaper than reprogramming the timer at
 * every switch (a yield ping-pong moves the deadline each time). */
static inline __attribute__((always_inline)) uint64_t
arm_timer_at(unsigned cpu, uint64_t now, uint64_t core_t)
{
	uint64_t t = next_timer(cpu, now, core_t), a = armed[cpu], s = env_sleep_first(cpu);

	/* Tickless means "no scheduler event": a wake-up sent here must still poke this CPU
	 * when only a sleeper (sleep.c) has its timer armed. */
	tickless[cpu] = t == SCHED_NO_TIMER && rqs[cpu].curr != NULL;
	if (s < t)
		t = s; /* this CPU's first sleeper is due before the scheduler's next event */
	if (t == a || (t != SCHED_NO_TIMER && a != SCHED_NO_TIMER && a > now && a <= t))
		return t;
	armed[cpu] = t;
	hal_timer_oneshot(t == SCHED_NO_TIMER ? 0 : t > now ? t - now : 1);
	return t;
}

static uint64_t
arm_timer(unsigned cpu, uint64_t now)
{
	return arm_timer_at(cpu, now, sched_next_timer(&sched, cpu, now));
}

/* What a new env starts with, valid under every policy: a middle priority, 100 tickets,
 * the rr quantum of the policy, and under edf a server of 10 ms every 100 ms, so an env
 * that never asks for more cannot starve the others (yields keep an edf deadline). */
static struct sched_params
default_params(void)
{
	return (struct sched_params){
		.priority = SCHED_PRIO_LEVELS / 2,
		.tickets = 100,
		.period = hz / 10,
		.budget = hz / 100,
	};
}

static const struct sched_policy *
policy_from_cmdline(void)
{
	const char *name = cmdline_get("sched");
	const struct sched_policy *p;

	if (name == NULL)
		return sched_policy_find(ENV_SCHED_DEFAULT);
	if ((p = sched_policy_find(name)) != NULL)
		return p;
	printf("sched: unknown policy '%s' (known:", name);
	for (unsigned i = 0; (p = sched_policy_at(i)) != NULL; i++)
		printf(" %s", p->name);
	printf("); using %s\n", ENV_SCHED_DEFAULT);
	return sched_policy_find(ENV_SCHED_DEFAULT);
}

void
env_sched_init(void)
{
	const struct sched_policy *p = policy_from_cmdline();
	unsigned ncpu = env_sched_cpus();
	int err;

	hz = clock_tsc_hz() ? clock_tsc_hz() : ENV_SCHED_HZ;
	if ((err = sched_init(&sched, p, rqs, ncpu, hz)) < 0)
		panic("sched: cannot start policy %s (%s)", p->name, error_name(err));
	for (unsigned i = 0; i < ncpu; i++) {
		rq_lock[i] = (struct hal_spinlock)HAL_SPINLOCK_INIT("run-queue");
		armed[i] = SCHED_NO_TIMER;
	}
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	printf("sched: policy %s on %u CPU%s\n", p->name, ncpu, ncpu == 1 ? "" : "s");
	ktrace_init(&sched);
}

bool
env_sched_ready(void)
{
	return __atomic_load_n(&ready, __ATOMIC_ACQUIRE);
}

bool
env_sched_idle_all(void)
{
	/* A sleeper will be runnable again: its CPU's timer wakes it (sleep.c). */
	return __atomic_load_n(&nrunnable, __ATOMIC_ACQUIRE) == 0 && !env_sleep_any();
}

int
env_sched_new(struct env *e)
{
	struct sched_params p = default_params();

	sched_entity_init(&e->se, (unsigned)(e - envs), e);
	e->affinity = e->se.affinity;
	e->owns = 0;
	e->se.affinity = core_allowed(e); /* no core another env owns (sys_core.c) */
	return sched_set_params(&sched, &e->se, &p);
}

/* After a change of cpu's queue: make it look again if it must (cpu is not this one). */
void
kick(unsigned cpu, bool preempt)
{
	struct percpu *pc = percpu_this();

	if (cpu != hal_cpu_id()) {
		/* LAB 4b: another CPU's queue changed: make that CPU look at it (it may be
		 * halted idle, or run an env with no timer armed). */
		/* BEGIN LAB 4b */
		hal_resched(cpu);
		/* END LAB 4b */
	} else if (pc->env != NULL) {
		/* This CPU's env is in a system call: decide when the call ends. */
		pc->after |= preempt ? PERCPU_RESCHED : PERCPU_REARM;
	}
}

/* e waits in cpu's queue behind another env (or will).  An idle CPU halts until an IPI (tickless),
 * so one that may run e would never come to steal it: wake the first such CPU.  The idle test reads
 * other queues without their locks: a hint, and the woken CPU decides under them. */
static void
kick_idle_for(const struct env *e, unsigned cpu)
{
	for (unsigned i = 0; i < sched.ncpu; i++) {
		if (i != cpu && rqs[i].curr == NULL && sched_allowed(&e->se, i)) {
			kick(i, false);
			return;
		}
	}
}

/* Puts a NEW or BLOCKED entity on the queue of the CPU the policy picks; returns that CPU. */
unsigned
wake_entity(struct env *e, uint64_t now)
{
	unsigned cpu = sched_select_cpu(&sched, &e->se);
	hal_irqstate_t f = rq_lock_cpu(cpu);
	bool preempt, poke, waits;
	int err;

	if ((err = sched_wakeup_on(&sched, &e->se, cpu, now, &preempt)) < 0)
		panic("sched: env 0x%lx cannot wake (%s)", e->id, error_name(err));
	/* An idle CPU, or one whose env runs with no timer, would never notice. */
	poke = preempt || rqs[cpu].curr == NULL || tickless[cpu];
	waits = rqs[cpu].nqueued + (rqs[cpu].curr != NULL) > 1; /* more than it runs at once */
	rq_unlock_cpu(cpu, f);
	if (waits)
		kick_idle_for(e, cpu);
	if (poke)
		kick(cpu, preempt);
	return cpu;
}

void
env_wake(struct env *e)
{
	unsigned cpu;

	if (e->status != ENV_NOT_RUNNABLE)
		return;
	env_sleep_cancel(e); /* a timed wait woken before its time */
	/* Runnable before it is queued: another CPU may pick it, run it and take a tick in it
	 * (env_tick wants it RUNNABLE), or see it exit (nrunnable), before wake_entity returns. */
	e->status = ENV_RUNNABLE;
	__atomic_add_fetch(&nrunnable, 1, __ATOMIC_RELEASE);
	e->waking = true;
	cpu = wake_entity(e, hal_cycles());
	e->waking = false;
	ktrace_wake(e, (int)cpu);
}

/* The last runnable env is gone: CPU 0 runs the monitor once no env is runnable anywhere. */
static void
one_less_runnable(void)
{
	if (__atomic_sub_fetch(&nrunnable, 1, __ATOMIC_ACQ_REL) == 0 && hal_cpu_id() != 0)
		hal_resched(0);
}

/* Waits, with the env lock given up (the other CPU may need it to finish the system call it
 * is in), until e no longer runs on `cpu`. */
static void
wait_off_cpu(struct env *e, unsigned cpu)
{
	env_unlock();
	while (__atomic_load_n(&e->se.state, __ATOMIC_ACQUIRE) == SCHED_RUNNING &&
	       __atomic_load_n(&e->se.cpu, __ATOMIC_ACQUIRE) == cpu)
		env_spin_irqs_on();
	env_lock();
}

/* e leaves the scheduler: from this CPU if it runs here (the caller then gives the CPU away
 * at the end of its system call or trap), from another CPU after that CPU has taken it off
 * (a reschedule IPI; ENV_STOP_*), else from its queue. */
static void
leave(struct env *e, bool dead)
{
	hal_irqstate_t f;
	unsigned cpu;
	int err;

	for (;;) {
		cpu = lock_entity(e, &f);
		if (e->stop == ENV_STOP_MOVE) {
			rq_unlock_cpu(cpu, f); /* moving between queues: back in a moment */
			env_spin_irqs_on();
			continue;
		}
		if (e->se.state != SCHED_RUNNING || cpu == hal_cpu_id())
			break;
		e->stop = dead ? ENV_STOP_DEAD : ENV_STOP_BLOCK;
		rq_unlock_cpu(cpu, f);
		hal_resched(cpu);
		wait_off_cpu(e, cpu);
	}
	e->stop = 0;
	if (e->se.state == SCHED_RUNNING) {
		err = sched_block(&sched, cpu, hal_cycles(), dead);
		percpu_this()->after |= PERCPU_RESCHED;
	} else if (e->se.state == SCHED_DEAD || (e->se.state == SCHED_BLOCKED && !dead)) {
		err = 0; /* its CPU took it off as asked */
	} else {
		err = sched_remove(&sched, &e->se, hal_cycles(), dead);
	}
	rq_unlock_cpu(cpu, f);
	if (err < 0)
		panic("sched: env 0x%lx cannot leave its queue (%s)", e->id, error_name(err));
}

void
env_block(struct env *e)
{
	if (e->status != ENV_RUNNABLE)
		return;
	ktrace_block(e, false);
	leave(e, false);
	if (e->status == ENV_RUNNABLE) {
		e->status = ENV_NOT_RUNNABLE;
		one_less_runnable();
	}
}

void
env_sched_exit(struct env *e, unsigned old_status)
{
	ktrace_block(e, true);
	if (e->se.state != SCHED_DEAD)
		leave(e, true);
	if (old_status == ENV_RUNNABLE)
		one_less_runnable();
	/* Its registers and its root may still be another CPU's until that CPU switches. */
	while (__atomic_load_n(&e->loaded, __ATOMIC_ACQUIRE) != 0 && e->loaded != hal_cpu_id() + 1)
		env_spin_irqs_on();
	for (unsigned c = 0; c < sched.ncpu; c++)
		while (c != hal_cpu_id() && percpu_of(c)->root == e->root)
			env_spin_irqs_on();
	core_env_gone(e); /* a core it owned goes back to the scheduler */
}

void
env_sched_affinity(struct env *e, uint64_t mask)
{
	uint64_t now = hal_cycles();
	hal_irqstate_t f;
	unsigned cpu = lock_entity(e, &f);
	bool move;

	e->se.affinity = mask;
	if (e->se.state == SCHED_RUNNING) {
		/* It moves (must_go) at its CPU's next schedule, which this asks for. */
		if (!sched_allowed(&e->se, cpu))
			kick(cpu, true);
		rq_unlock_cpu(cpu, f);
		return;
	}
	move = (e->se.state == SCHED_RUNNABLE || e->se.state == SCHED_THROTTLED) &&
	       !sched_allowed(&e->se, cpu);
	if (move && sched_remove(&sched, &e->se, now, false) < 0)
		panic("sched: env 0x%lx cannot move to its new CPUs", e->id);
	rq_unlock_cpu(cpu, f);
	if (move)
		wake_entity(e, now);
}

/* The yield itself happens in env_sched_next, under the run-queue lock it takes anyway.
 * (The per-CPU area and percpu_cpu/rdtsc inline rather than hal_cpu_id/hal_cycles here and
 * in env_sched_next: they are on the yield path that make bench-ctxsw measures.) */
void
env_yield(struct env *e)
{
	struct percpu *pc = percpu_this();

	if (e->se.state != SCHED_RUNNING || e->se.cpu != pc->cpu)
		panic("sched: env 0x%lx yields but does not run here", e->id);
	yielding[pc->cpu] = true;
	pc->after |= PERCPU_RESCHED;
}

/* The IPC fast path's switch (docs/smp.md, "IPC fast path"), under the env lock:
 * e, this CPU's env in its system call, blocks and `partner` (NOT_RUNNABLE, blocked in IPC)
 * becomes this CPU's running entity in one step, through no run queue, when the rule holds
 * (sched_handoff: nothing queued here, the partner allowed here and in budget).  Neither
 * may be asked to stop or move, and the partner's registers must be on no CPU.  False, with
 * nothing changed: the caller blocks and wakes them the ordinary way. */
bool
env_handoff(struct env *e, struct env *partner)
{
	struct percpu *pc = percpu_this();
	unsigned cpu = pc->cpu;
	uint64_t now = rdtsc(), t;
	hal_irqstate_t f;
	int err;

	/* A reschedule this call already asked for (a wake-up here, a stop) goes the usual way. */
	if ((pc->after & (PERCPU_RESCHED | PERCPU_REARM)) || yielding[cpu] || env_sleep_due(cpu) ||
	    partner->status != ENV_NOT_RUNNABLE ||
	    __atomic_load_n(&partner->loaded, __ATOMIC_ACQUIRE) != 0)
		return false;
	f = rq_lock_cpu(cpu);
	if (e->stop != 0 || partner->stop != 0 || rqs[cpu].curr != &e->se ||
	    !sched_allowed(&e->se, cpu)) {
		rq_unlock_cpu(cpu, f);
		return false;
	}
	err = sched_handoff(&sched, cpu, now, &partner->se, &t);
	if (err == 0)
		arm_timer_at(cpu, now, t);
	rq_unlock_cpu(cpu, f);
	if (err < 0)
		return false;
	ktrace_block(e, false);
	e->status = ENV_NOT_RUNNABLE;
	partner->status = ENV_RUNNABLE; /* nrunnable: one less, one more */
	ktrace_wake(partner, (int)cpu);
	handoff_to[cpu] = partner;
	handoffs[cpu]++;
	pc->after |= PERCPU_RESCHED;
	return true;
}

struct env *
env_handoff_take(void)
{
	struct env **p = &handoff_to[percpu_cpu()], *e = *p;

	*p = NULL;
	return e;
}

uint64_t
env_handoffs(unsigned cpu)
{
	return cpu < SCHED_MAX_CPUS ? handoffs[cpu] : 0;
}

/* The running entity must go: another CPU asked (stop), or it may no longer run here. */
static bool
must_go(struct sched_entity *se, unsigned cpu)
{
	unsigned stop = se != NULL ? ((struct env *)se->owner)->stop : 0;

	return se != NULL &&
	       (stop == ENV_STOP_BLOCK || stop == ENV_STOP_DEAD || !sched_allowed(se, cpu));
}

bool
env_sched_tick(void)
{
	unsigned cpu = hal_cpu_id();
	uint64_t now = hal_cycles();
	hal_irqstate_t f = rq_lock_cpu(cpu);
	/* Due sleepers are woken by env_schedule (it takes the env lock, which a tick cannot). */
	bool preempt = sched_tick(&sched, cpu, now) || must_go(rqs[cpu].curr, cpu) ||
	               env_sleep_due(cpu) || knotify_cons_due() || core_stop_due(cpu);

	if (!preempt)
		arm_timer(cpu, now);
	rq_unlock_cpu(cpu, f);
	return preempt;
}

/* Idle `cpu` (unlocked) steals: the policy's balance, or one entity from the busiest CPU
 * (sched_balance_default), with every queue locked.  Not an unlocked look first: walking
 * another CPU's list without its lock can follow a link that moves to a third queue
 * meanwhile and then never reach the end of the list it started on (an idle CPU spun there
 * for good while two pinned envs exchanged IPC messages). */
static void
balance(unsigned cpu)
{
	hal_irqstate_t f;
	unsigned c;

	/* The unlocked look reads only counts, never a list.  Every queue empty elsewhere (the
	 * usual case for an idle CPU) takes no lock at all: taking all of them each time an idle
	 * CPU looked kept the others spinning, and under QEMU's round-robin TCG a vCPU spinning
	 * on a lock whose holder is descheduled burns its whole turn (sleepers on four CPUs woke
	 * seconds late).  Work queued after this look kicks an idle CPU (kick_idle_for). */
	for (c = 0; c < sched.ncpu; c++)
		if (c != cpu && __atomic_load_n(&rqs[c].nqueued, __ATOMIC_RELAXED) != 0)
			break;
	if (c == sched.ncpu)
		return;
	f = rq_lock_cpu(0);
	for (c = 1; c < sched.ncpu; c++)
		hal_spin_lock(&rq_lock[c]);
	if (sched.policy->balance)
		sched.policy->balance(&sched, cpu);
	else
		sched_balance_default(&sched, cpu);
	for (c = sched.ncpu; c-- > 1;)
		hal_spin_unlock(&rq_lock[c]);
	rq_unlock_cpu(0, f);
}

/* This CPU's (locked) running entity must go: another CPU asked it to stop (it blocks or
 * dies here, and that CPU sees it off), or its affinity no longer has this CPU (it moves
 * through a fresh wake-up, marked ENV_STOP_MOVE meanwhile so that leave() waits for it). */
static void
put_away_current(unsigned cpu, uint64_t now)
{
	struct env *e = rqs[cpu].curr->owner;

	if (e->stop == ENV_STOP_BLOCK || e->stop == ENV_STOP_DEAD) {
		sched_block(&sched, cpu, now, e->stop == ENV_STOP_DEAD);
		return;
	}
	e->stop = ENV_STOP_MOVE;
	sched_block(&sched, cpu, now, false);
	hal_spin_unlock(&rq_lock[cpu]); /* interrupts stay off: the caller restores them */
	wake_entity(e, now);
	__atomic_store_n(&e->stop, 0, __ATOMIC_RELEASE);
	hal_spin_lock(&rq_lock[cpu]);
}

struct env *
env_sched_next(bool *waiting)
{
	unsigned cpu = percpu_cpu();
	uint64_t now = rdtsc(), t;
	struct sched_entity *se;
	hal_irqstate_t f = rq_lock_cpu(cpu);

	if (must_go(rqs[cpu].curr, cpu))
		put_away_current(cpu, now);
	if (yielding[cpu]) {
		/* The yield fast path (make bench-ctxsw): one call into the core for the yield, the
		 * choice and the timer; the rest is what any other reschedule does. */
		yielding[cpu] = false;
		if ((se = sched_yield_next(&sched, cpu, now, &t)) != NULL) {
			arm_timer_at(cpu, now, t);
			rq_unlock_cpu(cpu, f);
			*waiting = false;
			return se->owner;
		}
	} else {
		se = sched_schedule_local(&sched, cpu, now);
	}
	if (!se) {
		rq_unlock_cpu(cpu, f);
		balance(cpu);
		f = rq_lock_cpu(cpu);
		se = sched_schedule_local(&sched, cpu, now);
	}
	/* Nothing to run now, but a throttled env is due back at a later time. */
	*waiting = arm_timer(cpu, now) != SCHED_NO_TIMER && se == NULL;
	rq_unlock_cpu(cpu, f);
	return se != NULL ? se->owner : NULL;
}
