/* The stack protector's kernel side: the guard value every protected function copies below
 * its return address (-fstack-protector-strong with -mstack-protector-guard=global, so the
 * canary is this global rather than %fs:0x28, which holds the user's FS base here), and the
 * report when a function finds its copy changed.  Only `make kernel-ubsan` turns the
 * protector on (kern/debug/Makefrag); the symbols are in every kernel. */
#include <stdint.h>

#include "backtrace.h"
#include "console.h"
#include "panic.h"
#include "stackprot.h"

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ull; /* replaced at boot */

/* The first call of kern_main: only kern_main's own frame (which never returns) holds the
 * old value.  The TSC at boot differs from boot to boot; the constant keeps a zero byte
 * out of the guard's low byte, so a string overflow cannot copy it (a zero there would end
 * the string before the guard was matched). */
void
stackprot_init(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	__stack_chk_guard ^= ((uintptr_t)hi << 32 | lo) << 8;
}

_Noreturn void __stack_chk_fail(void);

_Noreturn void
__stack_chk_fail(void)
{
	/* Called from the epilogue of the function whose guard changed: our return address
	 * is in it. */
	panic("stack protector: the stack guard of the function at %p was overwritten",
	      __builtin_return_address(0));
}
