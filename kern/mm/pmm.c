/* The physical page allocator's front end: builds the regions of usable RAM from the boot
 * memory map, places each region's struct page array in the region's first pages, and wraps
 * the buddy system (kern/mm/buddy.c) with locking, checks, use tags and statistics. */
#include "abi/error.h"
#include "buddy.h"
#include "failalloc.h"
#include "hal.h"
#include "pmm.h"

#define LOW_MEMORY_END (1ull << 20) /* the first MiB: real-mode IVT, BDA, EBDA, option ROMs */

struct pmm_region pmm_regions[PMM_MAX_REGIONS];
unsigned pmm_nregions;

static struct hal_spinlock pmm_lock = HAL_SPINLOCK_INIT("pmm");
static uint64_t total_pages;   /* available RAM in the map, page-rounded inward */
static uint64_t managed_pages; /* pages in regions, minus their metadata */
static uint64_t used_pages[PAGE_USE_COUNT];
bool (*failalloc_hook)(enum failalloc_kind kind, uint64_t arg, void *caller);
static uint64_t window_end; /* RAM below this is managed (pmm_init_below, pmm_add_above) */

/* Scratch lists for pmm_init, static so that early boot needs no stack for them. */
static struct pmm_range avail[BOOT_MAX_MEM];
static struct pmm_range holes[BOOT_MAX_MEM + PMM_MAX_EXCL + 1];

static hal_irqstate_t
pmm_lock_acquire(void)
{
	return hal_spin_lock_irqsave(&pmm_lock);
}

static void
pmm_lock_release(hal_irqstate_t st)
{
	hal_spin_unlock_irqrestore(&pmm_lock, st);
}

/* A broken invariant found while holding the lock: drop it first so that a host test that
 * catches the panic can keep using the allocator. */
#define PMM_BUG(st, ...)                                                                           \
	do {                                                                                       \
		pmm_lock_release(st);                                                              \
		HAL_PANIC(__VA_ARGS__);                                                            \
	} while (0)

