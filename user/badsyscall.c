/* badsyscall: calls every system call with out-of-range, null, kernel, non-canonical and
 * unaligned arguments; each must fail with an error code (the exact one where the ABI fixes
 * it) and leave the kernel intact.  One line per case:
 *   badsyscall: <call>(<args>) = <result> OK|FAIL */
#include <stdbool.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define ANY_ERROR 1 /* the ABI leaves the code open: any negative result passes */

/* Physical 1 MiB (RAM on every PC) where abi/memlayout.h says the kernel maps all memory:
 * a present page, but the kernel's only. */
#define KERNEL_VA    (ABI_KERNEL_BASE + 0x100000)
#define NONCANON_VA  0x0000800000000000ull /* first address past the lower canonical half */
#define GUARD_VA     (ABI_USTACK_TOP - (ABI_USTACK_PAGES + 1) * ABI_PAGE_SIZE)
#define FREE_VA      0x10000000ull        /* page aligned, never mapped by this program */
#define SLOT_HIGH(s) ((1ull << 32) | (s)) /* in range only if truncated to 32 bits */
#define BAD_RIGHT    (CAP_R_ALL + 1)      /* the lowest bit outside CAP_R_ALL */

/* The slots the cases name: a frame (all rights), the same frame without PHYS, a child
 * env that never runs, the same env without SCHED, two empty slots, and the table's size
 * (the first slot out of range). */
static uint64_t frame, frame_nophys, child, child_nosched, empty, empty2, nslots;
/* IPC: an endpoint (all rights), receive-only and send-only copies of it, a notification,
 * a wait-only copy of it, and the frame without GRANT. */
static uint64_t ep, ep_ro, ep_wo, ntf, ntf_ro, frame_nogrant;
static int ncases, nfailed;

static const uint64_t read_only_word = 1;

static void
check(long num, int expect, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint64_t args[5] = { a0, a1, a2, a3, a4 };
	unsigned nargs = abi_syscall_nargs((unsigned long)num);
	const char *name = abi_syscall_name((unsigned long)num);
	bool ok;
	long r;

	/* Junk in r9, which no call uses, must not matter. */
	r = syscall6(num, a0, a1, a2, a3, a4, 0xdeadbeefdeadbeefull);
	ok = expect == ANY_ERROR ? r < 0 : r == expect;
	ncases++;
	nfailed += !ok;
	if (strcmp(name, "?") == 0)
		printf("badsyscall: syscall[0x%lx](", (unsigned long)num);
	else
		printf("badsyscall: %s(", name);
	for (unsigned i = 0; i < nargs; i++)
		printf("%s0x%lx", i ? ", " : "", (unsigned long)args[i]);
	printf(") = %ld%s%s %s", r, r < 0 ? " " : "", r < 0 ? error_name((int)r) : "",
	       ok ? "OK" : "FAIL");
	if (!ok)
		printf(" (want %s)", expect == ANY_ERROR ? "an error" : error_name(expect));
	printf("\n");
	/* A call that wrongly succeeded may have filled `empty`: empty it for the next case. */
	if (r >= 0) {
		sys_env_destroy(empty);
		sys_cap_delete(empty);
	}
}

static void
bad_numbers_and_console(void)
{
	char buf[16] = "0123456789abcdef";
	uint64_t b = (uintptr_t)buf;

	check(SYS_NCALLS, E_NOSYS, 0, 0, 0, 0, 0);
	check(-1, E_NOSYS, 0, 0, 0, 0, 0);
	check((long)SLOT_HIGH(SYS_null), E_NOSYS, 0, 0, 0, 0, 0);
	check(SYS_cputs, E_FAULT, 0, 16, 0, 0, 0);
	check(SYS_cputs, E_FAULT, KERNEL_VA, 16, 0, 0, 0);
	check(SYS_cputs, E_FAULT, NONCANON_VA, 16, 0, 0, 0);
	check(SYS_cputs, E_FAULT, GUARD_VA, 16, 0, 0, 0);
	check(SYS_cputs, E_FAULT, ABI_USER_END - 8, 16, 0, 0, 0);
	check(SYS_cputs, E_FAULT, ABI_USTACK_TOP - 8, 16, 0, 0, 0);
	check(SYS_cputs, ANY_ERROR, b, ABI_CPUTS_MAX + 1, 0, 0, 0);
	check(SYS_cputs, ANY_ERROR, b, ~0ull, 0, 0, 0);
}

