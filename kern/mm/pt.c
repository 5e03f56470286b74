/* Page tables: walking, mapping, unmapping, protecting and tearing down x86-64 4-level
 * address spaces (format in pte.h).  Portable: tables are reached through hal_phys_to_virt,
 * table pages come from the buddy allocator, TLBs are flushed through the HAL. */
#include "abi/error.h"
#include "hal.h"
#include "mm.h"
#include "pmm.h"
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

static void
flush_page(struct flush *fl, uintptr_t va)
{
	if (fl->pages < FLUSH_PAGE_LIMIT) {
		hal_tlb_flush_page(va);
		fl->va[fl->pages] = va;
	}
	fl->pages++;
}

static void
flush_done(const struct flush *fl)
{
	if (fl->pages > FLUSH_PAGE_LIMIT)
		hal_tlb_flush_all();
	if (fl->pages > 0)
		hal_tlb_shootdown(fl->root, fl->va, fl->pages > FLUSH_PAGE_LIMIT ? 0 : fl->pages);
}

static pte_t *
table(pte_t entry_or_pa)
{
	return hal_phys_to_virt(entry_or_pa & PTE_ADDR_MASK);
}

static bool
is_canonical(uint64_t va)
{
	return va < VA_USER_END || va >= VA_KERNEL_START;
}

/* Each table page's struct page keeps a summary of its present entries (pmm_pt_groups):
 * bit g is set whenever one of the entries 8g .. 8g+7 is present.  Every path here that makes an
 * entry present calls note_present first; a bit is never cleared while the table lives (a stale bit
 * costs tear-down one look at eight entries), so tear-down visits only marked groups. Entries must
 * become present only through this file (kvm_root_new's copy of the kernel half is never torn down
 * through the summary of the new root: only the user half is). */
#define GROUP 8

static uint64_t *
groups_of(const pte_t *e)
{
	return pmm_pt_groups(
	    hal_virt_to_phys((const void *)((uintptr_t)e & ~(uintptr_t)(PAGE_SIZE - 1))));
}

/* Called before *e (not present) becomes present.  When another entry of its group is
 * present the group's bit is set already, so a run of new entries pays the look-up of the
 * table page's metadata once a group. */
static void
note_present(pte_t *e)
{
	unsigned i = (unsigned)(((uintptr_t)e & (PAGE_SIZE - 1)) / sizeof(pte_t));
	const pte_t *g = e - i % GROUP;

	if ((g[0] | g[1] | g[2] | g[3] | g[4] | g[5] | g[6] | g[7]) & PTE_P)
		return;
	*groups_of(e) |= 1ull << (i / GROUP);
}

static unsigned next_present(const pte_t *t, uint64_t groups, unsigned i, unsigned last);
static void flush_one(physaddr_t root, uintptr_t va);
static void prune_user(physaddr_t root, uint64_t va, uint64_t last);

static pt_charge_fn charge_hook;

void
pt_set_charge_hook(pt_charge_fn fn)
{
	charge_hook = fn;
}

/* The account a table page is charged to: its struct page's owner (0: nobody, the kernel's
 * tables and every table of a root nobody tagged).  A table inherits its parent's. */
static uint32_t
table_owner(physaddr_t pa)
{
	const struct page *pg = pmm_page(pa);

	return pg != NULL ? pg->owner : 0;
}

/* A zeroed table page, to be linked from the entry `link` (NULL for a root): link's group
 * is noted present here, before the caller's store, so no caller can forget it (a bit set
 * a little early, or for a store that then fails, is only a stale bit).  The page is charged
 * to the account of the table holding `link` first (E_NOMEM when it is spent). */
