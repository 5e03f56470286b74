/* Timed sleep: sleep_until(tsc), and the per-CPU queues of sleeping envs that the tickless
 * timer serves.  Later timed waits (a notification wait with a timeout) put their env on
 * the same queues with env_sleep_start and take it off with env_sleep_cancel.
 *
 * A sleeper is NOT_RUNNABLE, its entity BLOCKED (env_block), and on the queue of the CPU it
 * went to sleep on, kept sorted by wake time.  Each CPU arms its one-shot timer at the
 * earlier of the scheduler's next event and its first sleeper (sched.c arm_timer reads
 * env_sleep_first).  When that sleeper is due, the CPU's tick asks for a reschedule
 * (env_sched_tick) and env_schedule (run.c) calls env_sleep_expire before it picks: that
 * wakes every due sleeper through env_wake, the path env_set_status RUNNABLE takes, so the
 * policy sees an ordinary wake-up.  A sleep with ABI_SLEEP_RELEASE ends in a job release:
 * before the wake-up, env_sched_release starts the policy's period afresh (edf: a new
 * deadline at the wake).  Without it, edf's CBS rule (kern/sched/edf.c) would keep the old
 * period when the wake comes even a few cycles before the old deadline, which it does
 * whenever the last wake-up was later past its release than this one (wake-up latency
 * varies): the task would run its new job against the old, earlier, deadline.  A woken env
 * goes to the CPU the policy selects, which may be another one (wake_entity kicks it).
 *
 * Locking: the queues, the links and the count belong to the env lock (lock.c), which every
 * caller holds: env status changes only under it, and a sleeper's wake is one.  The readers
 * without it, arm_timer and env_schedule (env_sleep_first/_due, inline in env_impl.h), read
 * env_sleep_first_[cpu] atomically: a sleeper taken off meanwhile costs one timer interrupt
 * that finds nothing due. */
#include "env_impl.h"
#include "ipc.h"
#include "panic.h"

#define SLEEP_NONE UINT64_MAX /* no sleeper: as SCHED_NO_TIMER */

struct sleeper {
	uint64_t at; /* wake time (TSC) */
	struct sleeper *next;
	unsigned cpu; /* whose queue it is on */
	bool on;      /* on a queue */
	bool release; /* the timer's wake-up is a job release (ABI_SLEEP_RELEASE) */
};

static struct sleeper sleepers[NENV]; /* by env index: no allocation, nothing to leak */
static struct sleeper *queue[SCHED_MAX_CPUS];
/* atomic: queue[cpu]'s first wake time, or SLEEP_NONE */
uint64_t env_sleep_first_[SCHED_MAX_CPUS] = { [0 ... SCHED_MAX_CPUS - 1] = SLEEP_NONE };
static unsigned nsleeping; /* atomic: on any queue */

static struct sleeper *
sleeper_of(const struct env *e)
{
	return &sleepers[e - envs];
}

static struct env *
env_of_sleeper(const struct sleeper *s)
{
	return &envs[s - sleepers];
}

static void
update_first(unsigned cpu)
{
	__atomic_store_n(&env_sleep_first_[cpu], queue[cpu] ? queue[cpu]->at : SLEEP_NONE,
	                 __ATOMIC_RELEASE);
}

/* Puts e (this CPU's current env) on this CPU's queue until `at`, without blocking it: a
 * timed IPC wait (notify_wait_until) blocks it on its wait queue as well, and whichever comes
 * first, the signal (env_wake cancels the sleep) or the time (env_sleep_expire cancels the
 * wait), wakes it.  Equal wake times keep the order they went to sleep in. */
void
env_sleep_arm(struct env *e, uint64_t at, bool release)
{
	struct sleeper *s = sleeper_of(e), **p;
	unsigned cpu = hal_cpu_id();

	if (s->on)
		panic("sleep: env 0x%lx is already asleep", e->id);
	*s = (struct sleeper){ .at = at, .cpu = cpu, .on = true, .release = release };
	for (p = &queue[cpu]; *p != NULL && (*p)->at <= at; p = &(*p)->next)
		;
	s->next = *p;
	*p = s;
	update_first(cpu);
	__atomic_add_fetch(&nsleeping, 1, __ATOMIC_RELEASE);
}

/* Puts e (this CPU's current env, RUNNABLE) on this CPU's queue until `at` and blocks it;
 * the caller gives the CPU away at the end of its call (PERCPU_RESCHED). */
void
env_sleep_start(struct env *e, uint64_t at, bool release)
{
	env_sleep_arm(e, at, release);
	env_block(e);
}

bool
env_sleep_cancel(struct env *e)
{
	struct sleeper *s = sleeper_of(e), **p;

	if (!s->on)
		return false;
	for (p = &queue[s->cpu]; *p != s; p = &(*p)->next)
		if (*p == NULL)
			panic("sleep: env 0x%lx is not on the queue of cpu %u", e->id, s->cpu);
	*p = s->next;
	s->on = false;
	update_first(s->cpu);
	__atomic_sub_fetch(&nsleeping, 1, __ATOMIC_RELEASE);
	return true;
}

void
env_sleep_move(unsigned from, unsigned to, const struct env *keep)
{
	struct sleeper **p = &queue[from], *s;

	while ((s = *p) != NULL) {
		struct sleeper **q;

		if (env_of_sleeper(s) == keep) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		for (q = &queue[to]; *q != NULL && (*q)->at <= s->at; q = &(*q)->next)
			;
		s->next = *q;
		*q = s;
		s->cpu = to;
	}
	update_first(from);
	update_first(to);
}

bool
env_sleep_any(void)
{
	return __atomic_load_n(&nsleeping, __ATOMIC_ACQUIRE) != 0;
}

void
env_sleep_expire(void)
{
	unsigned cpu = hal_cpu_id();
	uint64_t now = hal_cycles();
	struct sleeper *s;

	while ((s = queue[cpu]) != NULL && s->at <= now) {
		struct env *e = env_of_sleeper(s);

		env_sleep_cancel(e);
		if (e->ipc.wait != IPC_IDLE)
			ipc_cancel(e, E_AGAIN); /* a timed IPC wait's time is up */
		if (s->release)
			env_sched_release(e);
		env_wake(e);
	}
}

int64_t
sys_sleep_until(struct env *e, const uint64_t *a)
{
	uint64_t tsc = a[0], flags = a[1];

	if (tsc >= ABI_SLEEP_MAX || (flags & ~ABI_SLEEP_RELEASE) != 0)
		return E_INVAL;
	if (tsc > hal_cycles())
		env_sleep_start(e, tsc, flags & ABI_SLEEP_RELEASE);
	return 0;
}