static void
bad_frames(void)
{
	uint64_t u = ABI_SLOT_UNTYPED;

	check(SYS_frame_alloc, E_INVAL, 0, empty, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_RANGE, nslots, empty, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_RANGE, SLOT_HIGH(u), empty, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_NOENT, empty2, empty, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_INVAL, ABI_SLOT_SELF, empty, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_INVAL, u, 0, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_RANGE, u, nslots, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_EXIST, u, frame, CAP_R_ALL, 0, 0);
	check(SYS_frame_alloc, E_INVAL, u, empty, CAP_R_ALL | BAD_RIGHT, 0, 0);
	check(SYS_frame_phys, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_frame_phys, E_RANGE, nslots, 0, 0, 0, 0);
	check(SYS_frame_phys, E_NOENT, empty, 0, 0, 0, 0);
	check(SYS_frame_phys, E_INVAL, ABI_SLOT_SELF, 0, 0, 0, 0);
	check(SYS_frame_phys, E_PERM, frame_nophys, 0, 0, 0, 0);
}

static void
bad_mappings(void)
{
	uint64_t self = ABI_SLOT_SELF, r = ABI_PERM_R;
	uint64_t text = ABI_UTEXT;

	check(SYS_map, E_ALIGN, self, frame, FREE_VA + 1, r, 0);
	check(SYS_map, ANY_ERROR, self, frame, 0, r, 0);
	check(SYS_map, ANY_ERROR, self, frame, KERNEL_VA, r, 0);
	check(SYS_map, ANY_ERROR, self, frame, NONCANON_VA, r, 0);
	check(SYS_map, ANY_ERROR, self, frame, ABI_USER_END, r, 0);
	check(SYS_map, ANY_ERROR, self, frame, FREE_VA, 0, 0);
	check(SYS_map, ANY_ERROR, self, frame, FREE_VA, ABI_PERM_ALL, 0);
	check(SYS_map, ANY_ERROR, self, frame, FREE_VA, r | 0x80, 0);
	check(SYS_map, E_NOENT, self, empty, FREE_VA, r, 0);
	check(SYS_map, E_RANGE, self, nslots, FREE_VA, r, 0);
	check(SYS_map, E_INVAL, self, self, FREE_VA, r, 0);
	check(SYS_map, E_INVAL, frame, frame, FREE_VA, r, 0);
	check(SYS_map, E_RANGE, SLOT_HIGH(self), frame, FREE_VA, r, 0);
	check(SYS_unmap, E_ALIGN, self, FREE_VA + 8, 0, 0, 0);
	check(SYS_unmap, ANY_ERROR, self, KERNEL_VA, 0, 0, 0);
	check(SYS_unmap, ANY_ERROR, self, NONCANON_VA, 0, 0, 0);
	check(SYS_unmap, E_NOENT, self, FREE_VA, 0, 0, 0);
	check(SYS_unmap, E_INVAL, 0, FREE_VA, 0, 0, 0);
	check(SYS_unmap, E_RANGE, nslots, FREE_VA, 0, 0, 0);
	check(SYS_protect, E_ALIGN, self, text + 1, r, 0, 0);
	check(SYS_protect, ANY_ERROR, self, KERNEL_VA, r, 0, 0);
	check(SYS_protect, ANY_ERROR, self, FREE_VA, r, 0, 0);
	check(SYS_protect, ANY_ERROR, self, text, ABI_PERM_ALL, 0, 0);
	check(SYS_protect, ANY_ERROR, self, text, r | 0x80, 0, 0);
}

