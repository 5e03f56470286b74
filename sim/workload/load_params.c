/* Workload loader: affinity, arrival processes, and the checks that look at a task as a
 * whole (derived period and deadlines, impossible parameter combinations, endless loops
 * that take no time). */
#include "load.h"

#include <string.h>

int
ld_cpus(struct ld *ld, json_t *v, uint64_t *mask)
{
	size_t i;
	json_t *c;
	int rc = 0;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return ld_fail(ld, false, "\"cpus\" must be a non-empty array of CPU numbers");
	*mask = 0;
	json_array_foreach(v, i, c)
	{
		long long n;

		ld_push_index(ld, i);
		rc = ld_int(ld, c, 0, WL_MAX_CPUS - 1, &n);
		if (rc == 0 && n >= (long long)ld->env->ncpus)
			rc = ld_fail(ld, false, "CPU %lld does not exist (the machine has %u)", n,
			             ld->env->ncpus);
		ld_pop(ld);
		if (rc)
			return rc;
		*mask |= 1ULL << n;
	}
	return 0;
}

/* "rate": arrivals per second, converted to per cycle; at most one per cycle. */
static int
arrival_rate(struct ld *ld, json_t *v, double *per_cycle)
{
	double r;
	int rc = ld_positive(ld, v, &r);

	if (rc)
		return rc;
	if (r > (double)ld->env->hz)
		return ld_fail(ld, false, "rate %g/s exceeds one arrival per cycle", r);
	*per_cycle = r / (double)ld->env->hz;
	return 0;
}

static int
bursty_field(struct ld *ld, const char *key, json_t *v, struct wl_arrival *a)
{
	if (strcmp(key, "rate") == 0)
		return arrival_rate(ld, v, &a->rate);
	if (strcmp(key, "on") == 0)
		return ld_dist(ld, v, &a->on);
	if (strcmp(key, "off") == 0)
		return ld_dist(ld, v, &a->off);
	return ld_fail(ld, true, "unknown key \"%s\" in \"bursty\" (expected rate, on, off)", key);
}

