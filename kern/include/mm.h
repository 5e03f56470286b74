/* Memory-management constants shared by the physical allocator, the page tables and the
 * kernel heap (kern/mm), and by the host tools that test them (sim/mmu, grade/unit/mm). */
#ifndef EXOLAB_MM_H
#define EXOLAB_MM_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)
#define HUGE_SHIFT 21
#define HUGE_SIZE  (1ull << HUGE_SHIFT) /* a 2 MiB page, mapped by one PD entry */
#define GIANT_SIZE (1ull << 30)         /* a 1 GiB page, mapped by one PDPT entry */

/* Physical addresses have at most 52 bits on x86-64 (Intel SDM Vol. 3A 4.1.4). */
#define PHYS_ADDR_BITS 52
#define PHYS_ADDR_END  (1ull << PHYS_ADDR_BITS)

/* `a` must be a power of two. */
#define MM_ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define MM_ALIGN_UP(x, a)   MM_ALIGN_DOWN((uint64_t)(x) + (a)-1, (a))
#define MM_IS_ALIGNED(x, a) (((uint64_t)(x) & ((uint64_t)(a)-1)) == 0)

#define PFN(pa)      ((uint64_t)(pa) >> PAGE_SHIFT)
#define PFN_TO_PA(n) ((uint64_t)(n) << PAGE_SHIFT)

#endif
