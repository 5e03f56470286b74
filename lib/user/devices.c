/* Where this env's device capabilities are: init gets every device from the kernel at boot
 * (abi_envinfo.dev_slot/dev_count); a program spawned by an env that holds devices gets
 * copies of them from its parent (spawn.c, the handoff), which is how a shell's `lspci` or
 * `udpecho` reaches the hardware.  Drivers and tools ask here, never abi_envinfo. */
#include "libos.h"

static uint64_t handed_first, handed_count; /* from the handoff (a spawned child) */

uint64_t
libos_devices(uint64_t *first)
{
	if (handed_count != 0) {
		*first = handed_first;
		return handed_count;
	}
	*first = libos_envinfo->dev_slot;
	return libos_envinfo->dev_count;
}

void
libos_devices_received(uint64_t first, uint64_t count)
{
	handed_first = first;
	handed_count = count;
}
