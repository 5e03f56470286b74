/* Theory tests for the multiprocessor real-time policies, on exosim with zero overheads and
 * seeded UUniFast sets simulated over their 200 ms hyperperiod:
 * - gedf misses no deadline of any set that passes the GFB test, U_sum <= m - (m-1) U_max
 *   (Goossens, Funk & Baruah 2003), on 2 and 4 CPUs;
 * - pedf_* and pfp_* miss no deadline of any set their partitioner places whole (each CPU
 *   then passes its own test), and no task migrates. */
#include "theoryfix.h"

static const uint64_t periods[] = { 10 * TH_MS, 20 * TH_MS,  25 * TH_MS, 40 * TH_MS,
	                            50 * TH_MS, 100 * TH_MS, 200 * TH_MS };
#define NPERIODS (sizeof(periods) / sizeof(periods[0]))

/* A set for m CPUs: every task may run on each. */
static struct workload *
gen_set(unsigned n, double util, unsigned m, uint64_t seed)
{
	struct wl_gen_periodic g = { .n = n,
		                     .util = util,
		                     .periods = periods,
		                     .nperiods = NPERIODS,
		                     .discard = true,
		                     .cpus = (1ULL << m) - 1 };
	struct wl_env env = { .hz = TH_HZ, .ncpus = m };
	struct workload *w;

	cr_assert_eq(wl_gen_periodic(&g, &env, seed, &w), 0);
	/* The partitioners pack by C: the declared budget is each task's run time. */
	for (unsigned i = 0; i < n; i++)
		w->tasks[i].sp.budget = w->tasks[i].phases[0].dist.a;
	return w;
}

static double
max_util(const struct workload *w)
{
	double m = 0;

	for (unsigned i = 0; i < w->ntasks; i++) {
		double u = (double)w->tasks[i].phases[0].dist.a / (double)w->tasks[i].sp.period;

		m = u > m ? u : m;
	}
	return m;
}

/* Runs w on m ideal CPUs for its hyperperiod; returns the misses and migrations summed. */
static void
run_multi(const struct workload *w, const char *policy, unsigned m, uint64_t seed, uint64_t *misses,
          uint64_t *migrations)
{
	struct sim_machine mach = th_machine(m);
	struct met *met;
	struct met_task_stats total;
	char err[512];

	cr_assert_eq(th_try_run(&mach, w, sched_policy_find(policy), wl_hyperperiod(w), seed, NULL,
	                        &met, err, sizeof(err)),
	             0, "%s: %s", policy, err);
	met_total_stats(met, &total);
	*misses = total.misses;
	*migrations = total.migrations;
	met_free(met);
}

Test(theory, gedf_meets_every_deadline_of_sets_under_the_gfb_bound, .timeout = 120)
{
	unsigned tried = 0;

	for (unsigned s = 0; s < 120; s++) {
		unsigned m = s % 2 ? 4 : 2, n = m + 1 + s % (2 * m);
		double u = m * (0.3 + 0.5 * (s % 7) / 6.0);
		struct workload *w = gen_set(n, u, m, 7000 + s);
		uint64_t misses, migrations;

		if (wl_utilisation(w) <= m - (m - 1) * max_util(w)) {
			run_multi(w, "gedf", m, s, &misses, &migrations);
			cr_assert_eq(misses, 0, "set %u: m=%u n=%u U=%.3f Umax=%.3f", s, m, n,
			             wl_utilisation(w), max_util(w));
			tried++;
		}
		wl_free(w);
	}
	cr_assert_geq(tried, 50, "only %u sets passed GFB", tried);
}

/* The partitioned policies' verdict on w, as exosim will place it. */
static bool
placed_whole(const struct workload *w, const char *policy, unsigned m)
{
	struct sched s;
	struct sched_rq rq[4];
	struct sched_entity e[16], *order[16];

	cr_assert_leq(w->ntasks, 16);
	cr_assert_eq(sched_init(&s, sched_policy_find(policy), rq, m, TH_HZ), 0);
	for (unsigned i = 0; i < w->ntasks; i++) {
		struct sched_params p = { .period = w->tasks[i].sp.period,
			                  .budget = w->tasks[i].sp.budget };

		sched_entity_init(&e[i], i, NULL);
		cr_assert_eq(sched_set_params(&s, &e[i], &p), 0);
		order[i] = &e[i];
	}
	return sched_partition(&s, order, w->ntasks) == 0;
}

Test(theory, partitioned_policies_meet_every_deadline_of_a_set_placed_whole, .timeout = 120)
{
	const char *pol[4] = { "pedf_ff", "pedf_wf", "pfp_ff", "pfp_wf" };
	unsigned placed[4] = { 0 };

	for (unsigned s = 0; s < 24; s++) {
		unsigned m = s % 2 ? 4 : 2, n = m + 2 + s % 6;
		double u = m * (0.5 + 0.4 * (s % 5) / 4.0);
		struct workload *w = gen_set(n, u, m, 9000 + s);

		for (unsigned k = 0; k < 4; k++) {
			uint64_t misses, migrations;

			if (!placed_whole(w, pol[k], m))
				continue;
			run_multi(w, pol[k], m, s, &misses, &migrations);
			cr_assert_eq(misses, 0, "%s set %u: m=%u n=%u U=%.3f", pol[k], s, m, n,
			             wl_utilisation(w));
			cr_assert_eq(migrations, 0, "%s set %u", pol[k], s);
			placed[k]++;
		}
		wl_free(w);
	}
	for (unsigned k = 0; k < 4; k++)
		cr_assert_geq(placed[k], 8, "%s placed only %u sets", pol[k], placed[k]);
}
