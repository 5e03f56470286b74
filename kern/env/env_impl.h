/* Internals shared by the files of kern/env: the env table, frames and their holds, the
 * address-space helpers, user-memory access, the loader glue and the syscall handlers. */
#ifndef EXOLAB_ENV_IMPL_H
#define EXOLAB_ENV_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap.h"
#include "env.h"
#include "abi/error.h"
#include "hal.h"
#include "loader.h"
#include "percpu.h"
#include "abi/syscall.h"

/* The rflags bits every env runs with: bit 1 (always 1) and IF, so that the timer can take
 * the CPU back from user mode (SDM Vol. 1 3.4.3).  env_run and sys_env_set_regs set them;
 * CPL 3 code cannot clear IF (popf leaves it alone, cli faults), so syscall returns and
 * upcalls keep it. */
#define ENV_RFLAGS_ALWAYS 0x202ull

extern struct env envs[NENV];
extern physaddr_t env_kern_root; /* the kernel's PML4: every env's upper half comes from it */

/* env.c: lifetime.  env_alloc makes an env with an empty user half, a table of `nslots`
 * slots holding only its self capability, status NOT_RUNNABLE and a kernel hold. */
int env_alloc(struct env **out, uint64_t parent, uint64_t nslots, const char *name);
/* env_alloc charged to the quota in (creator, uslot) (CAP_R_WRITE): env_cost(nslots)
 * pages, given back when the env's slot is released; its creator is its parent. */
int env_alloc_charged(struct env **out, struct env *creator, uint64_t uslot, uint64_t nslots,
                      const char *name);
uint64_t env_cost(uint64_t nslots);
/* Destroys e and every env descended from it (the lifetime rule, env.c). */
void env_destroy(struct env *e);
void env_init(void);

/* The env named by the env capability in (cur, slot) with the rights `need`, alive (not
 * ENV_DEAD: E_NOENT), with a hold the caller drops with cap_object_put(&(*out)->obj). */
int env_get(struct env *cur, uint64_t slot, uint32_t need, struct env **out);

/* The frame an env's registers live in: the live one on the kernel stack while the env is
 * in a syscall or trap on this CPU, else the saved copy. */
struct trapframe *env_tf(struct env *e);

/* run.c: entering an env, and giving the CPU to the env the scheduler picks next (or to
 * the monitor when none is runnable). */
_Noreturn void env_run(struct env *e);
_Noreturn void env_schedule(void);
/* env_run without the iretq: the caller leaves to e->tf itself (the IPC fast path's sysret,
 * kern/ipc/fastpath.c). */
void env_run_prepare(struct env *e);

/* sched.c: the envs in kern/sched.  Status changes go through these: env_wake makes a
 * NOT_RUNNABLE env RUNNABLE, env_block the reverse, env_sched_exit takes a dying env out;
 * each sets PERCPU_RESCHED when the caller must give the CPU away at the end of its call. */
void env_sched_init(void);
int env_sched_new(struct env *e); /* a fresh entity with the default parameters */
void env_wake(struct env *e);
void env_block(struct env *e);
void env_sched_exit(struct env *e, unsigned old_status); /* returns once e is on no CPU */
/* The IPC fast path: e blocks and partner runs here next, when the rule allows (false:
 * nothing changed); env_handoffs counts them per CPU (the end-of-run summary prints it). */
bool env_handoff(struct env *e, struct env *partner);
struct env *env_handoff_take(
    void); /* the partner env_handoff made current here, or NULL: syscall_after runs it */
uint64_t env_handoffs(unsigned cpu);
void env_yield(struct env *e); /* e is the current env */
bool env_sched_tick(void);     /* true: the current env's turn is over (else the timer is armed) */
struct env *env_sched_next(bool *waiting); /* NULL: idle (*waiting: an env is throttled) */
bool env_sched_idle_all(void);             /* no env is runnable on any CPU */

