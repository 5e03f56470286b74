/* The IPC fast path (issue 11 item 1, after seL4's fastpath): ipc_call to a receiver that
 * waits and ipc_reply_recv to a caller that waits for the reply, when the server then waits
 * for the next call, go straight from the syscall entry (syscall.S) to the partner.  The
 * syscall table sends calls 31 and 32 here first (kern/env/syscall.c, FAST_); when any
 * condition below fails, nothing has changed and the ordinary handler runs.
 *
 * Taken only when:
 *  - the info word is 0: no capability sent or slot offered, blocking (so no transfer, and
 *    the checks of endpoint.c's check_info have nothing to look at);
 *  - percpu.after is 0: no trace line to print, no reschedule or timer work pending, no
 *    lock held (the ordinary path's syscall_after does those);
 *  - the capability is an endpoint with WRITE (call) or READ (reply_recv);
 *  - the partner waits: a receiver queued on the endpoint (call), or the caller the server
 *    owes a reply to with no sender queued (reply_recv: the server will wait);
 *  - env_handoff says the scheduler would run the partner here now anyway (same CPU, its
 *    registers on no CPU, nothing queued ahead of it: docs/smp.md, "IPC fast path").
 *
 * What it does is exactly what endpoint.c does for that case (do_send -> deliver_to_waiting,
 * reply -> do_recv -> ipc_block_wake), without what cannot apply: the capability transfer,
 * the reference on the endpoint (below), the wrappers and the second pass through
 * syscall_after.
 *
 * Why the capability needs no reference: everything here runs under the env lock, and every
 * change of any capability table (delete, revoke reaching into this table from another CPU,
 * an env's destruction) happens under it too (kern/env/lock.c).  So from the lookup to the
 * unlock the slot keeps naming the endpoint, the endpoint's last capability cannot go, and
 * its release hook (queue.c, endpoint_release) cannot free it; the endpoint is not touched
 * after the unlock.  The partner likewise cannot be destroyed, woken or moved meanwhile:
 * those are env-lock operations too, and a partner blocked in IPC has no CPU that could
 * change it (env_handoff checks that its registers are loaded nowhere). */
#include "abi/memlayout.h"
#include "ipc_impl.h"
#include "syscall.h"
#include "trap.h"

_Static_assert(__builtin_offsetof(struct syscall_frame, args) == 0,
               "ipc_fastpath finds the frame from its args");

/* call: e's message goes to receiver p, e waits for p's reply. */
static void
fast_call(struct env *e, struct endpoint *ep, uint64_t badge, const uint64_t *w, struct env *p)
{
	ipc_dequeue(&ep->receivers, p);
	put_msg(&p->tf, badge, ABI_IPC_CALLED, w);
	p->ipc.caller = e;
	e->ipc.info = 0; /* no slot offered for the reply */
	e->ipc.wait = IPC_REPLY;
	e->ipc.obj = NULL;
	e->ipc.slot = 0;
	e->ipc.peer = p;
}

/* reply_recv: the reply goes to caller p, e waits on ep for the next message. */
static void
fast_reply_recv(struct env *e, struct endpoint *ep, uint64_t slot, const uint64_t *w, struct env *p)
{
	e->ipc.caller = NULL;
	put_msg(&p->tf, CAP_NO_BADGE, 0, w);
	e->ipc.info = 0;
	e->ipc.wait = IPC_RECEIVING;
	e->ipc.obj = &ep->obj;
	e->ipc.slot = slot;
	ipc_enqueue(&ep->receivers, e);
}

/* The partner the call would switch to, under the env lock, or NULL: the ordinary path. */
static struct env *
fast_partner(struct env *e, bool call, uint64_t slot, struct endpoint **ep, uint64_t *badge)
{
	struct cap_object *obj;
	struct env *p;

	if (cap_peek(&e->caps, slot, CAP_ENDPOINT, call ? CAP_R_WRITE : CAP_R_READ, &obj, badge) <
	    0)
		return NULL;
	*ep = endpoint_of(obj);
	if (call)
		p = (*ep)->receivers.head;
	else
		p = (*ep)->senders.head == NULL ? e->ipc.caller : NULL;
	if (p == NULL || p->ipc.wait != (call ? IPC_RECEIVING : IPC_REPLY))
		return NULL;
	return p;
}

void
ipc_fastpath(struct env *e, const uint64_t *a, bool call)
{
	struct syscall_frame *f = (struct syscall_frame *)(uintptr_t)a; /* args come first */
	struct percpu *pc = percpu_this();
	struct endpoint *ep;
	struct env *p;
	uint64_t badge;

	if (a[1] != 0 || pc->after != 0)
		return;
	env_lock();
	p = fast_partner(e, call, a[0], &ep, &badge);
	/* env_handoff changes nothing when it says no; when it says yes, e is blocked and p is
	 * this CPU's running entity, and the IPC state below follows under the same lock. */
	if (p == NULL || !env_handoff(e, p)) {
		env_unlock();
		return;
	}
	/* e blocks: its registers are saved now, as ipc_block_wake does (a partner on another
	 * CPU may write its results there as soon as the lock goes). */
	trapframe_copy(&e->tf, &f->tf);
	if (call)
		fast_call(e, ep, badge, &a[2], p);
	else
		fast_reply_recv(e, ep, a[0], &a[2], p);
	ipc_end_wait(p, 0);
	env_unlock();
	p = env_handoff_take();
	/* Back by sysret when the partner's frame is one the syscall stub built (a blocked
	 * partner's always is, unless sys_env_set_regs rewrote it meanwhile): see
	 * syscall_sysret.  Else by iretq. */
	if (p->tf.rcx == p->tf.rip && p->tf.r11 == p->tf.rflags && p->tf.rip < ABI_USER_END) {
		env_run_prepare(p);
		syscall_sysret(&p->tf);
	}
	env_run(p);
}
