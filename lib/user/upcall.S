/* pgfault_upcall: where the kernel enters an env for a page fault (abi/env.h, struct
 * abi_fault): rsp = rdi = the fault record on the exception stack, 16-byte aligned, every
 * other register still the faulting code's.  Calls the C handler, then resumes the faulting
 * code with every register, rflags and rsp from the record.
 *
 * The upcall runs in the env's own context: the x87/SSE/AVX registers are the faulting
 * code's, live, and the kernel saved none of them.  The handler is C built with SSE, and
 * SysV makes every xmm register caller-saved, while the faulting code may have had any of
 * them live at any instruction.  So the trampoline saves x87, MXCSR and xmm0-15 with
 * FXSAVE64 around the call (512 bytes, 16-byte aligned: SDM Vol. 1 10.5.1).  The upper
 * halves of ymm/zmm need no saving: user code is built without AVX, and legacy SSE
 * instructions leave bits 255:128 (and above) unchanged (SDM Vol. 1 14.1.3); a handler
 * built with AVX must save them itself (XSAVE, sized by CPUID 0xD). */
#include "pgfault.h"

/* Word i of the record's struct abi_regs: rax rbx rcx rdx rsi rdi rbp r8 .. r15 rip rsp rflags. */
#define REG(i) (PGFAULT_REGS + 8 * (i))(%rsp)
#define FXSAVE_SIZE 512

	.text
	.globl pgfault_upcall
	.type pgfault_upcall, @function
pgfault_upcall:
	/* The faulting code's DF came along in rflags; the SysV ABI wants it clear in C. */
	cld
	subq $FXSAVE_SIZE, %rsp		/* stays 16-byte aligned for fxsave and the call */
	fxsave64 (%rsp)
	call *pgfault_current(%rip)	/* rdi: the record */
	fxrstor64 (%rsp)
	addq $FXSAVE_SIZE, %rsp

	/* rflags and rip go just below the red zone of the stack being returned to, for popfq
	 * and `ret $RED_ZONE` to take them from there.  When the fault happened in a handler
	 * (nested, on this stack), that spot can overlap the end of this very record, its rsp
	 * and rflags words (the kernel put the record below the red zone): read those first.
	 * Nothing in the red zone or above it is written. */
	movq REG(16), %rax
	movq REG(17), %rcx
	movq REG(15), %rdx
	subq $(PGFAULT_RED_ZONE + 16), %rax
	movq %rcx, (%rax)
	movq %rdx, 8(%rax)
	movq %rax, REG(15) /* the rip word lies below any overlap: it keeps the new rsp */
	movq REG(0), %rax
	movq REG(1), %rbx
	movq REG(2), %rcx
	movq REG(3), %rdx
	movq REG(4), %rsi
	movq REG(5), %rdi
	movq REG(6), %rbp
	movq REG(7), %r8
	movq REG(8), %r9
	movq REG(9), %r10
	movq REG(10), %r11
	movq REG(11), %r12
	movq REG(12), %r13
	movq REG(13), %r14
	movq REG(14), %r15
	movq REG(15), %rsp
	/* CPL 3 popfq cannot change IF or IOPL: the kernel keeps those. */
	popfq
	ret $PGFAULT_RED_ZONE
	.size pgfault_upcall, . - pgfault_upcall

	.section .note.GNU-stack, "", @progbits