static void
sort_ranges(struct pmm_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct pmm_range x = r[i];
		unsigned j = i;

		for (; j > 0 && r[j - 1].start > x.start; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/* Available entries inside [lo, hi), rounded inward to pages, sorted, with overlaps merged:
 * firmware maps may repeat or overlap entries, and no page may be handed out twice. */
static unsigned
collect_available(const struct boot_mem *map, unsigned n, uint64_t lo, uint64_t hi)
{
	unsigned na = 0, out = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t s = MM_ALIGN_UP(map[i].base, PAGE_SIZE);
		uint64_t e = map[i].base + map[i].len;

		if (map[i].type != BOOT_MEM_AVAILABLE || e < map[i].base)
			continue;
		e = MM_ALIGN_DOWN(e > hi ? hi : e, PAGE_SIZE);
		s = s < lo ? lo : s;
		if (s < e)
			avail[na++] = (struct pmm_range){ s, e };
	}
	sort_ranges(avail, na);
	for (unsigned i = 0; i < na; i++) {
		if (out > 0 && avail[i].start <= avail[out - 1].end) {
			if (avail[i].end > avail[out - 1].end)
				avail[out - 1].end = avail[i].end;
		} else {
			avail[out++] = avail[i];
		}
	}
	return out;
}

/* Everything that must not be handed out, rounded outward to pages and sorted. */
static unsigned
collect_holes(const struct boot_mem *map, unsigned n, const struct pmm_range *excl, unsigned nexcl)
{
	unsigned nh = 0;

	holes[nh++] = (struct pmm_range){ 0, LOW_MEMORY_END };
	for (unsigned i = 0; i < n; i++) {
		if (map[i].type != BOOT_MEM_AVAILABLE && map[i].len > 0)
			holes[nh++] = (struct pmm_range){ map[i].base, map[i].base + map[i].len };
	}
	for (unsigned i = 0; i < nexcl; i++) {
		if (excl[i].end > excl[i].start)
			holes[nh++] = excl[i];
	}
	for (unsigned i = 0; i < nh; i++) {
		holes[i].start = MM_ALIGN_DOWN(holes[i].start, PAGE_SIZE);
		/* An end that wraps means "to the top of the physical address space". */
		if (holes[i].end < holes[i].start || holes[i].end > PHYS_ADDR_END - PAGE_SIZE)
			holes[i].end = PHYS_ADDR_END;
		else
			holes[i].end = MM_ALIGN_UP(holes[i].end, PAGE_SIZE);
	}
	sort_ranges(holes, nh);
	return nh;
}

static void
add_region(uint64_t start, uint64_t end)
{
	if (pmm_nregions == PMM_MAX_REGIONS) {
		hal_log("pmm: more than %u regions, dropping 0x%llx-0x%llx\n", PMM_MAX_REGIONS,
		        (unsigned long long)start, (unsigned long long)end);
		return;
	}
	pmm_regions[pmm_nregions++] = (struct pmm_region){ PFN(start), PFN(end - start), NULL };
}

/* Adds avail[i] minus the (sorted) holes as regions. */
static void
subtract_holes(unsigned na, unsigned nh)
{
	for (unsigned i = 0; i < na; i++) {
		uint64_t cur = avail[i].start;

		for (unsigned h = 0; h < nh && cur < avail[i].end; h++) {
			if (holes[h].end <= cur || holes[h].start >= avail[i].end)
				continue;
			if (holes[h].start > cur)
				add_region(cur, holes[h].start);
			cur = holes[h].end;
		}
		if (cur < avail[i].end)
			add_region(cur, avail[i].end);
	}
}

/* Puts region i's struct page array in its own first pages and frees the rest. */
static void
setup_region(unsigned i)
{
	struct pmm_region *r = &pmm_regions[i];
	uint64_t meta = (r->npages * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;

	r->pages = hal_phys_to_virt(PFN_TO_PA(r->base_pfn));
	for (uint64_t p = 0; p < r->npages; p++) {
		r->pages[p] = (struct page){
			.state = p < meta ? PAGE_RESERVED : PAGE_INSIDE,
			.region = (uint8_t)i,
		};
	}
	if (meta < r->npages) {
		managed_pages += r->npages - meta;
		buddy_add_range(i, r->base_pfn + meta, r->base_pfn + r->npages);
	}
}

/* Adds the usable RAM of [lo, hi) as new regions, above every existing one. */
static int
add_window(const struct boot_mem *map, unsigned n, const struct pmm_range *excl, unsigned nexcl,
           uint64_t lo, uint64_t hi)
{
	unsigned na, nh, first = pmm_nregions;

	if (n > BOOT_MAX_MEM || nexcl > PMM_MAX_EXCL || (n > 0 && map == NULL) ||
	    (nexcl > 0 && excl == NULL) || !MM_IS_ALIGNED(lo | hi, PAGE_SIZE) || lo > hi ||
	    hi > PHYS_ADDR_END)
		return E_INVAL;
	na = collect_available(map, n, lo, hi);
	nh = collect_holes(map, n, excl, nexcl);
	for (unsigned i = 0; i < na; i++)
		total_pages += PFN(avail[i].end - avail[i].start);
	subtract_holes(na, nh);
	for (unsigned i = first; i < pmm_nregions; i++)
		setup_region(i);
	return 0;
}

int
pmm_init(const struct boot_mem *map, unsigned n, const struct pmm_range *excl, unsigned nexcl)
{
	return pmm_init_below(map, n, excl, nexcl, PHYS_ADDR_END);
}

int
pmm_init_below(const struct boot_mem *map, unsigned n, const struct pmm_range *excl, unsigned nexcl,
               uint64_t limit)
{
	int err;

	_Static_assert(PMM_MAX_REGIONS <= 256, "struct page stores the region in 8 bits");
	buddy_reset();
	pmm_nregions = 0;
	total_pages = managed_pages = 0;
	for (unsigned u = 0; u < PAGE_USE_COUNT; u++)
		used_pages[u] = 0;
	window_end = 0;
	err = add_window(map, n, excl, nexcl, 0, limit);
	if (err < 0)
		return err;
	window_end = limit;
	return managed_pages > 0 ? 0 : E_NOMEM;
}

int
pmm_add_above(const struct boot_mem *map, unsigned n, const struct pmm_range *excl, unsigned nexcl)
{
	hal_irqstate_t st;
	int err;

	if (window_end == 0 || window_end == PHYS_ADDR_END)
		return window_end == 0 ? E_INVAL : 0;
	/* The new regions sort after the old ones (pmm_page's binary search needs it), and
	 * nobody can reach their pages before the lock is dropped. */
	st = pmm_lock_acquire();
	err = add_window(map, n, excl, nexcl, window_end, PHYS_ADDR_END);
	if (err == 0)
		window_end = PHYS_ADDR_END;
	pmm_lock_release(st);
	return err;
}

int
pmm_boot_exclusions(const struct bootinfo *bi, struct pmm_range *out, unsigned max)
{
	unsigned n = 0;

	if (max <
	    1 + bi->nmodules + (bi->fb.type != BOOT_FB_NONE) + (bi->info_end > bi->info_start))
		return E_RANGE;
	out[n++] = (struct pmm_range){ bi->kernel_start, bi->kernel_end };
	if (bi->info_end > bi->info_start)
		out[n++] = (struct pmm_range){ bi->info_start, bi->info_end };
	for (unsigned i = 0; i < bi->nmodules && i < BOOT_MAX_MODULES; i++)
		out[n++] = (struct pmm_range){ bi->modules[i].start, bi->modules[i].end };
	if (bi->fb.type != BOOT_FB_NONE)
		out[n++] = (struct pmm_range){
			bi->fb.addr,
			bi->fb.addr + (uint64_t)bi->fb.pitch * bi->fb.height,
		};
	return (int)n;
}

/* The metadata of page `pa`, found by binary search over the sorted regions. */
static struct page *
find_page(physaddr_t pa)
{
	uint64_t pfn = PFN(pa);
	unsigned lo = 0, hi = pmm_nregions;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct pmm_region *r = &pmm_regions[mid];

		if (pfn < r->base_pfn)
			hi = mid;
		else if (pfn - r->base_pfn >= r->npages)
			lo = mid + 1;
		else
			return &r->pages[pfn - r->base_pfn];
	}
	return NULL;
}

const struct page *
pmm_page(physaddr_t pa)
{
	return find_page(pa);
}

int64_t
pmm_alloc_as(unsigned order, enum page_use use, uint32_t owner)
{
	struct page *pg;
	hal_irqstate_t st;
	int err;

	if (order > PMM_MAX_ORDER || use == PAGE_USE_NONE || use >= PAGE_USE_COUNT)
		return E_INVAL;
	if (failalloc_hook != NULL &&
	    failalloc_hook(FAILALLOC_PAGE, order, __builtin_return_address(0)))
		return E_NOMEM;
	st = pmm_lock_acquire();
	err = buddy_alloc(order, &pg);
	if (err == 0) {
		pg->use = (uint8_t)use;
		pg->owner = owner;
		used_pages[use] += 1ull << order;
	}
	pmm_lock_release(st);
	return err < 0 ? err : (int64_t)PFN_TO_PA(buddy_pfn(pg));
}

int64_t
pmm_alloc(unsigned order)
{
	return pmm_alloc_as(order, PAGE_USE_KERNEL, 0);
}

static const char *
state_name(unsigned state)
{
	switch (state) {
	case PAGE_FREE:
		return "free";
	case PAGE_INSIDE:
		return "inside a block";
	case PAGE_RESERVED:
		return "reserved";
	default:
		return "allocated";
	}
}

/* The head page of the allocated block at `pa`; anything else is the caller's bug. */
static struct page *
allocated_head(physaddr_t pa, const char *who, hal_irqstate_t st)
{
	struct page *pg = find_page(pa);

	if (pg == NULL || !MM_IS_ALIGNED(pa, PAGE_SIZE))
		PMM_BUG(st, "%s: 0x%llx is not a managed page", who, (unsigned long long)pa);
	if (pg->state != PAGE_ALLOCATED)
		PMM_BUG(st, "%s: 0x%llx is not an allocated block (page is %s)", who,
		        (unsigned long long)pa, state_name(pg->state));
	return pg;
}

static void
release(struct page *pg)
{
	used_pages[pg->use] -= 1ull << pg->order;
	buddy_free(pg, pg->order);
}

void
pmm_free(physaddr_t pa, unsigned order)
{
	hal_irqstate_t st = pmm_lock_acquire();
	struct page *pg = allocated_head(pa, "pmm_free", st);

	if (pg->order != order)
		PMM_BUG(st, "pmm_free: block 0x%llx has order %u, freed with order %u",
		        (unsigned long long)pa, pg->order, order);
	if (pg->frame != NULL)
		PMM_BUG(st, "pmm_free: block 0x%llx still names a frame object",
		        (unsigned long long)pa);
	release(pg);
	pmm_lock_release(st);
}

void
pmm_set_use(physaddr_t pa, enum page_use use, uint32_t owner)
{
	hal_irqstate_t st = pmm_lock_acquire();
	struct page *pg = allocated_head(pa, "pmm_set_use", st);

	if (use == PAGE_USE_NONE || use >= PAGE_USE_COUNT)
		PMM_BUG(st, "pmm_set_use: bad use %u for 0x%llx", use, (unsigned long long)pa);
	used_pages[pg->use] -= 1ull << pg->order;
	used_pages[use] += 1ull << pg->order;
	pg->use = use;
	pg->owner = owner;
	pmm_lock_release(st);
}

uint64_t *
pmm_pt_groups(physaddr_t pa)
{
	struct page *pg = find_page(pa);

	if (pg == NULL || pg->state != PAGE_ALLOCATED || pg->use != PAGE_USE_PT)
		HAL_PANIC("pmm_pt_groups: 0x%llx is not a page-table page", (unsigned long long)pa);
	return &pg->pt_groups;
}

void
pmm_set_frame(physaddr_t pa, struct cap_object *frame)
{
	hal_irqstate_t st = pmm_lock_acquire();
	struct page *pg = allocated_head(pa, "pmm_set_frame", st);

	if (pg->use != PAGE_USE_USER)
		PMM_BUG(st, "pmm_set_frame: 0x%llx is not a user page (use %u)",
		        (unsigned long long)pa, pg->use);
	pg->frame = frame;
	pmm_lock_release(st);
}

struct cap_object *
pmm_frame(physaddr_t pa)
{
	const struct page *pg = find_page(pa);

	if (pg == NULL || pg->state != PAGE_ALLOCATED || pg->use != PAGE_USE_USER)
		return NULL;
	return pg->frame;
}

void
pmm_get_stats(struct pmm_stats *s)
{
	hal_irqstate_t st = pmm_lock_acquire();

	s->total = total_pages;
	s->managed = managed_pages;
	s->reserved = total_pages - managed_pages;
	s->free = 0;
	for (unsigned k = 0; k < PMM_NORDERS; k++) {
		s->free_blocks[k] = buddy_free_blocks(k);
		s->free += s->free_blocks[k] << k;
	}
	s->allocated = managed_pages - s->free;
	for (unsigned u = 0; u < PAGE_USE_COUNT; u++)
		s->used_pages[u] = used_pages[u];
	s->regions = pmm_nregions;
	pmm_lock_release(st);
}

void
pmm_print_stats(void)
{
	struct pmm_stats s;

	pmm_get_stats(&s);
	hal_log("pages: total %llu reserved %llu managed %llu free %llu allocated %llu"
	        " (%u regions)\n",
	        (unsigned long long)s.total, (unsigned long long)s.reserved,
	        (unsigned long long)s.managed, (unsigned long long)s.free,
	        (unsigned long long)s.allocated, s.regions);
	hal_log("pages: in use: kernel %llu pt %llu heap %llu user %llu dma %llu\n",
	        (unsigned long long)s.used_pages[PAGE_USE_KERNEL],
	        (unsigned long long)s.used_pages[PAGE_USE_PT],
	        (unsigned long long)s.used_pages[PAGE_USE_HEAP],
	        (unsigned long long)s.used_pages[PAGE_USE_USER],
	        (unsigned long long)s.used_pages[PAGE_USE_DMA]);
	hal_log("pages: free blocks by order:");
	for (unsigned k = 0; k < PMM_NORDERS; k++)
		hal_log(" %u:%llu", k, (unsigned long long)s.free_blocks[k]);
	hal_log("\n");
}

/* Walks region i block by block; adds its free and allocated pages to the counters. */
static int
check_region(unsigned i, uint64_t *nfree, uint64_t *nalloc)
{
	const struct pmm_region *r = &pmm_regions[i];
	uint64_t p = 0;

	while (p < r->npages) {
		const struct page *pg = &r->pages[p];
		uint64_t pfn = r->base_pfn + p, size = 1ull << pg->order;

		if (pg->state == PAGE_RESERVED) {
			p++;
			continue;
		}
		if (pg->state == PAGE_INSIDE || pg->order > PMM_MAX_ORDER ||
		    (pfn & (size - 1)) != 0 || p + size > r->npages) {
			hal_log("pmm: page 0x%llx should head a block but is %s, order %u\n",
			        (unsigned long long)PFN_TO_PA(pfn), state_name(pg->state),
			        pg->order);
			return E_RANGE;
		}
		for (uint64_t q = 1; q < size; q++) {
			if (pg[q].state != PAGE_INSIDE) {
				hal_log("pmm: page 0x%llx inside block 0x%llx is %s\n",
				        (unsigned long long)PFN_TO_PA(pfn + q),
				        (unsigned long long)PFN_TO_PA(pfn),
				        state_name(pg[q].state));
				return E_RANGE;
			}
		}
		*(pg->state == PAGE_FREE ? nfree : nalloc) += size;
		p += size;
	}
	return 0;
}

int
pmm_check(void)
{
	hal_irqstate_t st = pmm_lock_acquire();
	uint64_t nfree = 0, nalloc = 0, listed = 0, used = 0;
	int err = buddy_check();

	for (unsigned i = 0; i < pmm_nregions && err == 0; i++)
		err = check_region(i, &nfree, &nalloc);
	for (unsigned k = 0; k < PMM_NORDERS; k++)
		listed += buddy_free_blocks(k) << k;
	for (unsigned u = 0; u < PAGE_USE_COUNT; u++)
		used += used_pages[u];
	if (err == 0 && (nfree != listed || nalloc != used || nfree + nalloc != managed_pages)) {
		hal_log("pmm: counted %llu free %llu allocated pages; lists say %llu free, uses "
		        "say %llu allocated, %llu managed\n",
		        (unsigned long long)nfree, (unsigned long long)nalloc,
		        (unsigned long long)listed, (unsigned long long)used,
		        (unsigned long long)managed_pages);
		err = E_RANGE;
	}
	pmm_lock_release(st);
	return err;
}
