/* Self-tests of the lock checker (kern/arch/x86_64/lockcheck.c): each provokes one kind of
 * report on purpose, with locks of its own named ktest-*, and the grader looks for the exact
 * `lockcheck: ` line (grade/lab4b.py).  A report panics, so a line saying "not reported"
 * means the checker missed it.  With lockcheck=off they must all get that far. */
#include "console.h"
#include "env.h"
#include "hal.h"
#include "ktest.h"
#include "trap.h"
#include "x86.h"

#define KTEST_VEC_LOCKCHECK 0xE0 /* any vector nothing else uses in a test boot */

static struct hal_spinlock lock_a = HAL_SPINLOCK_INIT("ktest-a");
static struct hal_spinlock lock_b = HAL_SPINLOCK_INIT("ktest-b");
static struct hal_spinlock lock_irq = HAL_SPINLOCK_INIT("ktest-irq");
static struct hal_spinlock lock_user = HAL_SPINLOCK_INIT("ktest-user");

static void
not_reported(const char *what)
{
	printf("ktest: %s: not reported\n", what);
}

/* a then b, released; then b then a: the second pair is the inversion. */
static void
ktest_lockcheck_order(void)
{
	hal_spin_lock(&lock_a);
	hal_spin_lock(&lock_b);
	hal_spin_unlock(&lock_b);
	hal_spin_unlock(&lock_a);
	hal_spin_lock(&lock_b);
	hal_spin_lock(&lock_a);
	hal_spin_unlock(&lock_a);
	hal_spin_unlock(&lock_b);
	not_reported("lockcheck-order");
}

static void
take_lock_irq(struct trapframe *tf)
{
	(void)tf;
	hal_spin_lock(&lock_irq);
	hal_spin_unlock(&lock_irq);
}

/* ktest-irq held with interrupts enabled, then taken by an interrupt handler (a software
 * interrupt through an interrupt gate is delivered like a device's, SDM Vol. 3A 6.4.2): on
 * one CPU an interrupt arriving while it is held would spin forever. */
static void
ktest_lockcheck_irq(void)
{
	trap_register(KTEST_VEC_LOCKCHECK, take_lock_irq);
	sti();
	hal_spin_lock(&lock_irq);
	hal_spin_unlock(&lock_irq);
	cli();
	__asm__ volatile("int %0" : : "i"(KTEST_VEC_LOCKCHECK) : "memory");
	not_reported("lockcheck-irq");
}

/* The boot goes on to user mode with ktest-user still held. */
static void
ktest_lockcheck_user(void)
{
	hal_spin_lock(&lock_user);
	env_boot();
	hal_spin_unlock(&lock_user);
	not_reported("lockcheck-user");
}

static void
ktest_lockcheck_twice(void)
{
	hal_spin_lock(&lock_a);
	hal_spin_lock(&lock_a); /* never returns: reported, or spinning (lockcheck=off too) */
	not_reported("lockcheck-twice");
}

static void
ktest_lockcheck_release(void)
{
	hal_spin_unlock(&lock_b);
	not_reported("lockcheck-release");
}

KTEST_NAMED(lockcheck_order, "lockcheck-order", ktest_lockcheck_order,
            "lock checker: a lock order inversion is reported");
KTEST_NAMED(lockcheck_irq, "lockcheck-irq", ktest_lockcheck_irq,
            "lock checker: a lock held with interrupts on and taken in a handler");
KTEST_NAMED(lockcheck_user, "lockcheck-user", ktest_lockcheck_user,
            "lock checker: a lock held at the return to user mode");
KTEST_NAMED(lockcheck_twice, "lockcheck-twice", ktest_lockcheck_twice,
            "lock checker: a lock taken twice by one CPU");
KTEST_NAMED(lockcheck_release, "lockcheck-release", ktest_lockcheck_release,
            "lock checker: a lock released by a CPU that does not hold it");
