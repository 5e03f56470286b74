/* malloctest: the LibOS heap (lib/user/malloc.c).  Allocation patterns (alignment, no
 * overlap, contents kept), free and coalescing (everything freed leaves one free block,
 * which then holds a block as big as the heap without growing it), calloc and realloc, and
 * the input checks: a double free, a pointer malloc never returned and one into the middle
 * of a block each end a child ("malloctest double|foreign|interior") with the LibOS's
 * panic line, while the parent goes on. */
#include <stdint.h>

#include "libos.h"
#include "malloc.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define NBLOCKS    96
#define CHILD_PAGE 16 /* quota pages for each bad-free child */
#define MAX_YIELDS 10000000

static unsigned char *blocks[NBLOCKS];
static size_t sizes[NBLOCKS];
static int nfailed;

static void
check(int ok, const char *what)
{
	nfailed += !ok;
	printf("malloctest: %s %s\n", what, ok ? "OK" : "FAIL");
}

static size_t
size_of(int i)
{
	return (size_t)(1 + (i * 397) % 2000);
}

static int
allocate_all(void)
{
	int ok = 1;

	for (int i = 0; i < NBLOCKS; i++) {
		sizes[i] = size_of(i);
		blocks[i] = malloc(sizes[i]);
		if (blocks[i] == NULL || ((uintptr_t)blocks[i] & 15))
			return 0;
		memset(blocks[i], i, sizes[i]);
	}
	for (int i = 0; i < NBLOCKS; i++)
		for (size_t j = 0; j < sizes[i]; j++)
			ok &= blocks[i][j] == (unsigned char)i;
	return ok;
}

static void
patterns(void)
{
	struct malloc_stats st, st2;
	unsigned char *big, *p, *q;
	int zero = 1;

	check(allocate_all(), "alloc: 96 blocks of 1..2000 bytes, 16-aligned, none overlaps");
	for (int i = 0; i < NBLOCKS; i += 2) /* every other one first: no neighbours free */
		free(blocks[i]);
	malloc_stats(&st);
	check(st.free_blocks >= NBLOCKS / 2, "free: freed blocks between used ones stay apart");
	for (int i = 1; i < NBLOCKS; i += 2)
		free(blocks[i]);
	malloc_stats(&st);
	check(st.free_blocks == 1 && st.free_bytes == st.heap_bytes,
	      "coalesce: with everything freed the heap is one free block");
	big = malloc(st.heap_bytes - 16);
	malloc_stats(&st2);
	check(big != NULL && st2.heap_bytes == st.heap_bytes && st2.free_blocks == 0,
	      "coalesce: a block as big as the heap fits without growing it");
	memset(big, 0xa5, 256);
	free(big);
	p = calloc(16, 16);
	for (int i = 0; p != NULL && i < 256; i++)
		zero &= p[i] == 0;
	check(p != NULL && zero, "calloc: a reused block comes back zeroed");
	check(calloc(SIZE_MAX / 8, 16) == NULL, "calloc: n * size overflowing is refused");
	check(malloc(SIZE_MAX - 8) == NULL, "alloc: an impossible size gives NULL");
	q = malloc(24);
	memcpy(q, "twenty-three characters", 24);
	check(realloc(q, 8) == q, "realloc: shrinking keeps the block");
	q = realloc(q, 5000);
	check(q != NULL && memcmp(q, "twenty-three characters", 24) == 0,
	      "realloc: growing keeps the contents");
	free(q);
	free(p);
	free(NULL);
	malloc_stats(&st);
	check(st.free_blocks == 1 && st.free_bytes == st.heap_bytes,
	      "coalesce: after calloc and realloc everything is one free block again");
}

/* One bad free in a child of its own: the child's panic line is the check. */
static void
bad(const char *how)
{
	char cmd[32];
	long slot = slot_alloc();
	int len = fmt_snprintf(cmd, sizeof(cmd), "malloctest %s", how);

	if (slot < 0 ||
	    sys_spawn(cmd, (size_t)len, (uint64_t)slot, ABI_SLOT_UNTYPED, CHILD_PAGE) < 0) {
		check(0, "bad: spawn a child for a bad free");
		return;
	}
	check(env_wait_dead((uint64_t)slot, MAX_YIELDS) == 0,
	      "bad: the child with a bad free ended");
	sys_cap_delete((uint64_t)slot);
	slot_free((uint64_t)slot);
}

static void
bad_child(const char *how)
{
	char *p = malloc(64);
	static char not_heap[32];

	printf("malloctest[%s]: freeing a bad pointer\n", how);
	if (strcmp(how, "double") == 0) {
		free(p);
		free(p);
	} else if (strcmp(how, "foreign") == 0) {
		free(not_heap + 16);
	} else {
		free(p + 16);
	}
	printf("malloctest[%s]: survived: FAIL\n", how);
	exit(1);
}

int
main(int argc, char **argv)
{
	if (argc == 2) {
		bad_child(argv[1]);
		return 1;
	}
	patterns();
	bad("double");
	bad("foreign");
	bad("interior");
	printf("malloctest: %d checks failed\n", nfailed);
	return nfailed ? 1 : 0;
}
