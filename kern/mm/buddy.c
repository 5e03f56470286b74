/* The buddy system behind the physical page allocator: one free list per order, blocks
 * split on allocation and coalesced with their buddy on free.  A block of order k starts
 * at a page frame number aligned to 2^k, so its buddy is at pfn ^ 2^k. */
#include "abi/error.h"
#include "buddy.h"
#include "hal.h"

static struct page *free_list[PMM_NORDERS];
static uint64_t free_count[PMM_NORDERS];

uint64_t
buddy_pfn(const struct page *pg)
{
	const struct pmm_region *r = &pmm_regions[pg->region];

	return r->base_pfn + (uint64_t)(pg - r->pages);
}

/* The metadata of page `pfn` if region r holds it, else NULL. */
static struct page *
region_page(const struct pmm_region *r, uint64_t pfn)
{
	if (pfn < r->base_pfn || pfn - r->base_pfn >= r->npages)
		return NULL;
	return &r->pages[pfn - r->base_pfn];
}

static void
list_push(struct page *pg, unsigned order)
{
	pg->prev = NULL;
	pg->next = free_list[order];
	if (pg->next)
		pg->next->prev = pg;
	free_list[order] = pg;
	free_count[order]++;
}

static void
list_remove(struct page *pg, unsigned order)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		free_list[order] = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->next = pg->prev = NULL;
	free_count[order]--;
}

/* Makes `pg` the head of a free block of the given order. */
static void
make_free(struct page *pg, unsigned order)
{
	pg->state = PAGE_FREE;
	pg->order = order;
	pg->use = PAGE_USE_NONE;
	pg->refcount = 0;
	pg->owner = 0;
	list_push(pg, order);
}

void
buddy_reset(void)
{
	for (unsigned k = 0; k < PMM_NORDERS; k++) {
		free_list[k] = NULL;
		free_count[k] = 0;
	}
}

void
buddy_add_range(unsigned region, uint64_t pfn, uint64_t end_pfn)
{
	const struct pmm_region *r = &pmm_regions[region];

	while (pfn < end_pfn) {
		unsigned k = PMM_MAX_ORDER;

		while (k > 0 && ((pfn & ((1ull << k) - 1)) != 0 || pfn + (1ull << k) > end_pfn))
			k--;
		make_free(region_page(r, pfn), k);
		pfn += 1ull << k;
	}
}

/* Splits the block headed by `blk`, taken off the order-`from` list, down to order `to`:
 * each step keeps the lower half and frees the upper half, its buddy. */
static void
split(struct page *blk, unsigned from, unsigned to)
{
	/* LAB 2: halve the block until it has order `to`, freeing each upper half. */
	/* BEGIN LAB 2 */
	while (from > to) {
		from--;
		make_free(blk + (1ull << from), from);
	}
	/* END LAB 2 */
}

int
buddy_alloc(unsigned order, struct page **head)
{
	unsigned k = order;
	struct page *blk;

	while (k <= PMM_MAX_ORDER && free_list[k] == NULL)
		k++;
	if (k > PMM_MAX_ORDER)
		return E_NOMEM;
	blk = free_list[k];
	list_remove(blk, k);
	split(blk, k, order);
	blk->state = PAGE_ALLOCATED;
	blk->order = order;
	*head = blk;
	return 0;
}

/* Merges the block headed by `blk` with its buddy while the buddy is a free block of the
 * same order; returns the head of the merged block and updates *order. */
static struct page *
coalesce(struct page *blk, unsigned *order)
{
	/* LAB 2: merge with the buddy at pfn ^ 2^order while it is free with the same order. */
	/* BEGIN LAB 2 */
	const struct pmm_region *r = &pmm_regions[blk->region];
	uint64_t pfn = buddy_pfn(blk);

	while (*order < PMM_MAX_ORDER) {
		struct page *buddy = region_page(r, pfn ^ (1ull << *order));

		if (buddy == NULL || buddy->state != PAGE_FREE || buddy->order != *order)
			break;
		list_remove(buddy, *order);
		if (buddy < blk) {
			blk->state = PAGE_INSIDE;
			blk = buddy;
		} else {
			buddy->state = PAGE_INSIDE;
		}
		pfn &= ~(1ull << *order);
		(*order)++;
	}
	/* END LAB 2 */
	return blk;
}

void
buddy_free(struct page *head, unsigned order)
{
	head = coalesce(head, &order);
	make_free(head, order);
}

uint64_t
buddy_free_blocks(unsigned order)
{
	return order < PMM_NORDERS ? free_count[order] : 0;
}

/* Checks one free block: a free head of this order, aligned, inside its region, and not
 * next to a free buddy of the same order (coalescing is eager). */
static int
check_block(const struct page *pg, unsigned order)
{
	const struct pmm_region *r = &pmm_regions[pg->region];
	uint64_t pfn = buddy_pfn(pg);
	const struct page *buddy = region_page(r, pfn ^ (1ull << order));

	if (pg->state != PAGE_FREE || pg->order != order) {
		hal_log("buddy: page 0x%llx on order-%u list has state %u order %u\n",
		        (unsigned long long)PFN_TO_PA(pfn), order, pg->state, pg->order);
		return E_RANGE;
	}
	if ((pfn & ((1ull << order) - 1)) != 0 || pfn + (1ull << order) > r->base_pfn + r->npages) {
		hal_log("buddy: free block 0x%llx order %u misaligned or outside its region\n",
		        (unsigned long long)PFN_TO_PA(pfn), order);
		return E_RANGE;
	}
	if (order < PMM_MAX_ORDER && buddy && buddy->state == PAGE_FREE && buddy->order == order) {
		hal_log("buddy: free block 0x%llx order %u has a free buddy\n",
		        (unsigned long long)PFN_TO_PA(pfn), order);
		return E_RANGE;
	}
	return 0;
}

int
buddy_check(void)
{
	for (unsigned k = 0; k < PMM_NORDERS; k++) {
		uint64_t n = 0;
		const struct page *prev = NULL;

		for (const struct page *pg = free_list[k]; pg; prev = pg, pg = pg->next) {
			if (pg->prev != prev || ++n > free_count[k] || check_block(pg, k) < 0) {
				hal_log("buddy: order-%u free list is corrupt after %llu blocks\n",
				        k, (unsigned long long)n);
				return E_RANGE;
			}
		}
		if (n != free_count[k]) {
			hal_log("buddy: order-%u list has %llu blocks, counter says %llu\n", k,
			        (unsigned long long)n, (unsigned long long)free_count[k]);
			return E_RANGE;
		}
	}
	return 0;
}
