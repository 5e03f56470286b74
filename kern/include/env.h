/* Environments (kern/env): an address space whose upper half is the kernel's, one thread of
 * control, a capability table, a status, scheduling state and a page-fault upcall.  The
 * portable scheduler (kern/sched, the policy chosen by sched=) decides which env runs on
 * yield, block, exit and the timer tick (kern/env/sched.c).  User mode runs with interrupts
 * on; the kernel runs one CPU with them off while it handles an env's syscall, trap or tick,
 * which serialises everything here; lab 4 brings the locks. */
#ifndef EXOLAB_ENV_H
#define EXOLAB_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/env.h"
#include "cap.h"
#include "ipc.h"
#include "sched.h"
#include "trap.h"

#define NENV        256 /* envs alive at once (an id keeps 12 bits of index) */
#define ENV_NSLOTS  256 /* capability slots of an env made by exofork or spawn */
#define ENV_NAMELEN 32

struct env {
	struct trapframe tf;   /* the user registers while the env is not in the kernel */
	struct cap_object obj; /* what env capabilities name; obj.id is the env id */
	struct cap_table caps;
	physaddr_t root; /* PML4; the upper half is the kernel's */
	uint64_t id;
	uint64_t parent;
	unsigned status;        /* ENV_* */
	bool held;              /* the kernel's hold on obj (dropped by destroy) */
	bool leak_report;       /* print a leak-check line at release (init's programs) */
	uint64_t upcall_entry;  /* page-fault upcall, 0 when none */
	uint64_t upcall_xstack; /* top of its exception stack */
	uint64_t runs;          /* times it was given the CPU */
	struct sched_entity se; /* in step with status: RUNNABLE <=> queued or running */
	void *fpu;              /* x87/SSE/AVX save area (fpu.h), NULL once destroyed */
	/* SMP (kern/env/sched.c, run.c): the CPU + 1 whose registers still hold this env's
	 * state (0: all of it is saved here, any CPU may run it), and what another CPU asks of
	 * it while it runs (ENV_STOP_*: its CPU reads it under its run-queue lock). */
	volatile unsigned loaded;
	volatile unsigned stop;
	bool waking; /* env_wake is queueing it: a new period now follows a block */
	/* Partitions (kern/env/sys_core.c): the CPUs env_set_sched asked for (se.affinity is
	 * that less the cores other envs own), and the CPU + 1 this env owns (0: none). */
	uint64_t affinity;
	unsigned owns;
	struct ipc_state ipc; /* endpoint and notification waits (kern/ipc, env lock) */
	/* Lifetimes (env.c; docs/architecture.md, "Lifetimes"): it dies with `parent`; its
	 * creation cost `charged` pages of `pool` (its image's page tables included), its other
	 * page tables are paid from `pt_pool` (each held, or NULL: charged to nobody); pt_own
	 * tables are paid from pt_pool, pt_image from pool (vm.c, env_vm_charge). */
	struct cap_object *pool;
	uint64_t charged;
	struct cap_object *pt_pool;
	uint64_t pt_own, pt_image;
	bool pt_loading; /* spawn's env_load runs: new tables are the image's */
	bool created;    /* it made an env: its destroy looks for descendants */
	bool dying;      /* env_destroy is still destroying its descendants: not DEAD to others */
	char name[ENV_NAMELEN];
};

/* The env whose object a CAP_ENV capability names. */
static inline struct env *
env_of(struct cap_object *obj)
{
	return (struct env *)((char *)obj - __builtin_offsetof(struct env, obj));
}

/* Creates the first env from the ramdisk (init=NAME, default "init") and runs the envs;
 * returns only if there is no ramdisk or init cannot be loaded. */
void env_boot(void);

/* A user-mode exception (trap.h trap_from_user), from trap_dispatch: true if handled (the
 * frame was turned into a page-fault upcall); otherwise the env is destroyed and this does
 * not return.
 * False only for vectors that are not the env's doing (NMI, machine check). */
bool env_user_trap(struct trapframe *tf);

/* An interrupt arrived while the env ran outside 64-bit user mode (trap_dispatch: a user cs
 * that is not the 64-bit user code selector, as after TCG's virtual-8086 entry): the
 * handlers took it for kernel mode and never preempt it, so it is destroyed here.  Does not
 * return. */
_Noreturn void env_user_bad_mode(struct trapframe *tf);

/* The timer tick interrupted user mode (from kern/arch/x86_64/timer.c, EOI already sent).
 * Returns if the current env keeps the CPU (the policy's tick says so); else saves its frame
 * (it stays runnable) and runs the next one. */
void env_tick(const struct trapframe *tf);
/* This CPU's one-shot timer fired: nothing is armed any more (interrupts off). */
void env_timer_fired(void);

/* A reschedule IPI arrived (from kern/arch/x86_64/ipi.c, EOI already sent): in user mode
 * it acts as a timer tick; in kernel mode the CPU looks at its run queue again before it
 * goes back to user mode. */
void env_ipi(const struct trapframe *tf);

/* Console input arrived (kern/dev/consirq.c, EOI already sent): the notifications bound
 * with cons_notify are signalled (kern/env/knotify.c); from user mode it then acts as a
 * timer tick, as an IPI does. */
void env_cons_input(const struct trapframe *tf);
/* The same deferral for a device interrupt line (kern/dev/irq.c, EOI sent, entry masked):
 * the next env_unlock signals the bound notifications (kern/env/sys_irq.c). */
void env_irq_defer(const struct trapframe *tf);

/* Application processors enter the scheduler here once it is ready (smp_idle): they run
 * envs, or halt until an IPI or their timer; false while it is not ready. */
bool env_sched_ready(void);
_Noreturn void env_schedule_ap(void);

/* The env running on this CPU, or NULL. */
struct env *env_current(void);

/* Prints "leak-check: pages <n> caps <m> heap <k>" (the monitor's `leaks` command). */
void env_leak_print(void);

#endif