static int64_t
table_alloc(pte_t *link)
{
	uint32_t owner = link != NULL ? table_owner(hal_virt_to_phys((
	                                    void *)((uintptr_t)link & ~(uintptr_t)(PAGE_SIZE - 1))))
	                              : 0;
	bool charged = owner != 0 && charge_hook != NULL;
	int64_t pa;
	pte_t *t;

	if (charged && (pa = charge_hook(owner, 1)) < 0)
		return pa;
	if ((pa = pmm_alloc_as(0, PAGE_USE_PT, owner)) < 0) {
		if (charged)
			charge_hook(owner, -1);
		return pa;
	}
	if (link != NULL)
		note_present(link);
	t = table((physaddr_t)pa);
	/* 32 entries a store run: one at a time cost ~2,000 instructions a table, eight ~700
	 * (a quarter of them loop control), and a fork builds a dozen tables. */
	for (pte_t *p = t; p < t + PT_ENTRIES; p += 32) {
		p[0] = p[1] = p[2] = p[3] = p[4] = p[5] = p[6] = p[7] = 0;
		p[8] = p[9] = p[10] = p[11] = p[12] = p[13] = p[14] = p[15] = 0;
		p[16] = p[17] = p[18] = p[19] = p[20] = p[21] = p[22] = p[23] = 0;
		p[24] = p[25] = p[26] = p[27] = p[28] = p[29] = p[30] = p[31] = 0;
	}
	return pa;
}

/* A table page (not a root) goes back, and its charge with it. */
static void
table_free(physaddr_t pa)
{
	uint32_t owner = table_owner(pa);

	pmm_free(pa, 0);
	if (owner != 0 && charge_hook != NULL)
		charge_hook(owner, -1);
}

int64_t
pt_root_alloc(void)
{
	return table_alloc(NULL);
}

void
pt_root_free(physaddr_t root)
{
	pmm_free(root, 0);
}

/* True when an entry of `level` that maps a page maps a huge one: a PDE (2 MiB) or a PDPTE
 * (1 GiB): only entries of those levels have a PS bit (SDM Vol. 3A 4.5). */
static bool
is_huge_level(enum pt_level level)
{
	return level == PT_LEVEL_PD || level == PT_LEVEL_PDPT;
}

/* The entry bits of a leaf at `level` (PT: 4 KiB, PD: 2 MiB, PDPT: 1 GiB) with these flags. */
static pte_t
leaf_bits(unsigned flags, enum pt_level level)
{
	pte_t e = PTE_P | (is_huge_level(level) ? PTE_PS : 0);

	if (flags & PT_W)
		e |= PTE_W;
	if (flags & PT_U)
		e |= PTE_U;
	if (flags & PT_G)
		e |= PTE_G;
	if (!(flags & PT_X))
		e |= PTE_NX;
	if ((flags & PT_CACHE_MASK) == PT_CACHE_WT)
		e |= PTE_PWT;
	else if ((flags & PT_CACHE_MASK) == PT_CACHE_UC)
		e |= PTE_PCD | PTE_PWT;
	else if ((flags & PT_CACHE_MASK) == PT_CACHE_WC)
		e |= is_huge_level(level) ? PTE_PAT_LARGE : PTE_PAT;
	return e;
}

static unsigned
leaf_flags(pte_t e, enum pt_level level)
{
	/* PAT index -> cache flag, for the IA32_PAT value in pte.h (UC- reads as UC). */
	static const unsigned cache[8] = {
		PT_CACHE_WB, PT_CACHE_WT, PT_CACHE_UC, PT_CACHE_UC,
		PT_CACHE_WC, PT_CACHE_WT, PT_CACHE_UC, PT_CACHE_UC,
	};
	unsigned pat = (e & (is_huge_level(level) ? PTE_PAT_LARGE : PTE_PAT)) ? 4 : 0;
	unsigned f = cache[pat | ((e & PTE_PCD) ? 2 : 0) | ((e & PTE_PWT) ? 1 : 0)];

	f |= (e & PTE_W) ? PT_W : 0;
	f |= (e & PTE_U) ? PT_U : 0;
	f |= (e & PTE_G) ? PT_G : 0;
	f |= (e & PTE_NX) ? 0 : PT_X;
	f |= is_huge_level(level) ? PT_HUGE : 0;
	return f;
}

static uint64_t
leaf_addr_mask(enum pt_level level)
{
	return level == PT_LEVEL_PDPT ? PTE_ADDR_1G
	       : level == PT_LEVEL_PD ? PTE_ADDR_2M
	                              : PTE_ADDR_MASK;
}

