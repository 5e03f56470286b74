/* Endpoints: synchronous message passing (docs/syscalls.md, "IPC").  A message is four
 * payload words, the badge of the sender's capability and at most one capability; it passes
 * when a sender and a receiver meet, so the kernel never buffers one.  The first to arrive
 * waits in the endpoint's queue with its frame saved; the second completes both calls.
 * A call's sender then waits for the receiver's reply: the receiver owes it one (ipc.caller)
 * until it replies (reply_recv), receives again, or goes away. */
#include "ipc_impl.h"

/* What the sending side of any call brings: from its registers and its capability. */
struct msg {
	uint64_t badge;
	uint64_t info; /* its info word (abi/ipc.h) */
	const uint64_t *w;
	bool call;
};

/* The info word and every slot in it: E_INVAL for unknown bits; a capability to send must
 * be there (cap.h's source checks) with GRANT (E_PERM), through an endpoint capability
 * with GRANT (`ep_rights`, E_PERM; ~0 for a reply); an offered slot must be empty. */
static int
check_info(struct env *e, uint64_t info, uint32_t ep_rights)
{
	uint64_t cslot = ABI_IPC_CSLOT(info), rslot = ABI_IPC_RSLOT(info);
	uint32_t rights;
	int err;

	if (info & ~ABI_IPC_INFO_ALL)
		return E_INVAL;
	if (cslot != 0) {
		if ((err = cap_probe(&e->caps, cslot, true, &rights)) < 0)
			return err;
		if (!(rights & CAP_R_GRANT) || !(ep_rights & CAP_R_GRANT))
			return E_PERM;
	}
	if (rslot != 0 && (err = cap_probe(&e->caps, rslot, false, NULL)) < 0)
		return err;
	return 0;
}

/* Copies the capability the sender named into the slot the receiver offered, if both did
 * and the slot is still empty; returns that slot, or 0. */
static uint64_t
transfer(struct env *s, uint64_t sinfo, struct env *r, uint64_t rinfo)
{
	uint64_t cslot = ABI_IPC_CSLOT(sinfo), rslot = ABI_IPC_RSLOT(rinfo);

	if (cslot == 0 || rslot == 0)
		return 0;
	return cap_copy(&s->caps, cslot, &r->caps, rslot) == 0 ? rslot : 0;
}

/* Receiver r (waiting) gets m from s; s waits for r's reply if m is a call. */
static void
deliver_to_waiting(struct env *s, const struct msg *m, struct env *r)
{
	uint64_t got = transfer(s, m->info, r, r->ipc.info);

	put_msg(&r->tf, m->badge, got | (m->call ? ABI_IPC_CALLED : 0), m->w);
	if (!m->call) {
		ipc_wake(r, 0);
		return;
	}
	r->ipc.caller = s;
	s->ipc.peer = r;
	s->ipc.info = m->info; /* its offered slot, for the reply */
	ipc_block_wake(s, IPC_REPLY, NULL, 0, NULL, r);
}

static int64_t
do_send(struct env *e, uint64_t slot, struct cap_object *obj, const struct msg *m)
{
	struct endpoint *ep = endpoint_of(obj);
	struct env *r = ep->receivers.head;

	if (r != NULL) {
		ipc_dequeue(&ep->receivers, r);
		deliver_to_waiting(e, m, r);
		return 0;
	}
	if (m->info & ABI_IPC_NONBLOCK)
		return E_AGAIN;
	e->ipc.info = m->info;
	e->ipc.badge = m->badge;
	e->ipc.call = m->call;
	for (int i = 0; i < ABI_IPC_WORDS; i++)
		e->ipc.msg[i] = m->w[i];
	ipc_block(e, IPC_SENDING, obj, slot, &ep->senders);
	return 0;
}

/* A caller still waiting for e's reply will never get it. */
static void
abandon_caller(struct env *e)
{
	struct env *c = e->ipc.caller;

	if (c != NULL) {
		e->ipc.caller = NULL;
		ipc_wake(c, E_NOENT);
	}
}

/* A receive; `replied` (or NULL) is the caller a reply_recv has just answered, woken here:
 * with e's block when e waits (the fast path's chance), else at once. */
