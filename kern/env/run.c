/* Round-robin running of envs: the next RUNNABLE env after the current one gets the CPU.
 * Enough for lab 3, where envs give the CPU away only by yield, exit or a fault; the
 * scheduler issue replaces this file with kern/sched. */
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "machine.h"
#include "monitor.h"
#include "panic.h"
#include "syscall.h"

struct env *
env_current(void)
{
	return percpu_this()->env;
}

void
env_run(struct env *e)
{
	struct percpu *pc = percpu_this();

	pc->env = e;
	pc->after &= PERCPU_TRACE;
	e->runs++;
	if (hal_get_root() != e->root)
		hal_set_root(e->root);
	/* LAB 3: enter user mode with the env's saved registers. */
	/* BEGIN LAB 3 */
	syscall_iret(&e->tf);
	/* END LAB 3 */
	/* STUB LAB 3: panic("env_run: user mode is not implemented"); */
}

void
env_schedule(void)
{
	struct env *cur = env_current();
	unsigned start = cur != NULL ? (unsigned)(cur - envs) + 1 : 0;

	for (unsigned k = 0; k < NENV; k++) {
		struct env *e = &envs[(start + k) % NENV];

		if (e->status == ENV_RUNNABLE)
			env_run(e);
	}
	percpu_this()->env = NULL;
	hal_set_root(env_kern_root);
	printf("env: no runnable environment\n");
	if (cmdline_has("halt"))
		machine_halt(0);
	monitor();
	machine_halt(0);
}
