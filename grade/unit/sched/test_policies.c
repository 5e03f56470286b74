/* Unit tests of each policy's ordering rules: rr, prio (and rate-monotonic assignment),
 * mlfq and stride.  EDF has its own file (test_edf.c). */
#include "schedfix.h"

static struct sched_params none;

Test(rr, rotates_after_each_quantum_and_reports_the_slice_left)
{
	struct fix f;
	uint64_t q = 4 * MS, now = 0;

	fix_init(&f, "rr", 1);
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, none);
		fix_wake(&f, i, 0);
	}
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(sched_next_timer(&f.s, 0, MS), q, "the quantum ends at 4 ms");
	cr_assert(!sched_tick(&f.s, 0, 3 * MS));
	for (unsigned k = 1; k <= 6; k++) {
		now = k * q;
		cr_assert(sched_tick(&f.s, 0, now), "quantum %u used up", k);
		cr_assert_eq(fix_run(&f, 0, now), (int)(k % 3));
	}
}

Test(rr, a_per_entity_quantum_overrides_the_default)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	fix_params(&f, 0, (struct sched_params){ .quantum = 100 });
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	cr_assert_eq(sched_next_timer(&f.s, 0, 0), 100);
	cr_assert(sched_tick(&f.s, 0, 100));
}

/* docs/sim.md, tie rule 3: a reschedule that takes an entity off the CPU with slice left
 * (another CPU's request, an IPI) puts it back at the head, its quantum not restarted. */
Test(rr, a_preempted_entity_with_slice_left_keeps_the_head_and_its_quantum)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, none);
		fix_wake(&f, i, 0);
	}
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(fix_run(&f, 0, MS), 0, "rescheduled at 1 ms with 3 ms left: 0 again");
	cr_assert_eq(sched_next_timer(&f.s, 0, MS), 4 * MS, "its quantum still ends at 4 ms");
	cr_assert(sched_tick(&f.s, 0, 4 * MS));
	cr_assert_eq(fix_run(&f, 0, 4 * MS), 1, "then the next in line");
}

Test(prio, a_woken_more_urgent_entity_preempts_and_the_victim_keeps_the_head)
{
	struct fix f;

	fix_init(&f, "prio", 1);
	fix_params(&f, 0, (struct sched_params){ .priority = 3 });
	fix_params(&f, 1, (struct sched_params){ .priority = 3 });
	fix_params(&f, 2, (struct sched_params){ .priority = 1 });
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert(fix_wake(&f, 2, 10), "priority 1 preempts priority 3");
	cr_assert_eq(fix_run(&f, 0, 10), 2);
	sched_block(&f.s, 0, 20, false);
	cr_assert_eq(fix_run(&f, 0, 20), 0, "the preempted entity is first in its level");
}

Test(prio, equal_priority_is_fifo_and_never_time_sliced)
{
	struct fix f;

	fix_init(&f, "prio", 1);
	fix_params(&f, 0, (struct sched_params){ .priority = 2 });
	fix_params(&f, 1, (struct sched_params){ .priority = 2 });
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert(!fix_wake(&f, 1, 5), "equal priority does not preempt");
	cr_assert(!sched_tick(&f.s, 0, 1000 * MS), "no time slice");
	cr_assert_eq(sched_next_timer(&f.s, 0, 1000 * MS), SCHED_NO_TIMER);
}

Test(prio, rejects_a_level_past_the_last)
{
	struct fix f;
	struct sched_params p = { .priority = SCHED_PRIO_LEVELS };

	fix_init(&f, "prio", 1);
	cr_assert_eq(sched_set_params(&f.s, &f.e[0], &p), E_INVAL);
}

Test(prio, rate_monotonic_ranks_distinct_periods)
{
	struct sched_params p[5] = {
		{ .period = 40 }, { .period = 10 }, { .period = 40 },
		{ .period = 25 }, { .period = 10 },
	};
	unsigned expect[5] = { 2, 0, 2, 1, 0 };

	cr_assert_eq(sched_prio_assign_rm(p, 5), 0);
	for (unsigned i = 0; i < 5; i++)
		cr_assert_eq(p[i].priority, expect[i], "task %u", i);
	p[3].period = 0;
	cr_assert_eq(sched_prio_assign_rm(p, 5), E_INVAL);
}

Test(mlfq, a_full_allotment_demotes_and_a_new_entity_outranks_it)
{
	struct fix f;

	fix_init(&f, "mlfq", 1);
	fix_params(&f, 0, none);
	fix_params(&f, 1, none);
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	cr_assert(sched_tick(&f.s, 0, 2 * MS), "level 0 allotment is 2 ms");
	cr_assert_eq(sched_mlfq_level(&f.e[0]), 1);
	cr_assert_eq(fix_run(&f, 0, 2 * MS), 0);
	cr_assert_eq(sched_next_timer(&f.s, 0, 2 * MS), 6 * MS, "level 1 allotment is 4 ms");
	cr_assert(fix_wake(&f, 1, 3 * MS), "a top-level entity preempts a level-1 one");
	cr_assert_eq(fix_run(&f, 0, 3 * MS), 1);
}

Test(mlfq, sleeping_before_the_allotment_ends_does_not_reset_it)
{
	struct fix f;

	fix_init(&f, "mlfq", 1);
	fix_params(&f, 0, none);
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	sched_block(&f.s, 0, MS + MS / 2, false);
	fix_wake(&f, 0, 3 * MS);
	fix_run(&f, 0, 3 * MS);
	cr_assert(sched_tick(&f.s, 0, 3 * MS + MS / 2), "1.5 + 0.5 ms used the allotment");
	cr_assert_eq(sched_mlfq_level(&f.e[0]), 1);
}

