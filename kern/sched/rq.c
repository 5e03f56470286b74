/* The per-CPU run-queue container (see sched_rq.h): levelled FIFO lists with a bitmap,
 * key-ordered insertion, and the list of throttled entities. */
#include "sched.h"

static void
list_init(struct sched_link *head)
{
	head->next = head;
	head->prev = head;
}

void
sched_rq_init(struct sched_rq *rq, unsigned cpu)
{
	*rq = (struct sched_rq){ .cpu = cpu };
	for (unsigned i = 0; i < SCHED_RQ_LEVELS; i++)
		list_init(&rq->queue[i]);
	list_init(&rq->throttled);
}

/* Walks from the tail: most insertions (a new period, a fresh pass) land near the end. */
static void
insert_ordered(struct sched_link *head, struct sched_link *l, uint64_t key)
{
	struct sched_link *pos = head->prev;

	while (pos != head && sched_key_before(key, pos->key))
		pos = pos->prev;
	l->key = key;
	sched_list_insert_before(pos->next, l);
}

void
sched_rq_insert_ordered(struct sched_rq *rq, struct sched_link *l, unsigned level, uint64_t key)
{
	insert_ordered(&rq->queue[level], l, key);
	l->level = level;
	l->queued = true;
	rq->nonempty |= 1ULL << level;
	rq->nqueued++;
}

void
sched_rq_throttle(struct sched_rq *rq, struct sched_link *l, uint64_t until)
{
	insert_ordered(&rq->throttled, l, until);
}
