/* crt0: the first user instructions of every program.  The kernel's loader enters here with
 * rsp at the top of the new stack and rdi = ABI_ENVINFO_VA (the env info page, abi/env.h);
 * libos_start takes it from there. */

	.text
	.globl _start
	.type _start, @function
_start:
	/* rbp = 0 ends the frame-pointer chain for debuggers and backtraces. */
	xorl	%ebp, %ebp
	/* SysV x86-64 ABI 3.2.2: rsp + 8 is 16-byte aligned on function entry, so align
	 * before the call pushes its return address. */
	andq	$-16, %rsp
	call	libos_start
	/* libos_start never returns; trap if it ever does. */
	ud2
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
