/* Regions (CAP_REGION, abi/cap.h): a run of held frames named by one capability and mapped
 * whole, at one address, by one call.  The ramdisk is one (boot.c gives it to init), a BAR
 * window is one (sys_dev.c, mapped uncached), a DMA buffer is one (sys_dma.c: contiguous
 * frames, mapped with the cache type chosen at allocation), and region_derive makes a new
 * region on a page range of another, the way a driver hands out part of a DMA buffer.
 *
 * The frames are not the region's: the kernel holds the ramdisk's and the BARs' for ever,
 * and a derived region holds its parent object, so its frames outlive it.  A DMA region
 * (REGION_OWNS) holds each of its frames itself and puts them when it goes.  A mapping holds
 * each page like any mapped frame, so unmap, protect and env teardown need nothing special.
 *
 * A region records where it was mapped (env id, address, and the env whose capability the
 * map used) in a fixed table sized when it is made, so mapping allocates nothing; a record
 * whose env is gone is reused.  When the region's last capability goes (a delete, a revoke
 * of an ancestor, its holder destroyed) its release hook removes every page those mappings
 * still hold: a later access faults.  A revoke that leaves the region other capabilities
 * (a copy or derived copy of the same region revoked) runs the revoke hook: each mapping
 * whose maker no longer holds a capability to the region goes, with the same TLB shootdown
 * as any unmap (pt_unmap), so a revoked holder cannot keep the pages by having mapped them,
 * nor by deleting its copy before the revoke (docs/architecture.md, "Lifetimes"). */
#include "abi/memlayout.h"
#include "env_impl.h"
#include "kheap.h"
#include "mm.h"
#include "pt.h"
#include "xstring.h"

struct region_rec {
	uint64_t env, va; /* env 0: a free record */
	uint64_t by;      /* the env whose capability the map used */
};

struct region {
	struct cap_object obj;
	struct frame *frames; /* npages consecutive frames of one run */
	uint64_t npages;
	unsigned flags;            /* REGION_UNCACHED, REGION_WC, REGION_OWNS */
	struct cap_object *parent; /* held while this region lives, or NULL */
	unsigned nrecs;            /* records in recs[] */
	struct region_rec recs[];
};

static struct region *
region_of(struct cap_object *obj)
{
	return (struct region *)((char *)obj - __builtin_offsetof(struct region, obj));
}

int
region_new(struct frame *frames, uint64_t npages, unsigned flags, uint64_t id, unsigned nrecs,
           struct region **out)
{
	struct region *r;
	size_t size = sizeof(*r) + nrecs * sizeof(struct region_rec);

	if (npages == 0 || nrecs == 0)
		return E_INVAL;
	if ((r = kmalloc(size)) == NULL)
		return E_NOMEM;
	memset(r, 0, size);
	r->frames = frames;
	r->npages = npages;
	r->flags = flags;
	r->nrecs = nrecs;
	if (cap_object_init_device(&r->obj, CAP_REGION, id, frames[0].obj.phys,
	                           npages * PAGE_SIZE) < 0) {
		kfree(r);
		return E_INVAL;
	}
	*out = r;
	return 0;
}

struct cap_object *
region_obj(struct region *r)
{
	return &r->obj;
}

void
region_discard(struct region *r)
{
	if (r->flags & REGION_OWNS)
		for (uint64_t i = 0; i < r->npages; i++)
			cap_object_put(&r->frames[i].obj);
	if (r->parent != NULL)
		cap_object_put(r->parent);
	kfree(r);
}

/* The env with this id if it still has an address space, else NULL (ids keep the index in
 * their low 12 bits, env.c). */
static struct env *
env_by_id(uint64_t id)
{
	struct env *t = &envs[id % NENV];

	return id != 0 && t->id == id && t->status != ENV_FREE && t->root != 0 ? t : NULL;
}

/* Removes pages [0, n) of r's mapping at va in t where they still map r's pages (the env may
 * have unmapped or replaced some since). */
static void
unmap_pages(struct env *t, const struct region *r, uint64_t va, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct pt_mapping m;

		if (pt_lookup(t->root, va + i * PAGE_SIZE, &m) == 0 &&
		    m.pa == r->frames[i].obj.phys)
			env_vm_unmap(t, va + i * PAGE_SIZE);
	}
}

/* The last capability is gone (callers hold the env lock: a revoke, a delete, an env's
 * table destroyed). */
