/* Allocation-failure injection (kern/mm/failalloc.c): with failalloc=SEED:RATE on the command
 * line, page and heap allocations fail at seeded points once user space runs, as Linux's
 * fault injection (Documentation/fault-injection) does for its slab and page allocators. */
#ifndef EXOLAB_FAILALLOC_H
#define EXOLAB_FAILALLOC_H

#include <stdbool.h>
#include <stdint.h>

enum failalloc_kind { FAILALLOC_PAGE, FAILALLOC_HEAP };

/* Set by failalloc_init when the option is given; NULL otherwise, so the allocators' hook
 * costs one load and a predictable branch.  `arg` is the page order or the heap size, `caller`
 * the allocator's caller.  Defined in kern/mm/pmm.c (portable: the host tests link it). */
extern bool (*failalloc_hook)(enum failalloc_kind kind, uint64_t arg, void *caller);

/* Parses failalloc=SEED:RATE (RATE: one allocation in RATE fails, on average). */
void failalloc_init(void);

/* "failalloc: injected F of N allocations (seed S, rate 1/R)"; nothing when it is off. */
void failalloc_print(void);

#endif
