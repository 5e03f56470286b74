/* rtapp: an exosim workload run for real, one env per task (docs/sim.md "Workloads" and
 * "Jobs"; sim/rtapp_run.py converts the JSON, boots the kernel and collects the CSV).
 *
 * It runs as the first env, `init=rtapp tests=SPEC`: the first env is the one that gets the
 * kernel command line's tests= value (the only way from the command line to user space
 * today, at most 510 bytes) and the whole boot quota.  SPEC is the workload with every
 * default and unit resolved by the converter, times in TSC cycles (a number may end in k, m
 * or g: times 10^3, 10^6, 10^9):
 *
 *   SPEC  := 'd' NUM ('/' TASK)+           d: the run's length from time 0
 *   TASK  := FIELD* '|' PHASE ('.' PHASE)*
 *   FIELD := 'c' HEX  affinity mask         'o' NUM  first release (delay)
 *          | 'l' INT  passes (-1: forever)  'F' NUM  the first job's relative deadline
 *          | 'J' NUM  relative deadline of a job of a task without timers
 *          | 'p' NUM 'k' NUM 'q' NUM 'P' NUM 'D' NUM 'B' NUM   the kernel's scheduling
 *            parameters (priority level, tickets, quantum, period, deadline, budget)
 *   PHASE := 'r' NUM   run: NUM instructions of a loop of two (dec, jnz)
 *          | 's' NUM   sleep NUM cycles from now (sleep_until)
 *          | 'y'       yield
 *          | 't' NUM ':' NUM ':' NUM ':' ('a'|'r')   timer index, period, deadline of the job
 *            its expiry releases (0: none), absolute or relative mode
 *
 * Time 0 (exosim's cycle 0) is a TSC value t0 the parent picks a little ahead; every task
 * env has gone to sleep until t0 + its delay before t0 comes, so all are released together.
 * Jobs follow docs/sim.md exactly: a timer ends the current job and its expiry (the nominal
 * grid time) releases the next; a task without timers has one job per pass, the next
 * released when the previous finishes.  `start` is when the task first runs in the job
 * (rdtsc right after the wake-up).  Each task records its jobs in pages shared with the
 * parent; at t0 + d the parent destroys the tasks and prints exosim's --csv rows (times
 * relative to t0, the task as its index: the converter puts the names back) between the
 * lines `rtapp: csv begin` and `rtapp: csv end N rows`.  A job released at or after d is
 * left out; one not finished before d is unfinished (empty finish), as in exosim.
 *
 * Not subtracted: a run phase costs its N loop instructions plus a few of call and set-up,
 * and each job some 30 instructions of bookkeeping (rdtsc, the record); under icount on
 * several CPUs each CPU's instructions advance the one shared clock (docs/sim.md). */
#include <stdbool.h>
#include <stdint.h>

#include "libos.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define RT_VA         0x30000000ull /* the shared pages, in the parent and every task */
#define RT_PAGES      128
#define RT_MAX_TASKS  32
#define RT_MAX_PHASES 32
#define RT_MAX_TIMERS 8
#define RT_LEAD       50000000ull /* cycles from picking t0 to t0, plus RT_LEAD_TASK each */
#define RT_LEAD_TASK  5000000ull
#define RT_POLL       20000ull /* cycles between two looks while waiting during set-up */
#define RT_MAX_POLLS  100000

enum { PH_RUN, PH_SLEEP, PH_YIELD, PH_TIMER };

struct rt_phase {
	unsigned kind, timer;
	bool absolute;
	uint64_t n;        /* run: instructions; sleep: cycles; timer: period */
	uint64_t deadline; /* timer: relative deadline of the job it releases, 0 = none */
};

struct rt_task {
	uint64_t cpus, offset, first_deadline, job_deadline;
	int64_t loop;
	struct abi_sched_params sp;
	unsigned nphases, ntimers;
	struct rt_phase ph[RT_MAX_PHASES];
};

