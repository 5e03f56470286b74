/* Fixed-priority preemptive scheduling, FIFO within a level (POSIX SCHED_FIFO): level 0 is
 * the most urgent, a woken entity preempts any less urgent one, and nothing is time-sliced.
 * With priorities assigned by period (sched_prio_assign_rm) this is rate-monotonic. */
#include "sched.h"

static int
prio_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	if (p->priority >= SCHED_PRIO_LEVELS)
		return E_INVAL;
	se->params = *p;
	return 0;
}

/* A preempted entity goes back to the head of its level: it was the oldest there. */
static void
prio_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	sched_rq_push(rq, &se->link, se->params.priority, why == SCHED_ENQ_PREEMPT);
}

static struct sched_entity *
prio_pick_next(struct sched *s, struct sched_rq *rq)
{
	return sched_rq_pop_top(rq);
}

/* A woken entity runs at once only if it is more urgent than everything queued (FIFO within
 * a level: an equal one queued goes first).  A level has no wake-up state. */
static bool
prio_wake_direct(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	int level = sched_rq_top_level(rq);

	return level < 0 || se->params.priority < (unsigned)level;
}

/* Only a more urgent queued entity (e.g. one moved here by balancing) ends a run. */
static bool
prio_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	int level = sched_rq_top_level(rq);

	return level >= 0 && (unsigned)level < se->params.priority;
}

static bool
prio_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return se->params.priority < rq->curr->params.priority;
}

const struct sched_policy sched_policy_prio = {
	.name = "prio",
	.summary = "fixed priority, preemptive, FIFO within a level (0 = most urgent)",
	.set_params = prio_set_params,
	.enqueue = prio_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = prio_pick_next,
	.tick = prio_tick,
	.wakeup_preempt = prio_wakeup_preempt,
	.wake_direct = prio_wake_direct,
};

/* Rate-monotonic assignment (Liu & Layland 1973): the rank of a period among the distinct
 * periods is the priority, so shorter periods are more urgent and equal periods share a
 * level.  Ranks past the last level share the last level.  O(n * distinct periods). */
int
sched_prio_assign_rm(struct sched_params *p, unsigned n)
{
	uint64_t prev = 0; /* every period of a lower rank is <= prev */
	unsigned rank = 0, done = 0;

	for (unsigned i = 0; i < n; i++)
		if (p[i].period == 0)
			return E_INVAL;
	while (done < n) {
		uint64_t next = UINT64_MAX;

		for (unsigned i = 0; i < n; i++)
			if (p[i].period > prev && p[i].period < next)
				next = p[i].period;
		for (unsigned i = 0; i < n; i++) {
			if (p[i].period == next) {
				p[i].priority =
				    rank < SCHED_PRIO_LEVELS ? rank : SCHED_PRIO_LEVELS - 1;
				done++;
			}
		}
		prev = next;
		rank++;
	}
	return 0;
}
