/* System-call dispatch: the table from abi/syscall.h, the trace=syscalls log, and the way
 * back (sysret to the caller, or another env when the call gave the CPU away). */
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "lockcheck.h"
#include "syscall.h"
#include "xstring.h"

CMDLINE_OPTION(trace, "trace",
               "trace=syscalls,sched: log every system call with its result (syscalls); "
               "record scheduling events per CPU (sched, kern/env/ktrace.c)");

/* Every call runs under the env lock (lock.c) except those named LOCKLESS_ here, which touch
 * only the caller and this CPU's run queue: the table points at a wrapper that takes the
 * lock, so the lockless calls pay nothing for it.  HANDLER_(name) is sys_name when
 * LOCKLESS_name is defined (it then expands to "~," and shifts the arguments), else
 * locked_name. */
#define LOCKLESS_null      ~,
#define LOCKLESS_env_id    ~,
#define LOCKLESS_yield     ~,
#define LOCKLESS_cpu       ~,
#define SECOND_(a, b, ...) b
#define SECOND(...)        SECOND_(__VA_ARGS__)
#define HANDLER_(name)     SECOND(LOCKLESS_##name sys_##name, locked_##name)

#define LOCKED_(num, name, nargs, argnames)                                                        \
	static __attribute__((unused)) int64_t locked_##name(struct env *e, const uint64_t *a)     \
	{                                                                                          \
		int64_t ret;                                                                       \
                                                                                                   \
		env_lock();                                                                        \
		ret = sys_##name(e, a);                                                            \
		env_unlock();                                                                      \
		return ret;                                                                        \
	}
ABI_SYSCALLS(LOCKED_)
#undef LOCKED_

/* A number inside the table that no call uses (the list may have gaps: ranges of numbers are
 * handed out per subsystem) answers E_NOSYS, like one past its end: every entry starts as
 * sys_unused (a GNU range designator) and each listed call overrides its own. */
static int64_t
sys_unused(struct env *e, const uint64_t *a)
{
	return E_NOSYS;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#define SYSCALL_ENTRY_(num, name, nargs, argnames) [num] = HANDLER_(name),
const syscall_fn syscall_table[SYS_NCALLS] = { [0 ... SYS_NCALLS - 1] = sys_unused,
	                                       ABI_SYSCALLS(SYSCALL_ENTRY_) };
#undef SYSCALL_ENTRY_
#pragma GCC diagnostic pop

void
syscall_trace_init(void)
{
	struct percpu *pc = percpu_this();

	if (cmdline_has_word("trace", "syscalls"))
		pc->after |= PERCPU_TRACE;
	else
		pc->after &= ~PERCPU_TRACE;
}

/* `[env 0x1001] sys_map(0x1, 0x5, 0x400000, 0x3) = 0` (errors also by name). */
static void
trace(const struct env *e, uint64_t num, const uint64_t *a, int64_t ret)
{
	unsigned n = abi_syscall_nargs(num);

	cons_lock(); /* one line, whatever the other CPUs print */
	printf("[env 0x%lx] sys_%s(", e->id, abi_syscall_name(num));
	for (unsigned i = 0; i < n; i++)
		printf(i ? ", 0x%lx" : "0x%lx", a[i]);
	if (num >= SYS_NCALLS)
		printf("#%lu", num);
	if (ret < 0 && ret > -E_NCODES)
		printf(") = %ld %s\n", ret, error_name((int)ret));
	else
		printf(") = %ld\n", ret);
	cons_unlock();
}

/* The end of a call that asked for more than a sysret: a trace line, another env, or an
 * iretq.  Kept out of line so the common path saves no registers for it. */
static __attribute__((noinline)) void
syscall_after(struct syscall_frame *f, struct percpu *pc, int64_t ret)
{
	struct env *e = pc->env; /* the caller, even if the call destroyed it */
	unsigned after = pc->after;

	/* The IPC fast path (env_handoff): the partner already is this CPU's running entity and
	 * the caller's frame is saved; when nothing else was asked of the call, straight to it. */
	if (after == (PERCPU_RESCHED | PERCPU_TF_SAVED) && (e = env_handoff_take()) != NULL)
		env_run(e);
	e = pc->env;
	pc->after &= PERCPU_STICKY;
	if (after & PERCPU_TRACE)
		trace(e, f->tf.rax, f->args, ret);
	f->tf.rax = (uint64_t)ret;
	if ((after & PERCPU_REARM) && !(after & PERCPU_RESCHED) && env_sched_tick())
		after |= PERCPU_RESCHED; /* its run queue changed while it was in the call */
	/* Every way out below returns to user mode (env_run checks the same itself). */
	if (after & PERCPU_LOCKS_MASK)
		lockcheck_user_return();
	if (after & PERCPU_RESCHED) {
		/* An IPC call that blocked saved the frame under the env lock: a partner on another
		 * CPU may have written its results there since. */
		if (!(after & PERCPU_TF_SAVED)) {
			if (e->status != ENV_DEAD)
				trapframe_copy(&e->tf, &f->tf);
		} else if ((e = env_handoff_take()) != NULL) {
			/* The fast path's partner, after a trace line or a lock check. */
			env_run(e);
		}
		env_schedule();
	}
	/* sys_env_set_regs on the caller: every register must come back, and its rip may
	 * not be one sysret can return to without faulting in ring 0 (SDM Vol. 2B SYSRET). */
	if (after & PERCPU_FULL_RETURN)
		syscall_iret(&f->tf);
}

int64_t
syscall_dispatch(struct syscall_frame *f, struct percpu *pc)
{
	int64_t ret;

	/* LAB 3: call the handler the number in rax names; an unknown number is E_NOSYS. */
	/* BEGIN LAB 3 */
	uint64_t num = f->tf.rax;

	ret = num < SYS_NCALLS ? syscall_table[num](pc->env, f->args) : E_NOSYS;
	/* END LAB 3 */
	/* STUB LAB 3: ret = E_NOSYS; */
	if (__builtin_expect(pc->after != 0, 0))
		syscall_after(f, pc, ret);
	return ret;
}