/* sleep.c: envs asleep until a TSC time, on the queue of the CPU they slept on; all under
 * the env lock but env_sleep_first/_due/_any (atomic reads, for the timer and the idle CPU).
 * env_sleep_start: e (this CPU's current env) sleeps until `at` (it blocks: the caller gives
 * the CPU away at the end of its call); env_sleep_arm only queues it (a timed IPC wait, whose
 * wait queue blocks it).  env_wake ends a sleep too.  env_sleep_cancel: e leaves its queue (false:
 * it slept on none); status unchanged.  env_sleep_expire: this CPU's due sleepers are woken. */
void env_sleep_start(struct env *e, uint64_t at, bool release);
void env_sleep_arm(struct env *e, uint64_t at, bool release); /* the same, not blocking e */
bool env_sleep_cancel(struct env *e);
void env_sleep_expire(void);
bool env_sleep_any(void); /* some env sleeps, on any CPU */
/* Inline: env_schedule and arm_timer ask at every switch (bench-ctxsw counts it). */
extern uint64_t env_sleep_first_[SCHED_MAX_CPUS]; /* sleep.c: atomic, see there */
static inline uint64_t
env_sleep_first(unsigned cpu) /* wake time of cpu's first sleeper, or UINT64_MAX */
{
	return __atomic_load_n(&env_sleep_first_[cpu], __ATOMIC_ACQUIRE);
}
static inline bool
env_sleep_due(unsigned cpu) /* cpu's first sleeper is due now (no rdtsc when none) */
{
	uint64_t t = env_sleep_first(cpu);

	return t != UINT64_MAX && t <= hal_cycles();
}

/* What another CPU asks of a running env (env.stop), done by the CPU it runs on. */
#define ENV_STOP_BLOCK 1 /* block: it becomes NOT_RUNNABLE */
#define ENV_STOP_DEAD  2 /* it is being destroyed */
#define ENV_STOP_MOVE  3 /* not running: between two run queues (affinity changed) */

/* lock.c: the env lock, one coarse lock over env status, capabilities and memory, held by
 * every system call but null, env_id and yield, and by user-fault handling.  It is waited
 * for with interrupts on, so a waiting CPU still answers IPIs (docs/architecture.md). */
void env_lock(void);
void env_unlock(void);
void env_spin_irqs_on(void); /* one pause of a wait, with interrupts on */
/* Scheduling parameters and CPU affinity; E_INVAL (e unchanged) when the policy refuses the
 * parameters or no CPU that runs envs is in the mask. */
int env_sched_set(struct env *e, const struct sched_params *p, uint64_t affinity);
/* e (BLOCKED) wakes next for a new job (sleep.c): edf starts a new period at that wake. */
void env_sched_release(struct env *e);

/* frame.c: a 4 KiB physical page that capabilities and mappings can name.  A page from the
 * pmm goes back to it when the object is released; an unmanaged page stays where it is. */
struct frame {
	struct cap_object obj; /* obj.phys: the page */
};

/* The frame whose object a CAP_FRAME capability names. */
static inline struct frame *
frame_of(struct cap_object *obj)
{
	return (struct frame *)((char *)obj - __builtin_offsetof(struct frame, obj));
}

void frame_init(void);
int frame_new(uint64_t owner, struct frame **out); /* zeroed page, object FRESH */
/* The unmanaged pages [pa, pa + npages pages) (the ramdisk), none of which the pmm manages
 * or is wrapped already; (*first)[i] is the FRESH frame of page i. */
int frame_wrap(physaddr_t pa, uint64_t npages, struct frame **first);
/* 2^order zeroed pages of one pmm block (PAGE_USE_DMA, owner), FRESH frames in (*first)[i];
 * the block returns to the pmm when all its frames are released. */
int frame_new_run(unsigned order, uint64_t owner, struct frame **first);
void frame_discard(struct frame *f); /* a FRESH frame nobody named */
int frame_hold(struct frame *f);     /* a kernel hold, no capability */
/* The frame of the page at `pa`, or NULL; meaningful while the page is mapped or held. */
struct frame *frame_lookup(physaddr_t pa);

