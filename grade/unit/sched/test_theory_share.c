/* Theory tests for the time-sharing policies, on exosim with zero overheads: stride gives
 * CPU shares within 1% of the ticket ratios, rr equal shares, and mlfq keeps an interactive
 * task responsive beside CPU hogs while its boost keeps a hog from starving. */
#include <stdio.h>

#include "theoryfix.h"

static double
share(const struct met *met, unsigned task, unsigned ntasks)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < ntasks; i++)
		total += th_stats(met, i).runtime;
	return (double)th_stats(met, task).runtime / (double)total;
}

static const char hogs_json[] = "{ \"tasks\": {"
                                "  \"a\": { \"loop\": -1, \"tickets\": 100, \"run\": \"1s\" },"
                                "  \"b\": { \"loop\": -1, \"tickets\": 200, \"run\": \"1s\" },"
                                "  \"c\": { \"loop\": -1, \"tickets\": 700, \"run\": \"1s\" } } }";

Test(theory, stride_shares_are_within_1_percent_of_ticket_ratios)
{
	struct workload *w = th_load(hogs_json);
	struct met *met = th_run(w, "stride", 10 * TH_HZ, 1);
	double want[3] = { 0.1, 0.2, 0.7 };

	for (unsigned i = 0; i < 3; i++) {
		double got = share(met, i, 3);

		cr_assert(got > want[i] * 0.99 && got < want[i] * 1.01,
		          "task %u: share %.5f, want %.2f", i, got, want[i]);
	}
	met_free(met);
	wl_free(w);
}

Test(theory, rr_gives_cpu_bound_tasks_equal_shares)
{
	struct workload *w = th_load(hogs_json);
	struct met *met = th_run(w, "rr", 10 * TH_HZ, 1);

	for (unsigned i = 0; i < 3; i++) {
		double got = share(met, i, 3);

		cr_assert(got > 0.99 / 3 && got < 1.01 / 3, "task %u: share %.5f", i, got);
	}
	met_free(met);
	wl_free(w);
}

/* One interactive task (1 ms of CPU every 20 ms) beside three CPU hogs. */
static const char interactive_json[] =
    "{ \"tasks\": {"
    "  \"ui\":  { \"loop\": -1, \"run\": \"1ms\","
    "           \"timer\": { \"ref\": \"ui\", \"period\": \"20ms\" } },"
    "  \"h\":   { \"instance\": 3, \"loop\": -1, \"run\": \"1s\" } } }";

Test(theory, mlfq_keeps_an_interactive_task_responsive_beside_cpu_hogs)
{
	struct workload *w = th_load(interactive_json);
	struct met *mlfq = th_run(w, "mlfq", 2 * TH_HZ, 1);
	struct met *rr = th_run(w, "rr", 2 * TH_HZ, 1);
	struct met_task_stats m = th_stats(mlfq, 0), r = th_stats(rr, 0);

	cr_assert_str_eq(w->tasks[0].name, "ui");
	/* Rules 1-4: between boosts the hogs sink below it, so it runs on waking (1 ms);
	 * right after a boost it waits at most for three 2 ms top-level allotments. */
	cr_assert_eq(m.resp_p[0] <= TH_MS + TH_MS / 100, true, "median %llu",
	             (unsigned long long)m.resp_p[0]);
	cr_assert_leq(m.resp_max, 7 * TH_MS);
	/* Round robin makes it wait behind up to three 4 ms quanta. */
	cr_assert_gt(r.resp_max, 10 * TH_MS);
	met_free(mlfq);
	met_free(rr);
	wl_free(w);
}

/* Twenty short sleepers ask for 120% of the CPU and stay in the upper levels; a hog that
 * has sunk to the bottom runs only because every boost lifts it back to the top. */
static const char starvation_json[] =
    "{ \"tasks\": {"
    "  \"hog\": { \"loop\": -1, \"run\": \"1s\" },"
    "  \"s\":   { \"instance\": 20, \"loop\": -1, \"run\": \"600us\", \"sleep\": \"9400us\" } } }";

Test(theory, mlfq_boost_prevents_starvation_of_a_cpu_bound_task)
{
	struct workload *w = th_load(starvation_json);
	struct met *met = th_run(w, "mlfq", 2 * TH_HZ, 1);
	struct met_task_stats hog = th_stats(met, 0);

	cr_assert_str_eq(w->tasks[0].name, "hog");
	/* 19 boosts after the first 100 ms, each worth at least a top-level allotment. */
	cr_assert_geq(hog.runtime, 19 * 2 * TH_MS, "hog ran %llu cycles",
	              (unsigned long long)hog.runtime);
	met_free(met);
	wl_free(w);
}