/* share_pages (46): the batch as a whole, each entry's values, then entry by entry. */
static void
bad_shares(void)
{
	static struct abi_share sh[ABI_SHARE_MAX + 1];
	uint64_t r = ABI_PERM_R, recs = (uintptr_t)sh;
	struct abi_share good = { .va = FREE_VA, .slot = (uint32_t)frame, .perm = (uint16_t)r };

	check(SYS_share_pages, E_INVAL, child, recs, ABI_SHARE_MAX + 1, 0, 0);
	check(SYS_share_pages, E_FAULT, child, KERNEL_VA, 1, 0, 0);
	check(SYS_share_pages, E_FAULT, child, NONCANON_VA, 1, 0, 0);
	check(SYS_share_pages, 0, child, recs, 0, 0, 0);
	sh[0] = good, sh[0].va = FREE_VA + 8;
	check(SYS_share_pages, E_ALIGN, child, recs, 1, 0, 0);
	sh[0] = good, sh[0].va = KERNEL_VA;
	check(SYS_share_pages, E_RANGE, child, recs, 1, 0, 0);
	sh[0] = good, sh[0].perm = ABI_PERM_ALL;
	check(SYS_share_pages, E_INVAL, child, recs, 1, 0, 0);
	sh[0] = good, sh[0].flags = ABI_SHARE_MAPONLY << 1;
	check(SYS_share_pages, E_INVAL, child, recs, 1, 0, 0);
	sh[0] = good;
	check(SYS_share_pages, E_INVAL, frame, recs, 1, 0, 0);
	check(SYS_share_pages, E_RANGE, nslots, recs, 1, 0, 0);
	sh[0].slot = (uint32_t)empty;
	check(SYS_share_pages, E_NOENT, child, recs, 1, 0, 0);
	sh[0].slot = (uint32_t)frame_nogrant;
	check(SYS_share_pages, E_PERM, child, recs, 1, 0, 0);
	/* The child gets the capability and the page; this env maps nothing at FREE_VA. */
	sh[0] = good, sh[0].flags = ABI_SHARE_COW;
	check(SYS_share_pages, E_NOENT, child, recs, 1, 0, 0);
	check(SYS_share_pages, E_EXIST, child, recs, 1, 0, 0);
	/* Map only: no capability goes over, so the occupied slot is no obstacle and GRANT is
	 * not needed; the frame's own rights still are. */
	sh[0] = good, sh[0].slot = (uint32_t)frame_nogrant, sh[0].flags = ABI_SHARE_MAPONLY;
	check(SYS_share_pages, 0, child, recs, 1, 0, 0);
	sh[0].slot = (uint32_t)empty;
	check(SYS_share_pages, E_NOENT, child, recs, 1, 0, 0);
}

static void
bad_envs(void)
{
	struct abi_regs regs;
	uint64_t g = (uintptr_t)&regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = ABI_UTEXT;
	regs.rsp = ABI_USTACK_TOP;
	check(SYS_exofork, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_exofork, E_RANGE, nslots, 0, 0, 0, 0);
	check(SYS_exofork, E_EXIST, frame, 0, 0, 0, 0);
	check(SYS_env_set_status, E_INVAL, child, ENV_FREE, 0, 0, 0);
	check(SYS_env_set_status, E_INVAL, child, ENV_DEAD, 0, 0, 0);
	check(SYS_env_set_status, E_INVAL, child, 99, 0, 0, 0);
	check(SYS_env_set_status, E_INVAL, frame, ENV_RUNNABLE, 0, 0, 0);
	check(SYS_env_set_status, E_RANGE, nslots, ENV_RUNNABLE, 0, 0, 0);
	check(SYS_env_set_regs, E_FAULT, child, 0, 0, 0, 0);
	check(SYS_env_set_regs, E_FAULT, child, KERNEL_VA, 0, 0, 0);
	check(SYS_env_set_regs, E_FAULT, child, GUARD_VA + ABI_PAGE_SIZE - 8, 0, 0, 0);
	check(SYS_env_set_regs, E_RANGE, nslots, g, 0, 0, 0);
	regs.rip = KERNEL_VA;
	check(SYS_env_set_regs, ANY_ERROR, child, g, 0, 0, 0);
	regs.rip = ABI_UTEXT;
	regs.rsp = NONCANON_VA;
	check(SYS_env_set_regs, ANY_ERROR, child, g, 0, 0, 0);
	check(SYS_env_set_upcall, ANY_ERROR, child, KERNEL_VA, ABI_UXSTACK_TOP, 0, 0);
	check(SYS_env_set_upcall, ANY_ERROR, child, NONCANON_VA, ABI_UXSTACK_TOP, 0, 0);
	check(SYS_env_set_upcall, ANY_ERROR, child, ABI_UTEXT, KERNEL_VA, 0, 0);
	check(SYS_env_set_upcall, E_RANGE, nslots, ABI_UTEXT, ABI_UXSTACK_TOP, 0, 0);
	check(SYS_env_destroy, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_env_destroy, E_RANGE, nslots, 0, 0, 0, 0);
	check(SYS_env_destroy, E_NOENT, empty2, 0, 0, 0, 0);
	check(SYS_env_destroy, E_INVAL, frame, 0, 0, 0, 0);
	check(SYS_env_status, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_env_status, E_RANGE, nslots, 0, 0, 0, 0);
	check(SYS_env_status, E_INVAL, frame, 0, 0, 0, 0);
}

