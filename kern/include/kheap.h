/* The kernel heap (kern/mm/kheap.c): kmalloc/kfree with power-of-two size classes of
 * 16..2048 bytes carved from single-page slabs, and whole buddy blocks above that. */
#ifndef EXOLAB_KHEAP_H
#define EXOLAB_KHEAP_H

#include <stddef.h>
#include <stdint.h>

#define KHEAP_MIN_SHIFT 4  /* 16 bytes */
#define KHEAP_MAX_SHIFT 11 /* 2048 bytes: the largest slab class */
#define KHEAP_NCLASSES  (KHEAP_MAX_SHIFT - KHEAP_MIN_SHIFT + 1)

/* Forgets every slab; call after pmm_init (kernel boot, or a host test). */
void kheap_init(void);

/* At least `size` bytes aligned to 16, or NULL when size is 0 or memory is exhausted.
 * Sizes above 2048 take 2^k whole pages (up to the largest buddy block). */
void *kmalloc(size_t size);

/* Frees a kmalloc pointer (NULL is ignored).  A double free or a pointer kmalloc did not
 * return is a kernel bug: it panics, naming the caller. */
void kfree(void *ptr);

/* The number of bytes usable at a live kmalloc pointer (its class or block size). */
size_t kheap_usable_size(const void *ptr);

struct kheap_stats {
	uint64_t slabs[KHEAP_NCLASSES];   /* slab pages held by each class */
	uint64_t objects[KHEAP_NCLASSES]; /* live objects of each class */
	uint64_t large_blocks;            /* live allocations above 2048 bytes */
	uint64_t large_pages;             /* pages they hold */
};

void kheap_get_stats(struct kheap_stats *st);
void kheap_print_stats(void);

#endif
