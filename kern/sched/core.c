/* The policy-agnostic scheduler core: entity life cycle (wake, block, yield, throttle),
 * accounting, and the calls into the policy's ops table.  Time is always given by the
 * caller in cycles, so the kernel and exosim run this file unchanged. */
#include "sched.h"

int
sched_init(struct sched *s, const struct sched_policy *p, struct sched_rq *rqs, unsigned ncpu,
           uint64_t hz)
{
	if (!p || !rqs || ncpu == 0 || ncpu > SCHED_MAX_CPUS || hz == 0)
		return E_INVAL;
	*s = (struct sched){ .policy = p, .ncpu = ncpu, .rq = rqs, .hz = hz };
	for (unsigned i = 0; i < ncpu; i++)
		sched_rq_init(&rqs[i], i);
	return p->init ? p->init(s) : 0;
}

void
sched_entity_init(struct sched_entity *se, unsigned id, void *owner)
{
	*se = (struct sched_entity){
		.id = id,
		.state = SCHED_NEW,
		.affinity = ~0ULL,
		.release = SCHED_NO_RELEASE,
		.owner = owner,
	};
	se->link.next = se->link.prev = &se->link;
}

int
sched_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	struct sched_rq *rq = &s->rq[se->cpu];
	bool queued = se->state == SCHED_RUNNABLE;
	int err;

	/* A queued entity's position depends on its parameters: take it out and back in. */
	if (queued)
		s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
	err = s->policy->set_params(s, se, p);
	if (queued)
		s->policy->enqueue(s, rq, se, SCHED_ENQ_WAKEUP);
	return err;
}

/* The dequeue of a policy with nothing to account: only a queued entity has anything to
 * undo (the running one is on no list). */
void
sched_dequeue_queued(struct sched *s, struct sched_rq *rq, struct sched_entity *se,
                     enum sched_deq why)
{
	if (se->link.queued)
		sched_rq_remove(rq, &se->link);
}

static inline uint64_t next_timer(struct sched *s, struct sched_rq *rq, uint64_t now);
static uint64_t slice_timer(struct sched *s, struct sched_rq *rq, uint64_t now);

/* Charge the running entity for the cycles since it was last charged; returns the
 * policy's verdict on whether it must give up the CPU. */
static bool
charge(struct sched *s, struct sched_rq *rq, uint64_t now)
{
	struct sched_entity *se = rq->curr;
	uint64_t ran;

	rq->now = now;
	if (!se)
		return false;
	ran = now - rq->curr_since;
	rq->curr_since = now;
	se->runtime += ran;
	return s->policy->tick(s, rq, se, ran);
}

static bool
valid_cpu(struct sched *s, struct sched_entity *se, unsigned cpu)
{
	return cpu < s->ncpu && sched_allowed(se, cpu);
}

/* Put a runnable entity on `rq`, or on its throttled list while it is out of budget. */
static void
make_runnable(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	se->cpu = rq->cpu;
	if (sched_key_before(rq->now, se->throttled_until)) {
		se->state = SCHED_THROTTLED;
		sched_rq_throttle(rq, &se->link, se->throttled_until);
		return;
	}
	se->state = SCHED_RUNNABLE;
	s->policy->enqueue(s, rq, se, why);
}

unsigned
sched_select_cpu(struct sched *s, struct sched_entity *se)
{
	unsigned cpu =
	    s->policy->select_cpu ? s->policy->select_cpu(s, se) : sched_select_cpu_default(s, se);

	return valid_cpu(s, se, cpu) ? cpu : sched_select_cpu_default(s, se);
}

int
sched_wakeup_on(struct sched *s, struct sched_entity *se, unsigned cpu, uint64_t now, bool *preempt)
{
	struct sched_rq *rq;

	*preempt = false;
	if (se->state != SCHED_NEW && se->state != SCHED_BLOCKED)
		return E_INVAL;
	if (!valid_cpu(s, se, cpu))
		return E_INVAL; /* affinity names no CPU of this machine */
	rq = &s->rq[cpu];
	*preempt = charge(s, rq, now);
	make_runnable(s, rq, se, SCHED_ENQ_WAKEUP);
	if (se->state != SCHED_RUNNABLE)
		return (int)cpu;
	if (!rq->curr)
		*preempt = true;
	else if (s->policy->wakeup_preempt && s->policy->wakeup_preempt(s, rq, se))
		*preempt = true;
	return (int)cpu;
}

int
sched_wakeup(struct sched *s, struct sched_entity *se, uint64_t now, bool *preempt)
{
	*preempt = false;
	if (se->state != SCHED_NEW && se->state != SCHED_BLOCKED)
		return E_INVAL;
	return sched_wakeup_on(s, se, sched_select_cpu(s, se), now, preempt);
}

