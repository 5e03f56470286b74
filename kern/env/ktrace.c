/* The kernel scheduling trace (trace=sched, ktrace.h): per-CPU event buffers and their dump.
 *
 * Each CPU writes only its own buffer, with interrupts off (the kernel runs so in syscalls,
 * traps and ticks), so recording takes no lock and allocates nothing: an event is a store
 * of 24 bytes and of the count.  The buffers are allocated once at boot, only when the trace
 * is on.  A full buffer keeps its first events and counts the ones it drops: a run that ends
 * with the dump then shows its whole beginning (every env's first wake-up and switch), and
 * the count says how much is missing at the end.  The line format, and what the kernel can
 * know about releases and deadline misses: docs/architecture.md, "Scheduling trace". */
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "ktrace.h"
#include "machine.h"
#include "mm.h"
#include "pmm.h"
#include "smp.h"
#include "xstring.h"

#define KTRACE_ORDER 5 /* 2^5 pages (128 KiB) per CPU: 5460 events */

enum {
	KT_SWITCH,  /* env: the new one (0: idle); arg: the previous one */
	KT_WAKEUP,  /* aux: the CPU whose run queue it joined */
	KT_BLOCK,   /* it blocks */
	KT_EXIT,    /* it leaves the scheduler for good */
	KT_RELEASE, /* a new period (job) begins; arg: its absolute deadline; aux: its CPU */
	KT_MISS,    /* arg: the deadline missed; aux: KT_MISS_LATE or KT_MISS_OVERRUN */
};
enum { KT_MISS_LATE, KT_MISS_OVERRUN };

static const char *const type_names[] = { "switch", "wakeup", "block", "exit", "release", "miss" };

struct ktrace_event {
	uint64_t tsc;
	uint64_t arg;
	uint32_t env; /* the env id's low 32 bits (an id is generation << 12 | slot) */
	uint8_t type; /* KT_* */
	uint8_t aux;
	uint16_t pad;
};

struct ktrace_buf {
	uint32_t count; /* events recorded: stored (release) after the event it counts */
	uint32_t cap;
	uint64_t dropped; /* events that found the buffer full */
	struct ktrace_event ev[];
};

bool ktrace_sched_on;
static struct ktrace_buf *bufs[SMP_MAX_CPUS]; /* NULL: this CPU records nothing */
static unsigned ncpus;
static uint64_t start_tsc, hz;
static const char *policy;
static bool edf; /* the policy has periods and deadlines (sched_edf_deadline is valid) */

static void
record(unsigned type, const struct env *e, uint64_t arg, unsigned aux)
{
	struct ktrace_buf *b = bufs[hal_cpu_id()];
	uint32_t n;

	if (b == NULL)
		return;
	n = b->count;
	if (n == b->cap) {
		b->dropped++;
		return;
	}
	b->ev[n] = (struct ktrace_event){
		.tsc = hal_cycles(),
		.arg = arg,
		.env = e != NULL ? (uint32_t)e->id : 0,
		.type = (uint8_t)type,
		.aux = (uint8_t)aux,
	};
	__atomic_store_n(&b->count, n + 1, __ATOMIC_RELEASE);
}

void
ktrace_record_switch(const struct env *next)
{
	const struct env *prev = percpu_this()->env;

	record(KT_SWITCH, next, prev != NULL ? (uint32_t)prev->id : 0, 0);
}

void
ktrace_record_wake(const struct env *e, int cpu)
{
	record(KT_WAKEUP, e, 0, (unsigned)cpu);
}

/* Called before e leaves the scheduler.  A job ends when its env, runnable until now, blocks
 * or exits: after its deadline, that job missed it.  (A blocked env that is destroyed ended
 * its last job when it blocked.) */
void
ktrace_record_block(const struct env *e, bool dead)
{
	uint64_t dl = edf ? sched_edf_deadline(&e->se) : 0;

	if (dl != 0 && e->status == ENV_RUNNABLE && hal_cycles() > dl)
		record(KT_MISS, e, dl, KT_MISS_LATE);
	record(dead ? KT_EXIT : KT_BLOCK, e, 0, 0);
}

/* sched->on_release.  A period that begins at a wake-up follows a block (env_wake marks the
 * env `waking` around the core's call), so its job ended there and was judged there.  Any other new
 * period (after throttling, or a budget renewed past the deadline) ends one the env stayed runnable
 * through: a job unfinished at its deadline, seen now. */
