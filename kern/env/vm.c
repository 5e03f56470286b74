/* An env's user half: mapping frames with the permissions their capabilities allow, and
 * tearing the whole half down.  Every present user page-table entry holds one reference on
 * its frame; bits 11:9 of the entry (ignored by the CPU, SDM Vol. 3A 4.5) remember which
 * permissions the mapping's capability allowed, so protect cannot widen them later. */
#include "abi/memlayout.h"
#include "env_impl.h"
#include "kvm.h"
#include "mm.h"
#include "panic.h"
#include "pt.h"
#include "pte.h"

#define SOFT_SHIFT 9 /* ABI_PERM_R/W/X in PTE bits 9/10/11 */

static unsigned
pt_flags(unsigned perm)
{
	return PT_U | ((perm & ABI_PERM_W) ? PT_W : 0) | ((perm & ABI_PERM_X) ? PT_X : 0) |
	       ((perm & ENV_VM_UNCACHED) ? PT_CACHE_UC
	        : (perm & ENV_VM_WC)     ? PT_CACHE_WC
	                                 : 0);
}

/* The frame a present user leaf maps (every one holds a reference on a known frame). */
static struct frame *
leaf_frame(const struct env *e, pte_t pte, uint64_t va)
{
	struct frame *f = frame_lookup(pte & PTE_ADDR_MASK);

	if (f == NULL)
		panic("env 0x%lx: user page 0x%lx maps an unknown frame", e->id, va);
	return f;
}

int
env_vm_map_at(struct env *e, struct pt_cursor *c, uint64_t va, struct frame *f, unsigned perm,
              unsigned allow)
{
	pte_t *pte, old;
	int err;

	/* One walk (creating tables) and one entry write: the old frame, if any, is dropped
	 * after the entry no longer maps it (pt_leaf_set flushed it). */
	if ((err = pt_cursor_leaf(c, va, true, &pte)) < 0)
		return err;
	old = pt_leaf_set(e->root, pte, va, f->obj.phys, pt_flags(perm),
	                  (pte_t)(allow & ABI_PERM_ALL) << SOFT_SHIFT);
	if (old & PTE_P)
		cap_object_put(&leaf_frame(e, old, va)->obj);
	return 0;
}

int
env_vm_map(struct env *e, uint64_t va, struct frame *f, unsigned perm, unsigned allow)
{
	struct pt_cursor c = { .root = e->root };

	return env_vm_map_at(e, &c, va, f, perm, allow);
}

int
env_vm_map_run(struct env *e, uint64_t va, struct frame *frames, uint64_t n, unsigned perm,
               unsigned allow)
{
	int err = pt_map(e->root, va, frames[0].obj.phys, n * PAGE_SIZE, pt_flags(perm));
	pte_t *pte;

	if (err < 0)
		return err;
	for (uint64_t i = 0; i < n; i++, pte++) {
		/* A walk per page table: its entries for consecutive pages are consecutive. */
		if ((i == 0 || ((va + i * PAGE_SIZE) & (PT_LEVEL_SIZE(PT_LEVEL_PD) - 1)) == 0) &&
		    pt_walk(e->root, va + i * PAGE_SIZE, PT_LEVEL_PT, false, &pte) < 0)
			panic("env 0x%lx: page 0x%lx vanished after pt_map", e->id, va);
		*pte = (*pte & ~PTE_SOFT_MASK) | ((pte_t)(allow & ABI_PERM_ALL) << SOFT_SHIFT);
		if ((err = frame_hold(&frames[i])) < 0) {
			/* Pages [i, n) hold nothing yet; [0, i) each hold their frame. */
			pt_unmap(e->root, va + i * PAGE_SIZE, (n - i) * PAGE_SIZE);
			while (i-- > 0)
				env_vm_unmap(e, va + i * PAGE_SIZE);
			return err;
		}
	}
	return 0;
}

int
env_vm_unmap(struct env *e, uint64_t va)
{
	struct pt_mapping m;
	struct frame *f;
	int err;

	if ((err = pt_lookup(e->root, va, &m)) < 0)
		return err;
	if ((f = frame_lookup(m.pa)) == NULL)
		panic("env 0x%lx: user page 0x%lx maps an unknown frame", e->id, va);
	if ((err = pt_unmap(e->root, va, PAGE_SIZE)) < 0)
		return err;
	cap_object_put(&f->obj);
	return 0;
}

