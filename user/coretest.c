/* coretest: core capabilities (issue 15 item 1, abi/core.h, docs/partitions.md), run as init
 * on four CPUs (`init=coretest`: only init holds core capabilities; grade/coretests.py).
 * Every check prints one `coretest: TAG: what OK|FAIL` line; nothing waits for a time, only
 * for a flag or a counter in a shared page, bounded by a count of yields.
 *
 *   args     bad arguments of core_claim, core_release and core_stat get their errors
 *   own      the parent claims CPU 2 for a spinning child (through a capability it derived
 *            from init's): the child runs there, polling a counter in the shared page
 *   quiet    while six busy children, free to run anywhere, load the other CPUs (more
 *            envs than CPUs, so their timers tick) and the parent makes system calls on
 *            CPU 0, CPU 2 takes no interrupt of any kind, and the child's counter grows
 *   ticks    meanwhile the unowned CPUs took timer interrupts
 *   msi      binding a device's MSI to CPU 2 is refused (E_PERM)
 *   revoke   revoking init's capability (the parent of the claim's) stops the spinning
 *            child at once: CPU 2 reports no owner, the counter is still, the child is
 *            NOT_RUNNABLE; then a child pinned to CPU 2 runs there (scheduled again)
 *   release  the parent claims CPU 3 for itself and runs there, releases it, and runs on
 *            CPU 0 again; a second release finds no claim */
#include <stdint.h>

#include "abi/core.h"
#include "abi/dev.h"
#include "libos.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define SHARED_VA   0x30000000ull
#define MAX_YIELDS  2000000
#define OWN_CPU     2
#define NBUSY       6
#define BUSY_CYCLES 100000000ull /* each busy child's spin (TSC cycles): load, not a wait */

struct shared {
	volatile uint64_t count;  /* the owner's loop turns */
	volatile uint64_t cpu;    /* the CPU the owner (or the pinned child) runs on, + 1 */
	volatile uint64_t busy;   /* busy children finished */
	volatile uint64_t ran_on; /* the pinned child's CPU + 1 */
};

static struct shared *const sh = (struct shared *)SHARED_VA;
static int nchecks, nfailed;

static void
check(const char *tag, const char *what, long got, long want)
{
	nchecks++;
	nfailed += got != want;
	printf("coretest: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

static int
pin(uint64_t env, uint64_t mask)
{
	/* Valid under every policy: edf needs a server (10% of 100 M cycles, its default's). */
	struct abi_sched_params p = {
		.priority = 32, .tickets = 100, .period = 100000000, .budget = 10000000
	};

	return (int)sys_env_set_sched(env, &p, mask);
}

/* Yields until *v reaches `want`; false if it never does. */
static int
wait_for(volatile uint64_t *v, uint64_t want)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (*v >= want)
			return 1;
		sys_yield();
	}
	return 0;
}

static void
child_start(void)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0) {
			sys_yield(); /* a move its parent asked for happens here */
			return;
		}
		sys_yield();
	}
	exit(1);
}

static uint64_t
new_page(uint64_t va)
{
	long s = slot_alloc();

	if (s < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) <
	        0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)s, va, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot make a page at 0x%lx", va);
	return (uint64_t)s;
}

/* Spawns "coretest ROLE", pinned to `mask` (~0: anywhere), then (cslot != 0) claims the
 * core of cslot for it (*claim: the result), then shares the page: a child that has seen
 * the page runs where it may after its next reschedule (child_start's yield). */
