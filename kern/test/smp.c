/* Self-tests of the multiprocessor machinery: an IPI round trip to every other CPU, the
 * one-shot timer, every CPU panicking at once (the dump must appear exactly once), and every
 * CPU incrementing one counter under one spinlock (no increment may be lost). */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "console.h"
#include "hal.h"
#include "ktest.h"
#include "lapic.h"
#include "panic.h"
#include "percpu.h"
#include "smp.h"
#include "trap.h"
#include "x86.h"

#define WAIT_US 1000000 /* an answer later than this is a failure, not a slow machine */

static volatile unsigned pings[SMP_MAX_CPUS]; /* IPI_TEST requests each CPU has handled */
static volatile unsigned acks;                /* IPI_ACK answers CPU 0 has received */

/* On the target CPU: count the request, then answer CPU 0 with an IPI of its own. */
static void
ipi_ping(struct trapframe *tf)
{
	(void)tf;
	pings[hal_cpu_id()]++;
	lapic_eoi();
	hal_send_ipi(0, LAPIC_VEC_IPI_ACK);
}

static void
ipi_ack(struct trapframe *tf)
{
	(void)tf;
	acks++;
	lapic_eoi();
}

/* Waits with interrupts on until *counter differs from `old`; the elapsed microseconds, or
 * -1 after WAIT_US. */
static long
wait_change(volatile unsigned *counter, unsigned old)
{
	uint64_t t0 = rdtsc(), limit = clock_tsc_hz() / 1000000 * WAIT_US;

	sti();
	while (*counter == old && rdtsc() - t0 < limit)
		pause();
	cli();
	if (*counter == old)
		return -1;
	return (long)((rdtsc() - t0) / (clock_tsc_hz() / 1000000));
}

static void
ktest_ipi(void)
{
	unsigned n = hal_cpu_count(), good = 0;

	trap_register(LAPIC_VEC_IPI_TEST, ipi_ping);
	trap_register(LAPIC_VEC_IPI_ACK, ipi_ack);
	printf("ipi: %u CPUs, vector %u there and %u back\n", n, LAPIC_VEC_IPI_TEST,
	       LAPIC_VEC_IPI_ACK);
	for (unsigned cpu = 1; cpu < n; cpu++) {
		unsigned old = acks;
		long us;

		hal_send_ipi(cpu, LAPIC_VEC_IPI_TEST);
		us = wait_change(&acks, old);
		if (us >= 0 && pings[cpu] == 1) {
			printf("ipi: cpu %u (apic id %u) answered in %ld us\n", cpu,
			       smp_apic_id(cpu), us);
			good++;
		} else {
			printf("ipi: cpu %u (apic id %u) did not answer\n", cpu, smp_apic_id(cpu));
		}
	}
	printf("ipi: %u of %u other CPUs answered\n", good, n - 1);
}

KTEST(ipi, ktest_ipi, "an IPI to every other CPU and one back from each, one line per CPU");

/* Arms the one-shot timer for `us` and waits up to three times as long, halted with
 * interrupts on like an idle CPU; the microseconds until it fired, or -1. */
static long
oneshot_wait(uint64_t us)
{
	struct percpu *pc = percpu_this();
	uint64_t old = pc->wakeups, t0 = rdtsc(), per_us = clock_tsc_hz() / 1000000;

	pc->idle = 1;
	hal_timer_oneshot(us * per_us);
	sti();
	while (pc->wakeups == old && rdtsc() - t0 < 3 * us * per_us)
		pause();
	cli();
	pc->idle = 0;
	hal_timer_oneshot(0);
	return pc->wakeups == old ? -1 : (long)((rdtsc() - t0) / per_us);
}

