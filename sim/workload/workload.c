/* Workload objects: ownership (free, clone, value tables) and whole-workload figures
 * (utilisation, hyperperiod). */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#include "sched.h"

uint64_t *
wl_task_table(struct wl_task *t, size_t n)
{
	uint64_t **grown = realloc(t->tables, (t->ntables + 1) * sizeof(*grown));
	uint64_t *v;

	if (!grown)
		return NULL;
	t->tables = grown;
	v = calloc(n ? n : 1, sizeof(*v));
	if (v)
		t->tables[t->ntables++] = v;
	return v;
}

void
wl_task_release(struct wl_task *t)
{
	for (uint32_t i = 0; i < t->ntables; i++)
		free(t->tables[i]);
	free(t->tables);
	free(t->phases);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

/* Points a copied distribution at the clone's copy of its table. */
int
wl_task_own_dist(struct wl_task *dst, struct wl_dist *d)
{
	uint64_t *copy;

	if (d->kind != WL_DIST_EMPIRICAL)
		return 0;
	copy = wl_task_table(dst, d->nvalues);
	if (!copy)
		return WL_E_NOMEM;
	memcpy(copy, d->values, d->nvalues * sizeof(*copy));
	d->values = copy;
	return 0;
}

int
wl_task_clone(struct wl_task *dst, const struct wl_task *src, const char *name)
{
	int rc = 0;

	*dst = *src;
	dst->tables = NULL;
	dst->ntables = 0;
	dst->name = strdup(name);
	dst->phases = malloc(src->nphases * sizeof(*dst->phases));
	if (!dst->name || !dst->phases) {
		dst->nphases = 0;
		wl_task_release(dst);
		return WL_E_NOMEM;
	}
	memcpy(dst->phases, src->phases, src->nphases * sizeof(*dst->phases));
	/* Copies share nothing, so each can be freed alone; a table used by several
	 * phases (a flattened loop) is copied once per use, which is correct if wasteful. */
	for (uint32_t i = 0; i < dst->nphases && rc == 0; i++)
		rc = wl_task_own_dist(dst, &dst->phases[i].dist);
	if (rc == 0)
		rc = wl_task_own_dist(dst, &dst->arrival.on);
	if (rc == 0)
		rc = wl_task_own_dist(dst, &dst->arrival.off);
	if (rc)
		wl_task_release(dst);
	return rc;
}

void
wl_free(struct workload *w)
{
	if (!w)
		return;
	for (uint32_t i = 0; i < w->ntasks; i++)
		wl_task_release(&w->tasks[i]);
	free(w->tasks);
	free(w->name);
	free(w);
}

/* Mean CPU demand of one pass through the body, in cycles. */
static double
body_work(const struct wl_task *t)
{
	double c = 0;

	for (uint32_t i = 0; i < t->nphases; i++)
		if (t->phases[i].kind == WL_PH_RUN)
			c += wl_dist_mean(&t->phases[i].dist);
	return c;
}

double
wl_utilisation(const struct workload *w)
{
	double u = 0;

	for (uint32_t i = 0; i < w->ntasks; i++) {
		const struct wl_task *t = &w->tasks[i];
		double on, off;

		switch (t->arrival.kind) {
		case WL_ARR_LOOP:
			if (t->sp.period)
				u += body_work(t) / (double)t->sp.period;
			break;
		case WL_ARR_POISSON:
			u += t->arrival.rate * body_work(t);
			break;
		case WL_ARR_BURSTY:
			on = wl_dist_mean(&t->arrival.on);
			off = wl_dist_mean(&t->arrival.off);
			u += t->arrival.rate * body_work(t) * on / (on + off);
			break;
		}
	}
	return u;
}

uint64_t
wl_hyperperiod(const struct workload *w)
{
	uint64_t h = 1;

	for (uint32_t i = 0; i < w->ntasks; i++) {
		uint64_t p = w->tasks[i].sp.period, q;

		if (p == 0)
			return 0;
		q = p / sched_gcd(h, p);
		if (h > UINT64_MAX / q)
			return 0;
		h *= q;
	}
	return h;
}
