/* An env's scheduling parameters and CPUs (the env_set_sched syscall), and the release of a
 * new job at the end of a sleep: the policy judges, then the entity takes them on whichever
 * queue and state it is in.  The rest of the envs' scheduler is kern/env/sched.c. */
#include "panic.h"
#include "sched_impl.h"
#include "xstring.h"

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

void
env_sched_release(struct env *e)
{
	hal_irqstate_t f;
	unsigned cpu;

	/* kern/sched has no "new job" call; setting an entity's parameters again starts its
	 * policy state afresh, which for edf is exactly a new period at the next wake-up (its
	 * deadline 0: edf_enqueue starts one).  Only edf keeps per-period state; the others'
	 * (stride's pass, mlfq's level) must outlive a sleep, so they are left alone. */
	if (strcmp(sched.policy->name, "edf") != 0 || e->se.state != SCHED_BLOCKED)
		return;
	cpu = lock_entity(e, &f);
	if (sched_set_params(&sched, &e->se, &e->se.params) < 0)
		panic("sched: edf refused the parameters it holds");
	rq_unlock_cpu(cpu, f);
}

/* A running env takes its new parameters: this CPU's gives the CPU away at the end of the
 * call, as on a yield; another CPU's is told to look again (it moves if it may no longer
 * run there). */
static void
set_running(struct env *e, const struct sched_params *p, uint64_t affinity, unsigned cpu)
{
	if (sched_set_params(&sched, &e->se, p) < 0)
		panic("sched: %s accepted parameters once and refused them again",
		      sched.policy->name);
	e->se.affinity = affinity;
	if (cpu == hal_cpu_id())
		percpu_this()->after |= PERCPU_RESCHED;
	else
		hal_resched(cpu);
}

int
env_sched_set(struct env *e, const struct sched_params *p, uint64_t affinity)
{
	struct sched_entity scratch;
	uint64_t now = hal_cycles();
	hal_irqstate_t f;
	unsigned cpu;
	bool move;
	int err;

	/* Check everything before changing anything: the policy judges the parameters on a
	 * scratch entity, so a refusal leaves e as it was. */
	if ((affinity & online_mask()) == 0 || !params_in_range(p))
		return E_INVAL;
	sched_entity_init(&scratch, e->se.id, e);
	if ((err = sched.policy->set_params(&sched, &scratch, p)) < 0)
		return err;
	e->affinity = affinity; /* less the cores other envs own (sys_core.c) */
	affinity = core_allowed(e);
	cpu = lock_entity(e, &f);
	if (e->se.state == SCHED_RUNNING && cpu == hal_cpu_id()) {
		/* The core re-queues only a waiting entity: this one yields first. */
		sched_yield_cpu(&sched, cpu, now);
		percpu_this()->after |= PERCPU_RESCHED;
	}
	if (e->se.state == SCHED_RUNNING) {
		set_running(e, p, affinity, cpu);
		rq_unlock_cpu(cpu, f);
		return 0;
	}
	if (sched_tick(&sched, cpu, now)) /* brings the core's clock to now */
		kick(cpu, true);
	if (sched_set_params(&sched, &e->se, p) < 0)
		panic("sched: %s accepted parameters once and refused them again",
		      sched.policy->name);
	e->se.affinity = affinity;
	/* Queued on a CPU it may no longer use: move it through a fresh wake-up. */
	move = e->se.state == SCHED_RUNNABLE && !sched_allowed(&e->se, cpu);
	if (move && sched_remove(&sched, &e->se, now, false) < 0)
		panic("sched: env 0x%lx cannot move to its new CPUs", e->id);
	rq_unlock_cpu(cpu, f);
	if (move)
		wake_entity(e, now);
	return 0;
}
