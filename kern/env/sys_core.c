/* Core capabilities (issue 15 item 1, abi/core.h, docs/partitions.md): one CAP_CORE object
 * per CPU, all given to init; syscalls 60-62.  A claim makes its core run one env only:
 *
 *   - scheduling: every env's entity may run on se.affinity = what it asked for
 *     (env.affinity) less the owned cores, the owner's on its core alone (core_allowed);
 *     with nothing else allowed there, the core's run queue holds the owner only, no other
 *     CPU steals it, and the core's timer stays off (sched.c next_timer);
 *   - interrupts: MSI/MSI-X bindings and INTx lines aimed at the core move to CPU 0
 *     (CORE_HOST_CPU, never owned: it keeps the console and the monitor), and msi_open
 *     refuses it (E_PERM); other envs' sleepers there move to CPU 0 as well;
 *   - TLB shootdowns already go only to CPUs with the address space loaded (ipi.c).
 *
 * A claim ends by core_release, by the owner's death (env_sched_exit), or when the
 * capability it was made through is deleted (cap_delete, a revoke of an ancestor, its
 * table's destruction): the capability module's hook (core_cleared, under its lock) marks
 * the core and sends it a reschedule IPI; the core, in env_schedule, blocks the owner
 * (NOT_RUNNABLE: stopped, whatever it was doing, even spinning in user mode) and gives the
 * core back.  Claims and env.affinity/owns belong to the env lock; core_stopping is atomic. */
#include "abi/core.h"
#include "console.h"
#include "corecap.h"
#include "env_impl.h"
#include "irq.h"
#include "panic.h"
#include "percpu.h"
#include "sched_impl.h"

struct claim {
	const struct cap *cap; /* the capability it was made through; NULL: the core is free */
	struct env *env;
	uint64_t envid;
};

static struct cap_object coreobjs[CAP_MAX_CPUS];
static struct claim claims[CAP_MAX_CPUS];
static uint64_t owned;               /* bit c: claims[c] holds (atomic) */
static uint64_t stops[CAP_MAX_CPUS]; /* claims ended by their capability's deletion */
uint64_t core_stopping;              /* bit c: core c must stop its owner (atomic) */

static unsigned
ncores(void)
{
	unsigned n = hal_cpu_count();

	return n > CAP_MAX_CPUS ? CAP_MAX_CPUS : n;
}

bool
core_owned(unsigned cpu)
{
	return cpu < CAP_MAX_CPUS && (__atomic_load_n(&owned, __ATOMIC_ACQUIRE) >> cpu & 1);
}

uint64_t
core_allowed(const struct env *e)
{
	unsigned n = ncores();
	uint64_t online = n >= 64 ? ~0ull : (1ull << n) - 1, free, m;

	if (e->owns != 0)
		return 1ull << (e->owns - 1);
	free = online & ~__atomic_load_n(&owned, __ATOMIC_ACQUIRE);
	m = e->affinity & free;
	return m != 0 ? m : free; /* pinned to owned cores only: any free one meanwhile */
}

/* Under the capability lock (cap.h): a capability is being emptied.  If a claim was made
 * through it, its core stops the owner at once (the IPI reaches it in user mode). */
static void
core_cleared(const struct cap *c)
{
	uint64_t cpu = c->obj->id;

	if (cpu < CAP_MAX_CPUS && claims[cpu].cap == c) {
		__atomic_fetch_or(&core_stopping, 1ull << cpu, __ATOMIC_ACQ_REL);
		hal_resched((unsigned)cpu);
	}
}

uint64_t
core_count(void)
{
	return ncores();
}

int
core_grant(struct env *e, uint64_t first_slot)
{
	int err;

	for (unsigned i = 0; i < ncores(); i++) {
		if (coreobjs[i].state == CAP_OBJ_UNUSED &&
		    ((err = cap_object_init_core(&coreobjs[i], i)) < 0 ||
		     (err = cap_object_hold(&coreobjs[i])) < 0)) /* the kernel's, for ever */
			return err;
		if ((err = cap_create(&e->caps, first_slot + i, &coreobjs[i], CAP_R_ALL)) < 0)
			return err;
	}
	cap_set_core_hook(core_cleared);
	return 0;
}

/* Every live env's entity takes the CPUs core_allowed gives it now. */
static void
reapply_all(void)
{
	for (unsigned i = 0; i < NENV; i++)
		if (envs[i].status == ENV_RUNNABLE || envs[i].status == ENV_NOT_RUNNABLE)
			env_sched_affinity(&envs[i], core_allowed(&envs[i]));
}

