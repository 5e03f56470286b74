/* Multi-level feedback queue, after the rules in Arpaci-Dusseau, OSTEP ch. 8:
 *  1. MLFQ_LEVELS levels; a queued entity of a higher level (0 is the top) always runs
 *     before one of a lower level, and a woken entity preempts a running one of a lower
 *     level.
 *  2. Within a level, round robin: an entity runs until its allotment at that level is
 *     used up or it blocks; preempted with allotment left, it keeps its place.
 *  3. A new entity starts at the top level.
 *  4. Allotment per level: MLFQ_QUANTUM_US << level (2, 4, 8, 16 ms).  Time is counted
 *     across blocking, so sleeping just before the allotment ends does not keep an entity
 *     high; once used up, it moves one level down (the bottom level is plain round robin).
 *  5. Priority boost: every MLFQ_BOOST_MS all entities go back to the top level with a
 *     fresh allotment, so CPU-bound entities cannot starve and phase changes are noticed.
 *     Boost epochs are global (floor(now / boost period)); queued entities are moved when a
 *     CPU notices a new epoch, sleeping ones when they wake. */
#include "sched.h"

#define MLFQ_LEVELS     4
#define MLFQ_QUANTUM_US 2000
#define MLFQ_BOOST_MS   100

#define RQ_EPOCH(rq) ((rq)->policy_data[0])

struct mlfq_state {
	unsigned level; /* current queue, 0 = highest */
	uint64_t used;  /* cycles used of this level's allotment */
	uint64_t epoch; /* boost epoch the level belongs to */
};
SCHED_POLICY_STATE(struct mlfq_state, mlfq_of)

static uint64_t
allotment(const struct sched *s, unsigned level)
{
	return (s->hz / 1000000 * MLFQ_QUANTUM_US) << level;
}

static uint64_t
boost_period(const struct sched *s)
{
	return s->hz / 1000 * MLFQ_BOOST_MS;
}

static uint64_t
epoch_of(const struct sched *s, uint64_t now)
{
	return now / boost_period(s);
}

static void
to_top(struct sched_entity *se, uint64_t epoch)
{
	*mlfq_of(se) = (struct mlfq_state){ .level = 0, .used = 0, .epoch = epoch };
}

static int
mlfq_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	if (boost_period(s) == 0 || allotment(s, 0) == 0)
		return E_INVAL; /* a clock too slow to express the quanta */
	se->params = *p;
	to_top(se, 0);
	return 0;
}

/* Rule 5 for the entities queued on this CPU, once per epoch. */
static void
boost_queued(struct sched *s, struct sched_rq *rq, uint64_t epoch)
{
	struct sched_link *l;

	RQ_EPOCH(rq) = epoch;
	for (unsigned level = 1; level < MLFQ_LEVELS; level++) {
		while ((l = sched_rq_first(rq, level))) {
			sched_rq_remove(rq, l);
			to_top(sched_link_entity(l), epoch);
			sched_rq_push(rq, l, 0, false);
		}
	}
}

static void
mlfq_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	uint64_t epoch = epoch_of(s, rq->now);
	bool keep_place;

	if (RQ_EPOCH(rq) != epoch)
		boost_queued(s, rq, epoch);
	if (mlfq_of(se)->epoch != epoch)
		to_top(se, epoch);
	keep_place = why == SCHED_ENQ_PREEMPT && mlfq_of(se)->used > 0;
	sched_rq_push(rq, &se->link, mlfq_of(se)->level, keep_place);
}

static struct sched_entity *
mlfq_pick_next(struct sched *s, struct sched_rq *rq)
{
	return sched_rq_pop_top(rq);
}

static bool
mlfq_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	struct mlfq_state *m = mlfq_of(se);
	uint64_t epoch = epoch_of(s, rq->now);
	int top;

	if (RQ_EPOCH(rq) != epoch)
		boost_queued(s, rq, epoch);
	if (m->epoch != epoch) {
		to_top(se, epoch);
		return sched_rq_top_level(rq) == 0; /* let the boosted queue take turns */
	}
	m->used += ran;
	if (m->used >= allotment(s, m->level)) {
		if (m->level + 1 < MLFQ_LEVELS)
			m->level++;
		m->used = 0;
		return true;
	}
	top = sched_rq_top_level(rq);
	return top >= 0 && (unsigned)top < m->level;
}

/* Until the allotment runs out or the next boost, whichever comes first. */
static uint64_t
mlfq_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	const struct mlfq_state *m = mlfq_of(se);
	uint64_t a = allotment(s, m->level);
	uint64_t left = m->used < a ? a - m->used : 0;
	uint64_t to_boost = (epoch_of(s, rq->now) + 1) * boost_period(s) - rq->now;

	return left < to_boost ? left : to_boost;
}

static bool
mlfq_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return mlfq_of(se)->level < mlfq_of(rq->curr)->level;
}

const struct sched_policy sched_policy_mlfq = {
	.name = "mlfq",
	.summary = "multi-level feedback queue: 4 levels, 2/4/8/16 ms, boost every 100 ms",
	.set_params = mlfq_set_params,
	.enqueue = mlfq_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = mlfq_pick_next,
	.tick = mlfq_tick,
	.slice_left = mlfq_slice_left,
	.wakeup_preempt = mlfq_wakeup_preempt,
};

unsigned
sched_mlfq_level(const struct sched_entity *se)
{
	return mlfq_of(se)->level;
}
