/* faultexec: copies a `ret` instruction onto its stack and calls it.  The stack is mapped
 * no-execute, so the instruction fetch must fault (and destroy only this env). */
#include <stdint.h>

#include "libos.h"

int
main(int argc, char **argv)
{
	/* 0xc3 is RET (Intel SDM Vol. 2B, RET "C3: near return"). */
	volatile uint8_t code[16] = { 0xc3 };
	void (*fn)(void) = (void (*)(void))(uintptr_t)code;

	printf("faultexec: executing 0x%lx\n", (unsigned long)(uintptr_t)code);
	fn();
	printf("faultexec: executed data, survived: FAIL\n");
	return 1;
}
