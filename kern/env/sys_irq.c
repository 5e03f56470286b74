/* Device interrupts to notifications (issue 12 item 3, syscalls 47-49, docs/syscalls.md
 * "Devices"): irq_bind ties a PCI function's legacy interrupt (INTx, through the I/O APIC:
 * kern/dev/irq.c) to a notification; each interrupt masks the line and signals the bits;
 * irq_ack unmasks it.  A driver that never acknowledges leaves its line masked: it costs
 * the kernel one interrupt, not a storm.
 *
 * One binding per device object, made by one env through one slot.  Bindings are weak, as
 * knotify.c's are: they hold neither the device nor the notification.  The notification's
 * release (knotify_forget -> irq_forget) and the binder's death (knotify_env_dead ->
 * irq_env_dead) unbind at once.  The device capability is checked again whenever the
 * binding is used (an interrupt delivered, an ack): the binder's slot must still hold a
 * CAP_DEVICE capability with WRITE on that device, else the binding goes and its line
 * stays masked (after a revoke or delete the line fires at most once more, masked by the
 * handler, and nothing is signalled).
 *
 * Shared lines: two devices on one GSI share a line (irq.c); an interrupt signals every
 * binding on it, and the line is unmasked once none of them owes an acknowledgement.
 *
 * Locking: everything here runs under the env lock (syscalls, and irq_deliver from
 * env_unlock's hook: knotify.c explains why an interrupt handler only marks the line). */
#include "env_impl.h"
#include "ipc.h"
#include "irq.h"

#define NBINDS 16

struct binding {
	struct env *env;         /* the binder, NULL: a free entry */
	uint64_t devslot;        /* its slot of the device capability */
	struct cap_object *dev;  /* the device (identity only) */
	struct cap_object *nobj; /* the notification (a CAP_NOTIFY object) */
	uint64_t bits;
	unsigned line;
	bool owed; /* signalled, not yet acknowledged: the line stays masked */
};

static struct binding binds[NBINDS];

static struct binding *
find(const struct cap_object *dev)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].dev == dev)
			return &binds[i];
	return NULL;
}

/* The binder's slot still names the device with WRITE. */
static bool
valid(const struct binding *b)
{
	struct cap_object *obj;

	if (cap_acquire(&b->env->caps, b->devslot, CAP_DEVICE, CAP_R_WRITE, &obj, NULL) < 0)
		return false;
	cap_object_put(obj);
	return obj == b->dev;
}

/* Unmasks b's line unless some binding on it still owes an acknowledgement. */
static void
unmask_if_quiet(unsigned line)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].line == line && binds[i].owed)
			return;
	irq_line_unmask(line);
}

static void
unbind(struct binding *b)
{
	unsigned line = b->line;

	*b = (struct binding){ 0 };
	irq_line_close(line); /* masks it when it was the line's last user */
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].line == line) {
			unmask_if_quiet(line); /* b may have been the one that owed */
			return;
		}
}

/* Takes devslot (WRITE) and, for irq_bind, nslot (WRITE); the caller puts both. */
static int
take(struct env *e, uint64_t devslot, uint64_t nslot, struct cap_object **dev,
     struct cap_object **nobj)
{
	int err = cap_acquire(&e->caps, devslot, CAP_DEVICE, CAP_R_WRITE, dev, NULL);

	if (err < 0 || nobj == NULL)
		return err;
	if ((err = cap_acquire(&e->caps, nslot, CAP_NOTIFY, CAP_R_WRITE, nobj, NULL)) < 0)
		cap_object_put(*dev);
	return err;
}

/* A new binding of dev for e; its GSI, or an error. */
static int
bind_new(struct env *e, uint64_t devslot, struct cap_object *dev, struct cap_object *nobj,
         uint64_t bits)
{
	struct binding *b = NULL;
	unsigned line;
	int err;

	for (unsigned i = 0; i < NBINDS && b == NULL; i++)
		if (binds[i].env == NULL)
			b = &binds[i];
	if (b == NULL)
		return E_NOMEM;
	if ((err = irq_line_open(dev_pci(dev), &line)) < 0)
		return err;
	*b = (struct binding){
		.env = e, .devslot = devslot, .dev = dev, .nobj = nobj, .bits = bits, .line = line
	};
	unmask_if_quiet(line);
	return (int)irq_line_gsi(line);
}

int64_t
sys_irq_bind(struct env *e, const uint64_t *a)
{
	uint64_t devslot = a[0], nslot = a[1], bits = a[2];
	struct cap_object *dev, *nobj;
	struct binding *b;
	int err;

	if (bits == 0)
		return E_INVAL;
	if ((err = take(e, devslot, nslot, &dev, &nobj)) < 0)
		return err;
	if ((b = find(dev)) != NULL && b->env != e && valid(b)) {
		err = E_BUSY; /* another env's driver has it */
	} else if (b != NULL && b->env == e && valid(b)) {
		b->devslot = devslot; /* a new notification or bits; the line's state stays */
		b->nobj = nobj;
		b->bits = bits;
		err = (int)irq_line_gsi(b->line);
	} else {
		if (b != NULL)
			unbind(b); /* its capability has gone */
		err = bind_new(e, devslot, dev, nobj, bits);
	}
	cap_object_put(nobj);
	cap_object_put(dev);
	return err;
}

/* The caller's binding of the device in devslot, or NULL (one found stale is removed). */
static struct binding *
mine(struct env *e, struct cap_object *dev)
{
	struct binding *b = find(dev);

	if (b == NULL || b->env != e)
		return NULL;
	if (!valid(b)) {
		unbind(b);
		return NULL;
	}
	return b;
}

int64_t
sys_irq_ack(struct env *e, const uint64_t *a)
{
	struct cap_object *dev;
	struct binding *b;
	int err;

	if ((err = take(e, a[0], 0, &dev, NULL)) < 0)
		return err;
	if ((b = mine(e, dev)) == NULL) {
		err = E_NOENT;
	} else if (!b->owed) {
		err = E_AGAIN; /* nothing delivered since the last ack */
	} else {
		b->owed = false;
		unmask_if_quiet(b->line);
	}
	cap_object_put(dev);
	return err;
}

int64_t
sys_irq_unbind(struct env *e, const uint64_t *a)
{
	struct cap_object *dev;
	struct binding *b;
	int err;

	if ((err = take(e, a[0], 0, &dev, NULL)) < 0)
		return err;
	if ((b = mine(e, dev)) == NULL)
		err = E_NOENT;
	else
		unbind(b);
	cap_object_put(dev);
	return err;
}

/* Every valid binding on a line that fired owes an ack before any stale one is removed:
 * removing one unmasks the line when no binding on it owes one. */
void
irq_deliver(void)
{
	uint32_t fired = irq_fired_take();

	if (fired == 0)
		return;
	for (unsigned i = 0; i < NBINDS; i++) {
		struct binding *b = &binds[i];

		if (b->env != NULL && (fired >> b->line & 1) && valid(b)) {
			b->owed = true;
			ipc_notify_signal(b->nobj, b->bits);
		}
	}
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && (fired >> binds[i].line & 1) && !binds[i].owed)
			unbind(&binds[i]);
}

void
irq_env_dead(struct env *e)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env == e)
			unbind(&binds[i]);
}

void
irq_forget(struct cap_object *obj)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].nobj == obj)
			unbind(&binds[i]);
}

bool
irq_any_bound(void)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL)
			return true;
	return false;
}
