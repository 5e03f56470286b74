/* Partitioning (kern/sched/partition.c) for pedf_* and pfp_*: on hand-made sets, first-fit
 * and worst-fit decreasing place where the textbook says; on 200 seeded random sets, every
 * placement the partitioner accepts passes this file's own check of each CPU (utilisation
 * <= 1 for EDF, response-time analysis for deadline-monotonic priority), and a placed
 * entity stays on its CPU. */
#include <math.h>

#include "schedfix.h"

#define NCPU  4
#define NTASK 24

struct pset {
	struct sched s;
	struct sched_rq rq[NCPU];
	struct sched_entity e[NTASK];
	struct sched_entity *order[NTASK];
};

/* Sets up `n` entities with (C, T), D = T, and partitions them; returns the unfit count. */
static int
partition(struct pset *ps, const char *policy, unsigned ncpu, const uint64_t *c, const uint64_t *t,
          unsigned n)
{
	cr_assert_eq(sched_init(&ps->s, sched_policy_find(policy), ps->rq, ncpu, FIX_HZ), 0);
	for (unsigned i = 0; i < n; i++) {
		struct sched_params p = { .period = t[i], .budget = c[i] };

		sched_entity_init(&ps->e[i], i, NULL);
		cr_assert_eq(sched_set_params(&ps->s, &ps->e[i], &p), 0);
		ps->order[i] = &ps->e[i];
	}
	return sched_partition(&ps->s, ps->order, n);
}

/* The CPU each entity was placed on: where it wakes. */
static unsigned
cpu_of(struct pset *ps, unsigned i)
{
	bool preempt;
	int cpu = sched_wakeup(&ps->s, &ps->e[i], 0, &preempt);

	cr_assert_geq(cpu, 0);
	return (unsigned)cpu;
}

/* C = 6, 5, 4, 3, 2 ms, T = 10 ms: FFD fills CPU 0 with {6, 4} and CPU 1 with {5, 3, 2};
 * WFD spreads 6 | 5 4 | then 3 on CPU 0, and 2 fits nowhere (both at 0.9). */
static const uint64_t hand_c[5] = { 6 * MS, 5 * MS, 4 * MS, 3 * MS, 2 * MS };
static const uint64_t hand_t[5] = { 10 * MS, 10 * MS, 10 * MS, 10 * MS, 10 * MS };

/* Given in increasing order too: the partitioner sorts. */
Test(partition, first_fit_decreasing_packs_the_lowest_cpu_first)
{
	static const unsigned want[5] = { 0, 1, 0, 1, 1 };
	const char *pol[2] = { "pedf_ff", "pfp_ff" };
	uint64_t rev_c[5];

	for (unsigned i = 0; i < 5; i++)
		rev_c[i] = hand_c[4 - i];
	for (unsigned k = 0; k < 2; k++) {
		struct pset ps;

		cr_assert_eq(partition(&ps, pol[k], 2, hand_c, hand_t, 5), 0, "%s", pol[k]);
		for (unsigned i = 0; i < 5; i++)
			cr_assert_eq(cpu_of(&ps, i), want[i], "%s: task %u", pol[k], i);
		cr_assert_eq(partition(&ps, pol[k], 2, rev_c, hand_t, 5), 0, "%s", pol[k]);
		for (unsigned i = 0; i < 5; i++)
			cr_assert_eq(cpu_of(&ps, i), want[4 - i], "%s: reversed task %u", pol[k],
			             i);
	}
}

Test(partition, worst_fit_decreasing_spreads_and_can_fail_where_first_fit_does_not)
{
	static const unsigned want[4] = { 0, 1, 1, 0 };
	struct pset ps;

	cr_assert_eq(partition(&ps, "pedf_wf", 2, hand_c, hand_t, 5), 1, "one task fits nowhere");
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(cpu_of(&ps, i), want[i], "task %u", i);
}

/* A deadline-monotonic CPU fails where EDF's does not: {C=2,T=4} + {C=5,T=10} has U = 1,
 * EDF-schedulable on one CPU, but the second's response time goes 5, 9, 11 > 10. */