int
env_vm_protect_at(struct env *e, struct pt_cursor *c, uint64_t va, unsigned perm)
{
	pte_t *pte;
	unsigned allow;
	int err = pt_cursor_leaf(c, va, false, &pte);

	if (err < 0 || !(*pte & PTE_P))
		return err < 0 && err != E_NOENT ? err : E_NOENT;
	allow = (unsigned)((*pte & PTE_SOFT_MASK) >> SOFT_SHIFT);
	if (perm & ~allow)
		return E_PERM;
	if (*pte & PTE_PCD) /* device registers stay uncached (env_vm_map's ENV_VM_UNCACHED) */
		perm |= ENV_VM_UNCACHED;
	else if (*pte & PTE_PAT) /* and write-combining DMA buffers stay so (PAT entry 4) */
		perm |= ENV_VM_WC;
	pt_leaf_protect(e->root, pte, va, pt_flags(perm));
	return 0;
}

int
env_vm_protect(struct env *e, uint64_t va, unsigned perm)
{
	struct pt_cursor c = { .root = e->root };

	return env_vm_protect_at(e, &c, va, perm);
}

/* Drops the hold of one page the user half maps (pt_destroy_each's callback). */
static void
put_leaf(pte_t pte, enum pt_level level, void *arg)
{
	struct env *e = arg;
	struct frame *f;

	if (level > PT_LEVEL_PT || (f = frame_lookup(pte & PTE_ADDR_MASK)) == NULL)
		panic("env 0x%lx: user entry 0x%lx maps no known frame", e->id, pte);
	cap_object_put(&f->obj);
}

void
env_vm_teardown(struct env *e)
{
	/* The root is no CPU's current one (env_destroy switched away); pt_destroy_each also
	 * unhooks and flushes before it hands a page over, so no TLB can still reach a page
	 * that the puts free.  One walk drops the pages and frees the tables. */
	if (kvm_root_free_each(e->root, put_leaf, e) < 0)
		panic("env 0x%lx: freeing the user half's page tables failed", e->id);
	e->root = 0;
}

/* cap_revoke's hook for frames (frame_init registers it): a revoke takes the frame back from
 * every address space but its keeper's (the env whose capability was revoked, when that
 * capability names the frame itself): each mapping loses its hold once no TLB reaches it. */
void
env_vm_revoke_frame(struct cap_object *obj, struct cap_table *keeper)
{
	for (unsigned i = 0; i < NENV; i++) {
		struct env *x = &envs[i];
		uint64_t n;

		if (x->root == 0 || x->status == ENV_FREE || x->status == ENV_DEAD ||
		    &x->caps == keeper)
			continue;
		for (n = pt_unmap_frame(x->root, obj->phys); n > 0; n--)
			cap_object_put(obj);
	}
}

/* pt.h's charge hook: owner is an env's index + 1 (env_alloc tags its root).  A table made
 * while spawn loads the program is part of spawn's charge (paid from the creator's quota, e->pool,
 * given back with the env's slot); any other is paid from e->pt_pool.  A freed table gives
 * back to pt_pool while pt_pool has tables paid, else it only counts the image's down: no
 * quota ever gets back more than it paid.  Init's and the kernel's tables cost nobody. */
int
env_vm_charge(uint32_t owner, int pages)
{
	struct env *e = owner >= 1 && owner <= NENV ? &envs[owner - 1] : NULL;
	int err;

	if (e == NULL)
		return 0;
	if (pages > 0 && e->pt_loading) {
		if (e->pool != NULL && (err = cap_quota_take(e->pool, 1)) < 0)
			return err;
		e->pt_image++;
		e->charged += e->pool != NULL;
		return 0;
	}
	if (pages > 0) {
		if (e->pt_pool != NULL && (err = cap_quota_take(e->pt_pool, 1)) < 0)
			return err;
		e->pt_own++;
		return 0;
	}
	if (e->pt_own > 0) {
		e->pt_own--;
		if (e->pt_pool != NULL)
			cap_quota_give(e->pt_pool, 1);
	} else if (e->pt_image > 0) {
		e->pt_image--; /* its page comes back with e->charged */
	}
	return 0;
}
