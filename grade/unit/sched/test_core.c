/* Unit tests of the scheduler core and run-queue container (kern/sched/core.c, rq.c,
 * balance.c, registry.c), driven through the rr policy where a policy is needed. */
#include "schedfix.h"

Test(registry, finds_every_policy_by_name_in_table_order_and_rejects_others)
{
	const char *names[] = { "rr",   "prio",    "mlfq",    "stride", "edf",
		                "gedf", "pedf_ff", "pedf_wf", "pfp_ff", "pfp_wf",
		                "cfs",  "eevdf",   "lottery" };
	unsigned n = sizeof(names) / sizeof(names[0]);

	for (unsigned i = 0; i < n; i++) {
		cr_assert_not_null(sched_policy_find(names[i]));
		cr_assert_str_eq(sched_policy_at(i)->name, names[i]);
	}
	cr_assert_null(sched_policy_at(n));
	cr_assert_null(sched_policy_find("bfs"));
	cr_assert_null(sched_policy_find("rr "));
	cr_assert_null(sched_policy_find(""));
}

Test(rq, ordered_insert_keeps_fifo_order_among_equal_keys)
{
	struct sched_rq rq;
	struct sched_link l[4];
	uint64_t keys[4] = { 5, 3, 5, 3 };
	unsigned expect[4] = { 1, 3, 0, 2 };
	struct sched_link *it;

	sched_rq_init(&rq, 0);
	for (unsigned i = 0; i < 4; i++)
		sched_rq_insert_ordered(&rq, &l[i], 7, keys[i]);
	cr_assert_eq(rq.nqueued, 4);
	cr_assert_eq(rq.nonempty, 1ULL << 7);
	cr_assert_eq(sched_rq_top_level(&rq), 7);
	it = sched_rq_first(&rq, 7);
	for (unsigned i = 0; i < 4; i++, it = sched_rq_next(&rq, it))
		cr_assert_eq(it, &l[expect[i]], "position %u", i);
	cr_assert_null(it);
}

Test(rq, removing_the_last_entry_clears_the_level_bit)
{
	struct sched_rq rq;
	struct sched_link a, b;

	sched_rq_init(&rq, 0);
	sched_rq_push(&rq, &a, 3, false);
	sched_rq_push(&rq, &b, 9, true);
	cr_assert_eq(sched_rq_top_level(&rq), 3);
	sched_rq_remove(&rq, &a);
	cr_assert_eq(rq.nonempty, 1ULL << 9);
	cr_assert_eq(sched_rq_top_level(&rq), 9);
	sched_rq_remove(&rq, &b);
	cr_assert_eq(sched_rq_top_level(&rq), -1);
	cr_assert_eq(rq.nqueued, 0);
	cr_assert(!a.queued && !b.queued);
}

Test(rq, keys_compare_across_wrap_around)
{
	cr_assert(sched_key_before(UINT64_MAX - 5, 10));
	cr_assert(!sched_key_before(10, UINT64_MAX - 5));
	cr_assert(!sched_key_before(7, 7));
}

Test(core, init_rejects_zero_or_too_many_cpus_and_zero_clock)
{
	struct sched s;
	struct sched_rq rq[1];
	const struct sched_policy *p = sched_policy_find("rr");

	cr_assert_eq(sched_init(&s, p, rq, 0, FIX_HZ), E_INVAL);
	cr_assert_eq(sched_init(&s, p, rq, SCHED_MAX_CPUS + 1, FIX_HZ), E_INVAL);
	cr_assert_eq(sched_init(&s, p, rq, 1, 0), E_INVAL);
	cr_assert_eq(sched_init(&s, NULL, rq, 1, FIX_HZ), E_INVAL);
}

Test(core, waking_on_an_idle_cpu_asks_for_a_reschedule_and_runs_the_entity)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	fix_params(&f, 0, (struct sched_params){ 0 });
	cr_assert(fix_wake(&f, 0, 0));
	cr_assert_eq(f.e[0].state, SCHED_RUNNABLE);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(f.e[0].state, SCHED_RUNNING);
	cr_assert_eq(f.rq[0].curr, &f.e[0]);
}

Test(core, waking_an_entity_that_is_not_blocked_is_an_error)
{
	struct fix f;
	bool preempt;

	fix_init(&f, "rr", 1);
	fix_params(&f, 0, (struct sched_params){ 0 });
	fix_wake(&f, 0, 0);
	cr_assert_eq(sched_wakeup(&f.s, &f.e[0], 1, &preempt), E_INVAL);
	fix_run(&f, 0, 0);
	cr_assert_eq(sched_wakeup(&f.s, &f.e[0], 2, &preempt), E_INVAL);
}

