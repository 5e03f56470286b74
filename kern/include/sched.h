/* The portable scheduler framework: entities, per-CPU run queues, the policy ops table and
 * the core API that the kernel and exosim call.  Same source in both (see kern/sched/). */
#ifndef EXOLAB_SCHED_H
#define EXOLAB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/error.h"
#include "sched_rq.h"

#define SCHED_MAX_CPUS   64         /* affinity is a 64-bit mask */
#define SCHED_NO_TIMER   UINT64_MAX /* "no deadline" for sched_next_timer() */
#define SCHED_NO_RELEASE UINT64_MAX /* sched_entity.release: the caller knows no job release */

enum sched_state {
	SCHED_NEW,       /* initialised, never woken */
	SCHED_RUNNABLE,  /* on a run queue, waiting for a CPU */
	SCHED_RUNNING,   /* the current entity of its CPU */
	SCHED_BLOCKED,   /* sleeping or waiting for an event */
	SCHED_THROTTLED, /* runnable but out of budget until throttled_until */
	SCHED_DEAD,
};

/* Policy parameters.  Every policy reads only the fields it documents; zero means "the
 * policy's default" where a default makes sense. */
struct sched_params {
	unsigned priority; /* prio: 0 is the highest, SCHED_PRIO_LEVELS - 1 the lowest */
	uint32_t tickets;  /* stride: share of the CPU, 1..SCHED_STRIDE_MAX_TICKETS */
	uint64_t quantum;  /* rr: time slice in cycles (0: the policy default) */
	uint64_t period;   /* edf, rate-monotonic prio: release period in cycles */
	uint64_t deadline; /* edf: relative deadline in cycles (0: the period) */
	uint64_t budget;   /* edf: cycles per period (0: no budget enforcement); pedf, pfp:
	                    * the worst-case execution time that partitioning packs by */
	int nice;          /* cfs, eevdf: -20..19, the weight from Linux's table (0: 1024) */
};

/* Bytes each entity reserves for the private state of the policy in charge, aligned for
 * uint64_t.  The core never reads them; a policy declares its own struct in its own file and
 * reaches it only through SCHED_POLICY_STATE (below), which checks at compile time that it
 * fits.  Today's largest (mlfq, stride) take 24 bytes; 64 leaves room for a new policy's. */
#define SCHED_POLICY_AREA 64

struct sched_entity {
	struct sched_link link; /* run-queue membership (owned by sched_rq) */
	unsigned id;            /* caller's name for it, used for deterministic tie-breaks */
	enum sched_state state;
	unsigned cpu;             /* CPU it runs or waits on, or last ran on */
	uint64_t affinity;        /* bit i set: may run on CPU i */
	uint64_t runtime;         /* total cycles accounted while running */
	uint64_t throttled_until; /* cycle at which a throttled entity may run again */
	struct sched_params params;
	/* Release of the entity's current job, when the caller knows jobs (exosim sets it before
	 * each sched_wakeup and sched_job_release); SCHED_NO_RELEASE otherwise (the kernel). */
	uint64_t release;
	_Alignas(uint64_t) unsigned char policy_area[SCHED_POLICY_AREA]; /* see above */
	void *owner; /* the embedding object (an env, a simulated task) */
};

/* (sched_rq.h, here because it needs the entity's layout) Remove and return the first
 * entity of list `level` (the smallest key of an ordered list), or NULL when that list is
 * empty: pick-next of a one-list policy. */
static inline struct sched_entity *
sched_rq_pop_first(struct sched_rq *rq, unsigned level)
{
	struct sched_link *l = sched_rq_first(rq, level);

	if (!l)
		return NULL;
	sched_rq_remove(rq, l);
	return sched_link_entity(l);
}

/* Remove and return the first entity of the lowest-numbered non-empty level, or NULL
 * when nothing is queued: pick-next of a policy whose levels are priorities. */
