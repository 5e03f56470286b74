/* The simulated machine while it runs: CPUs, tasks, the scheduler instance and the engine,
 * and the functions the event handlers share (cpu.c, task.c, run.c). */
#ifndef EXOSIM_MODEL_H
#define EXOSIM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../metrics/metrics.h"
#include "../rng/rng.h"
#include "../workload/workload.h"
#include "simmachine.h"
#include "sched.h"

/* Event kinds, and their priorities at equal cycles: work finishing comes before new work
 * arriving, which comes before timers, so a job that ends exactly when its budget or
 * quantum does is not preempted first.  Last at every instant comes SIM_EV_INSTANT_END
 * (instant.c): the wake-ups and reschedules the instant's events asked for. */
enum sim_ev {
	SIM_EV_SEG_END,      /* arg cpu, data generation: the running RUN phase is complete */
	SIM_EV_TASK_START,   /* arg task: first release at the task's offset */
	SIM_EV_TASK_WAKE,    /* arg task: a sleep or I/O is over */
	SIM_EV_TIMER_EXPIRE, /* arg task: the timer the task waits on expires */
	SIM_EV_ARRIVAL,      /* arg task: an open-loop request arrives */
	SIM_EV_ONESHOT,      /* arg cpu, data generation: the policy's one-shot timer */
	SIM_EV_TICK,         /* arg cpu: periodic tick */
	SIM_EV_INSTANT_END,  /* wake-ups, then reschedules, of this instant (instant.c) */
	SIM_EV_NKINDS,
};
enum { SIM_PRIO_DONE = 0, SIM_PRIO_ARRIVE = 1, SIM_PRIO_TIMER = 2, SIM_PRIO_LAST = 15 };

enum sim_task_wait { SIM_TW_NONE, SIM_TW_SLEEP, SIM_TW_TIMER, SIM_TW_ARRIVAL, SIM_TW_EXITED };

struct sim_task {
	struct sched_entity se;
	const struct wl_task *wt;
	unsigned id;
	uint32_t phase;     /* current phase index */
	int64_t passes;     /* passes through the body completed */
	uint64_t remaining; /* cycles left of the current RUN phase */
	enum sim_task_wait wait;
	struct rng rng;     /* phase durations */
	struct rng arr_rng; /* open-loop arrivals */
	struct wl_arrival_state arr;
	uint64_t *timer_next; /* next expiry per timer */
	uint32_t timer_wait;  /* the timer waited on in SIM_TW_TIMER */
	int last_cpu;         /* -1 before it first runs */
	bool wake_pending;    /* on sm->wake, made ready at the end of this instant */
	/* the current job */
	bool job_active, job_started;
	uint64_t job_idx, job_release, job_start, job_deadline;
	uint64_t jobs;     /* jobs started so far (the next job's index) */
	uint64_t arrivals; /* open loop: requests arrived so far */
	uint64_t *pend;    /* open loop: release times waiting, a FIFO ring */
	uint64_t pend_head, pend_n, pend_cap;
};

struct sim_cpu {
	unsigned id;
	struct sim_task *curr;
	uint64_t run_from;   /* curr progresses from here (overheads end) */
	uint64_t busy_until; /* end of the last overhead interval */
	uint64_t seg_gen, timer_gen, timer_at;
	bool resched; /* reschedule at the end of this instant (instant.c) */
	/* 1 + the instant of the last interrupt charged here (tick, timer, IPI); 0: none. */
	uint64_t irq_after;
};

struct sim_model {
	struct sim_engine eng;
	const struct sim_machine *m;
	const struct workload *w;
	struct sched sched;
	struct sched_rq *rq;
	struct sim_cpu *cpu;
	struct sim_task *task;
	unsigned ncpus, ntasks;
	struct met *met;
	uint64_t seed, end;
	bool oom; /* an allocation failed: the run is abandoned */
	/* Tasks made ready at this instant (ids, nwake of them) and whether the instant's
	 * end event is scheduled (instant.c). */
	unsigned *wake, nwake;
	bool instant_pending;
	/* The no-progress watchdog (run.c): events dispatched at stall_cycle so far. */
	uint64_t stall_cycle, stall_events, stall_limit;
	bool stalled; /* the watchdog stopped the run; stall_ev is the last event */
	struct sim_event stall_ev;
};

#define SIM_MODEL(e) ((struct sim_model *)(e)->ctx)

/* cpu.c */
void sim_cpu_progress(struct sim_model *sm, struct sim_cpu *c);
void sim_cpu_stall(struct sim_model *sm, struct sim_cpu *c, enum met_overhead_kind kind,
                   uint64_t cost);
void sim_cpu_resched(struct sim_model *sm, struct sim_cpu *c);
void sim_cpu_rearm(struct sim_model *sm, struct sim_cpu *c);
void sim_cpu_on_seg_end(struct sim_engine *e, const struct sim_event *ev);
void sim_cpu_on_oneshot(struct sim_engine *e, const struct sim_event *ev);
void sim_cpu_on_tick(struct sim_engine *e, const struct sim_event *ev);
void sim_model_schedule(struct sim_model *sm, uint64_t cycle, unsigned prio, enum sim_ev kind,
                        uint32_t arg, uint64_t data);

/* instant.c */
void sim_instant_resched(struct sim_model *sm, struct sim_cpu *c);
void sim_instant_on_end(struct sim_engine *e, const struct sim_event *ev);

/* task.c */
/* What a task needs after running through its phases. */
enum sim_task_next { SIM_TN_CPU, SIM_TN_BLOCK, SIM_TN_YIELD, SIM_TN_EXIT };
enum sim_task_next sim_task_advance(struct sim_model *sm, struct sim_task *t);
void sim_task_make_ready(struct sim_model *sm, struct sim_task *t);
void sim_task_on_start(struct sim_engine *e, const struct sim_event *ev);
void sim_task_on_wake(struct sim_engine *e, const struct sim_event *ev);
void sim_task_on_timer(struct sim_engine *e, const struct sim_event *ev);
void sim_task_on_arrival(struct sim_engine *e, const struct sim_event *ev);
void sim_task_finish_unfinished(struct sim_model *sm);
void sim_task_job_started(struct sim_model *sm, struct sim_task *t, uint64_t when);

#endif
