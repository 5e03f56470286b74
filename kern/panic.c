/* panic: the end of the line for a broken kernel invariant.  On a multiprocessor the first
 * CPU to fail owns the dump and stops the others with an NMI (smp.c); a CPU that fails while
 * another one dumps halts silently, so the dump appears once and is never interleaved. */
#include <stdarg.h>
#include <stdint.h>

#include "backtrace.h"
#include "console.h"
#include "hal.h"
#include "machine.h"
#include "smp.h"
#include "panic.h"
#include "x86.h"

/* The CPU that prints the dump, plus 1; 0 while nobody does.  Set once. */
static volatile unsigned panic_owner;

bool
panic_stop_all(void)
{
	unsigned me = hal_cpu_id() + 1, prev = 0;

	cli();
	if (!__atomic_compare_exchange_n(&panic_owner, &prev, me, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		if (prev == me)
			return false;
		for (;;) /* the owner's NMI finds us here, or nothing does */
			hlt();
	}
	smp_stop_others();
	return true;
}

bool
panic_in_progress(void)
{
	return __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != 0;
}

/* Never inlined: its own frame is what the walk below skips.  Every caller is a wrapper
 * (panic_at, hal_panic) called by the code that panicked, so the backtrace starts above the
 * wrapper's frame and its first line is that code, not the panic machinery. */
__attribute__((noinline)) void
panic_va(const char *file, int line, const char *fmt, va_list ap)
{
	const uint64_t *frame = __builtin_frame_address(0);

	/* A panic while panicking (e.g. in printf) must not loop. */
	if (!panic_stop_all())
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
