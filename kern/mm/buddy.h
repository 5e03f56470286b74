/* Private interface between kern/mm/pmm.c (regions, metadata, locking, statistics) and
 * kern/mm/buddy.c (free lists, split, coalesce).  The caller of buddy_* holds the pmm lock. */
#ifndef EXOLAB_MM_BUDDY_H
#define EXOLAB_MM_BUDDY_H

#include <stdint.h>

#include "pmm.h"

/* A run of usable pages [base_pfn, base_pfn + npages) whose struct pages start at `pages`.
 * Blocks never cross a region's ends: a buddy outside the region is never free. */
struct pmm_region {
	uint64_t base_pfn;
	uint64_t npages;
	struct page *pages;
};

extern struct pmm_region pmm_regions[PMM_MAX_REGIONS];
extern unsigned pmm_nregions;

void buddy_reset(void);
/* Carves [pfn, end_pfn) of a region into maximal aligned free blocks.  The pages must be
 * PAGE_INSIDE on entry. */
void buddy_add_range(unsigned region, uint64_t pfn, uint64_t end_pfn);
/* Takes a block of 2^order pages; E_NOMEM when no free block is large enough. */
int buddy_alloc(unsigned order, struct page **head);
/* Returns an allocated block, coalescing it with its free buddies. */
void buddy_free(struct page *head, unsigned order);
uint64_t buddy_free_blocks(unsigned order);
uint64_t buddy_pfn(const struct page *pg);
/* Checks the free lists; logs the first inconsistency and returns E_RANGE, else 0. */
int buddy_check(void);

#endif
