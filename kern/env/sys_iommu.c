/* The DMA domain's system calls (issue 14, syscalls 55-58; docs/devices.md "DMA isolation"):
 * exposing a frame or region the caller holds with the PHYS right (its DMA right) to the
 * caller's devices, withdrawing it, reading the caller's fault count, and a notification
 * signalled at each fault.  The domain itself is kern/dev/iommu_domain.c's.  With
 * translation off the first two do nothing and succeed: a driver runs unchanged in trusted
 * mode.  Also the capability hook that withdraws a frame from a domain when its env's last
 * capability with PHYS to it goes (revoked by a parent, or deleted). */
#include "env_impl.h"
#include "iommu.h"
#include "ipc.h"
#include "mm.h"

/* Fault notifications, one per env (by index): the env's id (an entry of an env that is
 * gone is dropped), the notification (no reference: iommu_fault_forget clears it when the
 * object goes, as knotify.c's bindings), its bits, the domain's fault count last signalled. */
struct on_fault {
	uint64_t env;
	struct cap_object *obj;
	uint64_t bits, seen;
};

static struct on_fault on_fault[NENV];

/* The frame or region in slot with the PHYS right: its first page and page count. */
static int
dma_target(struct env *e, uint64_t slot, uint64_t *pa, uint64_t *npages)
{
	struct cap_object *obj;
	int err = cap_acquire(&e->caps, slot, CAP_FRAME, CAP_R_PHYS, &obj, NULL);

	if (err == E_INVAL)
		err = cap_acquire(&e->caps, slot, CAP_REGION, CAP_R_PHYS, &obj, NULL);
	if (err < 0)
		return err;
	*pa = obj->phys;
	*npages = (obj->bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	cap_object_put(obj);
	return 0;
}

int64_t
sys_iommu_map(struct env *e, const uint64_t *a)
{
	uint64_t pa, n;
	int err = dma_target(e, a[0], &pa, &n);

	if (err == 0)
		err = iommu_map(e->id, pa, n);
	return err < 0 ? err : (int64_t)pa;
}

int64_t
sys_iommu_unmap(struct env *e, const uint64_t *a)
{
	uint64_t pa, n;
	int err = dma_target(e, a[0], &pa, &n);

	return err < 0 ? err : iommu_unmap(e->id, pa, n);
}

/* Signals every registered env whose domain counted a fault since its last signal. */
static void
notify_faulted(void)
{
	for (unsigned i = 0; i < NENV; i++) {
		struct on_fault *f = &on_fault[i];
		uint64_t n;

		if (f->obj == NULL)
			continue;
		if (envs[i].id != f->env || envs[i].status == ENV_DEAD ||
		    envs[i].status == ENV_FREE)
			*f = (struct on_fault){ 0 };
		else if ((n = iommu_domain_faults(f->env)) != f->seen) {
			f->seen = n;
			ipc_notify_signal(f->obj, f->bits);
		}
	}
}

int64_t
sys_iommu_faults(struct env *e, const uint64_t *a)
{
	uint64_t n;

	(void)a;
	if (!iommu_on())
		return E_NOSYS;
	n = iommu_faults(e->id);
	notify_faulted();
	return (int64_t)n;
}

int64_t
sys_iommu_fault_notify(struct env *e, const uint64_t *a)
{
	struct on_fault *f = &on_fault[e - envs];
	struct cap_object *obj;
	int err;

	if (!iommu_on())
		return E_NOSYS;
	if (a[0] == 0) {
		*f = (struct on_fault){ 0 };
		return 0;
	}
	if (a[1] == 0)
		return E_INVAL;
	if ((err = cap_acquire(&e->caps, a[0], CAP_NOTIFY, CAP_R_WRITE, &obj, NULL)) < 0)
		return err;
	*f = (struct on_fault){ e->id, obj, a[1], iommu_domain_faults(e->id) };
	cap_object_put(obj);
	return 0;
}

void
iommu_fault_deliver(void)
{
	if (!iommu_fault_take())
		return;
	(void)iommu_faults(0); /* prints and counts each record, unmasks the event */
	notify_faulted();
}

void
iommu_fault_forget(struct cap_object *obj)
{
	for (unsigned i = 0; i < NENV; i++)
		if (on_fault[i].obj == obj)
			on_fault[i] = (struct on_fault){ 0 };
}

bool
iommu_fault_bound(void)
{
	for (unsigned i = 0; i < NENV; i++)
		if (on_fault[i].obj != NULL)
			return true;
	return false;
}

/* cap_clear's hook (cap_lock held): a capability with PHYS to obj left table t.  When t's env
 * has a domain and holds no other such capability, obj's pages leave the domain and the
 * IOTLB is invalidated before the revoke or delete returns (issue 14 item 2); a frame or
 * region it still holds otherwise keeps the pages (the domain is identity-mapped: by pages,
 * not by capability). */
static void
cap_dropped(struct cap_table *t, struct cap_object *obj)
{
	if (!iommu_domain_exists(t->owner) || cap_holds_locked(t, obj, CAP_R_PHYS))
		return;
	(void)iommu_unmap(t->owner, obj->phys, (obj->bytes + PAGE_SIZE - 1) / PAGE_SIZE);
}

void
iommu_cap_init(void)
{
	cap_set_phys_drop_hook(cap_dropped);
}
