/* Frames: the capability object behind every 4 KiB page an env can map.  A frame lives while
 * a capability names it or a mapping holds it (one cap_object reference per mapping); its
 * release hook gives the page back.  Unmapping knows only the physical address in a
 * page-table entry, so the object must be found from it, and there are two kinds of page:
 *  - a managed page (frame_new, from the pmm) records its object in its struct page
 *    (pmm_set_frame), and pmm_frame finds it from the address with no index of our own;
 *  - an unmanaged page (frame_wrap: the ramdisk, later device memory) has no struct page.
 *    Such pages come in a few long physical runs, so each run gets one record holding the
 *    objects of all its pages, and the short list of runs is searched by range.
 * A page is either kind, never both: frame_wrap refuses memory the pmm manages.
 * A DMA run (frame_new_run: one pmm block, physically contiguous) is kept like an unmanaged
 * run: its pages carry no frame pointer in their struct page, and the block goes back to the
 * pmm whole when the run's last frame is released. */
#include "env_impl.h"
#include "iommu.h"
#include "kheap.h"
#include "mm.h"
#include "panic.h"
#include "pmm.h"
#include "xstring.h"

/* Unmanaged pages [base, base + npages pages), wrapped by one frame_wrap call. */
struct frame_run {
	struct frame_run *next;
	physaddr_t base;
	uint64_t npages;
	uint64_t live; /* frames not yet released or discarded: the run is freed at 0 */
	int order;     /* a DMA run's pmm block order, -1: wrapped memory */
	struct frame frames[];
};

/* The most pages a run's record can hold in the kernel heap's largest block. */
#define FRAME_RUN_MAX                                                                              \
	(((PAGE_SIZE << PMM_MAX_ORDER) - sizeof(struct frame_run)) / sizeof(struct frame))

static struct frame_run *runs;

static struct frame_run *
run_find(physaddr_t pa)
{
	struct frame_run *r;

	for (r = runs; r != NULL; r = r->next)
		if (pa >= r->base && PFN(pa - r->base) < r->npages)
			return r;
	return NULL;
}

struct frame *
frame_lookup(physaddr_t pa)
{
	struct cap_object *obj = pmm_frame(pa);
	struct frame_run *r;

	if (obj != NULL)
		return frame_of(obj);
	r = run_find(pa);
	return r != NULL ? &r->frames[PFN(pa - r->base)] : NULL;
}

int
frame_new(uint64_t owner, struct frame **out)
{
	int64_t pa = pmm_alloc(0);
	struct frame *f;

	if (pa < 0)
		return (int)pa;
	if ((f = kmalloc(sizeof(*f))) == NULL) {
		pmm_free((physaddr_t)pa, 0);
		return E_NOMEM;
	}
	memset(f, 0, sizeof(*f));
	if (cap_object_init_frame(&f->obj, (physaddr_t)pa, PAGE_SIZE) < 0)
		panic("frame_new: cannot make a frame of page 0x%lx", (physaddr_t)pa);
	/* Zeroed: a page must never carry another env's (or the kernel's) data. */
	memset(hal_phys_to_virt((physaddr_t)pa), 0, PAGE_SIZE);
	pmm_set_use((physaddr_t)pa, PAGE_USE_USER, (uint32_t)owner);
	pmm_set_frame((physaddr_t)pa, &f->obj);
	*out = f;
	return 0;
}

int
frame_wrap(physaddr_t pa, uint64_t npages, struct frame **first)
{
	struct frame_run *r;

	if (!MM_IS_ALIGNED(pa, PAGE_SIZE) || npages == 0 || npages > FRAME_RUN_MAX ||
	    pa + npages * PAGE_SIZE < pa || pa + npages * PAGE_SIZE > PHYS_ADDR_END)
		return E_INVAL;
	for (uint64_t i = 0; i < npages; i++)
		if (pmm_page(pa + i * PAGE_SIZE) != NULL || run_find(pa + i * PAGE_SIZE) != NULL)
			return E_INVAL;
	if ((r = kmalloc(sizeof(*r) + npages * sizeof(struct frame))) == NULL)
		return E_NOMEM;
	memset(r, 0, sizeof(*r) + npages * sizeof(struct frame));
	for (uint64_t i = 0; i < npages; i++) {
		physaddr_t page = pa + i * PAGE_SIZE;

		if (cap_object_init_frame(&r->frames[i].obj, page, PAGE_SIZE) < 0)
			panic("frame_wrap: cannot make a frame of page 0x%lx", page);
	}
	r->base = pa;
	r->npages = r->live = npages;
	r->order = -1;
	r->next = runs;
	runs = r;
	*first = r->frames;
	return 0;
}

int
frame_new_run(unsigned order, uint64_t owner, struct frame **first)
{
	uint64_t npages = 1ull << order;
	int64_t pa =
	    order <= PMM_MAX_ORDER ? pmm_alloc_as(order, PAGE_USE_DMA, (uint32_t)owner) : E_INVAL;
	struct frame_run *r;

	if (pa < 0)
		return (int)pa;
	if ((r = kmalloc(sizeof(*r) + npages * sizeof(struct frame))) == NULL) {
		pmm_free((physaddr_t)pa, order);
		return E_NOMEM;
	}
	memset(r, 0, sizeof(*r) + npages * sizeof(struct frame));
	for (uint64_t i = 0; i < npages; i++) {
		physaddr_t page = (physaddr_t)pa + i * PAGE_SIZE;

		if (cap_object_init_frame(&r->frames[i].obj, page, PAGE_SIZE) < 0)
			panic("frame_new_run: cannot make a frame of page 0x%lx", page);
	}
	/* Zeroed, as frame_new's: no other env's (or the kernel's) data reaches a device. */
	memset(hal_phys_to_virt((physaddr_t)pa), 0, npages * PAGE_SIZE);
	r->base = (physaddr_t)pa;
	r->npages = r->live = npages;
	r->order = (int)order;
	r->next = runs;
	runs = r;
	*first = r->frames;
	return 0;
}

/* The frame is gone: a managed page goes back to the pmm with its record, an unmanaged one
 * only counts down its run. */
static void
frame_free(struct frame *f)
{
	physaddr_t pa = f->obj.phys;
	struct frame_run **pp, *r;

	iommu_page_gone(pa); /* no device reaches it once it can be reused */
	if (pmm_frame(pa) == &f->obj) {
		pmm_set_frame(pa, NULL);
		pmm_free(pa, 0);
		kfree(f);
		return;
	}
	if ((r = run_find(pa)) == NULL)
		panic("frame 0x%lx is neither managed nor wrapped", pa);
	if (--r->live > 0)
		return;
	for (pp = &runs; *pp != r; pp = &(*pp)->next)
		;
	*pp = r->next;
	if (r->order >= 0)
		pmm_free(r->base, (unsigned)r->order);
	kfree(r);
}

void
frame_discard(struct frame *f)
{
	if (f->obj.state != CAP_OBJ_FRESH)
		panic("frame_discard: frame 0x%lx is in use", f->obj.phys);
	frame_free(f);
}

int
frame_hold(struct frame *f)
{
	return cap_object_hold(&f->obj);
}

static void
frame_release(struct cap_object *obj)
{
	frame_free(frame_of(obj));
}

void
frame_init(void)
{
	cap_set_release_hook(CAP_FRAME, frame_release);
	cap_set_revoke_hook(CAP_FRAME, env_vm_revoke_frame); /* revoke unmaps (vm.c) */
	iommu_cap_init(); /* a frame's DMA right revoked or deleted: out of the domain */
}
