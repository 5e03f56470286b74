/* faultupcall: user-level page faults end to end.  Sets a handler (pgfault_set_handler maps
 * the exception stack at ABI_UXSTACK_TOP - 4096 and sets the upcall), then touches unmapped
 * pages: the handler maps a fresh frame at each and the access completes as if the page had
 * been there.  Checks the values read back, the fault records, that every register and flag
 * survives, and a fault inside the handler (nested on the exception stack).  Two children
 * show a record that cannot be delivered, which must end only the child, with the kernel's
 * normal page-fault line: one without an exception stack ("faultupcall nostack"), one whose
 * handler unmaps its own exception stack and then faults ("faultupcall inhandler"). */
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "pgfault.h"
#include "usyscall.h"
#include "xstring.h"

#define ARENA         0x50000000ull /* the handler maps pages on demand only in here */
#define ARENA_END     0x51000000ull
#define PAGES_VA      ARENA /* NPAGES pages, one fault each */
#define NPAGES        8
#define REGS_VA       (ARENA + 0x100000) /* the register test's page */
#define NEST_VA       (ARENA + 0x200000) /* its handler faults on NEST_INNER_VA */
#define NEST_INNER_VA (ARENA + 0x201000)
#define NOSTACK_VA    0x52000000ull /* the children's targets, never mapped */
#define TRIGGER_VA    0x52001000ull
#define INHANDLER_VA  0x52002000ull
#define XSTACK_PAGE   (ABI_UXSTACK_TOP - ABI_UXSTACK_SIZE)
#define CHILD_QUOTA   2
#define MAX_YIELDS    100000
#define PATTERN       0x75706361006c6c00ull

#define PF_W       0x2 /* page-fault error code bits (SDM Vol. 3A 4.7) */
#define PF_U       0x4
#define T_PF       14
#define RFLAGS_DF  (1ull << 10)
#define REG_PAT(n) (0x0101010101010101ull * (n))

/* What the handler saw, one entry per fault, in order. */
struct seen {
	uint64_t va, error, vector, rip, rsp, record, depth;
};
#define MAX_SEEN 16
static volatile struct seen seen[MAX_SEEN]; /* volatile: written behind the code's back */
static volatile unsigned nseen, depth;
static int nchecks, nfailed;

static void
check(int ok, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("faultupcall: %s %s\n", what, ok ? "OK" : "FAIL");
}

static void
map_fresh(uint64_t va)
{
	long slot = slot_alloc();

	if (slot < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot,
	                    CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) < 0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)slot, va, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot map a frame at 0x%lx", (unsigned long)va);
}

/* Records the fault, maps a zeroed frame at its page and returns (the trampoline resumes).
 * A fault on NEST_VA first reads NEST_INNER_VA: a fault inside the handler. */
static void
handler(struct abi_fault *f)
{
	uint64_t page = f->va & ~(ABI_PAGE_SIZE - 1);
	unsigned n = nseen++;

	depth++;
	if (n < MAX_SEEN)
		seen[n] = (struct seen){
			.va = f->va,
			.error = f->error,
			.vector = f->vector,
			.rip = f->regs.rip,
			.rsp = f->regs.rsp,
			.record = (uintptr_t)f,
			.depth = depth,
		};
	if (page < ARENA || page >= ARENA_END)
		panic("a fault outside the test pages: va 0x%lx ip 0x%lx", (unsigned long)f->va,
		      (unsigned long)f->regs.rip);
	if (page == NEST_VA)
		(void)*(volatile uint64_t *)NEST_INNER_VA;
	map_fresh(page);
	depth--;
}

