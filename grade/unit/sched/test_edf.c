/* Unit tests of the EDF policy: deadline order, preemption, the CBS wake-up rule, budget
 * throttling until the next period (or a new period at once when it has begun), and
 * parameter checks. */
#include "schedfix.h"

static struct sched_params
server(uint64_t period, uint64_t deadline, uint64_t budget)
{
	return (struct sched_params){ .period = period, .deadline = deadline, .budget = budget };
}

Test(edf, the_earliest_absolute_deadline_runs_first)
{
	struct fix f;

	fix_init(&f, "edf", 1);
	fix_params(&f, 0, server(30 * MS, 0, 0));
	fix_params(&f, 1, server(10 * MS, 0, 0));
	fix_params(&f, 2, server(20 * MS, 0, 0));
	for (unsigned i = 0; i < 3; i++)
		fix_wake(&f, i, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 1);
	cr_assert_eq(sched_edf_deadline(&f.e[1]), 10 * MS);
	sched_block(&f.s, 0, MS, false);
	cr_assert_eq(fix_run(&f, 0, MS), 2);
}

Test(edf, a_woken_earlier_deadline_preempts_a_later_one_only)
{
	struct fix f;

	fix_init(&f, "edf", 1);
	fix_params(&f, 0, server(50 * MS, 0, 0));
	fix_params(&f, 1, server(10 * MS, 0, 0));
	fix_params(&f, 2, server(100 * MS, 0, 0));
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	cr_assert(!fix_wake(&f, 2, MS), "deadline 101 ms > 50 ms");
	cr_assert(fix_wake(&f, 1, MS), "deadline 11 ms < 50 ms");
}

Test(edf, an_exhausted_budget_throttles_until_the_next_period)
{
	struct fix f;

	fix_init(&f, "edf", 1);
	fix_params(&f, 0, server(10 * MS, 0, 3 * MS));
	fix_params(&f, 1, server(100 * MS, 0, 0));
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(sched_next_timer(&f.s, 0, 0), 3 * MS, "budget runs out at 3 ms");
	cr_assert(sched_tick(&f.s, 0, 3 * MS));
	cr_assert_eq(fix_run(&f, 0, 3 * MS), 1, "the overrunning server yields to others");
	cr_assert_eq(f.e[0].state, SCHED_THROTTLED);
	cr_assert_eq(sched_next_timer(&f.s, 0, 3 * MS), 10 * MS, "released at its next period");
	cr_assert(sched_tick(&f.s, 0, 10 * MS), "its new deadline 20 ms beats 100 ms");
	cr_assert_eq(fix_run(&f, 0, 10 * MS), 0);
	cr_assert_eq(sched_edf_deadline(&f.e[0]), 20 * MS);
	cr_assert_eq(sched_edf_budget_left(&f.e[0]), 3 * MS);
}

Test(edf, a_budget_exhausted_after_its_period_ended_starts_a_new_period_at_once)
{
	struct fix f;

	fix_init(&f, "edf", 1);
	fix_params(&f, 0, server(10 * MS, 0, 8 * MS));
	fix_params(&f, 1, server(5 * MS, 0, 0));
	fix_params(&f, 2, server(8 * MS, 0, 0));
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 1, "deadline 5 ms first");
	sched_block(&f.s, 0, 5 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 5 * MS), 0, "0 starts at 5 ms: its budget lasts past 10 ms");
	cr_assert(!fix_wake(&f, 2, 12 * MS), "deadline 20 ms does not beat 10 ms");
	cr_assert_eq(sched_next_timer(&f.s, 0, 12 * MS), 13 * MS, "budget runs out at 13 ms");
	cr_assert(sched_tick(&f.s, 0, 13 * MS), "the new deadline 23 ms is after 2's 20 ms");
	cr_assert_eq(sched_edf_deadline(&f.e[0]), 23 * MS, "deadline from now, not 10 + 10 ms");
	cr_assert_eq(sched_edf_budget_left(&f.e[0]), 8 * MS, "budget recharged at once");
	cr_assert_eq(fix_run(&f, 0, 13 * MS), 2);
	cr_assert_eq(f.e[0].state, SCHED_RUNNABLE, "not throttled until a time already past");
	sched_block(&f.s, 0, 14 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 14 * MS), 0);
	cr_assert_eq(sched_next_timer(&f.s, 0, 14 * MS), 22 * MS, "time moves on");
}

Test(edf, waking_early_keeps_the_deadline_while_bandwidth_allows)
{
	struct fix f;

	fix_init(&f, "edf", 1);
	fix_params(&f, 0, server(10 * MS, 0, 4 * MS));
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	sched_block(&f.s, 0, MS, false); /* 3 ms left, 9 ms to the deadline: 1/3 < 4/10 */
	fix_wake(&f, 0, MS);
	cr_assert_eq(sched_edf_deadline(&f.e[0]), 10 * MS);
	fix_run(&f, 0, MS);
	sched_block(&f.s, 0, 2 * MS, false); /* 2 ms left, 1 ms to go: 2/1 > 4/10 */
	fix_wake(&f, 0, 9 * MS);
	cr_assert_eq(sched_edf_deadline(&f.e[0]), 19 * MS, "a new period starts at wake-up");
	cr_assert_eq(sched_edf_budget_left(&f.e[0]), 4 * MS);
}

Test(edf, a_server_woken_while_out_of_budget_waits_for_its_period)
{
	struct fix f;

	fix_init(&f, "edf", 1);
	fix_params(&f, 0, server(10 * MS, 0, 2 * MS));
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	sched_block(&f.s, 0, 2 * MS, false);
	fix_wake(&f, 0, 5 * MS);
	cr_assert_eq(f.e[0].state, SCHED_THROTTLED);
	cr_assert_eq(fix_run(&f, 0, 5 * MS), -1);
	cr_assert(sched_tick(&f.s, 0, 10 * MS));
	cr_assert_eq(fix_run(&f, 0, 10 * MS), 0);
}

Test(edf, rejects_impossible_parameters)
{
	struct fix f;
	struct sched_params bad[] = {
		server(0, 0, 0),   /* no period */
		server(10, 20, 0), /* deadline after the period */
		server(10, 5, 6),  /* budget larger than the deadline */
	};

	fix_init(&f, "edf", 1);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(sched_set_params(&f.s, &f.e[0], &bad[i]), E_INVAL, "case %u", i);
	fix_params(&f, 0, server(10, 0, 10));
	cr_assert_eq(f.e[0].params.deadline, 10, "implicit deadline");
}

Test(edf, a_handoff_with_nothing_queued_runs_the_partner_at_once)
{
	fix_handoff_alone("edf");
}
