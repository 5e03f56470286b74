/* Page tables (kern/mm/pt.c): building, changing and tearing down x86-64 4-level address
 * spaces through a portable interface.  Callers serialise operations on one address space;
 * tables are reached through hal_phys_to_virt and TLBs flushed through the HAL. */
#ifndef EXOLAB_PT_H
#define EXOLAB_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "pte.h"

/* Mapping flags.  Every mapping is present and readable; without PT_X it is no-execute. */
#define PT_W          0x001 /* writable */
#define PT_X          0x002 /* executable */
#define PT_U          0x004 /* accessible from user mode */
#define PT_G          0x008 /* global: survives address-space switches (kernel mappings) */
#define PT_CACHE_WB   0x000 /* write-back: ordinary memory */
#define PT_CACHE_WT   0x010 /* write-through */
#define PT_CACHE_UC   0x020 /* uncacheable: device registers */
#define PT_CACHE_WC   0x030 /* write-combining: framebuffers (IA32_PAT entry 4, see pte.h) */
#define PT_CACHE_MASK 0x030
#define PT_HUGE       0x100 /* map: 2 MiB pages where aligned; lookup: a 2 MiB/1 GiB page */
#define PT_REPLACE    0x200 /* pt_map: replace existing mappings instead of failing with E_EXIST */
#define PT_PERM_MASK  (PT_W | PT_X | PT_U | PT_G | PT_CACHE_MASK)

/* What pt_lookup found: the physical address of the byte at `va`, the mapping's flags
 * (PT_PERM_MASK bits, plus PT_HUGE) and the size of the page that maps it. */
struct pt_mapping {
	physaddr_t pa;
	unsigned flags;
	uint64_t size;
};

/* A new, empty PML4: its physical address, or E_NOMEM. */
int64_t pt_root_alloc(void);
/* Frees the PML4 page itself; pt_destroy the halves this root owns first. */
void pt_root_free(physaddr_t root);

/* Finds the entry for `va` in the table of `level` (PT_LEVEL_PT ... PT_LEVEL_PML4, pte.h),
 * creating missing tables when `create`.  Returns 0 and sets *slot; E_NOENT if a table is
 * missing and !create; E_NOMEM if a table cannot be allocated; E_HUGE if a larger page maps
 * `va` (*slot is its entry). */
int pt_walk(physaddr_t root, uintptr_t va, enum pt_level level, bool create, pte_t **slot);

/* Maps [va, va + size) to [pa, pa + size).  All-or-nothing: on any error no entry that maps
 * a page has changed, though page tables allocated before an E_NOMEM stay (empty, reclaimed
 * by pt_destroy).  Errors: E_ALIGN (va, pa or size not 4 KiB aligned), E_INVAL (zero size,
 * unknown flag), E_RANGE (non-canonical, wrapping, or beyond physical addresses), E_EXIST
 * (something is mapped there and no PT_REPLACE), E_HUGE (PT_REPLACE would split a huge
 * page), E_NOMEM. */
int pt_map(physaddr_t root, uintptr_t va, physaddr_t pa, size_t size, unsigned flags);

/* Removes every mapping in [va, va + size); holes are skipped.  The frames are not freed and
 * emptied tables stay until pt_destroy.  E_HUGE (nothing changed) if a huge page lies only
 * partly inside the range; E_ALIGN, E_INVAL, E_RANGE as pt_map. */
int pt_unmap(physaddr_t root, uintptr_t va, size_t size);

/* Sets the PT_PERM_MASK flags of every page in [va, va + size), which must all be mapped
 * (E_NOENT otherwise); E_HUGE, E_ALIGN, E_INVAL, E_RANGE as pt_unmap.  Nothing changes on
 * error. */
int pt_protect(physaddr_t root, uintptr_t va, size_t size, unsigned flags);

/* Translates `va` as the tables say (not checking access rights); E_NOENT if unmapped. */
int pt_lookup(physaddr_t root, uintptr_t va, struct pt_mapping *m);

/* Frees every table page under the PML4 entries that cover [from_va, last_va] and clears
 * those entries; the mapped frames are not freed.  from_va and last_va + 1 must be multiples
 * of 512 GiB (E_ALIGN), both canonical with from_va <= last_va (E_RANGE).  Use
 * [0, VA_USER_END - 1] for a user half, so a kernel half shared by every root survives. */
int pt_destroy(physaddr_t root, uintptr_t from_va, uintptr_t last_va);

/* A cursor over the 4 KiB leaf entries of one address space (pt_cursor_leaf): it keeps the
 * last leaf table it walked to, so consecutive pages in one 2 MiB region cost one walk.
 * Start it with `struct pt_cursor c = { .root = root };`.  Tables are freed only by
 * pt_destroy, which must not run while a cursor over the space is in use. */
struct pt_cursor {
	physaddr_t root;
	uintptr_t region; /* va >> 21 of the region `pt` covers */
	pte_t *pt;        /* the cached leaf table, NULL: none yet */
};

/* The 4 KiB leaf entry of `va` (present or not), creating missing tables when `create`:
 * 0 and *e; E_RANGE (non-canonical), E_NOENT (a table is missing and !create), E_NOMEM,
 * E_HUGE (a huge page maps va). */
int pt_cursor_leaf(struct pt_cursor *c, uintptr_t va, bool create, pte_t **e);

/* Points the 4 KiB leaf *e of `va` (from pt_cursor_leaf) at page `pa` with the PT_PERM_MASK
 * `flags` and the software bits `soft` (PTE_SOFT_MASK); flushes va from every TLB when the
 * old entry was present.  Returns the old entry. */
pte_t pt_leaf_set(physaddr_t root, pte_t *e, uintptr_t va, physaddr_t pa, unsigned flags,
                  pte_t soft);

/* Sets the PT_PERM_MASK `flags` of the present 4 KiB leaf *e of `va`, keeping its page, A/D
 * and software bits, and flushes va from every TLB. */
void pt_leaf_protect(physaddr_t root, pte_t *e, uintptr_t va, unsigned flags);

/* Called by pt_destroy_each for every present leaf entry: `e` maps a page of `level`'s size
 * (PT_LEVEL_PT: 4 KiB, PT_LEVEL_PD: 2 MiB, PT_LEVEL_PDPT: 1 GiB). */
typedef void (*pt_put_fn)(pte_t e, enum pt_level level, void *arg);

/* pt_destroy that also hands every page mapped in the range to `put` (if not NULL), in
 * one walk: an env's teardown drops its frames this way.  A leaf is handed over after its
 * PML4 entry is unhooked and the TLBs are flushed; its table page is freed after. */
int pt_destroy_each(physaddr_t root, uintptr_t from_va, uintptr_t last_va, pt_put_fn put,
                    void *arg);

/* Accounting of table pages: a table is charged to its parent table's owner (struct page's
 * owner, set on a root with pmm_set_use; 0: nobody).  The hook takes (pages 1: E_NOMEM or
 * another error refuses the table) or gives back (pages -1, always 0) one page of `owner`'s
 * account.  pt_unmap frees the tables it leaves empty (user half only). */
typedef int (*pt_charge_fn)(uint32_t owner, int pages);
void pt_set_charge_hook(pt_charge_fn fn);

/* Removes every 4 KiB leaf of the user half of root that maps the page at pa (a revoked
 * frame, kern/env/vm.c), flushing this CPU's TLB and shooting the others down; returns how
 * many it removed.  The caller drops their holds after the call (the flushes are done). */
uint64_t pt_unmap_frame(physaddr_t root, physaddr_t pa);

#endif
