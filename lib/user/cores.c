/* The core capabilities this env holds (partition.h): init's from the kernel, a spawned
 * program's from its parent (spawn.c copies them as it copies devices).  Apart from
 * partition.c so that spawn, which every program links, does not pull the fast-path
 * library into every program. */
#include <stdint.h>

#include "libos.h"
#include "partition.h"

static uint64_t handed_first, handed_count; /* core capabilities from a parent (spawn.c) */

uint64_t
part_cores(uint64_t *first)
{
	if (handed_count != 0) {
		*first = handed_first;
		return handed_count;
	}
	*first = libos_envinfo->core_slot;
	return libos_envinfo->core_count;
}

void
part_cores_received(uint64_t first, uint64_t count)
{
	handed_first = first;
	handed_count = count;
}

uint64_t
part_core_slot(unsigned cpu)
{
	uint64_t first, n = part_cores(&first);

	return first != 0 && cpu < n ? first + cpu : 0;
}
