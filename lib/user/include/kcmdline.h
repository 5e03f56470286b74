/* The kernel's command line as user programs see it (abi_envinfo.kcmdline): `key` and
 * `key=value` words separated by spaces, as the kernel parses them (docs/architecture.md,
 * "The kernel command line").  The words meant for user programs (legion=, ip=, netcons=,
 * nvme_ro, nvme_write=, ...) are registered in kern/cmdline.c so the kernel does not call
 * them unknown. */
#ifndef EXOLAB_KCMDLINE_H
#define EXOLAB_KCMDLINE_H

#include <stdbool.h>

/* The value of the last `key=value` for `key`; "" for a bare `key`; NULL when absent.  The
 * string lives as long as the program. */
const char *kcmdline_get(const char *key);

/* True when `key` or `key=...` is on the line. */
bool kcmdline_has(const char *key);

/* The whole line ("" when the kernel gave none). */
const char *kcmdline_str(void);

#endif
