/* Exception entry stubs: each makes the stack look the same (struct trapframe in trap.h),
 * then trap_common saves the general registers and calls trap_dispatch. */

#include "gprs.h"

/* For these vectors the CPU pushes an error code (Intel SDM Vol. 3A Table 6-1);
 * the others get a 0 so the frame layout never varies. */
.macro VECTOR n
	.balign 16
trap_vector_\n:
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || \
	    (\n == 29) || (\n == 30)
	.else
	pushq $0
	.endif
	pushq $\n
	jmp trap_common
.endm

	.text
	.globl trap_common
trap_common:
	/* The CPU aligned rsp to 16 before pushing its 5-word frame (SDM Vol. 3A 6.14.2);
	 * 2 + 15 more words keep it aligned for the C call. */
	PUSH_GPRS
	cld
	movq %rsp, %rdi
	call trap_dispatch
	/* syscall_iret enters here too, with rsp at a whole trap frame. */
	.globl trap_return
trap_return:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp /* vector and error code */
	iretq

	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15, \
		16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	VECTOR \n
	.endr

	.section .rodata
	.balign 8
	.globl trap_vectors
trap_vectors: /* entry address of each exception vector, for the IDT */
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15, \
		16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_vector_\n
	.endr
