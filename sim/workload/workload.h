/* exosim workloads: the in-memory task model, its JSON loader (rt-app subset plus ExoLab
 * extensions), the random distributions and arrival processes, and seeded generators. */
#ifndef EXOSIM_WORKLOAD_H
#define EXOSIM_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../rng/rng.h"

/* Limits that keep any input, even a hostile one, small enough to simulate. */
#define WL_MAX_TASKS               4096  /* after rt-app "instance" expansion */
#define WL_MAX_PHASES              65536 /* per task, after rt-app "phases"/"loop" flattening */
#define WL_MAX_TIMERS              64    /* distinct timer "ref"s per task */
#define WL_MAX_CPUS                64    /* affinity masks are one uint64_t */
#define WL_MAX_EMPIRICAL           4096  /* values in one empirical distribution */
#define WL_MAX_CYCLES              (1ULL << 62) /* any time value, in cycles */
#define WL_MAX_FOOTPRINT           (1u << 20)   /* events + empirical values, all tasks together */
#define WL_MIN_ARRIVALS_PER_WINDOW 1e-3         /* bursty: rate x mean on window, at least */

struct wl_task;

#define WL_LOOP_FOREVER    (-1) /* rt-app "loop": -1 */
#define WL_DEFAULT_TICKETS 100

/* Loader error codes (negative; 0 is success).  exosim exits 2 on any of them. */
enum {
	WL_E_IO = -1,      /* the file cannot be opened or read */
	WL_E_SYNTAX = -2,  /* not JSON (jansson's diagnosis, with its line and column) */
	WL_E_INVALID = -3, /* valid JSON that is not a valid workload */
	WL_E_NOMEM = -4,
	WL_E_SPEC = -5, /* a bad generator spec string (see wl_open) */
};

/*
 * A random quantity of cycles.  Every sample is clamped to [0, WL_MAX_CYCLES] and
 * rounded to the nearest cycle.  JSON: a time value, or {"fixed": t}, {"uniform": [a, b]},
 * {"exp": mean}, {"lognormal": [median, sigma]}, {"bimodal": [a, b, p]} (b with
 * probability p, else a), {"empirical": [t, ...]} (each value equally likely).
 */
enum wl_dist_kind {
	WL_DIST_FIXED,
	WL_DIST_UNIFORM,   /* integer uniform on [a, b], both inclusive */
	WL_DIST_EXP,       /* exponential with mean `mean` */
	WL_DIST_LOGNORMAL, /* exp(N(ln median, sigma^2)) */
	WL_DIST_BIMODAL,   /* a with probability 1 - p, b with probability p */
	WL_DIST_EMPIRICAL, /* one of values[0..nvalues-1], uniformly */
};

struct wl_dist {
	enum wl_dist_kind kind;
	uint64_t a, b;    /* FIXED: a; UNIFORM: [a, b]; BIMODAL: the two values */
	double mean;      /* EXP: mean; LOGNORMAL: median (cycles) */
	double sigma;     /* LOGNORMAL: shape */
	double p;         /* BIMODAL: probability of b */
	uint64_t *values; /* EMPIRICAL (in the owning task's tables) */
	uint32_t nvalues;
};

/* Draw one sample; deterministic for a given stream state.  Consumes a fixed number of
 * draws per kind, so a FIXED distribution draws nothing. */
uint64_t wl_dist_sample(const struct wl_dist *d, struct rng *r);
/* The distribution's mean in cycles (exact for every kind; used for utilisation). */
double wl_dist_mean(const struct wl_dist *d);

/*
 * Phases: what a task does, in order.  One pass through `phases` is one iteration of the
 * task's loop.
 */
enum wl_phase_kind {
	WL_PH_RUN,   /* compute for `dist` cycles of CPU time (rt-app "run"/"runtime") */
	WL_PH_SLEEP, /* block for `dist` cycles measured from the moment it starts */
	WL_PH_IO,    /* block on an I/O whose latency is `dist` (ExoLab "io") */
	WL_PH_YIELD, /* give up the CPU, stay runnable (rt-app "yield") */
	WL_PH_TIMER, /* wait for the next expiry of timer `timer` (rt-app "timer") */
};

