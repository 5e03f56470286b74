/* Fixed-priority analysis: utilisation bounds and exact response-time analysis. */
#include <math.h>

#include "analysis.h"

/* The task belongs to the selection `cpu`: -2 all, else the tasks pinned to that CPU (-1:
 * the unpinned ones). */
static bool
selected(const struct an_task *t, int cpu)
{
	return cpu == -2 || t->cpu == cpu;
}

double
an_util(const struct an_set *s, int cpu)
{
	double u = 0;

	for (unsigned i = 0; i < s->n; i++)
		if (selected(&s->task[i], cpu) && s->task[i].t)
			u += (double)s->task[i].c / (double)s->task[i].t;
	return u;
}

/* Liu & Layland, "Scheduling algorithms for multiprogramming in a hard-real-time
 * environment", JACM 20(1), 1973, Theorem 5: rate-monotonic priorities meet every
 * implicit deadline when U <= n (2^(1/n) - 1). */
double
an_ll_bound(unsigned n)
{
	return n ? (double)n * (pow(2.0, 1.0 / (double)n) - 1.0) : 0;
}

/* Bini, Buttazzo & Buttazzo, "Rate monotonic analysis: the hyperbolic bound", IEEE Trans.
 * Computers 52(7), 2003: RM meets every implicit deadline when prod (U_i + 1) <= 2, a bound
 * tighter than Liu and Layland's. */
double
an_hyperbolic(const struct an_set *s, int cpu)
{
	double p = 1;

	for (unsigned i = 0; i < s->n; i++)
		if (selected(&s->task[i], cpu) && s->task[i].t)
			p *= 1.0 + (double)s->task[i].c / (double)s->task[i].t;
	return p;
}

static uint64_t
ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/*
 * Response-time analysis: Joseph & Pandya, "Finding response times in a real-time
 * system", The Computer Journal 29(5), 1986; Audsley, Burns, Richardson, Tindell &
 * Wellings, "Applying new scheduling theory to static priority pre-emptive scheduling",
 * Software Engineering Journal 8(5), 1993.  With D <= T the least fixed point of
 *   R = C_i + B + sum_{j in hp(i)} ceil(R / T_j) C_j
 * from R = C_i + B is the worst case, reached at the synchronous release.
 * Tasks of equal level interfere too (exosim queues equals FIFO: a conservative bound).
 *
 * Overheads (Burns & Wellings, "Real-Time Systems and Programming Languages", ch. 11,
 * the usual folding), as exosim charges them (docs/sim.md): every job starts with a
 * context switch (C_i + cs), every preemption costs two switches, one to the preempting
 * job and one back (C_j + 2 cs); the periodic tick is the highest-priority task
 * (tick_period, tick); and a job released while the CPU is inside a switch or a tick it
 * cannot interrupt waits for it: B = cs + tick.
 */
uint64_t
an_rta(const struct an_set *s, unsigned i, const struct an_cost *cost)
{
	const struct an_task *ti = &s->task[i];
	uint64_t cs = cost ? cost->cs : 0, tick = cost ? cost->tick : 0;
	uint64_t tp = cost && cost->tick ? cost->tick_period : 0;
	uint64_t base = ti->c + cs + (cost ? cs + tick : 0), r = base;

	if (ti->why || ti->d == 0)
		return 0;
	for (;;) {
		uint64_t next = base + (tp ? ceil_div(r, tp) * tick : 0);

		for (unsigned j = 0; j < s->n; j++) {
			const struct an_task *tj = &s->task[j];

			if (j == i || tj->cpu != ti->cpu || tj->level > ti->level || tj->why)
				continue;
			next += ceil_div(r, tj->t) * (tj->c + 2 * cs);
			if (next > ti->d)
				return 0;
		}
		if (next > ti->d)
			return 0;
		if (next == r)
			return r;
		r = next;
	}
}
