/* Unit tests of global EDF's push and pull (kern/sched/gedf.c) on two CPUs: a woken job
 * goes where the latest deadline runs, and a CPU choosing its next job takes the globally
 * earliest, even when a later one waits in its own queue. */
#include "schedfix.h"

static void
job(struct fix *f, unsigned i, uint64_t d)
{
	fix_params(f, i, (struct sched_params){ .period = d });
}

Test(gedf, a_woken_job_preempts_the_cpu_running_the_latest_deadline)
{
	struct fix f;

	fix_init(&f, "gedf", 2);
	job(&f, 0, 50 * MS);
	job(&f, 1, 90 * MS);
	job(&f, 2, 60 * MS);
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	f.e[1].cpu = 1;
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 1, 0), 1);
	cr_assert(fix_wake(&f, 2, 0), "60 ms preempts the job due at 90 ms");
	cr_assert_eq(f.e[2].cpu, 1);
	cr_assert_eq(fix_run(&f, 1, 0), 2);
}

Test(gedf, a_cpu_pulls_the_globally_earliest_job_before_its_own)
{
	struct fix f;

	fix_init(&f, "gedf", 2);
	job(&f, 0, 50 * MS); /* X on CPU 0 */
	job(&f, 1, 60 * MS); /* Y on CPU 1 */
	job(&f, 2, 65 * MS); /* R waits on CPU 1 */
	job(&f, 3, 90 * MS); /* N lands on CPU 0 once X is gone */
	fix_wake(&f, 0, 0);
	cr_assert_eq(fix_run(&f, 0, 0), 0);
	f.e[1].cpu = 1;
	fix_wake(&f, 1, 0);
	cr_assert_eq(fix_run(&f, 1, 0), 1);
	cr_assert(!fix_wake(&f, 2, 0));
	cr_assert_eq(f.e[2].cpu, 1, "queued behind the later of the two running");
	cr_assert_eq(sched_block(&f.s, 0, MS, false), 0);
	fix_wake(&f, 3, MS);
	cr_assert_eq(f.e[3].cpu, 0, "the idle CPU");
	cr_assert_eq(fix_run(&f, 0, MS), 2, "R (due at 65 ms) before N (due at 91 ms)");
	cr_assert_eq(f.e[2].cpu, 0);
	cr_assert_eq(f.rq[0].nqueued, 1);
}

/* A yield ends the job: the next one's deadline is a period later, behind a job due sooner
 * (without it a task polling with yields would keep its passed deadline and starve others). */
Test(gedf, a_yield_ends_the_job_and_the_next_is_due_a_period_later)
{
	const char *pol[2] = { "gedf", "pedf_ff" };

	for (unsigned k = 0; k < 2; k++) {
		struct fix f;

		fix_init(&f, pol[k], 1);
		job(&f, 0, 10 * MS);
		job(&f, 1, 15 * MS);
		fix_wake(&f, 0, 0);
		fix_wake(&f, 1, 0);
		cr_assert_eq(fix_run(&f, 0, 0), 0);
		cr_assert_eq(sched_yield_cpu(&f.s, 0, MS), 0);
		cr_assert_eq(fix_run(&f, 0, MS), 1, "%s: due at 15 ms, before 20 ms", pol[k]);
	}
}