static void
bad_caps(void)
{
	uint64_t self = ABI_SLOT_SELF, r = CAP_R_READ;
	struct cap_info ci;
	uint64_t info = (uintptr_t)&ci;

	check(SYS_cap_derive, E_INVAL, frame, self, empty, CAP_R_ALL | BAD_RIGHT, 0);
	check(SYS_cap_derive, E_EXIST, frame, self, frame, r, 0);
	check(SYS_cap_derive, E_RANGE, nslots, self, empty, r, 0);
	check(SYS_cap_derive, E_RANGE, frame, nslots, empty, r, 0);
	check(SYS_cap_derive, E_INVAL, frame, frame, empty, r, 0);
	check(SYS_cap_derive, E_INVAL, frame, self, 0, r, 0);
	check(SYS_cap_derive, E_RANGE, frame, self, nslots, r, 0);
	check(SYS_cap_copy, E_INVAL, 0, self, empty, 0, 0);
	check(SYS_cap_copy, E_NOENT, empty2, self, empty, 0, 0);
	check(SYS_cap_copy, E_EXIST, frame, self, frame, 0, 0);
	check(SYS_cap_copy, E_RANGE, frame, self, SLOT_HIGH(empty), 0, 0);
	check(SYS_cap_revoke, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_cap_revoke, E_RANGE, nslots, 0, 0, 0, 0);
	check(SYS_cap_revoke, E_RANGE, ~0ull, 0, 0, 0, 0);
	check(SYS_cap_revoke, E_NOENT, empty, 0, 0, 0, 0);
	check(SYS_cap_delete, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_cap_delete, E_RANGE, nslots, 0, 0, 0, 0);
	check(SYS_cap_delete, E_NOENT, empty, 0, 0, 0, 0);
	check(SYS_cap_identify, E_FAULT, frame, 0, 0, 0, 0);
	check(SYS_cap_identify, E_FAULT, frame, KERNEL_VA, 0, 0, 0);
	check(SYS_cap_identify, E_FAULT, frame, (uintptr_t)&read_only_word, 0, 0, 0);
	check(SYS_cap_identify, E_FAULT, frame, ABI_ENVINFO_VA, 0, 0, 0);
	check(SYS_cap_identify, E_FAULT, frame, GUARD_VA + ABI_PAGE_SIZE - 8, 0, 0, 0);
	check(SYS_cap_identify, E_RANGE, nslots, info, 0, 0, 0);
}

