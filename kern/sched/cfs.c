/* A CFS-like weighted fair policy (Linux's Completely Fair Scheduler before 6.6, reduced to
 * its core).  Each entity has a weight from its nice value (Linux's table, weight.c) and a
 * virtual runtime that grows by ran * 1024 / weight: the smallest runs next, so over time
 * each entity gets weight / (sum of weights) of the CPU.  It runs for a slice of the
 * scheduling period in proportion to its weight, at least the minimum granularity:
 * period = 6 ms, or 0.75 ms per entity past 8 (Linux's sched_latency, min_granularity and
 * sched_nr_latency).  A woken entity preempts when the running one's vruntime is ahead of
 * its own by more than the wake-up granularity (1 ms, weighted); a sleeper returns at most
 * half a period (in virtual time) behind the CPU's min_vruntime, so sleeping earns little
 * credit (GENTLE_FAIR_SLEEPERS).  Fair-share bound (test_theory_fair.c): entities always
 * runnable on one CPU from the same instant keep their vruntimes within
 * D = max_i slice_i * 1024 / w_i of one another, so each one's service differs from its
 * ideal share w_i / W * t by at most w_i * D / 1024. */
#include "sched.h"

#define RQ_MIN_VR(r) ((r)->policy_data[0]) /* monotonic floor of the vruntimes here */
#define RQ_WEIGHT(r) ((r)->policy_data[1]) /* weights of the entities joined here */
#define RQ_NR(r)     ((r)->policy_data[2]) /* entities joined here (queued or running) */
#define RQ_RAN(r)    ((r)->policy_data[3]) /* cycles run since the last pick */
#define NR_LATENCY   8

struct cfs_state {
	uint64_t vruntime;
	uint64_t vrem;   /* remainder of ran * 1024 / weight, so no cycle is lost */
	int64_t rel;     /* vruntime - min_vruntime while migrating */
	unsigned weight; /* sched_nice_weight(params.nice) */
	unsigned left_cpu;
	bool joined;  /* counted in RQ_WEIGHT of se->cpu */
	bool started; /* has joined a queue before */
};
SCHED_POLICY_STATE(struct cfs_state, cfs_of)

static uint64_t
latency(const struct sched *s)
{
	return s->hz * 6 / 1000;
}

static uint64_t
min_granularity(const struct sched *s)
{
	return s->hz * 3 / 4000;
}

/* Cycles of real time as virtual time of an entity of weight w, rounded down. */
static uint64_t
to_virtual(uint64_t cycles, unsigned w)
{
	return sched_div128((unsigned __int128)cycles * SCHED_NICE0_WEIGHT, w);
}

static uint64_t
slice(const struct sched *s, const struct sched_rq *rq, const struct sched_entity *se)
{
	uint64_t nr = RQ_NR(rq) ? RQ_NR(rq) : 1, w = RQ_WEIGHT(rq) ? RQ_WEIGHT(rq) : 1;
	uint64_t period = nr <= NR_LATENCY ? latency(s) : nr * min_granularity(s);
	uint64_t sl = sched_div128((unsigned __int128)period * cfs_of(se)->weight, w);

	return sl > min_granularity(s) ? sl : min_granularity(s);
}

static int
cfs_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	struct cfs_state *cs = cfs_of(se);
	unsigned w;

	if (p->nice < -20 || p->nice > 19 || min_granularity(s) == 0)
		return E_INVAL;
	w = sched_nice_weight(p->nice);
	if (cs->joined) /* running: the queue it is counted on keeps the right total */
		RQ_WEIGHT(&s->rq[se->cpu]) += (uint64_t)w - cs->weight;
	se->params = *p;
	cs->weight = w;
	return 0;
}