Test(partition, rta_rejects_what_edf_accepts_on_one_cpu)
{
	static const uint64_t c[2] = { 2 * MS, 5 * MS }, t[2] = { 4 * MS, 10 * MS };
	struct pset ps;

	cr_assert_eq(partition(&ps, "pedf_ff", 1, c, t, 2), 0);
	cr_assert_eq(partition(&ps, "pfp_ff", 1, c, t, 2), 1);
	cr_assert_eq(partition(&ps, "pfp_ff", 2, c, t, 2), 0);
	cr_assert_neq(cpu_of(&ps, 0), cpu_of(&ps, 1));
}

/* This file's own RTA: deadline-monotonic with D = T, equal periods interfering. */
static bool
rta_ok(const uint64_t *c, const uint64_t *t, const unsigned *cpu, unsigned n, unsigned where)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t r = c[i], prev = 0;

		if (cpu[i] != where)
			continue;
		while (r != prev && r <= t[i]) {
			prev = r;
			r = c[i];
			for (unsigned j = 0; j < n; j++)
				if (j != i && cpu[j] == where && t[j] <= t[i])
					r += (prev + t[j] - 1) / t[j] * c[j];
		}
		if (r > t[i])
			return false;
	}
	return true;
}

static uint64_t
lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

Test(partition, every_accepted_random_partition_passes_each_cpus_test)
{
	static const uint64_t periods[] = { 5 * MS, 10 * MS, 20 * MS, 25 * MS, 50 * MS, 100 * MS };
	const char *pol[4] = { "pedf_ff", "pedf_wf", "pfp_ff", "pfp_wf" };
	unsigned accepted[4] = { 0 };
	uint64_t x = 42;

	for (unsigned set = 0; set < 200; set++) {
		unsigned n = 4 + (unsigned)(lcg(&x) % (NTASK - 3)), ncpu = 2 + set % 3;
		uint64_t c[NTASK], t[NTASK];

		for (unsigned i = 0; i < n; i++) { /* u_i in [0.02, 0.62) */
			t[i] = periods[lcg(&x) % 6];
			c[i] = t[i] * (20 + lcg(&x) % 600) / 1000;
		}
		for (unsigned k = 0; k < 4; k++) {
			struct pset ps;
			unsigned cpu[NTASK];

			if (partition(&ps, pol[k], ncpu, c, t, n) != 0)
				continue;
			accepted[k]++;
			for (unsigned i = 0; i < n; i++)
				cpu[i] = cpu_of(&ps, i);
			for (unsigned p = 0; p < ncpu; p++) {
				double u = 0;

				for (unsigned i = 0; i < n; i++)
					u += cpu[i] == p ? (double)c[i] / (double)t[i] : 0;
				if (k < 2)
					cr_assert_leq(u, 1.0, "%s set %u cpu %u: U %.4f", pol[k],
					              set, p, u);
				else
					cr_assert(rta_ok(c, t, cpu, n, p), "%s set %u cpu %u",
					          pol[k], set, p);
			}
		}
	}
	for (unsigned k = 0; k < 4; k++)
		cr_assert_geq(accepted[k], 50, "%s accepted only %u sets", pol[k], accepted[k]);
}

Test(partition, a_placed_entity_never_migrates_to_an_idle_cpu)
{
	struct pset ps;
	static const uint64_t c[3] = { MS, MS, MS }, t[3] = { 10 * MS, 10 * MS, 10 * MS };

	cr_assert_eq(partition(&ps, "pedf_ff", 2, c, t, 3), 0);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(cpu_of(&ps, i), 0, "first fit: all on CPU 0");
	cr_assert_not_null(sched_schedule(&ps.s, 0, 0));
	cr_assert_null(sched_schedule(&ps.s, 1, 0), "CPU 1 steals nothing");
	cr_assert_eq(ps.rq[0].nqueued, 2);
}

Test(partition, params_arriving_one_by_one_are_placed_online)
{
	struct pset ps;
	struct sched_params p = { .period = 10 * MS, .budget = 6 * MS };

	cr_assert_eq(sched_init(&ps.s, sched_policy_find("pedf_wf"), ps.rq, 2, FIX_HZ), 0);
	for (unsigned i = 0; i < 2; i++) {
		sched_entity_init(&ps.e[i], i, NULL);
		cr_assert_eq(sched_set_params(&ps.s, &ps.e[i], &p), 0);
	}
	cr_assert_neq(cpu_of(&ps, 0), cpu_of(&ps, 1), "worst fit: the empty CPU");
}
