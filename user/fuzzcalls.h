/* The fuzzer's calls (included by user/fuzzgen.h): one generator per system call of the
 * ABI_SYSCALLS list, the scenarios that need several calls in order, and the worker's loop. */
#ifndef EXOLAB_FUZZCALLS_H
#define EXOLAB_FUZZCALLS_H

/* Programs spawn may start.  Strict mode leaves out the ones that fork (spin, forktree):
 * destroying them leaves their children alive (issue 17 defect 1). */
static const char *const spawn_names[] = { "hello",       "faultread", "nosuch",
	                                   "hello a b c", "spin",      "forktree" };
#define FZ_SPAWN_STRICT 4

static void
note_child(int res, long r)
{
	if (res >= 0 && r > 0)
		fz.live[res] = 1;
}

static long
gen_spawn(void)
{
	const char *cmd = spawn_names[below(strict() ? FZ_SPAWN_STRICT : 6)];
	uint64_t len = below(5) ? strlen(cmd) : val(), ptr = below(5) ? (uint64_t)cmd : uptr();
	int res;
	uint64_t ds = child_slot(&res);
	long r;

	r = call(SYS_spawn, ptr, len, ds, below(4) ? ABI_SLOT_UNTYPED : slot(),
	         below(3) ? below(8) : val(), 0);
	note_child(res, r);
	return r;
}

static long
gen_exofork(void)
{
	int res;
	uint64_t ds = child_slot(&res);
	long r = call(SYS_exofork, ds, 0, 0, 0, 0, 0);

	/* A child run with these registers resumes here in an empty address space: it faults
	 * on its first instruction fetch and never executes this. */
	note_child(res, r);
	return r;
}

static long
gen_share(void)
{
	struct abi_share *rec = (struct abi_share *)sink;
	uint64_t n = below(4) ? below(ABI_SHARE_MAX + 1) : val();

	for (unsigned i = 0; i < ABI_SHARE_MAX; i++) {
		rec[i].va = va_self(); /* COW takes W away from the worker's own page at va */
		rec[i].slot = (uint32_t)(below(4) ? FZ_SLOT_POOL + below(FZ_NPOOL) : val());
		rec[i].perm = (uint16_t)perm();
		rec[i].flags = (uint16_t)(below(4) ? below(4) : rnd());
	}
	return call(SYS_share_pages, eslot(), below(5) ? (uint64_t)rec : uptr(), n, 0, 0, 0);
}

/* map/unmap/protect/region_map: the worker itself only at its scratch range. */
static uint64_t
target(uint64_t *va)
{
	uint64_t e = below(3) == 0 ? ABI_SLOT_SELF : eslot();

	*va = e == ABI_SLOT_SELF ? va_self() : va_any();
	return e;
}

static long
gen_mem(long num)
{
	uint64_t va, e = target(&va);

	switch (num) {
	case SYS_map:
		return call(num, e, slot(), va, perm(), 0, 0);
	case SYS_unmap:
		return call(num, e, va, 0, 0, 0, 0);
	case SYS_protect:
		return call(num, e, va, perm(), 0, 0, 0);
	default:
		return call(SYS_region_map, slot(), e, va, perm(), 0, 0);
	}
}

static long
gen_env(long num)
{
	switch (num) {
	case SYS_env_set_status:
		return call(num, eslot(), below(3) ? below(4) : val(), 0, 0, 0, 0);
	case SYS_env_set_regs:
		fill_sink();
		if (below(2))
			((struct abi_regs *)sink)->rip = ABI_UTEXT + below(8192);
		return call(num, eslot(), below(4) ? (uint64_t)sink : uptr(), 0, 0, 0, 0);
	case SYS_env_set_upcall:
		return call(num, eslot(), va_any(), va_any(), 0, 0, 0);
	case SYS_env_destroy:
		return call(num, eslot(), 0, 0, 0, 0, 0); /* never itself: it would end the seed */
	case SYS_env_set_sched: /* a valid quantum is short: a long one lets a spinning child
	                         * keep the CPU from the worker, as the parent asked */
		fill_sink();
		((struct abi_sched_params *)sink)->quantum = below(4) ? below(1u << 24) : val();
		return call(num, eslot(), below(4) ? (uint64_t)sink : uptr(), val(), 0, 0, 0);
	default:
		return call(num, eslot(), slot(), val(), 0, 0, 0); /* env_notify */
	}
}

/* A source capability for derive/copy: never the worker's own env capability. */
static uint64_t
src_slot(void)
{
	uint64_t s = slot();

	return s == ABI_SLOT_SELF ? FZ_SLOT_GIVEN : s;
}

