/* The exosim event engine: a priority queue of events ordered by (cycle, priority,
 * sequence) and the loop that dispatches them.  Equal cycles and priorities run in the
 * order they were scheduled, so a run is a pure function of its inputs. */
#ifndef EXOSIM_ENGINE_H
#define EXOSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_PRIO_BITS 4 /* priorities 0 (first) .. 15 */
#define SIM_SEQ_BITS  (64 - SIM_PRIO_BITS)

struct sim_event {
	uint64_t cycle;
	uint64_t order; /* priority << SIM_SEQ_BITS | sequence number */
	uint32_t kind;  /* index into the engine's handler table */
	uint32_t arg;   /* e.g. a CPU or task number */
	uint64_t data;  /* e.g. a generation number for lazy cancellation */
};

struct sim_engine;
typedef void (*sim_handler_fn)(struct sim_engine *e, const struct sim_event *ev);

#define SIM_MAX_KINDS 16

struct sim_engine {
	struct sim_event *heap; /* binary min-heap, heap[0] is the next event */
	size_t n, cap;
	uint64_t now;
	uint64_t seq;
	uint64_t dispatched;
	bool stop;
	bool hole; /* heap[0] is being dispatched: the next schedule may take its place */
	sim_handler_fn handler[SIM_MAX_KINDS];
	void *ctx; /* the model's state, for handlers */
};

int sim_engine_init(struct sim_engine *e, size_t cap, void *ctx);
void sim_engine_free(struct sim_engine *e);
/* Schedule an event at `cycle` (>= now).  Returns 0 or -1 when out of memory. */
int sim_schedule(struct sim_engine *e, uint64_t cycle, unsigned prio, uint32_t kind, uint32_t arg,
                 uint64_t data);
/* Dispatch events in order until the queue is empty, e->stop is set, or the next event
 * lies beyond `until` (then now = until).  Returns the number dispatched. */
uint64_t sim_run_until(struct sim_engine *e, uint64_t until);

#endif
