/* Backtraces: walks the chain of saved rbp values that -fno-omit-frame-pointer keeps on
 * every kernel stack, and names each return address with the kernel symbol table. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"
#include "console.h"
#include "kerninfo.h"

/* Every kernel frame is: [rbp] = caller's rbp, [rbp+8] = return address into the caller,
 * [rbp+16...] = arguments the caller passed on the stack (SysV x86-64 ABI 3.2.2). */
#define FRAME_WORDS 5
#define MAX_FRAMES  64           /* a deeper chain is corrupt or cyclic */
#define MAX_STACKS  (4 * 64 + 8) /* 4 per CPU (kernel, #DF, NMI, #MC) and spares */

struct stack_range {
	uint64_t lo, hi;
};

static struct stack_range stacks[MAX_STACKS];
static unsigned nstacks;

bool
backtrace_add_stack(uint64_t lo, uint64_t hi)
{
	if (nstacks == MAX_STACKS || lo >= hi)
		return false;
	stacks[nstacks++] = (struct stack_range){ lo, hi };
	return true;
}

/* The stack holding the whole frame at rbp, or NULL.  Anything else (0, non-canonical,
 * unaligned, a user address, a wild pointer) ends the walk: it could fault. */
static const struct stack_range *
frame_stack(uint64_t rbp)
{
	static const struct stack_range boot = {
		(uint64_t)kern_bootstack_bottom,
		(uint64_t)kern_bootstack_top,
	};
	unsigned i;

	if (rbp & 7)
		return NULL;
	if (rbp >= boot.lo && rbp + FRAME_WORDS * 8 <= boot.hi)
		return &boot;
	for (i = 0; i < nstacks; i++)
		if (rbp >= stacks[i].lo && rbp + FRAME_WORDS * 8 <= stacks[i].hi)
			return &stacks[i];
	return NULL;
}

/* `rip` is the exact pc for the trapped frame, a return address for every other one: a
 * return address can be one past a noreturn function's final call, so it is looked up one
 * byte earlier to name the function that made the call. */
static void
print_frame(uint64_t rbp, uint64_t rip, bool is_return)
{
	const uint64_t *frame = (const uint64_t *)rbp;
	const char *name;
	uint64_t off = 0;

	name = ksym_lookup(is_return ? rip - 1 : rip, &off);
	if (name != NULL && is_return)
		off++;
	printf("  rbp %016lx rip %016lx %s+0x%lx args %016lx %016lx %016lx\n", rbp, rip,
	       name ? name : "??", off, frame[2], frame[3], frame[4]);
}

/* Prints the frame at rbp, executing at rip, and every caller above it. */
static void
walk(uint64_t rbp, uint64_t rip, bool is_return)
{
	/* LAB 1: print each frame with print_frame(), following the saved rbp and return
	 * address, until frame_stack() rejects the frame; never follow a chain that does not
	 * move up its stack, and stop after MAX_FRAMES. */
	/* BEGIN LAB 1 */
	const struct stack_range *st;
	unsigned n;

	for (n = 0; n < MAX_FRAMES && (st = frame_stack(rbp)) != NULL; n++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t next = frame[0];

		print_frame(rbp, rip, is_return);
		/* Callers' frames are at higher addresses; on the same stack a saved rbp that
		 * does not grow is corrupt and would loop. */
		if (next >= st->lo && next < st->hi && next <= rbp)
			break;
		rip = frame[1];
		rbp = next;
		is_return = true;
	}
	/* END LAB 1 */
	/* STUB LAB 1: (void)rbp; (void)rip; (void)is_return; (void)print_frame; */
}

void
backtrace_print_at(uint64_t rbp, uint64_t rip)
{
	walk(rbp, rip, false);
}

void
backtrace_print(uint64_t rbp)
{
	const uint64_t *frame = (const uint64_t *)rbp;

	if (frame_stack(rbp) != NULL)
		walk(frame[0], frame[1], true);
}

__attribute__((noinline)) void
backtrace_here(void)
{
	backtrace_print((uint64_t)__builtin_frame_address(0));
}