static uint64_t
start_child(const char *role, uint64_t mask, uint64_t page, uint64_t cslot, long *claim)
{
	char cmd[32];
	int len = fmt_snprintf(cmd, sizeof(cmd), "coretest %s", role);
	long s = slot_alloc();

	if (s < 0 || sys_spawn(cmd, (size_t)len, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0)
		panic("cannot spawn %s", cmd);
	if (mask != ~0ull && pin((uint64_t)s, mask) < 0)
		panic("cannot pin %s", cmd);
	if (cslot != 0)
		*claim = sys_core_claim(cslot, (uint64_t)s);
	if (sys_map((uint64_t)s, page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot share the page with %s", cmd);
	return (uint64_t)s;
}

static void
stop_child(uint64_t env)
{
	sys_env_destroy(env);
	sys_cap_delete(env);
	slot_free(env);
}

static __attribute__((noreturn)) void
owner_child(void)
{
	child_start();
	sh->cpu = (uint64_t)sys_cpu() + 1;
	for (;;)
		sh->count++; /* user mode for ever: only a stop ends it */
}

static __attribute__((noreturn)) void
busy_child(void)
{
	uint64_t start;

	child_start();
	start = rdtsc();
	while (rdtsc() - start < BUSY_CYCLES)
		;
	__atomic_add_fetch(&sh->busy, 1, __ATOMIC_SEQ_CST);
	exit(0);
}

static __attribute__((noreturn)) void
pinned_child(void)
{
	child_start();
	sh->ran_on = (uint64_t)sys_cpu() + 1;
	exit(0);
}

static uint64_t
env_id_of(uint64_t eslot)
{
	struct cap_info ci;

	return sys_cap_identify(eslot, &ci) == 0 ? ci.id : 0;
}

static uint64_t
core(unsigned cpu)
{
	return libos_envinfo->core_slot + cpu;
}

static void
test_args(void)
{
	struct abi_core_stat st;
	struct cap_info ci;
	long s = slot_alloc(), empty = slot_alloc();

	check("args", "claim slot 0", sys_core_claim(0, ABI_CORE_SELF), E_INVAL);
	check("args", "claim slot 2^40", sys_core_claim(1ull << 40, ABI_CORE_SELF), E_RANGE);
	check("args", "claim an empty slot", sys_core_claim((uint64_t)empty, ABI_CORE_SELF),
	      E_NOENT);
	check("args", "claim through the quota", sys_core_claim(ABI_SLOT_UNTYPED, ABI_CORE_SELF),
	      E_INVAL);
	check("args", "claim for a quota", sys_core_claim(core(OWN_CPU), ABI_SLOT_UNTYPED),
	      E_INVAL);
	check("args", "claim cpu 0", sys_core_claim(core(0), ABI_CORE_SELF), E_BUSY);
	check("args", "derive without CLAIM",
	      sys_cap_derive(core(OWN_CPU), ABI_SLOT_SELF, (uint64_t)s, CAP_R_READ, 0), 0);
	check("args", "claim without CLAIM", sys_core_claim((uint64_t)s, ABI_CORE_SELF), E_PERM);
	check("args", "release without CLAIM", sys_core_release((uint64_t)s), E_PERM);
	check("args", "release unclaimed", sys_core_release(core(OWN_CPU)), E_NOENT);
	check("args", "stat cpu 4", sys_core_stat(4, &st), E_RANGE);
	check("args", "stat cpu 2^63", sys_core_stat(1ull << 63, &st), E_RANGE);
	check("args", "stat to a kernel address",
	      sys_core_stat(0, (struct abi_core_stat *)0xffff800000000000ull), E_FAULT);
	check("args", "stat cpu 0", sys_core_stat(0, &st), 0);
	check("args", "identify", sys_cap_identify(core(OWN_CPU), &ci), 0);
	check("args", "type, id", ci.type * 100 + (long)ci.id, CAP_CORE * 100 + OWN_CPU);
	sys_cap_delete((uint64_t)s);
	slot_free((uint64_t)s);
	slot_free((uint64_t)empty);
}

/* Claims CPU 2 for a spinning child, checks the quiet window; returns the child's slot. */
static uint64_t
test_own(uint64_t page, uint64_t cslot)
{
	struct abi_core_stat a, b, o[2][4];
	long n = slot_alloc(), claim = 1;
	uint64_t child = start_child("owner", ~0ull, page, cslot, &claim), busy[NBUSY], c0;

	check("own", "claim cpu 2 for the child", claim, 0);
	check("own", "claim it again", sys_core_claim(core(OWN_CPU), ABI_CORE_SELF), E_BUSY);
	check("own", "the child runs", wait_for(&sh->cpu, 1), 1);
	check("own", "on cpu", (long)sh->cpu - 1, OWN_CPU);
	uint64_t ticks = 0;

	sys_core_stat(OWN_CPU, &a);
	for (unsigned c = 0; c < 4; c++)
		sys_core_stat(c, &o[0][c]);
	c0 = sh->count;
	for (int i = 0; i < NBUSY; i++)
		busy[i] = start_child("busy", ~0ull, page, 0, NULL);
	check("msi", "notification", sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)n, CAP_R_ALL), 0);
	check("msi", "bind to the owned cpu",
	      sys_irq_bind_msi(libos_envinfo->dev_slot, (uint64_t)n, 1,
	                       ABI_IRQ_WHICH(ABI_IRQ_MSI, 0), OWN_CPU),
	      E_PERM);
	check("quiet", "busy children done", wait_for(&sh->busy, NBUSY), 1);
	sys_core_stat(OWN_CPU, &b);
	for (unsigned c = 0; c < 4; c++) {
		sys_core_stat(c, &o[1][c]);
		if (c != OWN_CPU)
			ticks += o[1][c].timer - o[0][c].timer;
	}
	printf("coretest: cpu 2 took timer %lu device %lu ipi %lu other %lu; the others %lu "
	       "timer interrupts\n",
	       b.timer - a.timer, b.device - a.device, b.ipi - a.ipi, b.other - a.other, ticks);
	check("quiet", "timer interrupts on cpu 2", (long)(b.timer - a.timer), 0);
	check("quiet", "device interrupts on cpu 2", (long)(b.device - a.device), 0);
	check("quiet", "IPIs on cpu 2", (long)(b.ipi - a.ipi), 0);
	check("quiet", "other interrupts on cpu 2", (long)(b.other - a.other), 0);
	check("quiet", "the owner kept running", sh->count > c0, 1);
	check("quiet", "owner is the child", (long)b.owner, (long)env_id_of(child));
	check("ticks", "timer interrupts on the other cpus", ticks > 0, 1);
	for (int i = 0; i < NBUSY; i++)
		stop_child(busy[i]);
	sys_cap_delete((uint64_t)n);
	slot_free((uint64_t)n);
	return child;
}

static void
test_revoke(uint64_t page, uint64_t child)
{
	struct abi_core_stat st;
	uint64_t t0 = rdtsc(), c1, pinned;
	int i;

	check("revoke", "revoke init's capability", sys_cap_revoke(core(OWN_CPU)), 0);
	for (i = 0; i < MAX_YIELDS; i++) {
		if (sys_core_stat(OWN_CPU, &st) == 0 && st.owner == 0)
			break;
		sys_yield();
	}
	printf("coretest: cpu 2 free %lu cycles after the revoke (%d yields)\n", rdtsc() - t0, i);
	check("revoke", "cpu 2 has no owner", (long)st.owner, 0);
	check("revoke", "claims stopped on cpu 2", (long)st.stops, 1);
	check("revoke", "the child is stopped", sys_env_status(child), ENV_NOT_RUNNABLE);
	c1 = sh->count;
	for (i = 0; i < 2000; i++)
		sys_yield();
	check("revoke", "its counter is still", (long)(sh->count - c1), 0);
	stop_child(child);
	pinned = start_child("pinned", 1ull << OWN_CPU, page, 0, NULL);
	check("revoke", "a pinned child ran", wait_for(&sh->ran_on, 1), 1);
	check("revoke", "on cpu", (long)sh->ran_on - 1, OWN_CPU);
	stop_child(pinned);
}

static void
test_release(void)
{
	struct abi_core_stat st;
	int i;

	check("release", "claim cpu 3 for myself", sys_core_claim(core(3), ABI_CORE_SELF), 0);
	for (i = 0; i < 1000 && sys_cpu() != 3; i++)
		sys_yield();
	check("release", "running on cpu", sys_cpu(), 3);
	sys_core_stat(3, &st);
	check("release", "cpu 3's owner is me", st.owner == (uint64_t)sys_env_id(), 1);
	check("release", "release", sys_core_release(core(3)), 0);
	for (i = 0; i < 1000 && sys_cpu() != 0; i++)
		sys_yield();
	check("release", "back on cpu", sys_cpu(), 0);
	sys_core_stat(3, &st);
	check("release", "cpu 3's owner", (long)st.owner, 0);
	check("release", "release again", sys_core_release(core(3)), E_NOENT);
}

int
main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "";
	uint64_t page, child;
	long cslot;

	if (strcmp(role, "owner") == 0)
		owner_child();
	if (strcmp(role, "busy") == 0)
		busy_child();
	if (strcmp(role, "pinned") == 0)
		pinned_child();
	printf("coretest: %lu core capabilities\n", libos_envinfo->core_count);
	pin(ABI_SLOT_SELF, 1);
	test_args();
	page = new_page(SHARED_VA);
	cslot = slot_alloc();
	if (cslot < 0 ||
	    sys_cap_derive(core(OWN_CPU), ABI_SLOT_SELF, (uint64_t)cslot, CAP_R_ALL, 0) < 0)
		panic("cannot derive the core capability");
	child = test_own(page, (uint64_t)cslot);
	test_revoke(page, child);
	test_release();
	printf("coretest: %d of %d checks failed\n", nfailed, nchecks);
	printf("coretest: done\n");
	return nfailed ? 1 : 0;
}
