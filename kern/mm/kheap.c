/* The kernel heap: small objects come from single-page slabs, one list of slabs per
 * power-of-two size class, each slab page starting with a header that holds a bitmap of its
 * live objects (so a double free is caught exactly); larger requests take whole buddy blocks.
 * The struct page of every heap page says which of the two it is. */
#include "hal.h"
#include "failalloc.h"
#include "kheap.h"
#include "pmm.h"

#define SLAB_MAGIC  0x51ab0e10u
#define OBJ_OFFSET  64 /* objects start after the header, 16-byte aligned */
#define MAX_OBJS    ((PAGE_SIZE - OBJ_OFFSET) >> KHEAP_MIN_SHIFT)
#define POISON_BYTE 0x6b /* freed objects are filled with it to expose use after free */
#define POISON_WORD (0x0101010101010101ull * POISON_BYTE)

/* A word of a freed object, whatever type the object had (may_alias: the stores must not be
 * assumed unrelated to the object's own fields). */
typedef uint64_t __attribute__((may_alias)) poison_word_t;

/* The struct page owner of a heap page. */
enum { HEAP_SLAB = 1, HEAP_LARGE = 2 };

struct slab {
	uint32_t magic;
	uint16_t cls; /* size class: objects of 16 << cls bytes */
	uint16_t nfree;
	struct slab *next, *prev; /* the class's list of slabs with a free object */
	uint64_t used[(MAX_OBJS + 63) / 64];
};
_Static_assert(sizeof(struct slab) <= OBJ_OFFSET, "slab header overlaps the objects");

struct slab_class {
	struct slab *partial; /* slabs with at least one free object */
	unsigned empty;       /* of those, how many are entirely free: at most one is kept */
	uint64_t slabs, objects;
};

static struct slab_class classes[KHEAP_NCLASSES];
static uint64_t large_blocks, large_pages;
static struct hal_spinlock heap_lock = HAL_SPINLOCK_INIT("kheap");

#define HEAP_BUG(st, ...)                                                                          \
	do {                                                                                       \
		hal_spin_unlock_irqrestore(&heap_lock, st);                                        \
		HAL_PANIC(__VA_ARGS__);                                                            \
	} while (0)

static size_t
obj_size(unsigned cls)
{
	return (size_t)1 << (cls + KHEAP_MIN_SHIFT);
}

static unsigned
nobjs(unsigned cls)
{
	return (unsigned)((PAGE_SIZE - OBJ_OFFSET) / obj_size(cls));
}

void
kheap_init(void)
{
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		classes[c] = (struct slab_class){ 0 };
	large_blocks = large_pages = 0;
}

static void
list_push(struct slab_class *sc, struct slab *s)
{
	s->prev = NULL;
	s->next = sc->partial;
	if (s->next)
		s->next->prev = s;
	sc->partial = s;
}

