/* User extended state (x87, SSE, AVX, AVX-512): the processor controls that let user mode
 * use it and the instructions that save and restore it.  The kernel itself is built without
 * x87/SSE code (-mno-sse and friends in kern/Makefrag), so the registers always hold the
 * state of one env; kern/env/run.c switches it eagerly, in the context switch. */
#ifndef EXOLAB_FPU_H
#define EXOLAB_FPU_H

#include <stddef.h>
#include <stdint.h>

/* XSAVE areas must be 64-byte aligned (SDM Vol. 1 13.4), FXSAVE areas 16 (Vol. 1 10.5.1). */
#define FPU_AREA_ALIGN 64

/* How state is saved; fpu_init picks XSAVEOPT, else XSAVE, else FXSAVE (XSAVES only with
 * fpu=xsaves: fpu.c says why). */
enum fpu_mode {
	FPU_FXSAVE,   /* no XSAVE: FXSAVE64/FXRSTOR64, x87 + SSE only */
	FPU_XSAVE,    /* XSAVE64/XRSTOR64, standard format */
	FPU_XSAVEOPT, /* XSAVEOPT64/XRSTOR64: skips components unmodified since the restore */
	FPU_XSAVES,   /* XSAVES64/XRSTORS64: compacted format, and the XSAVEOPT optimisations */
};

/* Boot CPU, once, after the command line is parsed: picks the mode (fpu=NAME caps it, so
 * tests reach every path on one CPU; fpu=xsaves opts in to XSAVES), the components of XCR0
 * and the area size, runs fpu_cpu_init and prints one `fpu:` line. */
void fpu_init(void);

/* Every CPU (the boot CPU through fpu_init, each AP in its start-up, after fpu_init): CR0,
 * CR4, XCR0 and IA32_XSS as fpu_init chose them. */
void fpu_cpu_init(void);

enum fpu_mode fpu_mode(void);
uint64_t fpu_xcr0(void);
size_t fpu_area_size(void); /* bytes of one save area (CPUID 0xD for the chosen XCR0) */

/* Writes the architectural initial state into an area (FNINIT and MXCSR = 0x1F80: x87
 * control word 0x37F, every register empty or zero, all exceptions masked). */
void fpu_area_init(void *area);

/* The registers into `area` / `area` into the registers.  `area` is FPU_AREA_ALIGN-aligned
 * and fpu_area_size() bytes; a restore loads every component of XCR0 (an absent one is
 * set to its initial state), so nothing of the previous owner survives it. */
extern enum fpu_mode fpu_save_mode; /* fpu_init's choice */

/* Inline: they are on every context switch (kern/env/run.c).  The requested-feature bitmap is
 * EDX:EAX & XCR0 (& IA32_XSS for XSAVES): all ones asks for every enabled component (SDM Vol.
 * 1 13.7, 13.11).  The 64-bit forms keep the full x87 instruction and data pointers (10.5.1). */
static inline __attribute__((always_inline)) void
fpu_save(void *area)
{
	switch (fpu_save_mode) {
	case FPU_FXSAVE:
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
		break;
	case FPU_XSAVE:
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
		break;
	case FPU_XSAVEOPT:
		/* Skips components unmodified since the XRSTOR from this same address (13.9):
		 * sound because nothing writes an area between its restore and its save. */
		__asm__ volatile("xsaveopt64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
		break;
	case FPU_XSAVES:
		__asm__ volatile("xsaves64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
		break;
	}
}

static inline __attribute__((always_inline)) void
fpu_restore(const void *area)
{
	switch (fpu_save_mode) {
	case FPU_FXSAVE:
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
		break;
	case FPU_XSAVE:
	case FPU_XSAVEOPT:
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
		break;
	case FPU_XSAVES:
		__asm__ volatile("xrstors64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
		break;
	}
}

#endif
