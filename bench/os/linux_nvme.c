/* bench-linux-nvme: Linux 6.1's instructions per 4 KiB read from QEMU's NVMe controller, the
 * Linux side of issue 12's NVMe figure (ExoLab's is `make bench-nvme`, user/nvmetest.c).
 * Runs as the only program of a busybox initramfs (bench/linux/mkinitramfs.py) after the
 * nvme modules are loaded with poll_queues=1; built static (bench/linux/linux.mk).
 *
 * Under `qemu -icount shift=0` rdtsc counts guest instructions (user and kernel), except that
 * while the CPU is halted QEMU (sleep=off) jumps the clock to the next timer deadline, so an
 * interrupt-driven wait adds a warp, not executed instructions.  Rows (bench/linux/README.md):
 *
 *   total      rdtsc around one whole I/O (submit, wait for the device, completion)
 *   submit     fill the SQE + io_uring_enter(to_submit) until it returns: the doorbell is
 *              written and nothing is waited for (a polled queue has no interrupt)
 *   complete   after a spin in user space long enough that the device has written its
 *              completion, io_uring_enter(GETEVENTS) + reading the CQE: one poll finds it
 *              (interrupt-driven ring: the CQE is already there, reading it is all)
 *   away       instructions interrupts took from the spin (the NVMe completion interrupt
 *              and what it runs: request completion, io_uring's task work posting the CQE)
 *
 * submit + complete (+ away) is the software path with the device's time left out, as
 * user/nvmetest.c leaves out its wait_phase loop.  Every read is checked (res == 4096). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux_uring.h"

#define BLK           4096u
#define NBLK          1024u    /* the 4 MiB namespace in 4 KiB blocks */
#define WARM          16u      /* untimed I/Os before each row */
#define N             256u     /* timed samples per row */
#define QD            32u      /* the deep queue */
#define SPIN          2000000u /* instructions a "wait for the device" spins (see complete) */
#define GAP           64u      /* a spin step longer than this was spent elsewhere */
#define HIPRI_TIMEOUT 60u      /* seconds (virtual) the preadv2 RWF_HIPRI child may take */

static const char *dev = "/dev/nvme0n1";
static int fd;
static uint8_t *bufs;  /* QD page-aligned 4 KiB buffers */
static uint64_t empty; /* an empty rdtsc pair */
static uint64_t samples[N];
static uint64_t waits[N];       /* per sample: instructions the idle spinner ran */
static unsigned char slept[N];  /* per sample: the benchmark blocked (a voluntary switch) */
static volatile uint64_t *spun; /* the idle spinner's count, in a shared page */
static pid_t spinner;
static unsigned long irq0, ios; /* NVMe interrupts before a row; I/Os completed in it */
static int failed;
static void na(const char *row, const char *why);
static unsigned next_blk;

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

/* Spins until `n` instructions (TSC ticks) have passed: the device's part, never timed.
 * Returns the instructions the CPU spent elsewhere meanwhile: each step of the loop is a few
 * instructions, so a step over GAP is an interrupt (the NVMe completion's, a timer tick's)
 * and everything it ran before returning to user mode (softirq, io_uring's task work). */
static uint64_t
spin(uint64_t n)
{
	uint64_t t0 = rdtsc(), prev = t0, now, away = 0;

	while ((now = rdtsc()) - t0 < n) {
		if (now - prev > GAP)
			away += now - prev;
		prev = now;
	}
	return away;
}

static off_t
next_off(void)
{
	return (off_t)(next_blk++ % NBLK) * BLK; /* sequential, as nvmetest's bench */
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One row from samples[0..n): each sample is `div` I/Os. */
static void
report(const char *row, unsigned n, unsigned div)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += samples[i];
	qsort(samples, n, sizeof samples[0], cmp);
	printf("NVME %s min %lu median %lu mean %lu max %lu n %u\n", row,
	       (unsigned long)(samples[0] / div), (unsigned long)(samples[n / 2] / div),
	       (unsigned long)(sum / n / div), (unsigned long)(samples[n - 1] / div), n);
}

/* Voluntary context switches so far (getrusage(2)): one more after an I/O means the
 * benchmark slept in it. */
static long
nvcsw(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_nvcsw : 0;
}

/* `row`_slept and `row`_awake: total - wait of the samples where the benchmark slept, and
 * of those where the completion came first (two different software paths). */
