/* The spinlock's uncontended paths (hal.h, kern/arch/x86_64/spinlock.c), inline for the
 * machine-dependent code that takes a lock on a measured path: the run-queue lock of every
 * context switch (kern/env/sched.c) saves a call and its register saves each way.  The same
 * code as hal_spin_lock_irqsave / hal_spin_unlock_irqrestore, lock checker hooks included. */
#ifndef EXOLAB_SPIN_H
#define EXOLAB_SPIN_H

#include <stdint.h>

#include "hal.h"
#include "lockcheck.h"
#include "percpu.h"
#include "x86.h"

#define SPIN_RFLAGS_IF (1UL << 9)

/* xchg with a memory operand is atomic and a full barrier (SDM Vol. 3A 8.1.2.1, 8.2.3.9). */
static inline uint32_t
xchg32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

void spin_wait(struct hal_spinlock *lk, unsigned me); /* contended: spinlock.c */

/* The uncontended path is one xchg and one read of the CPU number, for the holder. */
static inline void
spin_acquire(struct hal_spinlock *lk)
{
	unsigned me = percpu_cpu();

	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_acquire(lk, me);
	if (xchg32(&lk->locked, 1) != 0)
		spin_wait(lk, me);
	lk->holder = me + 1;
}

/* A store is a release on x86: no later load or store passes it, and it passes no earlier
 * one (SDM Vol. 3A 8.2.2, 8.2.3.2), so the critical section stays inside.  Whether this CPU
 * holds the lock is the checker's question (lockcheck_release): without it the release
 * needs no CPU number at all. */
static inline void
spin_release(struct hal_spinlock *lk)
{
	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_release(lk);
	lk->holder = 0;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

static inline hal_irqstate_t
spin_lock_irqsave(struct hal_spinlock *lk)
{
	hal_irqstate_t st = read_rflags();

	cli();
	spin_acquire(lk);
	return st;
}

static inline void
spin_unlock_irqrestore(struct hal_spinlock *lk, hal_irqstate_t st)
{
	spin_release(lk);
	if (st & SPIN_RFLAGS_IF)
		sti();
}

#endif
