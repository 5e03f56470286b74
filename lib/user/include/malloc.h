/* The LibOS heap: malloc, free, calloc, realloc on pages the LibOS maps (vm.h) from
 * VM_HEAP_VA upwards.  A first-fit free list in address order, split on allocation and
 * coalesced with both neighbours on free.  Blocks are 16-byte aligned.  free and realloc
 * check their pointer: one malloc never returned, or a block already freed, ends the env
 * with a panic naming the pointer (not undefined behaviour later). */
#ifndef EXOLAB_MALLOC_H
#define EXOLAB_MALLOC_H

#include <stddef.h>

void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

/* The heap's shape, for tests: bytes mapped, bytes and blocks on the free list. */
struct malloc_stats {
	size_t heap_bytes;
	size_t free_bytes;
	size_t free_blocks;
};
void malloc_stats(struct malloc_stats *st);

#endif