static inline struct sched_entity *
sched_rq_pop_top(struct sched_rq *rq)
{
	int level = sched_rq_top_level(rq);

	return level < 0 ? NULL : sched_rq_pop_first(rq, (unsigned)level);
}

struct sched;

/* Reasons passed to enqueue/dequeue so a policy can tell arrivals from round trips. */
enum sched_enq {
	SCHED_ENQ_WAKEUP,  /* new, woken, or back from throttling: joins this CPU */
	SCHED_ENQ_MIGRATE, /* moved here from another CPU's queue */
	SCHED_ENQ_PREEMPT, /* taken off the CPU while still runnable */
	SCHED_ENQ_YIELD,   /* gave the CPU up voluntarily */
};

enum sched_deq {
	SCHED_DEQ_SLEEP,   /* blocks, is throttled or exits: leaves this CPU */
	SCHED_DEQ_MIGRATE, /* about to be enqueued on another CPU */
};

/* One scheduling policy.  The core calls every op with the caller's lock held and with
 * rq->now set to the current cycle.  Ops marked optional may be NULL; the core then uses
 * the generic behaviour described beside them. */
struct sched_policy {
	const char *name;
	const char *summary;
	int (*init)(struct sched *s); /* optional */
	/* Check and store parameters; policy state is (re)initialised from them. */
	int (*set_params)(struct sched *s, struct sched_entity *se, const struct sched_params *p);
	/* se is not the running entity: place it in rq's queue. */
	void (*enqueue)(struct sched *s, struct sched_rq *rq, struct sched_entity *se,
	                enum sched_enq why);
	/* Remove se from rq (it may be rq's running entity, then it is not queued).  A policy
	 * that keeps no per-CPU account of its entities uses sched_dequeue_queued. */
	void (*dequeue)(struct sched *s, struct sched_rq *rq, struct sched_entity *se,
	                enum sched_deq why);
	/* Remove and return the queued entity to run next, or NULL when the queue is empty
	 * (sched_rq_pop_first and sched_rq_pop_top do it for the usual orders). */
	struct sched_entity *(*pick_next)(struct sched *s, struct sched_rq *rq);
	/* The running se has run `ran` more cycles.  Return true when it must give up the CPU.
	 * To throttle it, set se->throttled_until > rq->now and return true.  True must change
	 * something (a more urgent entity is queued, se is throttled, its slice or budget is
	 * renewed): the core then picks again at the same instant, and a tick that said true
	 * again with ran == 0 would stop time (a tick storm). */
	bool (*tick)(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran);
	/* optional: cycles se may still run before tick() must be called (default: none). */
	uint64_t (*slice_left)(struct sched *s, struct sched_rq *rq, struct sched_entity *se);
	/* optional: does the woken se preempt rq->curr?  (default: never) */
	bool (*wakeup_preempt)(struct sched *s, struct sched_rq *rq, struct sched_entity *se);
	/* optional: CPU for a waking se (default: sched_select_cpu_default). */
	unsigned (*select_cpu)(struct sched *s, struct sched_entity *se);
	/* optional: idle `cpu` may pull work; return entities moved (default: steal one). */
	unsigned (*balance)(struct sched *s, unsigned cpu);
	/* optional: may the blocked se wake on rq and run at once, never queued, ahead of every
	 * entity queued there (sched_handoff)?  Only if pick_next would choose se right after
	 * enqueue(se, SCHED_ENQ_WAKEUP); then do that enqueue's accounting for se (not the
	 * queueing) and return true, else change nothing and return false.  After a true, se's
	 * tick with ran 0 must say false and change nothing (the core then asks slice_left only).
	 * Default: only when nothing is queued, through that enqueue and pick_next on the empty
	 * queue (then the core asks tick as well). */
	bool (*wake_direct)(struct sched *s, struct sched_rq *rq, struct sched_entity *se);
	/* optional: the running se started a new job, released at se->release (<= rq->now),
	 * without blocking (its previous job overran past this release).  Update the job's
	 * scheduling state; return true when se must give up the CPU.  Default: nothing. */
	bool (*job_release)(struct sched *s, struct sched_rq *rq, struct sched_entity *se);
	/* slice_left is a budget (edf's CBS): it must run out even when se is alone on its CPU,
	 * so a tickless kernel keeps the timer armed for an entity with params.budget != 0.
	 * False (rr, mlfq, ...): a lone entity's slice may end unnoticed, the policy would pick
	 * it again anyway. */
	bool budget_timer;
	/* optional: place a whole task set at once (partitioned policies).  See sched_partition. */
	int (*partition)(struct sched *s, struct sched_entity **se, unsigned n);
};

