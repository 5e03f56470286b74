/* faultwrite: writes to its own read-only data; the page is present but not writable, so the
 * kernel must report a protection fault on a write and destroy only this env. */
#include <stdint.h>

#include "libos.h"

static const uint64_t constant = 0x5eed;

int
main(int argc, char **argv)
{
	/* volatile: the compiler may not drop or fold a store to a const object it can see. */
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)&constant;

	printf("faultwrite: writing 0x%lx\n", (unsigned long)(uintptr_t)p);
	*p = 1;
	printf("faultwrite: wrote read-only data, survived: FAIL\n");
	return 1;
}
