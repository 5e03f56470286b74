/* The kernel scheduling trace (trace=sched): each CPU records switches, wake-ups, blocks,
 * exits, job releases and deadline misses with TSC timestamps in a fixed buffer of its own;
 * the monitor's `trace` command and a clean halt print them (kern/env/ktrace.c; the line
 * format and what counts as a release or a miss: docs/architecture.md, "Scheduling trace";
 * sim/ktrace.py turns a dump into exosim's Chrome/Perfetto trace).
 *
 * The hooks are inline tests of one flag, so with the trace off each costs a load and a
 * branch: they sit on the context-switch path. */
#ifndef EXOLAB_KTRACE_H
#define EXOLAB_KTRACE_H

#include <stdbool.h>

struct env;
struct sched;

extern bool ktrace_sched_on; /* trace=sched and the buffers exist: record */

/* Reads trace= and, with sched in it, gives every CPU its buffer and watches s's releases
 * (sched->on_release).  Once, on the boot CPU, after the CPUs are counted. */
void ktrace_init(struct sched *s);

void ktrace_record_switch(const struct env *next);
void ktrace_record_wake(const struct env *e, int cpu);
void ktrace_record_block(const struct env *e, bool dead);

/* This CPU's env becomes next (NULL: idle); called just before the change, while the per-CPU
 * area still names the previous one.  Only `next` is passed so that the hook keeps nothing
 * alive across its call: inlined in env_switch, it costs a compare and a branch. */
static inline void
ktrace_switch(const struct env *next)
{
	if (ktrace_sched_on)
		ktrace_record_switch(next);
}

/* e was woken onto run queue `cpu`. */
static inline void
ktrace_wake(const struct env *e, int cpu)
{
	if (ktrace_sched_on)
		ktrace_record_wake(e, cpu);
}

/* e is about to leave the scheduler (its status not yet changed): it blocks, or exits
 * when `dead`.  Under edf this is also where a
 * job that ends after its deadline is seen. */
static inline void
ktrace_block(const struct env *e, bool dead)
{
	if (ktrace_sched_on)
		ktrace_record_block(e, dead);
}

/* Prints every CPU's events (the monitor's `trace`); a note when trace=sched is off. */
void ktrace_dump(void);

/* The clean stop (the halt option, the monitor's `halt`): prints the events when
 * trace=sched is on, then machine_halt(0). */
_Noreturn void ktrace_halt(void);

#endif