static void
on_release(struct sched *s, struct sched_entity *se, uint64_t old_deadline, uint64_t new_deadline,
           uint64_t now)
{
	const struct env *e = se->owner;

	if (!ktrace_sched_on)
		return;
	if (old_deadline != 0 && old_deadline <= now && e->status == ENV_RUNNABLE && !e->waking)
		record(KT_MISS, e, old_deadline, KT_MISS_OVERRUN);
	record(KT_RELEASE, e, new_deadline, se->cpu);
}

void
ktrace_init(struct sched *s)
{
	static const char *const words[] = { "syscalls", "sched", NULL };
	uint32_t cap = (uint32_t)(((PAGE_SIZE << KTRACE_ORDER) - sizeof(struct ktrace_buf)) /
	                          sizeof(struct ktrace_event));

	cmdline_check_words("trace", words);
	if (!cmdline_has_word("trace", "sched"))
		return;
	ncpus = hal_cpu_count();
	for (unsigned c = 0; c < ncpus; c++) {
		int64_t pa = pmm_alloc(KTRACE_ORDER);

		if (pa < 0) {
			printf("ktrace: no memory for cpu %u's buffer: it records nothing\n", c);
			continue;
		}
		bufs[c] = hal_phys_to_virt((physaddr_t)pa);
		*bufs[c] = (struct ktrace_buf){ .cap = cap };
	}
	policy = s->policy->name;
	edf = strcmp(policy, "edf") == 0;
	hz = s->hz;
	s->on_release = on_release;
	start_tsc = hal_cycles();
	ktrace_sched_on = true;
	printf("ktrace: recording sched events on %u CPU%s, the first %u of each kept\n", ncpus,
	       ncpus == 1 ? "" : "s", cap);
}

static void
dump_event(unsigned cpu, const struct ktrace_event *ev)
{
	const char *type = ev->type < KT_MISS + 1 ? type_names[ev->type] : "?";

	printf("ktrace: cpu %u tsc %lu %s 0x%x", cpu, ev->tsc, type, ev->env);
	switch (ev->type) {
	case KT_SWITCH:
		printf(" prev 0x%x\n", (uint32_t)ev->arg);
		break;
	case KT_WAKEUP:
		printf(" cpu %u\n", ev->aux);
		break;
	case KT_RELEASE:
		printf(" deadline %lu cpu %u\n", ev->arg, ev->aux);
		break;
	case KT_MISS:
		printf(" deadline %lu %s\n", ev->arg, ev->aux == KT_MISS_LATE ? "late" : "overrun");
		break;
	default:
		printf("\n");
	}
}

/* Names of the envs the table still knows (a slot keeps its last env's id and name until
 * it is reused), for the host's track labels. */
static void
dump_names(void)
{
	for (unsigned i = 0; i < NENV; i++)
		if (envs[i].id != 0)
			printf("ktrace: env 0x%x name %s\n", (uint32_t)envs[i].id, envs[i].name);
}

void
ktrace_dump(void)
{
	uint64_t total = 0, dropped = 0;

	if (!ktrace_sched_on) {
		printf("ktrace: off (boot with trace=sched)\n");
		return;
	}
	ktrace_sched_on = false; /* the other CPUs stop recording while their buffers are read */
	printf("ktrace: begin cpus %u hz %lu start %lu now %lu policy %s\n", ncpus, hz, start_tsc,
	       hal_cycles(), policy);
	for (unsigned c = 0; c < ncpus; c++) {
		const struct ktrace_buf *b = bufs[c];
		uint32_t n = b ? __atomic_load_n(&b->count, __ATOMIC_ACQUIRE) : 0;

		printf("ktrace: cpu %u events %u dropped %lu\n", c, n, b ? b->dropped : 0);
		for (uint32_t i = 0; i < n; i++)
			dump_event(c, &b->ev[i]);
		total += n;
		dropped += b ? b->dropped : 0;
	}
	dump_names();
	printf("ktrace: end events %lu dropped %lu\n", total, dropped);
	ktrace_sched_on = true;
}

void
ktrace_halt(void)
{
	if (ktrace_sched_on)
		ktrace_dump();
	machine_halt(0);
}
