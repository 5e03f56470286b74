/* exosim metrics: what the engine reports while it runs (run intervals, jobs, switches,
 * migrations, events) and everything written from it: the stdout summary, --json stats,
 * the per-job --csv, the Chrome/Perfetto --trace and the --fingerprint of the run. */
#ifndef EXOSIM_METRICS_H
#define EXOSIM_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct met;

struct met_config {
	uint64_t hz;    /* cycles per second of the simulated machine */
	unsigned ncpus; /* hardware threads: trace tracks "cpu0".. */
	unsigned ntasks;
	const char *const *task_names; /* ntasks names; copied by met_init */
	const char *machine;           /* copied; reported in the summary and JSON */
	const char *policy;
	const char *workload;
	uint64_t seed;
	FILE *csv;   /* per-job rows are streamed here; NULL = none */
	FILE *trace; /* Chrome trace JSON is streamed here; NULL = none */
	/* The trace holds only [window_from, window_to] (cycles; slices are clipped to it);
	 * window_to == 0: the whole run.  Statistics always cover the whole run. */
	uint64_t window_from, window_to;
};

/* Returns 0, or -1 (out of memory or a bad config) with nothing allocated.
 * met_init writes the CSV header and the trace preamble at once. */
int met_init(struct met **out, const struct met_config *cfg);
void met_free(struct met *m);

/*
 * Recorders.  The engine calls them as things happen, in its (deterministic) event order;
 * every call is also folded, in call order, into the fingerprint.  Cycles are absolute
 * simulated cycles; `task` < ntasks, `cpu` < ncpus (out-of-range calls are ignored and
 * counted in "bad_records" of the JSON, so an engine bug cannot corrupt memory).
 */

/* `task` ran on `cpu` over [start, end): one trace slice, CPU busy time, task runtime. */
void met_run(struct met *m, unsigned cpu, unsigned task, uint64_t start, uint64_t end);

/* Time a CPU spent in the modelled kernel rather than in a task. */
enum met_overhead_kind {
	MET_OVH_SWITCH,  /* context switch */
	MET_OVH_MIGRATE, /* migration (cache refill and queue transfer) */
	MET_OVH_TICK,    /* timer interrupt */
	MET_OVH_IPI,
	MET_OVH_SYSCALL,
	MET_OVH_NKINDS,
};
void met_overhead(struct met *m, unsigned cpu, enum met_overhead_kind kind, uint64_t start,
                  uint64_t end);

/* Job `job` (0-based per task) of `task` was released, placed on `cpu` (trace instant). */
void met_release(struct met *m, unsigned task, uint64_t job, unsigned cpu, uint64_t cycle);

struct met_job {
	unsigned task;
	uint64_t job;     /* 0-based index within the task */
	unsigned cpu;     /* where it finished (the miss instant goes on this track) */
	uint64_t release; /* when it became ready */
	uint64_t start;   /* when it first ran (= finish for a job that never needed a CPU) */
	uint64_t finish;
	uint64_t deadline; /* absolute; 0 = no deadline */
};
/* A job finished: response = finish - release; missed = deadline && finish > deadline.
 * Writes its CSV row, feeds the histograms, and on a miss a trace instant at `deadline`. */
void met_job(struct met *m, const struct met_job *j);
/* A job released but not finished when the run stopped after every event at `now`
 * (j->finish ignored): counted as unfinished, and also as a miss if its deadline is <= now
 * (it cannot finish by then); CSV row with empty finish and response. */
void met_job_unfinished(struct met *m, const struct met_job *j, uint64_t now);

/* A task's state for the per-task trace tracks: from `cycle` on it is ready (waiting for a
 * CPU or throttled), running on `cpu`, blocked, or has exited. */
enum met_task_state { MET_TS_NONE, MET_TS_READY, MET_TS_RUNNING, MET_TS_BLOCKED, MET_TS_EXITED };
void met_task_state(struct met *m, unsigned task, enum met_task_state s, unsigned cpu,
                    uint64_t cycle);

/* A context switch on `cpu` (the new task is `to`, or -1 for idle). */
void met_switch(struct met *m, unsigned cpu, int to, uint64_t cycle);
/* `task` moved from CPU `from` to CPU `to`. */
void met_migration(struct met *m, unsigned task, unsigned from, unsigned to, uint64_t cycle);
/* One engine event, for the fingerprint only: its cycle, kind and two arguments. */
void met_event(struct met *m, uint64_t cycle, unsigned kind, uint64_t a, uint64_t b);

/* How the run ended; given once, before the writers below. */
struct met_end {
	uint64_t cycles;     /* simulated cycles (the run's end time) */
	uint64_t events;     /* engine events dispatched */
	double host_seconds; /* host wall time of the run (not deterministic) */
};
/* Finishes the trace (closing brackets) and flushes CSV and trace.  Returns 0, or -1 if
 * a write failed (disk full, closed pipe) or a recorder ran out of memory. */
int met_finish(struct met *m, const struct met_end *end);

/* A FILE * writing gzip to `path` (zlib), for --trace F.gz; NULL on failure.  fclose()
 * finishes the gzip stream. */
FILE *met_gzip_open(const char *path);

/* Human-readable summary (deterministic except the "host" line when host is true). */
void met_print_summary(const struct met *m, FILE *f, bool host);
/* All stats as one JSON object.  With host = false the "host" object (host seconds,
 * events per host second) is left out, and the output is byte-identical across runs
 * with the same inputs and seed.  Returns 0 or -1 on a write error. */
int met_write_json(const struct met *m, FILE *f, bool host);
/* 64-bit hash of every recorder call so far; print it as "%016" PRIx64. */
uint64_t met_fingerprint(const struct met *m);

/* Read-back for tests and for exosim's own checks. */
struct met_task_stats {
	uint64_t jobs, misses, unfinished, migrations;
	uint64_t runtime;              /* cycles on a CPU */
	uint64_t resp_min, resp_max;   /* cycles; 0 when no job finished */
	double resp_mean, resp_stddev; /* cycles */
	uint64_t resp_p[6];            /* p50, p90, p99, p99.9, p99.99, max (histogram) */
};
int met_task_stats(const struct met *m, unsigned task, struct met_task_stats *out);
/* All tasks together (migrations summed). */
void met_total_stats(const struct met *m, struct met_task_stats *out);
uint64_t met_cpu_busy(const struct met *m, unsigned cpu);
uint64_t met_switches(const struct met *m);

#endif
