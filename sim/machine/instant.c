/* The end of an instant: every event of one cycle is handled before any scheduling decision
 * (docs/sim.md, "Semantics").  Handlers only note what they need: a task made ready joins
 * sm->wake, a CPU that must pick again sets its resched flag.  One SIM_EV_INSTANT_END event,
 * last at that cycle (priority SIM_PRIO_LAST), then wakes the noted tasks in task order (so
 * ties between equal keys do not depend on event history) and reschedules the flagged CPUs
 * in CPU order.  So a task is never switched in and out at one instant without running. */
#include "model.h"

static void
request_end(struct sim_model *sm)
{
	if (sm->instant_pending)
		return;
	sm->instant_pending = true;
	sim_model_schedule(sm, sm->eng.now, SIM_PRIO_LAST, SIM_EV_INSTANT_END, 0, 0);
}

void
sim_instant_resched(struct sim_model *sm, struct sim_cpu *c)
{
	c->resched = true;
	request_end(sm);
}

void
sim_task_make_ready(struct sim_model *sm, struct sim_task *t)
{
	if (!t->wake_pending) {
		t->wake_pending = true;
		sm->wake[sm->nwake++] = t->id;
	}
	request_end(sm);
}

/* The wake-up itself.  A wake-up that makes a CPU reschedule is delivered by an interrupt:
 * an IPI when that CPU is not the task's own (the one it last ran on), else the task's own
 * timer or device interrupt, charged as a timer interrupt.  One interrupt per CPU and
 * instant: a CPU that already takes one at this instant (its tick, a timer, an earlier
 * wake-up's) or already reschedules (its task blocked) handles this wake-up in the same
 * pass, as a kernel handles every timer expired at one interrupt.  One that preempts nothing
 * costs nothing. */
static void
wake(struct sim_model *sm, struct sim_task *t)
{
	bool preempt;
	int cpu = sched_wakeup(&sm->sched, &t->se, sm->eng.now, &preempt);
	bool remote, handled;

	if (cpu < 0)
		return; /* affinity was checked at set-up: cannot happen */
	met_task_state(sm->met, t->id, MET_TS_READY, (unsigned)cpu, sm->eng.now);
	if (!preempt)
		return;
	remote = t->last_cpu >= 0 && t->last_cpu != cpu;
	handled = sm->cpu[cpu].resched || sm->cpu[cpu].irq_after == sm->eng.now + 1;
	sm->cpu[cpu].resched = true; /* first: the stall below then leaves the timers alone */
	if (handled)
		return;
	if (remote)
		sim_cpu_stall(sm, &sm->cpu[cpu], MET_OVH_IPI, sm->m->cost[SIM_COST_IPI]);
	else
		sim_cpu_stall(sm, &sm->cpu[cpu], MET_OVH_TICK, sm->m->cost[SIM_COST_TICK]);
}

void
sim_instant_on_end(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);

	sm->instant_pending = false;
	/* Insertion sort: a handful of wake-ups per instant. */
	for (unsigned i = 1; i < sm->nwake; i++) {
		unsigned id = sm->wake[i], j = i;

		for (; j > 0 && sm->wake[j - 1] > id; j--)
			sm->wake[j] = sm->wake[j - 1];
		sm->wake[j] = id;
	}
	for (unsigned i = 0; i < sm->nwake; i++) {
		struct sim_task *t = &sm->task[sm->wake[i]];

		t->wake_pending = false;
		wake(sm, t);
	}
	sm->nwake = 0;
	for (unsigned c = 0; c < sm->ncpus; c++) {
		if (sm->cpu[c].resched) {
			sm->cpu[c].resched = false;
			sim_cpu_resched(sm, &sm->cpu[c]);
		}
	}
}
