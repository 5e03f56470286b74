/* panic(): report a broken kernel invariant, print a backtrace and halt.  Never for bad input. */
#ifndef EXOLAB_PANIC_H
#define EXOLAB_PANIC_H

#include <stdarg.h>
#include <stdbool.h>

/* Prints "panic: <file>:<line>: <message>", a backtrace whose first line is the function
 * that called panic, then machine_halt(1). */
_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a va_list, for wrappers like hal_panic: call it straight from the function
 * the panicking code called, whose frame the backtrace then skips. */
_Noreturn void panic_va(const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* For the trap dump and panic: makes this CPU the one that prints the dump and stops every
 * other CPU (an NMI each).  Returns true the first time; false when this CPU already owns
 * the dump (a fault while dumping).  When another CPU owns it, halts and never returns, so
 * two CPUs that fail at once never interleave their dumps. */
bool panic_stop_all(void);

/* Some CPU is printing a dump: every other CPU must halt. */
bool panic_in_progress(void);

#endif
