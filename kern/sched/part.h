/* Shared by the partitioned policies (pedf.c, pfp.c): each entity is placed on one CPU by
 * first-fit or worst-fit (kern/sched/partition.c) and never migrates. */
#ifndef EXOLAB_SCHED_PART_H
#define EXOLAB_SCHED_PART_H

#include "sched.h"

struct part_state {
	uint64_t abs_deadline; /* pedf: deadline of the current job, 0 before the first */
	uint64_t util;         /* budget / period, in PART_UNIT fixed point, rounded up */
	uint64_t density;      /* budget / deadline, the same way */
	unsigned cpu;          /* the CPU it is placed on */
	bool placed;           /* counted in that CPU's tallies */
};
SCHED_POLICY_STATE(struct part_state, part_of)

#define PART_UNIT (1ULL << 32) /* utilisation 1.0 */
/* Most tasks one CPU may hold for response-time analysis (a stack array of pointers). */
#define SCHED_PART_RTA_MAX 128

enum part_fit {
	PART_FIRST_FIT, /* the lowest-numbered CPU that passes the test */
	PART_WORST_FIT, /* the least-utilised CPU that passes it */
};

/* A partitioned policy's rule: how to choose a CPU, and which test a CPU must pass. */
struct part_rule {
	enum part_fit fit;
	bool fp; /* deadline-monotonic fixed priority (RTA); else EDF (density <= 1) */
};

int part_set_params(struct sched *s, struct sched_entity *se, const struct sched_params *p);
int part_partition(struct sched *s, struct sched_entity **se, unsigned n,
                   const struct part_rule *r);
unsigned part_select_cpu(struct sched *s, struct sched_entity *se, const struct part_rule *r);
unsigned part_balance(struct sched *s, unsigned cpu);

#endif