int
pt_walk(physaddr_t root, uintptr_t va, enum pt_level level, bool create, pte_t **slot)
{
	/* LAB 2: descend from the PML4 to `level`, allocating missing tables if `create`. */
	/* BEGIN LAB 2 */
	pte_t *t = table(root);

	for (enum pt_level l = PT_LEVEL_PML4; l > level; l--) {
		pte_t *e = &t[PTE_INDEX(va, l)];

		if (!(*e & PTE_P)) {
			int64_t pa;

			if (!create)
				return E_NOENT;
			pa = table_alloc(e);
			if (pa < 0)
				return (int)pa;
			/* A table entry grants everything and the leaf decides, except that
			 * U is left out in the upper half: no user path into kernel tables. */
			*e = (physaddr_t)pa | PTE_P | PTE_W | (va < VA_USER_END ? PTE_U : 0);
		} else if (is_huge_level(l) && (*e & PTE_PS)) {
			*slot = e;
			return E_HUGE;
		}
		t = table(*e);
	}
	*slot = &t[PTE_INDEX(va, level)];
	return 0;
	/* END LAB 2 */
	/* STUB LAB 2: return E_NOSYS; */
}

/* Follows `va` down to the first entry that is not present or that maps a page. */
static pte_t *
descend(physaddr_t root, uintptr_t va, enum pt_level *level)
{
	pte_t *t = table(root);

	for (enum pt_level l = PT_LEVEL_PML4;; l--) {
		pte_t *e = &t[PTE_INDEX(va, l)];

		if (l == PT_LEVEL_PT || !(*e & PTE_P) || (is_huge_level(l) && (*e & PTE_PS))) {
			*level = l;
			return e;
		}
		t = table(*e);
	}
}

/* [va, va + size) must be a non-empty, page-aligned range inside one canonical half. */
static int
check_range(uintptr_t va, size_t size)
{
	uint64_t last = (uint64_t)va + size - 1;

	if (size == 0)
		return E_INVAL;
	if (!MM_IS_ALIGNED(va, PAGE_SIZE) || !MM_IS_ALIGNED(size, PAGE_SIZE))
		return E_ALIGN;
	if (last < va || !is_canonical(va) || !is_canonical(last) ||
	    (va < VA_USER_END) != (last < VA_USER_END))
		return E_RANGE;
	return 0;
}

/* The page size pt_map uses at va: 2 MiB when the caller asks, va and pa are 2 MiB aligned,
 * 2 MiB remain, and no page table already holds 4 KiB mappings there (they are kept).
 * Every pass of pt_map decides the same, as no pass adds a page table where 2 MiB is used. */
static uint64_t
step_size(physaddr_t root, uintptr_t va, physaddr_t pa, uint64_t left, unsigned flags)
{
	pte_t *e;

	if (!(flags & PT_HUGE) || left < HUGE_SIZE || !MM_IS_ALIGNED(va | pa, HUGE_SIZE))
		return PAGE_SIZE;
	if (pt_walk(root, va, PT_LEVEL_PD, false, &e) == 0 && (*e & PTE_P) && !(*e & PTE_PS))
		return PAGE_SIZE;
	return HUGE_SIZE;
}

/* The level whose entry maps a page of step_size()'s answer. */
static enum pt_level
step_level(uint64_t step)
{
	return step == HUGE_SIZE ? PT_LEVEL_PD : PT_LEVEL_PT;
}

/* Pass 1: E_EXIST or E_HUGE if the mapping conflicts with what is there. */
static int
map_check(physaddr_t root, uintptr_t va, physaddr_t pa, size_t size, unsigned flags)
{
	uint64_t step;

	for (uint64_t off = 0; off < size; off += step) {
		pte_t *e;
		int err;

		step = step_size(root, va + off, pa + off, size - off, flags);
		err = pt_walk(root, va + off, step_level(step), false, &e);
		if (err == E_HUGE)
			return (flags & PT_REPLACE) ? E_HUGE : E_EXIST;
		if (err == 0 && (*e & PTE_P) && !(flags & PT_REPLACE))
			return E_EXIST;
	}
	return 0;
}

/* Pass 2: creates every missing table; E_NOMEM leaves the leaves untouched. */
static int
map_prepare(physaddr_t root, uintptr_t va, physaddr_t pa, size_t size, unsigned flags)
{
	uint64_t step;

	for (uint64_t off = 0; off < size; off += step) {
		pte_t *e;
		int err;

		step = step_size(root, va + off, pa + off, size - off, flags);
		err = pt_walk(root, va + off, step_level(step), true, &e);
		if (err < 0) {
			/* No leaf is mapped yet: the tables made so far would be left empty. */
			prune_user(root, va, va + off + step - 1);
			return err;
		}
	}
	return 0;
}

