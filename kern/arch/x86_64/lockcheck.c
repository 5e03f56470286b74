/* The lock checker: a lockdep-lite over the spinlocks of hal.h, with fixed tables and no
 * allocation.  Locks are grouped in classes by name (every per-CPU run queue "rq" is one
 * class).  It reports, each as one `lockcheck: ` line and a panic (a report is a kernel
 * bug, and going on past a deadlock pattern would only hide where it started):
 *   order   B taken while A is held, after A was once taken while B was held: two CPUs
 *           doing these at once deadlock.  Pairs of different classes are remembered in a
 *           bit matrix; nesting two locks of one class is not ordered (not checked).
 *   irq     a class taken in an interrupt handler and also taken with interrupts enabled:
 *           the interrupt can arrive on the CPU that holds it and spin forever.
 *   user    a lock held when the CPU returns to user mode.
 *   holder  a lock taken twice by one CPU (always checked, on the contended path of
 *           spinlock.c), or released by a CPU that does not hold it.
 * docs/smp.md "Locking" has the lock order this checks and why it is on. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "lockcheck.h"
#include "panic.h"
#include "percpu.h"
#include "smp.h"
#include "x86.h"
#include "xstring.h"

CMDLINE_OPTION(lockcheck, "lockcheck",
               "lockcheck=off: no lock checker (the benchmarks); on by default");

#define LC_MAX_CLASSES 64 /* one bit each in a row of the order matrix */
/* Locks one CPU holds at once (counted in percpu.after too): an idle CPU balancing holds
 * every run-queue lock (kern/env/sched.c balance), plus a few of its own. */
#define LC_MAX_HELD (SMP_MAX_CPUS + 8)
#define LC_IN_IRQ   1u /* class flags: taken in an interrupt handler */
#define LC_IRQS_ON  2u /* taken (so held) with interrupts enabled */
#define RFLAGS_IF   (1UL << 9)

_Static_assert(LC_MAX_HELD *PERCPU_LOCK_HELD <= PERCPU_LOCKS_MASK, "the count fits its bits");

bool lockcheck_on = true; /* before lockcheck_init too: the boot CPU's first locks count */

static const char *class_name[LC_MAX_CLASSES];
static uint32_t class_flags[LC_MAX_CLASSES];
static uint64_t after[LC_MAX_CLASSES]; /* bit b of after[a]: b was taken while a was held */
static unsigned nclasses;
static volatile uint32_t class_lock; /* raw: the checker checks no lock of its own */
static unsigned report_owner;        /* the CPU printing a report, + 1 */

static struct lc_cpu {
	const struct hal_spinlock *held[LC_MAX_HELD];
	unsigned nheld;
	int irq_depth; /* interrupt handlers running on this CPU */
} cpus[SMP_MAX_CPUS];

void
lockcheck_init(void)
{
	const char *v = cmdline_get("lockcheck");

	lockcheck_on = v == NULL || strcmp(v, "off") != 0;
	if (!lockcheck_on) /* whatever the boot CPU counted so far (nothing: no lock is held) */
		percpu_this()->after &= ~PERCPU_LOCKS_MASK;
}

static void
raw_lock(volatile uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE) != 0)
		pause();
}

static const char *
lk_name(const struct hal_spinlock *lk)
{
	return lk->name != NULL ? lk->name : "(unnamed)";
}

/* One report at a time, whichever CPU: the first one's panic stops the others.  A report
 * from inside a report (printing found this CPU holding the console's lock) goes straight
 * to the panic, which stops a third round (panic.c). */
