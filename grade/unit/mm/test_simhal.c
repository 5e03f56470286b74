/* Host tests of the simulated HAL: memory bounds, recorded events, the clock, spinlock
 * checks, interrupts, panics, logging and MMIO dispatch. */
#include "mmfix.h"

Test(simhal, memory_round_trips_and_starts_filled_with_a5)
{
	uint8_t *p;

	mmfix_mem(1 * MiB);
	cr_assert_eq(simhal_phys_size(), 1 * MiB);
	p = hal_phys_to_virt(0x1234);
	cr_assert_eq(hal_virt_to_phys(p), 0x1234);
	cr_assert_eq(*p, 0xA5);
	cr_assert_eq(hal_virt_to_phys(hal_phys_to_virt(MiB - 1)), MiB - 1);
}

Test(simhal, init_rejects_sizes_that_are_not_pages)
{
	cr_assert_eq(simhal_init(0), E_INVAL);
	cr_assert_eq(simhal_init(4097), E_INVAL);
}

Test(simhal, addresses_outside_memory_fail_loudly)
{
	int local;

	mmfix_mem(1 * MiB);
	MMFIX_EXPECT_PANIC(hal_phys_to_virt(1 * MiB), "0x100000 is outside simulated memory");
	MMFIX_EXPECT_PANIC(hal_virt_to_phys(&local), "is not in simulated memory");
	simhal_fini();
	MMFIX_EXPECT_PANIC(hal_phys_to_virt(0), "not initialised");
}

Test(simhal, panic_records_file_line_and_message)
{
	mmfix_mem(1 * MiB);
	cr_assert_str_eq(simhal_last_panic(), "");
	MMFIX_EXPECT_PANIC(hal_panic("x.c", 7, "bad %d", 42), "x.c:7: bad 42");
	cr_assert_eq(simhal_panic_count(), 1);
}

Test(simhal, tlb_flushes_are_counted_and_remembered_newest_first)
{
	uintptr_t va;

	mmfix_mem(1 * MiB);
	for (uintptr_t i = 1; i <= 20; i++)
		hal_tlb_flush_page(i * 0x1000);
	hal_tlb_flush_all();
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 20);
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_ALL), 1);
	cr_assert(simhal_tlb_recent(0, &va));
	cr_assert_eq(va, 20 * 0x1000);
	cr_assert(simhal_tlb_recent(SIMHAL_TLB_RECENT - 1, &va));
	cr_assert_eq(va, (20 - SIMHAL_TLB_RECENT + 1) * 0x1000);
	cr_assert(!simhal_tlb_recent(SIMHAL_TLB_RECENT, &va));
	simhal_reset_events();
	cr_assert_eq(simhal_event_count(SIMHAL_TLB_PAGE), 0);
	cr_assert(!simhal_tlb_recent(0, &va));
}

Test(simhal, roots_are_per_cpu_and_checked)
{
	mmfix_mem(1 * MiB);
	simhal_set_cpu_count(2);
	hal_set_root(0x3000);
	simhal_set_cpu(1);
	cr_assert_eq(hal_get_root(), 0);
	hal_set_root(0x5000);
	cr_assert_eq(simhal_root(0), 0x3000);
	cr_assert_eq(simhal_root(1), 0x5000);
	cr_assert_eq(simhal_event_count(SIMHAL_SET_ROOT), 2);
	MMFIX_EXPECT_PANIC(hal_set_root(0x3001), "hal_set_root: 0x3001");
	MMFIX_EXPECT_PANIC(simhal_set_cpu(2), "cpu 2 of 2");
}

static uint64_t
clock_hook(void *arg)
{
	return *(uint64_t *)arg * 10;
}

Test(simhal, cycles_follow_the_settable_clock_or_its_hook)
{
	uint64_t t = 7;

	mmfix_mem(1 * MiB);
	cr_assert_eq(hal_cycles(), 0);
	simhal_set_cycles(1000);
	simhal_advance_cycles(5);
	cr_assert_eq(hal_cycles(), 1005);
	simhal_set_cycles_hook(clock_hook, &t);
	cr_assert_eq(hal_cycles(), 70);
	simhal_set_cycles_hook(NULL, NULL);
	cr_assert_eq(hal_cycles(), 1005);
}

Test(simhal, spinlocks_catch_double_lock_and_bad_unlock)
{
	struct hal_spinlock lk = HAL_SPINLOCK_INIT("test-lock");

	mmfix_mem(1 * MiB);
	hal_spin_lock(&lk);
	cr_assert(hal_spin_holding(&lk));
	MMFIX_EXPECT_PANIC(hal_spin_lock(&lk), "test-lock already held by cpu 0");
	hal_spin_unlock(&lk);
	cr_assert(!hal_spin_holding(&lk));
	MMFIX_EXPECT_PANIC(hal_spin_unlock(&lk), "test-lock is not held by cpu 0");
}

Test(simhal, spin_lock_irqsave_disables_interrupts_and_unlock_restores_them)
{
	struct hal_spinlock outer_lk, inner_lk;
	hal_irqstate_t outer, inner;

	mmfix_mem(1 * MiB);
	hal_spin_init(&outer_lk, "outer");
	hal_spin_init(&inner_lk, "inner");
	outer = hal_spin_lock_irqsave(&outer_lk);
	cr_assert(hal_spin_holding(&outer_lk));
	cr_assert(!simhal_irq_enabled(0));
	inner = hal_spin_lock_irqsave(&inner_lk);
	hal_spin_unlock_irqrestore(&inner_lk, inner);
	cr_assert(!simhal_irq_enabled(0), "the inner pair restores the outer one's state");
	hal_spin_unlock_irqrestore(&outer_lk, outer);
	cr_assert(!hal_spin_holding(&outer_lk));
	cr_assert(simhal_irq_enabled(0));
}

