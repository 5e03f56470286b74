/* The wait queues of endpoints and notifications, and blocking and waking an env in the
 * middle of an IPC system call.  A blocked env's registers are its saved frame (env.tf): the
 * partner that completes its call writes the results there, then makes it runnable. */
#include "ipc_impl.h"
#include "kheap.h"
#include "panic.h"
#include "xstring.h"

static uint64_t next_id = 1; /* the id cap_identify reports for an endpoint or notification */

void
ipc_enqueue(struct ipc_queue *q, struct env *e)
{
	e->ipc.next = NULL;
	e->ipc.prev = q->tail;
	if (q->tail)
		q->tail->ipc.next = e;
	else
		q->head = e;
	q->tail = e;
}

void
ipc_dequeue(struct ipc_queue *q, struct env *e)
{
	if (e->ipc.prev)
		e->ipc.prev->ipc.next = e->ipc.next;
	else
		q->head = e->ipc.next;
	if (e->ipc.next)
		e->ipc.next->ipc.prev = e->ipc.prev;
	else
		q->tail = e->ipc.prev;
	e->ipc.next = e->ipc.prev = NULL;
}

struct ipc_queue *
ipc_queue_of(struct env *e)
{
	switch (e->ipc.wait) {
	case IPC_SENDING:
		return &endpoint_of(e->ipc.obj)->senders;
	case IPC_RECEIVING:
		return &endpoint_of(e->ipc.obj)->receivers;
	case IPC_NOTIFY:
		return &notify_of(e->ipc.obj)->waiters;
	default:
		return NULL;
	}
}

void
ipc_block(struct env *e, enum ipc_wait w, struct cap_object *obj, uint64_t slot,
          struct ipc_queue *q)
{
	e->tf = *env_tf(e);
	e->ipc.wait = (uint8_t)w;
	e->ipc.obj = obj;
	e->ipc.slot = slot;
	if (q != NULL)
		ipc_enqueue(q, e);
	env_block(e);
	percpu_this()->after |= PERCPU_TF_SAVED;
}

void
ipc_wake(struct env *e, int64_t ret)
{
	ipc_end_wait(e, ret);
	env_wake(e);
}

void
ipc_block_wake(struct env *e, enum ipc_wait w, struct cap_object *obj, uint64_t slot,
               struct ipc_queue *q, struct env *p)
{
	e->tf = *env_tf(e);
	e->ipc.wait = (uint8_t)w;
	e->ipc.obj = obj;
	e->ipc.slot = slot;
	if (q != NULL)
		ipc_enqueue(q, e);
	ipc_end_wait(p, 0);
	/* The fast path (env_handoff), else what ipc_block and ipc_wake do. */
	if (!env_handoff(e, p)) {
		env_block(e);
		env_wake(p);
	}
	percpu_this()->after |= PERCPU_TF_SAVED;
}

void
ipc_wake_all(struct ipc_queue *q, int err)
{
	struct env *w;

	while ((w = q->head) != NULL) {
		ipc_dequeue(q, w);
		ipc_wake(w, err);
	}
}

/* e stops waiting: off its queue, and no longer the caller its server owes a reply. */
static void
ipc_leave(struct env *e)
{
	struct ipc_queue *q = ipc_queue_of(e);

	if (q != NULL)
		ipc_dequeue(q, e);
	if (e->ipc.wait == IPC_REPLY && e->ipc.peer != NULL)
		e->ipc.peer->ipc.caller = NULL;
	e->ipc.wait = IPC_IDLE;
	e->ipc.obj = NULL;
	e->ipc.peer = NULL;
}

void
ipc_env_teardown(struct env *e)
{
	struct env *c = e->ipc.caller;

	ipc_leave(e);
	if (c != NULL) { /* it will never reply now */
		e->ipc.caller = NULL;
		ipc_wake(c, E_NOENT);
	}
}

void
ipc_cancel(struct env *e, int err)
{
	ipc_leave(e);
	e->tf.rax = (uint64_t)(int64_t)err;
}

/* Wakes the envs in q whose capability (their slot) no longer names obj. */
static void
wake_orphans(struct ipc_queue *q, struct cap_object *obj)
{
	struct env *w = q->head, *next;

	for (; w != NULL; w = next) {
		next = w->ipc.next;
		if (!cap_names(&w->caps, w->ipc.slot, obj)) {
			ipc_dequeue(q, w);
			ipc_wake(w, E_NOENT);
		}
	}
}

void
ipc_revoked(struct cap_object *obj)
{
	if (obj->type == CAP_ENDPOINT) {
		wake_orphans(&endpoint_of(obj)->senders, obj);
		wake_orphans(&endpoint_of(obj)->receivers, obj);
	} else if (obj->type == CAP_NOTIFY) {
		wake_orphans(&notify_of(obj)->waiters, obj);
	}
}

int64_t
ipc_object_alloc(struct env *e, const uint64_t *a, unsigned type, size_t size)
{
	uint64_t uslot = a[0], dslot = a[1], rights = a[2];
	size_t off = type == CAP_ENDPOINT ? __builtin_offsetof(struct endpoint, obj)
	                                  : __builtin_offsetof(struct notification, obj);
	struct cap_object *obj;
	char *mem;
	int err;

	if (rights & ~(uint64_t)CAP_R_ALL)
		return E_INVAL;
	if ((mem = kmalloc(size)) == NULL)
		return E_NOMEM;
	memset(mem, 0, size);
	obj = (struct cap_object *)(mem + off);
	if ((err = cap_object_init(obj, type, next_id)) < 0)
		panic("ipc: cannot initialise a new object (%d)", err);
	/* One page of quota, whatever the object's size: what an env can make is bounded by
	 * its quota, as for frames. */
	err = cap_retype(&e->caps, uslot, &e->caps, dslot, obj, 1, rights);
	if (err < 0) {
		kfree(mem);
		return err;
	}
	next_id++;
	return 0;
}

/* The last capability to the object is gone: every waiter wakes with E_NOENT. */
static void
endpoint_release(struct cap_object *obj)
{
	struct endpoint *ep = endpoint_of(obj);

	ipc_wake_all(&ep->senders, E_NOENT);
	ipc_wake_all(&ep->receivers, E_NOENT);
	kfree(ep);
}

static void
notify_release(struct cap_object *obj)
{
	struct notification *n = notify_of(obj);

	ipc_wake_all(&n->waiters, E_NOENT);
	knotify_forget(obj); /* an env's death or console input signals it no more */
	kfree(n);
}

void
ipc_init(void)
{
	cap_set_release_hook(CAP_ENDPOINT, endpoint_release);
	cap_set_release_hook(CAP_NOTIFY, notify_release);
}