Test(core, block_accounts_runtime_and_leaves_the_cpu_idle)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	fix_params(&f, 0, (struct sched_params){ 0 });
	fix_wake(&f, 0, 100);
	fix_run(&f, 0, 100);
	cr_assert_eq(sched_block(&f.s, 0, 350, false), 0);
	cr_assert_eq(f.e[0].runtime, 250);
	cr_assert_eq(f.e[0].state, SCHED_BLOCKED);
	cr_assert_eq(fix_run(&f, 0, 350), -1);
	cr_assert_eq(sched_block(&f.s, 0, 400, false), E_INVAL, "nothing runs on cpu 0");
	cr_assert_eq(sched_block(&f.s, 7, 400, false), E_INVAL, "no cpu 7");
}

Test(core, an_affinity_mask_without_a_cpu_of_the_machine_is_refused)
{
	struct fix f;
	bool preempt;

	fix_init(&f, "rr", 2);
	fix_params(&f, 0, (struct sched_params){ 0 });
	f.e[0].affinity = 1ULL << 5;
	cr_assert_eq(sched_wakeup(&f.s, &f.e[0], 0, &preempt), E_INVAL);
	cr_assert_eq(f.e[0].state, SCHED_NEW);
}

Test(core, placement_prefers_an_idle_allowed_cpu_then_the_least_loaded)
{
	struct fix f;

	fix_init(&f, "rr", 3);
	for (unsigned i = 0; i < 4; i++)
		fix_params(&f, i, (struct sched_params){ 0 });
	f.e[0].affinity = 1ULL << 1;
	fix_wake(&f, 0, 0);
	cr_assert_eq(f.e[0].cpu, 1, "only cpu 1 allowed");
	fix_wake(&f, 1, 0);
	cr_assert_eq(f.e[1].cpu, 0, "cpu 0 is idle and first");
	fix_wake(&f, 2, 0);
	cr_assert_eq(f.e[2].cpu, 2);
	f.e[3].affinity = (1ULL << 1) | (1ULL << 2);
	fix_wake(&f, 3, 0);
	cr_assert_eq(f.e[3].cpu, 1, "equal load: the lowest allowed id");
}

Test(core, an_idle_cpu_steals_a_waiting_entity_it_may_run)
{
	struct fix f;

	fix_init(&f, "rr", 2);
	for (unsigned i = 0; i < 3; i++) {
		fix_params(&f, i, (struct sched_params){ 0 });
		f.e[i].affinity = 1; /* all start on cpu 0 */
		fix_wake(&f, i, 0);
	}
	f.e[2].affinity = 3; /* may move */
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(fix_run(&f, 1, 0), 2, "cpu 1 takes the only entity allowed there");
	cr_assert_eq(f.e[2].cpu, 1);
	cr_assert_eq(f.rq[0].nqueued, 1);
	cr_assert_eq(fix_run(&f, 1, 10), 2, "nothing else may move: it keeps running");
}

Test(core, yield_puts_the_entity_behind_the_others)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	fix_params(&f, 0, (struct sched_params){ 0 });
	fix_params(&f, 1, (struct sched_params){ 0 });
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(sched_yield_cpu(&f.s, 0, 10), 0);
	cr_assert_eq(fix_run(&f, 0, 10), 1);
	cr_assert_eq(f.rq[0].switches, 2);
}

Test(core, changing_params_of_a_queued_entity_requeues_it)
{
	struct fix f;

	fix_init(&f, "prio", 1);
	fix_params(&f, 0, (struct sched_params){ .priority = 5 });
	fix_params(&f, 1, (struct sched_params){ .priority = 6 });
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	fix_params(&f, 1, (struct sched_params){ .priority = 1 });
	cr_assert_eq(fix_run(&f, 0, 0), 1);
	cr_assert_eq(f.rq[0].nqueued, 1);
}

