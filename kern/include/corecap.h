/* Owned cores (kern/env/sys_core.c, docs/partitions.md): what the rest of the kernel asks
 * about core capabilities.  Machine-free: kern/dev and kern/env include it. */
#ifndef EXOLAB_CORECAP_H
#define EXOLAB_CORECAP_H

#include <stdbool.h>
#include <stdint.h>

/* CPU `cpu` runs one env only (a claim holds): no device interrupt may target it. */
bool core_owned(unsigned cpu);

/* The CPU a device interrupt goes to instead of an owned one: CPU 0, never owned. */
#define CORE_HOST_CPU 0u

/* Moves the INTx lines whose interrupts go to an owned CPU to CORE_HOST_CPU (irq.c). */
void irq_lines_avoid_owned(void);

/* Moves every MSI/MSI-X binding that targets `cpu` to `to` (sys_irq.c); E_NOMEM: to's pool
 * is full (those moved so far stay moved). */
int irq_evict_cpu(unsigned cpu, unsigned to);

#endif
