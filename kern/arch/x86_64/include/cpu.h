/* Per-CPU descriptor tables: the GDT with its segment selectors, and the 64-bit TSS. */
#ifndef EXOLAB_CPU_H
#define EXOLAB_CPU_H

#include <stdint.h>

/* GDT selectors (index << 3 | RPL).  The user data/code order suits sysret (SDM Vol. 2B
 * SYSRET: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8). */
#define GDT_KCODE  0x08
#define GDT_KDATA  0x10
#define GDT_UDATA  (0x18 | 3)
#define GDT_UCODE  (0x20 | 3)
#define GDT_TSS    0x28 /* a 16-byte descriptor: two slots */
#define GDT_CPUNUM 0x38 /* a data descriptor whose limit is the CPU number (percpu_cpu) */

/* Interrupt stack table slots (1-based, as in an IDT gate's IST field). */
#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

#define IST_STACK_SIZE 8192

/* Loads the boot CPU's GDT and TSS and reloads every segment register. */
void cpu_init(void);

/* The same on application processor `cpu` (1..SMP_MAX_CPUS - 1), with its own IST stacks
 * and its kernel stack as TSS.rsp0 (smp_ap_stack). */
void cpu_init_ap(unsigned cpu);

/* Stack range [lo, hi) of the boot CPU's IST slot `ist` (1..3), for the backtrace walker. */
void cpu_ist_range(int ist, uint64_t *lo, uint64_t *hi);

#endif
