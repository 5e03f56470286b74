/* From an exosim workload to the sporadic task model of the analyses: C is the largest run
 * time one job can take, T the timer period, D the relative deadline.  A task that
 * suspends itself (sleep, I/O), is open-loop, or runs for an unbounded time is reported
 * as not analysable rather than guessed at. */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "machine/run.h"

/* The largest value the distribution can produce, 0 if it has no bound. */
static uint64_t
dist_max(const struct wl_dist *d)
{
	uint64_t m = 0;

	switch (d->kind) {
	case WL_DIST_FIXED:
		return d->a;
	case WL_DIST_UNIFORM:
		return d->b;
	case WL_DIST_BIMODAL:
		return d->a > d->b ? d->a : d->b;
	case WL_DIST_EMPIRICAL:
		for (uint32_t i = 0; i < d->nvalues; i++)
			m = d->values[i] > m ? d->values[i] : m;
		return m;
	default:
		return 0; /* exponential, lognormal: unbounded */
	}
}

/* C, T and D of one task, or why not. */
static void
one_task(const struct wl_task *wt, struct an_task *t)
{
	unsigned timers = 0;
	uint64_t c = 0;

	t->name = wt->name;
	if (wt->arrival.kind != WL_ARR_LOOP) {
		t->why = "open-loop arrivals";
		return;
	}
	for (uint32_t k = 0; k < wt->nphases; k++) {
		const struct wl_phase *ph = &wt->phases[k];
		uint64_t x;

		if (ph->kind == WL_PH_TIMER) {
			timers++;
		} else if (ph->kind != WL_PH_RUN) {
			t->why = "self-suspension (sleep, I/O or yield)";
			return;
		} else if ((x = dist_max(&ph->dist)) == 0 && ph->dist.kind != WL_DIST_FIXED) {
			t->why = "unbounded run time";
			return;
		} else {
			c += x;
		}
	}
	if (timers != 1 || wt->sp.period == 0) {
		t->why = timers ? "more than one timer per pass" : "no period (not periodic)";
		return;
	}
	t->c = c;
	t->t = wt->sp.period;
	t->d = wt->sp.deadline ? wt->sp.deadline : wt->sp.period;
}

static int
only_cpu(uint64_t mask, unsigned ncpus)
{
	uint64_t all = ncpus >= 64 ? ~0ULL : (1ULL << ncpus) - 1;

	mask &= all;
	if (mask == 0 || (mask & (mask - 1)) != 0)
		return -1;
	return __builtin_ctzll(mask);
}

int
an_from_workload(const struct workload *w, uint64_t hz, unsigned ncpus, struct an_set *set)
{
	struct sched_params *p = calloc(w->ntasks, sizeof(*p));

	memset(set, 0, sizeof(*set));
	set->task = calloc(w->ntasks, sizeof(*set->task));
	if (!p || !set->task || sim_task_params(w, sched_policy_find("prio"), hz, p) < 0) {
		free(p);
		an_set_free(set);
		return E_NOMEM;
	}
	set->n = w->ntasks;
	set->ok = true;
	for (uint32_t i = 0; i < w->ntasks; i++) {
		one_task(&w->tasks[i], &set->task[i]);
		set->task[i].level = p[i].priority;
		set->task[i].cpu = only_cpu(w->tasks[i].cpus, ncpus);
		set->ok = set->ok && !set->task[i].why;
	}
	free(p);
	return 0;
}

void
an_set_free(struct an_set *set)
{
	free(set->task);
	set->task = NULL;
	set->n = 0;
}

struct an_cost
an_cost_of(const struct sim_machine *m)
{
	return (struct an_cost){ .cs = m->cost[SIM_COST_SWITCH],
		                 .tick = m->cost[SIM_COST_TICK],
		                 .tick_period = m->tick_period };
}
