/* Theory tests for the real-time policies, on exosim with zero overheads: EDF meets every
 * deadline when U <= 1, and when U > 1 misses its first exactly where the processor demand
 * first exceeds the time; rate-monotonic `prio` meets every deadline
 * under the Liu-Layland bound, and its worst-case response times equal response-time
 * analysis exactly.  Task sets come from the seeded UUniFast generator. */
#include <math.h>

#include "theoryfix.h"

/* Periods whose hyperperiod is 200 ms, so each set is simulated over a whole hyperperiod. */
static const uint64_t periods[] = { 10 * TH_MS, 20 * TH_MS,  25 * TH_MS, 40 * TH_MS,
	                            50 * TH_MS, 100 * TH_MS, 200 * TH_MS };
#define NPERIODS (sizeof(periods) / sizeof(periods[0]))

static struct workload *
gen_set(unsigned n, double util, uint64_t seed)
{
	struct wl_gen_periodic g = {
		.n = n, .util = util, .periods = periods, .nperiods = NPERIODS, .discard = true
	};
	struct workload *w;

	cr_assert_eq(wl_gen_periodic(&g, &th_env, seed, &w), 0);
	cr_assert_leq(wl_hyperperiod(w), 200 * TH_MS);
	return w;
}

static uint64_t
total_misses(const struct met *met, unsigned ntasks, uint64_t *unfinished)
{
	uint64_t misses = 0;

	*unfinished = 0;
	for (unsigned i = 0; i < ntasks; i++) {
		struct met_task_stats st = th_stats(met, i);

		misses += st.misses;
		*unfinished += st.unfinished;
	}
	return misses;
}

Test(theory, edf_meets_every_deadline_of_100_sets_with_u_at_most_1, .timeout = 120)
{
	for (unsigned s = 0; s < 100; s++) {
		unsigned n = 2 + s % 7;
		double u = 0.55 + 0.45 * (s % 10) / 9.0; /* up to exactly 1.0 */
		struct workload *w = gen_set(n, u, 1000 + s);
		uint64_t h = wl_hyperperiod(w), unfinished;
		struct met *met = th_run(w, "edf", h, s);

		cr_assert_leq(wl_utilisation(w), 1.0 + 1e-12);
		cr_assert_eq(total_misses(met, n, &unfinished), 0, "set %u (n=%u, U=%.3f)", s, n,
		             wl_utilisation(w));
		/* The horizon [0, h] is closed: each task's job released at h itself is open. */
		cr_assert_eq(unfinished, n, "set %u: every job released before h finishes", s);
		for (unsigned i = 0; i < n; i++)
			cr_assert_eq(th_stats(met, i).jobs, h / w->tasks[i].sp.period);
		met_free(met);
		wl_free(w);
	}
}

/* The first deadline t at which the work due by t exceeds t: the processor demand
 * sum_i floor(t / P_i) * C_i of a synchronous set with D = P (Baruah, Rosier & Howell 1990),
 * or 0 if there is none up to `horizon`.  EDF is optimal, so it meets every deadline before
 * that instant and, since the CPU cannot do more than t of work by t, misses one there. */
static uint64_t
first_overload(const struct workload *w, uint64_t horizon)
{
	uint64_t t = 0;

	for (;;) {
		uint64_t next = UINT64_MAX, demand = 0;

		for (unsigned i = 0; i < w->ntasks; i++) {
			uint64_t p = w->tasks[i].sp.period, d = (t / p + 1) * p;

			next = d < next ? d : next;
		}
		t = next;
		if (t > horizon)
			return 0;
		for (unsigned i = 0; i < w->ntasks; i++)
			demand += t / w->tasks[i].sp.period * w->tasks[i].phases[0].dist.a;
		if (demand > t)
			return t;
	}
}

