/* Load weights of nice values, shared by the weighted fair policies (cfs.c, eevdf.c).
 * The numbers are Linux's sched_prio_to_weight[] (kernel/sched/core.c): 1024 at nice 0
 * and a ratio of about 1.25 between neighbours, so one nice step moves about 10% of the
 * CPU between two competing tasks.  Facts, not code: the table is the published mapping. */
#include "sched.h"

/* clang-format off */
static const unsigned prio_to_weight[40] = {
	/* -20 */ 88761, 71755, 56483, 46273, 36291,
	/* -15 */ 29154, 23254, 18705, 14949, 11916,
	/* -10 */  9548,  7620,  6100,  4904,  3906,
	/*  -5 */  3121,  2501,  1991,  1586,  1277,
	/*   0 */  1024,   820,   655,   526,   423,
	/*   5 */   335,   272,   215,   172,   137,
	/*  10 */   110,    87,    70,    56,    45,
	/*  15 */    36,    29,    23,    18,    15,
};
/* clang-format on */

unsigned
sched_nice_weight(int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return prio_to_weight[nice + 20];
}
