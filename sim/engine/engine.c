/* The exosim event queue (an array-based binary min-heap) and dispatch loop.  The event
 * being dispatched stays at the root until its handler returns: the first event the handler
 * schedules replaces it with one sift-down instead of a pop and a push, which is what most
 * handlers do (a CPU's next event follows its current one). */
#include "engine.h"

#include <stdlib.h>

/* (cycle, order) as one 128-bit key: a single, mostly branch-free comparison. */
static inline bool
before(const struct sim_event *a, const struct sim_event *b)
{
	return ((unsigned __int128)a->cycle << 64 | a->order) <
	       ((unsigned __int128)b->cycle << 64 | b->order);
}

int
sim_engine_init(struct sim_engine *e, size_t cap, void *ctx)
{
	*e = (struct sim_engine){ .cap = cap ? cap : 64, .ctx = ctx };
	e->heap = malloc(e->cap * sizeof(*e->heap));
	return e->heap ? 0 : -1;
}

void
sim_engine_free(struct sim_engine *e)
{
	free(e->heap);
	e->heap = NULL;
}

/* Put `ev` at the root's place and sift it down to where it belongs. */
static void
sift_down(struct sim_engine *e, struct sim_event ev)
{
	size_t i = 0, n = e->n;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(&e->heap[c + 1], &e->heap[c]))
			c++;
		if (!before(&e->heap[c], &ev))
			break;
		e->heap[i] = e->heap[c];
		i = c;
	}
	e->heap[i] = ev;
}

int
sim_schedule(struct sim_engine *e, uint64_t cycle, unsigned prio, uint32_t kind, uint32_t arg,
             uint64_t data)
{
	struct sim_event ev = { cycle, (uint64_t)prio << SIM_SEQ_BITS | e->seq++, kind, arg, data };
	size_t i;

	if (e->hole) {
		e->hole = false;
		sift_down(e, ev);
		return 0;
	}
	if (e->n == e->cap) {
		struct sim_event *h = realloc(e->heap, 2 * e->cap * sizeof(*h));

		if (!h)
			return -1;
		e->heap = h;
		e->cap *= 2;
	}
	/* Sift up: move parents down until ev's place is found. */
	for (i = e->n++; i > 0; i = (i - 1) / 2) {
		struct sim_event *parent = &e->heap[(i - 1) / 2];

		if (!before(&ev, parent))
			break;
		e->heap[i] = *parent;
	}
	e->heap[i] = ev;
	return 0;
}

uint64_t
sim_run_until(struct sim_engine *e, uint64_t until)
{
	uint64_t start = e->dispatched;

	e->stop = false;
	while (e->n && !e->stop) {
		struct sim_event ev = e->heap[0];

		if (ev.cycle > until) {
			e->now = until;
			return e->dispatched - start;
		}
		e->hole = true;
		e->now = ev.cycle;
		e->dispatched++;
		e->handler[ev.kind](e, &ev);
		if (e->hole) {
			e->hole = false;
			e->n--;
			if (e->n)
				sift_down(e, e->heap[e->n]);
		}
	}
	if (!e->stop && e->now < until)
		e->now = until;
	return e->dispatched - start;
}
