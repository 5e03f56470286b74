/* From a workload's scheduling parameters to the policy's struct sched_params. */
#include "run.h"

#include <stdlib.h>
#include <string.h>

static int
by_urgency(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x < y) - (x > y); /* descending: most urgent first */
}

/* rt-app priorities grow with urgency; prio levels shrink with it.  A task's level is the
 * rank of its priority among the distinct values, so any ordering of up to
 * SCHED_PRIO_LEVELS distinct priorities is kept exactly. */
static int
assign_levels(const struct workload *w, struct sched_params *out)
{
	int32_t *v = malloc(w->ntasks * sizeof(*v));
	uint32_t n = 0;

	if (!v)
		return E_NOMEM;
	for (uint32_t i = 0; i < w->ntasks; i++)
		v[i] = w->tasks[i].sp.priority;
	qsort(v, w->ntasks, sizeof(*v), by_urgency);
	for (uint32_t i = 0; i < w->ntasks; i++)
		if (n == 0 || v[n - 1] != v[i])
			v[n++] = v[i];
	for (uint32_t i = 0; i < w->ntasks; i++) {
		int32_t *hit = bsearch(&w->tasks[i].sp.priority, v, n, sizeof(*v), by_urgency);
		size_t rank = (size_t)(hit - v);

		out[i].priority = rank < SCHED_PRIO_LEVELS ? (unsigned)rank : SCHED_PRIO_LEVELS - 1;
	}
	free(v);
	return 0;
}

static bool
same_priorities(const struct workload *w)
{
	for (uint32_t i = 1; i < w->ntasks; i++)
		if (w->tasks[i].sp.priority != w->tasks[0].sp.priority)
			return false;
	return true;
}

static bool
all_periodic(const struct workload *w)
{
	for (uint32_t i = 0; i < w->ntasks; i++)
		if (w->tasks[i].sp.period == 0)
			return false;
	return true;
}

int
sim_task_params(const struct workload *w, const struct sched_policy *policy, uint64_t hz,
                struct sched_params *out)
{
	bool rm = same_priorities(w) && all_periodic(w) && w->ntasks > 1;

	for (uint32_t i = 0; i < w->ntasks; i++) {
		const struct wl_sched_params *sp = &w->tasks[i].sp;
		struct sched_params *p = &out[i];

		memset(p, 0, sizeof(*p));
		p->tickets = sp->tickets;
		p->period = sp->period;
		p->deadline = sp->deadline;
		p->budget = sp->budget;
		/* EDF needs a period: a task without one is a background server with its
		 * deadline (or one second) as period, and no budget. */
		if (p->period == 0) {
			p->period = p->deadline ? p->deadline : hz;
			p->deadline = p->period;
			p->budget = 0;
		}
	}
	if (assign_levels(w, out) < 0)
		return E_NOMEM;
	/* Equal priorities on a periodic set: prio gets rate-monotonic levels (docs/sim.md). */
	if (rm && strcmp(policy->name, "prio") == 0)
		return sched_prio_assign_rm(out, w->ntasks);
	return 0;
}