/* Each case is refused before anything changes: the child's parameters stay the defaults. */
static void
bad_sched(void)
{
	struct abi_sched_params ok = { 0 }, p;
	uint64_t g = (uintptr_t)&p, any = ~0ull;

	p = ok;
	check(SYS_env_set_sched, E_FAULT, child, 0, any, 0, 0);
	check(SYS_env_set_sched, E_FAULT, child, KERNEL_VA, any, 0, 0);
	check(SYS_env_set_sched, E_FAULT, child, NONCANON_VA, any, 0, 0);
	check(SYS_env_set_sched, E_FAULT, child, GUARD_VA + ABI_PAGE_SIZE - 8, any, 0, 0);
	check(SYS_env_set_sched, E_INVAL, 0, g, any, 0, 0);
	check(SYS_env_set_sched, E_RANGE, nslots, g, any, 0, 0);
	check(SYS_env_set_sched, E_RANGE, SLOT_HIGH(child), g, any, 0, 0);
	check(SYS_env_set_sched, E_NOENT, empty2, g, any, 0, 0);
	check(SYS_env_set_sched, E_INVAL, frame, g, any, 0, 0);
	check(SYS_env_set_sched, E_PERM, child_nosched, g, any, 0, 0);
	check(SYS_env_set_sched, E_INVAL, child, g, 0, 0, 0);
	check(SYS_env_set_sched, E_INVAL, child, g, 1ull << 63, 0, 0);
	p.priority = 64;
	check(SYS_env_set_sched, E_INVAL, child, g, any, 0, 0);
	p = ok;
	p.tickets = (1u << 16) + 1;
	check(SYS_env_set_sched, E_INVAL, child, g, any, 0, 0);
	p = ok;
	p.period = 1000000;
	p.deadline = 2000000;
	check(SYS_env_set_sched, E_INVAL, child, g, any, 0, 0);
	p.deadline = 0;
	p.budget = 1000001;
	check(SYS_env_set_sched, E_INVAL, child, g, any, 0, 0);
	p = ok;
	p.budget = 1;
	check(SYS_env_set_sched, E_INVAL, child, g, any, 0, 0);
}

static void
bad_spawns(void)
{
	static const char hello[] = "hello", missing[] = "nosuchprogram";
	uint64_t h = (uintptr_t)hello, u = ABI_SLOT_UNTYPED;

	check(SYS_spawn, E_FAULT, 0, 5, empty, u, 0);
	check(SYS_spawn, E_FAULT, KERNEL_VA, 5, empty, u, 0);
	check(SYS_spawn, ANY_ERROR, h, ABI_CMD_MAX + 1, empty, u, 0);
	check(SYS_spawn, ANY_ERROR, h, 0, empty, u, 0);
	check(SYS_spawn, ANY_ERROR, (uintptr_t)missing, sizeof(missing) - 1, empty, u, 0);
	check(SYS_spawn, E_EXIST, h, 5, frame, u, 0);
	check(SYS_spawn, E_RANGE, h, 5, nslots, u, 0);
	check(SYS_spawn, E_NOMEM, h, 5, empty, u, 1ull << 40);
	check(SYS_spawn, E_INVAL, h, 5, empty, ABI_SLOT_SELF, 1);
}