static void
ktest_oneshot(void)
{
	struct percpu *pc = percpu_this();
	uint64_t old;
	long us;

	printf("oneshot: by %s\n", clock_uses_tsc_deadline() ? "tsc-deadline" : "count");
	us = oneshot_wait(10000);
	if (us < 0)
		printf("oneshot: armed for 10000 us, never fired\n");
	else
		printf("oneshot: armed for 10000 us, fired %s (after %ld us)\n",
		       us >= 10000 ? "in time" : "early", us);
	/* Armed, then cancelled: nothing may fire. */
	old = pc->wakeups;
	pc->idle = 1;
	hal_timer_oneshot(clock_tsc_hz() / 1000 * 5);
	hal_timer_oneshot(0);
	sti();
	clock_delay_us(20000);
	cli();
	pc->idle = 0;
	printf("oneshot: cancelled timer %s\n", pc->wakeups == old ? "stayed quiet" : "fired");
}

KTEST(oneshot, ktest_oneshot, "hal_timer_oneshot: fires once after its time; 0 cancels");

static void
panic_ipi(struct trapframe *tf)
{
	(void)tf;
	panic("ktest: cpu %u panics too", hal_cpu_id());
}

/* Every CPU panics at about the same moment: only one may print, once.  CPU 0 gives the
 * others a head start, so they usually race each other and CPU 0 comes last. */
static void
ktest_panic_all(void)
{
	trap_register(LAPIC_VEC_IPI_PANIC_TEST, panic_ipi);
	for (unsigned cpu = 1; cpu < hal_cpu_count(); cpu++)
		hal_send_ipi(cpu, LAPIC_VEC_IPI_PANIC_TEST);
	clock_delay_us(1000);
	panic("ktest: cpu 0 panics with %u others", hal_cpu_count() - 1);
}

KTEST_NAMED(panic_all, "panic-all", ktest_panic_all,
            "every CPU panics at once: one dump, exit status 3");

/* The spinlock test: every CPU takes one lock SPIN_ROUNDS times and, holding it, reads the
 * counter, waits SPIN_HOLD pauses and writes it back plus one.  Almost all of each round is
 * spent holding the lock, so a lock that lets two CPUs in at once loses increments within a
 * few rounds, whether the vCPUs run in parallel (MTTCG) or take turns. */
#define SPIN_ROUNDS 4000
#define SPIN_HOLD   40

static struct hal_spinlock spin_lk = HAL_SPINLOCK_INIT("spin-test");
static volatile uint64_t spin_counter;
static volatile unsigned spin_done; /* CPUs that finished their rounds */

static void
spin_rounds(void)
{
	for (unsigned i = 0; i < SPIN_ROUNDS; i++) {
		uint64_t v;

		hal_spin_lock(&spin_lk);
		v = spin_counter;
		for (unsigned k = 0; k < SPIN_HOLD; k++)
			pause();
		spin_counter = v + 1;
		hal_spin_unlock(&spin_lk);
	}
	__atomic_add_fetch(&spin_done, 1, __ATOMIC_RELEASE);
}

/* On every other CPU, in the IPI handler (interrupts off, as every kernel lock is taken). */
static void
spin_ipi(struct trapframe *tf)
{
	(void)tf;
	lapic_eoi();
	spin_rounds();
}

static void
ktest_spinlock(void)
{
	unsigned n = hal_cpu_count();
	uint64_t want = (uint64_t)n * SPIN_ROUNDS, t0 = rdtsc();
	uint64_t limit = clock_tsc_hz() / 1000000 * WAIT_US * 30;

	trap_register(LAPIC_VEC_IPI_TEST, spin_ipi);
	for (unsigned cpu = 1; cpu < n; cpu++)
		hal_send_ipi(cpu, LAPIC_VEC_IPI_TEST);
	spin_rounds();
	while (__atomic_load_n(&spin_done, __ATOMIC_ACQUIRE) < n && rdtsc() - t0 < limit)
		pause();
	printf("spinlock: %u of %u CPUs did %u rounds: counter %lu, want %lu %s\n", spin_done, n,
	       SPIN_ROUNDS, spin_counter, want,
	       spin_done == n && spin_counter == want ? "OK" : "FAIL");
}

KTEST(spinlock, ktest_spinlock,
      "every CPU increments one counter under one spinlock: no increment is lost");