static void
list_remove(struct slab_class *sc, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		sc->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static struct slab *
slab_new(unsigned cls)
{
	int64_t pa = pmm_alloc(0);
	struct slab *s;

	if (pa < 0)
		return NULL;
	pmm_set_use((physaddr_t)pa, PAGE_USE_HEAP, HEAP_SLAB);
	s = hal_phys_to_virt((physaddr_t)pa);
	*s = (struct slab){ .magic = SLAB_MAGIC, .cls = (uint16_t)cls, .nfree = nobjs(cls) };
	list_push(&classes[cls], s);
	classes[cls].empty++;
	classes[cls].slabs++;
	return s;
}

static void *
slab_take(struct slab_class *sc, struct slab *s)
{
	unsigned w = 0, i;

	while (s->used[w] == ~0ull)
		w++;
	i = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
	s->used[w] |= 1ull << (i % 64);
	if (s->nfree-- == nobjs(s->cls))
		sc->empty--;
	if (s->nfree == 0)
		list_remove(sc, s);
	sc->objects++;
	return (char *)s + OBJ_OFFSET + i * obj_size(s->cls);
}

static void *
large_alloc(size_t size)
{
	uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	unsigned order = 0;
	int64_t pa;

	while ((1ull << order) < pages)
		order++;
	if (order > PMM_MAX_ORDER || (pa = pmm_alloc(order)) < 0)
		return NULL;
	pmm_set_use((physaddr_t)pa, PAGE_USE_HEAP, HEAP_LARGE);
	large_blocks++;
	large_pages += 1ull << order;
	return hal_phys_to_virt((physaddr_t)pa);
}

void *
kmalloc(size_t size)
{
	hal_irqstate_t st;
	unsigned cls = 0;
	struct slab *s;
	void *p = NULL;

	if (size == 0)
		return NULL;
	if (failalloc_hook != NULL &&
	    failalloc_hook(FAILALLOC_HEAP, size, __builtin_return_address(0)))
		return NULL;
	st = hal_spin_lock_irqsave(&heap_lock);
	if (size > obj_size(KHEAP_NCLASSES - 1)) {
		p = large_alloc(size);
	} else {
		while (obj_size(cls) < size)
			cls++;
		s = classes[cls].partial ? classes[cls].partial : slab_new(cls);
		if (s)
			p = slab_take(&classes[cls], s);
	}
	hal_spin_unlock_irqrestore(&heap_lock, st);
	return p;
}

/* The metadata of the heap page holding `pa`; anything else is the caller's bug. */
static const struct page *
heap_page(physaddr_t pa, const void *ptr, const char *who, void *caller, hal_irqstate_t st)
{
	const struct page *pg = pmm_page(MM_ALIGN_DOWN(pa, PAGE_SIZE));

	if (pg == NULL || pg->state != PAGE_ALLOCATED || pg->use != PAGE_USE_HEAP)
		HEAP_BUG(st,
		         "%s: %p is not a live heap pointer (double free or foreign), caller %p",
		         who, ptr, caller);
	return pg;
}

/* The slab holding `ptr` and the index of its object; a pointer that is not the start of
 * an object is the caller's bug. */
static struct slab *
slab_of(const void *ptr, unsigned *index, const char *who, void *caller, hal_irqstate_t st)
{
	struct slab *s = (struct slab *)MM_ALIGN_DOWN((uintptr_t)ptr, PAGE_SIZE);
	uintptr_t off = (uintptr_t)ptr - (uintptr_t)s;

	if (s->magic != SLAB_MAGIC || s->cls >= KHEAP_NCLASSES)
		HEAP_BUG(st, "%s: slab header of %p is corrupt, caller %p", who, ptr, caller);
	if (off < OBJ_OFFSET || (off - OBJ_OFFSET) % obj_size(s->cls) != 0 ||
	    (off - OBJ_OFFSET) / obj_size(s->cls) >= nobjs(s->cls))
		HEAP_BUG(st, "%s: %p is not the start of a heap object, caller %p", who, ptr,
		         caller);
	*index = (unsigned)((off - OBJ_OFFSET) / obj_size(s->cls));
	return s;
}

/* Returns object i to slab s; keeps one entirely free slab per class, frees the others. */
static void
slab_give(struct slab *s, unsigned i)
{
	struct slab_class *sc = &classes[s->cls];
	poison_word_t *obj = (poison_word_t *)((uint8_t *)s + OBJ_OFFSET + i * obj_size(s->cls));

	/* Two words a step (objects are multiples of 16 bytes, 16-byte aligned): a byte at a
	 * time cost ~3,000 instructions for an FPU save area on every env's exit. */
	for (size_t w = 0; w < obj_size(s->cls) / sizeof(*obj); w += 2) {
		obj[w] = POISON_WORD;
		obj[w + 1] = POISON_WORD;
	}
	s->used[i / 64] &= ~(1ull << (i % 64));
	if (s->nfree++ == 0)
		list_push(sc, s);
	sc->objects--;
	if (s->nfree == nobjs(s->cls) && ++sc->empty > 1) {
		list_remove(sc, s);
		sc->empty--;
		sc->slabs--;
		s->magic = 0;
		pmm_free(hal_virt_to_phys(s), 0);
	}
}

/* noinline: the return address must be kfree's caller, which a bug report names. */
__attribute__((noinline)) void
kfree(void *ptr)
{
	void *caller = __builtin_return_address(0);
	const struct page *pg;
	hal_irqstate_t st;
	physaddr_t pa;
	unsigned i;

	if (ptr == NULL)
		return;
	pa = hal_virt_to_phys(ptr);
	st = hal_spin_lock_irqsave(&heap_lock);
	pg = heap_page(pa, ptr, "kfree", caller, st);
	if (pg->owner == HEAP_LARGE) {
		if (!MM_IS_ALIGNED(pa, PAGE_SIZE))
			HEAP_BUG(st, "kfree: %p is inside a large block, caller %p", ptr, caller);
		large_blocks--;
		large_pages -= 1ull << pg->order;
		pmm_free(pa, pg->order);
	} else {
		struct slab *s = slab_of(ptr, &i, "kfree", caller, st);

		if (!(s->used[i / 64] & (1ull << (i % 64))))
			HEAP_BUG(st, "kfree: double free of %p, caller %p", ptr, caller);
		slab_give(s, i);
	}
	hal_spin_unlock_irqrestore(&heap_lock, st);
}

__attribute__((noinline)) size_t
kheap_usable_size(const void *ptr)
{
	void *caller = __builtin_return_address(0);
	physaddr_t pa = hal_virt_to_phys(ptr);
	hal_irqstate_t st = hal_spin_lock_irqsave(&heap_lock);
	const struct page *pg;
	size_t size;
	unsigned i;

	pg = heap_page(pa, ptr, "kheap_usable_size", caller, st);
	if (pg->owner == HEAP_LARGE) {
		size = PAGE_SIZE << pg->order;
	} else {
		struct slab *s = slab_of(ptr, &i, "kheap_usable_size", caller, st);

		if (!(s->used[i / 64] & (1ull << (i % 64))))
			HEAP_BUG(st, "kheap_usable_size: %p is free, caller %p", ptr, caller);
		size = obj_size(s->cls);
	}
	hal_spin_unlock_irqrestore(&heap_lock, st);
	return size;
}

void
kheap_get_stats(struct kheap_stats *out)
{
	hal_irqstate_t st = hal_spin_lock_irqsave(&heap_lock);

	for (unsigned c = 0; c < KHEAP_NCLASSES; c++) {
		out->slabs[c] = classes[c].slabs;
		out->objects[c] = classes[c].objects;
	}
	out->large_blocks = large_blocks;
	out->large_pages = large_pages;
	hal_spin_unlock_irqrestore(&heap_lock, st);
}

void
kheap_print_stats(void)
{
	struct kheap_stats s;

	kheap_get_stats(&s);
	hal_log("kheap:");
	for (unsigned c = 0; c < KHEAP_NCLASSES; c++)
		hal_log(" %zu:%llu/%llu", obj_size(c), (unsigned long long)s.objects[c],
		        (unsigned long long)s.slabs[c]);
	hal_log(" (objects/slabs), large %llu blocks %llu pages\n",
	        (unsigned long long)s.large_blocks, (unsigned long long)s.large_pages);
}
