/* Schedulability analysis for exosim workloads (`exosim analyze`, the sweep's verdict
 * columns and the tests that hold the simulator to the theory): response-time analysis for
 * fixed priority, the processor-demand test with QPA for EDF, the Liu-Layland and
 * hyperbolic utilisation bounds, and the GFB test for global EDF on m cores. */
#ifndef EXOSIM_ANALYSIS_H
#define EXOSIM_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/simmachine.h"
#include "workload/workload.h"

/* One sporadic task as the analyses see it: worst-case execution C, minimum
 * inter-release T, relative deadline D (all cycles), fixed-priority level (0 = most
 * urgent, exosim's prio levels) and the CPU it is pinned to (-1: any). */
struct an_task {
	const char *name;
	uint64_t c, t, d;
	unsigned level;
	int cpu;
	const char *why; /* NULL, or why the task is not a sporadic task (then c,t,d are 0) */
};

struct an_set {
	struct an_task *task;
	unsigned n;
	bool ok; /* every task is analysable */
};

/* The overheads of a machine profile folded into fixed-priority RTA (an_rta). */
struct an_cost {
	uint64_t cs;                /* context switch (SIM_COST_SWITCH) */
	uint64_t tick, tick_period; /* timer interrupt cost and periodic tick (0: none) */
};

/* Task parameters of `w` with exosim's fixed-priority levels (sim_task_params under
 * "prio").  Returns 0, or E_NOMEM; a task that is not periodic/sporadic with a bounded
 * run time gets `why` set and clears set->ok.  Free with an_set_free. */
int an_from_workload(const struct workload *w, uint64_t hz, unsigned ncpus, struct an_set *set);
void an_set_free(struct an_set *set);
struct an_cost an_cost_of(const struct sim_machine *m);

/* Utilisation of the tasks selected by `cpu` (-2: all, else those pinned to it). */
double an_util(const struct an_set *s, int cpu);
/* Liu & Layland 1973: n (2^(1/n) - 1). */
double an_ll_bound(unsigned n);
/* Bini, Buttazzo & Buttazzo 2003: prod (U_i + 1) over the selected tasks. */
double an_hyperbolic(const struct an_set *s, int cpu);

/* Worst-case response time of task i under preemptive fixed priority on its CPU (tasks
 * of the same partition; all tasks when none is pinned), `cost` NULL for zero overhead.
 * Returns the response time, or 0 when it exceeds the deadline (unschedulable). */
uint64_t an_rta(const struct an_set *s, unsigned i, const struct an_cost *cost);

/* Exact EDF test for constrained deadlines (D <= T) on one CPU: the processor-demand
 * criterion checked with QPA (Zhang & Burns 2009) over the selected tasks.  Returns
 * true when schedulable; *fail gets the first t with h(t) > t (0 if none). */
bool an_edf_qpa(const struct an_set *s, int cpu, uint64_t *fail);
/* Global EDF on m identical CPUs, GFB test (Goossens, Funk & Baruah 2003), with
 * densities C/min(D,T) for constrained deadlines.  Sufficient only. */
bool an_gedf_gfb(const struct an_set *s, unsigned m, double *lhs, double *rhs);

/* `exosim analyze ...`: argv after the subcommand.  Exit 0, or 2 on bad input. */
int an_cmd_analyze(int argc, char **argv);

#endif
