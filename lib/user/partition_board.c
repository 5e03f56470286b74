/* The partition board (partition.h, docs/partitions.md "The board"): a region the shell
 * allocates at start-up and spawn hands to every child, so that a host program (l2fwd,
 * blkclient) can keep its partition's area where a shell-typed fpstat maps it.  No new
 * kernel name: the board is a dma_alloc region (the one kind of multi-page region a program
 * can make) named by a capability, an entry's area a region derived from it. */
#include <stdint.h>

#include "abi/cap.h"
#include "abi/core.h"
#include "abi/dev.h"
#include "libos.h"
#include "partition.h"
#include "usyscall.h"

#define PAGE 4096ull
/* Read, write, map, hand on; no PHYS: no device is meant to reach the board. */
#define BOARD_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_GRANT | CAP_R_DERIVE)

static struct part_board *mapped;

_Static_assert(sizeof(struct part_board) <= PAGE, "the directory is one page");
_Static_assert(1 + PART_BOARD_ENTRIES * PART_BOARD_AREA <= PART_BOARD_PAGES, "board size");

long
part_board_create(void)
{
	long s;

	if (part_board_slot() != 0)
		return 0;
	if ((s = slot_alloc()) < 0)
		return s;
	if (sys_dma_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, PART_BOARD_PAGES, ABI_DMA_WB,
	                  BOARD_RIGHTS) < 0) {
		slot_free((uint64_t)s);
		return E_NOMEM;
	}
	part_board_received((uint64_t)s);
	if (part_board_map() == NULL) {
		sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		part_board_received(0);
		return E_INVAL;
	}
	return PART_BOARD_PAGES;
}

/* The creator writes the magic and the size; the region came zeroed (dma_alloc). */
struct part_board *
part_board_map(void)
{
	struct part_board *b = (struct part_board *)PART_BOARD_VA;
	uint64_t s = part_board_slot();

	if (mapped != NULL || s == 0)
		return mapped;
	if (sys_region_map(s, ABI_SLOT_SELF, PART_BOARD_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		return NULL;
	if (b->magic == 0) {
		b->nent = PART_BOARD_ENTRIES;
		__atomic_store_n(&b->magic, PART_BOARD_MAGIC, __ATOMIC_RELEASE);
	}
	if (__atomic_load_n(&b->magic, __ATOMIC_ACQUIRE) != PART_BOARD_MAGIC ||
	    b->nent != PART_BOARD_ENTRIES) {
		sys_unmap(ABI_SLOT_SELF, PART_BOARD_VA);
		return NULL;
	}
	return mapped = b;
}

struct part_ctl *
part_board_area(const struct part_board *b, unsigned i)
{
	return (struct part_ctl *)((uintptr_t)b + (1 + (uint64_t)i * PART_BOARD_AREA) * PAGE);
}

int
part_board_on_core(uint64_t runner, unsigned cpu)
{
	struct abi_core_stat st;

	return runner != 0 && sys_core_stat(cpu, &st) == 0 && st.owner == runner;
}

/* A host that dies cannot clear its entry; its parent is the one env that can tell (it holds
 * the host's env capability), so each shell sweeps the entries of the hosts it started.
 * Only LIVE ones: a TAKEN entry's fields are still being written (a host that dies in those
 * few calls leaves its entry TAKEN: unused, never shown as live). */
void
part_board_sweep(int (*gone)(uint64_t envid))
{
	struct part_board *b = part_board_map();
	uint64_t me = sys_env_id();

	if (b == NULL)
		return;
	for (unsigned i = 0; i < PART_BOARD_ENTRIES; i++) {
		struct part_board_ent *e = &b->ent[i];
		uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);

		if (st != PART_BOARD_LIVE || e->parent != me || !gone(e->host))
			continue;
		__atomic_compare_exchange_n(&e->state, &st, PART_BOARD_ENDED, false,
		                            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}