/* The claim on `cpu` ends; its owner stays as it is (running, blocked or stopped). */
static void
disown(unsigned cpu)
{
	struct claim *k = &claims[cpu];

	if (k->cap == NULL)
		return;
	if (k->env->id == k->envid)
		k->env->owns = 0;
	*k = (struct claim){ 0 };
	__atomic_fetch_and(&owned, ~(1ull << cpu), __ATOMIC_ACQ_REL);
	__atomic_fetch_and(&core_stopping, ~(1ull << cpu), __ATOMIC_ACQ_REL);
	reapply_all();
}

void
core_env_gone(struct env *e)
{
	if (e->owns != 0)
		disown(e->owns - 1);
}

void
core_stop(unsigned cpu)
{
	struct claim *k;
	struct env *e;

	if (cpu >= CAP_MAX_CPUS) /* no core capability beyond CAP_MAX_CPUS: nothing to stop */
		return;
	k = &claims[cpu];
	e = k->env;
	if (!(__atomic_load_n(&core_stopping, __ATOMIC_ACQUIRE) >> cpu & 1))
		return;
	if (k->cap == NULL) { /* ended meanwhile (released, or its owner died) */
		__atomic_fetch_and(&core_stopping, ~(1ull << cpu), __ATOMIC_ACQ_REL);
		return;
	}
	if (e->id == k->envid && e->status == ENV_RUNNABLE)
		env_block(e);
	printf("core: cpu %u taken from env 0x%lx: its capability is gone\n", cpu, k->envid);
	stops[cpu]++;
	disown(cpu);
}

/* The core in cslot (needs CLAIM), through *cpu. */
static int
core_of(struct env *e, uint64_t cslot, unsigned *cpu)
{
	struct cap_object *obj;
	int err = cap_acquire(&e->caps, cslot, CAP_CORE, CAP_R_CLAIM, &obj, NULL);

	if (err < 0)
		return err;
	*cpu = (unsigned)obj->id;
	cap_object_put(obj); /* the kernel holds every core object for ever */
	return 0;
}

int64_t
sys_core_claim(struct env *e, const uint64_t *a)
{
	struct cap_object *obj;
	struct env *t = e;
	unsigned cpu;
	int err;

	if ((err = core_of(e, a[0], &cpu)) < 0)
		return err;
	if (a[1] != ABI_CORE_SELF) {
		if ((err = cap_acquire(&e->caps, a[1], CAP_ENV, CAP_R_SCHED, &obj, NULL)) < 0)
			return err;
		t = env_of(obj);
		cap_object_put(obj); /* the env lock keeps it */
		if (t->status != ENV_RUNNABLE && t->status != ENV_NOT_RUNNABLE)
			return E_NOENT; /* dead */
	}
	if (cpu == CORE_HOST_CPU || claims[cpu].cap != NULL || t->owns != 0)
		return E_BUSY;
	__atomic_fetch_or(&owned, 1ull << cpu, __ATOMIC_ACQ_REL);
	if ((err = irq_evict_cpu(cpu, CORE_HOST_CPU)) < 0) {
		__atomic_fetch_and(&owned, ~(1ull << cpu), __ATOMIC_ACQ_REL);
		return err;
	}
	irq_lines_avoid_owned();
	claims[cpu] = (struct claim){ .cap = &e->caps.slots[a[0]], .env = t, .envid = t->id };
	t->owns = cpu + 1;
	reapply_all();
	env_sleep_move(cpu, CORE_HOST_CPU, t);
	kick(CORE_HOST_CPU, false); /* its timer may now be due earlier */
	return 0;
}

int64_t
sys_core_release(struct env *e, const uint64_t *a)
{
	unsigned cpu;
	int err;

	if ((err = core_of(e, a[0], &cpu)) < 0)
		return err;
	if (claims[cpu].cap == NULL)
		return E_NOENT;
	disown(cpu);
	return 0;
}

int64_t
sys_core_stat(struct env *e, const uint64_t *a)
{
	struct abi_core_stat st;
	struct percpu *pc;

	(void)e;
	if (a[0] >= ncores())
		return E_RANGE;
	pc = percpu_of((unsigned)a[0]);
	st = (struct abi_core_stat){
		.timer = __atomic_load_n(&pc->irqs[PERCPU_IRQ_TIMER], __ATOMIC_RELAXED),
		.device = __atomic_load_n(&pc->irqs[PERCPU_IRQ_DEVICE], __ATOMIC_RELAXED),
		.ipi = __atomic_load_n(&pc->irqs[PERCPU_IRQ_IPI], __ATOMIC_RELAXED),
		.other = __atomic_load_n(&pc->irqs[PERCPU_IRQ_OTHER], __ATOMIC_RELAXED),
		.owner = claims[a[0]].cap != NULL ? claims[a[0]].envid : 0,
		.stops = stops[a[0]],
	};
	return copyout(a[1], &st, sizeof(st));
}
