/* Unit tests of the example policy of docs/sim.md ("Adding a policy"), compiled from the
 * page itself together with its registry line (sim/tests/doc_policy.py extracts both):
 * first come, first served, each entity until it blocks or yields, and the order kept in
 * the policy's own state when the core puts an entity back or moves it. */
#include "schedfix.h"

static const struct sched_params none;

Test(doc_policy, is_registered_beside_the_others)
{
	const char *names[] = { "rr", "prio", "mlfq", "stride", "edf", "fifo" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert_not_null(sched_policy_find(names[i]), "%s", names[i]);
}

Test(doc_policy, runs_in_arrival_order_each_entity_until_it_blocks)
{
	struct fix f;

	fix_init(&f, "fifo", 1);
	for (unsigned i = 0; i < 3; i++)
		fix_params(&f, i, none);
	fix_wake(&f, 2, 0);
	fix_wake(&f, 0, MS);
	fix_wake(&f, 1, 2 * MS);
	cr_assert_eq(fix_run(&f, 0, 0), 2, "the first to arrive, whatever its id");
	cr_assert(!sched_tick(&f.s, 0, 50 * MS), "never preempted");
	cr_assert_eq(sched_next_timer(&f.s, 0, 50 * MS), SCHED_NO_TIMER, "no slice to end");
	sched_block(&f.s, 0, 50 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 50 * MS), 0);
	sched_block(&f.s, 0, 51 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 51 * MS), 1);
	sched_block(&f.s, 0, 52 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 52 * MS), -1);
}

Test(doc_policy, an_entity_put_back_while_runnable_keeps_its_place)
{
	struct fix f;

	fix_init(&f, "fifo", 1);
	fix_params(&f, 0, none);
	fix_params(&f, 1, none);
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	fix_wake(&f, 1, MS);
	cr_assert_eq(fix_run(&f, 0, 2 * MS), 0, "put back with SCHED_ENQ_PREEMPT, still first");
}

Test(doc_policy, a_yielding_entity_goes_behind_those_that_arrived_before)
{
	struct fix f;

	fix_init(&f, "fifo", 1);
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, none);
		fix_wake(&f, i, i * MS);
	}
	cr_assert_eq(fix_run(&f, 0, 2 * MS), 0);
	sched_yield_cpu(&f.s, 0, 3 * MS);
	cr_assert_eq(fix_run(&f, 0, 3 * MS), 1);
	sched_block(&f.s, 0, 4 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 4 * MS), 2);
	sched_block(&f.s, 0, 5 * MS, false);
	cr_assert_eq(fix_run(&f, 0, 5 * MS), 0);
}

/* Entity 1 waits on CPU 0 from 1 ms, entity 3 on CPU 1 from 3 ms; moved to CPU 1, entity 1
 * runs there first. */
Test(doc_policy, a_migrated_entity_keeps_its_arrival_order)
{
	struct fix f;
	uint64_t cpu0 = 1, cpu1 = 2;

	fix_init(&f, "fifo", 2);
	for (unsigned i = 0; i < 4; i++) {
		fix_params(&f, i, none);
		f.e[i].affinity = i < 2 ? cpu0 : cpu1;
	}
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	fix_wake(&f, 1, MS);
	fix_wake(&f, 2, 2 * MS);
	cr_assert_eq(fix_run(&f, 1, 2 * MS), 2);
	fix_wake(&f, 3, 3 * MS);
	f.e[1].affinity = cpu0 | cpu1;
	sched_migrate(&f.s, &f.e[1], 1);
	cr_assert_eq(f.e[1].cpu, 1);
	sched_block(&f.s, 1, 4 * MS, false);
	cr_assert_eq(fix_run(&f, 1, 4 * MS), 1, "arrived at 1 ms, before entity 3");
	sched_block(&f.s, 1, 5 * MS, false);
	cr_assert_eq(fix_run(&f, 1, 5 * MS), 3);
}
