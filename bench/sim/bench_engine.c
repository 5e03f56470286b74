/* Benchmark of the bare exosim engine: the classic "hold" model, a queue of HOLD pending
 * events whose handlers do nothing but schedule their successor a pseudo-random distance
 * ahead.  Prints events dispatched per second of host CPU time (the process's own CPU
 * clock, so other programs sharing the machine do not skew it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/engine.h"

#define HOLD   64
#define EVENTS 50000000ULL

static uint64_t lcg = 1;

static void
hold(struct sim_engine *e, const struct sim_event *ev)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	sim_schedule(e, e->now + 1 + (lcg >> 54), 0, 0, ev->arg, 0);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(void)
{
	struct sim_engine e;
	double t0, t;

	if (sim_engine_init(&e, HOLD, NULL) < 0)
		return 1;
	e.handler[0] = hold;
	for (unsigned i = 0; i < HOLD; i++)
		sim_schedule(&e, i, 0, 0, i, 0);
	t0 = now_s();
	while (e.dispatched < EVENTS)
		sim_run_until(&e, e.now + 1000000);
	t = now_s() - t0;
	printf("BENCH sim_events_bare %.0f events/s (%" PRIu64 " events, hold %d, %.3f s)\n",
	       e.dispatched / t, e.dispatched, HOLD, t);
	sim_engine_free(&e);
	return 0;
}
