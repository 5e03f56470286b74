/* Simulated tasks: walking a task's phases (run, sleep, I/O, yield, timer), its jobs
 * (release, start, finish, deadline) and its open-loop arrivals.  Job boundaries follow
 * the contract in sim/workload/workload.h. */
#include "model.h"

#include <stdlib.h>

#define PEND_MAX (1ULL << 24) /* queued open-loop requests per task before giving up */

static bool
has_timers(const struct sim_task *t)
{
	return t->wt->ntimers > 0;
}

static bool
open_loop(const struct sim_task *t)
{
	return !has_timers(t) && t->wt->arrival.kind != WL_ARR_LOOP;
}

void
sim_task_job_started(struct sim_model *sm, struct sim_task *t, uint64_t when)
{
	t->job_started = true;
	t->job_start = when;
}

static void
start_job(struct sim_model *sm, struct sim_task *t, uint64_t release, uint64_t rel_deadline,
          bool announce)
{
	t->job_active = true;
	t->job_started = false;
	t->job_idx = t->jobs++;
	t->job_release = release;
	t->job_deadline = rel_deadline ? release + rel_deadline : 0;
	t->se.release = release;
	if (announce)
		met_release(sm->met, t->id, t->job_idx, t->se.cpu, release);
	if (t->se.state == SCHED_RUNNING)
		sim_task_job_started(sm, t, sm->eng.now);
}

static void
finish_job(struct sim_model *sm, struct sim_task *t)
{
	uint64_t now = sm->eng.now;
	struct met_job j = {
		.task = t->id,
		.job = t->job_idx,
		.cpu = t->se.cpu,
		.release = t->job_release,
		.start = t->job_started ? t->job_start : now,
		.finish = now,
		.deadline = t->job_deadline,
	};

	if (!t->job_active)
		return;
	t->job_active = false;
	met_job(sm->met, &j);
}

static bool
last_pass(const struct sim_task *t)
{
	return t->wt->loop >= 0 && t->passes + 1 >= t->wt->loop;
}

/* Arriving at a timer: the job ends; wait for the expiry or release the next job now. */
static enum sim_task_next
enter_timer(struct sim_model *sm, struct sim_task *t, const struct wl_phase *ph)
{
	uint64_t now = sm->eng.now, e = t->timer_next[ph->timer];

	finish_job(sm, t);
	if (t->phase + 1 == t->wt->nphases && last_pass(t)) {
		t->passes++;
		t->wait = SIM_TW_EXITED;
		return SIM_TN_EXIT;
	}
	if (e > now) {
		t->wait = SIM_TW_TIMER;
		t->timer_wait = ph->timer;
		sim_model_schedule(sm, e, SIM_PRIO_ARRIVE, SIM_EV_TIMER_EXPIRE, t->id, 0);
		return SIM_TN_BLOCK;
	}
	/* Late: the absolute grid keeps its nominal release; a relative one restarts now. */
	if (!ph->absolute)
		e = now;
	t->timer_next[ph->timer] = e + ph->period;
	start_job(sm, t, e, ph->deadline, true);
	return SIM_TN_CPU;
}

/* The body ended: one pass done; the next job of a task without timers, or exit. */
static enum sim_task_next
end_pass(struct sim_model *sm, struct sim_task *t)
{
	t->passes++;
	if (!has_timers(t))
		finish_job(sm, t);
	if (t->wt->loop >= 0 && t->passes >= t->wt->loop) {
		t->wait = SIM_TW_EXITED;
		return SIM_TN_EXIT;
	}
	if (has_timers(t))
		return SIM_TN_CPU;
	if (!open_loop(t)) {
		start_job(sm, t, sm->eng.now, t->wt->sp.deadline, true);
		return SIM_TN_CPU;
	}
	if (t->pend_n == 0) {
		t->wait = SIM_TW_ARRIVAL;
		return SIM_TN_BLOCK;
	}
	start_job(sm, t, t->pend[t->pend_head], t->wt->sp.deadline, false);
	t->pend_head = (t->pend_head + 1) % t->pend_cap;
	t->pend_n--;
	return SIM_TN_CPU;
}

/* Enter phase t->phase.  SIM_TN_CPU here means "go on to the next phase". */
static enum sim_task_next
enter_phase(struct sim_model *sm, struct sim_task *t, bool *needs_cpu)
{
	const struct wl_phase *ph = &t->wt->phases[t->phase];
	uint64_t now = sm->eng.now, d;

	*needs_cpu = false;
	switch (ph->kind) {
	case WL_PH_RUN:
		t->remaining = wl_dist_sample(&ph->dist, &t->rng);
		*needs_cpu = t->remaining > 0;
		return SIM_TN_CPU;
	case WL_PH_SLEEP:
	case WL_PH_IO:
		d = wl_dist_sample(&ph->dist, &t->rng);
		if (ph->kind == WL_PH_IO && t->se.state == SCHED_RUNNING)
			sim_cpu_stall(sm, &sm->cpu[t->se.cpu], MET_OVH_SYSCALL,
			              sm->m->cost[SIM_COST_SYSCALL]);
		t->wait = SIM_TW_SLEEP;
		sim_model_schedule(sm, now + d, SIM_PRIO_ARRIVE, SIM_EV_TASK_WAKE, t->id, 0);
		return SIM_TN_BLOCK;
	case WL_PH_YIELD:
		return SIM_TN_YIELD;
	case WL_PH_TIMER:
		return enter_timer(sm, t, ph);
	}
	return SIM_TN_CPU;
}

