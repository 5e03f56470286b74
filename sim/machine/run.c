/* One simulation run: build CPUs, tasks and the scheduler from the machine, policy and
 * workload; seed the first events; run the engine for the duration; close open jobs. */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"

/* Wall time decides when to show progress; the run's cost is the process's CPU time, which
 * other programs sharing the host do not inflate. */
static double
host_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
host_now(void)
{
	return host_clock(CLOCK_MONOTONIC);
}

/* Each engine event is folded into the fingerprint, then dispatched to the model. */
static sim_handler_fn model_handlers[SIM_EV_NKINDS] = {
	[SIM_EV_SEG_END] = sim_cpu_on_seg_end,  [SIM_EV_TASK_START] = sim_task_on_start,
	[SIM_EV_TASK_WAKE] = sim_task_on_wake,  [SIM_EV_TIMER_EXPIRE] = sim_task_on_timer,
	[SIM_EV_ARRIVAL] = sim_task_on_arrival, [SIM_EV_ONESHOT] = sim_cpu_on_oneshot,
	[SIM_EV_TICK] = sim_cpu_on_tick,        [SIM_EV_INSTANT_END] = sim_instant_on_end,
};

/* The watchdog allows this many events at one cycle, plus SIM_STALL_PER_OBJECT per task
 * and per CPU: a release, a wake-up and a few reschedules each is the most a correct run
 * needs at one instant, and a run that goes past it is spinning (say, a policy whose
 * tick() keeps asking for a reschedule that changes nothing) and would never end. */
#define SIM_STALL_BASE       100000
#define SIM_STALL_PER_OBJECT 64

static const char *const event_names[SIM_EV_NKINDS] = {
	[SIM_EV_SEG_END] = "end of a run phase on cpu",
	[SIM_EV_TASK_START] = "start of task",
	[SIM_EV_TASK_WAKE] = "wake-up of task",
	[SIM_EV_TIMER_EXPIRE] = "timer expiry of task",
	[SIM_EV_ARRIVAL] = "arrival for task",
	[SIM_EV_ONESHOT] = "one-shot timer of cpu",
	[SIM_EV_TICK] = "periodic tick of cpu",
	[SIM_EV_INSTANT_END] = "end of the instant",
};

/* True when simulated time has stopped advancing: the run must stop. */
static bool
stalled(struct sim_model *sm, const struct sim_event *ev)
{
	if (ev->cycle != sm->stall_cycle) {
		sm->stall_cycle = ev->cycle;
		sm->stall_events = 0;
	}
	return ++sm->stall_events > sm->stall_limit;
}

static void
on_event(struct sim_engine *e, const struct sim_event *ev)
{
	struct sim_model *sm = SIM_MODEL(e);

	if (stalled(sm, ev)) {
		sm->stalled = true;
		sm->stall_ev = *ev;
		e->stop = true;
		return;
	}
	met_event(sm->met, ev->cycle, ev->kind, ev->arg, ev->data);
	model_handlers[ev->kind](e, ev);
}

static int
init_task(struct sim_model *sm, unsigned i, const struct sched_params *p, char *err, size_t errlen)
{
	struct sim_task *t = &sm->task[i];
	const struct wl_task *wt = &sm->w->tasks[i];
	uint64_t mask = sm->ncpus == 64 ? ~0ULL : (1ULL << sm->ncpus) - 1;
	int r;

	t->wt = wt;
	t->id = i;
	t->last_cpu = -1;
	sched_entity_init(&t->se, i, t);
	t->se.affinity = wt->cpus & mask;
	if (!t->se.affinity) {
		snprintf(err, errlen,
		         "%s: task '%s': \"cpus\" names no CPU of this machine "
		         "(%u hardware threads)",
		         sm->w->name, wt->name, sm->ncpus);
		return E_INVAL;
	}
	r = sched_set_params(&sm->sched, &t->se, p);
	if (r < 0) {
		snprintf(err, errlen,
		         "%s: task '%s': parameters rejected by policy '%s' "
		         "(period %llu cycles, deadline %llu cycles, budget %llu cycles, "
		         "priority level %u, tickets %u)",
		         sm->w->name, wt->name, sm->sched.policy->name,
		         (unsigned long long)p->period, (unsigned long long)p->deadline,
		         (unsigned long long)p->budget, p->priority, p->tickets);
		return r;
	}
	rng_stream(&t->rng, sm->seed, "task", i);
	rng_stream(&t->arr_rng, sm->seed, "arrival", i);
	t->timer_next = calloc(wt->ntimers ? wt->ntimers : 1, sizeof(uint64_t));
	if (!t->timer_next)
		return E_NOMEM;
	for (uint32_t k = 0; k < wt->nphases; k++) {
		const struct wl_phase *ph = &wt->phases[k];

		if (ph->kind == WL_PH_TIMER && !t->timer_next[ph->timer])
			t->timer_next[ph->timer] = wt->offset + ph->period;
	}
	return 0;
}

