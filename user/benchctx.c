/* benchctx: the scheduler's costs the exosim machine profile needs (hw/legion/calibrate.py),
 * in TSC cycles, measured by this env alone under any policy (the Legion's bench entry,
 * docs/legion.md; under `qemu -icount shift=0` TSC cycles are instructions):
 *
 *   BENCH tsc_hz               the TSC rate the kernel calibrated (abi_envinfo.tsc_hz)
 *   BENCH ctxsw_yield_roundtrip a yield to a partner env on the same CPU and back: two
 *                              switches (the smallest of YIELD_N)
 *   BENCH ipc_local_roundtrip  an IPC call to a server env on the same CPU (the median)
 *   BENCH ipc_xcpu_roundtrip   the same with the server on CPU 1, which sleeps in its idle
 *                              loop: each call wakes it with an IPI and the reply wakes CPU 0
 *                              with another (the median; skipped with one CPU)
 *   BENCH timer_wake           from a sleep's deadline (sleep_until) to this env running
 *                              again: the one-shot timer's interrupt, the wake-up and the
 *                              switch from the idle CPU (the median of TIMER_N)
 *
 * `benchctx cycles` prints the unit `cycles`; without it `instructions` (the QEMU runs).
 * Touches no device; bounded: about 3,000 round trips and TIMER_N sleeps of 1 ms. */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define YIELD_N   1000
#define IPC_N     1000
#define TIMER_N   64
#define WARM      16
#define SRV_EP    40         /* the server's slot for the endpoint */
#define SLEEP_DEF 1000000ull /* cycles to sleep when the TSC rate is unknown */

static const char *unit = "instructions";

/* Pins the env in `slot` to the CPUs in `mask` with parameters valid under every policy
 * (abi/env.h); 0 or the kernel's error (E_INVAL: no such CPU). */
static long
pin(uint64_t slot, uint64_t mask)
{
	struct abi_sched_params p = { .priority = 32,
		                      .tickets = 100,
		                      .period = 100000000,
		                      .deadline = 100000000,
		                      .budget = 10000000 };

	return sys_env_set_sched(slot, &p, mask);
}

static uint64_t
min_null(void)
{
	uint64_t best = UINT64_MAX, t;

	for (int i = 0; i < YIELD_N; i++) {
		t = rdtsc();
		sys_null();
		t = rdtsc() - t;
		best = t < best ? t : best;
	}
	return best;
}

/* Two envs on CPU 0 that only yield: each yield of this one runs the partner once.  A
 * round trip no dearer than two null syscalls means the partner was not on CPU 0. */
static void
yield_bench(void)
{
	uint64_t best = UINT64_MAX, null = min_null(), t;
	long s = slot_alloc();

	if (s < 0 || sys_spawn("benchctx partner", 16, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0 ||
	    pin((uint64_t)s, 1) != 0) {
		printf("benchctx: cannot start the yield partner on CPU 0\n");
		return;
	}
	for (int i = 0; i < WARM; i++)
		sys_yield();
	for (int i = 0; i < YIELD_N; i++) {
		t = rdtsc();
		sys_yield();
		t = rdtsc() - t;
		best = t < best ? t : best;
	}
	sys_env_destroy((uint64_t)s);
	sys_cap_delete((uint64_t)s);
	slot_free((uint64_t)s);
	if (best <= 2 * null) {
		printf("benchctx: yield round trip %lu <= two null syscalls (%lu): the partner did "
		       "not share CPU 0; no figure\n",
		       (unsigned long)best, (unsigned long)(2 * null));
		return;
	}
	printf("BENCH ctxsw_yield_roundtrip %lu %s\n", (unsigned long)best, unit);
}

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
		w[1] = (uint64_t)sys_cpu();
	}
}

