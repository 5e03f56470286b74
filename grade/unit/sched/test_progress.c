/* Simulated time always advances: the EDF run that once stopped it (a budget exhausted
 * after the server's period had ended) now finishes with the job and miss counts
 * worked out by hand, and exosim's watchdog stops a policy that never lets time advance
 * with an error naming the policy and the cycle, instead of spinning forever. */
#include "theoryfix.h"

/* The workload file beside this test: one CPU, two servers whose jobs (9 ms) overrun their
 * budgets (a: D = P = 10 ms, C = 8 ms; b: D = 7 ms, P = 13 ms, C = 7 ms).  By hand: b runs
 * 0-7 ms and is throttled until 13 ms; a runs 7-15 ms and exhausts its budget at 15 ms,
 * after its period ended at 10 ms.  That instant used to spin: a was "throttled until"
 * 10 ms, picked again with no budget, and asked to give up the CPU again, forever. */
static struct workload *
late_exhaustion(void)
{
	struct workload *w;
	struct wl_error err;

	cr_assert_eq(
	    wl_load_file(SCHEDTEST_SRC "/workloads/edf_late_exhaustion.json", &th_env, &w, &err), 0,
	    "%s", err.msg);
	return w;
}

Test(progress, edf_budget_exhausted_after_its_period_ended_does_not_stop_time)
{
	struct workload *w = late_exhaustion();
	struct met *met = th_run(w, "edf", w->duration, 0);
	struct met_task_stats a = th_stats(met, 0), b = th_stats(met, 1);

	cr_assert_str_eq(w->tasks[0].name, "a");
	cr_assert_eq(w->duration, 1000 * TH_MS);
	/* At 15 ms a gets a new period at once (deadline 25 ms, budget 8 ms); b (deadline
	 * 20 ms, released at 13 ms) preempts it, finishes its first job at 17 ms, and a
	 * finishes its first at 23 ms: 23 ms is a's worst response, the later ones 16 ms. */
	cr_assert_eq(a.resp_max, 23 * TH_MS, "a's first job ends at 23 ms");
	cr_assert_eq(a.resp_min, 16 * TH_MS);
	/* Both servers overrun every job, so every finished job misses: 59 + 52 finished in
	 * the closed horizon [0, 1 s] (a's 59th at exactly 1 s), and each task has a job cut
	 * off whose deadline lies after the end (a's released at 1 s, b's at 996 ms), so
	 * unfinished but not missed. */
	cr_assert_eq(a.jobs, 59);
	cr_assert_eq(a.misses, 59, "every finished job misses");
	cr_assert_eq(a.unfinished, 1);
	cr_assert_eq(b.jobs, 52);
	cr_assert_eq(b.misses, 52, "the unfinished job's deadline is after the end");
	cr_assert_eq(b.unfinished, 1);
	cr_assert_eq(met_cpu_busy(met, 0), 1000 * TH_MS, "work conserving: never idle");
	met_free(met);
	wl_free(w);
}

/* A broken policy for the watchdog: round robin whose tick() from STORM_AT on always asks
 * for a reschedule, so the core picks the same entity again at the same instant. */
#define STORM_AT (5 * TH_MS)

static bool
storm_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	return rq->now >= STORM_AT;
}

static uint64_t
storm_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return rq->now < STORM_AT ? STORM_AT - rq->now : 0;
}

Test(progress, the_watchdog_stops_a_policy_that_never_lets_time_advance)
{
	struct sched_policy storm = *sched_policy_find("rr");
	struct sim_machine m = th_machine(1);
	struct workload *w = th_load("{\"tasks\": {\"t\": {\"run\": \"1s\"}}}");
	struct met *met;
	char err[512];
	int r;

	storm.name = "storm";
	storm.tick = storm_tick;
	storm.slice_left = storm_slice_left;
	r = th_try_run(&m, w, &storm, 100 * TH_MS, 0, NULL, &met, err, sizeof(err));
	cr_assert_eq(r, E_BUSY, "the run is stopped as a failure, not finished (%d: %s)", r, err);
	cr_assert(strstr(err, "no progress: under policy 'storm'"), "names the policy: %s", err);
	cr_assert(strstr(err, "at cycle 5000000 (0.005000000 s)"), "names the cycle: %s", err);
	met_free(met);
	wl_free(w);
}
