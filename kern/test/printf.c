/* Self-test `printf`: the kernel's printf on every case of lib/printfmt_cases.h, one
 * "printf-test: <format> => [<output>]" line each, then "printf-test: done".  grade/lab1.py
 * compares the lines with what C gives (grade/unit/printf/printf_cases.py). */
#include <stddef.h>

#include "console.h"
#include "ktest.h"

/* One C type per TYPE name of lib/printfmt_cases.h. */
#define PT_SCHAR  signed char
#define PT_UCHAR  unsigned char
#define PT_SHORT  short
#define PT_USHORT unsigned short
#define PT_INT    int
#define PT_UINT   unsigned
#define PT_LONG   long
#define PT_ULONG  unsigned long
#define PT_LLONG  long long
#define PT_ULLONG unsigned long long
#define PT_SIZE   size_t
#define PT_CHAR   int
#define PT_STR    const char *
#define PT_PTR    void *

/* One case prints a NULL string on purpose; gcc's overflow check would reject it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-overflow"
#endif

static void
ktest_printf(void)
{
	/* The format is pasted into the line's own format, so the compiler type-checks each
	 * case against its argument. */
#define CASE(fmt, type, value) printf("printf-test: %s => [" fmt "]\n", fmt, (PT_##type)(value));
#define CASE_STAR(fmt, width, type, value)                                                         \
	printf("printf-test: %s => [" fmt "]\n", fmt, (int)(width), (PT_##type)(value));
#include "../../lib/printfmt_cases.h"
#undef CASE
#undef CASE_STAR
	printf("printf-test: done\n");
}

KTEST(printf, ktest_printf, "the consoles' printf test");
