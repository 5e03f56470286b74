/* The env table and an env's lifetime: creation (address space with the kernel's upper
 * half, capability table with a self capability, FPU save area in its initial state),
 * destruction (unmap, delete capabilities, free the save area, drop the kernel's hold) and
 * release (when the last capability naming it is gone).
 *
 * The lifetime rule (docs/architecture.md, "Lifetimes"): an env made by exofork or spawn
 * dies with its creator, so destroying an env destroys all its descendants, and an env's
 * creation is charged to a quota (env_cost pages) given back when its slot is released. */
#include "env_impl.h"
#include "fpu.h"
#include "iommu.h"
#include "kheap.h"
#include "kvm.h"
#include "mm.h"
#include "panic.h"
#include "pmm.h"
#include "pt.h"
#include "syscall.h"
#include "xstring.h"

struct env envs[NENV];
physaddr_t env_kern_root;
static uint64_t generation[NENV];

struct trapframe *
env_tf(struct env *e)
{
	struct percpu *pc = percpu_this();

	if (pc->env != e)
		return &e->tf;
	/* Syscalls and traps from user mode both build the frame at the stack top. */
	return (struct trapframe *)(uintptr_t)(pc->kstack_top - sizeof(struct trapframe));
}

static struct env *
env_free_slot(void)
{
	for (unsigned i = 0; i < NENV; i++)
		if (envs[i].status == ENV_FREE && envs[i].obj.state != CAP_OBJ_LIVE)
			return &envs[i];
	return NULL;
}

static int
env_caps_init(struct env *e, uint64_t nslots)
{
	struct cap *slots = kmalloc(nslots * sizeof(*slots));
	struct cap_object *hold;
	int err;

	if (slots == NULL)
		return E_NOMEM;
	if ((err = cap_table_init(&e->caps, slots, nslots, e->id)) < 0 ||
	    (err = cap_object_init(&e->obj, CAP_ENV, e->id)) < 0 ||
	    (err = cap_create(&e->caps, ABI_SLOT_SELF, &e->obj, CAP_R_ALL)) < 0) {
		kfree(slots);
		return err;
	}
	/* The kernel's own hold keeps the env alive while it runs, whoever deletes what. */
	if ((err = cap_acquire(&e->caps, ABI_SLOT_SELF, CAP_ENV, 0, &hold, NULL)) < 0)
		panic("env: no hold on a new env (%d)", err);
	e->held = true;
	return 0;
}

/* A save area holding the architectural initial state (fpu.h): a new env never sees
 * another env's registers.  kmalloc gives blocks of 64 bytes and more 64-byte alignment
 * (slab objects of a power-of-two class start 64 bytes into their page; larger blocks are
 * whole pages), which XSAVE needs; the check keeps that promise honest. */
static int
env_fpu_alloc(struct env *e)
{
	void *area = kmalloc(fpu_area_size());

	if (area == NULL)
		return E_NOMEM;
	if ((uintptr_t)area % FPU_AREA_ALIGN != 0)
		panic("env: kmalloc gave FPU area %p, not %d-byte aligned", area, FPU_AREA_ALIGN);
	fpu_area_init(area);
	e->fpu = area;
	return 0;
}

int
env_alloc(struct env **out, uint64_t parent, uint64_t nslots, const char *name)
{
	struct env *e = env_free_slot();
	int64_t root;
	unsigned idx;
	int err;

	if (e == NULL)
		return E_NOMEM;
	idx = (unsigned)(e - envs);
	memset(e, 0, sizeof(*e));
	e->id = (++generation[idx] << 12) | idx;
	e->parent = parent;
	strlcpy(e->name, name, sizeof(e->name));
	if ((err = env_fpu_alloc(e)) < 0)
		return err;
	if ((root = kvm_root_new()) < 0) {
		err = (int)root;
		goto fail_fpu;
	}
	e->root = (physaddr_t)root;
	/* Its tables are charged to e->pt_pool (pt.h: a table's account is its root's owner). */
	pmm_set_use(e->root, PAGE_USE_PT, idx + 1);
	if ((err = env_caps_init(e, nslots)) < 0) {
		kvm_root_free(e->root);
		goto fail_fpu;
	}
	e->tf.cs = SYSCALL_USER_CS;
	e->tf.ss = SYSCALL_USER_SS;
	e->tf.rflags = ENV_RFLAGS_ALWAYS;
	e->status = ENV_NOT_RUNNABLE;
	if ((err = env_sched_new(e)) < 0) {
		env_destroy(e);
		return err;
	}
	*out = e;
	return 0;
fail_fpu:
	kfree(e->fpu);
	e->fpu = NULL;
	return err;
}

uint64_t
env_cost(uint64_t nslots)
{
	/* Its PML4, its FPU save area (at most a page) and its capability table. */
	return 2 + (nslots * sizeof(struct cap) + PAGE_SIZE - 1) / PAGE_SIZE;
}

