/* The local APIC: the legacy 8259 PICs are moved out of the exception vectors and masked,
 * then this CPU's APIC is enabled in whichever mode the firmware left it (xAPIC registers in
 * the direct map, which maps them uncached, or x2APIC MSRs).  Section numbers are those of
 * Intel SDM Vol. 3A chapter 10, "Advanced Programmable Interrupt Controller" (chapter 11 in
 * the editions from 2023 on, same subsections). */
#include <stdbool.h>
#include <stdint.h>

#include "abi/error.h"
#include "clock.h"
#include "hal.h"
#include "kerninfo.h"
#include "lapic.h"
#include "machine.h"
#include "trap.h"
#include "x86.h"

/* IA32_APIC_BASE (10.4.4, Figure 10-5). */
#define MSR_APIC_BASE  0x1B
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode (10.12.1) */
#define APIC_BASE_EN   (1ull << 11) /* global enable */
#define APIC_BASE_ADDR 0x000FFFFFFFFFF000ull
#define MSR_X2APIC     0x800 /* register at MMIO offset off is MSR 0x800 + off / 16 (10.12.1.2) */

#define CPUID1_EDX_APIC (1u << 9)

/* Register offsets (Table 10-1). */
#define REG_ID         0x020
#define REG_TPR        0x080
#define REG_EOI        0x0B0
#define REG_SVR        0x0F0
#define REG_ICR_LOW    0x300 /* x2APIC: ICR is one 64-bit MSR 0x830 (10.12.9) */
#define REG_ICR_HIGH   0x310
#define REG_LVT_TIMER  0x320
#define REG_LVT_LINT0  0x350
#define REG_LVT_ERROR  0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR  0x390
#define REG_TIMER_DIV  0x3E0

#define ICR_BUSY                (1u << 12) /* xAPIC delivery status: send pending (Figure 10-12) */
#define MSR_TSC_DEADLINE        0x6E0      /* IA32_TSC_DEADLINE (10.5.4.1) */
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

#define SVR_ENABLE         (1u << 8)  /* APIC software enable (10.9, Figure 10-23) */
#define LVT_MASKED         (1u << 16) /* Figure 10-8 */
#define LVT_TIMER_PERIODIC (1u << 17) /* timer mode, bits 18:17: 00 one-shot, 01 periodic */
#define LVT_TIMER_DEADLINE (2u << 17) /* 10 TSC-deadline (10.5.4.1) */
#define TIMER_DIV_16       0x3        /* divide configuration bits 3,1,0 = 0,1,1 (Figure 10-10) */

_Static_assert(LAPIC_TIMER_DIVIDE == 16, "TIMER_DIV_16 encodes the divider of lapic.h");

/* The two 8259A PICs: command and data (mask) ports, and the initialisation words. */
#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xA0
#define PIC2_DATA   0xA1
#define ICW1_INIT   0x11 /* ICW1: initialise, edge triggered, cascaded, ICW4 follows */
#define ICW4_8086   0x01 /* ICW4: 8086 mode, normal EOI */
#define PIC_EOI     0x20 /* OCW2: non-specific end of interrupt */
#define PIC_ALL     0xFF
#define PIC_CASCADE 2 /* the slave sits on the master's line 2 */

static volatile uint8_t *mmio; /* xAPIC registers; unused in x2APIC mode */
static bool x2apic;

static uint32_t
reg_read(unsigned off)
{
	if (x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC + off / 16);
	return hal_mmio_read32(mmio + off);
}

static void
reg_write(unsigned off, uint32_t val)
{
	if (x2apic)
		wrmsr(MSR_X2APIC + off / 16, val);
	else
		hal_mmio_write32(mmio + off, val);
}

/* After a BIOS boot the master PIC's vectors are 8..15, exception vectors: both PICs move to
 * PIC_VEC_BASE first, so even a spurious IRQ from a masked PIC cannot pose as an exception
 * (Intel 8259A datasheet: ICW1..ICW4, then OCW1 masks). */
static void
pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT);
	outb(PIC2_CMD, ICW1_INIT);
	outb(PIC1_DATA, PIC_VEC_BASE);      /* ICW2: vector of IRQ 0 */
	outb(PIC2_DATA, PIC_VEC_BASE + 8);  /* ICW2: vector of IRQ 8 */
	outb(PIC1_DATA, 1u << PIC_CASCADE); /* ICW3 master: which line has a slave */
	outb(PIC2_DATA, PIC_CASCADE);       /* ICW3 slave: its line on the master */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, PIC_ALL); /* OCW1: every line masked */
	outb(PIC2_DATA, PIC_ALL);
}

/* A spurious interrupt is not serviced: no EOI to the APIC (10.9).  A spurious IRQ 15 came
 * through the master's cascade line, which did see a real request and wants its EOI. */
static void
spurious(struct trapframe *tf)
{
	if (tf->vector == PIC_VEC_SPURIOUS2)
		outb(PIC1_CMD, PIC_EOI);
}

/* This CPU's APIC: enabled in the mode the boot CPU found, LINT0 and errors masked, every
 * priority class accepted, the spurious vector set (10.4.3, 10.9). */
