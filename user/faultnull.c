/* faultnull: reads address 0.  Page 0 is never mapped, so the kernel must destroy this env
 * with a one-line page-fault report and keep running. */
#include <stdint.h>

#include "libos.h"

int
main(int argc, char **argv)
{
	volatile uint64_t *p = (volatile uint64_t *)0;

	printf("faultnull: reading 0x0\n");
	printf("faultnull: read 0x%lx, survived: FAIL\n", (unsigned long)*p);
	return 1;
}
