/* Exceptions in user mode: a page fault goes to the env's upcall when it has one (a struct
 * abi_fault pushed on its exception stack); anything else, or an upcall that cannot be
 * delivered, destroys only that env with a one-line report and runs the next one. */
#include "abi/memlayout.h"
#include "console.h"
#include "env_impl.h"
#include "x86.h"

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

/* Pushes the fault record and redirects the frame to the upcall; E_FAULT if the exception
 * stack is missing, read-only or full. */
static int
push_upcall(struct env *e, struct trapframe *tf, uint64_t va)
{
	uint64_t top = e->upcall_xstack, sp = top;
	struct abi_fault rec = { .va = va, .error = tf->error, .vector = tf->vector };
	int err;

	/* A fault inside the upcall nests below it, past the interrupted code's red zone. */
	if (tf->rsp <= top && tf->rsp > top - ABI_UXSTACK_SIZE)
		sp = tf->rsp - RED_ZONE;
	if (sp < top - ABI_UXSTACK_SIZE + sizeof(rec))
		return E_FAULT;
	sp = (sp - sizeof(rec)) & ~15ull;
	regs_from_tf(&rec.regs, tf);
	if ((err = copyout(sp, &rec, sizeof(rec))) < 0)
		return err;
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
	env_lock();
	if (e->status != ENV_DEAD && tf->vector == T_PF && e->upcall_entry != 0 &&
	    push_upcall(e, tf, va) == 0) {
		env_unlock();
		/* A timer or IPI taken while waiting for the lock: look at the queue again. */
		if ((pc->after & PERCPU_REARM) && env_sched_tick()) {
			e->tf = *tf;
			env_schedule();
		}
		pc->after &= ~PERCPU_REARM;
		return true;
	}
	if (e->status != ENV_DEAD)
		report(e, tf, va);
	env_destroy(e);
	env_unlock();
	env_schedule();
}