static void
region_release(struct cap_object *obj)
{
	struct region *r = region_of(obj);

	for (unsigned i = 0; i < r->nrecs; i++) {
		struct env *t = env_by_id(r->recs[i].env);

		if (t != NULL)
			unmap_pages(t, r, r->recs[i].va, r->npages);
	}
	region_discard(r);
}

/* cap_revoke's hook (the region lost capabilities, some are left: callers hold the env
 * lock): takes back each mapping whose maker holds no capability to the region any more. */
static void
region_revoke(struct cap_object *obj, struct cap_table *keeper)
{
	struct region *r = region_of(obj);

	(void)keeper; /* the keeper still holds its capability: the test below keeps its maps */
	for (unsigned i = 0; i < r->nrecs; i++) {
		struct env *t = env_by_id(r->recs[i].env), *by = env_by_id(r->recs[i].by);

		if (t == NULL || (by != NULL && cap_table_names(&by->caps, obj)))
			continue;
		unmap_pages(t, r, r->recs[i].va, r->npages);
		r->recs[i].env = 0;
	}
}

void
region_init(void)
{
	cap_set_release_hook(CAP_REGION, region_release);
	cap_set_revoke_hook_self(CAP_REGION, region_revoke);
}

/* A free record (never used, or its env gone), or NULL. */
static struct region_rec *
rec_free(struct region *r)
{
	for (unsigned i = 0; i < r->nrecs; i++)
		if (env_by_id(r->recs[i].env) == NULL)
			return &r->recs[i];
	return NULL;
}

/* Maps all of r at va in t with perm (ABI_PERM_R, maybe W) for `by`, the env whose
 * capability allowed it, recorded: 0, or an error with nothing mapped (E_EXIST: a page of the
 * range was mapped).  The caller checked va, perm and the rights.  A region's frames are one
 * physical run, so one page-table operation maps it. */
int
region_map(struct region *r, struct env *t, struct env *by, uint64_t va, unsigned perm)
{
	unsigned pte_perm = perm | ((r->flags & REGION_UNCACHED) ? ENV_VM_UNCACHED : 0) |
	                    ((r->flags & REGION_WC) ? ENV_VM_WC : 0);
	struct region_rec *rec;
	int err;

	if ((rec = rec_free(r)) == NULL)
		return E_NOMEM;
	if ((err = env_vm_map_run(t, va, r->frames, r->npages, pte_perm, perm)) < 0)
		return err;
	rec->env = t->id;
	rec->va = va;
	rec->by = by->id;
	return 0;
}

int64_t
sys_region_map(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[1], va = a[2], perm = a[3];
	struct cap_object *obj;
	struct region *r;
	struct env *t;
	int err;

	if (!MM_IS_ALIGNED(va, PAGE_SIZE))
		return E_ALIGN;
	if (perm != ABI_PERM_R && perm != (ABI_PERM_R | ABI_PERM_W))
		return E_INVAL;
	err = cap_acquire(&e->caps, a[0], CAP_REGION, CAP_R_MAP | (uint32_t)perm, &obj, NULL);
	if (err < 0)
		return err;
	r = region_of(obj);
	if (va < ABI_USER_START || va >= ABI_USER_END || r->npages * PAGE_SIZE > ABI_USER_END - va)
		err = E_RANGE;
	if (err == 0 && (err = env_get(e, eslot, CAP_R_MAP, &t)) == 0) {
		err = region_map(r, t, e, va, (unsigned)perm);
		cap_object_put(&t->obj);
	}
	cap_object_put(obj);
	return err;
}

int64_t
sys_region_derive(struct env *e, const uint64_t *a)
{
	uint64_t dslot = a[1], first = a[2], npages = a[3], rights = a[4];
	struct cap_object *obj;
	struct region *src, *r = NULL;
	int err = cap_acquire(&e->caps, a[0], CAP_REGION, CAP_R_DERIVE, &obj, NULL);

	if (err < 0)
		return err;
	src = region_of(obj);
	if (npages == 0 || first >= src->npages || npages > src->npages - first)
		err = E_RANGE;
	else
		err = region_new(src->frames + first, npages, src->flags & ~REGION_OWNS,
		                 src->obj.id, ABI_REGION_RECS, &r);
	if (err == 0) {
		r->parent = obj; /* our hold becomes the child's */
		if ((err = cap_derive_object(&e->caps, a[0], CAP_REGION, CAP_R_DERIVE, &e->caps,
		                             dslot, &r->obj, rights)) < 0)
			region_discard(r);
		return err;
	}
	cap_object_put(obj);
	return err;
}
