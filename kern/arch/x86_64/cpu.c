/* Each CPU's GDT and 64-bit TSS; the TSS gives #DF, NMI and #MC their own IST stacks so
 * they run on a good stack even when the kernel stack is what broke.  Each IST stack has an
 * unmapped guard page below it (kern/arch/x86_64/include/kstack.h).  The boot CPU's stacks
 * are defined here, the APs' in smp_boot.S. */
#include <stdint.h>

#include "backtrace.h"
#include "cpu.h"
#include "kerninfo.h"
#include "kstack.h"
#include "percpu.h"
#include "smp.h"

/* 64-bit TSS (Intel SDM Vol. 3A 7.7, Figure 7-11). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3]; /* stack for a privilege change to ring 0..2 */
	uint64_t reserved1;
	uint64_t ist[7]; /* IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

/* Segment descriptor fields (SDM Vol. 3A 3.4.5): access byte in bits 40..47, flags in
 * 52..55.  In 64-bit mode base and limit of code/data segments are ignored (3.2.4). */
#define SEG_P      (1UL << 47)
#define SEG_DPL(d) ((uint64_t)(d) << 45)
#define SEG_S      (1UL << 44) /* code or data (not system) */
#define SEG_CODE   (1UL << 43)
#define SEG_RW     (1UL << 41) /* readable code / writable data */
#define SEG_L      (1UL << 53) /* 64-bit code */
#define SEG_DB     (1UL << 54)
#define SEG_G      (1UL << 55)
#define SEG_LIMIT  0x000F00000000FFFFUL

#define KCODE (SEG_P | SEG_DPL(0) | SEG_S | SEG_CODE | SEG_RW | SEG_L | SEG_G | SEG_LIMIT)
#define KDATA (SEG_P | SEG_DPL(0) | SEG_S | SEG_RW | SEG_DB | SEG_G | SEG_LIMIT)
#define UCODE (SEG_P | SEG_DPL(3) | SEG_S | SEG_CODE | SEG_RW | SEG_L | SEG_G | SEG_LIMIT)
#define UDATA (SEG_P | SEG_DPL(3) | SEG_S | SEG_RW | SEG_DB | SEG_G | SEG_LIMIT)

#define TSS_TYPE_AVAIL 0x9UL /* 64-bit TSS, available (SDM Vol. 3A 3.5, Table 3-2) */

#define GDT_SLOTS 8 /* null, kcode, kdata, udata, ucode, tss (two slots), cpunum */

/* Never loaded into a segment register: LSL reads its limit, the CPU number, in one
 * instruction (SDM Vol. 2A LSL; the byte-granular 20-bit limit of 3.4.5).  Read-only data,
 * type 1 (accessed already, so the CPU never writes the GDT for it), DPL 0. */
#define CPUNUM(cpu) (SEG_P | SEG_DPL(0) | SEG_S | (1UL << 40) | (uint64_t)(cpu))

_Static_assert(GDT_CPUNUM == PERCPU_GDT_CPUNUM, "percpu.h names the same descriptor");
_Static_assert(SMP_MAX_CPUS <= 0x10000, "the CPU number fits the limit's low 16 bits");

static uint64_t gdts[SMP_MAX_CPUS][GDT_SLOTS];
static struct tss64 tsss[SMP_MAX_CPUS];
KSTACK_DEFINE(ist_df, IST_STACK_SIZE);
KSTACK_DEFINE(ist_nmi, IST_STACK_SIZE);
KSTACK_DEFINE(ist_mc, IST_STACK_SIZE);

/* Indexed by IST slot - 1. */
static const struct kstack *const ist_stacks[3] = { &ist_df_desc, &ist_nmi_desc, &ist_mc_desc };

_Static_assert(IST_STACK_SIZE == SMP_IST_SIZE, "the APs' IST stacks are the boot CPU's size");

/* The 16-byte TSS descriptor (SDM Vol. 3A 7.2.3, Figure 7-4). */
static void
gdt_set_tss(uint64_t *gdt, unsigned slot, uint64_t base, uint32_t limit)
{
	gdt[slot] = (limit & 0xFFFFUL) | ((base & 0xFFFFFFUL) << 16) | (TSS_TYPE_AVAIL << 40) |
	            SEG_P | ((uint64_t)(limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
	gdt[slot + 1] = base >> 32;
}

/* Loads the GDT, then reloads CS with a far return (a mov cannot load CS) and the data
 * segments; in 64-bit mode only their attributes matter. */
static void
gdt_load(const uint64_t *gdt)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { GDT_SLOTS * 8 - 1, (uint64_t)gdt };

	__asm__ volatile("lgdt %0\n\t"
	                 "pushq %1\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "movw %w2, %%ds\n\t"
	                 "movw %w2, %%es\n\t"
	                 "movw %w2, %%ss\n\t"
	                 "movw %w3, %%fs\n\t"
	                 "movw %w3, %%gs"
	                 :
	                 : "m"(gdtr), "i"(GDT_KCODE), "r"(GDT_KDATA), "r"(0)
	                 : "rax", "memory");
}

/* CPU `cpu`'s GDT and TSS with `rsp0` for entries from ring 3 and ist[0..2] for IST1..3,
 * loaded on the calling CPU. */
static void
cpu_load(unsigned cpu, uint64_t rsp0, const uint64_t ist_top[3])
{
	uint64_t *gdt = gdts[cpu];
	struct tss64 *tss = &tsss[cpu];
	unsigned i;

	gdt[GDT_KCODE >> 3] = KCODE;
	gdt[GDT_KDATA >> 3] = KDATA;
	gdt[GDT_UDATA >> 3] = UDATA;
	gdt[GDT_UCODE >> 3] = UCODE;
	gdt[GDT_CPUNUM >> 3] = CPUNUM(cpu);
	for (i = 0; i < 3; i++)
		tss->ist[i] = ist_top[i]; /* stacks grow down */
	tss->rsp[0] = rsp0;
	/* An I/O bitmap offset past the limit means "no bitmap": user I/O always faults. */
	tss->iomap_base = sizeof(*tss);
	gdt_set_tss(gdt, GDT_TSS >> 3, (uint64_t)tss, sizeof(*tss) - 1);

	gdt_load(gdt);
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
}

void
cpu_init(void)
{
	uint64_t ist_top[3];
	unsigned i;

	for (i = 0; i < 3; i++) {
		uint64_t lo, hi;

		cpu_ist_range(i + 1, &lo, &hi);
		ist_top[i] = hi;
		backtrace_add_stack(lo, hi);
	}
	/* Until user mode exists (lab 3) a ring change cannot happen; point rsp0 somewhere
	 * sane anyway. */
	cpu_load(0, (uint64_t)kern_bootstack_top, ist_top);
}

void
cpu_init_ap(unsigned cpu)
{
	uint64_t lo, hi, ist_top[3];
	unsigned i;

	for (i = 0; i < 3; i++) {
		smp_ap_stack(cpu, i + 1, &lo, &hi);
		ist_top[i] = hi;
	}
	smp_ap_stack(cpu, 0, &lo, &hi);
	cpu_load(cpu, hi, ist_top);
}

void
cpu_ist_range(int ist, uint64_t *lo, uint64_t *hi)
{
	if (ist < 1 || ist > 3) {
		*lo = *hi = 0;
		return;
	}
	*lo = (uint64_t)ist_stacks[ist - 1]->bottom;
	*hi = (uint64_t)ist_stacks[ist - 1]->top;
}
