/* Fixture for the scheduler framework unit tests: one scheduler instance on a 1 GHz
 * machine (1 cycle = 1 ns), with helpers that check the calls' results. */
#ifndef SCHEDFIX_H
#define SCHEDFIX_H

#include <criterion/criterion.h>

#include "sched.h"

#define FIX_HZ   1000000000ULL
#define MS       (FIX_HZ / 1000)
#define FIX_NENT 8

struct fix {
	struct sched s;
	struct sched_rq rq[4];
	struct sched_entity e[FIX_NENT];
};

static inline void
fix_init(struct fix *f, const char *policy, unsigned ncpu)
{
	const struct sched_policy *p = sched_policy_find(policy);

	cr_assert_not_null(p, "policy %s is registered", policy);
	cr_assert_eq(sched_init(&f->s, p, f->rq, ncpu, FIX_HZ), 0);
	for (unsigned i = 0; i < FIX_NENT; i++)
		sched_entity_init(&f->e[i], i, NULL);
}

static inline void
fix_params(struct fix *f, unsigned i, struct sched_params p)
{
	cr_assert_eq(sched_set_params(&f->s, &f->e[i], &p), 0, "params of entity %u accepted", i);
}

/* Wake entity i at `now`; returns whether its CPU should reschedule. */
static inline bool
fix_wake(struct fix *f, unsigned i, uint64_t now)
{
	bool preempt;

	cr_assert_geq(sched_wakeup(&f->s, &f->e[i], now, &preempt), 0, "entity %u wakes", i);
	return preempt;
}

/* Reschedule `cpu` at `now`; returns the id of the entity now running, or -1 when idle. */
static inline int
fix_run(struct fix *f, unsigned cpu, uint64_t now)
{
	struct sched_entity *se = sched_schedule(&f->s, cpu, now);

	return se ? (int)se->id : -1;
}

/* sched_handoff with nothing queued, under `policy` (test_core.c for the given policies,
 * test_policies.c and test_edf.c for stride and edf, which lab 4 students write): entity 0
 * runs, entity 1 is blocked; the handoff makes 1 run at once and 0 blocked, charged. */
static inline void
fix_handoff_alone(const char *policy)
{
	struct fix f;

	fix_init(&f, policy, 1);
	for (unsigned e = 0; e < 2; e++)
		fix_params(&f, e, (struct sched_params){ .priority = 5, .period = 10 * MS });
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	f.e[1].state = SCHED_BLOCKED; /* as if it had run and blocked */
	cr_assert_eq(sched_handoff(&f.s, 0, 100, &f.e[1], NULL), 0, "%s", policy);
	cr_assert_eq(f.rq[0].curr, &f.e[1], "%s", policy);
	cr_assert_eq(f.e[1].state, SCHED_RUNNING);
	cr_assert_eq(f.e[0].state, SCHED_BLOCKED);
	cr_assert_eq(f.e[0].runtime, 100, "%s: the blocked one is charged", policy);
	cr_assert_eq(f.rq[0].nqueued, 0);
	cr_assert_eq(fix_run(&f, 0, 200), 1, "%s: it goes on running", policy);
}

#endif
