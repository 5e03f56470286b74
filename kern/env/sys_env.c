/* The env syscalls: exofork and the calls that set another env's status, registers,
 * upcall and scheduling, destroy it, or read its status.  Each names its target by an env
 * capability. */
#include "abi/memlayout.h"
#include "console.h"
#include "env_impl.h"
#include "fpu.h"

/* Arithmetic flags, DF and AC (SDM Vol. 1 3.4.3): the only rflags bits user space picks. */
#define RFLAGS_USER 0x40cd5ull

int64_t
sys_exofork(struct env *e, const uint64_t *a)
{
	/* LAB 3: a child with an empty user half and the caller's registers, for which the
	 * call returns 0; the caller gets an env capability in dslot and the child's id. */
	/* BEGIN LAB 3 */
	uint64_t dslot = a[0];
	struct env *child;
	int err;

	/* At least the caller's slots: a LibOS copies capabilities into the child's table at
	 * the slot numbers they have in its own (init's are above ENV_NSLOTS).  Charged to the
	 * quota in the caller's ABI_SLOT_UNTYPED, which must grant WRITE. */
	if ((err = env_alloc_charged(&child, e, ABI_SLOT_UNTYPED,
	                             e->caps.nslots > ENV_NSLOTS ? e->caps.nslots : ENV_NSLOTS,
	                             e->name)) < 0)
		return err;
	child->tf = *env_tf(e);
	child->tf.rax = 0;
	/* The caller's x87/SSE state is in the registers (the kernel has none): the child
	 * resumes with it, as compiled code that kept a value in %xmm across the call expects. */
	fpu_save(child->fpu);
	if ((err = cap_create(&e->caps, dslot, &child->obj, CAP_R_ALL)) < 0) {
		env_destroy(child);
		return err;
	}
	return (int64_t)child->id;
	/* END LAB 3 */
	/* STUB LAB 3: return E_NOSYS; */
}

int64_t
sys_env_set_status(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], status = a[1];
	struct env *t;
	int err;

	if (status != ENV_RUNNABLE && status != ENV_NOT_RUNNABLE)
		return E_INVAL;
	if ((err = env_get(e, eslot, CAP_R_WRITE, &t)) < 0)
		return err;
	/* Either status ends a sleep (sleep_until): RUNNABLE wakes the env early, NOT_RUNNABLE
	 * leaves it blocked with no timer. */
	env_sleep_cancel(t);
	if (status == ENV_RUNNABLE && t->ipc.wait != IPC_IDLE)
		ipc_cancel(t, E_AGAIN); /* its IPC call ends: it cannot run and wait at once */
	if (status == ENV_RUNNABLE)
		env_wake(t);
	else
		env_block(t);
	cap_object_put(&t->obj);
	return 0;
}

int64_t
sys_env_set_regs(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], regs = a[1];
	struct abi_regs r;
	struct trapframe *tf;
	struct env *t;
	int err;

	if ((err = copyin(&r, regs, sizeof(r))) < 0)
		return err;
	if (r.rip < ABI_USER_START || r.rip >= ABI_USER_END || r.rsp > ABI_USER_END)
		return E_RANGE;
	if ((err = env_get(e, eslot, CAP_R_WRITE, &t)) < 0)
		return err;
	tf = env_tf(t);
	tf->rax = r.rax, tf->rbx = r.rbx, tf->rcx = r.rcx, tf->rdx = r.rdx;
	tf->rsi = r.rsi, tf->rdi = r.rdi, tf->rbp = r.rbp;
	tf->r8 = r.r8, tf->r9 = r.r9, tf->r10 = r.r10, tf->r11 = r.r11;
	tf->r12 = r.r12, tf->r13 = r.r13, tf->r14 = r.r14, tf->r15 = r.r15;
	tf->rip = r.rip, tf->rsp = r.rsp;
	tf->rflags = (r.rflags & RFLAGS_USER) | ENV_RFLAGS_ALWAYS;
	cap_object_put(&t->obj);
	if (t != e)
		return 0;
	/* Our own frame: every register must come back, so leave by iretq with rax as set. */
	percpu_this()->after |= PERCPU_FULL_RETURN;
	return (int64_t)r.rax;
}

int64_t
sys_env_set_upcall(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], entry = a[1], xstack_top = a[2];
	struct env *t;
	int err;

	if (entry != 0 && (entry < ABI_USER_START || entry >= ABI_USER_END))
		return E_RANGE;
	if (entry != 0 && (xstack_top % 16 != 0 || xstack_top < ABI_USER_START + ABI_UXSTACK_SIZE ||
	                   xstack_top > ABI_USER_END))
		return E_RANGE;
	if ((err = env_get(e, eslot, CAP_R_WRITE, &t)) < 0)
		return err;
	t->upcall_entry = entry;
	t->upcall_xstack = entry != 0 ? xstack_top : 0;
	cap_object_put(&t->obj);
	return 0;
}

int64_t
sys_env_destroy(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0];
	struct env *t;
	int err;

	if ((err = env_get(e, eslot, CAP_R_WRITE, &t)) < 0)
		return err;
	if (t == e)
		printf("[env 0x%lx] destroyed itself\n", e->id);
	else
		printf("[env 0x%lx] destroyed by env 0x%lx\n", t->id, e->id);
	env_destroy(t); /* the caller itself: it gives the CPU away when the call ends */
	cap_object_put(&t->obj);
	return 0;
}

int64_t
sys_env_status(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0];
	struct cap_object *obj;
	unsigned status;
	int err = cap_acquire(&e->caps, eslot, CAP_ENV, CAP_R_READ, &obj, NULL);

	if (err < 0)
		return err;
	status = env_of(obj)->status;
	if (status == ENV_DEAD && env_of(obj)->dying)
		status = ENV_NOT_RUNNABLE; /* DEAD once its descendants are gone too (env.c) */
	cap_object_put(obj);
	return status;
}

int64_t
sys_env_set_sched(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], params = a[1], affinity = a[2];
	struct abi_sched_params u;
	struct sched_params p;
	struct env *t;
	int err;

	if ((err = copyin(&u, params, sizeof(u))) < 0)
		return err;
	if ((err = env_get(e, eslot, CAP_R_SCHED, &t)) < 0)
		return err;
	p = (struct sched_params){
		.priority = u.priority,
		.tickets = u.tickets,
		.quantum = u.quantum,
		.period = u.period,
		.deadline = u.deadline,
		.budget = u.budget,
	};
	err = env_sched_set(t, &p, affinity);
	cap_object_put(&t->obj);
	return err;
}