/* quota.c: untyped quota objects made by the kernel. */
int quota_new(uint64_t pages, struct cap_object **out);
void quota_discard(struct cap_object *obj);
void quota_init(void);

/* vm.c: an env's user half.  env_vm_map consumes one hold on f (kept by the mapping,
 * dropped when the page is unmapped or replaced); perm is ABI_PERM_*, `allow` the
 * ABI_PERM_* bits a later protect may grant.  ENV_VM_UNCACHED in perm maps the page
 * uncacheable (device registers, kern/env/sys_dev.c), and protect keeps it so. */
#define ENV_VM_UNCACHED 0x100u
#define ENV_VM_WC       0x200u /* write-combining (IA32_PAT entry 4, pte.h): DMA buffers */
int env_vm_map(struct env *e, uint64_t va, struct frame *f, unsigned perm, unsigned allow);
/* The same for n frames of one physical run (frames[i] is the page i pages after frames[0])
 * at n consecutive pages from va, none of them mapped yet (else E_EXIST): one page-table
 * operation for the run.  0, or an error with nothing mapped. */
int env_vm_map_run(struct env *e, uint64_t va, struct frame *frames, uint64_t n, unsigned perm,
                   unsigned allow);
int env_vm_unmap(struct env *e, uint64_t va);
int env_vm_protect(struct env *e, uint64_t va, unsigned perm);
void env_vm_teardown(struct env *e);
/* pt.h's charge hook: page tables are paid from their env's pt_pool. */
int env_vm_charge(uint32_t owner, int pages);
/* cap_revoke's frame hook (cap.h): the frame leaves every address space but keeper's. */
void env_vm_revoke_frame(struct cap_object *obj, struct cap_table *keeper);
/* The same through a cursor over e's root (pt.h), for runs of pages (share_pages). */
struct pt_cursor;
int env_vm_map_at(struct env *e, struct pt_cursor *c, uint64_t va, struct frame *f, unsigned perm,
                  unsigned allow);
int env_vm_protect_at(struct env *e, struct pt_cursor *c, uint64_t va, unsigned perm);

/* uaccess.c: the current env's memory, checked page by page against its page table. */
void uaccess_init(void);
int uaccess_check(struct env *e, uint64_t va, uint64_t len, bool write);
int copyin(void *dst, uint64_t usrc, size_t len);
int copyout(uint64_t udst, const void *src, size_t len);
/* Brackets kernel accesses to user pages (stac/clac when SMAP is on). */
void uaccess_begin(void);
void uaccess_end(void);

/* load.c: a program from the ramdisk into a fresh env. */
extern const uint8_t *initrd_data;
extern size_t initrd_size;
int env_load(struct env *e, const char *cmd, size_t cmdlen, struct abi_envinfo *info);

/* boot.c: the first env's id (its children get a leak-check line at release). */
extern uint64_t env_init_id;

/* knotify.c: notifications the kernel signals (env_notify, cons_notify).  env_destroy calls
 * knotify_env_dead once the dying env is off every CPU (its death binding fires, its console
 * binding goes); notify_release calls knotify_forget (bindings are weak); the console's
 * input path calls knotify_cons_input; knotify_cons_bound: some env waits for input (or
 * for a device interrupt: irq_any_bound). */
void knotify_env_dead(struct env *e);
void knotify_forget(struct cap_object *obj);
void knotify_cons_input(void);
bool knotify_cons_bound(void);
/* Console input arrived and is not signalled yet (an interrupt handler cannot take the env
 * lock): env_unlock then calls knotify_unlock_hook, under the lock; the scheduler treats it
 * as it treats a due sleeper (env_sched_tick, env_schedule).  Inline: one load. */
