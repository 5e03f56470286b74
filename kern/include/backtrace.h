/* Stack backtraces through the rbp frame chain, symbolised with the kernel's symbol table. */
#ifndef EXOLAB_BACKTRACE_H
#define EXOLAB_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

/* Prints the call chain above the function whose frame pointer is `rbp`, one line per
 * frame, innermost first, starting with the function that frame returns into:
 *   "  rbp <16 hex> rip <16 hex> <symbol>+0x<off> args <a0> <a1> <a2>"
 * rbp is that function's frame pointer, rip the address it is executing at (the return
 * address its callee will use), a0..a2 the three words at rbp+16, rbp+24, rbp+32: its first
 * stack-passed arguments.  Stops at rbp 0 or an rbp outside every known kernel stack, so a
 * corrupt chain ends the walk instead of faulting. */
void backtrace_print(uint64_t rbp);

/* The same, starting with a line for the function whose frame is `rbp` and which was
 * executing at `rip` (e.g. the trapped code: tf->rbp, tf->rip). */
void backtrace_print_at(uint64_t rbp, uint64_t rip);

/* Backtrace of the caller. */
void backtrace_here(void);

/* Lets later labs declare more kernel stacks (e.g. per-environment) that the walker may follow.
 * [lo, hi) is a virtual range.  Returns false when the table is full. */
bool backtrace_add_stack(uint64_t lo, uint64_t hi);

/* The function containing `addr` and the offset into it, or NULL (offset untouched) when
 * `addr` is in no known function.  Backed by the table kern/ksyms.py generates at link time. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