Test(core, remove_takes_a_waiting_entity_off_its_queue_and_leaves_the_running_one)
{
	struct fix f;

	fix_init(&f, "rr", 1);
	fix_params(&f, 0, (struct sched_params){ 0 });
	fix_params(&f, 1, (struct sched_params){ 0 });
	fix_wake(&f, 0, 0);
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	cr_assert_eq(sched_remove(&f.s, &f.e[0], 10, false), E_INVAL, "entity 0 runs");
	cr_assert_eq(sched_remove(&f.s, &f.e[1], 10, false), 0);
	cr_assert_eq(f.e[1].state, SCHED_BLOCKED);
	cr_assert_eq(f.rq[0].nqueued, 0);
	cr_assert_eq(sched_yield_cpu(&f.s, 0, 20), 0);
	cr_assert_eq(fix_run(&f, 0, 20), 0, "the removed entity is not picked");
	fix_wake(&f, 1, 30);
	cr_assert_eq(sched_remove(&f.s, &f.e[1], 40, true), 0);
	cr_assert_eq(f.e[1].state, SCHED_DEAD);
	cr_assert_eq(sched_remove(&f.s, &f.e[1], 50, true), E_INVAL, "dead already");
	cr_assert_eq(sched_remove(&f.s, &f.e[2], 50, false), 0, "a new entity just blocks");
	cr_assert_eq(f.e[2].state, SCHED_BLOCKED);
}

/* sched_handoff (the IPC fast path's direct switch): entity 0 runs on CPU 0, entity 1 is
 * blocked; entity 2, when `queued`, waits on CPU 0's queue.  Returns sched_handoff's result. */
static int
handoff_setup(struct fix *f, const char *policy, unsigned p1, unsigned p2, bool queued)
{
	fix_init(f, policy, 1);
	fix_params(f, 0, (struct sched_params){ .priority = 5 });
	fix_params(f, 1, (struct sched_params){ .priority = p1 });
	fix_params(f, 2, (struct sched_params){ .priority = p2 });
	fix_wake(f, 1, 0);
	cr_assert_eq(fix_run(f, 0, 0), 1);
	cr_assert_eq(sched_block(&f->s, 0, 5, false), 0);
	fix_wake(f, 0, 5);
	cr_assert_eq(fix_run(f, 0, 5), 0);
	if (queued)
		fix_wake(f, 2, 5);
	return sched_handoff(&f->s, 0, 10, &f->e[1], NULL);
}

/* The given policies here; stride and edf (lab 4's exercises) in their own files. */
Test(handoff, with_nothing_queued_the_partner_runs_at_once_under_every_given_policy)
{
	fix_handoff_alone("rr");
	fix_handoff_alone("prio");
	fix_handoff_alone("mlfq");
}

Test(handoff, rr_never_passes_a_queued_entity)
{
	struct fix f;

	cr_assert_eq(handoff_setup(&f, "rr", 5, 5, true), E_AGAIN);
	cr_assert_eq(f.rq[0].curr, &f.e[0], "nothing changed");
	cr_assert_eq(f.e[1].state, SCHED_BLOCKED);
	cr_assert_eq(f.rq[0].nqueued, 1);
	cr_assert_eq(handoff_setup(&f, "rr", 5, 5, false), 0);
}

Test(handoff, prio_passes_only_less_urgent_queued_entities)
{
	struct fix f;

	cr_assert_eq(handoff_setup(&f, "prio", 5, 3, true), E_AGAIN, "a more urgent one waits");
	cr_assert_eq(f.rq[0].curr, &f.e[0]);
	cr_assert_eq(f.e[1].state, SCHED_BLOCKED);
	cr_assert_eq(handoff_setup(&f, "prio", 5, 5, true), E_AGAIN, "an equal one came first");
	cr_assert_eq(handoff_setup(&f, "prio", 5, 7, true), 0, "a less urgent one waits on");
	cr_assert_eq(f.rq[0].curr, &f.e[1]);
	cr_assert_eq(f.rq[0].nqueued, 1);
	cr_assert_eq(fix_run(&f, 0, 20), 1);
}

Test(handoff, a_partner_not_allowed_here_or_not_blocked_is_refused)
{
	struct fix f;

	fix_init(&f, "rr", 2);
	fix_params(&f, 0, (struct sched_params){ 0 });
	fix_params(&f, 1, (struct sched_params){ 0 });
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	f.e[1].state = SCHED_BLOCKED;
	f.e[1].affinity = 1u << 1;
	cr_assert_eq(sched_handoff(&f.s, 0, 10, &f.e[1], NULL), E_INVAL);
	f.e[1].affinity = ~0ull;
	f.e[1].state = SCHED_RUNNABLE;
	cr_assert_eq(sched_handoff(&f.s, 0, 10, &f.e[1], NULL), E_INVAL);
	cr_assert_eq(sched_handoff(&f.s, 1, 10, &f.e[1], NULL), E_INVAL, "cpu 1 runs nothing");
	cr_assert_eq(f.rq[0].curr, &f.e[0]);
}