static int
ld_bursty(struct ld *ld, json_t *v, struct wl_arrival *a)
{
	const char *key;
	json_t *f;
	int rc = 0;

	if (!json_is_object(v) || !json_object_get(v, "rate") || !json_object_get(v, "on") ||
	    !json_object_get(v, "off"))
		return ld_fail(ld, false, "\"bursty\" needs {\"rate\", \"on\", \"off\"}");
	json_object_foreach(v, key, f)
	{
		ld_push_key(ld, key);
		rc = bursty_field(ld, key, f, a);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	/* wl_arrival_next walks window by window: windows that almost never see an arrival
	 * would make it crawl, so ask for one arrival per 1000 windows at least. */
	if (!(a->rate * wl_dist_mean(&a->on) >= WL_MIN_ARRIVALS_PER_WINDOW))
		return ld_fail(ld, false,
		               "\"bursty\" needs rate x mean on window >= %g "
		               "arrivals",
		               WL_MIN_ARRIVALS_PER_WINDOW);
	return 0;
}

int
ld_arrival(struct ld *ld, json_t *v, struct wl_arrival *a)
{
	const char *k;
	int rc;

	if (!json_is_object(v) || json_object_size(v) != 1)
		return ld_fail(ld, false,
		               "\"arrival\" is {\"poisson\": rate} or {\"bursty\": "
		               "{\"rate\", \"on\", \"off\"}}");
	k = json_object_iter_key(json_object_iter(v));
	ld_push_key(ld, k);
	if (strcmp(k, "poisson") == 0) {
		a->kind = WL_ARR_POISSON;
		rc = arrival_rate(ld, json_object_get(v, k), &a->rate);
	} else if (strcmp(k, "bursty") == 0) {
		a->kind = WL_ARR_BURSTY;
		rc = ld_bursty(ld, json_object_get(v, k), a);
	} else {
		rc = ld_fail(ld, true, "unknown arrival \"%s\" (expected poisson or bursty)", k);
	}
	ld_pop(ld);
	return rc;
}

/* Reports an error at the task key `key` (one of the ld_given names). */
static int
fail_at(struct ld *ld, const char *key, const char *what, uint64_t a, uint64_t b)
{
	double hz = (double)ld->env->hz;
	int rc;

	ld_push_key(ld, key);
	rc = ld_fail(ld, false, "%s (%.6g us > %.6g us)", what, (double)a * 1e6 / hz,
	             (double)b * 1e6 / hz);
	ld_pop(ld);
	return rc;
}

static int
check_budget(struct ld *ld, const struct ld_given *g, const struct wl_sched_params *sp)
{
	if (!g->budget)
		return 0;
	if (!sp->period && !sp->deadline) {
		ld_push_key(ld, g->budget);
		ld_fail(ld, true, "\"%s\" needs a period or a deadline", g->budget);
		ld_pop(ld);
		return WL_E_INVALID;
	}
	if (sp->period && sp->budget > sp->period)
		return fail_at(ld, g->budget, "budget exceeds the period", sp->budget, sp->period);
	if (sp->deadline && sp->budget > sp->deadline)
		return fail_at(ld, g->budget, "budget exceeds the deadline", sp->budget,
		               sp->deadline);
	return 0;
}

/* A task that repeats its body must spend time in it, or the simulation stops advancing. */
static int
check_progress(struct ld *ld, const struct wl_task *t)
{
	if (t->arrival.kind != WL_ARR_LOOP || t->ntimers || (t->loop >= 0 && t->loop <= 1))
		return 0;
	for (uint32_t i = 0; i < t->nphases; i++)
		if (t->phases[i].kind != WL_PH_YIELD && wl_dist_mean(&t->phases[i].dist) > 0)
			return 0;
	return ld_fail(ld, false, "task \"%s\" loops but none of its events takes time", t->name);
}

/* Period from the timers when they all agree; per-release deadlines of timer phases. */
static void
derive_from_timers(const struct ld_given *g, struct wl_task *t)
{
	uint64_t period = 0;
	bool one = true;

	for (uint32_t i = 0; i < t->nphases; i++) {
		if (t->phases[i].kind != WL_PH_TIMER)
			continue;
		if (period && t->phases[i].period != period)
			one = false;
		period = t->phases[i].period;
	}
	if (!g->period && one)
		t->sp.period = period;
	if (!g->deadline)
		t->sp.deadline = t->sp.period;
	t->first_deadline = t->sp.deadline;
	for (uint32_t i = t->nphases; i-- > 0;) {
		struct wl_phase *p = &t->phases[i];
		if (p->kind != WL_PH_TIMER)
			continue;
		p->deadline = g->deadline ? t->sp.deadline : p->period;
		t->first_deadline = p->deadline; /* ends as the first timer's */
	}
}

int
ld_task_params(struct ld *ld, const struct ld_given *g, struct wl_task *t)
{
	struct wl_sched_params *sp = &t->sp;
	int rc;

	if (t->arrival.kind != WL_ARR_LOOP && t->ntimers) {
		ld_push_key(ld, g->arrival);
		ld_fail(ld, true, "a task with \"arrival\" cannot also have timer events");
		ld_pop(ld);
		return WL_E_INVALID;
	}
	derive_from_timers(g, t);
	if (g->deadline && sp->period && sp->deadline > sp->period)
		return fail_at(ld, g->deadline, "the deadline is longer than the period",
		               sp->deadline, sp->period);
	if ((rc = check_budget(ld, g, sp)) != 0)
		return rc;
	if (!g->priority)
		sp->priority = sp->policy == WL_POL_FIFO || sp->policy == WL_POL_RR ? 10 : 0;
	return check_progress(ld, t);
}
