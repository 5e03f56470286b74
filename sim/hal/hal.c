/* The HAL on the host (see simhal.h): simulated physical memory, the cycle clock, CPUs,
 * interrupts, TLB and root events, spinlocks, panics and logging.  MMIO is in mmio.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/error.h"
#include "mm.h"
#include "simhal.h"

struct simhal_cpu {
	physaddr_t root;
	bool irq_enabled;
	uint64_t timer_deadline;
};

static uint8_t *phys;
static size_t phys_size;

static simhal_panic_hook_t panic_hook;
static void *panic_arg;
static char panic_msg[SIMHAL_PANIC_MAX];
static unsigned panic_count;

static char *log_buf;
static size_t log_size, log_len;

static uint64_t clock_cycles;
static uint64_t (*cycles_hook)(void *arg);
static void *cycles_arg;

static unsigned cur_cpu, ncpus = 1;
static struct simhal_cpu cpus[SIMHAL_MAX_CPUS];

static void (*event_hook)(const struct simhal_event *ev, void *arg);
static void *event_arg;
static uint64_t event_counts[SIMHAL_NEVENTS];
static uintptr_t tlb_recent[SIMHAL_TLB_RECENT]; /* a ring indexed by the page-flush count */

int
simhal_init(size_t phys_bytes)
{
	void *mem;

	if (phys_bytes == 0 || phys_bytes % PAGE_SIZE != 0)
		return E_INVAL;
	/* 2 MiB alignment makes host addresses share the low 21 bits of physical ones. */
	if (posix_memalign(&mem, 1u << 21, phys_bytes) != 0)
		return E_NOMEM;
	simhal_fini();
	phys = mem;
	phys_size = phys_bytes;
	memset(phys, 0xA5, phys_size);
	panic_msg[0] = '\0';
	panic_count = 0;
	clock_cycles = 0;
	cycles_hook = NULL;
	cur_cpu = 0;
	ncpus = 1;
	for (unsigned i = 0; i < SIMHAL_MAX_CPUS; i++)
		cpus[i] = (struct simhal_cpu){ .irq_enabled = true };
	event_hook = NULL;
	simhal_reset_events();
	simhal_mmio_reset();
	return 0;
}

void
simhal_fini(void)
{
	free(phys);
	phys = NULL;
	phys_size = 0;
}

size_t
simhal_phys_size(void)
{
	return phys_size;
}

void *
hal_phys_to_virt(physaddr_t pa)
{
	if (phys == NULL)
		SIMHAL_FAIL("hal_phys_to_virt: simulated memory is not initialised");
	if (pa >= phys_size)
		SIMHAL_FAIL("hal_phys_to_virt: 0x%llx is outside simulated memory [0, 0x%zx)",
		            (unsigned long long)pa, phys_size);
	return phys + pa;
}

physaddr_t
hal_virt_to_phys(const void *va)
{
	uintptr_t p = (uintptr_t)va, base = (uintptr_t)phys;

	if (phys == NULL || p < base || p - base >= phys_size)
		SIMHAL_FAIL("hal_virt_to_phys: %p is not in simulated memory", va);
	return p - base;
}

void
simhal_set_panic_hook(simhal_panic_hook_t hook, void *arg)
{
	panic_hook = hook;
	panic_arg = arg;
}

const char *
simhal_last_panic(void)
{
	return panic_msg;
}

unsigned
simhal_panic_count(void)
{
	return panic_count;
}

void
hal_panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(panic_msg, sizeof(panic_msg), "%s:%d: ", file, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(panic_msg))
		vsnprintf(panic_msg + n, sizeof(panic_msg) - n, fmt, ap);
	va_end(ap);
	panic_count++;
	fprintf(stderr, "panic: %s\n", panic_msg);
	if (panic_hook)
		panic_hook(panic_msg, panic_arg);
	abort();
}

void
simhal_capture_log(char *buf, size_t size)
{
	log_buf = size > 0 ? buf : NULL;
	log_size = size;
	log_len = 0;
	if (log_buf)
		log_buf[0] = '\0';
}

void
hal_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (log_buf && log_len + 1 < log_size) {
		va_start(ap, fmt);
		int n = vsnprintf(log_buf + log_len, log_size - log_len, fmt, ap);
		va_end(ap);
		if (n > 0)
			log_len +=
			    (size_t)n < log_size - log_len ? (size_t)n : log_size - log_len - 1;
	}
}

void
simhal_set_cycles(uint64_t cycles)
{
	clock_cycles = cycles;
}

void
simhal_advance_cycles(uint64_t delta)
{
	clock_cycles += delta;
}

void
simhal_set_cycles_hook(uint64_t (*hook)(void *arg), void *arg)
{
	cycles_hook = hook;
	cycles_arg = arg;
}

uint64_t
hal_cycles(void)
{
	return cycles_hook ? cycles_hook(cycles_arg) : clock_cycles;
}

void
simhal_set_cpu(unsigned cpu)
{
	if (cpu >= ncpus)
		SIMHAL_FAIL("simhal_set_cpu: cpu %u of %u", cpu, ncpus);
	cur_cpu = cpu;
}

void
simhal_set_cpu_count(unsigned n)
{
	if (n == 0 || n > SIMHAL_MAX_CPUS || cur_cpu >= n)
		SIMHAL_FAIL("simhal_set_cpu_count: %u CPUs (current %u, max %u)", n, cur_cpu,
		            SIMHAL_MAX_CPUS);
	ncpus = n;
}

unsigned
hal_cpu_id(void)
{
	return cur_cpu;
}

