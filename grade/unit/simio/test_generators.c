/* Workload generators and random sampling: UUniFast sums to U, seeded reproducibility,
 * rate-monotonic priorities, Poisson and bursty arrival rates, distribution means. */
#include <criterion/criterion.h>
#include <math.h>

#include "simio.h"

static const uint64_t big_periods[] = { 1000000000000ULL, 2000000000000ULL, 5000000000000ULL };

static struct workload *
gen(unsigned n, double u, uint64_t seed, bool discard)
{
	struct wl_gen_periodic g = {
		.n = n, .util = u, .periods = big_periods, .nperiods = 3, .discard = discard
	};
	struct workload *w;

	cr_assert_eq(wl_gen_periodic(&g, &simio_env, seed, &w), 0);
	return w;
}

Test(generators, uunifast_sums_to_the_requested_utilisation)
{
	struct workload *w = gen(10, 0.8, 1, false);
	double sum = 0;

	for (uint32_t i = 0; i < w->ntasks; i++)
		sum += (double)w->tasks[i].phases[0].dist.a / (double)w->tasks[i].sp.period;
	cr_assert_leq(sum, 0.8);
	cr_assert_float_eq(sum, 0.8, 1e-9);
	cr_assert_float_eq(wl_utilisation(w), sum, 1e-12);
	wl_free(w);
}

Test(generators, same_seed_same_set_other_seed_other_set)
{
	struct workload *a = gen(8, 0.7, 5, false), *b = gen(8, 0.7, 5, false);
	struct workload *c = gen(8, 0.7, 6, false);
	bool differ = false;

	for (uint32_t i = 0; i < 8; i++) {
		cr_assert_eq(a->tasks[i].phases[0].dist.a, b->tasks[i].phases[0].dist.a);
		cr_assert_eq(a->tasks[i].sp.period, b->tasks[i].sp.period);
		differ |= a->tasks[i].phases[0].dist.a != c->tasks[i].phases[0].dist.a;
	}
	cr_assert(differ);
	wl_free(a);
	wl_free(b);
	wl_free(c);
}

Test(generators, discard_keeps_every_task_at_most_one)
{
	struct workload *w = gen(4, 3.5, 3, true);

	for (uint32_t i = 0; i < w->ntasks; i++)
		cr_assert_leq(w->tasks[i].phases[0].dist.a, w->tasks[i].sp.period);
	wl_free(w);
}

Test(generators, periodic_tasks_are_run_then_absolute_timer_with_rm_priorities)
{
	struct workload *w = gen(12, 0.6, 9, false);

	for (uint32_t i = 0; i < w->ntasks; i++) {
		struct wl_task *t = &w->tasks[i];

		cr_assert_eq(t->nphases, 2);
		cr_assert(t->phases[1].kind == WL_PH_TIMER && t->phases[1].absolute);
		cr_assert_eq(t->phases[1].period, t->sp.period);
		cr_assert_eq(t->sp.deadline, t->sp.period);
		cr_assert_eq(t->first_deadline, t->sp.period);
		for (uint32_t j = 0; j < w->ntasks; j++)
			if (w->tasks[j].sp.period > t->sp.period)
				cr_assert_gt(t->sp.priority, w->tasks[j].sp.priority);
	}
	wl_free(w);
}

Test(generators, poisson_arrivals_have_the_requested_mean_rate)
{
	struct wl_gen_open g = {
		.kind = WL_ARR_POISSON,
		.rate = 100000,
		.streams = 1,
		.service = { .kind = WL_DIST_FIXED, .a = 10 },
	};
	struct wl_arrival_state s = { 0 };
	struct workload *w;
	uint64_t t = 0, prev = 0;
	struct rng r;
	enum { N = 200000 };

	cr_assert_eq(wl_gen_open(&g, &simio_env, &w), 0);
	rng_stream(&r, 11, "arrival", 0);
	for (int i = 0; i < N; i++) {
		t = wl_arrival_next(&w->tasks[0], &s, &r);
		cr_assert(i == 0 || t > prev, "arrivals strictly increase");
		prev = t;
	}
	/* N arrivals in t cycles at 1 GHz; expect 1e5/s within 1%. */
	cr_assert_float_eq((double)N / ((double)t / 1e9), 100000.0, 1000.0);
	wl_free(w);
}

Test(generators, bursty_arrivals_only_in_on_windows)
{
	struct wl_gen_open g = {
		.kind = WL_ARR_BURSTY,
		.rate = 1000000,
		.streams = 1,
		.service = { .kind = WL_DIST_FIXED, .a = 10 },
		.on = { .kind = WL_DIST_FIXED, .a = 1000000 },
		.off = { .kind = WL_DIST_FIXED, .a = 3000000 },
	};
	struct wl_arrival_state s = { 0 };
	struct workload *w;
	uint64_t t = 0;
	struct rng r;
	enum { N = 100000 };

	cr_assert_eq(wl_gen_open(&g, &simio_env, &w), 0);
	rng_stream(&r, 12, "arrival", 0);
	for (int i = 0; i < N; i++) {
		t = wl_arrival_next(&w->tasks[0], &s, &r);
		cr_assert_leq(t % 4000000, 1000000, "arrival at %lu is in an off window",
		              (unsigned long)t);
	}
	/* Long-run rate: the on-rate times the on fraction 1/4, within 2%. */
	cr_assert_float_eq((double)N / ((double)t / 1e9), 250000.0, 5000.0);
	wl_free(w);
}

Test(generators, distribution_samples_match_their_means_and_supports)
{
	uint64_t vals[] = { 3, 5, 11 };
	struct wl_dist d[] = {
		{ .kind = WL_DIST_UNIFORM, .a = 100, .b = 200 },
		{ .kind = WL_DIST_EXP, .mean = 5000 },
		{ .kind = WL_DIST_LOGNORMAL, .mean = 1000, .sigma = 0.5 },
		{ .kind = WL_DIST_BIMODAL, .a = 10, .b = 1000, .p = 0.1 },
		{ .kind = WL_DIST_EMPIRICAL, .values = vals, .nvalues = 3 },
	};
	struct rng r;
	enum { N = 400000 };

	for (size_t k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
		double sum = 0;

		rng_stream(&r, 3, "dist-test", k);
		for (int i = 0; i < N; i++) {
			uint64_t x = wl_dist_sample(&d[k], &r);
			if (d[k].kind == WL_DIST_UNIFORM)
				cr_assert(x >= 100 && x <= 200);
			if (d[k].kind == WL_DIST_EMPIRICAL)
				cr_assert(x == 3 || x == 5 || x == 11);
			sum += (double)x;
		}
		cr_assert_float_eq(sum / N, wl_dist_mean(&d[k]), wl_dist_mean(&d[k]) * 0.01,
		                   "kind %d: mean %g vs %g", d[k].kind, sum / N,
		                   wl_dist_mean(&d[k]));
	}
}
