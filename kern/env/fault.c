/* Exceptions in user mode: a page fault goes to the env's upcall when it has one (a struct
 * abi_fault pushed on its exception stack); anything else, or an upcall that cannot be
 * delivered, destroys only that env with a one-line report and runs the next one. */
#include "abi/memlayout.h"
#include "console.h"
#include "env_impl.h"
#include "mm.h"
#include "pt.h"
#include "pte.h"
#include "syscall.h"
#include "x86.h"
#include "xstring.h"

#define RED_ZONE 128 /* bytes below rsp that SysV code may use (x86-64 psABI 3.2.2) */

static void
regs_from_tf(struct abi_regs *r, const struct trapframe *tf)
{
	*r = (struct abi_regs){
		.rax = tf->rax,
		.rbx = tf->rbx,
		.rcx = tf->rcx,
		.rdx = tf->rdx,
		.rsi = tf->rsi,
		.rdi = tf->rdi,
		.rbp = tf->rbp,
		.r8 = tf->r8,
		.r9 = tf->r9,
		.r10 = tf->r10,
		.r11 = tf->r11,
		.r12 = tf->r12,
		.r13 = tf->r13,
		.r14 = tf->r14,
		.r15 = tf->r15,
		.rip = tf->rip,
		.rsp = tf->rsp,
		.rflags = tf->rflags,
	};
}

/* The kernel's address of user page `va` of e when e may write it (present, user, writable),
 * else NULL.  The record is written there through the direct map: one walk, no SMAP window,
 * and no second translation by the CPU. */
static void *
xstack_page(struct env *e, uint64_t va)
{
	struct pt_cursor c = { .root = e->root };
	pte_t *pte;

	if (pt_cursor_leaf(&c, va, false, &pte) < 0 ||
	    (*pte & (PTE_P | PTE_U | PTE_W)) != (PTE_P | PTE_U | PTE_W))
		return NULL;
	return hal_phys_to_virt(*pte & PTE_ADDR_MASK);
}

/* Pushes the fault record and redirects the frame to the upcall; E_FAULT if the exception
 * stack is missing, read-only or full. */
static int
push_upcall(struct env *e, struct trapframe *tf, uint64_t va)
{
	uint64_t top = e->upcall_xstack, sp = top, end;
	struct abi_fault *rec, tmp;
	char *lo, *hi;

	/* A fault inside the upcall nests below it, past the interrupted code's red zone. */
	if (tf->rsp <= top && tf->rsp > top - ABI_UXSTACK_SIZE)
		sp = tf->rsp - RED_ZONE;
	if (sp < top - ABI_UXSTACK_SIZE + sizeof(*rec))
		return E_FAULT;
	sp = (sp - sizeof(*rec)) & ~15ull;
	end = sp + sizeof(*rec) - 1;
	if (!ABI_USER_RANGE_OK(sp, sizeof(*rec)) ||
	    (lo = xstack_page(e, MM_ALIGN_DOWN(sp, PAGE_SIZE))) == NULL)
		return E_FAULT;
	hi = lo;
	if (MM_ALIGN_DOWN(end, PAGE_SIZE) != MM_ALIGN_DOWN(sp, PAGE_SIZE) &&
	    (hi = xstack_page(e, MM_ALIGN_DOWN(end, PAGE_SIZE))) == NULL)
		return E_FAULT;
	/* Written in place when the record lies in one page (nearly always), else in two parts. */
	rec = hi == lo ? (struct abi_fault *)(lo + sp % PAGE_SIZE) : &tmp;
	rec->va = va;
	rec->error = tf->error;
	rec->vector = tf->vector;
	regs_from_tf(&rec->regs, tf);
	if (rec == &tmp) {
		size_t first = PAGE_SIZE - sp % PAGE_SIZE;

		memcpy(lo + sp % PAGE_SIZE, &tmp, first);
		memcpy(hi, (char *)&tmp + first, sizeof(tmp) - first);
	}
	tf->rsp = sp;
	tf->rdi = sp;
	tf->rip = e->upcall_entry;
	return 0;
}

static void
report(const struct env *e, const struct trapframe *tf, uint64_t va)
{
	const char *access = (tf->error & PF_I) ? "exec" : (tf->error & PF_W) ? "write" : "read";

	if (tf->vector == T_PF)
		printf("[env 0x%lx] page fault va 0x%lx ip 0x%lx (%s, %s)\n", e->id, va, tf->rip,
		       access, (tf->error & PF_P) ? "protection" : "not present");
	else
		printf("[env 0x%lx] %s ip 0x%lx\n", e->id, trap_name((unsigned)tf->vector),
		       tf->rip);
	if (tf->cs != SYSCALL_USER_CS)
		printf("[env 0x%lx] left 64-bit user mode (cs 0x%lx rflags 0x%lx)\n", e->id, tf->cs,
		       tf->rflags);
}

bool
env_user_trap(struct trapframe *tf)
{
	struct percpu *pc = percpu_this();
	struct env *e = pc->env;
	uint64_t va = tf->vector == T_PF ? read_cr2() : 0;

	/* Interrupt gates leave AC as user mode set it: close SMAP's window first. */
	uaccess_end();
	if (tf->vector == T_NMI || tf->vector == T_MC || tf->vector >= T_NEXC || e == NULL)
		return false;
	/* Delivery takes no lock.  Only this CPU runs e, with interrupts off until the iretq, and
	 * whatever another CPU does to e's address space meanwhile cannot free what the record
	 * is written into: a table page is freed only by teardown, which first waits for e to
	 * stop here (env_sched_exit), and a frame only after an unmap or replace, whose TLB
	 * shootdown waits for this CPU's answer (ipi.c), given after the iretq.  A destroy that
	 * has begun (DEAD) stops e as soon as interrupts are on again. */
	/* Only a 64-bit user frame can be resumed at the upcall: an env that left that mode
	 * (trap.h trap_from_user: cs = 0 after TCG's virtual-8086 entry) is destroyed. */
	if (tf->vector == T_PF && tf->cs == SYSCALL_USER_CS && e->upcall_entry != 0 &&
	    push_upcall(e, tf, va) == 0)
		return true;
	env_lock();
	if (e->status != ENV_DEAD)
		report(e, tf, va);
	env_destroy(e);
	env_unlock();
	env_schedule();
}

_Noreturn void
env_user_bad_mode(struct trapframe *tf)
{
	struct env *e = percpu_this()->env;

	env_lock();
	if (e != NULL && e->status != ENV_DEAD) {
		printf("[env 0x%lx] left 64-bit user mode (cs 0x%lx rflags 0x%lx) at an "
		       "interrupt\n",
		       e->id, tf->cs, tf->rflags);
		env_destroy(e);
	}
	env_unlock();
	env_schedule();
}
