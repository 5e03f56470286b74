/* The preemption tick: a periodic local-APIC timer interrupt that takes the CPU back from
 * whichever env runs in user mode and gives it to the next one (kern/arch/x86_64/timer.c). */
#ifndef EXOLAB_TIMER_H
#define EXOLAB_TIMER_H

#include <stdint.h>

/* Ticks per second the timer aims at (the count is not calibrated: see timer.c). */
#define TIMER_HZ 100

/* Routes LAPIC_VEC_TIMER to the tick handler (for hal_timer_oneshot before timer_init). */
void timer_register(void);

/* Sets up the local APIC and starts the tick; prints one line saying how.  Without an APIC
 * it says so and envs are not preempted. */
void timer_init(void);

/* Ticks taken in user mode, and in kernel mode, where interrupts are off, so that count
 * stays 0 unless an invariant broke. */
struct timer_stats {
	uint64_t user;
	uint64_t kernel;
};
void timer_get_stats(struct timer_stats *st);

#endif
