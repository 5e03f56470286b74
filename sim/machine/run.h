/* Running one simulation: a machine, a policy and a workload for a duration, reporting
 * everything to a metrics recorder.  Used by exosim's CLI, the theory tests and bench. */
#ifndef EXOSIM_RUN_H
#define EXOSIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../metrics/metrics.h"
#include "../workload/workload.h"
#include "simmachine.h"
#include "sched.h"

struct sim_options {
	const struct sim_machine *machine;
	const struct sched_policy *policy;
	const struct workload *workload;
	uint64_t seed;
	uint64_t duration; /* cycles to simulate, > 0 */
	struct met *met;   /* receives every record (met_init'ed by the caller) */
	bool progress;     /* a progress line on stderr when the run takes > 2 host s */
};

struct sim_result {
	uint64_t cycles;     /* simulated */
	uint64_t events;     /* dispatched by the engine */
	double host_seconds; /* CPU time of the run on the host */
};

/* Returns 0; E_INVAL with a one-line message in err when the workload does not fit the
 * machine or the policy rejects a task's parameters; E_NOMEM when memory ran out; E_BUSY
 * when the watchdog stopped a run whose simulated time no longer advanced (far more
 * events at one cycle than the tasks and CPUs can need), naming the policy and the cycle. */
int sim_run(const struct sim_options *o, struct sim_result *res, char *err, size_t errlen);

/* The scheduling parameters a task gets under `policy` (see docs/sim.md): exported so
 * tests can check the mapping. */
int sim_task_params(const struct workload *w, const struct sched_policy *policy, uint64_t hz,
                    struct sched_params *out);

/* A command-line number (decimal, 0x hex or 0 octal, as strtoull reads them): 0, or -1 when
 * `s` is empty, has anything after the digits, is negative or overflows 64 bits. */
int sim_parse_u64(const char *s, uint64_t *out);

#endif
