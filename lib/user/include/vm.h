/* The LibOS's record of its own address space.  The kernel shows user space no page tables,
 * so the LibOS keeps one record per page it maps: the address, the capability slot of the
 * frame and the permissions it asked for.  Copy-on-write fork (fork.c) walks these records
 * to share pages with a child and reads them in its page-fault handler; the heap
 * (malloc.c) maps its pages through them.  Pages mapped with a raw sys_map are not
 * recorded, and so are not inherited by fork.
 *
 * The records live in their own region (VM_TABLE_VA), in pages the table itself records:
 * fork shares them copy-on-write like any other page, so a child starts with the parent's
 * records, and the capability slots they name hold the same frames in the child (fork
 * copies each capability into the child's table at the same slot number). */
#ifndef EXOLAB_VM_H
#define EXOLAB_VM_H

#include <stdint.h>

#include "abi/cap.h"
#include "abi/memlayout.h"

/* LibOS regions, clear of the program image (ABI_UTEXT...), the ramdisk window
 * (ABI_INITRD_VA) and the stacks (ABI_UXSTACK_TOP and above). */
#define VM_HEAP_VA     0x0000600000000000ull /* malloc's pages grow up from here */
#define VM_HEAP_MAX    (64ull << 20)         /* bytes */
#define VM_TABLE_VA    0x00007fffc0000000ull /* the records */
#define VM_TABLE_PAGES 8
#define VM_TEMP_VA     0x00007fffd0000000ull /* a scratch window for LibOS code */
#define VM_WAIT_VA     0x00007fffd0002000ull /* this env's children's exit statuses */
#define VM_HANDOFF_VA  0x00007fffd0003000ull /* a spawned program's fds from its parent */
#define VM_PIPE_VA     0x00007fffd0100000ull /* pipe pages, one per pipe (pipe.c) */
/* The parent's status page, where exit reports: below the exception stack with an unmapped
 * guard page between, in the page table the exception stack already needs. */
#define VM_PARENT_WAIT_VA (ABI_UXSTACK_TOP - 3 * ABI_PAGE_SIZE)
/* The page-fault handler's own scratch window, in the same page table as the exception stack
 * it runs on: mapping it never allocates a table, and unmapping it never empties (and so
 * frees) one.  In a table of its own it cost a table's allocation, zeroing, charge and free
 * at every copy-on-write fault (fork+exit+wait: 112,256 -> 107,524 instructions). */
#define VM_COW_TEMP_VA (ABI_UXSTACK_TOP - 4 * ABI_PAGE_SIZE)

/* Frames the LibOS allocates carry every right a page's life can need: mapped RW or RX,
 * and copied (GRANT) into a child's table by fork. */
#define VM_FRAME_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_EXEC | CAP_R_MAP | CAP_R_GRANT)

/* Record flags. */
#define VM_COW                                                                                     \
	0x1 /* writable, but shared copy-on-write since a fork: mapped read-only                   \
	     * until the first write fault copies it (stays set after the copy:                    \
	     * the page is then mapped writable and never write-faults again) */
#define VM_ZERO                                                                                    \
	0x2          /* demand-zero: nothing mapped yet, and the slot is empty; the first          \
	              * touch maps a zeroed frame (the unused part of the loader's stack) */
#define VM_SHARE 0x4 /* shared writable with children: fork maps the same frame in both */

struct vm_rec {
	uint64_t va;   /* page aligned */
	uint32_t slot; /* the frame's capability slot (reserved but empty while VM_ZERO) */
	uint8_t perm;  /* ABI_PERM_* the owner asked for (without copy-on-write) */
	uint8_t flags; /* VM_* */
	uint16_t pad;
};

/* The table: a header, then the records, in the pages at VM_TABLE_VA. */
struct vm_table {
	uint64_t n;      /* records in use */
	uint64_t npages; /* table pages mapped */
	struct vm_rec rec[];
};

#define VM_TABLE ((struct vm_table *)VM_TABLE_VA)

/* Maps a fresh zeroed frame at va with perm and records it.  0 or a negative E_* code. */
int vm_page_alloc(uint64_t va, uint32_t perm);
/* Unmaps the recorded page at va, deletes its capability and forgets it. */
int vm_page_free(uint64_t va);
/* The record of the page holding va, or NULL. */
struct vm_rec *vm_find(uint64_t va);
/* Records a page already mapped at va from the frame in `slot` (a spawned program's pipe
 * pages, which its parent mapped), VM_SHARE.  0 or a negative E_* code. */
int vm_record_shared(uint64_t va, uint64_t slot, uint32_t perm);
/* Marks the recorded page at va VM_SHARE: children see the parent's writes and back. */
int vm_share(uint64_t va);
/* Takes over the pages the kernel's loader mapped (text, rodata, data, bss, stack): they are
 * held by their mappings alone, with no capability the LibOS could share, so each is copied
 * into a frame of the quota once and recorded; the stack below the live part becomes
 * demand-zero.  The caller must have set fork's page-fault handler, which fills those.
 * Idempotent.  0 or a negative E_* code. */
int vm_adopt_image(void);

/* Copies the page at va to tmp (mapped writable) and maps frame fslot at va with perm, with
 * no stack write in between (lib/user/pagemove.S); the result of sys_map. */
long vm_page_move(uint64_t va, uint64_t tmp, uint64_t fslot, uint64_t perm);

#endif
