/* The DMA domain's system calls (issue 14, syscalls 55-57; docs/devices.md "DMA isolation"):
 * exposing a frame or region the caller holds with the PHYS right (its DMA right) to the
 * caller's devices, withdrawing it, and reading the caller's fault count.  The domain itself
 * is kern/dev/iommu_domain.c's.  With translation off the first two do nothing and succeed:
 * a driver runs unchanged in trusted mode. */
#include "env_impl.h"
#include "iommu.h"
#include "mm.h"

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

int64_t
sys_iommu_faults(struct env *e, const uint64_t *a)
{
	(void)a;
	if (!iommu_on())
		return E_NOSYS;
	return (int64_t)iommu_faults(e->id);
}
