/* The table of scheduling policies, by name.  Adding a policy: write kern/sched/NAME.c
 * defining `const struct sched_policy sched_policy_NAME`, and add one line `P(NAME) \`
 * to the list below (docs/sim.md, "Adding a policy", has a whole example). */
#include "sched.h"

#define SCHED_POLICIES(P)                                                                          \
	P(rr)                                                                                      \
	P(prio)                                                                                    \
	P(mlfq)                                                                                    \
	P(stride)                                                                                  \
	P(edf)                                                                                     \
	P(gedf)                                                                                    \
	P(pedf_ff)                                                                                 \
	P(pedf_wf)                                                                                 \
	P(pfp_ff)                                                                                  \
	P(pfp_wf)                                                                                  \
	P(cfs)                                                                                     \
	P(eevdf)                                                                                   \
	P(lottery)                                                                                 \
	/* one line per policy, each ending in a backslash, above this comment */

#define DECLARE(name) extern const struct sched_policy sched_policy_##name;
SCHED_POLICIES(DECLARE)

#define ENTRY(name) &sched_policy_##name,
static const struct sched_policy *const policies[] = { SCHED_POLICIES(ENTRY) };

static bool
same_name(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

const struct sched_policy *
sched_policy_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (same_name(policies[i]->name, name))
			return policies[i];
	return NULL;
}

const struct sched_policy *
sched_policy_at(unsigned i)
{
	return i < sizeof(policies) / sizeof(policies[0]) ? policies[i] : NULL;
}