/* Walk phases from the current one until the task needs the CPU, blocks or exits.  A body
 * that takes no time at all is charged one microsecond per pass, so time always advances. */
static enum sim_task_next
run_phases(struct sim_model *sm, struct sim_task *t)
{
	bool yielded = false, needs_cpu;
	unsigned steps = 0, limit = 2 * t->wt->nphases + 2;

	for (;;) {
		enum sim_task_next r = enter_phase(sm, t, &needs_cpu);

		if (r == SIM_TN_BLOCK || r == SIM_TN_EXIT)
			return r;
		if (r == SIM_TN_YIELD)
			yielded = true;
		if (needs_cpu)
			return yielded ? SIM_TN_YIELD : SIM_TN_CPU;
		if (++steps > limit) {
			t->remaining = sm->m->hz / 1000000 + 1;
			return SIM_TN_CPU;
		}
		if (++t->phase == t->wt->nphases) {
			t->phase = 0;
			r = end_pass(sm, t);
			if (r != SIM_TN_CPU)
				return r;
		}
	}
}

enum sim_task_next
sim_task_advance(struct sim_model *sm, struct sim_task *t)
{
	enum sim_task_next r;

	if (++t->phase == t->wt->nphases) {
		t->phase = 0;
		r = end_pass(sm, t);
		if (r != SIM_TN_CPU)
			return r;
	}
	return run_phases(sm, t);
}

/* A blocked task's next step: run (needs a CPU) or stay blocked. */
static void
continue_blocked(struct sim_model *sm, struct sim_task *t, enum sim_task_next r)
{
	if (r == SIM_TN_CPU || r == SIM_TN_YIELD)
		sim_task_make_ready(sm, t);
}

void
sim_task_on_start(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_task *t = &sm->task[ev->arg];

	t->phase = 0;
	start_job(sm, t, e->now, has_timers(t) ? t->wt->first_deadline : t->wt->sp.deadline, true);
	continue_blocked(sm, t, run_phases(sm, t));
}

void
sim_task_on_wake(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_task *t = &sm->task[ev->arg];

	t->wait = SIM_TW_NONE;
	continue_blocked(sm, t, sim_task_advance(sm, t));
}

void
sim_task_on_timer(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_task *t = &sm->task[ev->arg];
	const struct wl_phase *ph = &t->wt->phases[t->phase];

	t->wait = SIM_TW_NONE;
	t->timer_next[t->timer_wait] = e->now + ph->period;
	start_job(sm, t, e->now, ph->deadline, true);
	continue_blocked(sm, t, sim_task_advance(sm, t));
}

static int
pend_push(struct sim_task *t, uint64_t release)
{
	if (t->pend_n == t->pend_cap) {
		uint64_t cap = t->pend_cap ? 2 * t->pend_cap : 16, *p;

		if (cap > PEND_MAX || !(p = malloc(cap * sizeof(*p))))
			return -1;
		for (uint64_t i = 0; i < t->pend_n; i++)
			p[i] = t->pend[(t->pend_head + i) % t->pend_cap];
		free(t->pend);
		t->pend = p;
		t->pend_head = 0;
		t->pend_cap = cap;
	}
	t->pend[(t->pend_head + t->pend_n++) % t->pend_cap] = release;
	return 0;
}

void
sim_task_on_arrival(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);
	struct sim_task *t = &sm->task[ev->arg];
	uint64_t next = wl_arrival_next(t->wt, &t->arr, &t->arr_rng);

	met_release(sm->met, t->id, t->arrivals++, t->se.cpu, e->now);
	if (next <= sm->end)
		sim_model_schedule(sm, next, SIM_PRIO_ARRIVE, SIM_EV_ARRIVAL, t->id, 0);
	if (t->wait != SIM_TW_ARRIVAL) {
		if (pend_push(t, e->now) < 0) {
			sm->oom = true;
			e->stop = true;
		}
		return;
	}
	t->wait = SIM_TW_NONE;
	t->phase = 0;
	start_job(sm, t, e->now, t->wt->sp.deadline, false);
	continue_blocked(sm, t, run_phases(sm, t));
}

/* Jobs still open when the run stops are reported as unfinished. */
void
sim_task_finish_unfinished(struct sim_model *sm)
{
	for (unsigned i = 0; i < sm->ntasks; i++) {
		struct sim_task *t = &sm->task[i];
		struct met_job j = { .task = t->id, .cpu = t->se.cpu };

		if (t->job_active) {
			j.job = t->job_idx;
			j.release = t->job_release;
			j.start = t->job_started ? t->job_start : sm->end;
			j.deadline = t->job_deadline;
			met_job_unfinished(sm->met, &j, sm->end);
		}
		for (uint64_t k = 0; k < t->pend_n; k++) {
			j.job = t->jobs + k;
			j.release = t->pend[(t->pend_head + k) % t->pend_cap];
			j.start = sm->end;
			j.deadline = t->wt->sp.deadline ? j.release + t->wt->sp.deadline : 0;
			met_job_unfinished(sm->met, &j, sm->end);
		}
	}
}
