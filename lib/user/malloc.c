/* The LibOS heap (malloc.h).  Every block, used or free, starts with a 16-byte header: its
 * size (header included, a multiple of 16) and a magic word saying which it is.  Free blocks
 * also carry the next free block's address after the header; the free list is kept in
 * address order, so free can merge a block with the free blocks right before and after it.
 * The heap grows a page run at a time at its top (vm_page_alloc), and never shrinks. */
#include <stdint.h>

#include "libos.h"
#include "malloc.h"
#include "vm.h"
#include "xstring.h"

#define ALIGN      16
#define MIN_BLOCK  32                    /* header + the free-list link, rounded to ALIGN */
#define MAGIC_USED 0x6465737561657068ull /* "heapused" */
#define MAGIC_FREE 0x6565726661657068ull /* "heapfree" */
#define PAGE       ABI_PAGE_SIZE

struct block {
	uint64_t size;
	uint64_t magic;
	struct block *next; /* free blocks only */
};

#define HDR sizeof(uint64_t[2])

static struct block *free_list;
static uint64_t heap_end = VM_HEAP_VA; /* first unmapped heap address */

static struct block *
header(void *p)
{
	return (struct block *)((char *)p - HDR);
}

/* Adds b to the free list in address order, merging it with its neighbours. */
static void
insert_free(struct block *b)
{
	struct block *prev = NULL, *next = free_list;

	while (next != NULL && next < b)
		prev = next, next = next->next;
	b->magic = MAGIC_FREE;
	b->next = next;
	if (next != NULL && (char *)b + b->size == (char *)next) {
		b->size += next->size;
		b->next = next->next;
	}
	if (prev != NULL && (char *)prev + prev->size == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	} else if (prev != NULL) {
		prev->next = b;
	} else {
		free_list = b;
	}
}

/* Maps enough new pages for a block of `need` bytes and frees them into the list. */
static int
grow(uint64_t need)
{
	uint64_t bytes = (need + PAGE - 1) & ~(PAGE - 1);
	struct block *b = (struct block *)heap_end;
	int err;

	if (bytes > VM_HEAP_MAX - (heap_end - VM_HEAP_VA))
		return E_NOMEM;
	for (uint64_t off = 0; off < bytes; off += PAGE) {
		if ((err = vm_page_alloc(heap_end + off, ABI_PERM_R | ABI_PERM_W)) < 0) {
			while (off > 0)
				vm_page_free(heap_end + (off -= PAGE));
			return err;
		}
	}
	heap_end += bytes;
	b->size = bytes;
	insert_free(b);
	return 0;
}

void *
malloc(size_t size)
{
	uint64_t need;
	struct block **pp, *b;

	if (size > VM_HEAP_MAX)
		return NULL;
	need = (size + HDR + ALIGN - 1) & ~(uint64_t)(ALIGN - 1);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (;;) {
		for (pp = &free_list; (b = *pp) != NULL; pp = &b->next) {
			if (b->size < need)
				continue;
			if (b->size - need >= MIN_BLOCK) {
				struct block *rest = (struct block *)((char *)b + need);

				rest->size = b->size - need;
				rest->magic = MAGIC_FREE;
				rest->next = b->next;
				*pp = rest;
				b->size = need;
			} else {
				*pp = b->next;
			}
			b->magic = MAGIC_USED;
			return (char *)b + HDR;
		}
		if (grow(need) < 0)
			return NULL;
	}
}

/* The header of the used block p, after checking that p is one. */
static struct block *
checked(void *p, const char *who)
{
	uint64_t a = (uint64_t)p;
	struct block *b;

	if (a < VM_HEAP_VA + HDR || a >= heap_end || (a & (ALIGN - 1)))
		panic("%s: %p is not a pointer malloc returned", who, p);
	b = header(p);
	if (b->magic == MAGIC_FREE)
		panic("%s: %p was already freed (double free)", who, p);
	if (b->magic != MAGIC_USED || b->size < MIN_BLOCK || (b->size & (ALIGN - 1)) ||
	    b->size > heap_end - (uint64_t)b)
		panic("%s: %p is not a pointer malloc returned", who, p);
	return b;
}

void
free(void *p)
{
	if (p != NULL)
		insert_free(checked(p, "free"));
}

void *
calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > VM_HEAP_MAX / size)
		return NULL;
	if ((p = malloc(n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

void *
realloc(void *p, size_t size)
{
	struct block *b;
	void *q;

	if (p == NULL)
		return malloc(size);
	b = checked(p, "realloc");
	if (size + HDR <= b->size)
		return p;
	if ((q = malloc(size)) == NULL)
		return NULL;
	memcpy(q, p, b->size - HDR);
	free(p);
	return q;
}

void
malloc_stats(struct malloc_stats *st)
{
	*st = (struct malloc_stats){ .heap_bytes = heap_end - VM_HEAP_VA };
	for (struct block *b = free_list; b != NULL; b = b->next) {
		st->free_bytes += b->size;
		st->free_blocks++;
	}
}
