/* Partitioning for the partitioned policies (pedf.c, pfp.c): bin packing of tasks onto
 * CPUs by utilisation, first-fit or worst-fit, with a per-CPU schedulability test as the
 * bin's capacity.  A whole task set known in advance is placed in decreasing order of
 * utilisation (FFD, WFD: Lopez, Diaz & Garcia 2004 for EDF; Dhall & Liu 1978, Oh & Baker
 * 1998 for rate-monotonic first-fit); an entity not placed that way (the kernel's envs,
 * whose parameters come one at a time) is placed when it first wakes.  The tests:
 * - EDF: the densities C/D of a CPU's tasks sum to at most 1 (Liu & Layland 1973 for D = P;
 *   sufficient for D < P);
 * - fixed priority, whole set: response-time analysis (Joseph & Pandya 1986; Audsley et al.
 *   1993), R_i = C_i + sum over j with D_j <= D_i of ceil(R_i / T_j) C_j <= D_i, equal
 *   deadlines counted as interference (pfp runs them FIFO, so this is safe);
 * - fixed priority, one at a time: the Liu-Layland bound n (2^(1/n) - 1), the tally of a
 *   CPU being all the online placement keeps.
 * A whole set's EDF test is exact (fractions); one-at-a-time placement keeps only per-CPU
 * sums, fixed point (PART_UNIT = 1.0) rounded up, so it never passes a set over its bound.  The
 * kernel never learns that an env exited (the core has no call for it), so its placements only add
 * up: past the bound an env still gets the least-utilised CPU, unguaranteed. */
#include "part.h"

#define RQ_UTIL(r)    ((r)->policy_data[0]) /* sum of util of the tasks placed here */
#define RQ_DENSITY(r) ((r)->policy_data[1]) /* sum of density */
#define RQ_COUNT(r)   ((r)->policy_data[2]) /* tasks placed here */

/* n (2^(1/n) - 1) in PART_UNIT fixed point, rounded down; ln 2 beyond (the limit). */
static const uint64_t liu_layland[] = { 0,          4294967296, 3558067407, 3349057226, 3250553484,
	                                3193272858, 3155822954, 3129427399, 3109822014 };
#define LN2_UNIT 2977044471ULL

static uint64_t
ratio_up(uint64_t c, uint64_t t)
{
	return sched_div128((unsigned __int128)c * PART_UNIT + t - 1, t);
}

/* Add or take away se's share on its CPU.  Atomic: the kernel places a waking entity in
 * select_cpu, which holds no run-queue lock (the tallies are then a hint: two CPUs placing
 * at once may both fill the same CPU). */
static void
tally(struct sched *s, struct sched_entity *se, bool add)
{
	struct part_state *ps = part_of(se);
	struct sched_rq *rq = &s->rq[ps->cpu];
	uint64_t sign = add ? 1 : ~0ULL; /* adding ~0 * x subtracts x, modulo 2^64 */

	__atomic_add_fetch(&RQ_UTIL(rq), sign * ps->util, __ATOMIC_RELAXED);
	__atomic_add_fetch(&RQ_DENSITY(rq), sign * ps->density, __ATOMIC_RELAXED);
	__atomic_add_fetch(&RQ_COUNT(rq), sign, __ATOMIC_RELAXED);
	ps->placed = add;
}

/* The set being partitioned, for RTA: its first `placed` entities have their CPUs. */
struct batch {
	struct sched_entity **se;
	unsigned placed;
};

/* Response time of `i` among `set` on one CPU (set[j] for j < n, and x), or deadline + 1
 * when it exceeds its deadline. */
static uint64_t
response_time(const struct sched_entity *i, const struct sched_entity *const *set, unsigned n)
{
	uint64_t d = i->params.deadline, r = i->params.budget, next;

	for (;;) {
		next = i->params.budget;
		for (unsigned j = 0; j < n && next <= d; j++) {
			const struct sched_params *pj = &set[j]->params;

			if (set[j] != i && pj->deadline <= d)
				next += (r + pj->period - 1) / pj->period * pj->budget;
		}
		if (next > d)
			return d + 1;
		if (next == r)
			return r;
		r = next;
	}
}