int
sched_block(struct sched *s, unsigned cpu, uint64_t now, bool dead)
{
	struct sched_rq *rq;
	struct sched_entity *se;

	if (cpu >= s->ncpu || !(se = s->rq[cpu].curr))
		return E_INVAL;
	rq = &s->rq[cpu];
	charge(s, rq, now);
	s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
	se->state = dead ? SCHED_DEAD : SCHED_BLOCKED;
	rq->curr = NULL;
	return 0;
}

int
sched_remove(struct sched *s, struct sched_entity *se, uint64_t now, bool dead)
{
	struct sched_rq *rq;

	if (se->state == SCHED_RUNNING || se->state == SCHED_DEAD || se->cpu >= s->ncpu)
		return E_INVAL;
	rq = &s->rq[se->cpu];
	rq->now = now;
	if (se->state == SCHED_RUNNABLE)
		s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
	else if (se->state == SCHED_THROTTLED)
		sched_rq_unthrottle(rq, &se->link); /* its dequeue was done when it was throttled */
	se->state = dead ? SCHED_DEAD : SCHED_BLOCKED;
	return 0;
}

bool
sched_job_release(struct sched *s, unsigned cpu, uint64_t now, uint64_t release)
{
	struct sched_rq *rq;
	struct sched_entity *se;
	bool preempt;

	if (cpu >= s->ncpu || !(se = s->rq[cpu].curr))
		return false;
	se->release = release;
	if (!s->policy->job_release)
		return false;
	rq = &s->rq[cpu];
	preempt = charge(s, rq, now);
	return s->policy->job_release(s, rq, se) || preempt;
}

int
sched_yield_cpu(struct sched *s, unsigned cpu, uint64_t now)
{
	struct sched_rq *rq;
	struct sched_entity *se;

	if (cpu >= s->ncpu || !(se = s->rq[cpu].curr))
		return E_INVAL;
	rq = &s->rq[cpu];
	charge(s, rq, now);
	rq->curr = NULL;
	if (sched_key_before(now, se->throttled_until))
		s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
	make_runnable(s, rq, se, SCHED_ENQ_YIELD);
	return 0;
}

/* Return throttled entities whose time has come to the run queue. */
static __attribute__((noinline)) bool
release_throttled_slow(struct sched *s, struct sched_rq *rq)
{
	struct sched_link *l;
	bool preempt = false;

	while ((l = sched_rq_first_throttled(rq)) && !sched_key_before(rq->now, l->key)) {
		struct sched_entity *se = sched_link_entity(l);

		sched_rq_unthrottle(rq, l);
		se->state = SCHED_RUNNABLE;
		s->policy->enqueue(s, rq, se, SCHED_ENQ_WAKEUP);
		if (!rq->curr ||
		    (s->policy->wakeup_preempt && s->policy->wakeup_preempt(s, rq, se)))
			preempt = true;
	}
	return preempt;
}

/* The same; inline, because every schedule asks and the list is usually empty. */
static inline bool
release_throttled(struct sched *s, struct sched_rq *rq)
{
	struct sched_link *l = sched_rq_first_throttled(rq);

	return l && !sched_key_before(rq->now, l->key) && release_throttled_slow(s, rq);
}

bool
sched_tick(struct sched *s, unsigned cpu, uint64_t now)
{
	struct sched_rq *rq = &s->rq[cpu];
	bool preempt = charge(s, rq, now);

	if (release_throttled(s, rq))
		preempt = true;
	if (!rq->curr && rq->nqueued)
		preempt = true;
	return preempt;
}

/* Take the running entity off the CPU: back to the queue, or throttled. */
static void
put_prev(struct sched *s, struct sched_rq *rq)
{
	struct sched_entity *se = rq->curr;

	rq->curr = NULL;
	if (sched_key_before(rq->now, se->throttled_until)) {
		s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
		make_runnable(s, rq, se, SCHED_ENQ_WAKEUP);
	} else {
		se->state = SCHED_RUNNABLE;
		s->policy->enqueue(s, rq, se, SCHED_ENQ_PREEMPT);
	}
}

/* prev (or nothing) has left the CPU: the policy's next entity runs from `now`. */
static struct sched_entity *
run_next(struct sched *s, struct sched_rq *rq, struct sched_entity *prev, uint64_t now)
{
	struct sched_entity *next = s->policy->pick_next(s, rq);

	if (!next)
		return NULL;
	next->state = SCHED_RUNNING;
	next->cpu = rq->cpu;
	rq->curr = next;
	rq->curr_since = now;
	if (next != prev)
		rq->switches++;
	return next;
}

