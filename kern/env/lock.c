/* The env lock: one coarse lock over what system calls share between CPUs (env status and
 * the env table, capability tables and the capability tree, address spaces, frames, the
 * physical-page and heap allocators).  Every system call takes it except null, env_id, cpu
 * and yield, which touch only the caller and this CPU's run queue (syscall.c's table); a
 * user fault takes it only to end its env (delivery to the upcall needs none: fault.c).
 * Run queues have their own locks (sched.c), taken inside it, never the other way round.
 *
 * The kernel otherwise runs with interrupts off; it waits for this lock with them on so that
 * a waiting CPU still answers TLB shootdowns and reschedule IPIs (which take no lock): the
 * holder may be waiting for exactly that answer.  A timer interrupt taken while waiting is
 * not lost (percpu.irq_window, timer.c). */
#include "env_impl.h"

static struct hal_spinlock env_big = HAL_SPINLOCK_INIT("env");

void
env_spin_irqs_on(void)
{
	struct percpu *pc = percpu_this();

	pc->irq_window = 1;
	/* sti delays interrupts by one instruction (SDM Vol. 2B STI): the pause is the window. */
	__asm__ volatile("sti; pause; cli" ::: "memory");
	pc->irq_window = 0;
}

void
env_lock(void)
{
	struct percpu *pc = percpu_this();

	pc->irq_window = 1;
	__asm__ volatile("sti" ::: "memory");
	hal_spin_lock(&env_big);
	__asm__ volatile("cli" ::: "memory");
	pc->irq_window = 0;
}

void
env_unlock(void)
{
	/* Console input that came while some CPU could not take this lock (knotify.c). */
	if (knotify_cons_due())
		knotify_unlock_hook();
	hal_spin_unlock(&env_big);
}