/* Reads and writes alternate, one fault per page, each at a different offset. */
static void
test_pages(void)
{
	unsigned first = nseen;
	int zero = 1, back = 1, order = 1, rec = 1;

	for (int i = 0; i < NPAGES; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(PAGES_VA + i * ABI_PAGE_SIZE + 8 * i);

		if (i % 2 == 0)
			zero &= *p == 0;
		else
			*p = PATTERN + (uint64_t)i;
	}
	for (int i = 1; i < NPAGES; i += 2)
		back &= *(volatile uint64_t *)(PAGES_VA + i * ABI_PAGE_SIZE + 8 * i) ==
		        PATTERN + (uint64_t)i;
	check(nseen - first == NPAGES, "fault: one upcall per unmapped page touched");
	check(zero, "fault: a read of an unmapped page returns 0 from the fresh frame");
	check(back, "fault: a write to an unmapped page lands and reads back");
	for (int i = 0; i < NPAGES && first + i < MAX_SEEN; i++) {
		const volatile struct seen *s = &seen[first + i];
		uint64_t stack_lo = ABI_USTACK_TOP - ABI_USTACK_PAGES * ABI_PAGE_SIZE;

		order &= s->va == PAGES_VA + i * ABI_PAGE_SIZE + 8 * i;
		rec &= s->error == (PF_U | (i % 2 ? PF_W : 0)) && s->vector == T_PF &&
		       s->depth == 1 && s->rip >= ABI_UTEXT && s->rip < ABI_UTEXT + 0x100000 &&
		       s->rsp > stack_lo && s->rsp <= ABI_USTACK_TOP;
	}
	check(order, "record: each fault's va is the address touched, in order");
	check(rec, "record: user not-present read or write, vector 14, the program's rip and rsp");
}

/* A known value in every general register but rsp and rbp, CF and DF set, then a load from
 * an unmapped page: the handler is C and free to clobber the caller-saved registers.  adc
 * folds CF into rbx; rflags is read below the red zone, where the compiler keeps nothing. */
static void
test_regs(void)
{
	register uint64_t r8 __asm__("r8") = REG_PAT(8);
	register uint64_t r9 __asm__("r9") = REG_PAT(9);
	register uint64_t r10 __asm__("r10") = REG_PAT(10);
	register uint64_t r11 __asm__("r11") = REG_PAT(11);
	register uint64_t r12 __asm__("r12") = REG_PAT(12);
	register uint64_t r13 __asm__("r13") = REG_PAT(13);
	register uint64_t r14 __asm__("r14") = REG_PAT(14);
	register uint64_t r15 __asm__("r15") = REG_PAT(15);
	uint64_t rax = REGS_VA, rbx = REG_PAT(1), rcx = REG_PAT(2), rdx = REG_PAT(3);
	uint64_t rsi = REG_PAT(4), rdi = REG_PAT(5);
	unsigned first = nseen;
	int same;

	__asm__ volatile("stc\n\t"
	                 "std\n\t"
	                 "movq (%%rax), %%rax\n\t"
	                 "adcq $0, %%rbx\n\t"
	                 "leaq -128(%%rsp), %%rsp\n\t"
	                 "pushfq\n\t"
	                 "popq %%rax\n\t"
	                 "leaq 128(%%rsp), %%rsp\n\t"
	                 "cld"
	                 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi), "+D"(rdi),
	                   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13),
	                   "+r"(r14), "+r"(r15)
	                 :
	                 : "cc", "memory");
	same = (rbx == REG_PAT(1) || rbx == REG_PAT(1) + 1) && rcx == REG_PAT(2) &&
	       rdx == REG_PAT(3) && rsi == REG_PAT(4) && rdi == REG_PAT(5) && r8 == REG_PAT(8) &&
	       r9 == REG_PAT(9) && r10 == REG_PAT(10) && r11 == REG_PAT(11) && r12 == REG_PAT(12) &&
	       r13 == REG_PAT(13) && r14 == REG_PAT(14) && r15 == REG_PAT(15);
	check(nseen - first == 1, "regs: the load faulted once");
	check(same, "regs: every general register comes back from the upcall");
	check(rbx == REG_PAT(1) + 1 && (rax & RFLAGS_DF),
	      "regs: the carry and direction flags come back from the upcall");
}