static void
report_slept(const char *row, const uint64_t *busy, unsigned n, unsigned div)
{
	char name[64];

	for (int want = 1; want >= 0; want--) {
		unsigned k = 0;

		for (unsigned i = 0; i < n; i++)
			if (slept[i] == want)
				samples[k++] = busy[i];
		snprintf(name, sizeof name, "%s_%s", row, want ? "slept" : "awake");
		if (k)
			report(name, k, div);
		else
			na(name, "no sample");
	}
}

/* A whole-I/O row: samples[] and waits[] give `row` (the total), `row`_wait (what the idle
 * spinner ran meanwhile: the wait for the device) and `row`_busy (total - wait, per sample). */
static void
report_total(const char *row, unsigned div, unsigned n)
{
	static uint64_t sw[N];
	char name[64];

	for (unsigned i = 0; i < n; i++)
		sw[i] = samples[i] - waits[i];
	report(row, n, div);
	if (!spun)
		return;
	memcpy(samples, waits, sizeof waits);
	snprintf(name, sizeof name, "%s_wait", row);
	report(name, n, div);
	memcpy(samples, sw, sizeof sw);
	snprintf(name, sizeof name, "%s_busy", row);
	report(name, n, div);
	report_slept(row, sw, n, div); /* sw[] is still in sample order */
}

/* The idle spinner: a SCHED_IDLE process that counts, in *spun, the instructions of its own
 * loop (steps of at most GAP; a longer step is time it did not run).  It runs only when the
 * benchmark is blocked waiting for the device: in place of the idle loop. */
static void
spinner_start(void)
{
	struct sched_param sp = { 0 };
	uint64_t prev, now;

	spun = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (spun == MAP_FAILED) {
		spun = NULL;
		return;
	}
	spinner = fork();
	if (spinner != 0) {
		if (spinner < 0)
			spun = NULL;
		return;
	}
	if (sched_setscheduler(0, SCHED_IDLE, &sp) < 0)
		_exit(1);
	for (prev = rdtsc();; prev = now) {
		now = rdtsc();
		if (now - prev <= GAP)
			*spun += now - prev;
	}
}

static void
spinner_stop(void)
{
	if (spinner > 0) {
		kill(spinner, SIGKILL);
		waitpid(spinner, NULL, 0);
	}
	spinner = 0;
	spun = NULL;
}

static inline uint64_t
spun_now(void)
{
	return spun ? *spun : 0;
}

/* The NVMe interrupts so far: the CPU0 column of /proc/interrupts' nvme0q* lines (the
 * admin and interrupt-driven I/O queues; the polled queue has no vector). */
static unsigned long
nvme_irqs(void)
{
	char line[512];
	unsigned long sum = 0, n;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "nvme0q") && sscanf(line, " %*[^:]: %lu", &n) == 1)
			sum += n;
	fclose(f);
	return sum;
}

static void
irq_mark(void)
{
	irq0 = nvme_irqs();
	ios = 0;
}

/* `NVME-IRQ row interrupts I/Os`: a polled row must take none. */
static void
irq_report(const char *row)
{
	printf("NVME-IRQ %s %lu %lu\n", row, nvme_irqs() - irq0, ios);
}

static void
na(const char *row, const char *why)
{
	printf("NVME-NA %s %s\n", row, why);
}

static void
fail(const char *row, const char *what)
{
	printf("nvmebench: %s: %s FAIL\n", row, what);
	failed++;
}

/* The idle spinner's check: usleep(1000) is a wait of 1,000,000 instructions (virtual ns)
 * with no device; nvmebench.py wants sleep_1ms_wait near sleep_1ms. */
static void
bench_sleep(void)
{
	for (unsigned i = 0; i < N / 8; i++) {
		long c0 = nvcsw();
		uint64_t w0 = spun_now(), t0 = rdtsc();

		usleep(1000);
		samples[i] = rdtsc() - t0 - empty;
		waits[i] = spun_now() - w0;
		slept[i] = nvcsw() != c0;
	}
	report_total("sleep_1ms", 1, N / 8);
}

/* (a) pread O_DIRECT, queue depth 1, interrupt-driven (the default queues). */
static void
bench_pread(void)
{
	for (unsigned i = 0; i < WARM + N; i++) {
		off_t off = next_off();
		long c0 = nvcsw();
		uint64_t w0 = spun_now(), t0 = rdtsc();
		ssize_t r = pread(fd, bufs, BLK, off);
		uint64_t t1 = rdtsc(), w1 = spun_now();
		long c1 = nvcsw();

		if (r != BLK)
			return fail("pread_qd1", "a read did not return 4096");
		ios++;
		if (i >= WARM) {
			samples[i - WARM] = t1 - t0 - empty;
			waits[i - WARM] = w1 - w0;
			slept[i - WARM] = c1 != c0;
		}
	}
	report_total("pread_qd1", 1, N);
}