static void
lapic_enable_this_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* Enabling through the MSR after a disable leaves the APIC in its reset state
	 * (10.4.3), which the writes below complete.  xAPIC -> x2APIC is a legal transition
	 * only from an enabled APIC (10.12.5, Figure 10-27): EN first, then EXTD. */
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	if (x2apic && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	reg_write(REG_TPR, 0); /* accept every priority class */
	reg_write(REG_LVT_LINT0, reg_read(REG_LVT_LINT0) | LVT_MASKED); /* the PICs' wire */
	reg_write(REG_LVT_ERROR, reg_read(REG_LVT_ERROR) | LVT_MASKED);
	reg_write(REG_LVT_TIMER, LVT_MASKED | LAPIC_VEC_TIMER);
	reg_write(REG_SVR, SVR_ENABLE | LAPIC_VEC_SPURIOUS);
}

static int init_result = 1; /* 1: lapic_init has not run yet */

int
lapic_init(void)
{
	uint64_t base, pa;
	uint32_t edx;

	if (init_result <= 0)
		return init_result;
	pic_disable();
	trap_register(PIC_VEC_SPURIOUS1, spurious);
	trap_register(PIC_VEC_SPURIOUS2, spurious);
	init_result = E_NOSYS;
	cpuid(1, 0, NULL, NULL, NULL, &edx);
	if (!(edx & CPUID1_EDX_APIC))
		return init_result;
	base = rdmsr(MSR_APIC_BASE);
	x2apic = (base & APIC_BASE_EXTD) != 0;
	if (!x2apic) {
		pa = base & APIC_BASE_ADDR;
		/* The direct map covers at least the first 4 GiB, device holes uncached (kvm.c). */
		if (pa + 4096 > KERN_BOOT_MAP_SIZE)
			return init_result;
		mmio = hal_phys_to_virt(pa);
	}
	trap_register(LAPIC_VEC_SPURIOUS, spurious);
	lapic_enable_this_cpu();
	init_result = 0;
	return 0;
}

void
lapic_init_ap(void)
{
	lapic_enable_this_cpu();
}

bool
lapic_ready(void)
{
	return init_result == 0;
}

/* Sends an IPI (10.6.1, Figure 10-12).  xAPIC: the destination goes in ICR bits 63:56 and
 * the write of the low half sends; a new IPI waits until the last one has left (delivery
 * status idle).  x2APIC: one MSR write with the 32-bit destination in bits 63:32. */
void
lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
	if (x2apic) {
		wrmsr(MSR_X2APIC + REG_ICR_LOW / 16, (uint64_t)apic_id << 32 | icr_low);
		return;
	}
	for (unsigned spin = 0; spin < 1000000 && (reg_read(REG_ICR_LOW) & ICR_BUSY); spin++)
		pause();
	reg_write(REG_ICR_HIGH, apic_id << 24);
	reg_write(REG_ICR_LOW, icr_low);
}

void
lapic_eoi(void)
{
	reg_write(REG_EOI, 0); /* x2APIC: any other value faults (10.12.1.2) */
}

uint32_t
lapic_id(void)
{
	uint32_t id = reg_read(REG_ID);

	return x2apic ? id : id >> 24; /* xAPIC: bits 31..24 (Figure 10-6) */
}

bool
lapic_is_x2apic(void)
{
	return x2apic;
}

uint64_t
lapic_timer_base_hz(void)
{
	uint64_t hz;

	/* QEMU's APIC model (and KVM's) counts one tick per nanosecond, whatever CPUID says. */
	if (machine_is_qemu())
		return 1000000000;
	if ((hz = clock_crystal_hz()) != 0 || (hz = clock_lapic_hz()) != 0)
		return hz;
	return 1000000000;
}

void
lapic_timer_periodic(uint8_t vector, uint32_t count)
{
	reg_write(REG_TIMER_INIT, 0); /* stops the count-down (10.5.4) */
	if (count == 0) {
		reg_write(REG_LVT_TIMER, LVT_MASKED | vector);
		return;
	}
	reg_write(REG_TIMER_DIV, TIMER_DIV_16);
	reg_write(REG_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
	reg_write(REG_TIMER_INIT, count); /* starts it */
}

void
lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
	reg_write(REG_TIMER_INIT, 0);
	reg_write(REG_TIMER_DIV, TIMER_DIV_16);
	reg_write(REG_LVT_TIMER, (count ? 0 : LVT_MASKED) | vector);
	reg_write(REG_TIMER_INIT, count); /* one-shot: counts down to 0 once (10.5.4) */
}

uint32_t
lapic_timer_current(void)
{
	return reg_read(REG_TIMER_CUR);
}

bool
lapic_has_tsc_deadline(void)
{
	uint32_t ecx;

	cpuid(1, 0, NULL, NULL, &ecx, NULL);
	return (ecx & CPUID1_ECX_TSC_DEADLINE) != 0;
}

/* TSC-deadline mode (10.5.4.1): the timer fires once when the TSC reaches `deadline`; writing
 * 0 disarms it.  The mfence keeps the LVT write (MMIO in xAPIC mode) ahead of the MSR write,
 * as 10.5.4.1 asks. */
void
lapic_timer_deadline(uint8_t vector, uint64_t deadline)
{
	if ((reg_read(REG_LVT_TIMER) & (3u << 17 | LVT_MASKED | 0xFF)) !=
	    (LVT_TIMER_DEADLINE | vector)) {
		reg_write(REG_TIMER_INIT, 0);
		reg_write(REG_LVT_TIMER, LVT_TIMER_DEADLINE | vector);
		__asm__ volatile("mfence" ::: "memory");
	}
	wrmsr(MSR_TSC_DEADLINE, deadline);
}
