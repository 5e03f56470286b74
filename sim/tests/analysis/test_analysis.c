/* sim/analysis against textbook examples, against brute force, and against exosim's own
 * engine on seeded random task sets (Criterion, ASan + UBSan): the exact tests never say
 * schedulable when the simulation misses, and RTA equals the simulated worst case at zero
 * cost with synchronous release. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "machine/run.h"

#define HZ 1000000000ULL
#define MS (HZ / 1000)

static struct an_task
tk(uint64_t c, uint64_t t, uint64_t d, unsigned level)
{
	return (struct an_task){ .name = "t", .c = c, .t = t, .d = d, .level = level, .cpu = 0 };
}

Test(analysis, rta_of_the_textbook_example)
{
	/* (C, T) = (1, 4), (2, 6), (3, 12): R = 1, 3, 10 (Buttazzo, Hard Real-Time
	 * Computing Systems, 3rd ed., section 4.5.2 style iteration). */
	struct an_task t[] = { tk(1, 4, 4, 0), tk(2, 6, 6, 1), tk(3, 12, 12, 2) };
	struct an_set s = { t, 3, true };

	cr_assert_eq(an_rta(&s, 0, NULL), 1);
	cr_assert_eq(an_rta(&s, 1, NULL), 3);
	cr_assert_eq(an_rta(&s, 2, NULL), 10);
	t[2].d = 9; /* now it misses */
	cr_assert_eq(an_rta(&s, 2, NULL), 0);
}

Test(analysis, rta_with_overheads_adds_switches_blocking_and_ticks)
{
	struct an_task t[] = { tk(10, 100, 100, 0), tk(20, 200, 200, 1) };
	struct an_set s = { t, 2, true };
	struct an_cost k = { .cs = 1, .tick = 2, .tick_period = 50 };

	/* task 0: 10 + cs + (cs + tick) = 14, plus one tick in [0, 14): 16, still one. */
	cr_assert_eq(an_rta(&s, 0, &k), 16);
	/* task 1: 20 + 1 + 3 = 24; + (10 + 2) + 2 = 38; 38 < 50: fixed point. */
	cr_assert_eq(an_rta(&s, 1, &k), 38);
}

Test(analysis, utilisation_bounds)
{
	struct an_task t[] = { tk(1, 2, 2, 0), tk(1, 3, 3, 1) };
	struct an_set s = { t, 2, true };

	cr_assert_float_eq(an_ll_bound(1), 1.0, 1e-12);
	cr_assert_float_eq(an_ll_bound(2), 2 * (sqrt(2.0) - 1), 1e-12);
	cr_assert(fabs(an_ll_bound(100000) - log(2.0)) < 1e-5);
	cr_assert_float_eq(an_hyperbolic(&s, 0), 1.5 * (4.0 / 3.0), 1e-12); /* = 2: on the bound */
	cr_assert_float_eq(an_util(&s, 0), 1.0 / 2 + 1.0 / 3, 1e-12);
}

Test(analysis, gfb_is_the_goossens_funk_baruah_line)
{
	struct an_task t[] = { tk(5, 10, 10, 0), tk(5, 10, 10, 0), tk(5, 10, 10, 0) };
	struct an_set s = { t, 3, true };
	double l, r;

	cr_assert(an_gedf_gfb(&s, 2, &l, &r)); /* 1.5 <= 2 - 0.5 */
	cr_assert_float_eq(l, 1.5, 1e-12);
	cr_assert_float_eq(r, 1.5, 1e-12);
	t[0].c = 6; /* 1.6 > 2 - 0.6 */
	cr_assert_not(an_gedf_gfb(&s, 2, &l, &r));
	t[0].c = 5;
	t[0].d = 8; /* density 5/8 */
	cr_assert_not(an_gedf_gfb(&s, 2, &l, &r));
}

/* The processor-demand criterion by brute force: h(t) <= t at every absolute deadline up
 * to the hyperperiod plus the largest deadline. */
static bool
demand_brute(const struct an_task *t, unsigned n, uint64_t hyper)
{
	uint64_t dmax = 0;

	for (unsigned i = 0; i < n; i++)
		dmax = t[i].d > dmax ? t[i].d : dmax;
	for (unsigned i = 0; i < n; i++)
		for (uint64_t x = t[i].d; x <= hyper + dmax; x += t[i].t) {
			uint64_t h = 0;

			for (unsigned j = 0; j < n; j++)
				if (t[j].d <= x)
					h += ((x - t[j].d) / t[j].t + 1) * t[j].c;
			if (h > x)
				return false;
		}
	return true;
}

