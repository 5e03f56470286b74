/* Stride scheduling (Waldspurger & Weihl 1995): each entity holds tickets and advances a
 * virtual time, its pass, by SCHED_STRIDE1 / tickets per cycle run (scaled); the smallest
 * pass runs next, for a quantum.  Each CPU keeps a global pass that advances at the rate of
 * all its runnable tickets; an entity leaving keeps its distance to it (remain) and comes
 * back at the same distance, so sleeping earns no credit and costs none. */
#include "sched.h"

#define RQ_GPASS(rq)   ((rq)->policy_data[0]) /* global pass of this CPU */
#define RQ_TICKETS(rq) ((rq)->policy_data[1]) /* tickets of entities joined here */
#define RQ_USED(rq)    ((rq)->policy_data[2]) /* cycles of the current quantum used */

struct stride_state {
	uint64_t stride; /* SCHED_STRIDE1 / tickets */
	uint64_t pass;   /* virtual time; the smallest pass runs next */
	int64_t remain;  /* pass - global pass, kept while away from a queue */
};
SCHED_POLICY_STATE(struct stride_state, stride_of)

static uint64_t
quantum(const struct sched *s)
{
	return s->hz / 250; /* 4 ms */
}

static int
stride_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	uint32_t tickets = p->tickets ? p->tickets : 100;

	if (tickets > SCHED_STRIDE_MAX_TICKETS || quantum(s) == 0)
		return E_INVAL; /* a zero quantum would end every slice before it starts */
	se->params = *p;
	se->params.tickets = tickets;
	stride_of(se)->stride = SCHED_STRIDE1 / tickets;
	return 0;
}

static void
stride_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	/* LAB 4: an entity joining this CPU (woken or migrated) starts at the global pass plus
	 * the distance it kept when it left, and adds its tickets; then queue by pass. */
	/* BEGIN LAB 4 */
	if (why == SCHED_ENQ_WAKEUP || why == SCHED_ENQ_MIGRATE) {
		stride_of(se)->pass = RQ_GPASS(rq) + (uint64_t)stride_of(se)->remain;
		RQ_TICKETS(rq) += se->params.tickets;
	}
	sched_rq_insert_ordered(rq, &se->link, 0, stride_of(se)->pass);
	/* END LAB 4 */
	/* STUB LAB 4: sched_rq_push(rq, &se->link, 0, false); */
}

static void
stride_dequeue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_deq why)
{
	if (se->link.queued)
		sched_rq_remove(rq, &se->link);
	stride_of(se)->remain = (int64_t)(stride_of(se)->pass - RQ_GPASS(rq));
	RQ_TICKETS(rq) -= se->params.tickets;
}

/* A new quantum starts with every pick, of another entity or the same one again. */
static struct sched_entity *
stride_pick_next(struct sched *s, struct sched_rq *rq)
{
	RQ_USED(rq) = 0;
	return sched_rq_pop_first(rq, 0);
}

static bool
stride_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	/* LAB 4: advance se's pass and this CPU's global pass by `ran` cycles; end the
	 * quantum when it is used up. */
	/* BEGIN LAB 4 */
	stride_of(se)->pass += ran * stride_of(se)->stride;
	if (RQ_TICKETS(rq))
		RQ_GPASS(rq) += ran * SCHED_STRIDE1 / RQ_TICKETS(rq);
	RQ_USED(rq) += ran;
	return RQ_USED(rq) >= quantum(s);
	/* END LAB 4 */
	/* STUB LAB 4: return false; */
}

static uint64_t
stride_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return RQ_USED(rq) < quantum(s) ? quantum(s) - RQ_USED(rq) : 0;
}

const struct sched_policy sched_policy_stride = {
	.name = "stride",
	.summary = "stride scheduling: CPU shares proportional to params.tickets, 4 ms quantum",
	.set_params = stride_set_params,
	.enqueue = stride_enqueue,
	.dequeue = stride_dequeue,
	.pick_next = stride_pick_next,
	.tick = stride_tick,
	.slice_left = stride_slice_left,
};
