/* vm_page_move(va, tmp, fslot, perm): copies the page at va into the page at tmp, then maps
 * frame fslot at va with perm (sys_map, number 7, checked in vm.c), and returns sys_map's
 * result.  In assembly because nothing may write the page at va between the copy and the
 * map, and va may be the page holding this very stack frame: C code could spill there.
 * The return address was pushed before the copy, so `ret` finds it in the new frame.
 * rep movsq with DF clear (the SysV ABI's state) copies upwards, 8 bytes at a time
 * (SDM Vol. 2B MOVS). */

	.text
	.globl vm_page_move
	.type vm_page_move, @function
vm_page_move:
	movq	%rdx, %r8		/* fslot */
	movq	%rcx, %r9		/* perm */
	movq	%rdi, %rax		/* va, kept for the map */
	xchgq	%rdi, %rsi		/* movs: rsi = source va, rdi = destination tmp */
	movl	$512, %ecx
	rep movsq
	movl	$1, %edi		/* ABI_SLOT_SELF */
	movq	%r8, %rsi
	movq	%rax, %rdx
	movq	%r9, %r10
	movl	$7, %eax		/* SYS_map */
	syscall
	ret
	.size vm_page_move, . - vm_page_move

	.section .note.GNU-stack, "", @progbits
