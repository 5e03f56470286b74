/* Generic placement and load balancing: where a waking entity goes, and how an idle CPU
 * steals queued work.  Policies use these unless their ops table names their own. */
#include "sched.h"

static unsigned
load(const struct sched_rq *rq)
{
	return rq->nqueued + (rq->curr != NULL);
}

/* The last CPU if it is idle (its cache is warm), else the least-loaded allowed CPU,
 * preferring the last CPU on ties and then the lowest id, so placement is deterministic. */
unsigned
sched_select_cpu_default(struct sched *s, struct sched_entity *se)
{
	unsigned best = s->ncpu, best_load = ~0U;

	if (se->cpu < s->ncpu && sched_allowed(se, se->cpu)) {
		best = se->cpu;
		best_load = load(&s->rq[best]);
		if (best_load == 0)
			return best;
	}
	for (unsigned c = 0; c < s->ncpu; c++) {
		if (sched_allowed(se, c) && load(&s->rq[c]) < best_load) {
			best = c;
			best_load = load(&s->rq[c]);
		}
	}
	return best;
}

void
sched_migrate(struct sched *s, struct sched_entity *se, unsigned to)
{
	struct sched_rq *from = &s->rq[se->cpu], *dst = &s->rq[to];

	from->now = dst->now;
	s->policy->dequeue(s, from, se, SCHED_DEQ_MIGRATE);
	se->cpu = to;
	s->policy->enqueue(s, dst, se, SCHED_ENQ_MIGRATE);
}

/* First queued entity of `rq`, in the policy's own order (top level first), that may run
 * on `cpu`: the one the victim would have run next among those we can take. */
static struct sched_entity *
steal_candidate(struct sched_rq *rq, unsigned cpu)
{
	for (uint64_t bits = rq->nonempty; bits; bits &= bits - 1) {
		unsigned level = (unsigned)__builtin_ctzll(bits);

		for (struct sched_link *l = sched_rq_first(rq, level); l;
		     l = sched_rq_next(rq, l)) {
			struct sched_entity *se = sched_link_entity(l);

			if (sched_allowed(se, cpu))
				return se;
		}
	}
	return NULL;
}

/* The CPU with the most waiting entities among those holding one `cpu` may run (lowest id
 * on ties), or s->ncpu when none has.  Reads other CPUs' queues: a caller with per-CPU locks
 * may call it unlocked as a hint and check again under the two locks (sched_steal_from). */
unsigned
sched_busiest(struct sched *s, unsigned cpu)
{
	unsigned most = 0, victim = s->ncpu;

	for (unsigned c = 0; c < s->ncpu; c++) {
		if (c == cpu || s->rq[c].nqueued <= most)
			continue;
		if (steal_candidate(&s->rq[c], cpu)) {
			victim = c;
			most = s->rq[c].nqueued;
		}
	}
	return victim;
}

unsigned
sched_steal_from(struct sched *s, unsigned cpu, unsigned victim)
{
	struct sched_entity *se;

	if (victim >= s->ncpu || victim == cpu || !(se = steal_candidate(&s->rq[victim], cpu)))
		return 0;
	sched_migrate(s, se, cpu);
	return 1;
}

/* Idle `cpu` pulls one waiting entity from the busiest CPU (sched_busiest). */
unsigned
sched_balance_default(struct sched *s, unsigned cpu)
{
	return sched_steal_from(s, cpu, sched_busiest(s, cpu));
}