static void
test_nest(void)
{
	unsigned first = nseen;
	const volatile struct seen *outer = &seen[first], *inner = &seen[first + 1];

	*(volatile uint64_t *)NEST_VA = PATTERN;
	check(nseen - first == 2 && outer->va == NEST_VA && outer->depth == 1 &&
	          inner->va == NEST_INNER_VA && inner->depth == 2,
	      "nest: a fault inside the handler runs the handler again, one level deeper");
	check(inner->rsp > XSTACK_PAGE && inner->rsp < outer->record &&
	          inner->record + sizeof(struct abi_fault) + PGFAULT_RED_ZONE <= inner->rsp,
	      "nest: the inner record lies on the exception stack, below the handler's red zone");
	check(*(volatile uint64_t *)NEST_VA == PATTERN && *(volatile uint64_t *)NEST_INNER_VA == 0,
	      "nest: both levels resumed: the handler read its page, the write landed");
}

/* Spawns `cmd` with a small quota and waits until it is dead. */
static void
run_child(const char *cmd, const char *what)
{
	long slot = slot_alloc();
	int r = E_NOMEM;

	if (slot >= 0 &&
	    sys_spawn(cmd, strlen(cmd), (uint64_t)slot, ABI_SLOT_UNTYPED, CHILD_QUOTA) >= 0)
		r = env_wait_dead((uint64_t)slot, MAX_YIELDS);
	check(r == 0, what);
	if (slot >= 0) {
		sys_cap_delete((uint64_t)slot);
		slot_free((uint64_t)slot);
	}
}

/* An upcall is set, but the exception stack is gone before the first fault. */
static void
child_nostack(void)
{
	if (pgfault_set_handler(handler) < 0 || sys_unmap(ABI_SLOT_SELF, XSTACK_PAGE) < 0)
		panic("cannot set the upcall up without a stack");
	printf("faultupcall[nostack]: write 0x%lx\n", (unsigned long)NOSTACK_VA);
	*(volatile uint64_t *)NOSTACK_VA = 1;
	printf("faultupcall[nostack]: survived: FAIL\n");
	exit(1);
}

/* Unmaps the exception stack it runs on, then writes to an unmapped page: that fault's
 * record has nowhere to go.  One asm statement, so no stack access of the compiler's comes
 * in between (it would fault first, on the stack). */
static void
unmapping_handler(struct abi_fault *f)
{
	long ret = SYS_unmap;

	__asm__ volatile("syscall\n\t"
	                 "movq $1, (%[va])"
	                 : "+a"(ret)
	                 : "D"(ABI_SLOT_SELF), "S"(XSTACK_PAGE), [va] "r"(INHANDLER_VA)
	                 : "rcx", "r11", "memory");
}

static void
child_inhandler(void)
{
	if (pgfault_set_handler(unmapping_handler) < 0)
		panic("cannot set the upcall up");
	printf("faultupcall[inhandler]: read 0x%lx, then write 0x%lx in the handler\n",
	       (unsigned long)TRIGGER_VA, (unsigned long)INHANDLER_VA);
	(void)*(volatile uint64_t *)TRIGGER_VA;
	printf("faultupcall[inhandler]: survived: FAIL\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "nostack") == 0)
		child_nostack();
	if (argc > 1 && strcmp(argv[1], "inhandler") == 0)
		child_inhandler();
	printf("faultupcall: env 0x%lx\n", (unsigned long)sys_env_id());
	check(pgfault_set_handler(handler) == 0,
	      "setup: the exception stack is mapped and the upcall set");
	test_pages();
	test_regs();
	test_nest();
	run_child("faultupcall nostack", "kill: a child faulting without an exception stack ends");
	run_child("faultupcall inhandler",
	          "kill: a child faulting in its handler after unmapping the stack ends");
	printf("faultupcall: %d of %d checks failed\n", nfailed, nchecks);
	return nfailed ? 1 : 0;
}
