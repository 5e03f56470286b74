/* User extended state (fpu.h): which components the kernel enables, how big an env's save
 * area is, and the save/restore instructions.  References: Intel SDM Vol. 1 ch. 13
 * "Managing State Using the XSAVE Feature Set", Vol. 1 10.5 (FXSAVE), Vol. 3A 2.5 (CR0, CR4)
 * and Vol. 3A ch. 13 (system programming for x87, SSE and AVX). */
#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "fpu.h"
#include "panic.h"
#include "x86.h"
#include "xstring.h"

CMDLINE_OPTION(fpu, "fpu", "fpu=fxsave|xsave|xsaveopt: at most this save; fpu=xsaves: use XSAVES");

/* CR0 and CR4 bits (SDM Vol. 3A 2.5; their use for x87/SSE/AVX: Vol. 3A 13.1-13.3). */
#define CR0_MP         (1ull << 1)  /* WAIT/FWAIT also honour TS */
#define CR0_EM         (1ull << 2)  /* no x87 unit: x87 faults #NM, SSE #UD; must be 0 */
#define CR0_TS         (1ull << 3)  /* the next x87/SSE/AVX instruction faults #NM (lazy) */
#define CR0_NE         (1ull << 5)  /* x87 errors raise #MF, not the PC-style FERR# line */
#define CR4_OSFXSR     (1ull << 9)  /* SSE allowed; FXSAVE/FXRSTOR cover the XMM registers */
#define CR4_OSXMMEXCPT (1ull << 10) /* unmasked SIMD exceptions raise #XM instead of #UD */
#define CR4_OSXSAVE    (1ull << 18) /* XCR0 and XSETBV; CPUID.1:ECX.OSXSAVE reads 1 */

/* CPUID (SDM Vol. 2A CPUID: leaf 01H ECX, leaf 0DH sub-leaf 1 EAX). */
#define CPUID1_ECX_XSAVE      (1u << 26)
#define CPUID_D1_EAX_XSAVEOPT (1u << 0)
#define CPUID_D1_EAX_XSAVES   (1u << 3)

/* XCR0 state components (SDM Vol. 1 13.1).  AVX-512 is three components, enabled together
 * (13.3: XCR0[7:5] must be all 0 or all 1, and then XCR0[2:1] must be 11b).  Not enabled on
 * purpose: MPX (3-4, deprecated), PKRU (9, needs CR4.PKE and protection keys), AMX (17-18,
 * 8 KiB of tile data per env and an opt-in protocol) and every supervisor component. */
#define XCR0_X87    (1ull << 0)
#define XCR0_SSE    (1ull << 1)
#define XCR0_AVX    (1ull << 2)
#define XCR0_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */

#define MSR_IA32_XSS 0xDA0 /* supervisor components XSAVES saves: none here */

/* The save area: the legacy region in FXSAVE layout (SDM Vol. 1 10.5.1, Table 10-2), then,
 * for XSAVE, the 64-byte XSAVE header (13.4.2) and the extended region. */
#define AREA_FCW           0
#define AREA_MXCSR         24
#define AREA_XCOMP_BV      520
#define FXSAVE_AREA_SIZE   512
#define XSAVE_AREA_MAX     4096         /* x87..AVX-512 end at byte 2688 (13.4.3) */
#define XCOMP_BV_COMPACTED (1ull << 63) /* XRSTORS wants bit 63 set (13.8.2) */

/* The architectural initial values (SDM Vol. 1 13.6; FNINIT in Vol. 2A, MXCSR in 10.2.3). */
#define FCW_INIT   0x037F /* every x87 exception masked, 64-bit precision, round to nearest */
#define MXCSR_INIT 0x1F80 /* every SIMD exception masked, round to nearest */

enum fpu_mode fpu_save_mode; /* fpu.h: read by the inline fpu_save and fpu_restore */
static bool has_xsaves;
static uint64_t xcr0;
static size_t area_size;

static const char *const mode_names[] = { [FPU_FXSAVE] = "fxsave",
	                                  [FPU_XSAVE] = "xsave",
	                                  [FPU_XSAVEOPT] = "xsaveopt",
	                                  [FPU_XSAVES] = "xsaves" };

