/* EDF analysis: the exact processor-demand test on one CPU, checked with QPA, and the GFB
 * utilisation test for global EDF on m CPUs. */
#include <math.h>

#include "analysis.h"

static bool
in_part(const struct an_task *t, int cpu)
{
	return !t->why && t->t && (cpu == -2 || t->cpu == cpu);
}

/* Demand bound h(t) = sum_{D_i <= t} (floor((t - D_i) / T_i) + 1) C_i (Baruah, Rosier &
 * Howell, "Algorithms and complexity concerning the preemptive scheduling of periodic,
 * real-time tasks on one processor", Real-Time Systems 2(4), 1990). */
static uint64_t
demand(const struct an_set *s, int cpu, uint64_t t)
{
	uint64_t h = 0;

	for (unsigned i = 0; i < s->n; i++) {
		const struct an_task *x = &s->task[i];

		if (in_part(x, cpu) && x->d <= t)
			h += ((t - x->d) / x->t + 1) * x->c;
	}
	return h;
}

/* The largest absolute deadline strictly before t (0 if none). */
static uint64_t
deadline_before(const struct an_set *s, int cpu, uint64_t t)
{
	uint64_t best = 0;

	for (unsigned i = 0; i < s->n; i++) {
		const struct an_task *x = &s->task[i];
		uint64_t d;

		if (!in_part(x, cpu) || x->d >= t)
			continue;
		d = x->d + (t - 1 - x->d) / x->t * x->t;
		best = d > best ? d : best;
	}
	return best;
}

/* The synchronous busy period: least w = sum ceil(w / T_i) C_i (Spuri 1996). */
static uint64_t
busy_period(const struct an_set *s, int cpu, uint64_t cap)
{
	uint64_t w = 0, next;

	for (unsigned i = 0; i < s->n; i++)
		if (in_part(&s->task[i], cpu))
			w += s->task[i].c;
	for (;;) {
		next = 0;
		for (unsigned i = 0; i < s->n; i++) {
			const struct an_task *x = &s->task[i];

			if (in_part(x, cpu))
				next += (w + x->t - 1) / x->t * x->c;
		}
		if (next == w || next > cap)
			return next;
		w = next;
	}
}

/* The interval to check, L = min(La, Lb) (Zhang & Burns 2009, Theorems 3 and 4 from
 * George, Rivierre & Spuri 1996 and Ripoll et al. 1996). */
static uint64_t
check_length(const struct an_set *s, int cpu, double u)
{
	double la = 0, sum = 0;
	uint64_t lb;

	for (unsigned i = 0; i < s->n; i++) {
		const struct an_task *x = &s->task[i];

		if (!in_part(x, cpu))
			continue;
		la = fmax(la, (double)x->d - (double)x->t);
		la = fmax(la, (double)x->d);
		sum += ((double)x->t - (double)x->d) * (double)x->c / (double)x->t;
	}
	if (u < 1)
		la = fmax(la, sum / (1 - u));
	lb = busy_period(s, cpu, la < 1.8e19 && u < 1 ? (uint64_t)la : UINT64_MAX / 4);
	return u < 1 && la < (double)lb ? (uint64_t)ceil(la) : lb;
}

/*
 * Zhang & Burns, "Schedulability analysis for real-time systems with EDF scheduling",
 * IEEE Trans. Computers 58(9), 2009, the QPA algorithm: the set is schedulable iff
 * U <= 1 and h(t) <= t for every absolute deadline t < L.  QPA walks t down from the
 * last deadline before L, jumping to h(t) whenever h(t) < t, and stops when h(t) <= d_min.
 */
bool
an_edf_qpa(const struct an_set *s, int cpu, uint64_t *fail)
{
	double u = an_util(s, cpu);
	uint64_t dmin = UINT64_MAX, t, h;

	*fail = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (in_part(&s->task[i], cpu) && s->task[i].d < dmin)
			dmin = s->task[i].d;
	if (dmin == UINT64_MAX)
		return true;
	if (u > 1) {
		*fail = UINT64_MAX;
		return false;
	}
	t = deadline_before(s, cpu, check_length(s, cpu, u));
	while ((h = demand(s, cpu, t)) <= t && h > dmin)
		t = h < t ? h : deadline_before(s, cpu, t);
	if (h <= dmin && demand(s, cpu, dmin) <= dmin)
		return true;
	*fail = t;
	return false;
}

/* Goossens, Funk & Baruah, "Priority-driven scheduling of periodic task systems on
 * multiprocessors", Real-Time Systems 25(2-3), 2003: global EDF meets every implicit
 * deadline on m identical CPUs when U <= m - (m - 1) U_max; with densities in place of
 * utilisations for D < T (Bertogna, Cirinei & Lipari, ECRTS 2005). */
bool
an_gedf_gfb(const struct an_set *s, unsigned m, double *lhs, double *rhs)
{
	double sum = 0, max = 0;

	for (unsigned i = 0; i < s->n; i++) {
		const struct an_task *x = &s->task[i];
		double dens;

		if (x->why || !x->t)
			continue;
		dens = (double)x->c / (double)(x->d < x->t ? x->d : x->t);
		sum += dens;
		max = fmax(max, dens);
	}
	*lhs = sum;
	*rhs = (double)m - (double)(m - 1) * max;
	return max <= 1 && sum <= *rhs;
}