struct rt_job {
	uint64_t release, start, finish, deadline; /* absolute TSC; finish 0: not yet */
};

struct rt_shared {
	volatile uint64_t t0, end; /* set once every task waits for them */
	unsigned ntasks;
	uint64_t per_task; /* job records of each task */
	struct rt_task task[RT_MAX_TASKS];
	volatile uint64_t asleep[RT_MAX_TASKS]; /* gone to sleep until its first release */
	volatile uint64_t njobs[RT_MAX_TASKS], lost[RT_MAX_TASKS];
	struct rt_job jobs[]; /* task i's: jobs[i * per_task ...] */
};

static struct rt_shared *const sh = (struct rt_shared *)RT_VA;

/* One wait during set-up.  A sleep, not a yield: under edf a yield keeps the deadline, so
 * the env with the earliest one would take the CPU straight back. */
static void
pause(void)
{
	sys_sleep_until(rdtsc() + RT_POLL, 0);
}

/* ---- The spec (parent) ---- */

static const char *spec, *pos;

static __attribute__((noreturn)) void
bad(const char *what)
{
	printf("rtapp: spec: at byte %ld: %s\n", (long)(pos - spec), what);
	exit(2);
}

static uint64_t
num(void)
{
	uint64_t v = 0, m;

	if (*pos < '0' || *pos > '9')
		bad("number expected");
	for (; *pos >= '0' && *pos <= '9'; pos++) {
		if (v > (UINT64_MAX - 9) / 10)
			bad("number too large");
		v = v * 10 + (uint64_t)(*pos - '0');
	}
	m = *pos == 'k' ? 1000 : *pos == 'm' ? 1000000 : *pos == 'g' ? 1000000000 : 1;
	if (m != 1) {
		pos++;
		if (v > UINT64_MAX / m)
			bad("number too large");
		v *= m;
	}
	return v;
}

static uint64_t
hex(void)
{
	uint64_t v = 0;
	int n = 0;

	for (;; pos++, n++) {
		char c = *pos;
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
		             : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
		                                    : 16;

		if (d == 16)
			break;
		if (n == 16)
			bad("mask too long");
		v = v << 4 | d;
	}
	if (n == 0)
		bad("hex mask expected");
	return v;
}

static void
expect(char c)
{
	if (*pos != c) {
		char what[32] = "'?' expected";

		what[1] = c;
		bad(what);
	}
	pos++;
}

static void
parse_phase(struct rt_task *t)
{
	struct rt_phase *ph = &t->ph[t->nphases];

	if (t->nphases == RT_MAX_PHASES)
		bad("more than RT_MAX_PHASES phases");
	*ph = (struct rt_phase){ 0 };
	switch (*pos++) {
	case 'r':
		ph->kind = PH_RUN, ph->n = num();
		break;
	case 's':
		ph->kind = PH_SLEEP, ph->n = num();
		break;
	case 'y':
		ph->kind = PH_YIELD;
		break;
	case 't':
		ph->kind = PH_TIMER;
		if ((ph->timer = (unsigned)num()) >= RT_MAX_TIMERS)
			bad("timer index >= RT_MAX_TIMERS");
		expect(':');
		if ((ph->n = num()) == 0)
			bad("timer period 0");
		expect(':');
		ph->deadline = num();
		expect(':');
		if (*pos != 'a' && *pos != 'r')
			bad("timer mode a or r expected");
		ph->absolute = *pos++ == 'a';
		if (ph->timer >= t->ntimers)
			t->ntimers = ph->timer + 1;
		break;
	default:
		pos--;
		bad("phase r, s, y or t expected");
	}
	t->nphases++;
}

