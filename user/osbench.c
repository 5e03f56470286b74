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
 *   ipc        sys_ipc_call to a partner env waiting in sys_ipc_reply_recv on an endpoint
 *              (the kernel's fast path when the rule allows: kern/ipc/fastpath.c); the
 *              call returns with the reply, so os_recv on either side after the first is
 *              nothing, as in bench-ipc (user/benchipc.c)
 *   pipe       one byte each way through two LibOS pipes (lib/user/pipe.c, through the
 *              fd calls only) to a forked partner, as user/pipebench does
 *   notify     two notifications, one each way, to a spawned partner: notify_signal(bit 1)
 *              then notify_wait on the other, as Linux's eventfd ping-pong */
#include <stdbool.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "pgfault.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#include "../bench/os/osbench.h"

#define FAULT_VA   0x50000000ull /* the OSB_UFAULT page */
#define ANON_VA    0x51000000ull /* OSB_ANON_PAGES pages, unmapped until touched */
#define SHARED_VA  0x52000000ull /* OSB_YIELD: the page shared with the partner */
#define MAX_WAIT   1000000       /* the partner's yields waiting for the shared page */
#define PAGE       ABI_PAGE_SIZE
#define PARTNER_EP 40 /* OSB_IPC: the endpoint's slot in the partner, as in benchipc */
#define RESULT_EP  41 /* `osbench run`: the endpoint its result goes back through */
#define PARTNER_NT 42 /* OSB_NOTIFY: the partner's copies, PARTNER_NT (there), +1 (back) */

static long partner = -1;       /* the partner env's capability slot */
static long shared = -1;        /* OSB_YIELD: the shared page's frame */
static long anon_slot = -1;     /* the frame the handler mapped for the current anon sample */
static long ep = -1;            /* OSB_IPC: the endpoint (this env's slot) */
static long nt[2] = { -1, -1 }; /* OSB_NOTIFY: to the partner, back (this env's slots) */
static int there[2] = { -1, -1 }, back[2] = { -1, -1 }; /* OSB_PIPE: to the partner, back */
static long pipe_child = -1;                            /* OSB_PIPE: the forked partner's id */
static pgfault_handler_fn next_handler; /* the handler before ours (fork's, after OSB_PIPE) */

const char *
os_missing(enum osb_op op)
{
	(void)op;
	return NULL;
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

/* OSB_IPC's partner: the first receive waits for the endpoint's capability (the parent
 * copies it after the spawn) and receives; each send replies and waits for the next call,
 * so the receives after it have already happened. */
static void
ipc_partner(int send)
{
	static uint64_t w[ABI_IPC_WORDS];
	static bool waiting;
	struct ipc_msg m;
	struct cap_info ci;

	if (send) {
		if (sys_ipc_reply_recv(PARTNER_EP, 0, w, &m) != 0)
			exit(1);
		w[0] = m.w[0] + 1;
		return;
	}
	if (waiting)
		return;
	while (sys_cap_identify(PARTNER_EP, &ci) != 0)
		sys_yield();
	if (sys_ipc_recv(PARTNER_EP, 0, &m) != 0)
		exit(1);
	w[0] = m.w[0] + 1;
	waiting = true;
}

/* OSB_NOTIFY's partner waits (polling with yields, before the timed loop) until the parent
 * has copied both notifications into its slots. */
static void
notify_partner_ready(void)
{
	static bool ready;
	struct cap_info ci;

	while (!ready && sys_cap_identify(PARTNER_NT + 1, &ci) != 0)
		sys_yield();
	ready = true;
}

void
os_send(enum osb_op op, int side)
{
	static uint64_t w[ABI_IPC_WORDS];
	struct ipc_msg m;
	char c = 'x';

	if (op == OSB_IPC && side == 1) {
		ipc_partner(1);
	} else if (op == OSB_IPC) {
		if (sys_ipc_call((uint64_t)ep, 0, w, &m) != 0 || m.w[0] != w[0] + 1)
			panic("ipc_call failed or a wrong reply");
		w[0]++;
	} else if (op == OSB_NOTIFY) {
		if (sys_notify_signal(side == 0 ? (uint64_t)nt[0] : PARTNER_NT + 1, 1) != 0)
			panic("notify_signal failed");
	} else if (op == OSB_PIPE) {
		if (write(side == 0 ? there[1] : back[1], &c, 1) != 1)
			panic("pipe write failed");
	} else {
		panic("os_send: no such channel %d", (int)op);
	}
}

void
os_recv(enum osb_op op, int side)
{
	char c;
	long n;

	if (op == OSB_IPC) {
		if (side == 1)
			ipc_partner(0);
		return; /* side 0: the call brought the reply */
	}
	if (op == OSB_NOTIFY) {
		if (side == 1)
			notify_partner_ready();
		uint64_t word = 0;

		if (sys_notify_wait(side == 0 ? (uint64_t)nt[1] : PARTNER_NT, &word) != 0 ||
		    word != 1)
			panic("notify_wait failed or a wrong word");
		return;
	}
	if (op != OSB_PIPE)
		panic("os_recv: no such channel %d", (int)op);
	if ((n = read(side == 0 ? back[0] : there[0], &c, 1)) == 0 && side == 1)
		exit(0); /* os_close closed the write end: the partner is done */
	if (n != 1)
		panic("pipe read failed");
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
	if (osb_on_fault(f->va) == 0)
		return;
	if (next_handler != NULL) /* a copy-on-write fault of OSB_PIPE's fork */
		next_handler(f);
	else
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

/* OSB_IPC: an endpoint, and the partner given a copy of it in PARTNER_EP. */
static int
open_ipc(void)
{
	if ((ep = slot_alloc()) < 0 ||
	    sys_endpoint_alloc(ABI_SLOT_UNTYPED, (uint64_t)ep, CAP_R_ALL) < 0 ||
	    os_start_partner(OSB_IPC) < 0 ||
	    sys_cap_copy((uint64_t)ep, (uint64_t)partner, PARTNER_EP) < 0) {
		printf("osbench: cannot set up the endpoint and its partner\n");
		return -1;
	}
	return 0;
}

/* OSB_NOTIFY: two notifications, and the partner given a copy of each. */
static int
open_notify(void)
{
	for (int i = 0; i < 2; i++)
		if ((nt[i] = slot_alloc()) < 0 ||
		    sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)nt[i], CAP_R_ALL) < 0)
			goto fail;
	if (os_start_partner(OSB_NOTIFY) < 0 ||
	    sys_cap_copy((uint64_t)nt[0], (uint64_t)partner, PARTNER_NT) < 0 ||
	    sys_cap_copy((uint64_t)nt[1], (uint64_t)partner, PARTNER_NT + 1) < 0)
		goto fail;
	return 0;
fail:
	printf("osbench: cannot set up the notifications and their partner\n");
	return -1;
}

/* OSB_PIPE: two pipes and a forked partner holding only its own two ends, so that closing
 * ours ends it (EOF). */
static int
open_pipe(void)
{
	int err;

	if ((err = pipe(there)) < 0 || (err = pipe(back)) < 0 ||
	    (err = (int)(pipe_child = fork())) < 0) {
		printf("osbench: cannot make the pipes or fork the partner: %s\n", error_name(err));
		return -1;
	}
	if (pipe_child == 0) {
		close(there[1]);
		close(back[0]);
		osb_partner(OSB_PIPE);
	}
	close(there[0]);
	close(back[1]);
	return 0;
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
	if (op == OSB_IPC)
		return open_ipc();
	if (op == OSB_NOTIFY)
		return open_notify();
	if (op == OSB_PIPE)
		return open_pipe();
	if (op == OSB_UFAULT || op == OSB_ANON) {
		if (pgfault_current != handler)
			next_handler = pgfault_current;
		if (pgfault_set_handler(handler) < 0) {
			printf("osbench: cannot set the page-fault handler\n");
			return -1;
		}
	}
	return 0;
}

void
os_close(enum osb_op op)
{
	if (op == OSB_PIPE && pipe_child > 0) {
		close(there[1]); /* the partner reads EOF and exits */
		close(back[0]);
		if (wait(pipe_child, NULL) < 0)
			panic("the pipe partner was not waited for");
		pipe_child = -1;
	}
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
	if (ep >= 0) {
		sys_cap_delete((uint64_t)ep);
		slot_free((uint64_t)ep);
		ep = -1;
	}
	for (int i = 0; i < 2; i++)
		if (nt[i] >= 0) {
			sys_cap_delete((uint64_t)nt[i]);
			slot_free((uint64_t)nt[i]);
			nt[i] = -1;
		}
}

#include "../bench/os/osbench.c"

/* `osbench run`: the benchmarks, their result sent to the parent through RESULT_EP. */
static int
run(void)
{
	uint64_t w[ABI_IPC_WORDS] = { 0 };
	struct cap_info ci;

	if (slot_reserve(RESULT_EP) < 0)
		panic("slot %d is not free for the result endpoint", RESULT_EP);
	while (sys_cap_identify(RESULT_EP, &ci) != 0)
		sys_yield();
	w[0] = (uint64_t)osb_main();
	if (sys_ipc_send(RESULT_EP, 0, w) < 0)
		panic("cannot send the result");
	return (int)w[0];
}

/* Booted as init (bench-linux): init's table has a slot for every ramdisk page, so the slots
 * the LibOS hands out lie beyond the ENV_NSLOTS of a forked child, and pipe_fork cannot
 * copy a pipe's capabilities to the same slots there.  So the benchmarks run in a spawned
 * child (an ordinary table), and this env waits for their result blocked in ipc_recv: not
 * runnable, so it disturbs no sample (a polling wait would be queued beside the partners). */
int
main(int argc, char **argv)
{
	long ep = slot_alloc(), child = slot_alloc();
	struct ipc_msg m;
	struct cap_info q = { 0 };

	if (argc > 2 && strcmp(argv[1], "partner") == 0)
		osb_partner((enum osb_op)(argv[2][0] - '0'));
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return run();
	/* The child gets three quarters of the quota; the rest pays for loading it. */
	if (ep < 0 || child < 0 ||
	    sys_endpoint_alloc(ABI_SLOT_UNTYPED, (uint64_t)ep, CAP_R_ALL) < 0 ||
	    sys_cap_identify(ABI_SLOT_UNTYPED, &q) < 0 ||
	    sys_spawn("osbench run", 11, (uint64_t)child, ABI_SLOT_UNTYPED, q.pages / 4 * 3) < 0 ||
	    sys_cap_copy((uint64_t)ep, (uint64_t)child, RESULT_EP) < 0 ||
	    sys_ipc_recv((uint64_t)ep, 0, &m) < 0)
		panic("cannot run the benchmarks in a child");
	return (int)m.w[0];
}