struct wl_phase {
	enum wl_phase_kind kind;
	struct wl_dist dist; /* RUN, SLEEP, IO */
	/* TIMER only.  Expiry k of a timer is at start + k * period (k >= 1), where `start`
	 * is the task's start (offset).  absolute (rt-app "mode": "absolute"): the grid never
	 * moves, so after an overrun the task does not wait and the following releases keep
	 * their nominal times.  Relative (rt-app's default): when the next expiry has already
	 * passed on arrival at the timer, the grid restarts from now (the release is now and
	 * the next expiry is now + period). */
	uint32_t timer; /* index < task->ntimers; phases with one "ref" share it */
	bool absolute;
	uint64_t period;   /* cycles, > 0 */
	uint64_t deadline; /* relative deadline of the job this expiry releases, 0 = none */
};

/*
 * Jobs (what the metrics count).  A task's first job is released at `offset`.
 *  - A task with timer phases: arriving at a timer phase finishes the current job; the
 *    timer's expiry releases the next job, whose deadline is release + phase.deadline.
 *    The body loops (`loop` passes) without any other job boundary.
 *  - A task without timer phases: each pass through the body is one job.  With
 *    WL_ARR_LOOP the next job is released when the previous finishes (closed loop); with
 *    POISSON/BURSTY releases come from the arrival process (open loop) and queue FIFO
 *    while the task is busy.  Deadline: release + task->sp.deadline (0 = none).
 */
enum wl_arrival_kind {
	WL_ARR_LOOP,    /* closed loop (rt-app); also every task with timer phases */
	WL_ARR_POISSON, /* exponential inter-arrival times with mean 1/rate */
	WL_ARR_BURSTY,  /* on/off: Poisson at `rate` during "on" windows, nothing in "off" */
};

struct wl_arrival {
	enum wl_arrival_kind kind;
	double rate;        /* arrivals per cycle during arrival (on) time */
	struct wl_dist on;  /* BURSTY: length of each on window */
	struct wl_dist off; /* BURSTY: length of each off window */
};

/* Per-task state of an arrival process; zero it, then call wl_arrival_next repeatedly. */
struct wl_arrival_state {
	double t;          /* exact time of the previous arrival (cycles) */
	double window_end; /* BURSTY: end of the current on window */
	uint64_t last;     /* previous arrival as returned */
	bool started, window_open;
};

/* The next arrival time (strictly increasing, first one >= task->offset) of an open-loop
 * task; returns UINT64_MAX for WL_ARR_LOOP tasks.  Draws only from `r`. */
uint64_t wl_arrival_next(const struct wl_task *t, struct wl_arrival_state *s, struct rng *r);

/* Parameters every policy may read; each policy uses the ones it understands. */
enum wl_rtapp_policy {
	WL_POL_OTHER,
	WL_POL_IDLE,
	WL_POL_RR,
	WL_POL_FIFO,
	WL_POL_DEADLINE,
};

struct wl_sched_params {
	int32_t priority;            /* larger = more urgent, as rt-app/Linux SCHED_FIFO (1..99);
	                              * rt-app defaults: 10 for RR/FIFO, 0 otherwise */
	uint32_t tickets;            /* stride: share weight, >= 1 (default WL_DEFAULT_TICKETS) */
	uint64_t period;             /* cycles; 0 = none.  Given, or the task's only timer period */
	uint64_t deadline;           /* relative, cycles; 0 = none.  Given, or = period */
	uint64_t budget;             /* cycles per period (EDF/CBS enforcement); 0 = none */
	enum wl_rtapp_policy policy; /* rt-app "policy", informative: --sched decides */
};

struct wl_task {
	char *name; /* unique in the workload; instance k of "t" is "t-k" */
	struct wl_sched_params sp;
	uint64_t cpus;   /* affinity: bit i = hardware thread i; never 0 */
	uint64_t offset; /* first release, cycles (rt-app "delay") */
	int64_t loop;    /* passes through the body; WL_LOOP_FOREVER or >= 0 */
	struct wl_arrival arrival;
	struct wl_phase *phases;
	uint32_t nphases;        /* >= 1 */
	uint32_t ntimers;        /* distinct timers used by TIMER phases */
	uint64_t first_deadline; /* relative deadline of the first job, 0 = none */
	uint32_t line;           /* where the task is defined in its file (0 if generated) */
	uint64_t **tables;       /* storage of this task's EMPIRICAL values (owned; the */
	uint32_t ntables;        /* distributions point into it) */
};