/* Pass 3: writes the leaves; cannot fail. */
static void
map_commit(physaddr_t root, uintptr_t va, physaddr_t pa, size_t size, unsigned flags)
{
	struct flush fl = { .root = root };
	uint64_t step;

	for (uint64_t off = 0; off < size; off += step) {
		enum pt_level level;
		pte_t *e;

		step = step_size(root, va + off, pa + off, size - off, flags);
		level = step_level(step);
		if (pt_walk(root, va + off, level, false, &e) != 0)
			HAL_PANIC("pt_map: table for 0x%llx vanished",
			          (unsigned long long)(va + off));
		if (!(*e & PTE_P))
			note_present(e);
		/* LAB 2: point the entry at the frame; flush the TLB if it replaced a mapping. */
		/* BEGIN LAB 2 */
		pte_t old = *e;

		*e = (pa + off) | leaf_bits(flags, level);
		if (old & PTE_P)
			flush_page(&fl, va + off);
		/* END LAB 2 */
	}
	flush_done(&fl);
}

int
pt_map(physaddr_t root, uintptr_t va, physaddr_t pa, size_t size, unsigned flags)
{
	int err;

	if (flags & ~(PT_PERM_MASK | PT_HUGE | PT_REPLACE))
		return E_INVAL;
	err = check_range(va, size);
	if (err < 0)
		return err;
	if (!MM_IS_ALIGNED(pa, PAGE_SIZE))
		return E_ALIGN;
	if (pa >= PHYS_ADDR_END || size > PHYS_ADDR_END - pa)
		return E_RANGE;
	err = map_check(root, va, pa, size, flags);
	if (err == 0)
		err = map_prepare(root, va, pa, size, flags);
	if (err == 0)
		map_commit(root, va, pa, size, flags);
	return err;
}

typedef void (*leaf_fn)(pte_t *e, enum pt_level level, uintptr_t va, void *arg);

/* Calls visit (when not NULL) on every present leaf in [va, last], skipping holes a whole
 * table at a time.  E_HUGE if a huge page lies only partly in the range; E_NOENT if
 * `need_mapped` and part of the range is unmapped.  Call it once without `visit` to check,
 * then again to change: an operation then either fails untouched or completes. */
static int
for_each_leaf(physaddr_t root, uint64_t va, uint64_t last, bool need_mapped, leaf_fn visit,
              void *arg)
{
	for (;;) {
		enum pt_level level;
		pte_t *e = descend(root, va, &level);
		uint64_t size = PT_LEVEL_SIZE(level), base = va & ~(size - 1);

		if (!(*e & PTE_P)) {
			if (need_mapped)
				return E_NOENT;
		} else if (base != va || last - base < size - 1) {
			return E_HUGE;
		} else if (visit) {
			visit(e, level, va, arg);
		}
		if (last - base <= size - 1)
			return 0;
		va = base + size;
	}
}

static void
unmap_leaf(pte_t *e, enum pt_level level, uintptr_t va, void *arg)
{
	/* LAB 2: remove the mapping and make sure no TLB keeps it. */
	/* BEGIN LAB 2 */
	*e = 0;
	flush_page(arg, va);
	/* END LAB 2 */
}

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

