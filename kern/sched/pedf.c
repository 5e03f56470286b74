/* Partitioned earliest deadline first: each task is placed on one CPU when the set is
 * known (first-fit or worst-fit decreasing by utilisation, kern/sched/partition.c) and is
 * scheduled there by EDF, never migrating.  A CPU whose densities sum to at most 1 meets
 * every deadline (Liu & Layland 1973), so a set the partitioner places whole is schedulable.
 * A job's deadline is its release plus D, as in gedf.c (sched_wake_deadline, job_release),
 * and a yield ends one (sched_next_job).  params.budget is the worst-case
 * execution time C that partitioning packs by; it is not enforced. */
#include "part.h"

static const struct part_rule first_fit = { .fit = PART_FIRST_FIT, .fp = false };
static const struct part_rule worst_fit = { .fit = PART_WORST_FIT, .fp = false };

static unsigned
pedf_ff_select_cpu(struct sched *s, struct sched_entity *se)
{
	return part_select_cpu(s, se, &first_fit);
}

static unsigned
pedf_wf_select_cpu(struct sched *s, struct sched_entity *se)
{
	return part_select_cpu(s, se, &worst_fit);
}

static int
pedf_ff_partition(struct sched *s, struct sched_entity **se, unsigned n)
{
	return part_partition(s, se, n, &first_fit);
}

static int
pedf_wf_partition(struct sched *s, struct sched_entity **se, unsigned n)
{
	return part_partition(s, se, n, &worst_fit);
}

static void
pedf_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	uint64_t old = part_of(se)->abs_deadline;

	if (why == SCHED_ENQ_WAKEUP)
		part_of(se)->abs_deadline = sched_wake_deadline(se, old, rq->now);
	else if (why == SCHED_ENQ_YIELD)
		part_of(se)->abs_deadline =
		    sched_next_job(se->params.period, se->params.deadline, old, rq->now);
	if (part_of(se)->abs_deadline != old)
		sched_note_release(s, rq, se, old, part_of(se)->abs_deadline);
	sched_rq_insert_ordered(rq, &se->link, 0, part_of(se)->abs_deadline);
}

static struct sched_entity *
pedf_pick_next(struct sched *s, struct sched_rq *rq)
{
	return sched_rq_pop_first(rq, 0);
}

static bool
pedf_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	struct sched_link *first = sched_rq_first(rq, 0);

	return first && sched_key_before(first->key, part_of(se)->abs_deadline);
}

/* A job released while se ran its late predecessor (exosim): its deadline is its release
 * + D, and a queued job may now be more urgent. */
static bool
pedf_job_release(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	uint64_t old = part_of(se)->abs_deadline, dl = se->release + se->params.deadline;
	struct sched_link *first = sched_rq_first(rq, 0);

	part_of(se)->abs_deadline = dl;
	if (dl != old)
		sched_note_release(s, rq, se, old, dl);
	return first && sched_key_before(first->key, dl);
}

static bool
pedf_wakeup_preempt(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	return sched_key_before(part_of(se)->abs_deadline, part_of(rq->curr)->abs_deadline);
}

const struct sched_policy sched_policy_pedf_ff = {
	.name = "pedf_ff",
	.summary = "partitioned EDF, first-fit decreasing by utilisation (params.budget = C)",
	.set_params = part_set_params,
	.enqueue = pedf_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = pedf_pick_next,
	.tick = pedf_tick,
	.wakeup_preempt = pedf_wakeup_preempt,
	.job_release = pedf_job_release,
	.select_cpu = pedf_ff_select_cpu,
	.balance = part_balance,
	.partition = pedf_ff_partition,
};

const struct sched_policy sched_policy_pedf_wf = {
	.name = "pedf_wf",
	.summary = "partitioned EDF, worst-fit decreasing by utilisation (params.budget = C)",
	.set_params = part_set_params,
	.enqueue = pedf_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = pedf_pick_next,
	.tick = pedf_tick,
	.wakeup_preempt = pedf_wakeup_preempt,
	.job_release = pedf_job_release,
	.select_cpu = pedf_wf_select_cpu,
	.balance = part_balance,
	.partition = pedf_wf_partition,
};