/* A partitioned policy places the whole task set at once (sched_partition).  A set it
 * cannot place whole still runs, unguaranteed: the run shows what happens. */
static int
partition(struct sim_model *sm)
{
	struct sched_entity **se = calloc(sm->ntasks ? sm->ntasks : 1, sizeof(*se));
	int unfit;

	if (!se)
		return E_NOMEM;
	for (unsigned i = 0; i < sm->ntasks; i++)
		se[i] = &sm->task[i].se;
	unfit = sched_partition(&sm->sched, se, sm->ntasks);
	free(se);
	if (unfit > 0)
		fprintf(stderr, "exosim: %s: %d task%s fit no CPU under %s's test\n", sm->w->name,
		        unfit, unfit == 1 ? "" : "s", sm->sched.policy->name);
	return unfit < 0 ? unfit : 0;
}

static void
seed_events(struct sim_model *sm)
{
	for (unsigned i = 0; i < sm->ntasks; i++) {
		struct sim_task *t = &sm->task[i];

		if (!t->wt->ntimers && t->wt->arrival.kind != WL_ARR_LOOP) {
			uint64_t a = wl_arrival_next(t->wt, &t->arr, &t->arr_rng);

			t->wait = SIM_TW_ARRIVAL;
			if (a <= sm->end)
				sim_model_schedule(sm, a, SIM_PRIO_ARRIVE, SIM_EV_ARRIVAL, i, 0);
		} else if (t->wt->offset <= sm->end) {
			sim_model_schedule(sm, t->wt->offset, SIM_PRIO_ARRIVE, SIM_EV_TASK_START, i,
			                   0);
		}
	}
	for (unsigned c = 0; c < sm->ncpus; c++) {
		sm->cpu[c].id = c;
		sm->cpu[c].timer_at = SCHED_NO_TIMER;
		if (sm->m->tick_period && !((sm->m->tickless >> c) & 1))
			sim_model_schedule(sm, sm->m->tick_period, SIM_PRIO_TIMER, SIM_EV_TICK, c,
			                   0);
	}
}

static int
build(struct sim_model *sm, const struct sim_options *o, char *err, size_t errlen)
{
	struct sched_params *p;
	int r;

	sm->m = o->machine;
	sm->w = o->workload;
	sm->met = o->met;
	sm->seed = o->seed;
	sm->end = o->duration;
	sm->ncpus = o->machine->ncpus;
	sm->ntasks = o->workload->ntasks;
	sm->stall_limit =
	    SIM_STALL_BASE + SIM_STALL_PER_OBJECT * ((uint64_t)sm->ntasks + sm->ncpus);
	sm->rq = calloc(sm->ncpus, sizeof(*sm->rq));
	sm->cpu = calloc(sm->ncpus, sizeof(*sm->cpu));
	sm->task = calloc(sm->ntasks, sizeof(*sm->task));
	sm->wake = calloc(sm->ntasks ? sm->ntasks : 1, sizeof(*sm->wake));
	p = calloc(sm->ntasks, sizeof(*p));
	if (!sm->rq || !sm->cpu || !sm->task || !sm->wake || !p ||
	    sim_engine_init(&sm->eng, 1024, sm) < 0) {
		free(p);
		return E_NOMEM;
	}
	for (unsigned k = 0; k < SIM_EV_NKINDS; k++)
		sm->eng.handler[k] = on_event;
	r = sched_init(&sm->sched, o->policy, sm->rq, sm->ncpus, sm->m->hz);
	if (r == 0)
		r = sim_task_params(sm->w, o->policy, sm->m->hz, p);
	for (unsigned i = 0; r == 0 && i < sm->ntasks; i++)
		r = init_task(sm, i, &p[i], err, errlen);
	free(p);
	if (r == 0)
		r = partition(sm);
	if (r == E_NOMEM)
		snprintf(err, errlen, "out of memory");
	else if (r < 0 && !err[0])
		snprintf(err, errlen, "%s: cannot set up the scheduler", sm->w->name);
	if (r == 0)
		seed_events(sm);
	return r;
}

