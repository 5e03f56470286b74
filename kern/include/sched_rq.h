/* The per-CPU run-queue container shared by every scheduling policy: SCHED_RQ_LEVELS
 * FIFO lists with a bitmap of the non-empty ones, and key-ordered insertion inside a list.
 * A policy chooses what a level and a key mean (priority level, pass, deadline). */
#ifndef EXOLAB_SCHED_RQ_H
#define EXOLAB_SCHED_RQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_RQ_LEVELS 64 /* one bit each in sched_rq.nonempty */

/* Intrusive link, embedded in struct sched_entity.  A list head is a link whose next and
 * prev point to itself when empty. */
struct sched_link {
	struct sched_link *next, *prev;
	uint64_t key;   /* ordering key for sched_rq_insert_ordered() */
	unsigned level; /* the list it is on, valid while queued */
	bool queued;
};

struct sched_entity;

struct sched_rq {
	unsigned cpu;
	unsigned nqueued;  /* entities in queue[], not counting curr or throttled */
	uint64_t nonempty; /* bit l set <=> queue[l] is non-empty */
	struct sched_link queue[SCHED_RQ_LEVELS];
	struct sched_link throttled; /* THROTTLED entities, ordered by throttled_until */
	struct sched_entity *curr;   /* running entity, never in queue[] */
	uint64_t now;                /* current cycle, set by the core before every policy op */
	uint64_t curr_since;         /* cycles of curr before this are accounted */
	uint64_t switches;           /* times curr changed to a different entity */
	uint64_t policy_data[4];     /* per-CPU policy state (stride's global pass, ...) */
};

void sched_rq_init(struct sched_rq *rq, unsigned cpu);
/* Insert into list `level` after every link whose key is <= `key` (FIFO among equals).
 * Keys compare as wrapping signed differences, so they may wrap around 2^64. */
void sched_rq_insert_ordered(struct sched_rq *rq, struct sched_link *l, unsigned level,
                             uint64_t key);
/* Insert into the throttled list (not counted in nqueued), ordered by `until`. */
void sched_rq_throttle(struct sched_rq *rq, struct sched_link *l, uint64_t until);

/* Wrapping comparison: a before b. */
static inline bool
sched_key_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

/* The list operations below are inline: a context switch makes several (a yield pushes one
 * entity and pops another), and each is a few instructions next to a call's overhead. */
static inline void
sched_list_insert_before(struct sched_link *pos, struct sched_link *l)
{
	l->next = pos;
	l->prev = pos->prev;
	pos->prev->next = l;
	pos->prev = l;
}

static inline void
sched_list_unlink(struct sched_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = l;
}

/* Append (or prepend when `head`) to list `level`. */
static inline void
sched_rq_push(struct sched_rq *rq, struct sched_link *l, unsigned level, bool head)
{
	struct sched_link *q = &rq->queue[level];

	sched_list_insert_before(head ? q->next : q, l);
	l->level = level;
	l->queued = true;
	rq->nonempty |= 1ULL << level;
	rq->nqueued++;
}

static inline void
sched_rq_remove(struct sched_rq *rq, struct sched_link *l)
{
	unsigned level = l->level;

	sched_list_unlink(l);
	l->queued = false;
	if (rq->queue[level].next == &rq->queue[level])
		rq->nonempty &= ~(1ULL << level);
	rq->nqueued--;
}

/* First link of list `level`, or NULL. */
static inline struct sched_link *
sched_rq_first(struct sched_rq *rq, unsigned level)
{
	struct sched_link *q = &rq->queue[level];

	return q->next == q ? NULL : q->next;
}

/* Next link after `l` on its list, or NULL at the end. */
static inline struct sched_link *
sched_rq_next(struct sched_rq *rq, struct sched_link *l)
{
	return l->next == &rq->queue[l->level] ? NULL : l->next;
}

/* Lowest-numbered non-empty level, or -1 when nothing is queued. */
static inline int
sched_rq_top_level(const struct sched_rq *rq)
{
	return rq->nonempty ? __builtin_ctzll(rq->nonempty) : -1;
}

/* First throttled link (the earliest release), or NULL. */
static inline struct sched_link *
sched_rq_first_throttled(struct sched_rq *rq)
{
	struct sched_link *q = &rq->throttled;

	return q->next == q ? NULL : q->next;
}

static inline void
sched_rq_unthrottle(struct sched_rq *rq, struct sched_link *l)
{
	sched_list_unlink(l);
}

/* Not clang-formatted: it takes `(l) -` for a cast. */
/* clang-format off */
#define sched_link_entity(l) \
	((struct sched_entity *)((char *)(l) - offsetof(struct sched_entity, link)))
/* clang-format on */

#endif
