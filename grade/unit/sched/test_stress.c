/* Seeded stress test of every policy on exosim: random task sets (periodic servers with and
 * without budgets, closed loops with sleeps, I/O and yields, open-loop Poisson streams),
 * under- and overloaded, on 1-4 hardware threads with random costs and ticks.  Every run
 * must end (the no-progress watchdog never trips) and keep the basic invariants, read back
 * from its trace: a CPU runs one thing at a time, a task runs on one CPU at a time, and no
 * CPU is busy for longer than the run. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "rng/rng.h"
#include "theoryfix.h"

#define ST_SEED      20240605
#define ST_SETS      64
#define ST_DURATION  (200 * TH_MS)
#define ST_MAX_TASKS 7

static const char *const policies[] = { "rr",      "prio",   "mlfq", "stride", "edf",    "gedf",
	                                "pedf_ff", "pfp_wf", "cfs",  "eevdf",  "lottery" };
#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))

static uint64_t
pick(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* A random affinity: all CPUs mostly, sometimes a non-empty subset. */
static void
emit_cpus(FILE *f, struct rng *r, unsigned ncpus)
{
	uint64_t mask = pick(r, 1, (1ULL << ncpus) - 1);
	bool first = true;

	if (ncpus == 1 || rng_below(r, 3))
		return;
	fprintf(f, ", \"cpus\": [");
	for (unsigned c = 0; c < ncpus; c++) {
		if ((mask >> c) & 1) {
			fprintf(f, "%s%u", first ? "" : ", ", c);
			first = false;
		}
	}
	fprintf(f, "]");
}

/* A periodic server: run about `load` of its period per job (so more than its budget or
 * period when overloaded), then a timer.  Each emit_ returns the share of a CPU offered. */
static double
emit_periodic(FILE *f, struct rng *r, unsigned i, double load)
{
	static const unsigned periods_ms[] = { 2, 3, 5, 7, 10, 13, 20 };
	uint64_t p = periods_ms[rng_below(r, 7)] * 1000, d = p, c;
	uint64_t run = (uint64_t)(p * load * (0.5 + rng_unit(r))) + 1;

	if (rng_below(r, 2))
		d = pick(r, p / 2, p);
	fprintf(f, "\"p%u\": {\"period\": \"%lluus\", \"deadline\": \"%lluus\"", i,
	        (unsigned long long)p, (unsigned long long)d);
	if (rng_below(r, 2)) {
		c = pick(r, d / 4, d);
		fprintf(f, ", \"budget\": \"%lluus\"", (unsigned long long)c);
	}
	fprintf(f, ", \"run\": {\"uniform\": [\"%lluus\", \"%lluus\"]}",
	        (unsigned long long)run / 2, (unsigned long long)run);
	fprintf(f, ", \"timer\": {\"ref\": \"t%u\", \"period\": \"%lluus\", \"mode\": \"%s\"}", i,
	        (unsigned long long)p, rng_below(r, 2) ? "absolute" : "relative");
	return fmin(0.75 * run / p, 1.0);
}

/* A closed loop: run, then sleep or I/O, sometimes a yield; sometimes a server too. */
static double
emit_closed(FILE *f, struct rng *r, unsigned i, double load)
{
	uint64_t run = pick(r, 50, 4000);
	uint64_t wait = (uint64_t)(run * (1.0 - fmin(load, 0.95)) / fmax(load, 0.05)) + 1;

	fprintf(f, "\"c%u\": {\"run\": \"%lluus\"", i, (unsigned long long)run);
	if (rng_below(r, 2))
		fprintf(f, ", \"sleep\": \"%lluus\"", (unsigned long long)wait);
	else
		fprintf(f, ", \"io\": {\"exp\": \"%lluus\"}", (unsigned long long)wait);
	if (rng_below(r, 3) == 0)
		fprintf(f, ", \"yield\": 0, \"run1\": \"%lluus\"", (unsigned long long)run / 3 + 1);
	if (rng_below(r, 2))
		fprintf(f, ", \"period\": \"%lluus\", \"budget\": \"%lluus\"",
		        (unsigned long long)(2 * run),
		        (unsigned long long)pick(r, run / 4 + 1, 2 * run));
	return (double)run / (run + wait);
}

