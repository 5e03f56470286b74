/* The AP start-up path: a real-mode trampoline that smp.c copies to a page below 1 MiB,
 * 16-bit -> 32-bit protected mode -> 64-bit long mode on the boot page tables, then a jump
 * to smp_ap_entry in the higher half; plus every AP's stacks.
 *
 * A start-up IPI with vector VV starts the AP in real mode at CS = VV00h, IP = 0, i.e. at
 * physical VV000h (Intel SDM Vol. 3A 8.4.4.1, "Typical BSP Initialization Sequence", and
 * 10.6.1 "Start-Up" delivery mode; chapter 9/11 in editions from 2023 on).  The code runs at
 * whatever page smp.c chose, so every address it needs comes from the parameter block at
 * the fixed offsets of smp.h, which smp.c fills in, or from CS. */

#include "smp.h"

#define CR0_PE   (1 << 0)
#define CR0_WP   (1 << 16)
#define CR0_PG   (1 << 31)
#define CR4_PAE  (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

	.section .rodata.smp_trampoline, "a"
	.globl smp_trampoline, smp_trampoline_end
	.code16
smp_trampoline:
	jmp tr_start16

	/* The parameter block; .org counts from the start of this section, which holds
	 * nothing but the trampoline. */
	.org TR_GDTR
	.word 4 * 8 - 1
	.long 0
	.org TR_FAR32
	.long 0
	.word 0x08
	.org TR_FAR64
	.long 0
	.word 0x18
	.org TR_CLAIM
	.long 0
	.org TR_CR3
	.long 0
	.org TR_ENTRY
	.quad 0
	.org TR_STACK
	.quad 0
	.org TR_CPU
	.quad 0
	.org TR_GDT
	.quad 0
	.quad 0x00CF9A000000FFFF /* 0x08: 32-bit code, base 0, 4 GiB (SDM Vol. 3A 3.4.5) */
	.quad 0x00CF92000000FFFF /* 0x10: data, base 0, 4 GiB */
	.quad 0x00AF9A000000FFFF /* 0x18: 64-bit code (L = 1, D = 0) */

	.org TR_CODE
tr_start16:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movzwl %ax, %ebx
	shll $4, %ebx /* ebx = physical address of this copy, kept until 64-bit mode */
	/* Only one CPU may run this copy with these parameters: a CPU that starts late, after
	 * the boot CPU gave up on it and prepared the next one, parks here. */
	lock btsl $0, TR_CLAIM
	jc tr_park
	lgdtl TR_GDTR
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl *TR_FAR32 /* loads CS from the new GDT: protected mode (SDM Vol. 3A 9.9.1) */
tr_park:
	cli
	hlt
	jmp tr_park

	.code32
	.globl smp_tr_start32 /* smp.c patches their offsets into the far pointers */
smp_tr_start32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	/* IA-32e mode as entry.S enters it (SDM Vol. 3A 9.8.5): PAE, CR3, EFER.LME (and NXE,
	 * which the kernel's page tables need), then paging. */
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl TR_CR3(%ebx), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	ljmpl *TR_FAR64(%ebx)

	.code64
	.globl smp_tr_start64
smp_tr_start64:
	movl %ebx, %ebx /* the upper half of rbx is undefined after the mode switch */
	movq TR_STACK(%rbx), %rsp
	movq TR_CPU(%rbx), %rdi
	movq TR_ENTRY(%rbx), %rax
	jmpq *%rax
smp_trampoline_end:


/* ------------------------------------------------------------------------ higher half */
	.text
	.globl smp_ap_entry
smp_ap_entry:
	/* On the boot page tables, on this CPU's own stack, rdi = its CPU number.  rbp = 0
	 * ends every backtrace here. */
	xorl %ebp, %ebp
	call smp_ap_main
1:	cli
	hlt
	jmp 1b

/* Every AP's stacks: SMP_MAX_CPUS - 1 blocks of SMP_AP_BLOCK bytes, each a guard page and the
 * kernel stack, then a guard page and an IST stack three times; one .kstack_list descriptor
 * per stack (kern/arch/x86_64/include/kstack.h) so kern/mm/kvm.c unmaps every guard page. */
	.section .kstacks, "aw", @nobits
	.balign KSTACK_GUARD_SIZE
	.globl smp_ap_stacks
smp_ap_stacks:
	.skip SMP_AP_BLOCK * (SMP_MAX_CPUS - 1)

	.section .kstack_list, "a"
	.balign 8
	/* .Loff is a plain number (offset into the area): both assemblers let it change. */
	.set .Loff, KSTACK_GUARD_SIZE
	.rept SMP_MAX_CPUS - 1
	.quad smp_ap_stacks + .Loff, smp_ap_stacks + .Loff + SMP_KSTACK_SIZE
	.set .Loff, .Loff + SMP_KSTACK_SIZE + KSTACK_GUARD_SIZE
	.rept SMP_IST_COUNT
	.quad smp_ap_stacks + .Loff, smp_ap_stacks + .Loff + SMP_IST_SIZE
	.set .Loff, .Loff + SMP_IST_SIZE + KSTACK_GUARD_SIZE
	.endr
	.endr
