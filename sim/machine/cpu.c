/* Simulated hardware threads: progress of the running task, overhead intervals charged
 * from the cost table, context switches and migrations, and the CPU's timers (the end of
 * the running phase, the policy's one-shot timer, the periodic tick). */
#include "model.h"

void
sim_model_schedule(struct sim_model *sm, uint64_t cycle, unsigned prio, enum sim_ev kind,
                   uint32_t arg, uint64_t data)
{
	if (sim_schedule(&sm->eng, cycle, prio, kind, arg, data) < 0) {
		sm->oom = true;
		sm->eng.stop = true;
	}
}

/* Credit the running task with the cycles since run_from (none while in an overhead). */
void
sim_cpu_progress(struct sim_model *sm, struct sim_cpu *c)
{
	struct sim_task *t = c->curr;
	uint64_t now = sm->eng.now, done;

	if (!t || now <= c->run_from)
		return;
	done = now - c->run_from;
	t->remaining -= done < t->remaining ? done : t->remaining;
	met_run(sm->met, c->id, t->id, c->run_from, now);
	c->run_from = now;
}

/* Re-arm the CPU's timers: the end of the running phase and the policy's one-shot. */
void
sim_cpu_rearm(struct sim_model *sm, struct sim_cpu *c)
{
	uint64_t now = sm->eng.now, t;

	if (c->resched)
		return; /* the reschedule at the end of this instant re-arms them */
	c->seg_gen++;
	if (c->curr && c->curr->remaining)
		sim_model_schedule(sm, c->run_from + c->curr->remaining, SIM_PRIO_DONE,
		                   SIM_EV_SEG_END, c->id, c->seg_gen);
	t = sched_next_timer(&sm->sched, c->id, now);
	if (t == c->timer_at)
		return;
	c->timer_gen++;
	c->timer_at = t;
	if (t != SCHED_NO_TIMER)
		sim_model_schedule(sm, t > now ? t : now, SIM_PRIO_TIMER, SIM_EV_ONESHOT, c->id,
		                   c->timer_gen);
}

/* The CPU spends `cost` cycles in the kernel; the running task resumes after it. */
void
sim_cpu_stall(struct sim_model *sm, struct sim_cpu *c, enum met_overhead_kind kind, uint64_t cost)
{
	uint64_t now = sm->eng.now;
	uint64_t start;

	if (kind == MET_OVH_TICK || kind == MET_OVH_IPI)
		c->irq_after = now + 1;
	if (cost == 0)
		return;
	sim_cpu_progress(sm, c);
	start = c->busy_until > now ? c->busy_until : now;
	if (c->curr && c->run_from > start)
		start = c->run_from;
	met_overhead(sm->met, c->id, kind, start, start + cost);
	c->busy_until = start + cost;
	if (c->curr) {
		c->run_from = c->busy_until;
		sim_cpu_rearm(sm, c);
	}
}

/* Charge the switch to `next`, and a migration when it last ran elsewhere. */
static void
charge_switch(struct sim_model *sm, struct sim_cpu *c, struct sim_task *next)
{
	uint64_t now = sm->eng.now;
	uint64_t start = c->busy_until > now ? c->busy_until : now;
	uint64_t end = start + sm->m->cost[SIM_COST_SWITCH];

	if (end > start)
		met_overhead(sm->met, c->id, MET_OVH_SWITCH, start, end);
	if (next->last_cpu >= 0 && (unsigned)next->last_cpu != c->id) {
		unsigned from = (unsigned)next->last_cpu;
		bool same_core =
		    sim_machine_core_of(sm->m, from) == sim_machine_core_of(sm->m, c->id);
		uint64_t cost = sm->m->cost[same_core ? SIM_COST_CACHE_LINE : SIM_COST_MIGRATION];

		met_migration(sm->met, next->id, from, c->id, now);
		if (cost)
			met_overhead(sm->met, c->id, MET_OVH_MIGRATE, end, end + cost);
		end += cost;
	}
	c->busy_until = end;
	c->run_from = end;
	next->last_cpu = (int)c->id;
}

/* The per-task trace track of a task that left its CPU (unless another CPU took it at this
 * instant and said so). */
static void
note_left(struct sim_model *sm, struct sim_task *t)
{
	static const enum met_task_state of[] = {
		[SCHED_RUNNABLE] = MET_TS_READY,
		[SCHED_THROTTLED] = MET_TS_READY,
		[SCHED_BLOCKED] = MET_TS_BLOCKED,
		[SCHED_DEAD] = MET_TS_EXITED,
	};

	if (t->se.state != SCHED_RUNNING && t->se.state != SCHED_NEW)
		met_task_state(sm->met, t->id, of[t->se.state], t->se.cpu, sm->eng.now);
}

void
sim_cpu_resched(struct sim_model *sm, struct sim_cpu *c)
{
	struct sim_task *prev = c->curr, *next;
	struct sched_entity *se;

	sim_cpu_progress(sm, c);
	se = sched_schedule(&sm->sched, c->id, sm->eng.now);
	next = se ? se->owner : NULL;
	if (next != prev) {
		met_switch(sm->met, c->id, next ? (int)next->id : -1, sm->eng.now);
		if (prev)
			note_left(sm, prev);
		if (next)
			met_task_state(sm->met, next->id, MET_TS_RUNNING, c->id, sm->eng.now);
		c->curr = next;
		if (next)
			charge_switch(sm, c, next);
	}
	if (next && next->job_active && !next->job_started)
		sim_task_job_started(sm, next, c->run_from);
	sim_cpu_rearm(sm, c);
}

void
sim_cpu_on_seg_end(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_cpu *c = &sm->cpu[ev->arg];
	struct sim_task *t = c->curr;
	uint64_t jobs;

	if (ev->data != c->seg_gen || !t)
		return; /* cancelled: the task was preempted or stalled meanwhile */
	sim_cpu_progress(sm, c);
	jobs = t->jobs;
	switch (sim_task_advance(sm, t)) {
	case SIM_TN_CPU:
		/* A job released while its predecessor ran: the policy learns of it. */
		if (t->jobs != jobs && sched_job_release(&sm->sched, c->id, e->now, t->se.release))
			sim_instant_resched(sm, c);
		else
			sim_cpu_rearm(sm, c);
		return;
	case SIM_TN_YIELD:
		sched_yield_cpu(&sm->sched, c->id, e->now);
		break;
	case SIM_TN_BLOCK:
	case SIM_TN_EXIT:
		sched_block(&sm->sched, c->id, e->now, t->wait == SIM_TW_EXITED);
		break;
	}
	sim_instant_resched(sm, c);
}

void
sim_cpu_on_oneshot(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_cpu *c = &sm->cpu[ev->arg];

	if (ev->data != c->timer_gen)
		return;
	c->timer_at = SCHED_NO_TIMER;
	sim_cpu_stall(sm, c, MET_OVH_TICK, sm->m->cost[SIM_COST_TICK]);
	if (sched_tick(&sm->sched, c->id, e->now))
		sim_instant_resched(sm, c);
	else
		sim_cpu_rearm(sm, c);
}

void
sim_cpu_on_tick(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_cpu *c = &sm->cpu[ev->arg];

	sim_model_schedule(sm, e->now + sm->m->tick_period, SIM_PRIO_TIMER, SIM_EV_TICK, c->id, 0);
	sim_cpu_stall(sm, c, MET_OVH_TICK, sm->m->cost[SIM_COST_TICK]);
	if (sched_tick(&sm->sched, c->id, e->now))
		sim_instant_resched(sm, c);
	else
		sim_cpu_rearm(sm, c);
}