static void
parse_task(struct rt_task *t)
{
	*t = (struct rt_task){ .cpus = ~0ull, .loop = -1, .sp = { .tickets = 100 } };
	while (*pos != '|') {
		char f = *pos++;

		if (f == 'c')
			t->cpus = hex();
		else if (f == 'o')
			t->offset = num();
		else if (f == 'l')
			t->loop = *pos == '-' ? (pos++, -(int64_t)num()) : (int64_t)num();
		else if (f == 'F')
			t->first_deadline = num();
		else if (f == 'J')
			t->job_deadline = num();
		else if (f == 'p')
			t->sp.priority = (uint32_t)num();
		else if (f == 'k')
			t->sp.tickets = (uint32_t)num();
		else if (f == 'q')
			t->sp.quantum = num();
		else if (f == 'P')
			t->sp.period = num();
		else if (f == 'D')
			t->sp.deadline = num();
		else if (f == 'B')
			t->sp.budget = num();
		else
			pos--, bad("task field c, o, l, F, J, p, k, q, P, D, B or '|' expected");
	}
	pos++;
	parse_phase(t);
	while (*pos == '.')
		pos++, parse_phase(t);
	if (t->loop < -1)
		bad("loop below -1");
}

static uint64_t
parse_spec(const char *s)
{
	uint64_t d;

	spec = pos = s;
	expect('d');
	d = num();
	sh->ntasks = 0;
	while (*pos == '/') {
		pos++;
		if (sh->ntasks == RT_MAX_TASKS)
			bad("more than RT_MAX_TASKS tasks");
		parse_task(&sh->task[sh->ntasks++]);
	}
	if (*pos != '\0')
		bad("'/' or the end expected");
	if (sh->ntasks == 0)
		bad("no task");
	return d;
}

/* ---- A task (child env "rtapp task I") ---- */

static struct rt_job *job; /* the current job's record, NULL when none or out of room */
static unsigned me;

/* Exactly n instructions of loop: n / 2 turns of dec+jnz, and a nop when n is odd. */
static void
run(uint64_t n)
{
	uint64_t turns = n / 2;

	if (turns)
		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(turns)::"cc");
	if (n & 1)
		__asm__ volatile("nop");
}

static void
start_job(uint64_t release, uint64_t rel_deadline)
{
	uint64_t n = sh->njobs[me];

	if (n == sh->per_task) {
		sh->lost[me]++;
		job = NULL;
		return;
	}
	job = &sh->jobs[me * sh->per_task + n];
	job->release = release;
	job->deadline = rel_deadline ? release + rel_deadline : 0;
	job->finish = 0;
	job->start = rdtsc(); /* it runs: the job has started */
	sh->njobs[me] = n + 1;
}

static void
finish_job(void)
{
	if (job)
		job->finish = rdtsc();
	job = NULL;
}

static bool
last_pass(const struct rt_task *t, int64_t passes)
{
	return t->loop >= 0 && passes + 1 >= t->loop;
}

/* Arriving at a timer: the job ends; the expiry releases the next (exosim's enter_timer).
 * False: the task is done (the last phase of its last pass). */
static bool
timer(const struct rt_task *t, const struct rt_phase *ph, unsigned i, int64_t passes,
      uint64_t *next)
{
	uint64_t now, e = next[ph->timer];

	finish_job();
	if (i + 1 == t->nphases && last_pass(t, passes))
		return false;
	if (e > (now = rdtsc()))
		sys_sleep_until(e, ABI_SLEEP_RELEASE);
	else if (!ph->absolute)
		e = now; /* late: a relative grid restarts now */
	next[ph->timer] = e + ph->n;
	start_job(e, ph->deadline);
	return true;
}

