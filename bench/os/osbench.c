/* osbench, the portable part (bench/os/osbench.h): included by an OS layer after it has
 * defined the os_* calls and made printf available.
 *
 * Each operation runs OSB_WARMUP times untimed (caches, lazily made kernel state, the
 * partner's first turn), then OSB_SAMPLES (fewer for fork) timed samples.  A sample is
 * rdtsc; the operation through a function pointer; rdtsc.  The same frame around an empty
 * function is timed too, and its minimum is subtracted, so a figure counts the operation's
 * own instructions (kernel and user).
 *
 * The figure reported (`BENCH <name> <min> instructions`) is the MINIMUM over the samples:
 * under icount the operation's own path is an exact count, and everything that can disturb a
 * sample (a timer interrupt, another process or kernel thread running in between, a page
 * table to allocate) only adds to it, so the minimum is the undisturbed path and repeats from
 * boot to boot.  The median and maximum are printed on the line before it, for judging how
 * often the path is disturbed. */
#include "osbench.h"

#define OSB_WARMUP       8
#define OSB_SAMPLES      1000
#define OSB_FORK_SAMPLES 100

_Static_assert(OSB_WARMUP + OSB_SAMPLES <= OSB_ANON_PAGES, "a fresh page per anon sample");

struct osb_desc {
	const char *name; /* the BENCH name, the same on every OS */
	const char *what;
};

static const struct osb_desc osb_desc[OSB_NOPS] = {
	[OSB_NULL] = { "null_syscall", "null system call" },
	[OSB_YIELD] = { "yield_roundtrip", "yield to the partner and back" },
	[OSB_IPC] = { "ipc_roundtrip", "IPC call and reply" },
	[OSB_NOTIFY] = { "notify_roundtrip", "notification to the partner and back" },
	[OSB_PIPE] = { "pipe_roundtrip", "one byte through a pipe each way" },
	[OSB_UFAULT] = { "ufault_roundtrip", "write fault, handler unprotects, resume" },
	[OSB_ANON] = { "anon_fault", "first write to a fresh anonymous page" },
	[OSB_FORK] = { "fork_exit_wait", "fork, child exits, parent waits" },
};

static uint64_t osb_sample[OSB_SAMPLES];
static volatile char *osb_fpage;
static volatile unsigned osb_faults;
static volatile char *osb_anon_ptr; /* the page the next anon sample touches */
static int osb_anon_next;

/* The time-stamp counter (Intel SDM Vol. 2B, RDTSC: EDX:EAX). */
static inline uint64_t
osb_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

int
osb_on_fault(uintptr_t va)
{
	if (osb_fpage == NULL || va - (uintptr_t)osb_fpage >= 4096)
		return -1;
	osb_faults++;
	os_protect(osb_fpage, 1);
	return 0;
}

__attribute__((noreturn)) void
osb_partner(enum osb_op op)
{
	volatile uint64_t *turns = op == OSB_YIELD ? os_partner_word(1) : NULL;

	for (;;) {
		if (op == OSB_YIELD) {
			(*turns)++;
			os_yield();
		} else {
			os_recv(op, 1);
			os_send(op, 1);
		}
	}
}

/* The timed bodies: one per operation, called through a pointer like the empty one. */
static void
osb_empty(void)
{
}

static void
osb_null(void)
{
	os_null();
}

static void
osb_roundtrip(void)
{
	os_send(OSB_IPC, 0);
	os_recv(OSB_IPC, 0);
}

static void
osb_notify(void)
{
	os_send(OSB_NOTIFY, 0);
	os_recv(OSB_NOTIFY, 0);
}

static void
osb_pipe(void)
{
	os_send(OSB_PIPE, 0);
	os_recv(OSB_PIPE, 0);
}

static void
osb_ufault(void)
{
	osb_fpage[0] = 1;
}

static void
osb_anon(void)
{
	osb_anon_ptr[0] = 1;
}

static void (*const osb_body[OSB_NOPS])(void) = {
	[OSB_NULL] = osb_null,     [OSB_YIELD] = os_yield,         [OSB_IPC] = osb_roundtrip,
	[OSB_NOTIFY] = osb_notify, [OSB_PIPE] = osb_pipe,          [OSB_UFAULT] = osb_ufault,
	[OSB_ANON] = osb_anon,     [OSB_FORK] = os_fork_exit_wait,
};

/* The untimed step after each sample that puts the operation back in its starting state. */
static void
osb_reset(enum osb_op op)
{
	if (op == OSB_UFAULT) {
		os_protect(osb_fpage, 0);
	} else if (op == OSB_ANON) {
		os_anon_done(osb_anon_next);
		if (++osb_anon_next < OSB_ANON_PAGES)
			osb_anon_ptr = os_anon_page(osb_anon_next);
	}
}