/* Non-blocking or refused before any wait: no case may block. */
static void
bad_ipc(void)
{
	uint64_t u = ABI_SLOT_UNTYPED, self = ABI_SLOT_SELF, nb = ABI_IPC_NONBLOCK, a = CAP_R_ALL;

	check(SYS_endpoint_alloc, E_INVAL, 0, empty, a, 0, 0);
	check(SYS_endpoint_alloc, E_RANGE, nslots, empty, a, 0, 0);
	check(SYS_endpoint_alloc, E_RANGE, SLOT_HIGH(u), empty, a, 0, 0);
	check(SYS_endpoint_alloc, E_NOENT, empty2, empty, a, 0, 0);
	check(SYS_endpoint_alloc, E_INVAL, self, empty, a, 0, 0);
	check(SYS_endpoint_alloc, E_INVAL, u, 0, a, 0, 0);
	check(SYS_endpoint_alloc, E_EXIST, u, frame, a, 0, 0);
	check(SYS_endpoint_alloc, E_INVAL, u, empty, a | BAD_RIGHT, 0, 0);
	check(SYS_notify_alloc, E_NOENT, empty2, empty, a, 0, 0);
	check(SYS_notify_alloc, E_EXIST, u, frame, a, 0, 0);
	check(SYS_notify_alloc, E_INVAL, u, empty, a | BAD_RIGHT, 0, 0);
	check(SYS_ipc_send, E_INVAL, 0, nb, 0, 0, 0);
	check(SYS_ipc_send, E_RANGE, nslots, nb, 0, 0, 0);
	check(SYS_ipc_send, E_RANGE, SLOT_HIGH(ep), nb, 0, 0, 0);
	check(SYS_ipc_send, E_NOENT, empty, nb, 0, 0, 0);
	check(SYS_ipc_send, E_INVAL, frame, nb, 0, 0, 0);
	check(SYS_ipc_send, E_INVAL, ntf, nb, 0, 0, 0);
	check(SYS_ipc_send, E_PERM, ep_ro, nb, 0, 0, 0);
	check(SYS_ipc_send, E_INVAL, ep, nb | (1ull << 40), 0, 0, 0);
	check(SYS_ipc_send, E_INVAL, ep, ABI_IPC_CALLED, 0, 0, 0);
	check(SYS_ipc_send, E_AGAIN, ep, nb, 1, 2, 3);
	check(SYS_ipc_send, E_NOENT, ep, nb | ABI_IPC_INFO(empty, 0), 0, 0, 0);
	check(SYS_ipc_send, E_RANGE, ep, nb | ABI_IPC_INFO(nslots, 0), 0, 0, 0);
	check(SYS_ipc_send, E_PERM, ep, nb | ABI_IPC_INFO(frame_nogrant, 0), 0, 0, 0);
	check(SYS_ipc_send, E_EXIST, ep, nb | ABI_IPC_INFO(0, frame), 0, 0, 0);
	check(SYS_ipc_recv, E_INVAL, 0, nb, 0, 0, 0);
	check(SYS_ipc_recv, E_NOENT, empty, nb, 0, 0, 0);
	check(SYS_ipc_recv, E_INVAL, frame, nb, 0, 0, 0);
	check(SYS_ipc_recv, E_PERM, ep_wo, nb, 0, 0, 0);
	check(SYS_ipc_recv, E_INVAL, ep, nb | ABI_IPC_INFO(frame, 0), 0, 0, 0);
	check(SYS_ipc_recv, E_INVAL, ep, ~0ull, 0, 0, 0);
	check(SYS_ipc_recv, E_EXIST, ep, nb | ABI_IPC_INFO(0, frame), 0, 0, 0);
	check(SYS_ipc_recv, E_AGAIN, ep, nb | ABI_IPC_INFO(0, empty), 0, 0, 0);
	check(SYS_ipc_call, E_PERM, ep_ro, nb, 0, 0, 0);
	check(SYS_ipc_call, E_NOENT, empty, nb, 0, 0, 0);
	check(SYS_ipc_call, E_AGAIN, ep, nb, 0, 0, 0);
	check(SYS_ipc_reply_recv, E_PERM, ep_wo, nb, 0, 0, 0);
	check(SYS_ipc_reply_recv, E_INVAL, frame, nb, 0, 0, 0);
	check(SYS_ipc_reply_recv, E_NOENT, ep, nb | ABI_IPC_INFO(empty, 0), 0, 0, 0);
	check(SYS_ipc_reply_recv, E_AGAIN, ep, nb, 0, 0, 0);
	check(SYS_notify_signal, E_INVAL, ntf, 0, 0, 0, 0);
	check(SYS_notify_signal, E_INVAL, 0, 1, 0, 0, 0);
	check(SYS_notify_signal, E_RANGE, nslots, 1, 0, 0, 0);
	check(SYS_notify_signal, E_NOENT, empty, 1, 0, 0, 0);
	check(SYS_notify_signal, E_INVAL, ep, 1, 0, 0, 0);
	check(SYS_notify_signal, E_PERM, ntf_ro, 1, 0, 0, 0);
	check(SYS_notify_wait, E_INVAL, 0, 0, 0, 0, 0);
	check(SYS_notify_wait, E_RANGE, SLOT_HIGH(ntf), 0, 0, 0, 0);
	check(SYS_notify_wait, E_INVAL, ep, 0, 0, 0, 0);
	check(SYS_notify_poll, E_NOENT, empty, 0, 0, 0, 0);
	check(SYS_notify_poll, E_INVAL, frame, 0, 0, 0, 0);
	check(SYS_notify_poll, E_AGAIN, ntf_ro, 0, 0, 0, 0);
	check(SYS_notify_wait_until, E_INVAL, ntf, 0, 0, 0, 0);
	check(SYS_notify_wait_until, E_INVAL, ntf, ABI_SLEEP_MAX, 0, 0, 0);
	check(SYS_notify_wait_until, E_INVAL, ep, 1, 0, 0, 0);
	check(SYS_notify_wait_until, E_AGAIN, ntf_ro, 1, 0, 0, 0);
	check(SYS_sleep_until, E_INVAL, ABI_SLEEP_MAX, 0, 0, 0, 0);
}