/* An open-loop Poisson stream offering about `load` of a CPU. */
static double
emit_open(FILE *f, struct rng *r, unsigned i, double load)
{
	uint64_t service = pick(r, 20, 2000);
	double rate = fmax(load, 0.02) * 1e6 / service;

	fprintf(f, "\"o%u\": {\"arrival\": {\"poisson\": %.3f}, \"run\": {\"exp\": \"%lluus\"}", i,
	        rate, (unsigned long long)service);
	if (rng_below(r, 2))
		fprintf(f, ", \"deadline\": \"%lluus\"",
		        (unsigned long long)(service * pick(r, 2, 20)));
	return rate * service / 1e6;
}

/* Set k: a workload of 1..ST_MAX_TASKS tasks offering about 0.2 to 1.6 times the CPUs
 * (*offered: the CPUs' worth of work they ask for, each task at most one). */
static struct workload *
random_set(struct rng *r, unsigned ncpus, unsigned k, double *offered)
{
	struct wl_env env = { .hz = TH_HZ, .ncpus = ncpus };
	unsigned n = (unsigned)pick(r, 1, ST_MAX_TASKS);
	double load = ncpus * (0.2 + 1.4 * rng_unit(r)) / n;
	char *buf = NULL, name[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct workload *w;
	struct wl_error err;

	cr_assert_not_null(f);
	*offered = 0;
	fprintf(f, "{\"tasks\": {");
	for (unsigned i = 0; i < n; i++) {
		unsigned kind = (unsigned)rng_below(r, 3);

		fprintf(f, "%s", i ? ",\n" : "");
		if (kind == 0)
			*offered += emit_periodic(f, r, i, load);
		else if (kind == 1)
			*offered += emit_closed(f, r, i, load);
		else
			*offered += fmin(emit_open(f, r, i, load), 1.0);
		fprintf(f, ", \"priority\": %d, \"tickets\": %llu", (int)pick(r, 0, 30) - 5,
		        (unsigned long long)pick(r, 1, 1000));
		emit_cpus(f, r, ncpus);
		fprintf(f, "}");
	}
	fprintf(f, "}}");
	cr_assert_eq(fclose(f), 0);
	snprintf(name, sizeof(name), "stress%u.json", k);
	cr_assert_eq(wl_load_buffer(buf, len, name, &env, &w, &err), 0, "set %u: %s\n%s", k,
	             err.msg, buf);
	free(buf);
	return w;
}

/* A machine of 1-4 threads (SMT pairs sometimes), zero or random costs, a tick or none. */
static struct sim_machine
random_machine(struct rng *r)
{
	struct sim_machine m = th_machine((unsigned)pick(r, 1, 4));

	snprintf(m.name, sizeof(m.name), "stress");
	if (m.ncpus % 2 == 0 && rng_below(r, 2)) {
		m.threads_per_core = 2;
		m.cores = m.ncpus / 2;
	}
	if (rng_below(r, 2)) {
		m.tick_period = TH_HZ / (rng_below(r, 2) ? 1000 : 250);
		m.tickless = rng_below(r, 1ULL << m.ncpus);
	}
	if (rng_below(r, 3)) {
		static const uint64_t max[SIM_COST_N] = { 200, 3000, 5000, 500, 800, 300 };

		for (unsigned c = 0; c < SIM_COST_N; c++)
			m.cost[c] = pick(r, 0, max[c]);
	}
	return m;
}

struct slice {
	uint64_t start, end;
	long task; /* -1: an overhead */
};

static int
by_start(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Sorts s[0..n) and asserts that no two overlap; returns their total length. */
static uint64_t
disjoint(struct slice *s, size_t n, const char *what, unsigned id, const char *ctx)
{
	uint64_t total = 0;

	qsort(s, n, sizeof(*s), by_start);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			cr_assert_geq(s[i].start, s[i - 1].end,
			              "%s: %s %u runs [%llu, %llu) and [%llu, %llu) at once", ctx,
			              what, id, (unsigned long long)s[i - 1].start,
			              (unsigned long long)s[i - 1].end,
			              (unsigned long long)s[i].start, (unsigned long long)s[i].end);
		total += s[i].end - s[i].start;
	}
	return total;
}

static uint64_t
ns_of(json_t *v)
{
	return (uint64_t)llround(json_number_value(v) * 1000.0); /* µs -> ns = cycles at 1 GHz */
}

/* Reads the trace's slices of CPU `cpu` (task < 0) or of task `task` (every CPU), from the
 * machine's tracks (process 1; process 2 holds the per-task state tracks). */
static size_t
slices_of(json_t *events, long cpu, long task, bool overheads, struct slice *out, size_t max)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(events, i, e)
	{
		const char *cat = json_string_value(json_object_get(e, "cat"));
		long tid = (long)json_integer_value(json_object_get(e, "tid")) - 1;
		long t = -1;
		bool run = cat && !strcmp(cat, "run");

		if (json_integer_value(json_object_get(e, "pid")) != 1 || !cat ||
		    (!run && !overheads) || (cpu >= 0 && tid != cpu))
			continue;
		if (run)
			t = (long)json_integer_value(
			    json_object_get(json_object_get(e, "args"), "task"));
		if (task >= 0 && t != task)
			continue;
		cr_assert_lt(n, max);
		out[n].start = ns_of(json_object_get(e, "ts"));
		out[n].end = out[n].start + ns_of(json_object_get(e, "dur"));
		out[n].task = t;
		n += out[n].end > out[n].start; /* an empty slice overlaps nothing */
	}
	return n;
}

