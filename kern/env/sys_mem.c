/* The exokernel memory syscalls: frames from an untyped quota, and mapping them into an
 * address space with no more permission than the frame capability grants.  The kernel
 * checks rights and addresses; where things go is user space's business. */
#include "abi/memlayout.h"
#include "env_impl.h"
#include "iommu.h"
#include "mm.h"
#include "pt.h"

/* A page-aligned user address below ABI_USER_END, or an error. */
static int
check_va(uint64_t va)
{
	if (!MM_IS_ALIGNED(va, PAGE_SIZE))
		return E_ALIGN;
	if (va < ABI_USER_START || va >= ABI_USER_END)
		return E_RANGE;
	return 0;
}

/* ABI_PERM_* must include R, may not be W and X at once (W^X everywhere). */
static int
check_perm(uint64_t perm)
{
	if ((perm & ~(uint64_t)ABI_PERM_ALL) || !(perm & ABI_PERM_R))
		return E_INVAL;
	if ((perm & ABI_PERM_W) && (perm & ABI_PERM_X))
		return E_INVAL;
	return 0;
}

int64_t
sys_frame_alloc(struct env *e, const uint64_t *a)
{
	uint64_t uslot = a[0], dslot = a[1], rights = a[2];
	struct frame *f;
	int err;

	if (rights & ~(uint64_t)CAP_R_ALL)
		return E_INVAL;
	if ((err = frame_new(e->id, &f)) < 0)
		return err;
	err = cap_retype(&e->caps, uslot, &e->caps, dslot, &f->obj, 1, rights);
	if (err < 0)
		frame_discard(f);
	return err;
}

int64_t
sys_map(struct env *e, const uint64_t *a)
{
	/* LAB 3: check va and perm, take a hold on the frame through a capability with MAP and
	 * every right perm needs, and map it in the env eslot names (MAP right) with the hold. */
	/* BEGIN LAB 3 */
	uint64_t eslot = a[0], fslot = a[1], va = a[2], perm = a[3];
	struct cap_object *fo;
	struct env *t;
	uint32_t rights;
	int err;

	if ((err = check_va(va)) < 0 || (err = check_perm(perm)) < 0)
		return err;
	if ((err = env_get(e, eslot, CAP_R_MAP, &t)) < 0)
		return err;
	err = cap_acquire(&e->caps, fslot, CAP_FRAME, CAP_R_MAP | (uint32_t)perm, &fo, &rights);
	if (err == 0) {
		err = env_vm_map(t, va, frame_of(fo), (unsigned)perm, rights & ABI_PERM_ALL);
		if (err < 0)
			cap_object_put(fo);
	}
	cap_object_put(&t->obj);
	return err;
	/* END LAB 3 */
	/* STUB LAB 3: return E_NOSYS; */
}

int64_t
sys_unmap(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], va = a[1];
	struct env *t;
	int err;

	if ((err = check_va(va)) < 0)
		return err;
	if ((err = env_get(e, eslot, CAP_R_MAP, &t)) < 0)
		return err;
	err = env_vm_unmap(t, va);
	cap_object_put(&t->obj);
	return err;
}

int64_t
sys_protect(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], va = a[1], perm = a[2];
	struct env *t;
	int err;

	if ((err = check_va(va)) < 0 || (err = check_perm(perm)) < 0)
		return err;
	if ((err = env_get(e, eslot, CAP_R_MAP, &t)) < 0)
		return err;
	err = env_vm_protect(t, va, (unsigned)perm);
	cap_object_put(&t->obj);
	return err;
}

int64_t
sys_frame_phys(struct env *e, const uint64_t *a)
{
	uint64_t fslot = a[0];
	struct cap_object *fo;
	physaddr_t pa;
	int err = cap_acquire(&e->caps, fslot, CAP_FRAME, CAP_R_PHYS, &fo, NULL);

	if (err < 0)
		return err;
	pa = fo->phys;
	cap_object_put(fo);
	/* Asking for a frame's physical address is asking to DMA to it: with the IOMMU on the
	 * frame joins the caller's DMA domain (kern/dev/iommu_domain.c, docs/devices.md). */
	if ((err = iommu_map(e->id, pa, 1)) < 0)
		return err;
	return (int64_t)pa;
}

/* One share_pages entry: the steps of cap_copy, map and (COW) protect, in that order (the
 * target's mapping exists before the caller's page turns read-only). */
static int
share_one(struct env *e, struct env *t, const struct abi_share *s, struct pt_cursor *ec,
          struct pt_cursor *tc)
{
	unsigned perm = s->perm & ~((s->flags & ABI_SHARE_COW) ? ABI_PERM_W : 0u);
	struct cap_object *fo;
	uint32_t rights;
	int err;

	if (!(s->flags & ABI_SHARE_MAPONLY) &&
	    (err = cap_copy(&e->caps, s->slot, &t->caps, s->slot)) < 0)
		return err;
	if ((err = cap_acquire(&e->caps, s->slot, CAP_FRAME, CAP_R_MAP | perm, &fo, &rights)) < 0)
		return err;
	if ((err = env_vm_map_at(t, tc, s->va, frame_of(fo), perm, rights & ABI_PERM_ALL)) < 0) {
		cap_object_put(fo);
		return err;
	}
	return (s->flags & ABI_SHARE_COW) ? env_vm_protect_at(e, ec, s->va, perm) : 0;
}

int64_t
sys_share_pages(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], recs = a[1], n = a[2];
	struct abi_share sh[ABI_SHARE_MAX];
	struct pt_cursor ec = { .root = e->root }, tc;
	uint32_t need = CAP_R_MAP;
	struct env *t;
	int err;

	if (n > ABI_SHARE_MAX)
		return E_INVAL;
	if ((err = copyin(sh, recs, n * sizeof(sh[0]))) < 0)
		return err;
	/* Every entry's values before anything changes. */
	for (uint64_t i = 0; i < n; i++) {
		if ((err = check_va(sh[i].va)) < 0 || (err = check_perm(sh[i].perm)) < 0)
			return err;
		if (sh[i].flags & ~(ABI_SHARE_COW | ABI_SHARE_MAPONLY))
			return E_INVAL;
		if (!(sh[i].flags & ABI_SHARE_MAPONLY))
			need |= CAP_R_WRITE; /* a capability goes into its table */
	}
	if ((err = env_get(e, eslot, need, &t)) < 0)
		return err;
	tc = (struct pt_cursor){ .root = t->root };
	for (uint64_t i = 0; i < n && err == 0; i++)
		err = share_one(e, t, &sh[i], &ec, &tc);
	cap_object_put(&t->obj);
	return err;
}