/* A scheduler instance: one policy over `ncpu` CPUs.  The caller owns the storage. */
struct sched {
	const struct sched_policy *policy;
	unsigned ncpu;
	struct sched_rq *rq;     /* ncpu run queues */
	uint64_t hz;             /* cycles per second, for policy defaults given in time */
	uint64_t policy_data[4]; /* policy-wide state (e.g. the mlfq boost epoch) */
	/* optional, NULL after sched_init: told when a policy starts a new period of se (a job
	 * release, today edf's) at `now`, with the absolute deadlines of the period it ends
	 * (`old_deadline`, 0 for the first) and of the new one.  Only for observers: it must not
	 * call back into the core.  The kernel's trace=sched sets it (kern/env/ktrace.c); exosim
	 * leaves it NULL, its releases are the workload's (sim/metrics). */
	void (*on_release)(struct sched *s, struct sched_entity *se, uint64_t old_deadline,
	                   uint64_t new_deadline, uint64_t now);
};

/* For policies: se's new period began at rq->now (see on_release above). */
static inline void
sched_note_release(struct sched *s, struct sched_rq *rq, struct sched_entity *se,
                   uint64_t old_deadline, uint64_t new_deadline)
{
	if (s->on_release)
		s->on_release(s, se, old_deadline, new_deadline, rq->now);
}

/* The registry (kern/sched/registry.c): adding a policy is one line there. */
const struct sched_policy *sched_policy_find(const char *name);
const struct sched_policy *sched_policy_at(unsigned i); /* NULL past the end */

int sched_init(struct sched *s, const struct sched_policy *p, struct sched_rq *rqs, unsigned ncpu,
               uint64_t hz);
void sched_entity_init(struct sched_entity *se, unsigned id, void *owner);
int sched_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p);
/* For a caller that knows a whole task set before it runs (exosim): after set_params of
 * every one of the n NEW entities, lets a partitioned policy place them together (first-fit
 * or worst-fit decreasing, kern/sched/partition.c) instead of one by one as their params
 * came.  Reorders se[].  Returns how many found no CPU that passes the policy's test (they
 * run on the least-loaded allowed CPU, unguaranteed): 0 for a policy without partition. */
int sched_partition(struct sched *s, struct sched_entity **se, unsigned n);

/* Make a NEW or BLOCKED entity runnable.  Returns its CPU (>= 0) or E_INVAL;
 * *preempt tells whether that CPU's current entity should be preempted now. */
int sched_wakeup(struct sched *s, struct sched_entity *se, uint64_t now, bool *preempt);
/* sched_wakeup in two steps, for a caller that locks one run queue at a time: the CPU the
 * policy's select_cpu picks (a hint: it reads every queue), then the wake-up on `cpu`. */
unsigned sched_select_cpu(struct sched *s, struct sched_entity *se);
int sched_wakeup_on(struct sched *s, struct sched_entity *se, unsigned cpu, uint64_t now,
                    bool *preempt);
/* The running entity of `cpu` blocks (or exits when `dead`). */
int sched_block(struct sched *s, unsigned cpu, uint64_t now, bool dead);
/* An entity that is not running (queued, throttled, new or blocked) leaves its run queue:
 * it blocks, or is dead when `dead`.  E_INVAL for a running or dead one (a running entity
 * leaves through sched_block on its own CPU). */
