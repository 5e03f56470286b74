/* Assembler only: saving the general registers in the order of struct trapframe
 * (trap.h), shared by the trap and syscall entries so the two frames agree. */
/* GNU as macros, not C: clang-format must leave them alone. */
/* clang-format off */
#ifndef EXOLAB_GPRS_H
#define EXOLAB_GPRS_H

.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

#endif
