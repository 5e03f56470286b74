/* The per-CPU run-queue container (see sched_rq.h): levelled FIFO lists with a bitmap,
 * key-ordered insertion, and the list of throttled entities. */
#include "sched.h"

static void
list_init(struct sched_link *head)
{
	head->next = head;
	head->prev = head;
}

static void
list_insert_before(struct sched_link *pos, struct sched_link *l)
{
	l->next = pos;
	l->prev = pos->prev;
	pos->prev->next = l;
	pos->prev = l;
}

static void
list_unlink(struct sched_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = l;
}

void
sched_rq_init(struct sched_rq *rq, unsigned cpu)
{
	*rq = (struct sched_rq){ .cpu = cpu };
	for (unsigned i = 0; i < SCHED_RQ_LEVELS; i++)
		list_init(&rq->queue[i]);
	list_init(&rq->throttled);
}

void
sched_rq_push(struct sched_rq *rq, struct sched_link *l, unsigned level, bool head)
{
	struct sched_link *q = &rq->queue[level];

	list_insert_before(head ? q->next : q, l);
	l->level = level;
	l->queued = true;
	rq->nonempty |= 1ULL << level;
	rq->nqueued++;
}

/* Walks from the tail: most insertions (a new period, a fresh pass) land near the end. */
static void
insert_ordered(struct sched_link *head, struct sched_link *l, uint64_t key)
{
	struct sched_link *pos = head->prev;

	while (pos != head && sched_key_before(key, pos->key))
		pos = pos->prev;
	l->key = key;
	list_insert_before(pos->next, l);
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
sched_rq_remove(struct sched_rq *rq, struct sched_link *l)
{
	unsigned level = l->level;

	list_unlink(l);
	l->queued = false;
	if (rq->queue[level].next == &rq->queue[level])
		rq->nonempty &= ~(1ULL << level);
	rq->nqueued--;
}

struct sched_link *
sched_rq_first(struct sched_rq *rq, unsigned level)
{
	struct sched_link *q = &rq->queue[level];

	return q->next == q ? NULL : q->next;
}

struct sched_link *
sched_rq_next(struct sched_rq *rq, struct sched_link *l)
{
	return l->next == &rq->queue[l->level] ? NULL : l->next;
}

int
sched_rq_top_level(const struct sched_rq *rq)
{
	return rq->nonempty ? __builtin_ctzll(rq->nonempty) : -1;
}

struct sched_entity *
sched_rq_pop_first(struct sched_rq *rq, unsigned level)
{
	struct sched_link *l = sched_rq_first(rq, level);

	if (!l)
		return NULL;
	sched_rq_remove(rq, l);
	return sched_link_entity(l);
}

struct sched_entity *
sched_rq_pop_top(struct sched_rq *rq)
{
	int level = sched_rq_top_level(rq);

	return level < 0 ? NULL : sched_rq_pop_first(rq, (unsigned)level);
}

void
sched_rq_throttle(struct sched_rq *rq, struct sched_link *l, uint64_t until)
{
	insert_ordered(&rq->throttled, l, until);
}

struct sched_link *
sched_rq_first_throttled(struct sched_rq *rq)
{
	struct sched_link *q = &rq->throttled;

	return q->next == q ? NULL : q->next;
}

void
sched_rq_unthrottle(struct sched_rq *rq, struct sched_link *l)
{
	list_unlink(l);
}