int sched_remove(struct sched *s, struct sched_entity *se, uint64_t now, bool dead);
/* The running entity of `cpu` starts a new job released at `release` (<= now) without
 * blocking: sets se->release and asks the policy's job_release.  Returns true when the CPU
 * must reschedule. */
bool sched_job_release(struct sched *s, unsigned cpu, uint64_t now, uint64_t release);
/* The running entity of `cpu` yields; it stays runnable. */
int sched_yield_cpu(struct sched *s, unsigned cpu, uint64_t now);
/* sched_yield_cpu then sched_schedule_local in one pass (the same result, without charging
 * twice): the running entity of `cpu` yields and the next one (perhaps itself) runs.  With
 * nothing running it is sched_schedule_local.  When `timer` is not NULL it also gets what
 * sched_next_timer(s, cpu, now) would return right after.  The kernel's yield path uses it. */
struct sched_entity *sched_yield_next(struct sched *s, unsigned cpu, uint64_t now, uint64_t *timer);
/* The direct switch of an IPC fast path: the running entity of `cpu` blocks and `next`
 * (BLOCKED, its affinity has `cpu`) runs there in one step, never queued.  Only when the
 * policy would pick next now anyway: no throttled entity due on `cpu`, next not out of budget,
 * and the policy's wake_direct says yes (by default: nothing queued on `cpu`); otherwise
 * E_AGAIN and nothing changed (the caller blocks and wakes the usual way).  `timer` as in
 * sched_yield_next.  E_INVAL: nothing runs on `cpu`, next is not blocked or not allowed
 * there.  exosim never calls it. */
int sched_handoff(struct sched *s, unsigned cpu, uint64_t now, struct sched_entity *next,
                  uint64_t *timer);
/* Timer interrupt or one-shot expiry on `cpu`: account, release throttled entities,
 * and return true when the current entity must be preempted. */
bool sched_tick(struct sched *s, unsigned cpu, uint64_t now);
/* Choose the entity to run on `cpu` (puts a still-runnable current back first; steals
 * work through balance when idle).  Returns the new current or NULL when idle. */
struct sched_entity *sched_schedule(struct sched *s, unsigned cpu, uint64_t now);
/* The same without the balance: touches only `cpu`'s run queue (NULL when it is empty). */
struct sched_entity *sched_schedule_local(struct sched *s, unsigned cpu, uint64_t now);
/* Absolute cycle at which `cpu` needs sched_tick() even without a periodic tick, or
 * SCHED_NO_TIMER (slice end, budget exhaustion, throttling release). */
uint64_t sched_next_timer(struct sched *s, unsigned cpu, uint64_t now);

/* In a policy file, SCHED_POLICY_STATE(struct stride_state, st) defines
 * `static struct stride_state *st(const struct sched_entity *se)`, the only way to reach that
 * state, and fails the build when the struct does not fit the area.  The area is accessed as
 * another type than it is declared with: kern/sched is built with -fno-strict-aliasing. */
