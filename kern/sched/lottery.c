/* Lottery scheduling (Waldspurger & Weihl 1994, "Lottery Scheduling: Flexible
 * Proportional-Share Resource Management", OSDI): each entity holds params.tickets (default
 * 100); at the start of every quantum (params.quantum of the running entity, 4 ms by
 * default) a ticket is drawn uniformly among those of the queued entities, and its holder
 * runs.  An entity's expected share is its fraction of the tickets; over n quanta its wins
 * are binomial, so the error of its share shrinks as 1 / sqrt(n) (stride.c is the
 * deterministic counterpart).  The draws come from a pseudo-random generator per CPU with a
 * fixed seed, so a run is the same every time.  Not done: the paper's compensation tickets
 * for entities that use part of a quantum, ticket transfers and currencies. */
#include "sched.h"

#define RQ_RNG(r)  ((r)->policy_data[0]) /* generator state */
#define RQ_USED(r) ((r)->policy_data[1]) /* cycles of the current quantum run */

#define LOTTERY_SEED 0x4c6f7474657279ULL /* "Lottery" */

/* SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter through a bijective mixer. */
static uint64_t
next_random(struct sched_rq *rq)
{
	uint64_t z = (RQ_RNG(rq) += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0: reject the top values that would make some residues likelier. */
static uint64_t
random_below(struct sched_rq *rq, uint64_t n)
{
	uint64_t threshold = -n % n, r;

	while ((r = next_random(rq)) < threshold)
		;
	return r % n;
}

static uint64_t
quantum(const struct sched *s, const struct sched_entity *se)
{
	return se->params.quantum ? se->params.quantum : s->hz / 250;
}

static int
lottery_init(struct sched *s)
{
	for (unsigned c = 0; c < s->ncpu; c++)
		RQ_RNG(&s->rq[c]) = LOTTERY_SEED + c;
	return 0;
}

static int
lottery_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	uint32_t tickets = p->tickets ? p->tickets : 100;

	if (tickets > SCHED_STRIDE_MAX_TICKETS || (!p->quantum && s->hz / 250 == 0))
		return E_INVAL;
	se->params = *p;
	se->params.tickets = tickets;
	return 0;
}

static void
lottery_enqueue(struct sched *s, struct sched_rq *rq, struct sched_entity *se, enum sched_enq why)
{
	sched_rq_push(rq, &se->link, 0, false);
}

/* Draw a ticket among the queued entities; walk the queue to its holder. */
static struct sched_entity *
lottery_pick_next(struct sched *s, struct sched_rq *rq)
{
	uint64_t total = 0, winner;
	struct sched_link *l;

	RQ_USED(rq) = 0;
	for (l = sched_rq_first(rq, 0); l; l = sched_rq_next(rq, l))
		total += sched_link_entity(l)->params.tickets;
	if (total == 0)
		return NULL;
	winner = random_below(rq, total);
	for (l = sched_rq_first(rq, 0);; l = sched_rq_next(rq, l)) {
		uint64_t t = sched_link_entity(l)->params.tickets;

		if (winner < t)
			break;
		winner -= t;
	}
	sched_rq_remove(rq, l);
	return sched_link_entity(l);
}

static bool
lottery_tick(struct sched *s, struct sched_rq *rq, struct sched_entity *se, uint64_t ran)
{
	RQ_USED(rq) += ran;
	return RQ_USED(rq) >= quantum(s, se);
}

static uint64_t
lottery_slice_left(struct sched *s, struct sched_rq *rq, struct sched_entity *se)
{
	uint64_t q = quantum(s, se);

	return RQ_USED(rq) < q ? q - RQ_USED(rq) : 0;
}

const struct sched_policy sched_policy_lottery = {
	.name = "lottery",
	.summary = "lottery scheduling: a ticket drawn every quantum (fixed-seed generator)",
	.init = lottery_init,
	.set_params = lottery_set_params,
	.enqueue = lottery_enqueue,
	.dequeue = sched_dequeue_queued,
	.pick_next = lottery_pick_next,
	.tick = lottery_tick,
	.slice_left = lottery_slice_left,
};
