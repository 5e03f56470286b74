/* Notifications the kernel signals on an env's behalf: an env's death (env_notify: how a
 * parent's wait sleeps until its child ends, docs/syscalls.md) and console input
 * (cons_notify: how a console reader sleeps until a key arrives).
 *
 * A binding is weak: it names the notification object without holding it.  When the
 * object's last capability goes (delete, revoke, its holder's death), notify_release calls
 * knotify_forget and the binding disappears, so deleting the notification first is harmless
 * (the death or the key then signals nothing) and no binding keeps an object or its quota
 * page alive.  Bindings are kept per env slot (envs[i]), not in struct env, so env_alloc's
 * memset cannot race them: the death hook clears the slot's bindings before the slot can
 * be reused (env_release comes after env_destroy).
 *
 * Locking: everything here runs under the env lock (lock.c), as every notification does
 * (kern/include/ipc.h). */
#include "console.h"
#include "env_impl.h"
#include "iommu.h"
#include "ipc.h"

struct binding {
	struct cap_object *obj; /* a CAP_NOTIFY object, or NULL */
	uint64_t bits;
};

static struct binding on_death[NENV]; /* signalled when envs[i] dies */
static struct binding on_input[NENV]; /* made by envs[i]: signalled at each console input */
static unsigned nbound;               /* bindings in both tables: knotify_forget's shortcut */
/* Input arrived while its CPU could not take the env lock: the next env_unlock signals. */
bool knotify_cons_pending_;

static void
bind(struct binding *b, struct cap_object *obj, uint64_t bits)
{
	if (b->obj == NULL)
		nbound++;
	b->obj = obj;
	b->bits = bits;
}

static void
unbind(struct binding *b)
{
	if (b->obj != NULL)
		nbound--;
	b->obj = NULL;
	b->bits = 0;
}

int64_t
sys_env_notify(struct env *e, const uint64_t *a)
{
	uint64_t eslot = a[0], nslot = a[1], bits = a[2];
	struct cap_object *eobj, *nobj;
	struct env *t;
	int err;

	if (bits == 0)
		return E_INVAL;
	/* Not env_get: a dead env is an answer here, not an error. */
	if ((err = cap_acquire(&e->caps, eslot, CAP_ENV, CAP_R_WRITE, &eobj, NULL)) < 0)
		return err;
	if ((err = cap_acquire(&e->caps, nslot, CAP_NOTIFY, CAP_R_WRITE, &nobj, NULL)) < 0) {
		cap_object_put(eobj);
		return err;
	}
	t = env_of(eobj);
	/* DEAD with the kernel's hold still there: env_destroy is waiting in env_sched_exit
	 * (the env lock given up) and its death hook is still to run, so the binding is
	 * signalled by it once the env is off every CPU (or, while it is `dying`, once its
	 * descendants are gone too).  DEAD without the hold: the hook has run, the signal goes
	 * now. */
	if (t->status == ENV_DEAD && !t->held && !t->dying)
		ipc_notify_signal(nobj, bits);
	else
		bind(&on_death[t - envs], nobj, bits);
	cap_object_put(nobj);
	cap_object_put(eobj);
	return 0;
}

int64_t
sys_cons_notify(struct env *e, const uint64_t *a)
{
	uint64_t nslot = a[0], bits = a[1];
	struct cap_object *nobj;
	int err;

	if (bits == 0)
		return E_INVAL;
	if ((err = cap_acquire(&e->caps, nslot, CAP_NOTIFY, CAP_R_WRITE, &nobj, NULL)) < 0)
		return err;
	if (!cons_irq_routed()) { /* no signal would ever come: the reader must poll */
		cap_object_put(nobj);
		return E_NOSYS;
	}
	bind(&on_input[e - envs], nobj, bits);
	cap_object_put(nobj);
	return 0;
}

void
knotify_env_dead(struct env *e)
{
	struct binding *b = &on_death[e - envs];

	if (b->obj != NULL)
		ipc_notify_signal(b->obj, b->bits);
	unbind(b);
	unbind(&on_input[e - envs]);
	irq_env_dead(e);
}

void
knotify_forget(struct cap_object *obj)
{
	irq_forget(obj); /* device interrupts bound to it (sys_irq.c) */
	iommu_fault_forget(obj);
	for (unsigned i = 0; i < NENV && nbound > 0; i++) {
		if (on_death[i].obj == obj)
			unbind(&on_death[i]);
		if (on_input[i].obj == obj)
			unbind(&on_input[i]);
	}
}

void
knotify_cons_input(void)
{
	for (unsigned i = 0; i < NENV && nbound > 0; i++)
		if (on_input[i].obj != NULL)
			ipc_notify_signal(on_input[i].obj, on_input[i].bits);
}

bool
knotify_cons_bound(void)
{
	if (irq_any_bound() || iommu_fault_bound()) /* a driver waits for its device likewise */
		return true;
	for (unsigned i = 0; i < NENV && nbound > 0; i++)
		if (on_input[i].obj != NULL)
			return true;
	return false;
}

/* An interrupt handler cannot take the env lock (the lock checker's rule: it is taken with
 * interrupts on), so the input is only marked here and signalled under the lock by the next
 * env_unlock (lock.c), as due sleepers are woken (sleep.c): from user mode this acts as a
 * tick that env_sched_tick turns into a switch to env_schedule, which takes the lock
 * (wake_sleepers); from the idle halt env_schedule looks again at once; from a window where
 * the CPU waits with interrupts on, the lock's holder or this CPU unlocks soon.
 * knotify_cons_pending_ is the one flag all of them look at: it says "something deferred"
 * (console input, cons_input_; a device interrupt line, irq_deliver's lines, sys_irq.c). */
static bool cons_input_;

void
env_irq_defer(const struct trapframe *tf)
{
	__atomic_store_n(&knotify_cons_pending_, true, __ATOMIC_RELEASE);
	if ((tf->cs & 3) == 3)
		env_tick(tf);
}

void
env_cons_input(const struct trapframe *tf)
{
	__atomic_store_n(&cons_input_, true, __ATOMIC_RELEASE);
	env_irq_defer(tf);
}

void
knotify_unlock_hook(void)
{
	if (!__atomic_exchange_n(&knotify_cons_pending_, false, __ATOMIC_ACQ_REL))
		return;
	if (__atomic_exchange_n(&cons_input_, false, __ATOMIC_ACQ_REL))
		knotify_cons_input();
	irq_deliver();
	iommu_fault_deliver(); /* the IOMMU's fault event (sys_iommu.c) */
}
