/* The lock checker (lockcheck.c; docs/smp.md "Locking"): lock order, locks held at
 * the return to user mode, locks taken with interrupts in the wrong state, recursion and
 * release by a non-holder.  On unless the command line says lockcheck=off (the benchmarks
 * do); off, it costs a load and a branch per lock operation and nothing on the syscall path.
 * A report is one line starting `lockcheck: `, the locks the CPU holds, then a panic. */
#ifndef EXOLAB_LOCKCHECK_H
#define EXOLAB_LOCKCHECK_H

#include <stdbool.h>

#include "hal.h"

extern bool lockcheck_on;

/* Reads lockcheck= (after cmdline_init, before any CPU but the boot one runs). */
void lockcheck_init(void);

/* Called by spinlock.c when the checker is on: before `lk` is waited for, and before it is
 * released (which also checks that this CPU holds it). */
void lockcheck_acquire(struct hal_spinlock *lk, unsigned cpu);
void lockcheck_release(const struct hal_spinlock *lk);

/* These report and panic.  Recursion is always checked (on the contended path, where it
 * would otherwise spin forever); release by a non-holder when the checker is on. */
_Noreturn void lockcheck_recursive(const struct hal_spinlock *lk, unsigned cpu);
_Noreturn void lockcheck_not_holder(const struct hal_spinlock *lk, unsigned cpu);

void lockcheck_user_return_slow(void);
void lockcheck_irq_slow(int delta);

/* Every return to user mode: no lock may be held there, and no interrupt handler is left
 * running on this CPU (one that switched envs never returned to decrement its count). */
static inline void
lockcheck_user_return(void)
{
	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_user_return_slow();
}

/* Around an interrupt handler (trap.c): locks taken in between are taken in interrupt
 * context.  lockcheck_irq_reset: the interrupted context is abandoned (env_schedule). */
static inline void
lockcheck_irq_enter(void)
{
	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_irq_slow(1);
}

static inline void
lockcheck_irq_exit(void)
{
	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_irq_slow(-1);
}

static inline void
lockcheck_irq_reset(void)
{
	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_irq_slow(0);
}

#endif