Test(analysis, qpa_agrees_with_brute_force_demand_on_2000_random_sets)
{
	static const uint64_t periods[] = { 4, 6, 8, 10, 12, 15, 20, 24, 30, 40 };
	struct rng r;
	unsigned yes = 0, no = 0;

	rng_stream(&r, 7, "test-qpa", 0);
	for (unsigned s = 0; s < 2000; s++) {
		struct an_task t[6];
		unsigned n = 2 + (unsigned)rng_below(&r, 5);
		struct an_set set = { t, n, true };
		uint64_t fail;

		for (unsigned i = 0; i < n; i++) {
			uint64_t p = periods[rng_below(&r, 10)];
			uint64_t c = 1 + rng_below(&r, p / 2);

			t[i] = tk(c, p, c + rng_below(&r, p - c + 1), 0);
		}
		if (an_util(&set, 0) > 1)
			continue;
		bool q = an_edf_qpa(&set, 0, &fail);
		cr_assert_eq(q, demand_brute(t, n, 120), "set %u: QPA %d", s, q);
		yes += q;
		no += !q;
	}
	cr_assert_gt(yes, 100);
	cr_assert_gt(no, 100);
}

static struct met *
run_sim_csv(const struct sim_machine *m, const struct workload *w, const char *pol, uint64_t dur,
            FILE *csv)
{
	const char **names = calloc(w->ntasks, sizeof(*names));
	struct met *met;
	struct sim_result res;
	char err[512];

	cr_assert_not_null(names);
	for (uint32_t i = 0; i < w->ntasks; i++)
		names[i] = w->tasks[i].name;
	struct met_config mc = { .hz = m->hz,
		                 .ncpus = m->ncpus,
		                 .ntasks = w->ntasks,
		                 .task_names = names,
		                 .machine = m->name,
		                 .policy = pol,
		                 .workload = w->name,
		                 .csv = csv };
	cr_assert_eq(met_init(&met, &mc), 0);
	struct sim_options o = { m, sched_policy_find(pol), w, 0, dur, met, false };
	cr_assert_eq(sim_run(&o, &res, err, sizeof(err)), 0, "%s", err);
	free(names);
	return met;
}

static struct met *
run_sim(const struct sim_machine *m, const struct workload *w, const char *pol, uint64_t dur)
{
	return run_sim_csv(m, w, pol, dur, NULL);
}

/* The largest response of task i over all its finished jobs, from the job CSV: those
 * released together with other tasks' too (synchronous release, the critical instant),
 * since exosim charges one interrupt per CPU and instant, as the blocking term assumes. */
static uint64_t
worst_response(FILE *csv, const struct an_set *set, unsigned i, unsigned *jobs)
{
	char line[256], task[64];
	unsigned long long rel, start, fin, resp, worst = 0;

	rewind(csv);
	while (fgets(line, sizeof(line), csv))
		if (sscanf(line, "%63[^,],%llu,%llu,%llu,%llu,", task, &rel, &start, &fin, &resp) ==
		        5 &&
		    !strcmp(task, set->task[i].name)) {
			worst = resp > worst ? resp : worst;
			(*jobs)++;
		}
	return worst;
}

static struct workload *
gen(unsigned n, double u, uint64_t seed)
{
	static const uint64_t periods[] = { 10 * MS, 20 * MS, 25 * MS, 50 * MS, 100 * MS };
	struct wl_gen_periodic g = {
		.n = n, .util = u, .periods = periods, .nperiods = 5, .discard = true
	};
	struct wl_env env = { .hz = HZ, .ncpus = 1 };
	struct workload *w;

	cr_assert_eq(wl_gen_periodic(&g, &env, seed, &w), 0);
	return w;
}

static const struct sim_machine ideal = {
	.name = "ideal", .hz = HZ, .cores = 1, .threads_per_core = 1, .ncpus = 1
};

Test(analysis, rta_equals_the_simulated_worst_case_at_zero_cost, .timeout = 120)
{
	unsigned compared = 0, missed = 0;

	for (unsigned s = 0; s < 150; s++) {
		struct workload *w = gen(2 + s % 6, 0.7 + 0.3 * (s % 7) / 6.0, 100 + s);
		struct an_set set;
		struct met *met = run_sim(&ideal, w, "prio", 100 * MS);

		cr_assert_eq(an_from_workload(w, HZ, 1, &set), 0);
		for (unsigned i = 0; i < set.n; i++) {
			struct met_task_stats st;
			uint64_t r = an_rta(&set, i, NULL);

			cr_assert_eq(met_task_stats(met, i, &st), 0);
			if (r) {
				cr_assert_eq(st.misses, 0, "set %u task %u", s, i);
				cr_assert_eq(
				    st.resp_max, r, "set %u task %u: simulated %llu, RTA %llu", s,
				    i, (unsigned long long)st.resp_max, (unsigned long long)r);
				compared++;
			} else {
				cr_assert_gt(st.misses + st.unfinished, 0, "set %u task %u", s, i);
				missed++;
			}
		}
		an_set_free(&set);
		met_free(met);
		wl_free(w);
	}
	cr_assert_gt(compared, 400);
	cr_assert_gt(missed, 5);
}

