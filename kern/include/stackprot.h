/* The stack protector's guard (kern/debug/stackprot.c): stackprot_init gives it a per-boot
 * value; it runs first in kern_main, before any function that could check the guard is
 * entered (kern_main itself never returns). */
#ifndef EXOLAB_STACKPROT_H
#define EXOLAB_STACKPROT_H

void stackprot_init(void);

#endif