static void
check_invariants(FILE *trace, const struct met *met, const struct sim_machine *m,
                 const struct workload *w, const char *ctx)
{
	size_t cap, n;
	struct slice *s;
	json_error_t jerr;
	json_t *doc, *events;
	uint64_t busy = 0, runtime = 0;

	rewind(trace);
	doc = json_loadf(trace, 0, &jerr);
	cr_assert_not_null(doc, "%s: trace: %s", ctx, jerr.text);
	events = json_object_get(doc, "traceEvents");
	cap = json_array_size(events);
	s = malloc((cap + 1) * sizeof(*s));
	cr_assert_not_null(s);
	for (unsigned c = 0; c < m->ncpus; c++) {
		uint64_t cpu_busy = 0;

		n = slices_of(events, c, -1, false, s, cap);
		for (size_t i = 0; i < n; i++) {
			cr_assert_leq(s[i].end, ST_DURATION, "%s: cpu %u runs past the end", ctx,
			              c);
			cpu_busy += s[i].end - s[i].start;
		}
		cr_assert_eq(cpu_busy, met_cpu_busy(met, c), "%s: cpu %u busy time", ctx, c);
		cr_assert_leq(cpu_busy, ST_DURATION, "%s: cpu %u busier than the run is long", ctx,
		              c);
		busy += cpu_busy;
		n = slices_of(events, c, -1, true, s, cap);
		disjoint(s, n, "cpu", c, ctx);
	}
	for (unsigned t = 0; t < w->ntasks; t++) {
		uint64_t ran;

		n = slices_of(events, -1, t, false, s, cap);
		ran = disjoint(s, n, "task", t, ctx);
		cr_assert_eq(th_stats(met, t).runtime, ran, "%s: task %u run time", ctx, t);
		runtime += ran;
	}
	cr_assert_eq(runtime, busy, "%s: tasks ran exactly as long as the CPUs were busy", ctx);
	cr_assert_leq(busy, (uint64_t)m->ncpus * ST_DURATION);
	json_decref(doc);
	free(s);
}

static void
run_one(const struct sim_machine *m, const struct workload *w, const char *policy, unsigned k)
{
	FILE *trace = tmpfile();
	struct met *met;
	struct met_end end = { .cycles = ST_DURATION };
	char err[512], ctx[160];
	int r;

	cr_assert_not_null(trace);
	snprintf(ctx, sizeof(ctx), "set %u, policy %s, %u cpus", k, policy, m->ncpus);
	r = th_try_run(m, w, sched_policy_find(policy), ST_DURATION, k, trace, &met, err,
	               sizeof(err));
	cr_assert_eq(r, 0, "%s: the run ends: %s", ctx, err);
	cr_assert_eq(met_finish(met, &end), 0);
	check_invariants(trace, met, m, w, ctx);
	met_free(met);
	fclose(trace);
}

Test(stress, every_policy_ends_random_task_sets_on_1_to_4_cpus_keeping_invariants, .timeout = 600)
{
	unsigned overloaded = 0;

	for (unsigned k = 0; k < ST_SETS; k++) {
		struct rng r;
		struct sim_machine m;
		struct workload *w;
		double offered;

		rng_stream(&r, ST_SEED, "stress-set", k);
		m = random_machine(&r);
		w = random_set(&r, m.ncpus, k, &offered);
		overloaded += offered > m.ncpus;
		for (unsigned p = 0; p < NPOLICIES; p++)
			run_one(&m, w, policies[p], k);
		wl_free(w);
	}
	cr_assert_geq(overloaded, ST_SETS / 5, "the sets include overloaded ones");
	cr_assert_leq(overloaded, ST_SETS * 4 / 5, "and underloaded ones");
}
