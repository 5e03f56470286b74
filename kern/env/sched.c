/* The envs' side of the portable scheduler (kern/sched): one scheduler instance with the
 * policy named by sched=, and the calls that keep each env's entity in step with its status.
 * An env is RUNNABLE exactly while its entity is queued, throttled or running; every change
 * of status goes through here (wake, block, exit), and so do yield, the timer tick and the
 * choice of the next env (kern/env/run.c).
 *
 * Time is the TSC (hal_cycles).  The policies need its rate only for defaults given in time
 * (rr's and stride's 4 ms quantum, mlfq's allotments, the edf server below): the rate
 * calibrated at boot (clock_tsc_hz), or ENV_SCHED_HZ when there is none, which is exact under
 * `qemu -icount shift=0` (the TSC counts instructions, QEMU's virtual clock runs at 1 GHz).
 *
 * Per-CPU run queues are the core's; only the boot CPU runs envs so far, so the instance has
 * one CPU (env_sched_cpus) and every call names the CPU it runs on (hal_cpu_id). */
#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "ktrace.h"
#include "panic.h"
#include "xstring.h"

CMDLINE_OPTION(sched, "sched", "sched=rr|prio|mlfq|stride|edf: the scheduling policy (default rr)");

#define ENV_SCHED_HZ      1000000000ull /* TSC rate when uncalibrated: see above */
#define ENV_SCHED_DEFAULT "rr"

static struct sched sched;
static uint64_t hz; /* the TSC's rate */
static struct sched_rq rqs[SCHED_MAX_CPUS];

/* CPUs whose run queues envs go to.  Only the boot CPU runs envs until the application
 * processors enter the scheduler; then this becomes hal_cpu_count(). */
static unsigned
env_sched_cpus(void)
{
	return 1;
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
	printf("sched: policy %s on %u CPU%s\n", p->name, ncpu, ncpu == 1 ? "" : "s");
	ktrace_init(&sched);
}

int
env_sched_new(struct env *e)
{
	struct sched_params p = default_params();

	sched_entity_init(&e->se, (unsigned)(e - envs), e);
	return sched_set_params(&sched, &e->se, &p);
}

void
env_wake(struct env *e)
{
	bool preempt;
	int err;

	if (e->status != ENV_NOT_RUNNABLE)
		return;
	if ((err = sched_wakeup(&sched, &e->se, hal_cycles(), &preempt)) < 0)
		panic("sched: env 0x%lx cannot wake (%s)", e->id, error_name(err));
	e->status = ENV_RUNNABLE;
	ktrace_wake(e, err);
	/* A more urgent env preempts the caller when its system call ends. */
	if (preempt && env_current() != NULL)
		percpu_this()->after |= PERCPU_RESCHED;
}

/* e leaves the scheduler: from its CPU if it runs (the caller then gives the CPU away at
 * the end of its system call or trap), else from its queue. */
static void
leave(struct env *e, bool dead)
{
	uint64_t now = hal_cycles();
	int err;

	if (e->se.state == SCHED_RUNNING) {
		/* Only this CPU runs envs: a running env runs here.  (SMP: stop it there first.) */
		if (e->se.cpu != hal_cpu_id())
			panic("sched: env 0x%lx runs on cpu %u", e->id, e->se.cpu);
		err = sched_block(&sched, e->se.cpu, now, dead);
		percpu_this()->after |= PERCPU_RESCHED;
	} else {
		err = sched_remove(&sched, &e->se, now, dead);
	}
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
	e->status = ENV_NOT_RUNNABLE;
}

void
env_sched_exit(struct env *e)
{
	ktrace_block(e, true);
	if (e->se.state != SCHED_DEAD)
		leave(e, true);
}

void
env_yield(struct env *e)
{
	if (sched_yield_cpu(&sched, hal_cpu_id(), hal_cycles()) < 0)
		panic("sched: env 0x%lx yields but does not run", e->id);
	percpu_this()->after |= PERCPU_RESCHED;
}

bool
env_sched_tick(void)
{
	return sched_tick(&sched, hal_cpu_id(), hal_cycles());
}

struct env *
env_sched_next(bool *waiting)
{
	unsigned cpu = hal_cpu_id();
	uint64_t now = hal_cycles();
	struct sched_entity *se = sched_schedule(&sched, cpu, now);

	/* Nothing to run now, but a throttled env is due back at a later tick. */
	*waiting = se == NULL && sched_next_timer(&sched, cpu, now) != SCHED_NO_TIMER;
	return se != NULL ? se->owner : NULL;
}

/* Bits of CPUs that run envs. */
static uint64_t
online_mask(void)
{
	unsigned n = sched.ncpu;

	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* Every field in its range, whichever policy reads it, so an env's parameters would be
 * valid under any policy (abi/env.h, struct abi_sched_params). */
static bool
params_in_range(const struct sched_params *p)
{
	uint64_t d = p->deadline ? p->deadline : p->period;

	if (p->priority >= SCHED_PRIO_LEVELS || p->tickets > SCHED_STRIDE_MAX_TICKETS)
		return false;
	if (p->period == 0)
		return p->deadline == 0 && p->budget == 0;
	return d <= p->period && p->budget <= d;
}

int
env_sched_set(struct env *e, const struct sched_params *p, uint64_t affinity)
{
	struct sched_entity scratch;
	uint64_t now = hal_cycles();
	int err;

	/* Check everything before changing anything: the policy judges the parameters on a
	 * scratch entity, so a refusal leaves e as it was. */
	if ((affinity & online_mask()) == 0 || !params_in_range(p))
		return E_INVAL;
	sched_entity_init(&scratch, e->se.id, e);
	if ((err = sched.policy->set_params(&sched, &scratch, p)) < 0)
		return err;
	if (e->se.state == SCHED_RUNNING) {
		/* The core re-queues only a waiting entity: the running one goes back to its
		 * queue first, as on a yield, and the CPU is given out again with the change. */
		env_yield(e);
	} else if (sched_tick(&sched, e->se.cpu, now)) {
		percpu_this()->after |= PERCPU_RESCHED; /* brings the core's clock to now */
	}
	if ((err = sched_set_params(&sched, &e->se, p)) < 0)
		panic("sched: %s accepted parameters once and refused them again",
		      sched.policy->name);
	e->se.affinity = affinity;
	if (e->se.state == SCHED_RUNNABLE && !sched_allowed(&e->se, e->se.cpu)) {
		bool preempt;

		/* Queued on a CPU it may no longer use: move it through a fresh wake-up. */
		if (sched_remove(&sched, &e->se, now, false) < 0 ||
		    sched_wakeup(&sched, &e->se, now, &preempt) < 0)
			panic("sched: env 0x%lx cannot move to its new CPUs", e->id);
	}
	return 0;
}