static void
prune_flush(struct prune *p)
{
	flush_done(&p->fl);
	p->fl.pages = 0;
	while (p->n > 0)
		table_free(p->pa[--p->n]);
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
static void
prune_range(struct prune *p, uint64_t va, uint64_t last)
{
	uint64_t first = va & ~(uint64_t)(HUGE_SIZE - 1);

	for (uint64_t v = first; va < VA_USER_END && v <= last && v >= first; v += HUGE_SIZE)
		prune_at(p, v);
	prune_flush(p);
}

static void
prune_user(physaddr_t root, uint64_t va, uint64_t last)
{
	struct prune p = { .fl = { .root = root } };

	prune_range(&p, va, last);
}

int
pt_unmap(physaddr_t root, uintptr_t va, size_t size)
{
	struct prune p = { .fl = { .root = root } };
	int err = check_range(va, size);
	uint64_t last = (uint64_t)va + size - 1;

	if (err == 0)
		err = for_each_leaf(root, va, last, false, NULL, NULL);
	if (err < 0)
		return err;
	for_each_leaf(root, va, last, false, unmap_leaf, &p.fl);
	prune_range(&p, va, last);
	return 0;
}

struct protect_arg {
	struct flush fl;
	unsigned flags;
};

/* Keeps the frame, the A/D bits and the software bits; replaces permissions and cache type. */
static void
protect_leaf(pte_t *e, enum pt_level level, uintptr_t va, void *arg)
{
	struct protect_arg *pa = arg;
	pte_t keep = leaf_addr_mask(level) | PTE_A | PTE_D | PTE_SOFT_MASK;

	*e = (*e & keep) | leaf_bits(pa->flags, level);
	flush_page(&pa->fl, va);
}

int
pt_protect(physaddr_t root, uintptr_t va, size_t size, unsigned flags)
{
	struct protect_arg arg = { { .root = root }, flags };
	int err = check_range(va, size);

	if (err == 0 && (flags & ~PT_PERM_MASK))
		err = E_INVAL;
	if (err == 0)
		err = for_each_leaf(root, va, va + size - 1, true, NULL, NULL);
	if (err < 0)
		return err;
	for_each_leaf(root, va, va + size - 1, true, protect_leaf, &arg);
	flush_done(&arg.fl);
	return 0;
}

int
pt_lookup(physaddr_t root, uintptr_t va, struct pt_mapping *m)
{
	enum pt_level level;
	pte_t *e;

	if (!is_canonical(va))
		return E_RANGE;
	e = descend(root, va, &level);
	if (!(*e & PTE_P))
		return E_NOENT;
	m->size = PT_LEVEL_SIZE(level);
	m->pa = (*e & leaf_addr_mask(level)) | (va & (m->size - 1));
	m->flags = leaf_flags(*e, level);
	return 0;
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
	table_free(pa);
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

/* Single 4 KiB leaves, for the paths that change one page at a time (a user map or protect,
 * fork's batch): one walk instead of pt_map's and pt_protect's check-then-act passes, and a
 * cursor that keeps the last leaf table, so a run of pages in one 2 MiB region walks once. */

int
pt_cursor_leaf(struct pt_cursor *c, uintptr_t va, bool create, pte_t **e)
{
	uintptr_t region = va >> PT_LEVEL_SHIFT(PT_LEVEL_PD);
	int err;

	if (!is_canonical(va))
		return E_RANGE;
	if (c->pt == NULL || c->region != region) {
		pte_t *slot;

		/* A cached table stays valid while no pt_unmap or pt_destroy runs (both free
		 * tables): a cursor lives within one operation that does neither. */
		if ((err = pt_walk(c->root, va, PT_LEVEL_PT, create, &slot)) < 0) {
			if (create) /* the tables a refused walk made would stay empty */
				pt_unmap(c->root, va & ~(uintptr_t)(PAGE_SIZE - 1), PAGE_SIZE);
			return err;
		}
		c->pt = slot - PTE_INDEX(va, PT_LEVEL_PT);
		c->region = region;
	}
	*e = &c->pt[PTE_INDEX(va, PT_LEVEL_PT)];
	return 0;
}

/* One page: flushed here, and on every other CPU that has root loaded. */
static void
flush_one(physaddr_t root, uintptr_t va)
{
	hal_tlb_flush_page(va);
	hal_tlb_shootdown(root, &va, 1);
}

pte_t
pt_leaf_set(physaddr_t root, pte_t *e, uintptr_t va, physaddr_t pa, unsigned flags, pte_t soft)
{
	pte_t old = *e;

	if (!(old & PTE_P))
		note_present(e);
	*e = (pa & PTE_ADDR_MASK) | leaf_bits(flags & PT_PERM_MASK, PT_LEVEL_PT) |
	     (soft & PTE_SOFT_MASK);
	/* A TLB caches present entries only (SDM Vol. 3A 4.10.2.3): a new one needs no flush. */
	if (old & PTE_P)
		flush_one(root, va);
	return old;
}

void
pt_leaf_protect(physaddr_t root, pte_t *e, uintptr_t va, unsigned flags)
{
	pte_t keep = PTE_ADDR_MASK | PTE_A | PTE_D | PTE_SOFT_MASK;

	if (!(*e & PTE_P))
		note_present(e);
	*e = (*e & keep) | leaf_bits(flags & PT_PERM_MASK, PT_LEVEL_PT);
	flush_one(root, va);
}