static _Noreturn void __attribute__((format(printf, 2, 3)))
report(unsigned cpu, const char *fmt, ...)
{
	struct lc_cpu *me = &cpus[cpu];
	unsigned prev = 0;
	va_list ap;

	lockcheck_on = false; /* printing takes locks: the checker must not come back here */
	if (!__atomic_compare_exchange_n(&report_owner, &prev, cpu + 1, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		if (prev == cpu + 1)
			panic("lock checker: a report while printing a report");
		for (;;) /* the reporting CPU's panic stops this one */
			pause();
	}
	va_start(ap, fmt);
	printf("lockcheck: ");
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n  cpu %u holds", cpu);
	for (unsigned i = 0; i < me->nheld; i++)
		printf(" %s", lk_name(me->held[i]));
	printf(me->nheld == 0 ? " no lock\n" : "\n");
	panic("lock checker report (above)");
}

/* The class of `lk`, found by name on its first checked acquisition and cached in it. */
static unsigned
class_of(struct hal_spinlock *lk, unsigned cpu)
{
	uint32_t c = __atomic_load_n(&lk->lc_class, __ATOMIC_ACQUIRE);

	if (c != 0)
		return c - 1;
	raw_lock(&class_lock);
	for (unsigned i = 0; i < nclasses && c == 0; i++)
		if (strcmp(class_name[i], lk_name(lk)) == 0)
			c = i + 1;
	if (c == 0 && nclasses < LC_MAX_CLASSES) {
		class_name[nclasses] = lk_name(lk);
		c = ++nclasses;
	}
	__atomic_store_n(&class_lock, 0, __ATOMIC_RELEASE);
	if (c == 0)
		report(cpu, "more than %u lock classes: raise LC_MAX_CLASSES for %s",
		       LC_MAX_CLASSES, lk_name(lk));
	__atomic_store_n(&lk->lc_class, c, __ATOMIC_RELEASE);
	return c - 1;
}

/* The rule that catches the deadlock: a class interrupt handlers take must never be held
 * with interrupts enabled (take it with hal_spin_lock_irqsave everywhere). */
static void
check_irq(const struct hal_spinlock *lk, unsigned c, unsigned cpu)
{
	uint32_t now = (cpus[cpu].irq_depth > 0 ? LC_IN_IRQ : 0) |
	               ((read_rflags() & RFLAGS_IF) ? LC_IRQS_ON : 0);
	uint32_t seen = __atomic_or_fetch(&class_flags[c], now, __ATOMIC_RELAXED);

	if ((seen & (LC_IN_IRQ | LC_IRQS_ON)) == (LC_IN_IRQ | LC_IRQS_ON))
		report(cpu,
		       "lock %s is taken in an interrupt handler and with interrupts enabled "
		       "(now %s)",
		       lk_name(lk), (now & LC_IN_IRQ) ? "in the handler" : "with interrupts on");
}

void
lockcheck_acquire(struct hal_spinlock *lk, unsigned cpu)
{
	struct lc_cpu *me = &cpus[cpu];
	unsigned c;

	if (lk->locked && lk->holder == cpu + 1) /* before it joins the list of held locks */
		lockcheck_recursive(lk, cpu);
	c = class_of(lk, cpu);
	check_irq(lk, c, cpu);
	for (unsigned i = 0; i < me->nheld; i++) {
		unsigned h = me->held[i]->lc_class - 1;

		if (h == c)
			continue;
		if (after[c] & (1ull << h))
			report(cpu,
			       "lock order inversion: %s taken while %s is held, but %s was "
			       "taken while %s was held before",
			       lk_name(lk), class_name[h], class_name[h], class_name[c]);
		if (!(after[h] & (1ull << c)))
			__atomic_or_fetch(&after[h], 1ull << c, __ATOMIC_RELAXED);
	}
	if (me->nheld == LC_MAX_HELD)
		report(cpu, "lock %s taken while %u locks are held: raise LC_MAX_HELD", lk_name(lk),
		       LC_MAX_HELD);
	me->held[me->nheld++] = lk;
	percpu_of(cpu)->after += PERCPU_LOCK_HELD;
}

/* Any order of release is legal; a lock not found was taken before the checker was on. */
void
lockcheck_release(const struct hal_spinlock *lk)
{
	unsigned cpu = percpu_cpu();
	struct lc_cpu *me = &cpus[cpu];

	if (!lk->locked || lk->holder != cpu + 1)
		lockcheck_not_holder(lk, cpu);

	for (unsigned i = me->nheld; i-- > 0;)
		if (me->held[i] == lk) {
			for (; i + 1 < me->nheld; i++)
				me->held[i] = me->held[i + 1];
			me->nheld--;
			percpu_of(cpu)->after -= PERCPU_LOCK_HELD;
			return;
		}
}

void
lockcheck_recursive(const struct hal_spinlock *lk, unsigned cpu)
{
	report(cpu, "lock %s taken twice by cpu %u", lk_name(lk), cpu);
}

void
lockcheck_not_holder(const struct hal_spinlock *lk, unsigned cpu)
{
	report(cpu, "lock %s released by cpu %u, which does not hold it", lk_name(lk), cpu);
}

void
lockcheck_user_return_slow(void)
{
	unsigned cpu = percpu_cpu();
	struct lc_cpu *me = &cpus[cpu];

	me->irq_depth = 0;
	if (me->nheld > 0)
		report(cpu, "returning to user mode with lock %s held", lk_name(me->held[0]));
}

void
lockcheck_irq_slow(int delta)
{
	struct lc_cpu *me = &cpus[percpu_cpu()];

	me->irq_depth = delta == 0 ? 0 : me->irq_depth + delta;
}
