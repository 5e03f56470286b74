/* Page tables, the reclaim half: freeing the tables an unmap leaves empty, removing every
 * mapping of one frame, and tearing address spaces down.  The summaries of present entries
 * (GROUP, pt_impl.h) let these paths visit only the entries that may be present. */
#include "abi/error.h"
#include "hal.h"
#include "mm.h"
#include "pmm.h"
#include "pt.h"
#include "pt_impl.h"

static unsigned next_present(const pte_t *t, uint64_t groups, unsigned i, unsigned last);

static void
prune_flush(struct prune *p)
{
	flush_done(&p->fl);
	p->fl.pages = 0;
	while (p->n > 0)
		pt_table_free(p->pa[--p->n]);
}

static void
prune_at(struct prune *p, uintptr_t va)
{
	pte_t *link[PT_LEVEL_PML4], *t = table(p->fl.root);
	unsigned n = 0;

	for (enum pt_level l = PT_LEVEL_PML4; l > PT_LEVEL_PT; l--) {
		pte_t *e = &t[PTE_INDEX(va, l)];

		if (!(*e & PTE_P) || (is_huge_level(l) && (*e & PTE_PS)))
			break;
		link[n++] = e;
		t = table(*e);
	}
	while (n > 0) {
		physaddr_t child = *link[n - 1] & PTE_ADDR_MASK;

		if (next_present(table(child), *pmm_pt_groups(child), 0, PT_ENTRIES - 1) !=
		    PT_ENTRIES)
			break;
		if (p->n == PRUNE_MAX)
			prune_flush(p);
		if (p->fl.pages == 0) /* the unmap's own flush covers it otherwise */
			flush_page(&p->fl, va);
		*link[--n] = 0;
		p->pa[p->n++] = child;
	}
}

/* Prunes every 2 MiB region [va, last] touches, then flushes and frees.  The kernel's tables
 * are shared by every root: only a user range is pruned. */
void
pt_prune_range(struct prune *p, uint64_t va, uint64_t last)
{
	uint64_t first = va & ~(uint64_t)(HUGE_SIZE - 1);

	for (uint64_t v = first; va < VA_USER_END && v <= last && v >= first; v += HUGE_SIZE)
		prune_at(p, v);
	prune_flush(p);
}

void
pt_prune_user(physaddr_t root, uint64_t va, uint64_t last)
{
	struct prune p = { .fl = { .root = root } };

	pt_prune_range(&p, va, last);
}

/* The index of the first present entry in t[i .. last] that the summary `groups` marks, or
 * PT_ENTRIES: only the groups whose bit is set are read. */
static unsigned
next_present(const pte_t *t, uint64_t groups, unsigned i, unsigned last)
{
	while (i <= last) {
		uint64_t left = groups & (~0ull << (i / GROUP));

		if (left == 0)
			return PT_ENTRIES;
		if ((unsigned)__builtin_ctzll(left) != i / GROUP)
			i = (unsigned)__builtin_ctzll(left) * GROUP;
		for (unsigned end = (i / GROUP + 1) * GROUP; i < end && i <= last; i++)
			if (t[i] & PTE_P)
				return i;
	}
	return PT_ENTRIES;
}

/* Frees a table page of `level` and every table below it, first handing each page it maps
 * to `put` (when not NULL) with the level of the entry that maps it. */
static void
free_tables(physaddr_t pa, enum pt_level level, pt_put_fn put, void *arg)
{
	pte_t *t = table(pa);
	uint64_t groups = *pmm_pt_groups(pa);
	unsigned last = PT_ENTRIES - 1;

	for (unsigned i = next_present(t, groups, 0, last); i < PT_ENTRIES;
	     i = next_present(t, groups, i + 1, last)) {
		if (level > PT_LEVEL_PT && !(t[i] & PTE_PS))
			free_tables(t[i] & PTE_ADDR_MASK, level - 1, put, arg);
		else if (put != NULL)
			put(t[i], level, arg);
	}
	pt_table_free(pa);
}

int
pt_destroy_each(physaddr_t root, uintptr_t from_va, uintptr_t last_va, pt_put_fn put, void *arg)
{
	pte_t *pml4 = table(root);
	uint64_t groups;
	unsigned i, last;

	if (!is_canonical(from_va) || !is_canonical(last_va) || from_va > last_va)
		return E_RANGE;
	if (!MM_IS_ALIGNED(from_va, PT_LEVEL_SIZE(PT_LEVEL_PML4)) ||
	    !MM_IS_ALIGNED((uint64_t)last_va + 1, PT_LEVEL_SIZE(PT_LEVEL_PML4)))
		return E_ALIGN;
	last = PTE_INDEX(last_va, PT_LEVEL_PML4);
	groups = *pmm_pt_groups(root);
	for (i = next_present(pml4, groups, PTE_INDEX(from_va, PT_LEVEL_PML4), last); i <= last;
	     i = next_present(pml4, groups, i + 1, last)) {
		pte_t e = pml4[i];

		/* Unhook and flush before freeing, so no paging-structure cache still points
		 * at a table page (or `put` frees a frame) that is being reused. */
		pml4[i] = 0;
		hal_tlb_flush_all();
		hal_tlb_shootdown(root, NULL, 0);
		free_tables(e & PTE_ADDR_MASK, PT_LEVEL_PDPT, put, arg);
	}
	return 0;
}

struct unmap_frame {
	struct flush fl;
	physaddr_t pa;
	uint64_t removed;
};

/* pt_unmap_frame below the table at tpa (of `level`, mapping from va `base`). */
static void
unmap_frame_in(physaddr_t tpa, enum pt_level level, uintptr_t base, struct unmap_frame *u)
{
	pte_t *t = table(tpa);
	uint64_t groups = *pmm_pt_groups(tpa);
	unsigned last =
	    level == PT_LEVEL_PML4 ? PTE_INDEX(VA_USER_END - 1, PT_LEVEL_PML4) : PT_ENTRIES - 1;

	for (unsigned i = next_present(t, groups, 0, last); i <= last;
	     i = next_present(t, groups, i + 1, last)) {
		uintptr_t va = base + (uintptr_t)i * PT_LEVEL_SIZE(level);

		if (level > PT_LEVEL_PT && !(t[i] & PTE_PS))
			unmap_frame_in(t[i] & PTE_ADDR_MASK, level - 1, va, u);
		else if (level == PT_LEVEL_PT && (t[i] & PTE_ADDR_MASK) == u->pa) {
			t[i] = 0;
			flush_page(&u->fl, va);
			u->removed++;
		}
	}
}

uint64_t
pt_unmap_frame(physaddr_t root, physaddr_t pa)
{
	struct unmap_frame u = { .fl = { .root = root }, .pa = pa & PTE_ADDR_MASK };

	unmap_frame_in(root, PT_LEVEL_PML4, 0, &u);
	flush_done(&u.fl);
	return u.removed;
}

int
pt_destroy(physaddr_t root, uintptr_t from_va, uintptr_t last_va)
{
	return pt_destroy_each(root, from_va, last_va, NULL, NULL);
}
