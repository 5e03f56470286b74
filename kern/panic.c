/* panic: the end of the line for a broken kernel invariant. */
#include <stdarg.h>
#include <stdint.h>

#include "backtrace.h"
#include "console.h"
#include "machine.h"
#include "panic.h"
#include "x86.h"

/* Set once: a panic while panicking (e.g. in printf) must not loop. */
static volatile int panicking;

/* Never inlined: its own frame is what the walk below skips.  Every caller is a wrapper
 * (panic_at, hal_panic) called by the code that panicked, so the backtrace starts above the
 * wrapper's frame and its first line is that code, not the panic machinery. */
__attribute__((noinline)) void
panic_va(const char *file, int line, const char *fmt, va_list ap)
{
	const uint64_t *frame = __builtin_frame_address(0);

	cli();
	if (panicking++)
		machine_halt(1);
	printf("panic: %s:%d: ", file, line);
	vprintf(fmt, ap);
	printf("\n");
	backtrace_print(frame[0]);
	machine_halt(1);
}

void
panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_va(file, line, fmt, ap);
}