static uint64_t
osb_time(void (*body)(void))
{
	uint64_t t0 = osb_rdtsc();

	body();
	return osb_rdtsc() - t0;
}

/* Shell sort: no libc qsort on ExoLab. */
static void
osb_sort(uint64_t *a, int n)
{
	for (int gap = n / 2; gap > 0; gap /= 2) {
		for (int i = gap; i < n; i++) {
			uint64_t v = a[i];
			int j = i;

			for (; j >= gap && a[j - gap] > v; j -= gap)
				a[j] = a[j - gap];
			a[j] = v;
		}
	}
}

/* The smallest time of the empty body: the timing frame's own instructions. */
static uint64_t
osb_overhead(void)
{
	uint64_t lo = UINT64_MAX;

	for (int i = 0; i < OSB_SAMPLES; i++) {
		uint64_t t = osb_time(osb_empty);

		lo = t < lo ? t : lo;
	}
	return lo;
}

/* Fills osb_sample[0..n) with OSB_WARMUP + n timed runs of op's body, the first OSB_WARMUP
 * dropped.  A yield sample counts only when the partner ran exactly once in it (a scheduler
 * may run the caller again, or the partner twice); at most 10 * n are tried.  Returns the
 * number of samples dropped that way, or -1 when too few were good. */
static int
osb_collect(enum osb_op op, int n, uint64_t overhead)
{
	volatile uint64_t *turns = op == OSB_YIELD ? os_partner_word(0) : NULL;
	int good = 0, bad = 0;

	for (int i = 0; i < 10 * n + OSB_WARMUP && good < OSB_WARMUP + n; i++) {
		uint64_t before = turns ? *turns : 0;
		uint64_t t = osb_time(osb_body[op]);

		osb_reset(op);
		if (turns && *turns != before + 1) {
			bad += i >= OSB_WARMUP;
			continue;
		}
		if (good >= OSB_WARMUP)
			osb_sample[good - OSB_WARMUP] = t > overhead ? t - overhead : 0;
		good++;
	}
	return good == OSB_WARMUP + n ? bad : -1;
}

/* One operation: 0, or -1 when it could not be set up or did not do what it should. */
static int
osb_run(enum osb_op op, uint64_t overhead)
{
	const struct osb_desc *d = &osb_desc[op];
	int n = op == OSB_FORK ? OSB_FORK_SAMPLES : OSB_SAMPLES;
	const char *why = os_missing(op);
	unsigned faults0;
	int dropped;

	if (why != NULL) {
		printf("BENCH-NA %s %s\n", d->name, why);
		return 0;
	}
	if (op == OSB_UFAULT)
		osb_fpage = os_fault_page();
	if (os_open(op) < 0)
		return -1;
	if (op == OSB_UFAULT)
		os_protect(osb_fpage, 0);
	if (op == OSB_ANON)
		osb_anon_ptr = os_anon_page(osb_anon_next = 0);
	faults0 = osb_faults;
	dropped = osb_collect(op, n, overhead);
	os_close(op);
	if (dropped < 0) {
		printf("osbench: %s: the partner did not run once per yield often enough\n",
		       d->name);
		return -1;
	}
	if (dropped > 0)
		printf("osbench: %s: %d samples dropped (the partner ran 0 or 2+ times)\n", d->name,
		       dropped);
	if (op == OSB_UFAULT && osb_faults - faults0 != (unsigned)(OSB_WARMUP + n)) {
		printf("osbench: %s: %u faults reached the handler, want %d\n", d->name,
		       osb_faults - faults0, OSB_WARMUP + n);
		return -1;
	}
	osb_sort(osb_sample, n);
	printf("osbench: %s (%s): %d samples: min %lu median %lu max %lu\n", d->name, d->what, n,
	       (unsigned long)osb_sample[0], (unsigned long)osb_sample[n / 2],
	       (unsigned long)osb_sample[n - 1]);
	printf("BENCH %s %lu instructions\n", d->name, (unsigned long)osb_sample[0]);
	return 0;
}

int
osb_main(void)
{
	uint64_t overhead = osb_overhead();
	int failed = 0;

	printf("osbench: timing frame %lu instructions (subtracted)\n", (unsigned long)overhead);
	for (int op = 0; op < OSB_NOPS; op++) {
		if (osb_run((enum osb_op)op, overhead) < 0) {
			printf("osbench: %s FAILED\n", osb_desc[op].name);
			failed++;
		}
	}
	printf("osbench: done, %d failed\n", failed);
	return failed ? 1 : 0;
}
