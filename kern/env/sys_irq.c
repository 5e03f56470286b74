/* Device interrupts to notifications (issue 12 item 3, syscalls 47-49 and 51-53,
 * docs/syscalls.md "Devices", docs/devices.md): irq_bind ties a PCI function's legacy
 * interrupt (INTx, through the I/O APIC: kern/dev/irq.c) to a notification, irq_bind_msi one
 * of its MSI or MSI-X vectors (kern/dev/msi.c) on a CPU the driver chooses; each interrupt
 * masks the line or vector and signals the bits; the ack unmasks it.  A driver that never
 * acknowledges leaves it masked: it costs the kernel one interrupt, not a storm.
 *
 * Target CPU: any online one.  The vector costs its CPU one handler run per ack, no more
 * than the driver's own CPU time pays for, so no right is needed beyond the device's.
 *
 * One binding per (device object, source): its INTx, or one MSI/MSI-X vector, made by one
 * env through one slot.  Bindings are weak, as
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
#include "abi/dev.h"
#include "corecap.h"
#include "env_impl.h"
#include "ipc.h"
#include "irq.h"

#define NBINDS 32

struct binding {
	struct env *env;         /* the binder, NULL: a free entry */
	uint64_t devslot;        /* its slot of the device capability */
	struct cap_object *dev;  /* the device (identity only) */
	struct cap_object *nobj; /* the notification (a CAP_NOTIFY object) */
	uint64_t bits;
	unsigned kind;  /* 0: INTx, else IRQ_MSI or IRQ_MSIX */
	unsigned index; /* the vector's index (MSI, MSI-X) */
	unsigned line;  /* INTx: the line; else the msi.c handle */
	bool owed;      /* signalled, not yet acknowledged: the line stays masked */
};

static struct binding binds[NBINDS];

static struct binding *
find(const struct cap_object *dev, unsigned kind, unsigned index)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].dev == dev && binds[i].kind == kind &&
		    binds[i].index == index)
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

/* Unmasks the INTx line unless some binding on it still owes an acknowledgement. */
static void
unmask_if_quiet(unsigned line)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].kind == 0 && binds[i].line == line &&
		    binds[i].owed)
			return;
	irq_line_unmask(line);
}

static void
unbind(struct binding *b)
{
	unsigned line = b->line, kind = b->kind;

	*b = (struct binding){ 0 };
	if (kind != 0) {
		msi_close(line); /* masked, its vector freed */
		return;
	}
	irq_line_close(line); /* masks it when it was the line's last user */
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && binds[i].kind == 0 && binds[i].line == line) {
			unmask_if_quiet(line); /* b may have been the one that owed */
			return;
		}
}

