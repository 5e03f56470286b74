/* Internal to the page-table code of kern/mm: what pt.c (walking, mapping, changing) and
 * pt_reclaim.c (freeing the tables an unmap empties, tearing address spaces down) share.
 * Nothing outside kern/mm/pt*.c includes it. */
#ifndef EXOLAB_MM_PT_IMPL_H
#define EXOLAB_MM_PT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "mm.h"
#include "pt.h"

/* Beyond this many pages one full flush is cheaper than one INVLPG per page. */
#define FLUSH_PAGE_LIMIT 32

/* The pages of one operation on one address space: flushed here at once, and batched for
 * the other CPUs that have the space loaded (one shootdown per operation). */
struct flush {
	physaddr_t root;
	unsigned pages;
	uintptr_t va[FLUSH_PAGE_LIMIT];
};

static inline void
flush_page(struct flush *fl, uintptr_t va)
{
	if (fl->pages < FLUSH_PAGE_LIMIT) {
		hal_tlb_flush_page(va);
		fl->va[fl->pages] = va;
	}
	fl->pages++;
}

static inline void
flush_done(const struct flush *fl)
{
	if (fl->pages > FLUSH_PAGE_LIMIT)
		hal_tlb_flush_all();
	if (fl->pages > 0)
		hal_tlb_shootdown(fl->root, fl->va, fl->pages > FLUSH_PAGE_LIMIT ? 0 : fl->pages);
}

static inline pte_t *
table(pte_t entry_or_pa)
{
	return hal_phys_to_virt(entry_or_pa & PTE_ADDR_MASK);
}

static inline bool
is_canonical(uint64_t va)
{
	return va < VA_USER_END || va >= VA_KERNEL_START;
}

/* True when an entry of `level` that maps a page maps a huge one: a PDE (2 MiB) or a PDPTE
 * (1 GiB): only entries of those levels have a PS bit (SDM Vol. 3A 4.5). */
static inline bool
is_huge_level(enum pt_level level)
{
	return level == PT_LEVEL_PD || level == PT_LEVEL_PDPT;
}

/* Each table page's struct page keeps a summary of its present entries (pmm_pt_groups):
 * bit g is set whenever one of the entries 8g .. 8g+7 is present.  Every path of pt.c that makes
 * an entry present calls note_present first; a bit is never cleared while the table lives (a stale
 * bit costs tear-down one look at eight entries), so tear-down (pt_reclaim.c) visits only marked
 * groups.  Entries must become present only through pt.c (kvm_root_new's copy of the kernel half
 * is never torn down through the summary of the new root: only the user half is). */
#define GROUP 8

/* After an unmap: the tables on a path that have no present entry left are unlinked,
 * deepest first (never the root), and freed once the flush is done (INVLPG also drops the
 * paging-structure caches, SDM Vol. 3A 4.10.4.1; the shootdown does the same on the other
 * CPUs).  Tables left allocated while empty would let an env spend memory on tables that
 * map nothing. */
#define PRUNE_MAX 48

struct prune {
	struct flush fl;
	unsigned n;
	physaddr_t pa[PRUNE_MAX];
};

/* A table page (not a root) goes back, and its charge with it (pt.c). */
void pt_table_free(physaddr_t pa);
/* Prunes every 2 MiB region [va, last] touches, then flushes and frees (pt_reclaim.c). */
void pt_prune_range(struct prune *p, uint64_t va, uint64_t last);
/* The same with a flush of its own: for the tables a failed map made. */
void pt_prune_user(physaddr_t root, uint64_t va, uint64_t last);

#endif
