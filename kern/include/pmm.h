/* The physical page allocator: a buddy allocator over the usable RAM of the boot memory map,
 * with one struct page of metadata per page (kern/mm/pmm.c builds it, kern/mm/buddy.c splits
 * and coalesces blocks).  Page tables, the kernel heap and user frames all come from here.
 *
 * struct page is the one record of a managed page (32 bytes, 0.8% of RAM): its place in the
 * buddy structure, its use and owner, and for a user frame a pointer to the capability object
 * that counts the frame's references (kern/cap), found from an address with pmm_frame().
 * The allocator itself counts no references: a block is allocated until pmm_free. */
#ifndef EXOLAB_PMM_H
#define EXOLAB_PMM_H

#include <stdint.h>

#include "bootinfo.h"
#include "hal.h"
#include "mm.h"

struct cap_object;

/* Blocks are 2^order pages: order 0 is 4 KiB, PMM_MAX_ORDER is 4 MiB. */
#define PMM_MAX_ORDER 10
#define PMM_NORDERS   (PMM_MAX_ORDER + 1)

#define PMM_MAX_EXCL    32  /* excluded ranges the caller may pass to pmm_init */
#define PMM_MAX_REGIONS 128 /* contiguous runs of usable RAM; more are logged and dropped */

/* A physical range [start, end). */
struct pmm_range {
	uint64_t start;
	uint64_t end;
};

/* Where a page is in the buddy structure.  Only the first page of a block (its head) has
 * FREE or ALLOCATED; the other pages of the block are INSIDE. */
enum page_state {
	PAGE_INSIDE = 0,
	PAGE_FREE,
	PAGE_ALLOCATED,
	PAGE_RESERVED, /* never handed out (holds the allocator's own metadata) */
};

/* What an allocated block is used for, so statistics and leak checks can tell them apart. */
enum page_use {
	PAGE_USE_NONE = 0, /* free or reserved */
	PAGE_USE_KERNEL,   /* pmm_alloc's default */
	PAGE_USE_PT,       /* page-table page (kern/mm/pt.c) */
	PAGE_USE_HEAP,     /* kernel heap slab or large object (kern/mm/kheap.c) */
	PAGE_USE_USER,     /* frame owned by an environment */
	PAGE_USE_DMA,      /* frame handed to a device */
	PAGE_USE_COUNT,
};

/* Metadata of one physical page; an array of them sits at the start of every region.
 * pmm_free refuses a block whose `frame` is set, so the buddy code never resets it. */
struct page {
	struct page *next; /* free-list links, valid while state == PAGE_FREE */
	union {
		struct page *prev;
		/* Of an allocated PAGE_USE_PT page (kern/mm/pt.c): bit g set when one of the
		 * entries 8g .. 8g+7 may be present.  Allocation leaves it 0 (the buddy code
		 * clears the links); freeing reuses it as the link. */
		uint64_t pt_groups;
	};
	struct cap_object *frame; /* of a PAGE_USE_USER head (pmm_set_frame), else NULL */
	uint32_t owner;           /* environment id for PAGE_USE_USER, else 0 */
	uint8_t state;            /* enum page_state */
	uint8_t order;            /* block order, valid on a FREE or ALLOCATED head */
	uint8_t use;              /* enum page_use, valid on an ALLOCATED head */
	uint8_t region;           /* index of the region holding this page */
};

struct pmm_stats {
	uint64_t total;                      /* pages of available RAM in the memory map */
	uint64_t reserved;                   /* of those, excluded or holding metadata */
	uint64_t managed;                    /* total - reserved: what the allocator owns */
	uint64_t free;                       /* pages in free blocks */
	uint64_t allocated;                  /* managed - free */
	uint64_t free_blocks[PMM_NORDERS];   /* free blocks of each order */
	uint64_t used_pages[PAGE_USE_COUNT]; /* allocated pages by use */
	unsigned regions;
};

/* Builds the allocator from the available entries of `map` minus the first MiB, every
 * non-available entry, and the `nexcl` ranges of `excl` (kernel image, modules, ...).
 * Every page of available RAM must be reachable through hal_phys_to_virt.
 * Returns 0, E_INVAL for a malformed argument, or E_NOMEM when no page is usable. */
int pmm_init(const struct boot_mem *map, unsigned n, const struct pmm_range *excl, unsigned nexcl);

/* pmm_init for the RAM below `limit` (page-aligned) only: the kernel starts with what its
 * boot page tables reach, builds the direct map from those pages, then calls pmm_add_above
 * with the same arguments to add the RAM from `limit` up.  pmm_add_above returns 0 (also
 * when there is nothing above), or E_INVAL without a pmm_init_below before it. */
int pmm_init_below(const struct boot_mem *map, unsigned n, const struct pmm_range *excl,
                   unsigned nexcl, uint64_t limit);
int pmm_add_above(const struct boot_mem *map, unsigned n, const struct pmm_range *excl,
                  unsigned nexcl);

/* Fills `out` with the ranges the boot loader's record says are in use (kernel image, the
 * multiboot2 information, boot modules, framebuffer).  Returns how many, or E_RANGE if more
 * than `max`. */
int pmm_boot_exclusions(const struct bootinfo *bi, struct pmm_range *out, unsigned max);

/* Allocates 2^order contiguous pages aligned to their size, with use PAGE_USE_KERNEL and no
 * frame object.  Returns the physical address (>= 0), E_INVAL for an order above
 * PMM_MAX_ORDER, or E_NOMEM.  The contents are not cleared. */
int64_t pmm_alloc(unsigned order);

/* pmm_alloc, tagged `use` and `owner` as pmm_set_use would (one lock round trip, not two);
 * E_INVAL also for PAGE_USE_NONE or an unknown use. */
int64_t pmm_alloc_as(unsigned order, enum page_use use, uint32_t owner);

/* Frees a block from pmm_alloc.  Freeing a page that is not the head of an allocated block,
 * with another order, or while a frame object still names it is a kernel bug and panics. */
void pmm_free(physaddr_t pa, unsigned order);

/* Retags an allocated block (head address) for statistics and ownership checks. */
void pmm_set_use(physaddr_t pa, enum page_use use, uint32_t owner);

/* Records `frame` (NULL to clear) as the capability object of the PAGE_USE_USER page `pa`;
 * any other page is a kernel bug and panics.  Clear it before the page is freed. */
void pmm_set_frame(physaddr_t pa, struct cap_object *frame);

/* The frame object recorded for page `pa` (any address inside it), or NULL when `pa` is not
 * managed, not an allocated user page, or has none.  Stable while the caller holds a
 * reference to the object (a mapping of the page, a capability). */
struct cap_object *pmm_frame(physaddr_t pa);

/* The metadata of a managed page, or NULL when `pa` is not managed memory.  Read-only
 * outside kern/mm; take no decision on it without holding the caller's own lock. */
const struct page *pmm_page(physaddr_t pa);

/* The present-entry summary (struct page's pt_groups) of the allocated PAGE_USE_PT page
 * `pa`, for kern/mm/pt*.c only; any other page is a kernel bug and panics.  Lock-free: a
 * table page's summary is changed only under the lock of the address space it belongs to. */
uint64_t *pmm_pt_groups(physaddr_t pa);

void pmm_get_stats(struct pmm_stats *st);

/* Prints the statistics with hal_log (the monitor's `pages` command). */
void pmm_print_stats(void);

/* Verifies every free list and counter; logs the first inconsistency and returns E_RANGE,
 * or returns 0.  Costs O(free blocks + pages): for tests and self-checks. */
int pmm_check(void);

#endif