extern bool knotify_cons_pending_;
void knotify_unlock_hook(void);
static inline bool
knotify_cons_due(void)
{
	return __atomic_load_n(&knotify_cons_pending_, __ATOMIC_RELAXED);
}

/* sys_irq.c: device interrupts bound to notifications.  irq_deliver signals the lines that
 * fired (under the env lock, from knotify_unlock_hook); irq_env_dead unbinds what a dying
 * env bound (knotify_env_dead); irq_forget unbinds what was bound to a released
 * notification (knotify_forget).  Each unbinding masks the line if no one else uses it. */
void irq_deliver(void);
/* Removes every binding whose device capability has gone (sys_cap.c after a revoke or a
 * delete): its line or vector is masked at once. */
void irq_revalidate(void);
void irq_env_dead(struct env *e);
void irq_forget(struct cap_object *obj);
bool irq_any_bound(void);

struct pci_dev;
/* sys_dev.c: the device capabilities init gets, one per PCI function, in slots
 * [first_slot, first_slot + dev_count()). */
uint64_t dev_count(void);
int dev_grant(struct env *e, uint64_t first_slot);

/* sys_core.c (docs/partitions.md): one core capability per CPU for init, in slots
 * [first_slot, first_slot + core_count()); the CPUs e may run on now (its own core if it
 * owns one, else env.affinity less the owned cores); the end of e's claim when it dies
 * (env_sched_exit); and, on an owned CPU, stopping its owner once the claim's capability is
 * gone (env_schedule; core_stop_due says when, in one load). */
uint64_t core_count(void);
int core_grant(struct env *e, uint64_t first_slot);
uint64_t core_allowed(const struct env *e);
void core_env_gone(struct env *e);
void core_stop(unsigned cpu);
extern uint64_t core_stopping;
static inline bool
core_stop_due(unsigned cpu)
{
	return __atomic_load_n(&core_stopping, __ATOMIC_RELAXED) >> cpu & 1;
}
/* sched.c: e's entity may run on `mask` from now on (it moves if it must). */
void env_sched_affinity(struct env *e, uint64_t mask);
/* sleep.c: every sleeper on from's queue but keep's goes to to's. */
void env_sleep_move(unsigned from, unsigned to, const struct env *keep);
/* After a revoke or delete: a device whose driver no longer holds the capability it mapped
 * its registers through leaves that driver's DMA domain (kern/dev/iommu_domain.c). */
void dev_revalidate(void);
/* The PCI function a CAP_DEVICE object names. */
const struct pci_dev *dev_pci(struct cap_object *obj);

/* region.c: regions (CAP_REGION), a run of frames mapped whole by one call.  region_new
 * makes a fresh object on npages frames of one run (REGION_UNCACHED: device memory) with
 * nrecs mapping records; region_map maps it at va in t (checked by the caller) and records
 * it with `by`, the env whose capability allowed it (a revoke takes the mapping back once
 * `by` holds none); region_discard frees one no capability has named yet. */
#define REGION_UNCACHED 1u
#define REGION_WC       2u /* mapped write-combining */
#define REGION_OWNS     4u /* holds each of its frames (a DMA region), put at release */
struct region;
int region_new(struct frame *frames, uint64_t npages, unsigned flags, uint64_t id, unsigned nrecs,
               struct region **out);
struct cap_object *region_obj(struct region *r);
int region_map(struct region *r, struct env *t, struct env *by, uint64_t va, unsigned perm);
void region_discard(struct region *r);
void region_init(void);

/* leak.c */
bool env_leakcheck_on(void);

/* The syscall handlers (sys_*.c): the caller and its six argument registers. */
typedef int64_t (*syscall_fn)(struct env *e, const uint64_t *a);
extern const syscall_fn syscall_table[SYS_NCALLS];
#define SYSCALL_DECL_(num, name, nargs, argnames)                                                  \
	int64_t sys_##name(struct env *e, const uint64_t *a);
ABI_SYSCALLS(SYSCALL_DECL_)
#undef SYSCALL_DECL_

#endif
