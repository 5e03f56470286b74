/* osbench's ExoLab layer (bench/os/osbench.h); the portable part is bench/os/osbench.c,
 * included at the end.  `make bench-linux` boots it as `init=osbench sched=rr
 * lockcheck=off` and puts its figures beside Linux's (bench/linux/).
 *
 *   null       sys_null through the inline stub
 *   yield      sys_yield between this env and a partner env ("osbench partner N") that only
 *              yields: the round trip of bench-ctxsw (user/schedtest, mode yield)
 *   ufault     write to a read-only page -> page-fault upcall -> handler sys_protect(RW)
 *              -> resume (lib/user/pgfault.c, upcall.S)
 *   anon       first write to an unmapped page of an arena: the upcall's handler takes a
 *              frame (sys_frame_alloc) and maps it (sys_map): anonymous memory as a LibOS
 *              makes it, the kernel has no demand paging
 *   fork       the LibOS's copy-on-write fork (lib/user/fork.c); the child exits at once,
 *              the parent waits (polling the child's status with yields, until notifications)
 *   ipc, notify, pipe: n/a until issue 11 (endpoints, notifications, LibOS pipes) */
#include <stdint.h>

#include "abi/memlayout.h"
#include "fork.h"
#include "libos.h"
#include "pgfault.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#include "../bench/os/osbench.h"

#define FAULT_VA  0x50000000ull /* the OSB_UFAULT page */
#define ANON_VA   0x51000000ull /* OSB_ANON_PAGES pages, unmapped until touched */
#define SHARED_VA 0x52000000ull /* OSB_YIELD: the page shared with the partner */
#define MAX_WAIT  1000000       /* the partner's yields waiting for the shared page */
#define PAGE      ABI_PAGE_SIZE

static long partner = -1;   /* the partner env's capability slot */
static long shared = -1;    /* OSB_YIELD: the shared page's frame */
static long anon_slot = -1; /* the frame the handler mapped for the current anon sample */

const char *
os_missing(enum osb_op op)
{
	switch (op) {
	case OSB_IPC:
	case OSB_NOTIFY:
	case OSB_PIPE:
		return "issue 11";
	default:
		return NULL;
	}
}

void
os_null(void)
{
	sys_null();
}

void
os_yield(void)
{
	sys_yield();
}

void
os_send(enum osb_op op, int side)
{
	panic("no IPC, notifications or pipes yet (issue 11)");
}

void
os_recv(enum osb_op op, int side)
{
	panic("no IPC, notifications or pipes yet (issue 11)");
}

/* fork replaces this program's fault handler with its own: it runs after ufault and anon. */
void
os_fork_exit_wait(void)
{
	long id = fork();

	if (id == 0)
		exit(0);
	if (id < 0 || wait(id, NULL) < 0)
		panic("fork/wait failed: %s", error_name(id < 0 ? (int)id : E_NOENT));
}

/* The partner may use the shared page once the parent has mapped it there (protecting it
 * to its own permissions fails with E_NOENT until then), as user/schedtest does. */
volatile uint64_t *
os_partner_word(int side)
{
	for (int i = 0; side == 1 && i < MAX_WAIT; i++) {
		if (sys_protect(ABI_SLOT_SELF, SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			return (volatile uint64_t *)SHARED_VA;
		sys_yield();
	}
	if (side == 1)
		panic("the shared page never came");
	return (volatile uint64_t *)SHARED_VA;
}

int
os_start_partner(enum osb_op op)
{
	char cmd[32];
	int len = fmt_snprintf(cmd, sizeof(cmd), "osbench partner %d", (int)op);

	partner = slot_alloc();
	if (partner < 0 ||
	    sys_spawn(cmd, (size_t)len, (uint64_t)partner, ABI_SLOT_UNTYPED, 0) < 0) {
		printf("osbench: cannot spawn \"%s\"\n", cmd);
		return -1;
	}
	return 0;
}

/* A zeroed frame mapped read-write at va; its capability slot, or -1. */
static long
map_frame(uint64_t va)
{
	long s = slot_alloc();

	if (s < 0)
		return -1;
	if (sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) <
	        0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)s, va, ABI_PERM_R | ABI_PERM_W) < 0) {
		sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return -1;
	}
	return s;
}

static void
handler(struct abi_fault *f)
{
	uint64_t page = f->va & ~(PAGE - 1);

	if (page >= ANON_VA && page < ANON_VA + OSB_ANON_PAGES * PAGE && anon_slot < 0) {
		if ((anon_slot = map_frame(page)) < 0)
			panic("cannot map an anonymous page at 0x%lx", (unsigned long)page);
		return;
	}
	if (osb_on_fault(f->va) < 0)
		panic("a fault not the benchmark's: va 0x%lx ip 0x%lx", (unsigned long)f->va,
		      (unsigned long)f->regs.rip);
}

volatile char *
os_fault_page(void)
{
	static long slot = -1;

	if (slot < 0 && (slot = map_frame(FAULT_VA)) < 0)
		panic("cannot map the fault page");
	return (volatile char *)FAULT_VA;
}

void
os_protect(volatile char *page, int writable)
{
	uint32_t perm = ABI_PERM_R | (writable ? ABI_PERM_W : 0);

	if (sys_protect(ABI_SLOT_SELF, (uintptr_t)page, perm) < 0)
		panic("sys_protect 0x%lx failed", (unsigned long)(uintptr_t)page);
}

volatile char *
os_anon_page(int i)
{
	return (volatile char *)(ANON_VA + (uint64_t)i * PAGE);
}

/* Gives the sample's frame back, so the benchmark needs one frame of quota, not one a page. */
void
os_anon_done(int i)
{
	if (anon_slot < 0)
		panic("anon page %d was touched without a fault", i);
	sys_unmap(ABI_SLOT_SELF, ANON_VA + (uint64_t)i * PAGE);
	sys_cap_delete((uint64_t)anon_slot);
	slot_free((uint64_t)anon_slot);
	anon_slot = -1;
}

int
os_open(enum osb_op op)
{
	if (op == OSB_YIELD) {
		if ((shared = map_frame(SHARED_VA)) < 0 || os_start_partner(op) < 0 ||
		    sys_map((uint64_t)partner, (uint64_t)shared, SHARED_VA,
		            ABI_PERM_R | ABI_PERM_W) < 0) {
			printf("osbench: cannot share a page with the partner\n");
			return -1;
		}
		return 0;
	}
	if ((op == OSB_UFAULT || op == OSB_ANON) && pgfault_set_handler(handler) < 0) {
		printf("osbench: cannot set the page-fault handler\n");
		return -1;
	}
	return 0;
}

void
os_close(enum osb_op op)
{
	if (partner >= 0) {
		sys_env_destroy((uint64_t)partner);
		sys_cap_delete((uint64_t)partner);
		slot_free((uint64_t)partner);
		partner = -1;
	}
	if (shared >= 0) {
		sys_unmap(ABI_SLOT_SELF, SHARED_VA);
		sys_cap_delete((uint64_t)shared);
		slot_free((uint64_t)shared);
		shared = -1;
	}
}

#include "../bench/os/osbench.c"

int
main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "partner") == 0)
		osb_partner((enum osb_op)(argv[2][0] - '0'));
	return osb_main();
}
