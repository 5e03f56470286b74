/* Spinlocks (hal.h) on x86-64: test-and-test-and-set with xchg, the holder's CPU number for
 * the recursion and non-holder checks, and the hooks of the lock checker (lockcheck.c).
 * Every pmm and heap call takes a lock, so this path is part of their instruction counts
 * (make bench-mm-kernel): an acquisition reads the CPU number once, inline (percpu_cpu),
 * and a release reads it only when the checker is on.  The uncontended paths are inline in
 * spin.h, for the run-queue lock of the context switch; the functions here wrap them. */
#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "lockcheck.h"
#include "percpu.h"
#include "spin.h"
#include "x86.h"

void
hal_spin_init(struct hal_spinlock *lk, const char *name)
{
	*lk = (struct hal_spinlock)HAL_SPINLOCK_INIT(name);
}

/* Contended: a lock this CPU already holds would never come free.  The checker looks
 * before the wait (spin_acquire), so an order inversion is reported, not deadlocked on. */
__attribute__((noinline)) void
spin_wait(struct hal_spinlock *lk, unsigned me)
{
	do {
		if (lk->holder == me + 1)
			lockcheck_recursive(lk, me);
		while (lk->locked) /* wait reading: no locked bus cycle per spin */
			pause();
	} while (xchg32(&lk->locked, 1) != 0);
}

void
hal_spin_lock(struct hal_spinlock *lk)
{
	spin_acquire(lk);
}

void
hal_spin_unlock(struct hal_spinlock *lk)
{
	spin_release(lk);
}

hal_irqstate_t
hal_spin_lock_irqsave(struct hal_spinlock *lk)
{
	return spin_lock_irqsave(lk);
}

void
hal_spin_unlock_irqrestore(struct hal_spinlock *lk, hal_irqstate_t st)
{
	spin_unlock_irqrestore(lk, st);
}

bool
hal_spin_holding(const struct hal_spinlock *lk)
{
	return lk->locked && lk->holder == percpu_cpu() + 1;
}
