/* The kernel console: printf and line input over every active console device (COM1
 * serial, VGA text, a framebuffer text console; the i8042 keyboard for input).
 * kern/console.c implements it, the drivers are in kern/dev/. */
#ifndef EXOLAB_CONSOLE_H
#define EXOLAB_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>

#include "bootinfo.h"

/* Serial only, usable before the boot information is parsed. */
void cons_init_early(void);

/* Adds VGA text or the framebuffer as the boot information says, applies the `console=`
 * option, and prints one line per console in use. */
void cons_init(const struct bootinfo *bi);

/* After kvm_init: starts the framebuffer console if cons_init left it waiting because it
 * lay beyond the boot page tables' 4 GiB (it first replays the output so far), and prints
 * its "console: framebuffer ..." line.  Does nothing otherwise. */
void cons_init_late(void);

/* Writes one character to every active console ('\n' becomes "\r\n" on serial). */
void cons_putc(int c);
/* Holds the console across several writes (a line built piece by piece); nests. */
void cons_lock(void);
void cons_unlock(void);

/* The next input character from serial or keyboard, or -1 when there is none. */
int cons_getc(void);

/* Console input interrupts (kern/dev/consirq.c), after the local APIC and ACPI: COM1 and the
 * keyboard interrupt the boot CPU when input arrives, and the env layer signals the
 * notifications bound with cons_notify.  cons_irq_routed: they do (else readers poll). */
void cons_irq_init(void);
bool cons_irq_routed(void);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Prints `prompt` (unless NULL) and reads a line with echo and backspace editing.  Returns
 * the line without its newline, in a static buffer of CONS_LINE_MAX bytes; characters
 * beyond it are dropped with a message. */
#define CONS_LINE_MAX 256
char *readline(const char *prompt);

#endif