static void
xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* The best mode the CPU offers, and XCR0 for it. */
static void
fpu_probe(void)
{
	uint32_t max, ecx, lo, hi;
	uint64_t supported;

	/* FXSAVE and SSE2 are part of every x86-64 processor: FXSAVE is the floor. */
	fpu_save_mode = FPU_FXSAVE;
	xcr0 = XCR0_X87 | XCR0_SSE;
	cpuid(0, 0, &max, NULL, NULL, NULL);
	cpuid(1, 0, NULL, NULL, &ecx, NULL);
	if (!(ecx & CPUID1_ECX_XSAVE) || max < 0xD)
		return;
	/* CPUID.(EAX=0DH,ECX=0):EDX:EAX are the XCR0 bits the CPU supports (13.2). */
	cpuid(0xD, 0, &lo, NULL, NULL, &hi);
	supported = (uint64_t)hi << 32 | lo;
	xcr0 |= supported & XCR0_AVX;
	if ((xcr0 & XCR0_AVX) && (supported & XCR0_AVX512) == XCR0_AVX512)
		xcr0 |= XCR0_AVX512;
	/* XSAVEOPT by default: with IA32_XSS = 0 and no AVX-512 gaps worth compacting, XSAVES
	 * adds nothing over it here.  XSAVES is opt-in (fpu=xsaves): under Bochs 2.7's
	 * corei7_skylake_x an XRSTORS of an area XSAVES wrote raised #GP, not yet explained,
	 * so it stays off until it is verified on hardware. */
	cpuid(0xD, 1, &lo, NULL, NULL, NULL);
	has_xsaves = lo & CPUID_D1_EAX_XSAVES;
	fpu_save_mode = (lo & CPUID_D1_EAX_XSAVEOPT) ? FPU_XSAVEOPT : FPU_XSAVE;
}

/* fpu=NAME: never better than NAME, so tests can reach every path on one CPU; fpu=xsaves
 * also turns XSAVES on where the CPU has it. */
static void
fpu_apply_cap(void)
{
	const char *want = cmdline_get("fpu");

	if (want == NULL)
		return;
	for (unsigned m = FPU_FXSAVE; m <= FPU_XSAVES; m++) {
		if (strcmp(want, mode_names[m]) != 0)
			continue;
		if (m < fpu_save_mode || (m == FPU_XSAVES && has_xsaves))
			fpu_save_mode = (enum fpu_mode)m;
		if (fpu_save_mode == FPU_FXSAVE)
			xcr0 = XCR0_X87 | XCR0_SSE;
		return;
	}
	printf("fpu: unknown fpu=%s ignored\n", want);
}

void
fpu_cpu_init(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();

	/* Eager switching never sets TS: user x87/SSE/AVX code runs without a #NM trap.  MP
	 * and NE as Vol. 3A 2.5 and 13.1 recommend for a processor with a native x87. */
	cr0 = (cr0 | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS);
	write_cr0(cr0);
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (fpu_save_mode != FPU_FXSAVE)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (fpu_save_mode == FPU_FXSAVE)
		return;
	xsetbv(0, xcr0); /* XCR0 (SDM Vol. 1 13.3) */
	if (fpu_save_mode == FPU_XSAVES)
		wrmsr(MSR_IA32_XSS, 0);
}

void
fpu_init(void)
{
	uint32_t size = FXSAVE_AREA_SIZE;

	fpu_probe();
	fpu_apply_cap();
	fpu_cpu_init();
	/* With XCR0 set, CPUID.(0DH,0):EBX is the standard-format size for the components
	 * XCR0 enables and CPUID.(0DH,1):EBX the compacted size for XCR0 | IA32_XSS (13.2). */
	if (fpu_save_mode == FPU_XSAVES)
		cpuid(0xD, 1, NULL, &size, NULL, NULL);
	else if (fpu_save_mode != FPU_FXSAVE)
		cpuid(0xD, 0, NULL, &size, NULL, NULL);
	if (size < FXSAVE_AREA_SIZE || size > XSAVE_AREA_MAX)
		panic("fpu: CPUID 0xD reports a %u-byte save area for xcr0 0x%lx", size, xcr0);
	area_size = size;
	printf("fpu: %s, xcr0 0x%lx (x87 sse%s%s), %lu-byte save area per env, eager switch\n",
	       mode_names[fpu_save_mode], xcr0, (xcr0 & XCR0_AVX) ? " avx" : "",
	       (xcr0 & XCR0_AVX512) ? " avx512" : "", (unsigned long)area_size);
}

enum fpu_mode
fpu_mode(void)
{
	return fpu_save_mode;
}

uint64_t
fpu_xcr0(void)
{
	return xcr0;
}

size_t
fpu_area_size(void)
{
	return area_size;
}

void
fpu_area_init(void *area)
{
	uint8_t *a = area;
	uint16_t fcw = FCW_INIT;
	uint32_t mxcsr = MXCSR_INIT;
	uint64_t xcomp = XCOMP_BV_COMPACTED | xcr0;

	/* XSTATE_BV = 0: XRSTOR(S) puts every component in its initial state (13.8.1,
	 * 13.8.2).  The standard form still loads MXCSR from the legacy region whatever
	 * XSTATE_BV says, and FXRSTOR loads it all from there: the region holds the same
	 * initial values (tag word 0 in the abridged form: every x87 register empty). */
	memset(a, 0, area_size);
	memcpy(a + AREA_FCW, &fcw, sizeof(fcw));
	memcpy(a + AREA_MXCSR, &mxcsr, sizeof(mxcsr));
	if (fpu_save_mode == FPU_XSAVES)
		memcpy(a + AREA_XCOMP_BV, &xcomp, sizeof(xcomp));
}