/* IPC_N calls to a server pinned to `cpu`; the median round trip, 0 if it failed. */
static uint64_t
ipc_bench(unsigned cpu)
{
	uint64_t w[ABI_IPC_WORDS] = { 0 }, each[IPC_N], t;
	long ep = slot_alloc(), srv = slot_alloc();
	struct ipc_msg m = { 0 };
	int bad = 0, wrong = 0;

	if (ep < 0 || srv < 0 ||
	    sys_endpoint_alloc(ABI_SLOT_UNTYPED, (uint64_t)ep, CAP_R_ALL) < 0 ||
	    sys_spawn("benchctx server", 15, (uint64_t)srv, ABI_SLOT_UNTYPED, 0) < 0)
		panic("benchctx: cannot set up the endpoint and the server");
	if (pin((uint64_t)srv, 1ull << cpu) != 0) {
		printf("benchctx: no CPU %u: no cross-CPU figure\n", cpu);
		bad = 1;
	} else if (sys_cap_copy((uint64_t)ep, (uint64_t)srv, SRV_EP) < 0) {
		panic("benchctx: cannot give the server its endpoint");
	}
	for (int i = -WARM; i < IPC_N && !bad; i++) {
		w[0] = (uint64_t)i;
		t = rdtsc();
		bad |= sys_ipc_call((uint64_t)ep, 0, w, &m) != 0;
		t = rdtsc() - t;
		wrong = m.w[1] != cpu;
		bad |= m.w[0] != (uint64_t)i + 1 || wrong;
		if (i >= 0)
			each[i] = t;
	}
	if (wrong)
		printf("benchctx: the server answered from CPU %lu, not %u\n",
		       (unsigned long)m.w[1], cpu);
	sys_env_destroy((uint64_t)srv);
	sys_cap_delete((uint64_t)srv);
	sys_cap_delete((uint64_t)ep);
	slot_free((uint64_t)srv);
	slot_free((uint64_t)ep);
	if (bad)
		return 0;
	sort_u64(each, IPC_N);
	printf("benchctx: ipc to CPU %u: min %lu median %lu p99 %lu\n", cpu, (unsigned long)each[0],
	       (unsigned long)each[IPC_N / 2], (unsigned long)each[IPC_N * 99 / 100]);
	return each[IPC_N / 2];
}

/* TIMER_N sleeps of a millisecond: how late this env runs after each deadline. */
static void
timer_bench(void)
{
	uint64_t hz = libos_envinfo->tsc_hz, step = hz ? hz / 1000 : SLEEP_DEF, each[TIMER_N];
	unsigned n = 0, early = 0;

	for (int i = -WARM / 4; i < TIMER_N; i++) {
		uint64_t deadline = rdtsc() + step, now;

		if (sys_sleep_until(deadline, 0) != 0) {
			printf("benchctx: sleep_until refused\n");
			return;
		}
		now = rdtsc();
		if (now < deadline)
			early++;
		else if (i >= 0)
			each[n++] = now - deadline;
	}
	if (n < TIMER_N / 2) {
		printf("benchctx: %u of %d sleeps ended before their deadline: no figure\n", early,
		       TIMER_N);
		return;
	}
	sort_u64(each, n);
	printf("benchctx: timer: %u wake-ups, min %lu median %lu max %lu\n", n,
	       (unsigned long)each[0], (unsigned long)each[n / 2], (unsigned long)each[n - 1]);
	printf("BENCH timer_wake %lu %s\n", (unsigned long)each[n / 2], unit);
}

int
main(int argc, char **argv)
{
	uint64_t local, xcpu;

	if (argc > 1 && strcmp(argv[1], "partner") == 0) {
		for (;;)
			sys_yield();
	}
	if (argc > 1 && strcmp(argv[1], "server") == 0)
		server();
	if (argc > 1 && strcmp(argv[1], "cycles") == 0)
		unit = "cycles";
	if (pin(ABI_SLOT_SELF, 1) != 0 || (sys_yield(), sys_cpu()) != 0) {
		printf("benchctx: cannot run pinned to CPU 0\n");
		return 1;
	}
	if (libos_envinfo->tsc_hz != 0)
		printf("BENCH tsc_hz %lu hz\n", (unsigned long)libos_envinfo->tsc_hz);
	yield_bench();
	if ((local = ipc_bench(0)) != 0)
		printf("BENCH ipc_local_roundtrip %lu %s\n", (unsigned long)local, unit);
	if ((xcpu = ipc_bench(1)) != 0)
		printf("BENCH ipc_xcpu_roundtrip %lu %s\n", (unsigned long)xcpu, unit);
	timer_bench();
	printf("benchctx: done\n");
	return 0;
}
