/* benchipc: the IPC round trip (bench/ipc/ipc.mk): this env calls an endpoint on which a
 * server env waits in reply_recv; the server replies at once and waits again.  Both run on
 * one CPU, so each call is two switches; under `qemu -icount shift=0` the rdtsc delta around
 * a call is the instructions of the whole round trip (the caller's stub included).
 *
 * With `tests=queuedN` a third env that only yields runs beside them at priority N (the
 * default is 32): grade/ipc.py checks with it that the fast path's direct switch never passes
 * an env the policy would run first (docs/smp.md, "IPC fast path").  `benchipc cycles` names
 * the unit `cycles` (the Legion's bench entry, user/legion_bench.h). */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define SAMPLES 1000
#define SRV_EP  40 /* the server's slot for the endpoint */

static __attribute__((noreturn)) void
server(void)
{
	uint64_t w[ABI_IPC_WORDS] = { 0 };
	struct ipc_msg m;
	struct cap_info ci;

	while (sys_cap_identify(SRV_EP, &ci) != 0)
		sys_yield();
	for (;;) {
		if (sys_ipc_reply_recv(SRV_EP, 0, w, &m) != 0)
			exit(1);
		w[0] = m.w[0] + 1;
	}
}

/* The third env of tests=queuedN, in `slot`: spawned, given priority N, yielding forever. */
static void
start_yielder(long slot, const char *prio)
{
	struct abi_sched_params p = { .priority = 0, .tickets = 100 };

	while (*prio >= '0' && *prio <= '9')
		p.priority = p.priority * 10 + (uint32_t)(*prio++ - '0');
	if (slot < 0 ||
	    sys_spawn("benchipc yielder", 16, (uint64_t)slot, ABI_SLOT_UNTYPED, 0) < 0 ||
	    sys_env_set_sched((uint64_t)slot, &p, ~0ull) < 0)
		panic("cannot start the yielder");
	printf("benchipc: a yielder at priority %u is queued beside the pair\n", p.priority);
}

int
main(int argc, char **argv)
{
	uint64_t w[ABI_IPC_WORDS] = { 0 }, best = UINT64_MAX, t;
	long ep = slot_alloc(), srv = slot_alloc();
	struct ipc_msg m;

	long y = -1;
	const char *unit = argc > 1 && strcmp(argv[1], "cycles") == 0 ? "cycles" : "instructions";

	if (argc > 1 && strcmp(argv[1], "server") == 0)
		server();
	if (argc > 1 && strcmp(argv[1], "yielder") == 0)
		for (;;)
			sys_yield();
	if (strncmp(libos_envinfo->tests, "queued", 6) == 0)
		start_yielder(y = slot_alloc(), libos_envinfo->tests + 6);
	if (ep < 0 || srv < 0 ||
	    sys_endpoint_alloc(ABI_SLOT_UNTYPED, (uint64_t)ep, CAP_R_ALL) < 0 ||
	    sys_spawn("benchipc server", 15, (uint64_t)srv, ABI_SLOT_UNTYPED, 0) < 0 ||
	    sys_cap_copy((uint64_t)ep, (uint64_t)srv, SRV_EP) < 0)
		panic("cannot set up the endpoint and the server");
	for (int i = 0; i < SAMPLES; i++) {
		w[0] = (uint64_t)i;
		t = rdtsc();
		if (sys_ipc_call((uint64_t)ep, 0, w, &m) != 0)
			panic("call failed");
		t = rdtsc() - t;
		if (m.w[0] != (uint64_t)i + 1)
			panic("wrong reply %lu to %d", (unsigned long)m.w[0], i);
		best = t < best ? t : best;
	}
	if (y >= 0 && (sys_env_destroy((uint64_t)y) < 0 || sys_cap_delete((uint64_t)y) < 0))
		panic("cannot stop the yielder");
	sys_env_destroy((uint64_t)srv);
	sys_cap_delete((uint64_t)srv);
	sys_cap_delete((uint64_t)ep);
	printf("BENCH ipc_call_roundtrip %lu %s\n", (unsigned long)best, unit);
	return 0;
}
