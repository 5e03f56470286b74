/* panic: the end of the line for a broken kernel invariant. */
#include <stdarg.h>

#include "backtrace.h"
#include "console.h"
#include "machine.h"
#include "panic.h"
#include "x86.h"

/* Set once: a panic while panicking (e.g. in printf) must not loop. */
static volatile int panicking;

void
panic_va(const char *file, int line, const char *fmt, va_list ap)
{
	cli();
	if (panicking++)
		machine_halt(1);
	printf("panic: %s:%d: ", file, line);
	vprintf(fmt, ap);
	printf("\n");
	backtrace_here();
	machine_halt(1);
}

void
panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_va(file, line, fmt, ap);
}
