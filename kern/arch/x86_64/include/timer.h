/* The scheduler's one-shot timer: an interrupt armed by kern/env/sched.c that takes the CPU
 * back from the env in user mode when the policy says its turn ends (timer.c). */
#ifndef EXOLAB_TIMER_H
#define EXOLAB_TIMER_H

#include <stdint.h>

/* Routes LAPIC_VEC_TIMER to the tick handler (for hal_timer_oneshot before timer_init). */
void timer_register(void);

/* Sets up the local APIC and routes its timer to the scheduler; prints one line saying how.
 * Without an APIC it says so and envs are not preempted. */
void timer_init(void);

/* Ticks taken in user mode, and in kernel mode, where interrupts are off, so that count
 * stays 0 unless an invariant broke. */
struct timer_stats {
	uint64_t user;
	uint64_t kernel;
};
void timer_get_stats(struct timer_stats *st);

#endif