/* Makes the objects the cases name; any failure here is the kernel's, not a case's. */
static void
setup(void)
{
	long s[12];

	for (int i = 0; i < 12; i++) {
		s[i] = slot_alloc();
		if (s[i] < 0)
			panic("slot_alloc: %s", error_name((int)s[i]));
	}
	frame = (uint64_t)s[0];
	frame_nophys = (uint64_t)s[1];
	child = (uint64_t)s[2];
	empty = (uint64_t)s[3];
	empty2 = (uint64_t)s[4];
	child_nosched = (uint64_t)s[5];
	ep = (uint64_t)s[6], ep_ro = (uint64_t)s[7], ep_wo = (uint64_t)s[8];
	ntf = (uint64_t)s[9], ntf_ro = (uint64_t)s[10], frame_nogrant = (uint64_t)s[11];
	nslots = libos_envinfo->nslots;
	if (sys_frame_alloc(ABI_SLOT_UNTYPED, frame, CAP_R_ALL) < 0 ||
	    sys_cap_derive(frame, ABI_SLOT_SELF, frame_nophys, CAP_R_ALL & ~CAP_R_PHYS, 0) < 0 ||
	    sys_exofork(child) < 0 ||
	    sys_cap_derive(child, ABI_SLOT_SELF, child_nosched, CAP_R_ALL & ~CAP_R_SCHED, 0) < 0)
		panic("cannot set up the frame and child env the cases need");
	if (sys_endpoint_alloc(ABI_SLOT_UNTYPED, ep, CAP_R_ALL) < 0 ||
	    sys_cap_derive(ep, ABI_SLOT_SELF, ep_ro, CAP_R_READ, 0) < 0 ||
	    sys_cap_derive(ep, ABI_SLOT_SELF, ep_wo, CAP_R_WRITE, 0) < 0 ||
	    sys_notify_alloc(ABI_SLOT_UNTYPED, ntf, CAP_R_ALL) < 0 ||
	    sys_cap_derive(ntf, ABI_SLOT_SELF, ntf_ro, CAP_R_READ, 0) < 0 ||
	    sys_cap_derive(frame, ABI_SLOT_SELF, frame_nogrant, CAP_R_ALL & ~CAP_R_GRANT, 0) < 0)
		panic("cannot set up the endpoint and notification the cases need");
}

int
main(int argc, char **argv)
{
	setup();
	bad_numbers_and_console();
	bad_frames();
	bad_mappings();
	bad_envs();
	bad_shares();
	bad_caps();
	bad_sched();
	bad_spawns();
	bad_ipc();
	sys_cap_delete(ep_ro);
	sys_cap_delete(ep_wo);
	sys_cap_delete(ep);
	sys_cap_delete(ntf_ro);
	sys_cap_delete(ntf);
	sys_cap_delete(frame_nogrant);
	sys_env_destroy(child);
	sys_cap_delete(child_nosched);
	sys_cap_delete(child);
	sys_cap_delete(frame_nophys);
	sys_cap_delete(frame);
	printf("badsyscall: %d cases, %d failed\n", ncases, nfailed);
	return nfailed == 0 ? 0 : 1;
}
