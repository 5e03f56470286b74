/* Internals of exosim's metrics shared by its files: the accumulated state of a run. */
#ifndef EXOSIM_MET_INTERNAL_H
#define EXOSIM_MET_INTERNAL_H

#include "hist.h"
#include "metrics.h"

struct met_task {
	char *name;
	struct hist resp;
	uint64_t jobs, misses, unfinished, migrations, runtime;
	double mean, m2; /* Welford's running mean and sum of squared deviations */
	/* per-task trace track: the state since `since` (met_task_state) */
	enum met_task_state state;
	unsigned state_cpu;
	uint64_t since;
};

struct met_cpu {
	uint64_t busy; /* cycles running tasks */
	uint64_t ovh[MET_OVH_NKINDS];
	uint64_t switches;
};

struct met {
	uint64_t hz, seed;
	unsigned ncpus, ntasks;
	char *machine, *policy, *workload;
	FILE *csv, *trace;
	struct met_task *tasks;
	struct met_task total; /* every job of every task */
	struct met_cpu *cpus;
	uint64_t switches, migrations, bad_records;
	uint64_t fp;               /* running fingerprint */
	bool trace_started;        /* an event has been written (for separators) */
	uint64_t win_from, win_to; /* trace window in cycles (win_to: UINT64_MAX = no end) */
	bool oom;
	struct met_end end;
};

const char *met_overhead_name(enum met_overhead_kind k);

/* Chrome trace JSON (trace.c). */
void met_trace_begin(struct met *m);
void met_trace_slice(struct met *m, unsigned cpu, const char *name, const char *cat, long task,
                     uint64_t start, uint64_t end);
void met_trace_task_slice(struct met *m, unsigned task, enum met_task_state s, unsigned cpu,
                          uint64_t start, uint64_t end);
void met_trace_instant(struct met *m, unsigned cpu, const char *what, unsigned task, uint64_t job,
                       uint64_t cycle);
void met_trace_end(struct met *m);
/* Writes s as a JSON string literal (quotes included). */
void met_json_string(FILE *f, const char *s);
/* Cycles to whole nanoseconds, exactly (128-bit intermediate). */
uint64_t met_cycles_to_ns(const struct met *m, uint64_t cycles);

#endif
