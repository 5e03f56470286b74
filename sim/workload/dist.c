/* Random quantities of a workload: sampling the distributions of run, sleep and I/O
 * phases, and the open-loop arrival processes (Poisson and bursty on/off). */
#include "workload.h"

#include <math.h>

/* Rounds a sample to whole cycles within [0, WL_MAX_CYCLES]. */
static uint64_t
to_cycles(double x)
{
	if (!(x > 0))
		return 0;
	if (x >= (double)WL_MAX_CYCLES)
		return WL_MAX_CYCLES;
	return (uint64_t)(x + 0.5);
}

/* Standard normal deviate by the Box-Muller transform (two uniform draws, one result, so
 * the number of draws per sample is fixed). */
static double
std_normal(struct rng *r)
{
	double u1 = 1.0 - rng_unit(r); /* (0, 1]: the log is finite */
	double u2 = rng_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t
wl_dist_sample(const struct wl_dist *d, struct rng *r)
{
	switch (d->kind) {
	case WL_DIST_FIXED:
		return d->a;
	case WL_DIST_UNIFORM:
		if (d->b - d->a == UINT64_MAX)
			return rng_next(r);
		return d->a + rng_below(r, d->b - d->a + 1);
	case WL_DIST_EXP:
		return to_cycles(rng_exp(r, d->mean));
	case WL_DIST_LOGNORMAL:
		return to_cycles(d->mean * exp(d->sigma * std_normal(r)));
	case WL_DIST_BIMODAL:
		return rng_unit(r) < d->p ? d->b : d->a;
	case WL_DIST_EMPIRICAL:
		return d->nvalues ? d->values[rng_below(r, d->nvalues)] : 0;
	}
	return 0;
}

double
wl_dist_mean(const struct wl_dist *d)
{
	double s = 0;

	switch (d->kind) {
	case WL_DIST_FIXED:
		return (double)d->a;
	case WL_DIST_UNIFORM:
		return ((double)d->a + (double)d->b) / 2;
	case WL_DIST_EXP:
		return d->mean;
	case WL_DIST_LOGNORMAL:
		return d->mean * exp(d->sigma * d->sigma / 2); /* median * e^(sigma^2 / 2) */
	case WL_DIST_BIMODAL:
		return (1 - d->p) * (double)d->a + d->p * (double)d->b;
	case WL_DIST_EMPIRICAL:
		for (uint32_t i = 0; i < d->nvalues; i++)
			s += (double)d->values[i];
		return d->nvalues ? s / d->nvalues : 0;
	}
	return 0;
}

/* Arrival times are kept as a real number of cycles so that rounding each gap does not
 * bias the rate; the reported time is its ceiling, forced strictly increasing. */
static uint64_t
emit(struct wl_arrival_state *s)
{
	uint64_t c = s->t >= (double)WL_MAX_CYCLES ? WL_MAX_CYCLES : (uint64_t)ceil(s->t);

	if (s->started && c <= s->last)
		c = s->last + 1;
	s->last = c;
	s->started = true;
	return c;
}

uint64_t
wl_arrival_next(const struct wl_task *t, struct wl_arrival_state *s, struct rng *r)
{
	const struct wl_arrival *a = &t->arrival;

	if (a->kind == WL_ARR_LOOP || !(a->rate > 0))
		return UINT64_MAX;
	if (!s->started && !s->window_open) {
		s->t = (double)t->offset;
		s->window_end = s->t + (double)wl_dist_sample(&a->on, r);
		s->window_open = true;
	}
	if (s->t >= (double)WL_MAX_CYCLES)
		return UINT64_MAX;
	for (;;) {
		double next = s->t + rng_exp(r, 1.0 / a->rate);

		if (a->kind == WL_ARR_POISSON || next < s->window_end) {
			s->t = next;
			return emit(s);
		}
		/* Memoryless: restarting the gap at the next window is exact. */
		s->t = s->window_end + (double)wl_dist_sample(&a->off, r);
		s->window_end = s->t + (double)wl_dist_sample(&a->on, r);
		if (s->t >= (double)WL_MAX_CYCLES)
			return UINT64_MAX;
	}
}
