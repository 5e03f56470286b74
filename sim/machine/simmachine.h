/* exosim machine profiles: hardware threads, clock, periodic tick and the cost table,
 * loaded from hw/<name>/machine.json. */
#ifndef EXOSIM_SIMMACHINE_H
#define EXOSIM_SIMMACHINE_H

#include <stddef.h>
#include <stdint.h>

enum sim_cost {
	SIM_COST_SYSCALL,    /* kernel entry and exit, charged per I/O phase */
	SIM_COST_SWITCH,     /* context switch to another task */
	SIM_COST_MIGRATION,  /* a task resumes on another core (cache refill) */
	SIM_COST_TICK,       /* timer interrupt, periodic or one-shot */
	SIM_COST_IPI,        /* wake-up interrupt that makes a CPU reschedule */
	SIM_COST_CACHE_LINE, /* moving a task between SMT siblings (queue lines only) */
	SIM_COST_N,
};

extern const char *const sim_cost_names[SIM_COST_N]; /* JSON keys, e.g. "context_switch" */

#define SIM_MAX_CPUS 64

struct sim_machine {
	char name[64];
	char description[160];
	uint64_t hz; /* cycles per second */
	unsigned cores, threads_per_core;
	unsigned ncpus;       /* hardware threads: thread t of core c is c * tpc + t */
	uint64_t tick_period; /* cycles between periodic ticks; 0 = no periodic tick */
	uint64_t tickless;    /* bit i: hardware thread i takes no periodic tick */
	uint64_t cost[SIM_COST_N];
};

/* The hw directory: `opt` if given, else $EXOSIM_HW_DIR, else ./hw if it holds machine
 * profiles, else the hw/ with profiles in the nearest directory above the executable
 * (the tree it was built in, whatever OBJ= was), else "hw".  The result may be `buf`. */
const char *sim_machine_hw_dir(const char *opt, char *buf, size_t len);
/* Load hw_dir/name/machine.json.  Returns 0, or -1 with a one-line message in err. */
int sim_machine_load(const char *hw_dir, const char *name, struct sim_machine *m, char *err,
                     size_t errlen);
/* Names of the profiles under hw_dir, sorted; returns the count (<= max). */
unsigned sim_machine_list(const char *hw_dir, char names[][64], unsigned max);
/* Keep only the first `ncpus` hardware threads (--cpus).  Returns 0 or -1. */
int sim_machine_limit_cpus(struct sim_machine *m, unsigned ncpus);
/* Core of hardware thread `cpu`. */
static inline unsigned
sim_machine_core_of(const struct sim_machine *m, unsigned cpu)
{
	return cpu / m->threads_per_core;
}

#endif
