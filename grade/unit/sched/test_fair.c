/* The defining properties of the proportional-share policies, on the scheduler framework
 * alone (one CPU, CPU-bound entities all runnable from time 0, the timer the policy asks
 * for honoured exactly, and a look every 1 ms besides):
 * - cfs: each entity's service stays within w_i * D / 1024 of its ideal share w_i / W * t,
 *   D = max_j slice_j * 1024 / w_j (the vruntime spread), and shares converge to the weights;
 * - eevdf: every lag w_i / W * t - s_i stays below the largest request (Stoica &
 *   Abdel-Wahab 1995, Theorem 1) and above minus the entity's own request;
 * - lottery: over K quanta each entity's wins are Binomial(K, tickets / total); with the
 *   policy's fixed seed every count lies within 5 standard deviations of its mean. */
#include <math.h>

#include "schedfix.h"

typedef void check_fn(struct fix *f, unsigned n, uint64_t now, const double *w, double arg);

/* Runs entities 0..n-1 (params already set) from time 0 until `until`, calling check after
 * every step. */
static void
run_busy(struct fix *f, unsigned n, uint64_t until, check_fn *check, const double *w, double arg)
{
	uint64_t now = 0;

	for (unsigned i = 0; i < n; i++)
		fix_wake(f, i, 0);
	cr_assert_geq(fix_run(f, 0, 0), 0);
	while (now < until) {
		uint64_t t = sched_next_timer(&f->s, 0, now);

		now = t != SCHED_NO_TIMER && t < now + MS ? t : now + MS;
		if (sched_tick(&f->s, 0, now))
			cr_assert_geq(fix_run(f, 0, now), 0);
		if (check)
			check(f, n, now, w, arg);
	}
}

static double
total_weight(const double *w, unsigned n)
{
	double sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

static const int nices[] = { -5, 0, 0, 3, 10, 19 };
#define NNICE (sizeof(nices) / sizeof(nices[0]))

static void
check_cfs(struct fix *f, unsigned n, uint64_t now, const double *w, double spread)
{
	double sum = total_weight(w, n);

	for (unsigned i = 0; i < n; i++) {
		double err = fabs((double)f->e[i].runtime - w[i] / sum * (double)now);
		double bound = w[i] * spread / 1024 + 16; /* + a few cycles of rounding */

		cr_assert_leq(err, bound, "t=%llu: entity %u (w %.0f) off its share by %.0f > %.0f",
		              (unsigned long long)now, i, w[i], err, bound);
	}
}

Test(cfs, service_stays_within_the_vruntime_spread_of_the_weighted_share)
{
	struct fix f;
	double w[NNICE], spread = 0, sum;

	fix_init(&f, "cfs", 1);
	for (unsigned i = 0; i < NNICE; i++) {
		fix_params(&f, i, (struct sched_params){ .nice = nices[i] });
		w[i] = sched_nice_weight(nices[i]);
	}
	sum = total_weight(w, NNICE);
	for (unsigned i = 0; i < NNICE; i++) { /* slice_i = max(6 ms w_i / W, 0.75 ms) */
		double slice = fmax(6.0 * MS * w[i] / sum, 0.75 * MS);

		spread = fmax(spread, slice * 1024 / w[i]);
	}
	run_busy(&f, NNICE, 2000 * MS, check_cfs, w, spread);
}

Test(cfs, long_run_shares_match_the_nice_weights_within_1_percent)
{
	struct fix f;
	double w[4], sum;
	const int n4[] = { 0, 1, 5, -3 };

	fix_init(&f, "cfs", 1);
	for (unsigned i = 0; i < 4; i++) {
		fix_params(&f, i, (struct sched_params){ .nice = n4[i] });
		w[i] = sched_nice_weight(n4[i]);
	}
	sum = total_weight(w, 4);
	run_busy(&f, 4, 5000 * MS, NULL, w, 0);
	for (unsigned i = 0; i < 4; i++) {
		double share = (double)f.e[i].runtime / (5000.0 * MS), want = w[i] / sum;

		cr_assert(fabs(share - want) < 0.01 * want, "entity %u: %.5f, want %.5f", i, share,
		          want);
	}
}

Test(cfs, a_nice_value_outside_minus_20_to_19_is_rejected)
{
	struct fix f;
	struct sched_params p = { .nice = 20 };

	fix_init(&f, "cfs", 1);
	cr_assert_eq(sched_set_params(&f.s, &f.e[0], &p), E_INVAL);
	p.nice = -21;
	cr_assert_eq(sched_set_params(&f.s, &f.e[0], &p), E_INVAL);
}

/* The requests of the entities check_eevdf looks at. */
static const uint64_t *requests;

/* An entity runs only when eligible (lag >= 0) and then for one request, so its lag never
 * falls to -r_i; nobody falls behind by r_max (the paper's Theorem 1). */
static void
check_eevdf(struct fix *f, unsigned n, uint64_t now, const double *w, double rmax)
{
	double sum = total_weight(w, n);

	for (unsigned i = 0; i < n; i++) {
		double lag = w[i] / sum * (double)now - (double)f->e[i].runtime;

		cr_assert_leq(lag, rmax + 16, "t=%llu: entity %u lag %.0f, r_max %.0f",
		              (unsigned long long)now, i, lag, rmax);
		cr_assert_geq(lag, -(double)requests[i] - 16,
		              "t=%llu: entity %u lag %.0f, r_i %llu", (unsigned long long)now, i,
		              lag, (unsigned long long)requests[i]);
	}
}

Test(eevdf, every_lag_stays_within_its_request_below_and_the_largest_above)
{
	struct fix f;
	static const uint64_t req[NNICE] = { 3 * MS, MS / 2, 2 * MS, MS, 3 * MS / 4, 4 * MS };
	double w[NNICE];

	fix_init(&f, "eevdf", 1);
	for (unsigned i = 0; i < NNICE; i++) {
		fix_params(&f, i, (struct sched_params){ .nice = nices[i], .quantum = req[i] });
		w[i] = sched_nice_weight(nices[i]);
	}
	requests = req;
	run_busy(&f, NNICE, 2000 * MS, check_eevdf, w, 4.0 * MS);
}

/* Short requests beside a long one: without eligibility the short one, its deadlines always
 * earlier, would run 10 ms ahead of its share. */
Test(eevdf, a_short_request_does_not_run_ahead_of_its_share)
{
	struct fix f;
	static const uint64_t req[2] = { MS / 10, 10 * MS };
	double w[2] = { 1024, 1024 };

	fix_init(&f, "eevdf", 1);
	for (unsigned i = 0; i < 2; i++)
		fix_params(&f, i, (struct sched_params){ .quantum = req[i] });
	requests = req;
	run_busy(&f, 2, 200 * MS, check_eevdf, w, 10.0 * MS);
}

Test(eevdf, equal_weights_and_requests_take_turns_one_request_each)
{
	struct fix f;
	static const uint64_t req[3] = { MS, MS, MS };
	double w[3] = { 1024, 1024, 1024 };

	fix_init(&f, "eevdf", 1);
	for (unsigned i = 0; i < 3; i++)
		fix_params(&f, i, (struct sched_params){ .quantum = MS });
	requests = req;
	run_busy(&f, 3, 30 * MS, check_eevdf, w, 1.0 * MS);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(f.e[i].runtime, 10 * MS, "entity %u", i);
}

/* A sleeper keeps its lag: one that left owed service comes back ahead of the others. */
Test(eevdf, a_woken_entity_with_positive_lag_runs_first)
{
	struct fix f;

	fix_init(&f, "eevdf", 1);
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, (struct sched_params){ .quantum = MS });
		fix_wake(&f, i, 0);
	}
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	/* Entity 0 served; 1 runs, then 2 is taken off the queue with 1 ms owed. */
	cr_assert(sched_tick(&f.s, 0, MS));
	cr_assert_eq(fix_run(&f, 0, MS), 1);
	cr_assert_eq(sched_remove(&f.s, &f.e[2], MS, false), 0);
	cr_assert(sched_tick(&f.s, 0, 2 * MS));
	cr_assert_eq(fix_run(&f, 0, 2 * MS), 0);
	/* Back with its lag: eligible, and the running 0 (served ahead of V) is not. */
	cr_assert(fix_wake(&f, 2, 2 * MS), "it preempts");
	cr_assert_eq(fix_run(&f, 0, 2 * MS), 2, "the entity owed service is picked");
}