int
env_alloc_charged(struct env **out, struct env *creator, uint64_t uslot, uint64_t nslots,
                  const char *name)
{
	struct cap_object *pool;
	uint64_t cost = env_cost(nslots);
	int err = cap_acquire(&creator->caps, uslot, CAP_UNTYPED, CAP_R_WRITE, &pool, NULL);

	if (err < 0)
		return err;
	if ((err = cap_quota_take(pool, cost)) < 0) {
		cap_object_put(pool);
		return err;
	}
	if ((err = env_alloc(out, creator->id, nslots, name)) < 0) {
		cap_quota_give(pool, cost);
		cap_object_put(pool);
		return err;
	}
	creator->created = true;
	(*out)->pool = pool; /* the hold passes to the env */
	(*out)->charged = cost;
	/* Its page tables come from the same quota (spawn gives them the child's own). */
	if (cap_object_hold(pool) == 0)
		(*out)->pt_pool = pool;
	return 0;
}

static void env_destroy_one(struct env *e);

static bool
env_id_alive(uint64_t id)
{
	uint64_t idx = id & 0xfff; /* env_alloc: generation << 12 | index */
	const struct env *p = &envs[idx < NENV ? idx : 0];

	return idx < NENV && p->id == id && p->status != ENV_FREE && p->status != ENV_DEAD;
}

/* Destroys e, then every env whose creator is no longer alive, until none is left: the
 * descendants of e die with it.  A scan of the table per round, no recursion (a chain of
 * NENV envs costs NENV rounds; destroy is rare).  Destroying an env that runs on another
 * CPU gives the env lock up while it waits (env_sched_exit), so e stays `dying` until its
 * last descendant is gone: env_status says NOT_RUNNABLE and its death is signalled only
 * then, so whoever sees it DEAD sees its descendants gone too (found by the fuzzer on 4
 * CPUs: a leak check right after a worker's death counted a grandchild still being
 * destroyed).  A hold keeps e's slot, and so its id, until then. */
void
env_destroy(struct env *e)
{
	bool again = e->created; /* an env that never made one has no descendant */
	bool held;

	if (!again || e->status == ENV_DEAD || e->status == ENV_FREE) {
		env_destroy_one(e); /* returns at once for one already destroyed (or dying) */
		return;
	}
	held = cap_object_hold(&e->obj) == 0;
	e->dying = true;
	env_destroy_one(e);
	while (again) {
		again = false;
		for (unsigned i = 0; i < NENV; i++) {
			struct env *x = &envs[i];

			if (x->status == ENV_FREE || x->status == ENV_DEAD || x->parent == 0 ||
			    env_id_alive(x->parent))
				continue;
			env_destroy_one(x);
			again = true;
		}
	}
	e->dying = false;
	knotify_env_dead(e);
	if (held)
		cap_object_put(&e->obj);
}

static void
env_destroy_one(struct env *e)
{
	struct percpu *pc = percpu_this();
	struct cap *slots = e->caps.slots;
	unsigned old;

	/* A sleeper leaves its queue first: the timer must not wake an env being destroyed. */
	env_sleep_cancel(e);
	old = e->status;

	if (old == ENV_DEAD || old == ENV_FREE)
		return;
	/* DEAD first: while env_sched_exit waits for another CPU to stop it (with the env lock
	 * given up), nobody else starts destroying it, and env_get no longer finds it. */
	e->status = ENV_DEAD;
	env_sched_exit(e, old);
	ipc_env_teardown(e); /* off every CPU now: nobody can queue it again */
	if (!e->dying)
		knotify_env_dead(e); /* its parent's wait may reap it from here on */
	/* pc->env stays: the rest of the caller's syscall (trace, schedule) still names it,
	 * and uaccess refuses a dead env. */
	if (pc->env == e)
		hal_set_root(env_kern_root);
	iommu_env_gone(e->id); /* its devices blocked before its frames can go */
	env_vm_teardown(e);
	if (e->pt_pool != NULL) { /* every table is back: nothing more is charged to it */
		cap_object_put(e->pt_pool);
		e->pt_pool = NULL;
	}
	cap_table_destroy(&e->caps);
	kfree(slots);
	e->caps.slots = NULL;
	/* If it is this CPU's current env, its state stays in the registers until the next
	 * env's restore overwrites every component (run.c saves no env whose area is gone). */
	kfree(e->fpu);
	e->fpu = NULL;
	if (e->held) {
		e->held = false;
		cap_object_put(&e->obj); /* may release the env at once */
	}
}

int
env_get(struct env *cur, uint64_t slot, uint32_t need, struct env **out)
{
	struct cap_object *obj;
	struct env *t;
	int err = cap_acquire(&cur->caps, slot, CAP_ENV, need, &obj, NULL);

	if (err < 0)
		return err;
	t = env_of(obj);
	if (t->status == ENV_DEAD) {
		cap_object_put(obj);
		return E_NOENT;
	}
	*out = t;
	return 0;
}

/* The last reference to a destroyed env is gone: its place can be reused. */
static void
env_release(struct cap_object *obj)
{
	struct env *e = env_of(obj);

	if (e->status != ENV_DEAD)
		panic("env 0x%lx released while alive", e->id);
	e->status = ENV_FREE;
	if (e->pool != NULL) {
		cap_quota_give(e->pool, e->charged);
		cap_object_put(e->pool);
		e->pool = NULL;
	}
	if (e->leak_report && env_leakcheck_on())
		env_leak_print();
}

void
env_init(void)
{
	env_kern_root = hal_get_root();
	env_sched_init();
	syscall_trace_init();
	cap_set_release_hook(CAP_ENV, env_release);
	pt_set_charge_hook(env_vm_charge);
	frame_init();
	quota_init();
	ipc_init();
	uaccess_init();
}