struct workload {
	char *name;        /* the file path or the generator spec */
	uint64_t duration; /* cycles, from "global": {"duration"}; 0 = not given */
	struct wl_task *tasks;
	uint32_t ntasks; /* >= 1 */
};

/* What the loader needs to know about the machine. */
struct wl_env {
	uint64_t hz;    /* cycles per second: converts time values */
	unsigned ncpus; /* hardware threads: bounds "cpus" */
};

/* One diagnostic, already formatted as "FILE:LINE:COL: what is wrong" (or
 * "--workload: what is wrong" for a generator spec). */
#define WL_ERR_MAX 512
struct wl_error {
	char msg[WL_ERR_MAX];
	unsigned line, col; /* 1-based; 0 when the error has no position */
};

/* Load a workload from a JSON file.  On success *out is a new workload and 0 is returned;
 * on failure a negative WL_E_* code, err->msg explains, and *out is NULL. */
int wl_load_file(const char *path, const struct wl_env *env, struct workload **out,
                 struct wl_error *err);
/* The same from a buffer (need not be NUL-terminated); `name` stands for the file. */
int wl_load_buffer(const char *buf, size_t len, const char *name, const struct wl_env *env,
                   struct workload **out, struct wl_error *err);
/* `spec` is a file path, or "gen:KIND:key=value,..." for a generator (see docs/sim.md):
 *   gen:periodic:n=8,u=0.7,periods=10ms/20ms/40ms      UUniFast periodic set
 *   gen:poisson:rate=20000,service=exp:20us,streams=4   open-loop Poisson requests
 *   gen:bursty:rate=50000,on=2ms,off=8ms,service=10us   open-loop on/off requests
 * `seed` seeds generators (ignored for files). */
int wl_open(const char *spec, const struct wl_env *env, uint64_t seed, struct workload **out,
            struct wl_error *err);
void wl_free(struct workload *w);

/* Total utilisation sum(mean run / period) over tasks with a period; open-loop tasks
 * count rate * mean service. */
double wl_utilisation(const struct workload *w);
/* Least common multiple of the task periods, or 0 if a task has none or it overflows. */
uint64_t wl_hyperperiod(const struct workload *w);

/* Generators.  Each returns 0 or a negative WL_E_* code; all randomness comes from
 * rng_stream(seed, "gen-...", i), so the same arguments give the same workload. */
struct wl_gen_periodic {
	unsigned n;              /* tasks, >= 1 */
	double util;             /* total utilisation U > 0 (UUniFast, Bini & Buttazzo 2005) */
	const uint64_t *periods; /* candidate periods in cycles; each task draws one */
	unsigned nperiods;
	bool discard;  /* UUniFast-Discard: redraw while some u_i > 1 */
	uint64_t cpus; /* affinity of every task (0 = all of env->ncpus) */
};
/* Tasks "p0".."p<n-1>", body [run C_i, timer P_i (absolute)], implicit deadlines,
 * C_i = floor(u_i * P_i) (>= 1), so the real utilisation never exceeds `util`;
 * priorities rate-monotonic: shorter period = higher priority, ties by index. */
int wl_gen_periodic(const struct wl_gen_periodic *g, const struct wl_env *env, uint64_t seed,
                    struct workload **out);

struct wl_gen_open {
	enum wl_arrival_kind kind; /* WL_ARR_POISSON or WL_ARR_BURSTY */
	double rate;               /* total arrivals per second over all streams (on-rate) */
	unsigned streams;          /* tasks "req0".., each with rate / streams */
	struct wl_dist service;    /* cycles of CPU per request */
	struct wl_dist on, off;    /* BURSTY windows, cycles */
	uint64_t deadline;         /* relative deadline per request, 0 = none */
};
int wl_gen_open(const struct wl_gen_open *g, const struct wl_env *env, struct workload **out);

#endif