static int64_t
do_recv(struct env *e, uint64_t slot, struct cap_object *obj, uint64_t info, struct env *replied)
{
	struct endpoint *ep = endpoint_of(obj);
	struct env *s = ep->senders.head;
	uint64_t got;

	abandon_caller(e);
	if (s == NULL && !(info & ABI_IPC_NONBLOCK)) {
		e->ipc.info = info;
		if (replied != NULL)
			ipc_block_wake(e, IPC_RECEIVING, obj, slot, &ep->receivers, replied);
		else
			ipc_block(e, IPC_RECEIVING, obj, slot, &ep->receivers);
		return 0;
	}
	if (replied != NULL)
		ipc_wake(replied, 0);
	if (s == NULL)
		return E_AGAIN;
	ipc_dequeue(&ep->senders, s);
	got = transfer(s, s->ipc.info, e, info);
	put_msg(env_tf(e), s->ipc.badge, got | (s->ipc.call ? ABI_IPC_CALLED : 0), s->ipc.msg);
	if (s->ipc.call) {
		s->ipc.wait = IPC_REPLY; /* still blocked: now for e's reply */
		s->ipc.obj = NULL;
		s->ipc.peer = e;
		e->ipc.caller = s;
	} else {
		ipc_wake(s, 0);
	}
	return 0;
}

/* The endpoint in slot with `need`, and the info word checked; a reply's capability needs
 * no GRANT on the endpoint (it does not travel through it). */
static int
endpoint_get(struct env *e, uint64_t slot, uint32_t need, uint64_t info, bool reply,
             struct cap_object **obj, uint64_t *badge)
{
	uint32_t rights;
	int err;

	if (info & ~ABI_IPC_INFO_ALL)
		return E_INVAL;
	if ((err = cap_acquire_badge(&e->caps, slot, CAP_ENDPOINT, need, obj, &rights, badge)) < 0)
		return err;
	if ((err = check_info(e, info, reply ? ~0u : rights)) < 0)
		cap_object_put(*obj);
	return err;
}

static int64_t
send_common(struct env *e, const uint64_t *a, bool call)
{
	uint64_t slot = a[0], info = a[1];
	struct cap_object *obj;
	struct msg m = { .info = info, .w = &a[2], .call = call };
	int64_t ret;
	int err;

	if ((err = endpoint_get(e, slot, CAP_R_WRITE, info, false, &obj, &m.badge)) < 0)
		return err;
	ret = do_send(e, slot, obj, &m);
	cap_object_put(obj);
	return ret;
}

int64_t
sys_ipc_send(struct env *e, const uint64_t *a)
{
	return send_common(e, a, false);
}

int64_t
sys_ipc_call(struct env *e, const uint64_t *a)
{
	return send_common(e, a, true);
}

int64_t
sys_ipc_recv(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0], info = a[1];
	struct cap_object *obj;
	int64_t ret;
	int err;

	if (ABI_IPC_CSLOT(info) != 0)
		return E_INVAL; /* a receive sends nothing */
	if ((err = endpoint_get(e, slot, CAP_R_READ, info, false, &obj, NULL)) < 0)
		return err;
	ret = do_recv(e, slot, obj, info, NULL);
	cap_object_put(obj);
	return ret;
}

/* The reply to the caller e owes one, if any: its words, no badge, and the capability in
 * info's cslot if the caller offered a slot.  Returns that caller, for do_recv to wake. */
static struct env *
reply(struct env *e, uint64_t info, const uint64_t *w)
{
	struct env *c = e->ipc.caller;
	uint64_t got;

	if (c == NULL)
		return NULL;
	e->ipc.caller = NULL;
	got = transfer(e, info, c, c->ipc.info);
	put_msg(&c->tf, CAP_NO_BADGE, got, w);
	return c;
}

int64_t
sys_ipc_reply_recv(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0], info = a[1];
	struct cap_object *obj;
	int64_t ret;
	int err;

	/* Checked in full before the reply goes: a bad call changes nothing. */
	if ((err = endpoint_get(e, slot, CAP_R_READ, info, true, &obj, NULL)) < 0)
		return err;
	ret = do_recv(e, slot, obj, info, reply(e, info, &a[2]));
	cap_object_put(obj);
	return ret;
}

int64_t
sys_endpoint_alloc(struct env *e, const uint64_t *a)
{
	return ipc_object_alloc(e, a, CAP_ENDPOINT, sizeof(struct endpoint));
}
