/* Shared by the two halves of the envs' scheduler: kern/env/sched.c (wake, block, yield,
 * tick, the choice of the next env) and kern/env/sched_params.c (an env's parameters and
 * CPUs: env_set_sched, and a sleep's release).  Private to kern/env. */
#ifndef KERN_ENV_SCHED_IMPL_H
#define KERN_ENV_SCHED_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "env_impl.h"
#include "hal.h"
#include "sched.h"

extern struct sched sched; /* the one instance, policy from sched= */

/* Locks the queue e's entity is on and returns its CPU; rq_unlock_cpu undoes it. */
unsigned lock_entity(struct env *e, hal_irqstate_t *f);
void rq_unlock_cpu(unsigned cpu, hal_irqstate_t f);
/* cpu's queue changed: make it look again (preempt: at once, else at its next decision). */
void kick(unsigned cpu, bool preempt);
/* Puts a NEW or BLOCKED entity on the queue of the CPU the policy picks; returns that CPU. */
unsigned wake_entity(struct env *e, uint64_t now);

#endif
