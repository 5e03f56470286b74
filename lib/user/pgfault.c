/* The LibOS page-fault handler registration: maps the exception stack once, remembers the C
 * handler for the trampoline (upcall.S) and points the kernel's upcall at the trampoline. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "pgfault.h"
#include "usyscall.h"

_Static_assert(offsetof(struct abi_fault, regs) == PGFAULT_REGS, "pgfault.h offsets");
_Static_assert(offsetof(struct abi_fault, regs.rip) == PGFAULT_RIP, "pgfault.h offsets");
_Static_assert(offsetof(struct abi_fault, regs.rsp) == PGFAULT_RSP, "pgfault.h offsets");
_Static_assert(offsetof(struct abi_fault, regs.rflags) == PGFAULT_RFLAGS, "pgfault.h offsets");
_Static_assert(offsetof(struct abi_regs, r15) == 14 * 8, "upcall.S reads the registers in order");

/* The handler upcall.S calls (not static: the trampoline names it). */
pgfault_handler_fn pgfault_current;

static bool xstack_mapped;

static int
xstack_map(void)
{
	long slot = slot_alloc();
	long r;

	if (slot < 0)
		return (int)slot;
	r = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP);
	if (r >= 0) {
		r = sys_map(ABI_SLOT_SELF, (uint64_t)slot, ABI_UXSTACK_TOP - ABI_UXSTACK_SIZE,
		            ABI_PERM_R | ABI_PERM_W);
		if (r < 0)
			sys_cap_delete((uint64_t)slot);
	}
	if (r < 0) {
		slot_free((uint64_t)slot);
		return (int)r;
	}
	/* The capability stays in its slot for as long as the env lives. */
	xstack_mapped = true;
	return 0;
}

int
pgfault_set_handler(pgfault_handler_fn fn)
{
	int err;

	if (fn == NULL)
		return E_INVAL;
	if (!xstack_mapped && (err = xstack_map()) < 0)
		return err;
	/* Before the upcall is set: a fault right after must find its handler. */
	pgfault_current = fn;
	return (int)sys_env_set_upcall(ABI_SLOT_SELF, (uintptr_t)pgfault_upcall, ABI_UXSTACK_TOP);
}