static __attribute__((noreturn)) void
task(unsigned i)
{
	const struct rt_task *t = &sh->task[i];
	uint64_t next[RT_MAX_TIMERS], release;
	int64_t passes = 0;

	me = i;
	release = sh->t0 + t->offset;
	for (unsigned k = 0; k < RT_MAX_TIMERS; k++)
		next[k] = 0;
	for (unsigned k = 0; k < t->nphases; k++)
		if (t->ph[k].kind == PH_TIMER && next[t->ph[k].timer] == 0)
			next[t->ph[k].timer] = release + t->ph[k].n;
	sh->asleep[i] = 1;
	sys_sleep_until(release, ABI_SLEEP_RELEASE);
	start_job(release, t->ntimers ? t->first_deadline : t->job_deadline);
	for (;;) {
		for (unsigned k = 0; k < t->nphases; k++) {
			const struct rt_phase *ph = &t->ph[k];

			if (ph->kind == PH_RUN)
				run(ph->n);
			else if (ph->kind == PH_SLEEP)
				sys_sleep_until(rdtsc() + ph->n, 0);
			else if (ph->kind == PH_YIELD)
				pause();
			else if (!timer(t, ph, k, passes, next))
				exit(0);
		}
		passes++;
		if (!t->ntimers)
			finish_job();
		if (t->loop >= 0 && passes >= t->loop)
			exit(0);
		if (!t->ntimers)
			start_job(rdtsc(), t->job_deadline);
	}
}

/* A task waits for the shared pages (protect fails with E_NOENT until the last is mapped),
 * for t0, and for the task before it to be asleep, so that tasks released at one time are
 * woken in their order. */
static __attribute__((noreturn)) void
task_main(unsigned i)
{
	uint64_t last = RT_VA + (RT_PAGES - 1) * 4096ull;

	for (int n = 0; sys_protect(ABI_SLOT_SELF, last, ABI_PERM_R | ABI_PERM_W) < 0; n++)
		if (n == RT_MAX_POLLS)
			exit(1);
		else
			pause();
	for (int n = 0; sh->t0 == 0 || (i > 0 && !sh->asleep[i - 1]); n++)
		if (n == RT_MAX_POLLS)
			exit(1);
		else
			pause();
	task(i);
}

/* ---- The parent ---- */

static uint64_t env[RT_MAX_TASKS];

static void
share_pages(uint64_t eslot, const uint64_t *pages)
{
	for (unsigned p = 0; p < RT_PAGES; p++)
		if (sys_map(eslot, pages[p], RT_VA + p * 4096ull, ABI_PERM_R | ABI_PERM_W) < 0)
			panic("rtapp: cannot map the shared pages");
}

static void
make_shared(uint64_t *pages)
{
	for (unsigned p = 0; p < RT_PAGES; p++) {
		long s = slot_alloc();

		if (s < 0 || sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s,
		                             CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) < 0)
			panic("rtapp: no memory for the shared pages");
		pages[p] = (uint64_t)s;
	}
	share_pages(ABI_SLOT_SELF, pages);
}

static void
spawn_tasks(const uint64_t *pages)
{
	char cmd[32];

	for (unsigned i = 0; i < sh->ntasks; i++) {
		int len = fmt_snprintf(cmd, sizeof(cmd), "rtapp task %u", i);
		long s = slot_alloc();

		if (s < 0 || sys_spawn(cmd, (size_t)len, (uint64_t)s, ABI_SLOT_UNTYPED, 0) < 0)
			panic("rtapp: cannot spawn %s", cmd);
		env[i] = (uint64_t)s;
		share_pages(env[i], pages);
	}
}

/* Every task asleep until its first release; then it takes its parameters (set on a
 * sleeping env, they also start edf afresh: its first wake-up is its first release). */
static void
arm_tasks(void)
{
	for (unsigned i = 0; i < sh->ntasks; i++) {
		long r;

		for (int n = 0; !sh->asleep[i] || sys_env_status(env[i]) != ENV_NOT_RUNNABLE; n++)
			if (n == RT_MAX_POLLS)
				panic("rtapp: task %u never went to sleep", i);
			else
				pause();
		if ((r = sys_env_set_sched(env[i], &sh->task[i].sp, sh->task[i].cpus)) < 0) {
			printf("rtapp: task %u: parameters or cpus 0x%lx refused: %s\n", i,
			       (unsigned long)sh->task[i].cpus, error_name((int)r));
			exit(1);
		}
	}
	if (rdtsc() >= sh->t0) {
		printf("rtapp: setting up took past time 0 (RT_LEAD too short)\n");
		exit(1);
	}
}