static void
teardown(struct sim_model *sm)
{
	for (unsigned i = 0; sm->task && i < sm->ntasks; i++) {
		free(sm->task[i].timer_next);
		free(sm->task[i].pend);
	}
	free(sm->task);
	free(sm->wake);
	free(sm->cpu);
	free(sm->rq);
	sim_engine_free(&sm->eng);
}

static void
show_progress(const struct sim_model *sm, double t0)
{
	double el = host_now() - t0;

	fprintf(stderr,
	        "\rexosim: %5.1f%% simulated (%.3f of %.3f s) in %.1f s host, %.1f M events/s ",
	        100.0 * sm->eng.now / sm->end, (double)sm->eng.now / sm->m->hz,
	        (double)sm->end / sm->m->hz, el, sm->eng.dispatched / el / 1e6);
}

/* Run in slices so a long run can show progress: on a terminal, after 2 host seconds,
 * four times a second.  The horizon is closed: every event at cycle sm->end is handled too
 * (docs/sim.md, "The end of a run"). */
static void
run_loop(struct sim_model *sm, bool progress, double t0)
{
	uint64_t slice = sm->end / 1000 + 1;
	bool shown = false;
	double next_show = t0 + 2.0;

	progress = progress && isatty(STDERR_FILENO);
	while (!sm->eng.stop) {
		uint64_t until = sm->end - sm->eng.now > slice ? sm->eng.now + slice : sm->end;

		sim_run_until(&sm->eng, until);
		if (sm->eng.n == 0 || until == sm->end)
			break;
		if (progress && host_now() > next_show) {
			show_progress(sm, t0);
			shown = true;
			next_show = host_now() + 0.25;
		}
	}
	if (shown)
		fputc('\n', stderr);
}

static void
report_stall(const struct sim_model *sm, char *err, size_t errlen)
{
	const struct sim_event *ev = &sm->stall_ev;

	snprintf(err, errlen,
	         "no progress: under policy '%s' simulated time stopped at cycle "
	         "%llu (%.9f s): more than %llu events at that cycle (the last: %s %u); does "
	         "the policy's tick() keep asking for a reschedule that changes nothing?",
	         sm->sched.policy->name, (unsigned long long)ev->cycle,
	         (double)ev->cycle / sm->m->hz, (unsigned long long)sm->stall_limit,
	         event_names[ev->kind], ev->arg);
}

int
sim_run(const struct sim_options *o, struct sim_result *res, char *err, size_t errlen)
{
	struct sim_model sm = { 0 };
	double t0 = host_now(), cpu0 = host_clock(CLOCK_PROCESS_CPUTIME_ID);
	int r;

	err[0] = '\0';
	if (o->duration == 0) {
		snprintf(err, errlen, "--duration: must be positive");
		return E_INVAL;
	}
	r = build(&sm, o, err, errlen);
	if (r == 0)
		run_loop(&sm, o->progress, t0);
	if (r == 0 && sm.stalled) {
		report_stall(&sm, err, errlen);
		r = E_BUSY;
	} else if (r == 0) {
		sm.eng.now = sm.end;
		for (unsigned c = 0; c < sm.ncpus; c++)
			sim_cpu_progress(&sm, &sm.cpu[c]);
		sim_task_finish_unfinished(&sm);
		if (sm.oom) {
			snprintf(err, errlen, "out of memory during the run");
			r = E_NOMEM;
		}
	}
	res->cycles = sm.end;
	res->events = sm.eng.dispatched;
	res->host_seconds = host_clock(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	teardown(&sm);
	return r;
}
