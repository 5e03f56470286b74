/* faultread: reads the guard page under the user stack, which the loader leaves unmapped
 * (abi/memlayout.h); the kernel must destroy only this env. */
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"

#define GUARD_VA (ABI_USTACK_TOP - (ABI_USTACK_PAGES + 1) * ABI_PAGE_SIZE)

int
main(int argc, char **argv)
{
	volatile uint64_t *p = (volatile uint64_t *)GUARD_VA;

	printf("faultread: reading 0x%llx\n", GUARD_VA);
	printf("faultread: read 0x%lx, survived: FAIL\n", (unsigned long)*p);
	return 1;
}