static void
row(unsigned i, const struct rt_job *j, bool finished)
{
	uint64_t t0 = sh->t0, start = j->start < sh->end ? j->start : sh->end;
	bool missed = j->deadline && (finished ? j->finish > j->deadline : j->deadline < sh->end);

	printf("%u,%lu,%lu,", i, (unsigned long)(j->release - t0), (unsigned long)(start - t0));
	if (finished)
		printf("%lu,%lu,", (unsigned long)(j->finish - t0),
		       (unsigned long)(j->finish - j->release));
	else
		printf(",,");
	if (j->deadline)
		printf("%lu", (unsigned long)(j->deadline - t0));
	printf(",%d\n", missed);
}

static bool
finished(const struct rt_job *j)
{
	return j->finish != 0 && j->finish < sh->end;
}

/* Finished jobs in completion order (each task's are in order already: merge), then the
 * unfinished ones task by task, as exosim writes them. */
static unsigned
print_csv(void)
{
	uint64_t at[RT_MAX_TASKS] = { 0 };
	unsigned rows = 0;

	printf("rtapp: csv begin\n");
	for (;;) {
		const struct rt_job *best = NULL;
		unsigned bi = 0;

		for (unsigned i = 0; i < sh->ntasks; i++) {
			const struct rt_job *j = &sh->jobs[i * sh->per_task + at[i]];

			if (at[i] < sh->njobs[i] && finished(j) &&
			    (!best || j->finish < best->finish))
				best = j, bi = i;
		}
		if (!best)
			break;
		row(bi, best, true);
		rows++;
		at[bi]++;
	}
	for (unsigned i = 0; i < sh->ntasks; i++) {
		for (uint64_t k = at[i]; k < sh->njobs[i]; k++) {
			if (sh->jobs[i * sh->per_task + k].release < sh->end) {
				row(i, &sh->jobs[i * sh->per_task + k], false);
				rows++;
			}
		}
	}
	printf("rtapp: csv end %u rows\n", rows);
	return rows;
}

static int
parent(const char *s)
{
	static uint64_t pages[RT_PAGES];
	struct abi_sched_params mine = { .priority = 0, .tickets = 100, .period = 1000000 };
	uint64_t d;
	int lost = 0;

	make_shared(pages);
	d = parse_spec(s);
	sh->per_task = (RT_PAGES * 4096ull - sizeof(*sh)) / sizeof(struct rt_job) / sh->ntasks;
	printf("rtapp: %u tasks, %lu cycles, %lu job records each\n", sh->ntasks, (unsigned long)d,
	       (unsigned long)sh->per_task);
	spawn_tasks(pages);
	sh->end = rdtsc() + RT_LEAD + RT_LEAD_TASK * sh->ntasks + d;
	sh->t0 = sh->end - d;
	arm_tasks();
	/* The parent only sleeps, then ends the run: it must come first when it wakes. */
	if (sys_env_set_sched(ABI_SLOT_SELF, &mine, ~0ull) < 0)
		panic("rtapp: cannot set its own parameters");
	sys_sleep_until(sh->end, 0);
	for (unsigned i = 0; i < sh->ntasks; i++)
		sys_env_destroy(env[i]);
	print_csv();
	for (unsigned i = 0; i < sh->ntasks; i++) {
		if (sh->lost[i])
			printf("rtapp: task %u: %lu jobs not recorded (no room)\n", i,
			       (unsigned long)sh->lost[i]);
		lost |= sh->lost[i] != 0;
	}
	return lost;
}

int
main(int argc, char **argv)
{
	unsigned i = 0;

	if (argc == 3 && strcmp(argv[1], "task") == 0) {
		for (const char *p = argv[2]; *p >= '0' && *p <= '9' && i < RT_MAX_TASKS; p++)
			i = i * 10 + (unsigned)(*p - '0');
		if (i < RT_MAX_TASKS)
			task_main(i);
		return 2;
	}
	return parent(libos_envinfo->tests);
}