Test(mlfq, the_boost_returns_every_entity_to_the_top)
{
	struct fix f;
	uint64_t now = 0;

	fix_init(&f, "mlfq", 1);
	fix_params(&f, 0, none);
	fix_params(&f, 1, none);
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	/* Demote both to the bottom by running them alternately. */
	while (sched_mlfq_level(&f.e[0]) < 3 || sched_mlfq_level(&f.e[1]) < 3) {
		fix_run(&f, 0, now);
		now = sched_next_timer(&f.s, 0, now);
		cr_assert(now < 100 * MS);
		sched_tick(&f.s, 0, now);
	}
	cr_assert_eq(sched_next_timer(&f.s, 0, now) <= 100 * MS, true, "stops at the boost");
	cr_assert(sched_tick(&f.s, 0, 100 * MS));
	fix_run(&f, 0, 100 * MS);
	cr_assert_eq(sched_mlfq_level(&f.e[0]), 0);
	cr_assert_eq(sched_mlfq_level(&f.e[1]), 0);
}

Test(stride, runs_the_smallest_pass_and_splits_time_by_tickets)
{
	struct fix f;
	uint64_t now = 0;
	unsigned tickets[3] = { 100, 200, 300 };

	fix_init(&f, "stride", 1);
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, (struct sched_params){ .tickets = tickets[i] });
		fix_wake(&f, i, 0);
	}
	fix_run(&f, 0, 0);
	for (unsigned k = 0; k < 600; k++) {
		now = sched_next_timer(&f.s, 0, now);
		cr_assert(sched_tick(&f.s, 0, now));
		fix_run(&f, 0, now);
	}
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(f.e[i].runtime, tickets[i] * 4 * MS, "entity %u: %u quanta of 600", i,
		             tickets[i]);
}

Test(stride, a_newcomer_joins_at_the_global_pass_not_at_zero)
{
	struct fix f;
	uint64_t now = 0;

	fix_init(&f, "stride", 1);
	fix_params(&f, 0, (struct sched_params){ .tickets = 100 });
	fix_params(&f, 1, (struct sched_params){ .tickets = 300 });
	fix_wake(&f, 0, 0);
	fix_run(&f, 0, 0);
	now = 400 * MS;
	sched_tick(&f.s, 0, now);
	fix_wake(&f, 1, now);
	fix_run(&f, 0, now);
	/* Joining at the global pass, entity 1 gets 3 of every 4 quanta from now on, whatever
	 * the tie order.  Joining at pass zero it would run all 12 (it would take 300 quanta to
	 * reach entity 0's pass), and taking turns would give it 6. */
	for (unsigned k = 0; k < 12; k++) {
		now = sched_next_timer(&f.s, 0, now);
		sched_tick(&f.s, 0, now);
		fix_run(&f, 0, now);
	}
	cr_assert_eq(now, 448 * MS, "12 quanta of 4 ms");
	cr_assert_eq(f.e[1].runtime, 9 * 4 * MS, "the newcomer ran 9 of the 12 quanta");
	cr_assert_eq(f.e[0].runtime, 400 * MS + 3 * 4 * MS, "entity 0 ran the other 3");
}

Test(stride, rejects_too_many_tickets_and_defaults_zero_to_100)
{
	struct fix f;
	struct sched_params p = { .tickets = SCHED_STRIDE_MAX_TICKETS + 1 };

	fix_init(&f, "stride", 1);
	cr_assert_eq(sched_set_params(&f.s, &f.e[0], &p), E_INVAL);
	fix_params(&f, 0, none);
	cr_assert_eq(f.e[0].params.tickets, 100);
}

Test(stride, shares_are_exact_when_the_passes_wrap_around_2_64)
{
	struct fix f;
	uint64_t now = 0;
	unsigned tickets[3] = { 100, 200, 300 };

	fix_init(&f, "stride", 1);
	f.rq[0].policy_data[0] = UINT64_MAX - (1ULL << 36); /* the global pass: ~6 quanta left */
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, (struct sched_params){ .tickets = tickets[i] });
		fix_wake(&f, i, 0);
	}
	fix_run(&f, 0, 0);
	for (unsigned k = 0; k < 600; k++) {
		now = sched_next_timer(&f.s, 0, now);
		cr_assert(sched_tick(&f.s, 0, now));
		fix_run(&f, 0, now);
	}
	cr_assert_lt(f.rq[0].policy_data[0], 1ULL << 63, "the global pass has wrapped");
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(f.e[i].runtime, tickets[i] * 4 * MS, "entity %u: %u quanta of 600", i,
		             tickets[i]);
}

/* A quantum of zero cycles would end every slice at the instant it starts, so the CPU would
 * be rescheduled forever without time passing: refused at set-up instead. */
Test(stride, rejects_a_clock_too_slow_for_a_quantum)
{
	struct fix f;

	fix_init(&f, "stride", 1);
	f.s.hz = 249; /* hz / 250 == 0 */
	cr_assert_eq(sched_set_params(&f.s, &f.e[0], &none), E_INVAL);
	f.s.hz = 250;
	fix_params(&f, 0, none);
}

Test(rr, rejects_a_clock_too_slow_for_the_default_quantum)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	f.s.hz = 249;
	cr_assert_eq(sched_set_params(&f.s, &f.e[0], &none), E_INVAL);
	fix_params(&f, 0, (struct sched_params){ .quantum = 1 });
}

Test(stride, a_handoff_with_nothing_queued_runs_the_partner_at_once)
{
	fix_handoff_alone("stride");
}