#define SCHED_POLICY_STATE(type, accessor)                                                         \
	_Static_assert(sizeof(type) <= SCHED_POLICY_AREA,                                          \
	               #type " does not fit in SCHED_POLICY_AREA");                                \
	_Static_assert(_Alignof(type) <= _Alignof(uint64_t),                                       \
	               #type " needs more alignment than the policy area has");                    \
	static inline type *accessor(const struct sched_entity *se)                                \
	{                                                                                          \
		return (type *)(uintptr_t)se->policy_area;                                         \
	}

/* Generic helpers policies may use. */
void sched_dequeue_queued(struct sched *s, struct sched_rq *rq, struct sched_entity *se,
                          enum sched_deq why);
unsigned sched_select_cpu_default(struct sched *s, struct sched_entity *se);
unsigned sched_balance_default(struct sched *s, unsigned cpu);
unsigned sched_busiest(struct sched *s, unsigned cpu); /* s->ncpu: nothing to steal */
/* Moves one entity `cpu` may run from victim's queue to cpu's; returns how many (0 or 1). */
unsigned sched_steal_from(struct sched *s, unsigned cpu, unsigned victim);
void sched_migrate(struct sched *s, struct sched_entity *se, unsigned to);
static inline bool
sched_allowed(const struct sched_entity *se, unsigned cpu)
{
	return cpu < SCHED_MAX_CPUS && (se->affinity >> cpu) & 1;
}

/* Policy-specific constants and helpers. */
#define SCHED_PRIO_LEVELS        64
#define SCHED_STRIDE1            (1ULL << 20)
#define SCHED_STRIDE_MAX_TICKETS (1U << 16)
/* Rate-monotonic: priorities by period rank (shorter period = higher priority; equal
 * periods share a level).  Returns E_INVAL if a period is zero. */
int sched_prio_assign_rm(struct sched_params *p, unsigned n);
/* Read-only views of a policy's per-entity state (for tests and tracing); valid only for an
 * entity scheduled by that policy. */
unsigned sched_mlfq_level(const struct sched_entity *se);   /* its queue, 0 = highest */
uint64_t sched_edf_deadline(const struct sched_entity *se); /* absolute, of this period */
uint64_t sched_edf_budget_left(const struct sched_entity *se);
/* gedf, pedf, pfp: parameters without a period (a kernel env that never set any) make a
 * background task, period and deadline one second, no budget; otherwise p unchanged. */
static inline struct sched_params
sched_rt_background(const struct sched *s, const struct sched_params *p)
{
	struct sched_params q = *p;

	if (q.period == 0 && q.deadline == 0 && q.budget == 0)
		q.period = s->hz;
	return q;
}
/* gedf, pedf: a job that yields is done, and the next one is released a period after it,
 * or now if that instant has passed (then due D from now).  Returns its absolute deadline. */
static inline uint64_t
sched_next_job(uint64_t period, uint64_t rel_deadline, uint64_t deadline, uint64_t now)
{
	uint64_t next = deadline + period;

	return next - rel_deadline > now ? next : now + rel_deadline;
}
/* gedf, pedf: the deadline of se's job when it wakes, `deadline` being the current one (0
 * before the first job).  A caller that knows the job's release (exosim sets se->release)
 * gets release + D, also for a job found already released when its late predecessor ends
 * (docs/sim.md, "Job deadlines"); otherwise a wake-up at or after the current deadline
 * releases a new job now, and an earlier one resumes the current job. */
static inline uint64_t
sched_wake_deadline(const struct sched_entity *se, uint64_t deadline, uint64_t now)
{
	if (se->release != SCHED_NO_RELEASE)
		return se->release + se->params.deadline;
	return deadline == 0 || now >= deadline ? now + se->params.deadline : deadline;
}
/* Linux's weight of a nice value (-20..19; clamped): 1024 at nice 0, about 1.25x per step. */
#define SCHED_NICE0_WEIGHT 1024
unsigned sched_nice_weight(int nice);
/* floor(n / d) for a 128-bit n whose quotient fits 64 bits, d > 0 (kern/sched/div128.c:
 * the freestanding kernel has no 128-bit division). */
uint64_t sched_div128(unsigned __int128 n, uint64_t d);
/* Virtual time for `ran` cycles at `weight`: ran * SCHED_NICE0_WEIGHT / weight, carrying the
 * remainder in *vrem so that no cycle is lost over many calls (CFS, EEVDF). */
uint64_t sched_vtime_advance(uint64_t ran, uint64_t weight, uint64_t *vrem);
/* The greatest common divisor of a and b (Euclid); gcd(a, 0) = a.  Inline: exosim's workload
 * code (sim/workload, also linked without kern/sched) uses it for hyperperiods. */
static inline uint64_t
sched_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

#endif