struct sched_entity *
sched_schedule_local(struct sched *s, unsigned cpu, uint64_t now)
{
	struct sched_rq *rq = &s->rq[cpu];
	struct sched_entity *prev = rq->curr;

	charge(s, rq, now);
	release_throttled(s, rq);
	if (prev)
		put_prev(s, rq);
	return run_next(s, rq, prev, now);
}

/* The steps of sched_yield_cpu and of the sched_schedule_local after it, in their order;
 * the second charge (of nothing: curr is gone) is left out. */
struct sched_entity *
sched_yield_next(struct sched *s, unsigned cpu, uint64_t now, uint64_t *timer)
{
	struct sched_rq *rq = &s->rq[cpu];
	struct sched_entity *se = rq->curr, *next;

	if (!se) {
		next = sched_schedule_local(s, cpu, now);
	} else {
		charge(s, rq, now);
		rq->curr = NULL;
		if (sched_key_before(now, se->throttled_until))
			s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
		make_runnable(s, rq, se, SCHED_ENQ_YIELD);
		release_throttled(s, rq);
		next = run_next(s, rq, NULL, now);
	}
	if (timer)
		*timer = next_timer(s, rq, now);
	return next;
}

/* The default wake_direct: next may run at once only when nothing else is queued; the
 * policy's wake-up accounting through its enqueue, and pick_next can only return next. */
static bool
wake_direct_default(struct sched *s, struct sched_rq *rq, struct sched_entity *next)
{
	if (rq->nqueued)
		return false;
	next->state = SCHED_RUNNABLE;
	s->policy->enqueue(s, rq, next, SCHED_ENQ_WAKEUP);
	s->policy->pick_next(s, rq); /* next: the only one queued */
	return true;
}

int
sched_handoff(struct sched *s, unsigned cpu, uint64_t now, struct sched_entity *next,
              uint64_t *timer)
{
	struct sched_rq *rq;
	struct sched_entity *se;
	struct sched_link *l;

	if (cpu >= s->ncpu || !(se = s->rq[cpu].curr) || next->state != SCHED_BLOCKED ||
	    !sched_allowed(next, cpu))
		return E_INVAL;
	rq = &s->rq[cpu];
	l = sched_rq_first_throttled(rq);
	if ((l && !sched_key_before(now, l->key)) || sched_key_before(now, next->throttled_until))
		return E_AGAIN; /* a release is due first, or next would be throttled */
	/* The policy judges next at `now`, with se's time charged. */
	charge(s, rq, now);
	next->cpu = cpu;
	if (s->policy->wake_direct ? !s->policy->wake_direct(s, rq, next)
	                           : !wake_direct_default(s, rq, next))
		return E_AGAIN;
	/* sched_block's step for se (charged above), then run_next's for next. */
	s->policy->dequeue(s, rq, se, SCHED_DEQ_SLEEP);
	se->state = SCHED_BLOCKED;
	next->state = SCHED_RUNNING;
	rq->curr = next;
	rq->curr_since = now;
	rq->switches++;
	if (timer)
		*timer = s->policy->wake_direct ? slice_timer(s, rq, now) : next_timer(s, rq, now);
	return 0;
}

struct sched_entity *
sched_schedule(struct sched *s, unsigned cpu, uint64_t now)
{
	struct sched_entity *next = sched_schedule_local(s, cpu, now);

	if (next)
		return next;
	if (s->policy->balance)
		s->policy->balance(s, cpu);
	else
		sched_balance_default(s, cpu);
	return sched_schedule_local(s, cpu, now);
}

/* sched_next_timer for rq, without the charge: the slice's end or the first release. */
static uint64_t
slice_timer(struct sched *s, struct sched_rq *rq, uint64_t now)
{
	struct sched_link *l = sched_rq_first_throttled(rq);
	uint64_t t = SCHED_NO_TIMER;

	if (rq->curr && s->policy->slice_left) {
		uint64_t left = s->policy->slice_left(s, rq, rq->curr);

		if (left != SCHED_NO_TIMER)
			t = now + left;
	}
	return l && l->key < t ? l->key : t;
}

/* sched_next_timer for rq. */
static inline uint64_t
next_timer(struct sched *s, struct sched_rq *rq, uint64_t now)
{
	struct sched_link *l = sched_rq_first_throttled(rq);
	uint64_t t = SCHED_NO_TIMER;

	if (charge(s, rq, now))
		return now;
	if (rq->curr && s->policy->slice_left) {
		uint64_t left = s->policy->slice_left(s, rq, rq->curr);

		if (left != SCHED_NO_TIMER)
			t = now + left;
	}
	if (l && l->key < t)
		t = l->key;
	return t;
}

uint64_t
sched_next_timer(struct sched *s, unsigned cpu, uint64_t now)
{
	return next_timer(s, &s->rq[cpu], now);
}