/* D_i drawn in [C_i, T_i]: constrained deadlines for the EDF test. */
static void
constrain(struct workload *w, struct rng *r)
{
	for (uint32_t i = 0; i < w->ntasks; i++) {
		struct wl_task *t = &w->tasks[i];
		uint64_t c = t->phases[0].dist.a, p = t->sp.period;
		uint64_t d = c + rng_below(r, p - c + 1);

		t->sp.deadline = t->phases[1].deadline = t->first_deadline = d;
	}
}

Test(analysis, edf_never_misses_when_qpa_says_schedulable_and_misses_when_not, .timeout = 120)
{
	unsigned yes = 0, no = 0;
	struct rng r;

	rng_stream(&r, 11, "test-edf-d", 0);
	for (unsigned s = 0; s < 150; s++) {
		struct workload *w = gen(2 + s % 5, 0.5 + 0.5 * (s % 6) / 5.0, 500 + s);
		struct an_set set;
		struct met_task_stats st;
		uint64_t fail;

		constrain(w, &r);
		cr_assert_eq(an_from_workload(w, HZ, 1, &set), 0);
		bool q = an_edf_qpa(&set, 0, &fail);
		struct met *met = run_sim(&ideal, w, "edf", 200 * MS);

		met_total_stats(met, &st);
		cr_assert_eq(st.misses == 0, q, "set %u: QPA %d, simulated misses %llu", s, q,
		             (unsigned long long)st.misses);
		yes += q;
		no += !q;
		an_set_free(&set);
		met_free(met);
		wl_free(w);
	}
	cr_assert_gt(yes, 30);
	cr_assert_gt(no, 30);
}

Test(analysis, rta_with_the_machine_overheads_bounds_the_simulated_response, .timeout = 120)
{
	struct sim_machine m = ideal;
	struct an_cost k;
	unsigned compared = 0, jobs = 0;

	m.cost[SIM_COST_SWITCH] = 2500;
	m.cost[SIM_COST_TICK] = 1200;
	m.tick_period = MS;
	k = an_cost_of(&m);
	for (unsigned s = 0; s < 100; s++) {
		struct workload *w = gen(2 + s % 6, 0.6 + 0.4 * (s % 5) / 4.0, 900 + s);
		struct an_set set;
		FILE *csv = tmpfile();
		struct met *met;

		cr_assert_not_null(csv);
		met = run_sim_csv(&m, w, "prio", 300 * MS, csv);
		cr_assert_eq(an_from_workload(w, HZ, 1, &set), 0);
		for (unsigned i = 0; i < set.n; i++) {
			struct met_task_stats st;
			uint64_t r = an_rta(&set, i, &k), worst;

			cr_assert_eq(met_task_stats(met, i, &st), 0);
			if (!r)
				continue;
			worst = worst_response(csv, &set, i, &jobs);
			cr_assert_eq(st.misses, 0, "set %u task %u", s, i);
			cr_assert_leq(worst, r, "set %u task %u: simulated %llu > bound %llu", s, i,
			              (unsigned long long)worst, (unsigned long long)r);
			cr_assert_geq(st.resp_max, an_rta(&set, i, NULL));
			compared++;
		}
		fclose(csv);
		an_set_free(&set);
		met_free(met);
		wl_free(w);
	}
	cr_assert_gt(compared, 300);
	cr_assert_gt(jobs, 800, "only %u jobs compared", jobs);
}

Test(analysis, tasks_that_suspend_or_arrive_open_loop_are_not_analysed)
{
	const char *json = "{\"tasks\": {\"a\": {\"run\": \"1ms\", \"sleep\": \"1ms\", \"timer\": "
	                   "{\"ref\": \"x\", \"period\": \"10ms\"}}, \"b\": {\"arrival\": "
	                   "{\"poisson\": 100}, \"run\": \"1ms\"}, \"c\": {\"run\": {\"exp\": "
	                   "\"1ms\"}, \"timer\": {\"ref\": \"y\", \"period\": \"10ms\"}}}}";
	struct wl_env env = { .hz = HZ, .ncpus = 1 };
	struct wl_error err;
	struct workload *w;
	struct an_set s;

	cr_assert_eq(wl_load_buffer(json, strlen(json), "t.json", &env, &w, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(an_from_workload(w, HZ, 1, &s), 0);
	cr_assert_not(s.ok);
	cr_assert_str_eq(s.task[0].why, "self-suspension (sleep, I/O or yield)");
	cr_assert_str_eq(s.task[1].why, "open-loop arrivals");
	cr_assert_str_eq(s.task[2].why, "unbounded run time");
	cr_assert_eq(an_rta(&s, 0, NULL), 0);
	an_set_free(&s);
	wl_free(w);
}
