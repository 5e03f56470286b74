/* The partition board's capability slot in this env (partition.h, docs/partitions.md "The
 * board"): the shell's own, or the copy spawn gave this env.  Apart from partition_board.c
 * so that spawn, which every program links, pulls in nothing more. */
#include <stdint.h>

#include "partition.h"

static uint64_t board_slot;

uint64_t
part_board_slot(void)
{
	return board_slot;
}

void
part_board_received(uint64_t slot)
{
	board_slot = slot;
}
