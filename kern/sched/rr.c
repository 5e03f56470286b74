/* Round robin: one FIFO, each entity runs for a quantum (its own, or 4 ms by default) and
 * then goes to the back.  A preempted entity that has slice left keeps its place. */
#include "sched.h"

struct rr_state {
	uint64_t used; /* cycles of the current quantum already run */
};
SCHED_POLICY_STATE(struct rr_state, rr_of)

static uint64_t
quantum(const struct sched *s, const struct sched_entity *se)
{
	return se->params.quantum ? se->params.quantum : s->hz / 250;
}

static int
rr_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	if (!p->quantum && s->hz / 250 == 0)
		return E_INVAL; /* a zero quantum would end every slice before it starts */
	se->params = *p;
	rr_of(se)->used = 0;
	return 0;
}

static void
rr_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	bool keep_place = why == SCHED_ENQ_PREEMPT && rr_of(se)->used < quantum(s, se);

	if (!keep_place)
		rr_of(se)->used = 0;
	sched_rq_push(rq, &se->link, 0, keep_place);
}

/* FIFO: a woken entity runs at once only with nothing queued ahead of it; it starts a
 * fresh quantum, as rr_enqueue gives it. */
static bool
rr_wake_direct(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	if (rq->nqueued)
		return false;
	rr_of(se)->used = 0;
	return true;
}

static struct sched_entity *
rr_pick_next(struct sched *s, struct sched_rq *rq)
{
	return sched_rq_pop_first(rq, 0);
}

static bool
rr_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	rr_of(se)->used += ran;
	return rr_of(se)->used >= quantum(s, se);
}

static uint64_t
rr_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	uint64_t q = quantum(s, se), used = rr_of(se)->used;

	return used < q ? q - used : 0;
}

const struct sched_policy sched_policy_rr = {
	.name = "rr",
	.summary = "round robin, 4 ms quantum (params.quantum overrides)",
	.set_params = rr_set_params,
	.enqueue = rr_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = rr_pick_next,
	.tick = rr_tick,
	.slice_left = rr_slice_left,
	.wake_direct = rr_wake_direct,
};
