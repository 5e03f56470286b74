/* Frames: the record behind every 4 KiB page an env can map.  A frame lives while a
 * capability names it or a mapping holds it (one cap_object reference per mapping); at
 * release its page goes back to the pmm.  The records are found by physical address through
 * a hash, so unmapping (which only knows the page-table entry) can drop the right hold. */
#include "env_impl.h"
#include "kheap.h"
#include "mm.h"
#include "panic.h"
#include "pmm.h"
#include "xstring.h"

#define FRAME_HASH 1024

static struct frame *hash[FRAME_HASH];

static unsigned
frame_hash(physaddr_t pa)
{
	return (unsigned)(PFN(pa) * 0x9E3779B1u) % FRAME_HASH;
}

struct frame *
frame_lookup(physaddr_t pa)
{
	struct frame *f;

	pa = MM_ALIGN_DOWN(pa, PAGE_SIZE);
	for (f = hash[frame_hash(pa)]; f != NULL; f = f->hnext)
		if (f->obj.phys == pa)
			return f;
	return NULL;
}

static void
frame_unhash(struct frame *f)
{
	struct frame **pp = &hash[frame_hash(f->obj.phys)];

	while (*pp != f) {
		if (*pp == NULL)
			panic("frame 0x%lx is not in the hash", f->obj.phys);
		pp = &(*pp)->hnext;
	}
	*pp = f->hnext;
}

static int
frame_make(physaddr_t pa, bool managed, struct frame **out)
{
	struct frame *f = kmalloc(sizeof(*f));
	unsigned h = frame_hash(pa);
	int err;

	if (f == NULL)
		return E_NOMEM;
	memset(f, 0, sizeof(*f));
	if ((err = cap_object_init_frame(&f->obj, pa, PAGE_SIZE)) < 0) {
		kfree(f);
		return err;
	}
	f->managed = managed;
	f->hnext = hash[h];
	hash[h] = f;
	*out = f;
	return 0;
}

int
frame_new(uint64_t owner, struct frame **out)
{
	int64_t pa = pmm_alloc(0);
	int err;

	if (pa < 0)
		return (int)pa;
	/* Zeroed: a page must never carry another env's (or the kernel's) data. */
	memset(hal_phys_to_virt((physaddr_t)pa), 0, PAGE_SIZE);
	pmm_set_use((physaddr_t)pa, PAGE_USE_USER, (uint32_t)owner);
	if ((err = frame_make((physaddr_t)pa, true, out)) < 0)
		pmm_free((physaddr_t)pa, 0);
	return err;
}

int
frame_wrap(physaddr_t pa, struct frame **out)
{
	if (!MM_IS_ALIGNED(pa, PAGE_SIZE) || frame_lookup(pa) != NULL)
		return E_INVAL;
	return frame_make(pa, false, out);
}

static void
frame_free(struct frame *f)
{
	frame_unhash(f);
	if (f->managed)
		pmm_free(f->obj.phys, 0);
	kfree(f);
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
}