/* RTA for every task of `cpu` once x joins it. */
static bool
rta_fits(struct sched *s, struct sched_entity *x, unsigned cpu, const struct batch *b)
{
	struct sched_entity *set[SCHED_PART_RTA_MAX];
	unsigned n = 0;

	for (unsigned k = 0; k < b->placed; k++) {
		if (part_of(b->se[k])->cpu != cpu)
			continue;
		if (n == SCHED_PART_RTA_MAX - 1)
			return false; /* too many to analyse here: not admitted */
		set[n++] = b->se[k];
	}
	set[n++] = x;
	for (unsigned k = 0; k < n; k++)
		if (response_time(set[k], (const struct sched_entity *const *)set, n) >
		    set[k]->params.deadline)
			return false;
	return true;
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* EDF for a whole set: the densities of cpu's tasks and x sum to at most 1, exactly, as a
 * fraction num / den kept in lowest terms over the least common multiple of the deadlines
 * (rounded densities would turn down a CPU filled to exactly 1).  A denominator past 2^62
 * falls back to the rounded sum. */
static bool
edf_fits(struct sched *s, struct sched_entity *x, unsigned cpu, const struct batch *b)
{
	uint64_t num = 0, den = 1;

	for (unsigned k = 0; k <= b->placed; k++) {
		struct sched_entity *e = k < b->placed ? b->se[k] : x;
		uint64_t c = e->params.budget, d = e->params.deadline, g, l;

		if ((k < b->placed && part_of(e)->cpu != cpu) || c == 0)
			continue;
		g = gcd(c, d);
		c /= g;
		d /= g;
		g = gcd(den, d);
		if (den / g > (1ULL << 62) / d)
			return RQ_DENSITY(&s->rq[cpu]) + part_of(x)->density <= PART_UNIT;
		l = den / g * d;
		num = num * (l / den) + c * (l / d); /* each term <= l <= 2^62: no overflow */
		den = l;
		if (num > den)
			return false;
	}
	return true;
}

static bool
fits(struct sched *s, struct sched_entity *se, unsigned cpu, const struct part_rule *r,
     const struct batch *b)
{
	struct sched_rq *rq = &s->rq[cpu];
	uint64_t n = RQ_COUNT(rq) + 1;

	if (b)
		return r->fp ? rta_fits(s, se, cpu, b) : edf_fits(s, se, cpu, b);
	if (!r->fp)
		return RQ_DENSITY(rq) + part_of(se)->density <= PART_UNIT;
	return RQ_UTIL(rq) + part_of(se)->util <= (n < 9 ? liu_layland[n] : LN2_UNIT);
}

/* The next CPU to try: the lowest-numbered untried one (first-fit) or the least utilised
 * (worst-fit, lowest id on ties); s->ncpu when every allowed CPU has been tried. */
static unsigned
next_candidate(struct sched *s, struct sched_entity *se, uint64_t tried, enum part_fit fit)
{
	unsigned best = s->ncpu;

	for (unsigned c = 0; c < s->ncpu; c++) {
		if (!sched_allowed(se, c) || ((tried >> c) & 1))
			continue;
		if (fit == PART_FIRST_FIT)
			return c;
		if (best == s->ncpu || RQ_UTIL(&s->rq[c]) < RQ_UTIL(&s->rq[best]))
			best = c;
	}
	return best;
}

/* Place se (not placed) by r; returns 1 when no CPU passed the test, else 0. */
static int
place(struct sched *s, struct sched_entity *se, const struct part_rule *r, const struct batch *b)
{
	uint64_t tried = 0;
	unsigned c;

	while ((c = next_candidate(s, se, tried, r->fit)) < s->ncpu) {
		if (fits(s, se, c, r, b)) {
			part_of(se)->cpu = c;
			tally(s, se, true);
			return 0;
		}
		tried |= 1ULL << c;
	}
	c = next_candidate(s, se, 0, PART_WORST_FIT);
	part_of(se)->cpu = c < s->ncpu ? c : 0;
	tally(s, se, true);
	return 1;
}

/* The kernel judges parameters on a scratch entity first (kern/env/sched_params.c), so this
 * changes no tally for an entity that is not placed yet.  A placed one that waits or runs
 * keeps its CPU with its new share; a new or blocked one is placed afresh when it wakes. */
int
part_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p)
{
	struct sched_params q = sched_rt_background(s, p);
	uint64_t d = q.deadline ? q.deadline : q.period;
	struct part_state *ps = part_of(se);
	bool keep = ps->placed && se->state != SCHED_NEW && se->state != SCHED_BLOCKED;

	if (q.period == 0 || d > q.period || q.budget > d)
		return E_INVAL;
	if (ps->placed)
		tally(s, se, false);
	se->params = q;
	se->params.deadline = d;
	*ps = (struct part_state){ .util = ratio_up(q.budget, q.period),
		                   .density = ratio_up(q.budget, d),
		                   .cpu = ps->cpu };
	if (keep)
		tally(s, se, true);
	return 0;
}

/* Decreasing utilisation, then increasing id: the order FFD and WFD place in. */
static bool
goes_before(const struct sched_entity *a, const struct sched_entity *b)
{
	unsigned __int128 ua = (unsigned __int128)a->params.budget * b->params.period;
	unsigned __int128 ub = (unsigned __int128)b->params.budget * a->params.period;

	return ua > ub || (ua == ub && a->id < b->id);
}

int
part_partition(struct sched *s, struct sched_entity **se, unsigned n, const struct part_rule *r)
{
	struct batch b = { .se = se, .placed = 0 };
	int unfit = 0;

	for (unsigned k = 0; k < n; k++)
		if (se[k]->state != SCHED_NEW)
			return E_BUSY;
	for (unsigned k = 1; k < n; k++) { /* insertion sort: stable, no allocation */
		struct sched_entity *x = se[k];
		unsigned j = k;

		for (; j > 0 && goes_before(x, se[j - 1]); j--)
			se[j] = se[j - 1];
		se[j] = x;
	}
	for (unsigned c = 0; c < s->ncpu; c++)
		RQ_UTIL(&s->rq[c]) = RQ_DENSITY(&s->rq[c]) = RQ_COUNT(&s->rq[c]) = 0;
	for (unsigned k = 0; k < n; k++)
		part_of(se[k])->placed = false;
	for (; b.placed < n; b.placed++)
		unfit += place(s, se[b.placed], r, &b);
	return unfit;
}

/* Where se runs: its CPU, placed now by r if it has none (params given one by one, as the
 * kernel's envs get theirs) or if its affinity no longer allows it. */
unsigned
part_select_cpu(struct sched *s, struct sched_entity *se, const struct part_rule *r)
{
	struct part_state *ps = part_of(se);

	if (ps->placed && ps->cpu < s->ncpu && sched_allowed(se, ps->cpu))
		return ps->cpu;
	if (ps->placed)
		tally(s, se, false);
	place(s, se, r, NULL);
	return ps->cpu;
}

/* Partitioned: an idle CPU never takes another CPU's task. */
unsigned
part_balance(struct sched *s, unsigned cpu)
{
	return 0;
}

int
sched_partition(struct sched *s, struct sched_entity **se, unsigned n)
{
	return s->policy->partition ? s->policy->partition(s, se, n) : 0;
}
