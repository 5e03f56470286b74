/* Notifications: a 64-bit word of signal bits.  signal ORs bits in and, once the word is not
 * zero, hands it to the first waiter (which clears it); wait takes and clears the word,
 * waiting while it is zero; poll takes it without waiting.  Interrupts and watchdogs will
 * signal through them (later labs). */
#include "ipc_impl.h"

int64_t
sys_notify_alloc(struct env *e, const uint64_t *a)
{
	return ipc_object_alloc(e, a, CAP_NOTIFY, sizeof(struct notification));
}

void
ipc_notify_signal(struct cap_object *obj, uint64_t bits)
{
	struct notification *n = notify_of(obj);
	struct env *w;

	n->word |= bits;
	if ((w = n->waiters.head) != NULL) {
		ipc_dequeue(&n->waiters, w);
		w->tf.rdi = n->word;
		n->word = 0;
		ipc_wake(w, 0);
	}
}

int64_t
sys_notify_signal(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0], bits = a[1];
	struct cap_object *obj;
	int err;

	if (bits == 0)
		return E_INVAL;
	if ((err = cap_acquire(&e->caps, slot, CAP_NOTIFY, CAP_R_WRITE, &obj, NULL)) < 0)
		return err;
	ipc_notify_signal(obj, bits);
	cap_object_put(obj);
	return 0;
}

/* wait (block until `until`: 0 never, 1 at once = poll) and poll alike: the word in rdi,
 * cleared, or E_AGAIN when the time came first.  A timed wait sleeps on the CPU's timer queue
 * and on the notification's wait queue at once: the signal wakes it (env_wake ends the
 * sleep), or the timer does (env_sleep_expire ends the wait with E_AGAIN). */
static int64_t
take(struct env *e, uint64_t slot, uint64_t until)
{
	struct cap_object *obj;
	struct notification *n;
	int err;

	if ((err = cap_acquire(&e->caps, slot, CAP_NOTIFY, CAP_R_READ, &obj, NULL)) < 0)
		return err;
	n = notify_of(obj);
	if (n->word != 0) {
		env_tf(e)->rdi = n->word;
		n->word = 0;
	} else if (until == 0 || until > hal_cycles()) {
		if (until != 0)
			env_sleep_arm(e, until, false);
		ipc_block(e, IPC_NOTIFY, obj, slot, &n->waiters);
	} else {
		err = E_AGAIN;
	}
	cap_object_put(obj);
	return err;
}

int64_t
sys_notify_wait(struct env *e, const uint64_t *a)
{
	return take(e, a[0], 0);
}

int64_t
sys_notify_poll(struct env *e, const uint64_t *a)
{
	return take(e, a[0], 1);
}

int64_t
sys_notify_wait_until(struct env *e, const uint64_t *a)
{
	if (a[1] == 0 || a[1] >= ABI_SLEEP_MAX)
		return E_INVAL;
	return take(e, a[0], a[1]);
}
