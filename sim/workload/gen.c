/* Seeded workload generators: periodic task sets at a total utilisation (UUniFast) and
 * open-loop request streams (Poisson, bursty on/off) with a service-time distribution. */
#include "load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct workload *
new_workload(const char *name, unsigned ntasks)
{
	struct workload *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->name = strdup(name);
	w->tasks = calloc(ntasks, sizeof(*w->tasks));
	if (!w->name || !w->tasks) {
		wl_free(w);
		return NULL;
	}
	return w;
}

/* UUniFast (Bini & Buttazzo, "Measuring the performance of schedulability tests", 2005):
 * n utilisations summing to `total`, uniformly distributed over that simplex. */
static void
uunifast(double *u, unsigned n, double total, struct rng *r)
{
	double sum = total;

	for (unsigned i = 0; i + 1 < n; i++) {
		double next = sum * pow(rng_unit(r), 1.0 / (double)(n - 1 - i));
		u[i] = sum - next;
		sum = next;
	}
	u[n - 1] = sum;
}

/* UUniFast-Discard (Davis & Burns 2009): redraw until every u_i <= 1. */
static int
draw_utilisations(const struct wl_gen_periodic *g, double *u, struct rng *r)
{
	for (int attempt = 0; attempt < 10000; attempt++) {
		bool ok = true;

		uunifast(u, g->n, g->util, r);
		for (unsigned i = 0; i < g->n; i++)
			ok = ok && u[i] <= 1.0;
		if (ok || !g->discard)
			return 0;
	}
	return WL_E_INVALID;
}

static int
periodic_task(struct wl_task *t, unsigned i, uint64_t c, uint64_t p, uint64_t cpus)
{
	char name[32];

	snprintf(name, sizeof(name), "p%u", i);
	t->name = strdup(name);
	t->phases = calloc(2, sizeof(*t->phases));
	if (!t->name || !t->phases)
		return WL_E_NOMEM;
	t->nphases = 2;
	t->phases[0].kind = WL_PH_RUN;
	t->phases[0].dist = (struct wl_dist){ .kind = WL_DIST_FIXED, .a = c };
	t->phases[1] =
	    (struct wl_phase){ .kind = WL_PH_TIMER, .absolute = true, .period = p, .deadline = p };
	t->ntimers = 1;
	t->loop = WL_LOOP_FOREVER;
	t->cpus = cpus;
	t->sp = (struct wl_sched_params){
		.tickets = WL_DEFAULT_TICKETS, .period = p, .deadline = p, .policy = WL_POL_FIFO
	};
	t->first_deadline = p;
	return 0;
}

/* Rate-monotonic priorities, larger = more urgent: the shortest period gets n. */
static void
assign_rm(struct workload *w)
{
	for (uint32_t i = 0; i < w->ntasks; i++) {
		int32_t rank = 0;
		uint64_t pi = w->tasks[i].sp.period;

		for (uint32_t j = 0; j < w->ntasks; j++) {
			uint64_t pj = w->tasks[j].sp.period;
			rank += pj < pi || (pj == pi && j < i);
		}
		w->tasks[i].sp.priority = (int32_t)w->ntasks - rank;
	}
}

static bool
periodic_args_ok(const struct wl_gen_periodic *g, const struct wl_env *env)
{
	if (g->n == 0 || g->n > WL_MAX_TASKS || !(g->util > 0) || !isfinite(g->util) ||
	    g->nperiods == 0 || !g->periods || (g->discard && g->util > g->n))
		return false;
	for (unsigned i = 0; i < g->nperiods; i++)
		if (g->periods[i] == 0 || g->periods[i] > WL_MAX_CYCLES)
			return false;
	return env->ncpus > 0;
}

int
wl_gen_periodic(const struct wl_gen_periodic *g, const struct wl_env *env, uint64_t seed,
                struct workload **out)
{
	uint64_t all = env->ncpus >= 64 ? ~0ULL : (1ULL << env->ncpus) - 1;
	struct rng ru, rp;
	struct workload *w;
	double *u;
	int rc;

	*out = NULL;
	if (!periodic_args_ok(g, env))
		return WL_E_INVALID;
	u = calloc(g->n, sizeof(*u));
	w = new_workload("gen:periodic", g->n);
	if (!u || !w) {
		free(u);
		wl_free(w);
		return WL_E_NOMEM;
	}
	rng_stream(&ru, seed, "gen-uunifast", 0);
	rng_stream(&rp, seed, "gen-period", 0);
	rc = draw_utilisations(g, u, &ru);
	for (unsigned i = 0; i < g->n && rc == 0; i++) {
		uint64_t p = g->periods[rng_below(&rp, g->nperiods)];
		double c = floor(u[i] * (double)p); /* never above u_i * P: U stays <= util */

		w->ntasks++;
		rc = periodic_task(&w->tasks[i], i, c < 1 ? 1 : (uint64_t)c, p,
		                   g->cpus ? g->cpus : all);
	}
	free(u);
	if (rc) {
		wl_free(w);
		return rc;
	}
	assign_rm(w);
	*out = w;
	return 0;
}

static int
open_task(struct wl_task *t, const struct wl_gen_open *g, unsigned i, double rate, uint64_t cpus)
{
	char name[32];

	snprintf(name, sizeof(name), "req%u", i);
	t->name = strdup(name);
	t->phases = calloc(1, sizeof(*t->phases));
	if (!t->name || !t->phases)
		return WL_E_NOMEM;
	t->nphases = 1;
	t->phases[0].kind = WL_PH_RUN;
	t->phases[0].dist = g->service;
	t->arrival =
	    (struct wl_arrival){ .kind = g->kind, .rate = rate, .on = g->on, .off = g->off };
	t->loop = WL_LOOP_FOREVER;
	t->cpus = cpus;
	t->sp = (struct wl_sched_params){ .tickets = WL_DEFAULT_TICKETS, .deadline = g->deadline };
	t->first_deadline = g->deadline;
	if (wl_task_own_dist(t, &t->phases[0].dist) || wl_task_own_dist(t, &t->arrival.on) ||
	    wl_task_own_dist(t, &t->arrival.off))
		return WL_E_NOMEM;
	return 0;
}

int
wl_gen_open(const struct wl_gen_open *g, const struct wl_env *env, struct workload **out)
{
	uint64_t all = env->ncpus >= 64 ? ~0ULL : (1ULL << env->ncpus) - 1;
	double per_cycle = g->rate / (double)env->hz / (double)(g->streams ? g->streams : 1);
	struct workload *w;
	int rc = 0;

	*out = NULL;
	if ((g->kind != WL_ARR_POISSON && g->kind != WL_ARR_BURSTY) || g->streams == 0 ||
	    g->streams > WL_MAX_TASKS || !(per_cycle > 0) || per_cycle > 1 || env->ncpus == 0)
		return WL_E_INVALID;
	if (g->kind == WL_ARR_BURSTY &&
	    !(per_cycle * wl_dist_mean(&g->on) >= WL_MIN_ARRIVALS_PER_WINDOW))
		return WL_E_INVALID; /* see ld_bursty() */
	w = new_workload(g->kind == WL_ARR_POISSON ? "gen:poisson" : "gen:bursty", g->streams);
	if (!w)
		return WL_E_NOMEM;
	for (unsigned i = 0; i < g->streams && rc == 0; i++) {
		w->ntasks++;
		rc = open_task(&w->tasks[i], g, i, per_cycle, all);
	}
	if (rc) {
		wl_free(w);
		return rc;
	}
	*out = w;
	return 0;
}