/* (a') preadv2 with RWF_HIPRI, in a child: if the kernel marked the bio polled and nobody
 * polled it, the child would never return; the parent gives up after HIPRI_TIMEOUT. */
static void
hipri_child(void)
{
	struct iovec iov = { bufs, BLK };

	for (unsigned i = 0; i < WARM + N; i++) {
		off_t off = next_off();
		long c0 = nvcsw();
		uint64_t w0 = spun_now(), t0 = rdtsc();
		ssize_t r = preadv2(fd, &iov, 1, off, RWF_HIPRI);
		uint64_t t1 = rdtsc(), w1 = spun_now();
		long c1 = nvcsw();

		if (r != BLK) {
			printf("NVME-NA preadv2_hipri_qd1 preadv2 returned %ld\n", (long)r);
			_exit(0);
		}
		if (i >= WARM) {
			samples[i - WARM] = t1 - t0 - empty;
			waits[i - WARM] = w1 - w0;
			slept[i - WARM] = c1 != c0;
		}
	}
	report_total("preadv2_hipri_qd1", 1, N);
	fflush(stdout);
	_exit(0);
}

static void
on_alarm(int sig)
{
	/* Only interrupts the parent's waitpid (no SA_RESTART). */
}

static void
bench_hipri(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int st;
	pid_t pid;

	sigaction(SIGALRM, &sa, NULL);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("preadv2_hipri_qd1", "fork");
	if (pid == 0)
		hipri_child();
	alarm(HIPRI_TIMEOUT);
	if (waitpid(pid, &st, 0) != pid)
		na("preadv2_hipri_qd1", "the child did not finish (a polled bio nobody polls?)");
	else
		ios += WARM + N;
	alarm(0);
}

/* Takes every CQE there is and counts them in `ios`. */
static unsigned
reap(struct ring *r)
{
	unsigned n = ring_reap(r);

	ios += n;
	return n;
}

/* Whole I/Os at queue depth `qd`: each sample is rdtsc around `qd` completions while the
 * queue is kept `qd` deep (refilled as completions arrive). */
static int
ring_total(struct ring *r, unsigned qd)
{
	unsigned inflight = 0, fresh = 0, slot = 0;

	for (unsigned i = 0; i < WARM + N; i++) {
		long c0 = nvcsw();
		uint64_t w0 = spun_now(), t0 = rdtsc(), t1;

		for (unsigned done = 0; done < qd;) {
			for (; inflight < qd; inflight++, fresh++)
				ring_prep(r, slot++ % QD, next_off());
			if (ring_enter(r, fresh, 1) < 0)
				return -1;
			fresh = 0;
			for (unsigned got = reap(r); got; got--, done++)
				inflight--;
		}
		t1 = rdtsc();
		if (i >= WARM) {
			samples[i - WARM] = t1 - t0 - empty;
			waits[i - WARM] = spun_now() - w0;
			slept[i - WARM] = nvcsw() != c0;
		}
	}
	while (inflight) {
		if (ring_enter(r, 0, 1) < 0)
			return -1;
		inflight -= reap(r);
	}
	return r->bad ? -1 : 0;
}

/* Split I/Os at queue depth `qd`: submit `qd` reads (one enter), spin while the device
 * works, then collect all `qd`: from the CQ ring alone when they are there (an interrupt
 * completed them during the spin, as liburing's io_uring_wait_cqe peeks first), else with
 * io_uring_enter(GETEVENTS) (a polled ring: the kernel polls the NVMe queue).  Per batch:
 * sub[] the submit window, away[] the instructions interrupts took during the spin,
 * samples[] the completion window. */
static int
ring_split(struct ring *r, unsigned qd, uint64_t *sub, uint64_t *away)
{
	for (unsigned i = 0; i < WARM + N; i++) {
		uint64_t t0, t1, t2, t3, a;
		unsigned got = 0;

		t0 = rdtsc();
		for (unsigned k = 0; k < qd; k++)
			ring_prep(r, k, next_off());
		if (ring_enter(r, qd, 0) != (long)qd)
			return -1;
		t1 = rdtsc();
		a = spin(SPIN);
		t2 = rdtsc();
		got = reap(r);
		while (got < qd) {
			if (ring_enter(r, 0, qd - got) < 0)
				return -1;
			got += reap(r);
		}
		t3 = rdtsc();
		if (i >= WARM) {
			sub[i - WARM] = t1 - t0 - empty;
			away[i - WARM] = a;
			samples[i - WARM] = t3 - t2 - empty;
		}
	}
	return r->bad ? -1 : 0;
}

