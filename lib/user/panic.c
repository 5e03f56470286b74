/* panic for user programs: one line naming the program and the place, then exit. */
#include <stdarg.h>

#include "libos.h"

void
libos_panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s: panic at %s:%d: ", libos_progname(), file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(LIBOS_PANIC_STATUS);
}
