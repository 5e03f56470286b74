/* Internals shared by the files of kern/ipc: the two object types, the wait queues, and
 * blocking and waking an env in the middle of its system call.  Everything here runs under
 * the env lock (ipc.h). */
#ifndef EXOLAB_IPC_IMPL_H
#define EXOLAB_IPC_IMPL_H

#include "../env/env_impl.h"
#include "ipc.h"

/* An endpoint: senders wait for a receiver, receivers for a sender; one queue is always
 * empty (a sender finding a receiver does not wait, and the other way round). */
struct endpoint {
	struct cap_object obj;
	struct ipc_queue senders;
	struct ipc_queue receivers;
};

struct notification {
	struct cap_object obj;
	uint64_t word;
	struct ipc_queue waiters;
};

static inline struct endpoint *
endpoint_of(struct cap_object *obj)
{
	return (struct endpoint *)((char *)obj - __builtin_offsetof(struct endpoint, obj));
}

static inline struct notification *
notify_of(struct cap_object *obj)
{
	return (struct notification *)((char *)obj - __builtin_offsetof(struct notification, obj));
}

/* The registers a receive returns (abi/syscall.h): badge, info, the four words. */
static inline void
put_msg(struct trapframe *tf, uint64_t badge, uint64_t info, const uint64_t *w)
{
	tf->rdi = badge;
	tf->rsi = info;
	tf->rdx = w[0];
	tf->r10 = w[1];
	tf->r8 = w[2];
	tf->r9 = w[3];
}

/* The IPC part of a wake-up: e's call ends with `ret`. */
static inline void
ipc_end_wait(struct env *e, int64_t ret)
{
	e->tf.rax = (uint64_t)ret;
	e->ipc.wait = IPC_IDLE;
	e->ipc.obj = NULL;
	e->ipc.peer = NULL;
}

/* queue.c */
void ipc_enqueue(struct ipc_queue *q, struct env *e);
void ipc_dequeue(struct ipc_queue *q, struct env *e);
struct ipc_queue *ipc_queue_of(struct env *e); /* the queue e waits in, or NULL */
/* Wakes every env in q with `err` (the object is going away). */
void ipc_wake_all(struct ipc_queue *q, int err);

/* The current env e blocks in its system call: its frame is saved now (a partner on another
 * CPU writes the results there), it waits as `w` on obj through slot (in q, if not NULL),
 * and it gives the CPU away when the call ends. */
void ipc_block(struct env *e, enum ipc_wait w, struct cap_object *obj, uint64_t slot,
               struct ipc_queue *q);
/* ipc_block(e, ...) and then ipc_wake(p, 0) in one step: when both are on this CPU and the
 * scheduler's rule allows, p runs next without going through a run queue (the fast path,
 * env_handoff; docs/smp.md, "IPC fast path"). */
void ipc_block_wake(struct env *e, enum ipc_wait w, struct cap_object *obj, uint64_t slot,
                    struct ipc_queue *q, struct env *p);
/* A blocked env's call ends with `ret` (it is no longer in any queue). */
void ipc_wake(struct env *e, int64_t ret);

/* A new object of `size` bytes whose header is at `offset`, paid one page from the quota in
 * uslot, its capability in dslot (endpoint_alloc, notify_alloc). */
int64_t ipc_object_alloc(struct env *e, const uint64_t *a, unsigned type, size_t size);

#endif
