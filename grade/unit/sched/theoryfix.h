/* Fixture for the tests that run exosim's engine in-process (theory, progress, stress):
 * by default on an ideal one-CPU, 1 GHz machine with every cost zero and no periodic tick
 * (th_run), or on any machine (th_try_run); and per-task stats. */
#ifndef THEORYFIX_H
#define THEORYFIX_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "machine/run.h"

#define TH_HZ 1000000000ULL
#define TH_MS (TH_HZ / 1000)

static inline struct sim_machine
th_machine(unsigned ncpus)
{
	struct sim_machine m = {
		.name = "ideal", .hz = TH_HZ, .cores = ncpus, .threads_per_core = 1, .ncpus = ncpus
	};
	return m;
}

static const struct wl_env th_env = { .hz = TH_HZ, .ncpus = 1 };

/* Runs `w` under `policy` on `m` for `duration` cycles, streaming the Chrome trace to
 * `trace` when it is not NULL.  Returns sim_run's result (its message in err) and the
 * metrics in *out, which the caller frees whatever the result. */
static inline int
th_try_run(const struct sim_machine *m, const struct workload *w, const struct sched_policy *policy,
           uint64_t duration, uint64_t seed, FILE *trace, struct met **out, char *err,
           size_t errlen)
{
	const char **names = calloc(w->ntasks, sizeof(*names));
	struct sim_result res;
	int r;

	cr_assert_not_null(names);
	cr_assert_not_null(policy);
	for (uint32_t i = 0; i < w->ntasks; i++)
		names[i] = w->tasks[i].name;
	struct met_config mc = {
		.hz = m->hz,
		.ncpus = m->ncpus,
		.ntasks = w->ntasks,
		.task_names = names,
		.machine = m->name,
		.policy = policy->name,
		.workload = w->name,
		.seed = seed,
		.trace = trace,
	};
	struct sim_options o = {
		.machine = m, .policy = policy, .workload = w, .seed = seed, .duration = duration
	};

	cr_assert_eq(met_init(out, &mc), 0);
	o.met = *out;
	r = sim_run(&o, &res, err, errlen);
	free(names);
	return r;
}

/* Runs `w` under `policy` on the ideal CPU for `duration` cycles; the caller frees the
 * result. */
static inline struct met *
th_run(const struct workload *w, const char *policy, uint64_t duration, uint64_t seed)
{
	struct sim_machine m = th_machine(1);
	struct met *met;
	char err[512];

	cr_assert_eq(th_try_run(&m, w, sched_policy_find(policy), duration, seed, NULL, &met, err,
	                        sizeof(err)),
	             0, "sim_run: %s", err);
	return met;
}

static inline struct met_task_stats
th_stats(const struct met *met, unsigned task)
{
	struct met_task_stats st;

	cr_assert_eq(met_task_stats(met, task, &st), 0);
	return st;
}

static inline struct workload *
th_load(const char *json)
{
	struct workload *w;
	struct wl_error err;

	cr_assert_eq(wl_load_buffer(json, strlen(json), "theory.json", &th_env, &w, &err), 0, "%s",
	             err.msg);
	return w;
}

#endif
