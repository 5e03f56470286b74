/* The kernel command line: the multiboot2 string plus, under QEMU, fw_cfg opt/exolab/cmdline. */
#ifndef EXOLAB_CMDLINE_H
#define EXOLAB_CMDLINE_H

#include <stdbool.h>

/* A known option.  Subsystems declare theirs with CMDLINE_OPTION so they are not reported as
 * unknown; the linker gathers them in section .cmdline_opts (see kern/kernel.ld). */
struct cmdline_opt {
	const char *key;
	const char *help;
};

#define CMDLINE_OPTION(id, keystr, helpstr)                                                        \
	static const struct cmdline_opt cmdline_opt_##id                                           \
	    __attribute__((used, section(".cmdline_opts"), aligned(8))) = { keystr, helpstr }

/* Builds the line from the boot loader's string and (under QEMU) fw_cfg. */
void cmdline_init(const char *boot_cmdline);

/* Prints "cmdline: unknown option 'xyz'" for every option nobody registered. */
void cmdline_check(void);

/* The whole line as parsed. */
const char *cmdline_str(void);

/* Value of the last `key=value` for `key`; "" for a bare `key`; NULL when absent.
 * The string stays valid for the life of the kernel. */
const char *cmdline_get(const char *key);

/* True when `key` or `key=...` is present. */
bool cmdline_has(const char *key);

/* True when the value of `key` is a comma-separated list naming `word`
 * (`trace=sched,syscalls` names both "sched" and "syscalls"). */
bool cmdline_has_word(const char *key, const char *word);

/* Prints "cmdline: KEY: unknown 'w'" for every word of KEY's list not in `known`
 * (NULL-terminated), so a misspelt item is reported like a misspelt option. */
void cmdline_check_words(const char *key, const char *const *known);

#endif