static long
gen_cap(long num)
{
	switch (num) {
	case SYS_cap_derive:
		return call(num, src_slot(), below(2) ? ABI_SLOT_SELF : eslot(),
		            below(3) ? FZ_SLOT_POOL + below(FZ_NPOOL) : val(), rights(), val(), 0);
	case SYS_cap_copy:
		return call(num, src_slot(), below(2) ? ABI_SLOT_SELF : eslot(),
		            below(3) ? FZ_SLOT_POOL + below(FZ_NPOOL) : val(), 0, 0, 0);
	case SYS_cap_revoke:
	case SYS_cap_delete:
		return call(num, dslot_kill(), 0, 0, 0, 0, 0);
	default:
		return call(SYS_cap_identify, slot(), uptr(), 0, 0, 0, 0);
	}
}

static long
gen_ipc(long num)
{
	uint64_t s = slot();
	long r;

	switch (num) {
	case SYS_ipc_recv:
		return call(num, s, ipc_info(), 0, 0, 0, 0);
	case SYS_notify_wait: /* only where it cannot block: right after a successful signal */
		r = call(SYS_notify_signal, s, 1 | rnd(), 0, 0, 0, 0);
		return r == 0 ? call(num, s, 0, 0, 0, 0, 0)
		              : call(SYS_notify_poll, s, 0, 0, 0, 0, 0);
	case SYS_notify_wait_until:
		return call(num, s, deadline(), 0, 0, 0, 0);
	case SYS_notify_signal:
	case SYS_notify_poll:
	case SYS_cons_notify:
	case SYS_iommu_fault_notify:
		return call(num, s, val(), 0, 0, 0, 0);
	default:
		return call(num, s, ipc_info(), val(), val(), val(), val());
	}
}

/* Every other call: slots and values in each argument. */
static long
gen_generic(long num)
{
	uint64_t n;

	switch (num) {
	case SYS_exit:
		return call(SYS_null, 0, 0, 0, 0, 0, 0); /* the worker exits at the end */
	case SYS_cputs:
		if (below(3) == 0)
			return call(num, bad_va(), val(), 0, 0, 0, 0);
		/* a suffix of the text, so the console's lines stay whole */
		n = below(sizeof(cputs_text));
		return call(num, (uint64_t)cputs_text + sizeof(cputs_text) - 1 - n, n, 0, 0, 0, 0);
	case SYS_sleep_until:
		return call(num, deadline(), val(), 0, 0, 0, 0);
	case SYS_frame_alloc:
	case SYS_endpoint_alloc:
	case SYS_notify_alloc:
		return call(num, below(3) ? ABI_SLOT_UNTYPED : slot(),
		            FZ_SLOT_POOL + below(FZ_NPOOL), rights(), 0, 0, 0);
	case SYS_dev_info:
	case SYS_core_stat:
		return call(num, below(2) ? slot() : val(), uptr(), 0, 0, 0, 0);
	case SYS_dma_alloc:
		return call(num, ABI_SLOT_UNTYPED, FZ_SLOT_POOL + below(FZ_NPOOL),
		            below(2) ? 1 + below(4) : val(), below(2) ? below(3) : val(), rights(),
		            0);
	case SYS_core_claim:
		return call(num, slot(), below(2) ? ABI_SLOT_SELF : eslot(), 0, 0, 0, 0);
	default:
		return call(num, slot(), below(2) ? slot() : val(), val(), val(), val(), val());
	}
}

static long
gen_call(long num)
{
	switch (num) {
	case SYS_map:
	case SYS_unmap:
	case SYS_protect:
	case SYS_region_map:
		return gen_mem(num);
	case SYS_exofork:
		return gen_exofork();
	case SYS_spawn:
		return gen_spawn();
	case SYS_share_pages:
		return gen_share();
	case SYS_env_set_status:
	case SYS_env_set_regs:
	case SYS_env_set_upcall:
	case SYS_env_destroy:
	case SYS_env_set_sched:
	case SYS_env_notify:
		return gen_env(num);
	case SYS_cap_derive:
	case SYS_cap_copy:
	case SYS_cap_revoke:
	case SYS_cap_delete:
	case SYS_cap_identify:
		return gen_cap(num);
	case SYS_ipc_send:
	case SYS_ipc_recv:
	case SYS_ipc_call:
	case SYS_ipc_reply_recv:
	case SYS_notify_signal:
	case SYS_notify_wait:
	case SYS_notify_poll:
	case SYS_notify_wait_until:
	case SYS_cons_notify:
	case SYS_iommu_fault_notify:
		return gen_ipc(num);
	default:
		return gen_generic(num);
	}
}

/* A number no call has: a hole in the list, just past it, or far away. */
static long
unknown_number(void)
{
	long n = (long)below(SYS_NCALLS + 8);

	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == n)
			return (long)(val() | 0x100); /* a known one: go far instead (>= 256) */
	return n;
}

#include "fuzzscen.h"

#endif
