/* IPC (kern/ipc): endpoints for synchronous message passing and notifications, two kinds of
 * capability object made from untyped memory.  The rules are in docs/syscalls.md ("IPC");
 * this header has what the env code needs: the per-env IPC state and the hooks the env
 * lifetime and status calls run.
 *
 * Locking: every IPC structure (the queues of an endpoint or notification, the notification
 * word, each env's ipc state and, for a blocked env, its saved registers) is guarded by the
 * env lock (kern/env/lock.c), which every IPC system call holds. */
#ifndef EXOLAB_IPC_H
#define EXOLAB_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/ipc.h"

struct env;
struct cap_object;

/* What an env waits for (ipc.wait). */
enum ipc_wait {
	IPC_IDLE = 0,  /* not blocked in IPC */
	IPC_SENDING,   /* queued on an endpoint in send or call, with its message */
	IPC_RECEIVING, /* queued on an endpoint in recv or reply_recv */
	IPC_REPLY,     /* its call was received: waits for the reply of env `peer` */
	IPC_NOTIFY,    /* queued on a notification in wait */
};

/* An intrusive FIFO of blocked envs (head is served first). */
struct ipc_queue {
	struct env *head, *tail;
};

/* The IPC part of struct env. */
struct ipc_state {
	uint8_t wait;                /* enum ipc_wait */
	bool call;                   /* IPC_SENDING: it used call, a reply is owed once received */
	struct cap_object *obj;      /* IPC_SENDING/RECEIVING/NOTIFY: the object it waits on */
	uint64_t slot;               /* ... through the capability in this slot of its table */
	struct env *next, *prev;     /* its links in that object's queue */
	uint64_t info;               /* the info word it passed (abi/ipc.h) */
	uint64_t badge;              /* IPC_SENDING: the badge of its capability */
	uint64_t msg[ABI_IPC_WORDS]; /* IPC_SENDING: the payload */
	struct env *peer;            /* IPC_REPLY: the env that owes it a reply */
	struct env *caller;          /* the caller this env owes a reply to, or NULL */
};

/* The table's first stop for ipc_call (call) and ipc_reply_recv (kern/ipc/fastpath.c):
 * switches straight to the waiting partner, or returns having changed nothing.  `a` is the
 * args of this CPU's syscall_frame (the dispatcher's argument). */
void ipc_fastpath(struct env *e, const uint64_t *a, bool call);

/* Release hooks for the two object types (called once at boot). */
void ipc_init(void);

/* e is being destroyed (after it left every CPU): out of any queue; a caller waiting for
 * e's reply wakes with E_NOENT; a server owing e a reply forgets it. */
void ipc_env_teardown(struct env *e);

/* e is made runnable by env_set_status while blocked in IPC: its call ends with `err`. */
void ipc_cancel(struct env *e, int err);

/* The kernel signals the notification `obj` (CAP_NOTIFY, live) on its own account: bits ORed
 * into its word, one waiter woken, as notify_signal does (kern/env/knotify.c: an env's death,
 * console input). */
void ipc_notify_signal(struct cap_object *obj, uint64_t bits);

/* A capability to `obj` was revoked: every env waiting on obj through a capability that is
 * gone now wakes with E_NOENT. */
void ipc_revoked(struct cap_object *obj);

#endif
