/* Earliest eligible virtual deadline first (Stoica & Abdel-Wahab 1995, "Earliest Eligible
 * Virtual Deadline First: A Flexible and Accurate Mechanism for Proportional Share Resource
 * Allocation", TR 95-22, Old Dominion University), in the form Linux adopted in 6.6
 * (kernel/sched/fair.c: avg_vruntime, entity_eligible, place_entity, pick_eevdf).
 *
 * Each entity has a weight w (nice, Linux's table) and asks for the CPU in requests of r
 * cycles (params.quantum, default 0.75 ms: Linux's base_slice).  Virtual time V of a CPU is
 * the weighted average of its entities' vruntimes v_i; an entity's lag, the service it is
 * owed, is w_i (V - v_i).  It is eligible when its lag is >= 0 (v_i <= V), and its virtual
 * deadline is the virtual time at which its request would be served: vd_i = v_i + r w0 / w_i
 * (w0 = 1024).  The eligible entity with the earliest virtual deadline runs until it has
 * received its request (v_i reaches vd_i); then it makes the next one.  A woken entity
 * preempts when it is now the one to pick.  An entity leaving keeps its lag (clamped to two
 * requests, as Linux does) and comes back with it, scaled by (W + w_i) / W so that the
 * average stays where it was (Linux's place_entity).
 *
 * The lag bound (the paper's Theorem 1, for requests served whole): with a fixed set of
 * entities, every lag stays in (-r_max, r_max) (test_theory_fair.c checks it at every
 * step).  V is found by walking the queue: O(n) per decision, kept simple on purpose. */
#include "sched.h"

#define RQ_WEIGHT(r) ((r)->policy_data[0]) /* weights of the entities joined here */
#define RQ_LAST_V(r) ((r)->policy_data[1]) /* V when last computed: placement when empty */

struct eevdf_state {
	uint64_t vruntime; /* virtual time the entity has been served up to */
	uint64_t deadline; /* virtual deadline of its current request */
	uint64_t vrem;     /* remainder of ran * w0 / w, so no cycle is lost */
	int64_t vlag;      /* V - vruntime when it left */
	unsigned weight;
	bool joined; /* counted in RQ_WEIGHT of se->cpu */
};
SCHED_POLICY_STATE(struct eevdf_state, ev_of)

/* The weighted sum of the joined entities' vruntimes, relative to `ref`: V = ref + num / W. */
struct avg {
	uint64_t ref;
	__int128 num;
};

static uint64_t
request(const struct sched *s, const struct sched_entity *se)
{
	return se->params.quantum ? se->params.quantum : s->hz * 3 / 4000;
}

/* r cycles in se's virtual time. */
static uint64_t
vslice(const struct sched *s, const struct sched_entity *se)
{
	return sched_div128((unsigned __int128)request(s, se) * SCHED_NICE0_WEIGHT,
	                    ev_of(se)->weight);
}

static void
add_member(struct avg *a, const struct sched_entity *se)
{
	a->num += (__int128)ev_of(se)->weight * (int64_t)(ev_of(se)->vruntime - a->ref);
}

static struct avg
average(struct sched_rq *rq)
{
	struct sched_link *l = sched_rq_first(rq, 0);
	struct avg a = { .ref = RQ_LAST_V(rq), .num = 0 };

	if (rq->curr && ev_of(rq->curr)->joined)
		a.ref = ev_of(rq->curr)->vruntime;
	else if (l)
		a.ref = ev_of(sched_link_entity(l))->vruntime;
	if (rq->curr && ev_of(rq->curr)->joined)
		add_member(&a, rq->curr);
	for (; l; l = sched_rq_next(rq, l))
		add_member(&a, sched_link_entity(l));
	return a;
}

/* n / d rounded toward zero, for a quotient that fits 64 bits. */
static int64_t
sdiv(__int128 n, uint64_t d)
{
	uint64_t q = sched_div128(n < 0 ? (unsigned __int128)-n : (unsigned __int128)n, d);

	return n < 0 ? -(int64_t)q : (int64_t)q;
}

static uint64_t
vtime(struct sched_rq *rq, const struct avg *a)
{
	uint64_t v = a->ref;

	if (RQ_WEIGHT(rq))
		v += (uint64_t)sdiv(a->num, RQ_WEIGHT(rq));
	RQ_LAST_V(rq) = v;
	return v;
}

/* v_i <= V, without dividing: (v_i - ref) W <= num. */
static bool
eligible(const struct sched_rq *rq, const struct avg *a, const struct sched_entity *se)
{
	return (__int128)(int64_t)(ev_of(se)->vruntime - a->ref) * (__int128)RQ_WEIGHT(rq) <=
	       a->num;
}

static int
eevdf_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	struct eevdf_state *es = ev_of(se);
	unsigned w;

	if (p->nice < -20 || p->nice > 19 || (!p->quantum && s->hz * 3 / 4000 == 0))
		return E_INVAL;
	w = sched_nice_weight(p->nice);
	if (es->joined) /* running: the queue it is counted on keeps the right total */
		RQ_WEIGHT(&s->rq[se->cpu]) += (uint64_t)w - es->weight;
	se->params = *p;
	es->weight = w;
	return 0;
}