/* Unmasks b's source (its INTx line once no binding on it owes an ack). */
static void
unmask(const struct binding *b)
{
	if (b->kind != 0)
		msi_unmask(b->line);
	else
		unmask_if_quiet(b->line);
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

/* What a bind returns: the INTx line's GSI, or the CPU vector of an MSI/MSI-X one. */
static int
result(const struct binding *b)
{
	if (b->kind == 0)
		return (int)irq_line_gsi(b->line);
	return (int)(MSI_VEC_BASE + b->line % MSI_NVEC);
}

/* A new binding of dev's INTx (kind 0) or MSI/MSI-X vector for e: its GSI or CPU vector,
 * or an error. */
static int
bind_new(struct env *e, uint64_t devslot, struct cap_object *dev, struct cap_object *nobj,
         uint64_t bits, const struct binding *src)
{
	struct binding *b = NULL;
	unsigned line;
	int err;

	for (unsigned i = 0; i < NBINDS && b == NULL; i++)
		if (binds[i].env == NULL)
			b = &binds[i];
	if (b == NULL)
		return E_NOMEM;
	if (src->kind == 0)
		err = irq_line_open(dev_pci(dev), &line);
	else
		err = msi_open(dev_pci(dev), src->kind, src->index, src->line, &line);
	if (err < 0)
		return err;
	*b = (struct binding){ .env = e,
		               .devslot = devslot,
		               .dev = dev,
		               .nobj = nobj,
		               .bits = bits,
		               .kind = src->kind,
		               .index = src->index,
		               .line = line };
	unmask(b);
	return result(b);
}

/* Binds the source `want` describes (kind, index; line: the target CPU for MSI). */
static int
bind(struct env *e, uint64_t devslot, uint64_t nslot, uint64_t bits, const struct binding *want)
{
	struct cap_object *dev, *nobj;
	struct binding *b;
	int err;

	if (bits == 0)
		return E_INVAL;
	if ((err = take(e, devslot, nslot, &dev, &nobj)) < 0)
		return err;
	if ((b = find(dev, want->kind, want->index)) != NULL && b->env != e && valid(b)) {
		err = E_BUSY; /* another env's driver has it */
	} else if (b != NULL && b->env == e && valid(b) &&
	           (want->kind == 0 || want->line == b->line / MSI_NVEC)) {
		b->devslot = devslot; /* a new notification or bits; the line's state stays */
		b->nobj = nobj;
		b->bits = bits;
		err = result(b);
	} else if (b != NULL && b->env == e && valid(b) &&
	           (err = msi_retarget(b->line, want->line, &b->line)) == 0) {
		/* A new target CPU: the same device vector, moved (its function stays enabled). */
		b->devslot = devslot;
		b->nobj = nobj;
		b->bits = bits;
		b->owed = false;
		unmask(b);
		err = result(b);
	} else if (b != NULL && b->env == e && valid(b)) {
		/* msi_retarget's error; the binding stays as it was */
	} else {
		if (b != NULL)
			unbind(b); /* its capability has gone, or a new target CPU */
		err = bind_new(e, devslot, dev, nobj, bits, want);
	}
	cap_object_put(nobj);
	cap_object_put(dev);
	return err;
}

int64_t
sys_irq_bind(struct env *e, const uint64_t *a)
{
	struct binding want = { .kind = 0 };

	return bind(e, a[0], a[1], a[2], &want);
}

/* The source an ABI_IRQ_WHICH word names (kind MSI or MSI-X), or E_INVAL. */
static int
which(uint64_t w, struct binding *out)
{
	uint64_t kind = w >> ABI_IRQ_KIND_SHIFT;

	if (kind != ABI_IRQ_MSI && kind != ABI_IRQ_MSIX)
		return E_INVAL;
	out->kind = kind == ABI_IRQ_MSI ? IRQ_MSI : IRQ_MSIX;
	out->index = (unsigned)(w & ABI_IRQ_INDEX_MASK);
	return 0;
}

int64_t
sys_irq_bind_msi(struct env *e, const uint64_t *a)
{
	struct binding want;
	int err;

	if ((err = which(a[3], &want)) < 0)
		return err;
	if (a[4] >= hal_cpu_count())
		return E_RANGE; /* offline: refused before a rebind drops the old binding */
	want.line = (unsigned)a[4];
	return bind(e, a[0], a[1], a[2], &want);
}

/* The caller's binding of (dev, want's source), or NULL (one found stale is removed). */
static struct binding *
mine(struct env *e, struct cap_object *dev, const struct binding *want)
{
	struct binding *b = find(dev, want->kind, want->index);

	if (b == NULL || b->env != e)
		return NULL;
	if (!valid(b)) {
		unbind(b);
		return NULL;
	}
	return b;
}

static int
ack(struct env *e, uint64_t devslot, const struct binding *want)
{
	struct cap_object *dev;
	struct binding *b;
	int err;

	if ((err = take(e, devslot, 0, &dev, NULL)) < 0)
		return err;
	if ((b = mine(e, dev, want)) == NULL) {
		err = E_NOENT;
	} else if (!b->owed) {
		err = E_AGAIN; /* nothing delivered since the last ack */
	} else {
		b->owed = false;
		unmask(b);
	}
	cap_object_put(dev);
	return err;
}

static int
unbind_call(struct env *e, uint64_t devslot, const struct binding *want)
{
	struct cap_object *dev;
	struct binding *b;
	int err;

	if ((err = take(e, devslot, 0, &dev, NULL)) < 0)
		return err;
	if ((b = mine(e, dev, want)) == NULL)
		err = E_NOENT;
	else
		unbind(b);
	cap_object_put(dev);
	return err;
}

int64_t
sys_irq_ack(struct env *e, const uint64_t *a)
{
	struct binding want = { .kind = 0 };

	return ack(e, a[0], &want);
}

int64_t
sys_irq_unbind(struct env *e, const uint64_t *a)
{
	struct binding want = { .kind = 0 };

	return unbind_call(e, a[0], &want);
}

int64_t
sys_irq_ack_msi(struct env *e, const uint64_t *a)
{
	struct binding want;
	int err = which(a[1], &want);

	return err < 0 ? err : ack(e, a[0], &want);
}

int64_t
sys_irq_unbind_msi(struct env *e, const uint64_t *a)
{
	struct binding want;
	int err = which(a[1], &want);

	return err < 0 ? err : unbind_call(e, a[0], &want);
}

/* b's line or vector is in the fired sets. */
static bool
fired_in(const struct binding *b, uint32_t lines, const uint32_t *vecs)
{
	if (b->kind == 0)
		return lines >> b->line & 1;
	return vecs[b->line / MSI_NVEC % CAP_MAX_CPUS] >> (b->line % MSI_NVEC) & 1;
}

/* Every valid binding on a line that fired owes an ack before any stale one is removed:
 * removing one unmasks the line when no binding on it owes one. */
void
irq_deliver(void)
{
	uint32_t lines = irq_fired_take(), vecs[CAP_MAX_CPUS] = { 0 }, any = lines;

	for (unsigned c = 0; c < hal_cpu_count() && c < CAP_MAX_CPUS; c++)
		any |= vecs[c] = msi_fired_take(c);
	if (any == 0)
		return;
	for (unsigned i = 0; i < NBINDS; i++) {
		struct binding *b = &binds[i];

		if (b->env != NULL && fired_in(b, lines, vecs) && valid(b)) {
			b->owed = true;
			ipc_notify_signal(b->nobj, b->bits);
		}
	}
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && fired_in(&binds[i], lines, vecs) && !binds[i].owed)
			unbind(&binds[i]);
}

/* Removes the bindings whose device capability has gone (a revoke or delete): their lines
 * and vectors are masked at once, not at their next interrupt. */
void
irq_revalidate(void)
{
	for (unsigned i = 0; i < NBINDS; i++)
		if (binds[i].env != NULL && !valid(&binds[i]))
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

int
irq_evict_cpu(unsigned cpu, unsigned to)
{
	for (unsigned i = 0; i < NBINDS; i++) {
		struct binding *b = &binds[i];
		int err;

		if (b->env == NULL || b->kind == 0 || b->line / MSI_NVEC != cpu)
			continue;
		/* msi_retarget leaves it masked: unmasked again unless an ack is owed (a
		 * masked MSI-X vector's message waits in the device, PCI 3.0 6.8.2.9). */
		if ((err = msi_retarget(b->line, to, &b->line)) < 0)
			return err;
		if (!b->owed)
			msi_unmask(b->line);
	}
	return 0;
}
