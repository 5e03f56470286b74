/* A second destination for this env's console output (lib/user/console.c): every piece of
 * text printf, puts and putchar write to the console is also given to the tee, in the same
 * order and cut at the same places (a line, or CONSOLE_BUF bytes of a longer one).  The
 * netconsole uses it (user/udpecho.c: netcons=H:P), because the Legion has no serial port.
 * The tee must not print (it would call itself). */
#ifndef EXOLAB_CONSOLE_TEE_H
#define EXOLAB_CONSOLE_TEE_H

#include <stddef.h>

typedef void console_tee_fn(void *arg, const char *s, size_t len);

/* Sets the tee (fn NULL: none). */
void console_tee(console_tee_fn *fn, void *arg);

#endif