Test(simhal, irq_save_disables_and_restore_returns_the_old_state)
{
	hal_irqstate_t outer, inner;

	mmfix_mem(1 * MiB);
	cr_assert(simhal_irq_enabled(0));
	outer = hal_irq_save();
	inner = hal_irq_save();
	cr_assert(!simhal_irq_enabled(0));
	hal_irq_restore(inner);
	cr_assert(!simhal_irq_enabled(0));
	hal_irq_restore(outer);
	cr_assert(simhal_irq_enabled(0));
}

static struct simhal_event seen[4];
static unsigned nseen;

static void
event_hook(const struct simhal_event *ev, void *arg)
{
	if (nseen < 4)
		seen[nseen++] = *ev;
}

Test(simhal, ipis_and_timers_reach_the_event_hook)
{
	mmfix_mem(1 * MiB);
	simhal_set_cpu_count(4);
	simhal_set_cpu(2);
	simhal_set_cycles(100);
	simhal_set_event_hook(event_hook, NULL);
	hal_send_ipi(3, 0xf0);
	hal_timer_oneshot(50);
	cr_assert_eq(nseen, 2);
	cr_assert_eq(seen[0].kind, SIMHAL_IPI);
	cr_assert_eq(seen[0].cpu, 2);
	cr_assert_eq(seen[0].target, 3);
	cr_assert_eq(seen[0].arg, 0xf0);
	cr_assert_eq(seen[1].kind, SIMHAL_TIMER);
	cr_assert_eq(seen[1].arg, 50);
	cr_assert_eq(simhal_timer_deadline(2), 150);
	cr_assert_eq(hal_cpu_id(), 2);
	cr_assert_eq(hal_cpu_count(), 4);
	MMFIX_EXPECT_PANIC(hal_send_ipi(4, 1), "no cpu 4");
}

Test(simhal, hal_log_can_be_captured)
{
	char buf[16];

	mmfix_mem(1 * MiB);
	simhal_capture_log(buf, sizeof(buf));
	hal_log("abc %d ", 1);
	hal_log("0123456789");
	cr_assert_str_eq(buf, "abc 1 012345678", "truncated to the buffer");
}

struct regs {
	uint64_t last_off, last_val;
	unsigned last_size, writes;
};

static uint64_t
dev_read(void *ctx, uint64_t off, unsigned size)
{
	struct regs *r = ctx;

	r->last_off = off;
	r->last_size = size;
	return 0x1122334455667788ull >> (8 * (8 - size));
}

static void
dev_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct regs *r = ctx;

	r->last_off = off;
	r->last_size = size;
	r->last_val = val;
	r->writes++;
}

static const struct simhal_mmio_ops dev_ops = { dev_read, dev_write };

Test(simhal, mmio_is_dispatched_to_the_registered_device)
{
	struct regs r = { 0 };
	volatile uint8_t *bar;

	mmfix_mem(1 * MiB);
	cr_assert_eq(simhal_mmio_register(0xfebf0000, 0x1000, &dev_ops, &r), 0);
	bar = simhal_mmio_ptr(0xfebf0000);
	cr_assert_eq(hal_mmio_read32(bar + 0x14), 0x11223344);
	cr_assert_eq(r.last_off, 0x14);
	cr_assert_eq(r.last_size, 4);
	cr_assert_eq(hal_mmio_read8(bar + 0xfff), 0x11);
	cr_assert_eq(hal_mmio_read16(bar + 2), 0x1122);
	cr_assert_eq(hal_mmio_read64(bar + 8), 0x1122334455667788ull);
	hal_mmio_write64(bar + 0xff8, 0xdeadbeefcafef00dull);
	cr_assert_eq(r.last_off, 0xff8);
	cr_assert_eq(r.last_val, 0xdeadbeefcafef00dull);
	hal_mmio_write8(bar, 1);
	hal_mmio_write16(bar, 2);
	hal_mmio_write32(bar, 3);
	cr_assert_eq(r.writes, 4);
	MMFIX_EXPECT_PANIC(hal_mmio_read32(bar + 0x1000),
	                   "hal_mmio_read32: no device at 0xfebf1000");
	MMFIX_EXPECT_PANIC(hal_mmio_read64(bar - 8), "no device at 0xfebefff8");
	MMFIX_EXPECT_PANIC(hal_mmio_write32(bar + 2, 0), "hal_mmio_write32: misaligned access");
}

Test(simhal, mmio_registration_is_checked)
{
	struct regs r = { 0 };
	struct simhal_mmio_ops bad = { dev_read, NULL };

	mmfix_mem(1 * MiB);
	cr_assert_eq(simhal_mmio_register(0x10000000, 0x100, &dev_ops, &r), 0);
	cr_assert_eq(simhal_mmio_register(0x100000ff, 0x10, &dev_ops, &r), E_EXIST);
	cr_assert_eq(simhal_mmio_register(0x20000000, 0, &dev_ops, &r), E_INVAL);
	cr_assert_eq(simhal_mmio_register(0x20000000, 0x10, &bad, &r), E_INVAL);
	cr_assert_eq(simhal_mmio_unregister(0x10000000), 0);
	cr_assert_eq(simhal_mmio_unregister(0x10000000), E_NOENT);
	cr_assert_eq(simhal_mmio_register(0x100000ff, 0x10, &dev_ops, &r), 0);
}
