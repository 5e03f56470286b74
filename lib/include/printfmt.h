/* The portable printf engine (lib/printfmt.c): formats into a per-character callback,
 * shared by the kernel's printf, user space and the host unit tests. */
#ifndef EXOLAB_PRINTFMT_H
#define EXOLAB_PRINTFMT_H

#include <stdarg.h>
#include <stddef.h>

/* Widths and precisions are clamped to this many characters, so a stray "%999999999d"
 * cannot stall the kernel console. */
#define FMT_MAX_FIELD 4096

/* Called once per produced character, in order. */
typedef void (*printfmt_putch_fn)(int c, void *arg);

/* Formats `fmt` and returns the number of characters produced.  Conversions: d i u x X o
 * p s c %; length modifiers hh h l ll z on integers; flags - 0 + space #; width and
 * precision as a number or `*`.  Anything else (including %n) is printed verbatim. */
int printfmt_v(printfmt_putch_fn putch, void *arg, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int printfmt(printfmt_putch_fn putch, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* C99 snprintf: writes at most n - 1 characters and a NUL when n > 0, and returns the
 * length the whole output would have had. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