Test(theory, edf_with_u_over_1_misses_first_where_demand_exceeds_time)
{
	for (unsigned s = 0; s < 20; s++) {
		unsigned n = 2 + s % 5;
		struct workload *w = gen_set(n, 1.02 + 0.2 * (s % 4) / 3.0, 500 + s);
		uint64_t t = first_overload(w, wl_hyperperiod(w)), unfinished,
		         shortest = UINT64_MAX;
		struct met *met;

		for (unsigned i = 0; i < n; i++)
			if (w->tasks[i].sp.period < shortest)
				shortest = w->tasks[i].sp.period;
		cr_assert_gt(wl_utilisation(w), 1.0);
		cr_assert_gt(t, shortest, "set %u: some deadline comes before the overload", s);
		/* Horizons are closed: a run to t - 1 sees no deadline at t, a run to t sees the
		 * job due at t unfinished, and a miss. */
		met = th_run(w, "edf", t - 1, s);
		cr_assert_eq(total_misses(met, n, &unfinished), 0,
		             "set %u (n=%u): a deadline before %llu ns missed", s, n,
		             (unsigned long long)t);
		met_free(met);
		met = th_run(w, "edf", t, s);
		cr_assert_gt(total_misses(met, n, &unfinished), 0,
		             "set %u (n=%u): no job due at %llu ns is late", s, n,
		             (unsigned long long)t);
		met_free(met);
		wl_free(w);
	}
}

Test(theory, rm_meets_every_deadline_under_the_liu_layland_bound, .timeout = 120)
{
	for (unsigned s = 0; s < 100; s++) {
		unsigned n = 1 + s % 8;
		double bound = n * (pow(2.0, 1.0 / n) - 1.0);
		struct workload *w = gen_set(n, bound * (0.5 + 0.5 * (s % 10) / 9.0), 2000 + s);
		uint64_t unfinished;
		struct met *met = th_run(w, "prio", wl_hyperperiod(w), s);

		cr_assert_leq(wl_utilisation(w), bound);
		cr_assert_eq(total_misses(met, n, &unfinished), 0, "set %u (n=%u)", s, n);
		cr_assert_eq(unfinished, n, "only the jobs released at the closed horizon h");
		met_free(met);
		wl_free(w);
	}
}

/* Response-time analysis (Joseph & Pandya 1986; Audsley et al. 1993):
 * R = C_i + sum over more urgent j of ceil(R / T_j) * C_j, iterated to its fixed point.
 * Returns 0 when R exceeds the deadline (the task is not schedulable). */
static uint64_t
rta(const struct workload *w, const struct sched_params *p, unsigned i)
{
	uint64_t c = w->tasks[i].phases[0].dist.a, r = c, next;

	for (;;) {
		next = c;
		for (unsigned j = 0; j < w->ntasks; j++)
			if (p[j].priority < p[i].priority)
				next += (r + p[j].period - 1) / p[j].period *
				        w->tasks[j].phases[0].dist.a;
		if (next > w->tasks[i].sp.deadline)
			return 0;
		if (next == r)
			return r;
		r = next;
	}
}

Test(theory, rm_worst_case_response_equals_response_time_analysis, .timeout = 120)
{
	unsigned compared = 0;

	for (unsigned s = 0; s < 100; s++) {
		unsigned n = 2 + s % 7;
		struct workload *w = gen_set(n, 0.6 + 0.35 * (s % 8) / 7.0, 3000 + s);
		struct sched_params p[16];
		struct met *met = th_run(w, "prio", wl_hyperperiod(w), s);

		cr_assert_eq(sim_task_params(w, sched_policy_find("prio"), TH_HZ, p), 0);
		for (unsigned i = 0; i < n; i++) {
			struct met_task_stats st = th_stats(met, i);
			uint64_t r = rta(w, p, i);

			cr_assert_eq(w->tasks[i].phases[0].kind, WL_PH_RUN);
			cr_assert_eq(w->tasks[i].phases[0].dist.kind, WL_DIST_FIXED);
			if (r) {
				cr_assert_eq(st.resp_max, r, "set %u task %u: WCRT %llu, RTA %llu",
				             s, i, (unsigned long long)st.resp_max,
				             (unsigned long long)r);
				cr_assert_eq(st.misses, 0);
				compared++;
			} else {
				cr_assert_gt(st.misses, 0, "set %u task %u: RTA says it misses", s,
				             i);
			}
		}
		met_free(met);
		wl_free(w);
	}
	cr_assert_gt(compared, 300, "most tasks are schedulable and compared");
}