/* Join rq with the lag kept from when it left (Linux's place_entity, PLACE_LAG). */
static void
place(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	struct eevdf_state *es = ev_of(se);
	struct avg a = average(rq);
	uint64_t v = vtime(rq, &a);
	__int128 lag = es->vlag;

	if (RQ_WEIGHT(rq))
		lag = sdiv(lag * (__int128)(RQ_WEIGHT(rq) + es->weight), RQ_WEIGHT(rq));
	es->vruntime = v - (uint64_t)(int64_t)lag;
	es->deadline = es->vruntime + vslice(s, se);
	es->joined = true;
	RQ_WEIGHT(rq) += es->weight;
}

static void
eevdf_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	if (why == SCHED_ENQ_WAKEUP || why == SCHED_ENQ_MIGRATE)
		place(s, rq, se);
	else if (why == SCHED_ENQ_YIELD)
		ev_of(se)->deadline += vslice(s, se); /* Linux's yield_task_fair */
	sched_rq_insert_ordered(rq, &se->link, 0, ev_of(se)->deadline);
}

static void
eevdf_dequeue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_deq why)
{
	struct eevdf_state *es = ev_of(se);

	if (es->joined) {
		struct avg a = average(rq);
		int64_t lag = (int64_t)(vtime(rq, &a) - es->vruntime);
		int64_t limit = (int64_t)(2 * vslice(s, se));

		es->vlag = lag > limit ? limit : lag < -limit ? -limit : lag;
		es->joined = false;
		RQ_WEIGHT(rq) -= es->weight;
	}
	if (se->link.queued)
		sched_rq_remove(rq, &se->link);
}

/* The eligible entity with the earliest virtual deadline.  One always exists: the smallest
 * vruntime is at most the weighted average. */
static struct sched_entity *
eevdf_pick_next(struct sched *s, struct sched_rq *rq)
{
	struct avg a = average(rq);

	for (struct sched_link *l = sched_rq_first(rq, 0); l; l = sched_rq_next(rq, l)) {
		struct sched_entity *se = sched_link_entity(l);

		if (eligible(rq, &a, se)) {
			sched_rq_remove(rq, l);
			return se;
		}
	}
	return sched_rq_pop_first(rq, 0);
}

/* Served: advance vruntime; a request fully served makes the next (a new deadline) and
 * lets the others be considered. */
static bool
eevdf_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	struct eevdf_state *es = ev_of(se);
	unsigned __int128 v = (unsigned __int128)ran * SCHED_NICE0_WEIGHT + es->vrem;

	uint64_t dv = sched_div128(v, es->weight);

	es->vruntime += dv;
	es->vrem = (uint64_t)(v - (unsigned __int128)dv * es->weight);
	if (sched_key_before(es->vruntime, es->deadline))
		return false;
	es->deadline = es->vruntime + vslice(s, se);
	return rq->nqueued != 0;
}

/* Cycles until vruntime reaches the deadline: the least c with (c w0 + vrem) / w >= vd - v. */
static uint64_t
eevdf_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	struct eevdf_state *es = ev_of(se);
	unsigned __int128 need;

	if (!sched_key_before(es->vruntime, es->deadline))
		return 0;
	need = (unsigned __int128)(es->deadline - es->vruntime) * es->weight;
	if (need <= es->vrem)
		return 0;
	return (uint64_t)((need - es->vrem + SCHED_NICE0_WEIGHT - 1) >> 10); /* w0 = 2^10 */
}

/* se (queued) preempts when it is what pick_eevdf would now choose, the running entity
 * included if it is eligible (Linux 6.6 check_preempt_wakeup). */
static bool
eevdf_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	struct avg a = average(rq);
	struct sched_entity *curr = rq->curr;

	if (!eligible(rq, &a, se))
		return false;
	for (struct sched_link *l = sched_rq_first(rq, 0); l; l = sched_rq_next(rq, l)) {
		struct sched_entity *q = sched_link_entity(l);

		if (q != se && eligible(rq, &a, q) && sched_key_before(l->key, se->link.key))
			return false; /* an eligible one with an earlier deadline comes first */
	}
	return !eligible(rq, &a, curr) ||
	       sched_key_before(ev_of(se)->deadline, ev_of(curr)->deadline);
}

const struct sched_policy sched_policy_eevdf = {
	.name = "eevdf",
	.summary = "earliest eligible virtual deadline first (Linux 6.6): lag, eligibility",
	.set_params = eevdf_set_params,
	.enqueue = eevdf_enqueue,
	.dequeue = eevdf_dequeue,
	.pick_next = eevdf_pick_next,
	.tick = eevdf_tick,
	.slice_left = eevdf_slice_left,
	.wakeup_preempt = eevdf_wakeup_preempt,
};
