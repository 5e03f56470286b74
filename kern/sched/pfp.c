/* Partitioned fixed priority: each task is placed on one CPU when the set is known
 * (first-fit or worst-fit decreasing by utilisation, admitted by response-time analysis:
 * kern/sched/partition.c) and is scheduled there preemptively by deadline-monotonic
 * priority (Leung & Whitehead 1982; rate-monotonic when D = P, Liu & Layland 1973), FIFO
 * among equal deadlines, never migrating.  The priority is the relative deadline itself,
 * so no priority levels are assigned; params.priority is ignored, params.budget is the
 * worst-case execution time C that partitioning packs by (not enforced). */
#include "part.h"

static const struct part_rule first_fit = { .fit = PART_FIRST_FIT, .fp = true };
static const struct part_rule worst_fit = { .fit = PART_WORST_FIT, .fp = true };

static unsigned
pfp_ff_select_cpu(struct sched *s, struct sched_entity *se)
{
	return part_select_cpu(s, se, &first_fit);
}

static unsigned
pfp_wf_select_cpu(struct sched *s, struct sched_entity *se)
{
	return part_select_cpu(s, se, &worst_fit);
}

static int
pfp_ff_partition(struct sched *s, struct sched_entity **se, unsigned n)
{
	return part_partition(s, se, n, &first_fit);
}

static int
pfp_wf_partition(struct sched *s, struct sched_entity **se, unsigned n)
{
	return part_partition(s, se, n, &worst_fit);
}

/* Ordered by relative deadline; a preempted entity goes back ahead of its equals (it was
 * the oldest of them), as prio.c does within a level. */
static void
pfp_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	struct sched_link *l = sched_rq_first(rq, 0);
	uint64_t d = se->params.deadline;

	if (why != SCHED_ENQ_PREEMPT || !l || l->key > d) {
		sched_rq_insert_ordered(rq, &se->link, 0, d);
		return;
	}
	while (l && l->key < d)
		l = sched_rq_next(rq, l);
	/* Before l (the first equal or later one), or at the tail. */
	se->link.key = d;
	sched_list_insert_before(l ? l : &rq->queue[0], &se->link);
	se->link.level = 0;
	se->link.queued = true;
	rq->nonempty |= 1ULL;
	rq->nqueued++;
}

static struct sched_entity *
pfp_pick_next(struct sched *s, struct sched_rq *rq)
{
	return sched_rq_pop_first(rq, 0);
}

static bool
pfp_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	struct sched_link *first = sched_rq_first(rq, 0);

	return first && first->key < se->params.deadline;
}

static bool
pfp_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return se->params.deadline < rq->curr->params.deadline;
}

const struct sched_policy sched_policy_pfp_ff = {
	.name = "pfp_ff",
	.summary = "partitioned deadline-monotonic priority, first-fit decreasing, RTA admission",
	.set_params = part_set_params,
	.enqueue = pfp_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = pfp_pick_next,
	.tick = pfp_tick,
	.wakeup_preempt = pfp_wakeup_preempt,
	.select_cpu = pfp_ff_select_cpu,
	.balance = part_balance,
	.partition = pfp_ff_partition,
};

const struct sched_policy sched_policy_pfp_wf = {
	.name = "pfp_wf",
	.summary = "partitioned deadline-monotonic priority, worst-fit decreasing, RTA admission",
	.set_params = part_set_params,
	.enqueue = pfp_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = pfp_pick_next,
	.tick = pfp_tick,
	.wakeup_preempt = pfp_wakeup_preempt,
	.select_cpu = pfp_wf_select_cpu,
	.balance = part_balance,
	.partition = pfp_wf_partition,
};
