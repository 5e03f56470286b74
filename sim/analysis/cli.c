/* `exosim analyze --workload F --machine M --sched P`: per task the analytic bound and
 * verdict, then the set-level tests, and which of them decides for policy P. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "machine/run.h"

struct an_cli {
	const char *machine, *sched, *workload, *hw_dir;
	uint64_t seed;
	unsigned cpus;
	bool zero_costs;
};

static int
an_bad(const char *opt, const char *what)
{
	fprintf(stderr, "exosim analyze: %s: %s\n", opt, what);
	return 2;
}

static int
an_number(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	if (sim_parse_u64(s, out) < 0 || *out > max)
		return an_bad(opt, "must be a non-negative integer in range");
	return 0;
}

static int
an_parse(int argc, char **argv, struct an_cli *c)
{
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		const char **slot = !strcmp(o, "--machine")    ? &c->machine
		                    : !strcmp(o, "--sched")    ? &c->sched
		                    : !strcmp(o, "--workload") ? &c->workload
		                    : !strcmp(o, "--hw-dir")   ? &c->hw_dir
		                                               : NULL;
		uint64_t v;

		if (!strcmp(o, "--zero-costs")) {
			c->zero_costs = true;
			continue;
		}
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			printf(
			    "usage: exosim analyze --machine M --sched P --workload F [--cpus N] "
			    "[--seed N] [--zero-costs] [--hw-dir D]\n"
			    "Per task the analytic verdicts and bounds (RTA with and without the "
			    "machine's\noverheads, QPA, Liu-Layland, hyperbolic, GFB): "
			    "docs/sim-research.md.\n");
			return -1;
		}
		if (!slot && strcmp(o, "--seed") && strcmp(o, "--cpus")) {
			fprintf(stderr,
			        "exosim analyze: %s: unknown option\nusage: exosim analyze "
			        "--machine M --sched P --workload F [--cpus N] [--seed N] "
			        "[--zero-costs] [--hw-dir D]\n",
			        o);
			return 2;
		}
		if (i + 1 >= argc)
			return an_bad(o, "needs a value");
		if (slot) {
			*slot = argv[++i];
		} else if (!strcmp(o, "--seed")) {
			if (an_number(o, argv[++i], UINT64_MAX, &c->seed))
				return 2;
		} else if (an_number(o, argv[++i], SIM_MAX_CPUS, &v) || v == 0) {
			return an_bad(o, "must be an integer 1..64");
		} else {
			c->cpus = (unsigned)v;
		}
	}
	if (!c->machine || !c->sched || !c->workload)
		return an_bad(!c->machine ? "--machine"
		              : !c->sched ? "--sched"
		                          : "--workload",
		              "missing");
	return 0;
}

static double
us(uint64_t cycles, uint64_t hz)
{
	return (double)cycles * 1e6 / (double)hz;
}

static void
print_tasks(const struct an_set *s, const struct sim_machine *m, const struct an_cost *k)
{
	printf("%-12s %4s %5s %12s %12s %12s %7s %14s %14s  %s\n", "task", "cpu", "level", "C(us)",
	       "T(us)", "D(us)", "U", "R0(us)", "R(us,ovh)", "RTA verdict");
	for (unsigned i = 0; i < s->n; i++) {
		const struct an_task *t = &s->task[i];
		uint64_t r0, r1;

		if (t->why) {
			printf("%-12s not analysable: %s\n", t->name, t->why);
			continue;
		}
		if (t->cpu < 0) { /* uniprocessor RTA says nothing about a global schedule */
			printf("%-12s %4s %5u %12.3f %12.3f %12.3f %7.4f %14s %14s  %s\n", t->name,
			       "any", t->level, us(t->c, m->hz), us(t->t, m->hz), us(t->d, m->hz),
			       (double)t->c / (double)t->t, "-", "-", "global: see GFB");
			continue;
		}
		r0 = an_rta(s, i, NULL);
		r1 = an_rta(s, i, k);
		printf("%-12s %4d %5u %12.3f %12.3f %12.3f %7.4f ", t->name, t->cpu, t->level,
		       us(t->c, m->hz), us(t->t, m->hz), us(t->d, m->hz),
		       (double)t->c / (double)t->t);
		if (r0)
			printf("%14.3f ", us(r0, m->hz));
		else
			printf("%14s ", "> D");
		if (r1)
			printf("%14.3f ", us(r1, m->hz));
		else
			printf("%14s ", "> D");
		printf(" %s\n", !r0  ? "unschedulable"
		                : r1 ? "schedulable"
		                     : "only without overheads");
	}
}