Test(lottery, wins_lie_within_5_standard_deviations_of_the_binomial_mean)
{
	struct fix f;
	const uint32_t tickets[4] = { 100, 200, 300, 400 };
	unsigned wins[4] = { 0 };
	const unsigned k = 20000;
	uint64_t now = 0;

	fix_init(&f, "lottery", 1);
	for (unsigned i = 0; i < 4; i++) {
		fix_params(&f, i, (struct sched_params){ .tickets = tickets[i] });
		fix_wake(&f, i, 0);
	}
	for (unsigned q = 0; q < k; q++) {
		int id = fix_run(&f, 0, now);

		cr_assert_geq(id, 0);
		wins[id]++;
		now += 4 * MS;
		cr_assert(sched_tick(&f.s, 0, now), "the 4 ms quantum ends");
	}
	for (unsigned i = 0; i < 4; i++) {
		double p = tickets[i] / 1000.0, mean = k * p, sd = sqrt(k * p * (1 - p));

		cr_assert(fabs(wins[i] - mean) <= 5 * sd, "entity %u: %u wins, mean %.0f, sd %.1f",
		          i, wins[i], mean, sd);
	}
}

Test(lottery, the_draws_are_the_same_every_run)
{
	int seq[2][64];

	for (unsigned r = 0; r < 2; r++) {
		struct fix f;

		fix_init(&f, "lottery", 1);
		for (unsigned i = 0; i < 4; i++) {
			fix_params(&f, i, (struct sched_params){ .tickets = 100 });
			fix_wake(&f, i, 0);
		}
		for (unsigned q = 0; q < 64; q++) {
			seq[r][q] = fix_run(&f, 0, q * 4 * MS);
			sched_tick(&f.s, 0, (q + 1) * 4 * MS);
		}
	}
	cr_assert_arr_eq(seq[0], seq[1], sizeof(seq[0]));
}

Test(cfs, a_light_entity_still_runs_a_minimum_granularity_slice)
{
	struct fix f;

	fix_init(&f, "cfs", 1);
	fix_params(&f, 0, (struct sched_params){ .nice = 19 });
	fix_params(&f, 1, (struct sched_params){ .nice = -20 });
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0, "equal vruntimes: the first woken");
	/* 6 ms * 15 / (15 + 88761) is 1 us; the slice is 0.75 ms. */
	cr_assert_eq(sched_next_timer(&f.s, 0, 0), 3 * MS / 4);
	cr_assert(!sched_tick(&f.s, 0, 3 * MS / 4 - 1));
	cr_assert(sched_tick(&f.s, 0, 3 * MS / 4));
	cr_assert_eq(fix_run(&f, 0, 3 * MS / 4), 1);
}
