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
/* Append (or prepend when `head`) to list `level`. */
void sched_rq_push(struct sched_rq *rq, struct sched_link *l, unsigned level, bool head);
/* Insert into list `level` after every link whose key is <= `key` (FIFO among equals).
 * Keys compare as wrapping signed differences, so they may wrap around 2^64. */
void sched_rq_insert_ordered(struct sched_rq *rq, struct sched_link *l, unsigned level,
                             uint64_t key);
void sched_rq_remove(struct sched_rq *rq, struct sched_link *l);
/* First link of list `level`, or NULL. */
struct sched_link *sched_rq_first(struct sched_rq *rq, unsigned level);
/* Next link after `l` on its list, or NULL at the end. */
struct sched_link *sched_rq_next(struct sched_rq *rq, struct sched_link *l);
/* Lowest-numbered non-empty level, or -1 when nothing is queued. */
int sched_rq_top_level(const struct sched_rq *rq);
/* Remove and return the first entity of list `level` (the smallest key of an ordered
 * list), or NULL when that list is empty: pick-next of a one-list policy. */
struct sched_entity *sched_rq_pop_first(struct sched_rq *rq, unsigned level);
/* Remove and return the first entity of the lowest-numbered non-empty level, or NULL
 * when nothing is queued: pick-next of a policy whose levels are priorities. */
struct sched_entity *sched_rq_pop_top(struct sched_rq *rq);

/* The throttled list (not counted in nqueued). */
void sched_rq_throttle(struct sched_rq *rq, struct sched_link *l, uint64_t until);
struct sched_link *sched_rq_first_throttled(struct sched_rq *rq);
void sched_rq_unthrottle(struct sched_rq *rq, struct sched_link *l);

/* Wrapping comparison: a before b. */
static inline bool
sched_key_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

/* Not clang-formatted: it takes `(l) -` for a cast. */
/* clang-format off */
#define sched_link_entity(l) \
	((struct sched_entity *)((char *)(l) - offsetof(struct sched_entity, link)))
/* clang-format on */

#endif