unsigned
hal_cpu_count(void)
{
	return ncpus;
}

static void
record(enum simhal_event_kind kind, unsigned target, uint64_t arg)
{
	struct simhal_event ev = { kind, cur_cpu, target, arg };

	if (kind == SIMHAL_TLB_PAGE)
		tlb_recent[event_counts[kind] % SIMHAL_TLB_RECENT] = (uintptr_t)arg;
	event_counts[kind]++;
	if (event_hook)
		event_hook(&ev, event_arg);
}

void
simhal_set_event_hook(void (*hook)(const struct simhal_event *ev, void *arg), void *arg)
{
	event_hook = hook;
	event_arg = arg;
}

uint64_t
simhal_event_count(enum simhal_event_kind kind)
{
	return kind < SIMHAL_NEVENTS ? event_counts[kind] : 0;
}

bool
simhal_tlb_recent(unsigned i, uintptr_t *va)
{
	uint64_t n = event_counts[SIMHAL_TLB_PAGE];

	if (i >= SIMHAL_TLB_RECENT || i >= n)
		return false;
	*va = tlb_recent[(n - 1 - i) % SIMHAL_TLB_RECENT];
	return true;
}

void
simhal_reset_events(void)
{
	memset(event_counts, 0, sizeof(event_counts));
	memset(tlb_recent, 0, sizeof(tlb_recent));
}

void
hal_tlb_flush_page(uintptr_t va)
{
	record(SIMHAL_TLB_PAGE, cur_cpu, va);
}

void
hal_tlb_flush_all(void)
{
	record(SIMHAL_TLB_ALL, cur_cpu, 0);
}

/* The host keeps no TLB and runs one simulated CPU at a time: nothing to shoot down.  (Not
 * recorded: the pt tests count the caller's own flushes exactly.) */
void
hal_tlb_shootdown(physaddr_t root, const uintptr_t *vas, unsigned n)
{
	(void)root;
	(void)vas;
	(void)n;
}

void
hal_set_root(physaddr_t root)
{
	if (root % PAGE_SIZE != 0 || root >= phys_size)
		SIMHAL_FAIL("hal_set_root: 0x%llx is not a page of simulated memory",
		            (unsigned long long)root);
	cpus[cur_cpu].root = root;
	record(SIMHAL_SET_ROOT, cur_cpu, root);
}

physaddr_t
hal_get_root(void)
{
	return cpus[cur_cpu].root;
}

physaddr_t
simhal_root(unsigned cpu)
{
	return cpu < SIMHAL_MAX_CPUS ? cpus[cpu].root : 0;
}

hal_irqstate_t
hal_irq_save(void)
{
	hal_irqstate_t was = cpus[cur_cpu].irq_enabled;

	cpus[cur_cpu].irq_enabled = false;
	return was;
}

void
hal_irq_restore(hal_irqstate_t state)
{
	cpus[cur_cpu].irq_enabled = state != 0;
}

bool
simhal_irq_enabled(unsigned cpu)
{
	return cpu < SIMHAL_MAX_CPUS && cpus[cpu].irq_enabled;
}

void
hal_send_ipi(unsigned cpu, unsigned vector)
{
	if (cpu >= ncpus)
		SIMHAL_FAIL("hal_send_ipi: no cpu %u (of %u)", cpu, ncpus);
	record(SIMHAL_IPI, cpu, vector);
}

void
hal_resched(unsigned cpu)
{
	if (cpu >= ncpus)
		SIMHAL_FAIL("hal_resched: no cpu %u (of %u)", cpu, ncpus);
	record(SIMHAL_IPI, cpu, 0);
}

void
hal_timer_oneshot(uint64_t cycles)
{
	cpus[cur_cpu].timer_deadline = cycles ? hal_cycles() + cycles : 0;
	record(SIMHAL_TIMER, cur_cpu, cycles);
}

uint64_t
simhal_timer_deadline(unsigned cpu)
{
	return cpu < SIMHAL_MAX_CPUS ? cpus[cpu].timer_deadline : 0;
}

/* The host is single-threaded: a lock that is already held can never be released, so
 * taking it again is reported at once instead of spinning forever. */
void
hal_spin_lock(struct hal_spinlock *lk)
{
	if (lk->locked)
		SIMHAL_FAIL("hal_spin_lock: %s already held by cpu %u (cpu %u)",
		            lk->name ? lk->name : "lock", lk->holder - 1, cur_cpu);
	lk->locked = 1;
	lk->holder = cur_cpu + 1;
}

void
hal_spin_unlock(struct hal_spinlock *lk)
{
	if (!lk->locked || lk->holder != cur_cpu + 1)
		SIMHAL_FAIL("hal_spin_unlock: %s is not held by cpu %u",
		            lk->name ? lk->name : "lock", cur_cpu);
	lk->locked = 0;
	lk->holder = 0;
}

void
hal_spin_init(struct hal_spinlock *lk, const char *name)
{
	*lk = (struct hal_spinlock)HAL_SPINLOCK_INIT(name);
}

hal_irqstate_t
hal_spin_lock_irqsave(struct hal_spinlock *lk)
{
	hal_irqstate_t st = hal_irq_save();

	hal_spin_lock(lk);
	return st;
}

void
hal_spin_unlock_irqrestore(struct hal_spinlock *lk, hal_irqstate_t state)
{
	hal_spin_unlock(lk);
	hal_irq_restore(state);
}

bool
hal_spin_holding(const struct hal_spinlock *lk)
{
	return lk->locked && lk->holder == cur_cpu + 1;
}
