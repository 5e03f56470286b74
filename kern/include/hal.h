/* The HAL: the only way portable code (kern/mm, kern/cap, kern/sched, lib/drivers,
 * lib/fastpath) reaches the machine.  kern/arch/x86_64/hal.c implements it on hardware,
 * sim/hal/ implements it on the host.  Portable code includes this header and the
 * freestanding C headers, never anything under kern/arch/. */
#ifndef EXOLAB_HAL_H
#define EXOLAB_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t physaddr_t;

/* Physical <-> kernel-virtual conversion through the direct map. */
void *hal_phys_to_virt(physaddr_t pa);
physaddr_t hal_virt_to_phys(const void *va);

/* Cycle counter of the current CPU (rdtsc on hardware, the simulated clock on the host). */
uint64_t hal_cycles(void);

/* MMIO.  `base` is the mapped address of a device region; drivers never dereference it. */
uint8_t hal_mmio_read8(volatile void *addr);
uint16_t hal_mmio_read16(volatile void *addr);
uint32_t hal_mmio_read32(volatile void *addr);
uint64_t hal_mmio_read64(volatile void *addr);
void hal_mmio_write8(volatile void *addr, uint8_t val);
void hal_mmio_write16(volatile void *addr, uint16_t val);
void hal_mmio_write32(volatile void *addr, uint32_t val);
void hal_mmio_write64(volatile void *addr, uint64_t val);

/* TLB and address-space switch.  `root` is the physical address of a PML4. */
void hal_tlb_flush_page(uintptr_t va);
void hal_tlb_flush_all(void);
void hal_set_root(physaddr_t root);
physaddr_t hal_get_root(void);
/* After changing entries of the address space `root`: every other CPU that has it loaded
 * flushes the pages vas[0 .. n) (everything when n is 0 or large), and this call returns once
 * they all have.  The caller has flushed its own TLB; it holds no lock a CPU needs in order
 * to take an interrupt (kern/env's run-queue locks). */
void hal_tlb_shootdown(physaddr_t root, const uintptr_t *vas, unsigned n);

/* Interrupts: save-and-disable, restore. */
typedef unsigned long hal_irqstate_t;
hal_irqstate_t hal_irq_save(void);
void hal_irq_restore(hal_irqstate_t state);

/* CPUs. */
unsigned hal_cpu_id(void);
unsigned hal_cpu_count(void);
void hal_send_ipi(unsigned cpu, unsigned vector);
/* Makes CPU `cpu` look at its run queue again (a reschedule IPI). */
void hal_resched(unsigned cpu);

/* One-shot timer on the current CPU: fire after `cycles` cycles (0 cancels). */
void hal_timer_oneshot(uint64_t cycles);

/* Spinlocks.  `name` is for diagnostics and names the lock's class for the lock checker
 * (docs/smp.md "Locking"): locks with the same name are one class.  `holder` is
 * the CPU id + 1, 0 when free; `lc_class` is the checker's class number + 1, 0 until the
 * lock is first taken with the checker on. */
struct hal_spinlock {
	volatile uint32_t locked;
	uint32_t holder;
	const char *name;
	uint32_t lc_class;
};
/* Not clang-formatted: it would spread this initialiser over four lines. */
/* clang-format off */
#define HAL_SPINLOCK_INIT(n) { .locked = 0, .holder = 0, .name = (n), .lc_class = 0 }
/* clang-format on */
void hal_spin_init(struct hal_spinlock *lk, const char *name);
/* For locks never taken in interrupt context: interrupts stay as they are. */
void hal_spin_lock(struct hal_spinlock *lk);
void hal_spin_unlock(struct hal_spinlock *lk);
/* For locks an interrupt handler may take: disable interrupts, then take the lock; the
 * release restores the state the acquisition returned.  Pairs nest like hal_irq_save. */
hal_irqstate_t hal_spin_lock_irqsave(struct hal_spinlock *lk);
void hal_spin_unlock_irqrestore(struct hal_spinlock *lk, hal_irqstate_t state);
bool hal_spin_holding(const struct hal_spinlock *lk);

/* Report a broken kernel invariant and stop (panic on hardware, abort on the host). */
_Noreturn void hal_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define HAL_PANIC(...) hal_panic(__FILE__, __LINE__, __VA_ARGS__)

/* Diagnostic output for portable code (kernel console on hardware, stderr on the host). */
void hal_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
