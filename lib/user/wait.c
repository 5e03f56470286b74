/* Waiting for a child env to end.  Lab 3 has no blocking wait and no timer: the parent yields
 * so the child runs, and looks at its status in between. */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"

int
env_wait_dead(uint64_t eslot, uint64_t max_yields)
{
	for (uint64_t i = 0;; i++) {
		long st = sys_env_status(eslot);

		if (st < 0)
			return (int)st;
		if (st == ENV_DEAD)
			return 0;
		if (i == max_yields)
			return E_AGAIN;
		sys_yield();
	}
}
