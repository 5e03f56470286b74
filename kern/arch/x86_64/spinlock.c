/* Spinlocks (hal.h) on x86-64: test-and-test-and-set with xchg, the holder's CPU number for
 * the recursion and non-holder checks, and the hooks of the lock checker (lockcheck.c).
 * Every pmm and heap call takes a lock, so this path is part of their instruction counts
 * (make bench-mm-kernel): an acquisition reads the CPU number once, inline (percpu_cpu),
 * and a release reads it only when the checker is on. */
#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "lockcheck.h"
#include "percpu.h"
#include "x86.h"

#define RFLAGS_IF (1UL << 9)

/* LAB 4b: write xchg32(p, v): store v in *p and return the old value, in one atomic step
 * (inline assembly around the xchg instruction; tell the compiler it touches memory). */
/* BEGIN LAB 4b */
/* xchg with a memory operand is atomic and a full barrier (SDM Vol. 3A 8.1.2.1, 8.2.3.9). */
static inline uint32_t
xchg32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}
/* END LAB 4b */

void
hal_spin_init(struct hal_spinlock *lk, const char *name)
{
	*lk = (struct hal_spinlock)HAL_SPINLOCK_INIT(name);
}

/* LAB 4b: write spin_wait(lk, me), the contended path: wait until the lock looks free by
 * reading it (test-and-test-and-set: no locked bus cycle per turn, and pause()), then try
 * the exchange again; until it succeeds.  A lock this CPU already holds never comes free:
 * report it with lockcheck_recursive() instead of spinning forever. */
/* BEGIN LAB 4b */
/* Contended: a lock this CPU already holds would never come free.  The checker looks
 * before the wait (spin_acquire), so an order inversion is reported, not deadlocked on. */
static __attribute__((noinline)) void
spin_wait(struct hal_spinlock *lk, unsigned me)
{
	do {
		if (lk->holder == me + 1)
			lockcheck_recursive(lk, me);
		while (lk->locked) /* wait reading: no locked bus cycle per spin */
			pause();
	} while (xchg32(&lk->locked, 1) != 0);
}
/* END LAB 4b */

/* The uncontended path is one xchg and one read of the CPU number, for the holder. */
static inline void
spin_acquire(struct hal_spinlock *lk)
{
	unsigned me = percpu_cpu();

	if (__builtin_expect(lockcheck_on, 0))
		lockcheck_acquire(lk, me);
	/* LAB 4b: take the lock: one atomic exchange of 1 into lk->locked on the uncontended
	 * path (it was 0: the lock is this CPU's), spin_wait() when it was already taken. */
	/* BEGIN LAB 4b */
	if (xchg32(&lk->locked, 1) != 0)
		spin_wait(lk, me);
	/* END LAB 4b */
	/* STUB LAB 4b: lk->locked = 1; */
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
	hal_irqstate_t st = read_rflags();

	cli();
	spin_acquire(lk);
	return st;
}

void
hal_spin_unlock_irqrestore(struct hal_spinlock *lk, hal_irqstate_t st)
{
	spin_release(lk);
	if (st & RFLAGS_IF)
		sti();
}

bool
hal_spin_holding(const struct hal_spinlock *lk)
{
	return lk->locked && lk->holder == percpu_cpu() + 1;
}
