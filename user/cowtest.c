/* cowtest: copy-on-write isolation of fork.  Before forking, the parent writes 'P' into a
 * data page, a bss page, a heap page (from malloc) and a stack buffer, and maps a page it
 * shares with its children (VM_SHARE) for the handshake.  After the fork the parent writes
 * 'Q' everywhere and only then lets the child look: the child must still see 'P'.  The
 * child writes 'C' and lets the parent look: the parent must still see 'Q'.  Both count the
 * copies fork's fault handler made for their writes (one per page, none for a second write).
 * The parent's wait gets the child's exit status.  Two more children take the default path:
 * a write to read-only data and a read of an unmapped page end them with the kernel's
 * normal page-fault line (wait says WAIT_KILLED), and the parent goes on. */
#include <stdint.h>

#include "fork.h"
#include "libos.h"
#include "malloc.h"
#include "usyscall.h"
#include "vm.h"
#include "xstring.h"

#define PAGE         ABI_PAGE_SIZE
#define SHARED_VA    0x0000500000000000ull /* the handshake page, VM_SHARE */
#define UNMAPPED     0x0000510000000000ull /* never mapped */
#define MAX_YIELDS   1000000
#define SURVIVED     99
#define CHILD_STATUS 42              /* the checking child's exit status when all went well */
#define DEEP         (8 * (int)PAGE) /* deep_stack's buffer */

static char data_page[PAGE] __attribute__((aligned(PAGE))) = { 'I' };
static char bss_page[PAGE] __attribute__((aligned(PAGE)));
static const char ro_word[16] = "read-only";
static char *block;     /* malloc's, three pages */
static char *heap_page; /* a whole page inside it */
static volatile uint64_t *phase = (volatile uint64_t *)SHARED_VA;
static const char *who = "";
static int nfailed;

static void
check(int ok, const char *what)
{
	nfailed += !ok;
	printf("cowtest%s: %s %s\n", who, what, ok ? "OK" : "FAIL");
}

/* Waits (yielding) until the shared phase word is at least `want`. */
static int
await(uint64_t want)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (*phase >= want)
			return 1;
		sys_yield();
	}
	return 0;
}

static void
fill(char *stack_buf, char c)
{
	data_page[0] = c;
	bss_page[0] = c;
	heap_page[0] = c;
	stack_buf[0] = c;
}

static int
all(const char *stack_buf, char c)
{
	return data_page[0] == c && bss_page[0] == c && heap_page[0] == c && stack_buf[0] == c;
}

/* Writes the data, bss and heap pages (each once more, too); the copies made for them. */
static uint64_t
copies_for_writes(char c)
{
	struct fork_stats a, b, d;

	fork_stats(&a);
	data_page[1] = c;
	bss_page[1] = c;
	heap_page[1] = c;
	fork_stats(&b);
	data_page[2] = c;
	bss_page[2] = c;
	heap_page[2] = c;
	fork_stats(&d);
	if (d.cow_copies != b.cow_copies)
		return 0; /* a second write faulted: never right */
	return b.cow_copies - a.cow_copies;
}

static void
child(char *stack_buf)
{
	void *mine;

	who = "[child]";
	if (!await(1)) {
		check(0, "sync: the parent's go-ahead came");
		exit(1);
	}
	check(data_page[0] == 'P', "iso: the parent's write to data after fork is invisible");
	check(bss_page[0] == 'P', "iso: the parent's write to bss after fork is invisible");
	check(heap_page[0] == 'P', "iso: the parent's write to the heap after fork is invisible");
	check(stack_buf[0] == 'P', "iso: the parent's write to its stack after fork is invisible");
	check(copies_for_writes('C') == 3, "count: one copy per page written, none on a rewrite");
	fill(stack_buf, 'C');
	check(all(stack_buf, 'C'), "iso: the child reads back its own writes");
	mine = malloc(100);
	free(block); /* the child's copy of it */
	check(mine != NULL, "heap: the child allocates and frees in its copy of the heap");
	*phase = 2;
	exit(nfailed ? 1 : CHILD_STATUS);
}

/* Writes and reads back DEEP bytes of stack, far below where fork found the stack: the
 * first fork made those loader pages demand-zero, so the handler fills them now (the top
 * few pages of the buffer may have been in use already). */
static __attribute__((noinline)) void
deep_stack(void)
{
	struct fork_stats a, b;
	volatile char deep[DEEP];
	int ok = 1;

	fork_stats(&a);
	for (int i = 0; i < DEEP; i += 512)
		deep[i] = (char)(i / 512 + 1);
	for (int i = 0; i < DEEP; i += 512)
		ok &= deep[i] == (char)(i / 512 + 1);
	fork_stats(&b);
	check(ok && b.zero_fills - a.zero_fills >= DEEP / PAGE / 2,
	      "zero: the stack's untouched pages are filled on demand");
}

/* A child that must die on its first fault: `how` says what it touches. */
static void
doomed(const char *how, const char *what)
{
	long id = fork();
	int status = 0;

	if (id == 0) {
		who = "[doomed]";
		if (strcmp(how, "write") == 0) {
			printf("cowtest[doomed]: write 0x%lx (read-only data)\n",
			       (unsigned long)(uintptr_t)ro_word);
			*(volatile char *)ro_word = 'x';
		} else {
			printf("cowtest[doomed]: read 0x%lx (unmapped)\n", (unsigned long)UNMAPPED);
			(void)*(volatile char *)UNMAPPED;
		}
		*phase = SURVIVED;
		exit(0);
	}
	check(id > 0 && wait(id, &status) == 0 && status == WAIT_KILLED && *phase != SURVIVED,
	      what);
}

int
main(int argc, char **argv)
{
	char stack_buf[64];
	int status = -2;
	long id;

	printf("cowtest: env 0x%lx\n", (unsigned long)sys_env_id());
	block = malloc(3 * PAGE);
	heap_page = (char *)(((uintptr_t)block + PAGE - 1) & ~(PAGE - 1));
	check(block != NULL && vm_page_alloc(SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0 &&
	          vm_share(SHARED_VA) == 0,
	      "setup: a heap block and a shared page");
	fill(stack_buf, 'P');
	id = fork();
	check(id >= 0, "setup: fork gives the parent a child id");
	if (id < 0)
		return 1;
	if (id == 0)
		child(stack_buf);
	check(copies_for_writes('Q') == 3, "count: one copy per page written, none on a rewrite");
	fill(stack_buf, 'Q');
	*phase = 1;
	if (!await(2))
		check(0, "sync: the child finished");
	check(data_page[0] == 'Q', "iso: the child's write to data is invisible");
	check(bss_page[0] == 'Q', "iso: the child's write to bss is invisible");
	check(heap_page[0] == 'Q', "iso: the child's write to the heap is invisible");
	check(stack_buf[0] == 'Q', "iso: the child's write to its stack is invisible");
	check(wait(id, &status) == 0, "wait: the child ended and was waited for");
	check(status == CHILD_STATUS, "wait: the child's exit status comes back");
	check(wait(id, NULL) == E_NOENT, "wait: a child cannot be waited for twice");
	free(block);
	check(1, "heap: the parent frees its block after the child freed its copy");
	*phase = 0;
	deep_stack();
	doomed("write", "kill: a write to read-only data ends the child");
	doomed("read", "kill: a read of an unmapped page ends the child");
	printf("cowtest: %d checks failed\n", nfailed);
	return nfailed ? 1 : 0;
}
