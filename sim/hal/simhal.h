/* The host implementation of kern/include/hal.h (sim/hal/hal.c, sim/hal/mmio.c): simulated
 * physical memory in one host array, recorded TLB/root/IPI/timer events, a settable cycle
 * clock, checking spinlocks, and MMIO dispatched to device models.  Linked into exosim and
 * the host unit tests; single-threaded; no main(). */
#ifndef EXOLAB_SIMHAL_H
#define EXOLAB_SIMHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#define SIMHAL_MAX_CPUS   64
#define SIMHAL_TLB_RECENT 16 /* page flushes remembered, newest first */
#define SIMHAL_MAX_MMIO   32 /* registered MMIO ranges */
#define SIMHAL_PANIC_MAX  512

/* Allocates `phys_bytes` (a multiple of 4 KiB) of simulated physical memory at physical
 * address 0, filled with 0xA5 so that code relying on unzeroed memory fails visibly, and
 * resets every recorded state.  Returns 0, E_INVAL or E_NOMEM. */
int simhal_init(size_t phys_bytes);
void simhal_fini(void);
size_t simhal_phys_size(void);

/* Panics.  hal_panic (and every simhal check: an address outside simulated memory, a
 * double lock, ...) prints "panic: file:line: message" to stderr, keeps the message, then
 * calls the hook.  The hook must not return (a test longjmps out of it); without a hook, or
 * if it returns, the process aborts. */
typedef void (*simhal_panic_hook_t)(const char *msg, void *arg);
void simhal_set_panic_hook(simhal_panic_hook_t hook, void *arg);
const char *simhal_last_panic(void); /* "" before the first panic */
unsigned simhal_panic_count(void);

/* hal_log output goes to stderr; with a capture buffer it is also appended there
 * (NUL-terminated, truncated when full).  NULL stops capturing. */
void simhal_capture_log(char *buf, size_t size);

/* The cycle clock: hal_cycles returns the hook's value when a hook is set, else the value
 * set or advanced here. */
void simhal_set_cycles(uint64_t cycles);
void simhal_advance_cycles(uint64_t delta);
void simhal_set_cycles_hook(uint64_t (*hook)(void *arg), void *arg);

/* The CPU that hal_* calls act on (exosim switches it as it runs each simulated CPU). */
void simhal_set_cpu(unsigned cpu);
void simhal_set_cpu_count(unsigned n);

/* Everything the kernel asks of the machine besides memory, as events exosim can charge
 * for or deliver.  `arg` is the address (TLB_PAGE), the root (SET_ROOT), the vector (IPI),
 * the cycles (TIMER). */
enum simhal_event_kind {
	SIMHAL_TLB_PAGE,
	SIMHAL_TLB_ALL,
	SIMHAL_SET_ROOT,
	SIMHAL_IPI,
	SIMHAL_TIMER,
	SIMHAL_NEVENTS,
};
struct simhal_event {
	enum simhal_event_kind kind;
	unsigned cpu;    /* the CPU that made the call */
	unsigned target; /* destination CPU of an IPI */
	uint64_t arg;
};
void simhal_set_event_hook(void (*hook)(const struct simhal_event *ev, void *arg), void *arg);
uint64_t simhal_event_count(enum simhal_event_kind kind);
/* The i-th most recent hal_tlb_flush_page address (i = 0 is the newest); false when fewer
 * than i + 1 flushes were recorded since the last reset. */
bool simhal_tlb_recent(unsigned i, uintptr_t *va);
/* Forgets the event counters and the recent TLB flushes. */
void simhal_reset_events(void);
physaddr_t simhal_root(unsigned cpu);
bool simhal_irq_enabled(unsigned cpu);
uint64_t simhal_timer_deadline(unsigned cpu); /* cycles of the last arming, 0 if none */

/* MMIO: accesses through hal_mmio_* to [base, base + len) go to `ops` with the offset in
 * the range.  `base` is the address a driver is given (simhal_mmio_ptr); it is never
 * dereferenced, so any value outside simulated memory's host array works. */
struct simhal_mmio_ops {
	uint64_t (*read)(void *ctx, uint64_t off, unsigned size);
	void (*write)(void *ctx, uint64_t off, unsigned size, uint64_t val);
};
/* Returns 0, E_INVAL (empty or wrapping range, missing callback), E_EXIST (overlap) or
 * E_NOMEM (table full). */
int simhal_mmio_register(uintptr_t base, size_t len, const struct simhal_mmio_ops *ops, void *ctx);
int simhal_mmio_unregister(uintptr_t base);
/* Forgets every range (simhal_init does it). */
void simhal_mmio_reset(void);
volatile void *simhal_mmio_ptr(uintptr_t base);
/* During an access a model is handling: the driver's source file and line that made it
 * (lib/drivers/include/drv_mmio.h), or NULL when the driver did not say (or outside one). */
const char *simhal_mmio_src(int *line);
/* Appends ", driver pc FILE:LINE" (that line) to the string in buf when it is known. */
void simhal_mmio_src_append(char *buf, size_t size);
void drv_mmio_src(const char *file, int line);

/* Reports a broken simulation invariant through the panic path (used by sim/hal and sim/mmu). */
#define SIMHAL_FAIL(...) hal_panic(__FILE__, __LINE__, __VA_ARGS__)

#endif
