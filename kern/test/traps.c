/* Self-tests that take a real exception: each must end in the trap dump and a halt. */
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "hal.h"
#include "ktest.h"
#include "panic.h"
#include "trap.h"
#include "x86.h"

#define PTE_P    0x001UL
#define PTE_PS   0x080UL
#define PTE_ADDR 0x000FFFFFFFFFF000UL

/* Kernel half, in a PML4 slot nothing maps (the direct map uses the first slots of 256..). */
#define UNMAPPED_VA 0xFFFF9000DEADB000UL
/* Bits 63..47 not all equal: any access raises #GP (Intel SDM Vol. 3A 3.3.7.1). */
#define NONCANONICAL_VA 0x0000800000000000UL

/* True when `va` has a translation in the current page tables (4-level, SDM Vol. 3A 4.5). */
static bool
va_is_mapped(uint64_t va)
{
	uint64_t table = hal_get_root();
	int shift;

	for (shift = 39; shift >= 12; shift -= 9) {
		const uint64_t *t = hal_phys_to_virt(table);
		uint64_t e = t[(va >> shift) & 511];

		if (!(e & PTE_P))
			return false;
		if (shift == 12 || ((e & PTE_PS) && shift <= 30))
			return true;
		table = e & PTE_ADDR;
	}
	return true;
}

static void
ktest_divzero(void)
{
	/* Both volatile: with a known dividend gcc turns 1 / x into compares, no idiv. */
	volatile int dividend = 1, divisor = 0;
	int q = dividend / divisor;

	printf("divzero: 1 / 0 = %d, the CPU did not trap\n", q);
}

static void
ktest_ud(void)
{
	__asm__ volatile("ud2");
	printf("ud: ud2 executed without a trap\n");
}

static void
ktest_pgfault(void)
{
	if (va_is_mapped(UNMAPPED_VA))
		panic("pgfault test: 0x%lx is mapped; pick another address", UNMAPPED_VA);
	printf("pgfault: reading 0x%lx\n", UNMAPPED_VA);
	printf("pgfault: read 0x%lx, no fault\n", *(volatile uint64_t *)UNMAPPED_VA);
}

static void
ktest_gpf(void)
{
	printf("gpf: reading 0x%lx\n", NONCANONICAL_VA);
	printf("gpf: read 0x%lx, no fault\n", *(volatile uint64_t *)NONCANONICAL_VA);
}

/* rsp non-canonical: the push raises #SS, whose delivery needs that same stack, so the CPU
 * raises #DF (SDM Vol. 3A 6.15, Table 6-5), which runs on its IST stack and is dumped. */
static void
ktest_doublefault(void)
{
	printf("doublefault: pushing onto rsp 0x%lx\n", NONCANONICAL_VA);
	__asm__ volatile("movq %0, %%rsp\n\tpushq $0" : : "r"(NONCANONICAL_VA) : "memory");
	printf("doublefault: push did not fault\n");
}

/* A handler that faults: the second trap must be reported once, then halt, not recurse. */
static void
faulting_handler(struct trapframe *tf)
{
	(void)tf;
	__asm__ volatile("ud2");
}

static void
ktest_trapnest(void)
{
	trap_register(T_BP, faulting_handler);
	__asm__ volatile("int3");
	printf("trapnest: the faulting handler returned\n");
}

KTEST(divzero, ktest_divzero, "1 / 0: #DE trap dump");
KTEST(ud, ktest_ud, "ud2: #UD trap dump");
KTEST(pgfault, ktest_pgfault, "read of unmapped 0xFFFF9000DEADB000: #PF dump with cr2");
KTEST(gpf, ktest_gpf, "read of non-canonical 0x0000800000000000: #GP dump");
KTEST(doublefault, ktest_doublefault, "push with a non-canonical rsp: #DF dump on the IST stack");
KTEST(trapnest, ktest_trapnest, "a trap handler that faults: reported once, then halt");
