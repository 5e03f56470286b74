/* Earliest deadline first with budget enforcement.  Each entity is a server with period P,
 * relative deadline D <= P and budget C <= D (C = 0: no enforcement).  The queued entity
 * with the earliest absolute deadline runs; a woken one with an earlier deadline preempts.
 * Wake-up follows the constant bandwidth server rule (Abeni & Buttazzo 1998): keep the
 * current deadline and budget only if they do not exceed the reserved bandwidth C/P,
 * otherwise start a new period (deadline now + D, budget C).  A server that exhausts its
 * budget is throttled until its next period (deadline - D + P), so an overrunning job gets
 * at most C per P and the others still meet their deadlines when sum(C/P) <= 1 on a CPU.
 * This is the paper's exhaustion rule (recharge C, postpone the deadline by P) made a hard
 * reservation: the recharge waits for the next period.  A server that exhausts its budget
 * after that period has begun (it ran past its deadline) is recharged at once, with the
 * deadline now + D: the old deadline + P may be in the past, and throttling "until" a past
 * instant would let it run again at once with no budget, forever.
 *
 * A caller that knows jobs (exosim: se->release != SCHED_NO_RELEASE) gets textbook EDF for
 * an entity without budget: each job's deadline is its release + D, also for a job released
 * while its predecessor still ran (job_release) or found already released on waking.  A
 * budgeted entity is a CBS server: a job arriving while the server is busy is served with
 * the server's current deadline and budget (CBS changes them only on exhaustion and on
 * wake-up), so job_release changes nothing for it. */
#include "sched.h"

struct edf_state {
	uint64_t abs_deadline; /* deadline of the current job/server period */
	uint64_t budget_left;  /* cycles left in this period */
};
SCHED_POLICY_STATE(struct edf_state, edf_of)

static int
edf_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	uint64_t d = p->deadline ? p->deadline : p->period;

	if (p->period == 0 || d > p->period || p->budget > d)
		return E_INVAL;
	se->params = *p;
	se->params.deadline = d;
	*edf_of(se) = (struct edf_state){ .abs_deadline = 0, .budget_left = 0 };
	return 0;
}

/* LAB 4: write static bool needs_new_period(const struct sched_entity *se, uint64_t now),
 * the CBS wake-up test for edf_enqueue: true when se waking at `now` must start a new period. */
/* BEGIN LAB 4 */
/* The CBS test: is the leftover budget more than the bandwidth allows until the deadline,
 * budget_left / (deadline - now) > C / P?  Compared in 128 bits. */
static bool
needs_new_period(const struct sched_entity *se, uint64_t now)
{
	const struct sched_params *p = &se->params;
	uint64_t dl = edf_of(se)->abs_deadline;

	if (now >= dl)
		return true;
	if (p->budget == 0)
		return false;
	return (unsigned __int128)edf_of(se)->budget_left * p->period >
	       (unsigned __int128)(dl - now) * p->budget;
}
/* END LAB 4 */

static void
edf_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	uint64_t old_deadline = edf_of(se)->abs_deadline;

	if (why == SCHED_ENQ_WAKEUP && se->params.budget == 0 && se->release != SCHED_NO_RELEASE) {
		edf_of(se)->abs_deadline = se->release + se->params.deadline;
		sched_rq_insert_ordered(rq, &se->link, 0, edf_of(se)->abs_deadline);
		if (edf_of(se)->abs_deadline != old_deadline)
			sched_note_release(s, rq, se, old_deadline, edf_of(se)->abs_deadline);
		return;
	}
	/* LAB 4: on wake-up apply the CBS rule, then queue by absolute deadline. */
	/* BEGIN LAB 4 */
	if (why == SCHED_ENQ_WAKEUP && needs_new_period(se, rq->now)) {
		edf_of(se)->abs_deadline = rq->now + se->params.deadline;
		edf_of(se)->budget_left = se->params.budget;
	}
	sched_rq_insert_ordered(rq, &se->link, 0, edf_of(se)->abs_deadline);
	/* END LAB 4 */
	/* STUB LAB 4: sched_rq_push(rq, &se->link, 0, false); */
	if (edf_of(se)->abs_deadline != old_deadline)
		sched_note_release(s, rq, se, old_deadline, edf_of(se)->abs_deadline);
}

static struct sched_entity *
edf_pick_next(struct sched *s, struct sched_rq *rq)
{
	/* LAB 4: take the queued entity with the earliest deadline. */
	/* BEGIN LAB 4 */
	return sched_rq_pop_first(rq, 0);
	/* END LAB 4 */
	/* STUB LAB 4: return NULL; */
}

static bool
edf_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	uint64_t old_deadline = edf_of(se)->abs_deadline;
	struct sched_link *first;

	/* LAB 4: charge the budget; when it is gone, throttle se until its next period
	 * (deadline - D + P) and give up the CPU, or, if that period has already begun,
	 * start a new period now (deadline now + D, full budget) and keep going. */
	/* BEGIN LAB 4 */
	if (se->params.budget) {
		uint64_t *left = &edf_of(se)->budget_left;
		uint64_t next;

		*left -= ran < *left ? ran : *left;
		if (*left == 0) {
			next = edf_of(se)->abs_deadline - se->params.deadline + se->params.period;
			if (sched_key_before(rq->now, next)) {
				se->throttled_until = next;
				return true;
			}
			edf_of(se)->abs_deadline = rq->now + se->params.deadline;
			*left = se->params.budget;
		}
	}
	/* END LAB 4 */
	if (edf_of(se)->abs_deadline != old_deadline)
		sched_note_release(s, rq, se, old_deadline, edf_of(se)->abs_deadline);
	first = sched_rq_first(rq, 0);
	return first && sched_key_before(first->key, edf_of(se)->abs_deadline);
}

/* A job released while se ran its predecessor: a new deadline, unless se is a CBS server. */
static bool
edf_job_release(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	uint64_t old_deadline = edf_of(se)->abs_deadline;
	struct sched_link *first;

	if (se->params.budget)
		return false;
	edf_of(se)->abs_deadline = se->release + se->params.deadline;
	if (edf_of(se)->abs_deadline != old_deadline)
		sched_note_release(s, rq, se, old_deadline, edf_of(se)->abs_deadline);
	first = sched_rq_first(rq, 0);
	return first && sched_key_before(first->key, edf_of(se)->abs_deadline);
}

static uint64_t
edf_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return se->params.budget ? edf_of(se)->budget_left : SCHED_NO_TIMER;
}

static bool
edf_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return sched_key_before(edf_of(se)->abs_deadline, edf_of(rq->curr)->abs_deadline);
}

const struct sched_policy sched_policy_edf = {
	.name = "edf",
	.summary = "earliest deadline first, CBS budgets: a server that overruns is throttled",
	.set_params = edf_set_params,
	.enqueue = edf_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = edf_pick_next,
	.tick = edf_tick,
	.slice_left = edf_slice_left,
	.wakeup_preempt = edf_wakeup_preempt,
	.job_release = edf_job_release,
	.budget_timer = true,
};

uint64_t
sched_edf_deadline(const struct sched_entity *se)
{
	return edf_of(se)->abs_deadline;
}

uint64_t
sched_edf_budget_left(const struct sched_entity *se)
{
	return edf_of(se)->budget_left;
}
