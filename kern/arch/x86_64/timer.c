/* The preemption tick: the local APIC timer in periodic mode on LAPIC_VEC_TIMER.  The count
 * is base clock / LAPIC_TIMER_DIVIDE / TIMER_HZ, with the base clock known exactly where it
 * can be (lapic_timer_base_hz), so it stays the same from boot to boot.  Under QEMU (1 GHz)
 * that is 625000, 10 ms of QEMU's virtual clock (10 M instructions under -icount shift=0);
 * on the Legion (24 MHz crystal) 15000, also 10 ms.  A CPU whose APIC clock is neither gets
 * some other period, which only changes how long a slice is, never whether envs preempt.
 *
 * The kernel runs with IF = 0 (only user mode has IF = 1), so the tick can only interrupt
 * user code, or a CPU that waits for it on purpose with interrupts on (smp_idle, a test of
 * hal_timer_oneshot, which fires on the same vector); any other in kernel mode is counted
 * and ignored. */
#include <stdint.h>

#include "abi/error.h"
#include "console.h"
#include "env.h"
#include "lapic.h"
#include "percpu.h"
#include "timer.h"
#include "trap.h"

static struct timer_stats stats;

static void
timer_tick(struct trapframe *tf)
{
	/* First: a switch to another env never comes back here. */
	struct percpu *pc = percpu_this();

	lapic_eoi();
	if ((tf->cs & 3) != 3) {
		if (pc->idle)
			pc->wakeups++;
		else
			stats.kernel++;
		return;
	}
	stats.user++;
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
	uint64_t hz, count;
	int err = lapic_init();

	if (err < 0) {
		printf("timer: no usable local APIC (%s): envs are not preempted\n",
		       error_name(err));
		return;
	}
	hz = lapic_timer_base_hz();
	count = hz / LAPIC_TIMER_DIVIDE / TIMER_HZ;
	if (count == 0)
		count = 1;
	trap_register(LAPIC_VEC_TIMER, timer_tick);
	lapic_timer_periodic(LAPIC_VEC_TIMER, (uint32_t)count);
	printf("timer: %s id %u, vector %u, %u Hz: count %lu of a %lu Hz clock / %u\n",
	       lapic_is_x2apic() ? "x2APIC" : "xAPIC", lapic_id(), LAPIC_VEC_TIMER, TIMER_HZ, count,
	       hz, LAPIC_TIMER_DIVIDE);
}

void
timer_get_stats(struct timer_stats *st)
{
	*st = stats;
}