/* io_uring_enter(fd, 0, 0, 0) on the ring: the system call and io_uring_enter's own checks,
 * what one enter that submits and polls saves over split's two. */
static void
bench_enter(struct ring *r, const char *row)
{
	char name[64];

	for (unsigned i = 0; i < WARM + N; i++) {
		uint64_t t0 = rdtsc();

		ring_enter(r, 0, 0);
		if (i >= WARM)
			samples[i - WARM] = rdtsc() - t0 - empty;
	}
	snprintf(name, sizeof name, "%s_enter0", row);
	report(name, N, 1);
}

static void
bench_ring(const char *row, unsigned flags, int fixed, unsigned qd, int split)
{
	static uint64_t sub[N], away[N], sw[N];
	char name[64];
	struct ring r;

	if (ring_open(&r, flags, fixed, fd, bufs, QD) < 0)
		return na(row, "io_uring_setup or register refused");
	if (split && qd == 1)
		bench_enter(&r, row);
	irq_mark();
	if (!split) {
		if (ring_total(&r, qd) < 0)
			fail(row, "an I/O failed");
		else
			report_total(row, qd, N);
	} else if (ring_split(&r, qd, sub, away) < 0) {
		fail(row, "an I/O failed");
	} else {
		memcpy(sw, samples, sizeof sw);
		snprintf(name, sizeof name, "%s_complete", row);
		report(name, N, qd);
		memcpy(samples, sub, sizeof sub);
		snprintf(name, sizeof name, "%s_submit", row);
		report(name, N, qd);
		for (unsigned i = 0; i < N; i++)
			sw[i] = sub[i] + sw[i] + (flags & IORING_SETUP_IOPOLL ? 0 : away[i]);
		memcpy(samples, away, sizeof away);
		snprintf(name, sizeof name, "%s_away", row);
		report(name, N, qd);
		memcpy(samples, sw, sizeof sw);
		snprintf(name, sizeof name, "%s_sw", row);
		report(name, N, qd);
	}
	snprintf(name, sizeof name, split ? "%s_sw" : "%s", row);
	irq_report(name);
	close(r.fd); /* unmapping is left to exit: the rings are small */
}

int
main(void)
{
	uint64_t t0, t1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(dev, O_RDONLY | O_DIRECT);
	bufs = mmap(NULL, QD * BLK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || bufs == MAP_FAILED) {
		perror(dev);
		printf("nvmebench: done, 1 failed\n");
		return 1;
	}
	memset(bufs, 1, QD * BLK);
	t0 = rdtsc();
	t1 = rdtsc();
	empty = t1 - t0;
	printf("nvmebench: %s, empty rdtsc pair %lu, spin %u\n", dev, (unsigned long)empty, SPIN);
	/* Whole I/Os that block: with the idle spinner to measure the wait. */
	spinner_start();
	if (!spun)
		printf("nvmebench: no idle spinner: the blocking rows have no _wait and _sw\n");
	bench_sleep();
	irq_mark();
	bench_pread();
	irq_report("pread_qd1");
	irq_mark();
	bench_hipri();
	irq_report("preadv2_hipri_qd1");
	bench_ring("uring_qd1_intr", 0, 0, 1, 0);
	bench_ring("uring_qd32_intr", 0, 0, QD, 0);
	spinner_stop();
	/* Polled whole I/Os (the kernel spins; nothing blocks) and every split row. */
	bench_ring("uring_qd1_intr", 0, 0, 1, 1);
	bench_ring("uring_qd1_poll", IORING_SETUP_IOPOLL, 0, 1, 0);
	bench_ring("uring_qd1_poll", IORING_SETUP_IOPOLL, 0, 1, 1);
	bench_ring("uring_qd1_poll_fixed", IORING_SETUP_IOPOLL, 1, 1, 0);
	bench_ring("uring_qd1_poll_fixed", IORING_SETUP_IOPOLL, 1, 1, 1);
	bench_ring("uring_qd32_intr", 0, 0, QD, 1);
	bench_ring("uring_qd32_poll", IORING_SETUP_IOPOLL, 0, QD, 0);
	bench_ring("uring_qd32_poll", IORING_SETUP_IOPOLL, 0, QD, 1);
	bench_ring("uring_qd32_poll_fixed", IORING_SETUP_IOPOLL, 1, QD, 1);
	printf("nvmebench: done, %d failed\n", failed);
	return failed != 0;
}