/* The uniprocessor tests on one partition (tasks pinned to `cpu`). */
static bool
print_partition(const struct an_set *s, int cpu, bool fp, uint64_t hz)
{
	unsigned n = 0;
	double u = an_util(s, cpu), hyp = an_hyperbolic(s, cpu);
	uint64_t fail;
	bool edf = an_edf_qpa(s, cpu, &fail), rta = true;

	for (unsigned i = 0; i < s->n; i++) {
		if (s->task[i].cpu != cpu || s->task[i].why)
			continue;
		n++;
		rta = rta && an_rta(s, i, NULL) != 0;
	}
	printf("cpu %d: %u tasks, U = %.4f\n", cpu, n, u);
	printf("  Liu-Layland bound %.4f: %s (sufficient, RM, D = T)\n", an_ll_bound(n),
	       u <= an_ll_bound(n) ? "schedulable" : "inconclusive");
	printf("  hyperbolic prod(U_i+1) = %.4f <= 2: %s (sufficient, RM, D = T)\n", hyp,
	       hyp <= 2.0 ? "schedulable" : "inconclusive");
	printf("  fixed priority RTA (exact, zero overhead): %s\n",
	       rta ? "schedulable" : "unschedulable");
	if (edf)
		printf("  EDF processor demand, QPA (exact, D <= T): schedulable\n");
	else if (fail == UINT64_MAX)
		printf("  EDF processor demand, QPA (exact, D <= T): unschedulable (U > 1)\n");
	else
		printf("  EDF processor demand, QPA (exact, D <= T): unschedulable (h(t) > t at "
		       "t = %.3f us)\n",
		       us(fail, hz));
	return fp ? rta : edf;
}

static int
an_report(const struct an_cli *c, const struct sim_machine *m, const struct an_set *s)
{
	struct an_cost k = an_cost_of(m);
	bool fp = !strcmp(c->sched, "prio"), all_pinned = true, ok = true;
	double lhs, rhs;
	bool gfb = an_gedf_gfb(s, m->ncpus, &lhs, &rhs);

	printf("exosim analyze: machine %s (%u cpus; switch %llu, tick %llu every %llu cycles), "
	       "policy %s, workload %s\n",
	       m->name, m->ncpus, (unsigned long long)k.cs, (unsigned long long)k.tick,
	       (unsigned long long)k.tick_period, c->sched, c->workload);
	print_tasks(s, m, &k);
	for (unsigned i = 0; i < s->n; i++)
		all_pinned = all_pinned && s->task[i].cpu >= 0;
	for (unsigned cpu = 0; cpu < m->ncpus && all_pinned; cpu++)
		ok = print_partition(s, (int)cpu, fp, m->hz) && ok;
	if (!all_pinned)
		printf(
		    "global (tasks not pinned to one cpu): the uniprocessor tests do not apply\n");
	printf("global EDF on %u cpus, GFB: density %.4f <= %.4f: %s (sufficient)\n", m->ncpus, lhs,
	       rhs, gfb ? "schedulable" : "inconclusive");
	if (!s->ok)
		printf("verdict for %s: some tasks are not analysable\n", c->sched);
	else if (!all_pinned)
		printf("verdict for %s: %s\n", c->sched,
		       gfb ? "schedulable under global EDF (GFB)" : "no exact test applies");
	else if (fp || !strcmp(c->sched, "edf"))
		printf("verdict for %s: %s (exact, zero overhead)\n", c->sched,
		       ok ? "schedulable" : "unschedulable");
	else
		printf("verdict for %s: no analysis for this policy\n", c->sched);
	return 0;
}

int
an_cmd_analyze(int argc, char **argv)
{
	struct an_cli c = { 0 };
	char buf[4096], err[1024];
	struct sim_machine m;
	struct workload *w = NULL;
	struct wl_error werr;
	struct an_set s;
	int rc = an_parse(argc, argv, &c);

	if (rc)
		return rc < 0 ? 0 : rc; /* -1: --help printed */
	if (sim_machine_load(sim_machine_hw_dir(c.hw_dir, buf, sizeof(buf)), c.machine, &m, err,
	                     sizeof(err)) < 0) {
		fprintf(stderr, "exosim analyze: %s\n", err);
		return 2;
	}
	if (c.cpus && sim_machine_limit_cpus(&m, c.cpus) < 0)
		return an_bad("--cpus", "more hardware threads than the machine has");
	if (c.zero_costs)
		memset(m.cost, 0, sizeof(m.cost));
	if (!sched_policy_find(c.sched))
		return an_bad("--sched", "unknown policy (see exosim list)");
	struct wl_env env = { .hz = m.hz, .ncpus = m.ncpus };
	if (wl_open(c.workload, &env, c.seed, &w, &werr) < 0) {
		fprintf(stderr, "exosim analyze: %s\n", werr.msg);
		return 2;
	}
	if (an_from_workload(w, m.hz, m.ncpus, &s) < 0) {
		wl_free(w);
		return an_bad("--workload", "out of memory");
	}
	rc = an_report(&c, &m, &s);
	an_set_free(&s);
	wl_free(w);
	return rc;
}