static void
update_min_vruntime(struct sched_rq *rq, const struct sched_entity *curr)
{
	struct sched_link *first = sched_rq_first(rq, 0);
	uint64_t v = RQ_MIN_VR(rq);
	bool have = false;

	if (curr && cfs_of(curr)->joined) {
		v = cfs_of(curr)->vruntime;
		have = true;
	}
	if (first && (!have || sched_key_before(first->key, v))) {
		v = first->key;
		have = true;
	}
	if (have && sched_key_before(RQ_MIN_VR(rq), v))
		RQ_MIN_VR(rq) = v;
}

/* Where an entity joining rq starts: where it left off on this CPU, but at most half a
 * period behind min_vruntime; at min_vruntime when new here; at the same distance from
 * min_vruntime when migrated. */
static void
place(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	struct cfs_state *cs = cfs_of(se);
	uint64_t floor = RQ_MIN_VR(rq) - latency(s) / 2;

	if (why == SCHED_ENQ_MIGRATE)
		cs->vruntime = RQ_MIN_VR(rq) + (uint64_t)cs->rel;
	else if (!cs->started || cs->left_cpu != rq->cpu)
		cs->vruntime = RQ_MIN_VR(rq);
	else if (sched_key_before(cs->vruntime, floor))
		cs->vruntime = floor;
	cs->started = true;
	cs->joined = true;
	RQ_WEIGHT(rq) += cs->weight;
	RQ_NR(rq)++;
}

static void
cfs_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	if (why == SCHED_ENQ_WAKEUP || why == SCHED_ENQ_MIGRATE)
		place(s, rq, se, why);
	sched_rq_insert_ordered(rq, &se->link, 0, cfs_of(se)->vruntime);
}

static void
cfs_dequeue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_deq why)
{
	struct cfs_state *cs = cfs_of(se);

	if (se->link.queued)
		sched_rq_remove(rq, &se->link);
	if (!cs->joined)
		return;
	cs->joined = false;
	cs->left_cpu = rq->cpu;
	RQ_WEIGHT(rq) -= cs->weight;
	RQ_NR(rq)--;
	if (why == SCHED_DEQ_MIGRATE)
		cs->rel = (int64_t)(cs->vruntime - RQ_MIN_VR(rq));
	update_min_vruntime(rq, rq->curr == se ? NULL : rq->curr);
}

static struct sched_entity *
cfs_pick_next(struct sched *s, struct sched_rq *rq)
{
	RQ_RAN(rq) = 0;
	update_min_vruntime(rq, NULL);
	return sched_rq_pop_first(rq, 0);
}

static bool
cfs_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	struct cfs_state *cs = cfs_of(se);
	unsigned __int128 v = (unsigned __int128)ran * SCHED_NICE0_WEIGHT + cs->vrem;

	uint64_t dv = sched_div128(v, cs->weight);

	cs->vruntime += dv;
	cs->vrem = (uint64_t)(v - (unsigned __int128)dv * cs->weight);
	RQ_RAN(rq) += ran;
	update_min_vruntime(rq, se);
	return rq->nqueued && RQ_RAN(rq) >= slice(s, rq, se);
}

/* Alone, an entity's slice never ends (tick would not end it): no timer. */
static uint64_t
cfs_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	uint64_t sl = slice(s, rq, se);

	if (!rq->nqueued)
		return SCHED_NO_TIMER;

	return RQ_RAN(rq) < sl ? sl - RQ_RAN(rq) : 0;
}

static bool
cfs_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	uint64_t gran = to_virtual(s->hz / 1000, cfs_of(se)->weight);
	uint64_t curr = cfs_of(rq->curr)->vruntime;

	return sched_key_before(cfs_of(se)->vruntime + gran, curr);
}

const struct sched_policy sched_policy_cfs = {
	.name = "cfs",
	.summary = "CFS-like weighted fair sharing: vruntime, nice weights, 0.75 ms granularity",
	.set_params = cfs_set_params,
	.enqueue = cfs_enqueue,
	.dequeue = cfs_dequeue,
	.pick_next = cfs_pick_next,
	.tick = cfs_tick,
	.slice_left = cfs_slice_left,
	.wakeup_preempt = cfs_wakeup_preempt,
};
