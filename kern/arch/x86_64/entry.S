/* Kernel entry: GRUB's 32-bit protected-mode hand-off -> long mode -> higher half -> kern_main.
 *
 * Multiboot2 hand-off state (spec 3.2): eax = 0x36d76289, ebx = physical address of the
 * information structure, paging off, interrupts off, flat 32-bit segments, esp undefined.
 * Until the jump to the higher half this code runs at its physical address (section .boot),
 * so every reference to a higher-half symbol subtracts KERN_LINK_BASE. */

#include "kstack.h"

#define KERN_LINK_BASE 0xFFFFFFFF80000000
#define PHYS(sym) ((sym) - KERN_LINK_BASE)

#define MB2_BOOTLOADER_MAGIC 0x36d76289

#define BOOTSTACK_SIZE 16384

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define EFLAGS_ID (1 << 21)
#define CPUID_EXT_LM (1 << 29) /* CPUID 0x80000001 EDX (SDM Vol. 2A CPUID) */
#define CPUID_EXT_NX (1 << 20)

/* Page-table entry bits (SDM Vol. 3A 4.5, tables 4-15..4-19). */
#define PTE_P  0x001
#define PTE_W  0x002
#define PTE_PS 0x080 /* in a page directory entry: maps a 2 MiB page */

#define COM1 0x3F8

/* ------------------------------------------------------------------------ 32-bit code */
	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl $PHYS(kern_bootstack_top), %esp
	movl %ebx, %esi /* kept in esi until kern_main (cpuid clobbers ebx) */

	cmpl $MB2_BOOTLOADER_MAGIC, %eax
	jne no_multiboot

	/* CPUID exists iff EFLAGS.ID can be toggled (SDM Vol. 1 3.4.3.3). */
	pushfl
	popl %eax
	movl %eax, %ecx
	xorl $EFLAGS_ID, %eax
	pushl %eax
	popfl
	pushfl
	popl %eax
	pushl %ecx
	popfl
	cmpl %eax, %ecx
	je no_long_mode

	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $CPUID_EXT_LM, %edx
	jz no_long_mode
	/* Every mapping but code is no-execute (kern/mm/kvm.c), and without EFER.NXE the NX
	 * bit is reserved (SDM Vol. 3A 4.5): a CPU without it cannot run this kernel. */
	testl $CPUID_EXT_NX, %edx
	jz no_nx

	call build_page_tables

	/* Enter IA-32e mode (SDM Vol. 3A 9.8.5 "Initializing IA-32e Mode"):
	 * paging is off; (1) CR4.PAE = 1, (2) CR3 = the PML4, (3) EFER.LME = 1,
	 * (4) CR0.PG = 1 activates IA-32e mode (compatibility mode until a 64-bit CS). */
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4

	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3

	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr

	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0

	/* A far jump to a code segment with L = 1 leaves compatibility mode (SDM Vol. 3A 9.8.5). */
	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode_entry

/* Boot page tables, all 2 MiB pages (SDM Vol. 3A 4.5):
 *   0 .. 4 GiB                          -> physical 0 .. 4 GiB (identity, for the switch)
 *   KERN_DIRECTMAP_BASE + 0 .. 4 GiB    -> physical 0 .. 4 GiB (PML4[256], same PDPT)
 *   KERN_LINK_BASE + 0 .. 2 GiB         -> physical 0 .. 2 GiB (PML4[511], PDPT[510..511])
 * Every byte of the tables is written here: nothing relies on the loader zeroing them. */
build_page_tables:
	movl $PHYS(boot_pml4), %edi
	movl $(7 * 4096 / 4), %ecx
	xorl %eax, %eax
	rep stosl

	movl $(PHYS(boot_pdpt_low) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pml4) + 0 * 8
	movl %eax, PHYS(boot_pml4) + 256 * 8
	movl $(PHYS(boot_pdpt_high) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pml4) + 511 * 8

	/* pdpt_low[i] -> pd[i] for the four GiB; pdpt_high[510..511] -> pd[0..1]. */
	xorl %ecx, %ecx
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
2:	movl %eax, PHYS(boot_pdpt_low)(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 2b
	movl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pdpt_high) + 510 * 8
	addl $4096, %eax
	movl %eax, PHYS(boot_pdpt_high) + 511 * 8

	/* The four page directories are contiguous: entry k maps physical k * 2 MiB. */
	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P + PTE_W + PTE_PS), %eax
	movl %eax, PHYS(boot_pd)(, %ecx, 8)
	incl %ecx
	cmpl $(4 * 512), %ecx
	jne 3b
	ret

/* No long mode or no multiboot2 loader: say so on COM1 and the VGA text screen, then stop. */
no_multiboot:
	movl $msg_no_multiboot, %esi
	jmp boot_fail
no_long_mode:
	movl $msg_no_long_mode, %esi
	jmp boot_fail
no_nx:
	movl $msg_no_nx, %esi
boot_fail:
	call com1_init
	movl $0xB8000, %edi
4:	movb (%esi), %al
	testb %al, %al
	jz 6f
	movb %al, %bl
	movw $(COM1 + 5), %dx /* line status: bit 5 = transmit holding register empty */
5:	inb %dx, %al
	testb $0x20, %al
	jz 5b
	movb %bl, %al
	movw $COM1, %dx
	outb %al, %dx
	movb %bl, (%edi)
	movb $0x4F, 1(%edi) /* white on red */
	addl $2, %edi
	incl %esi
	jmp 4b
6:	cli
	hlt
	jmp 6b

/* 115200 8N1 on COM1 (16550 registers: divisor latch when LCR bit 7 is set). */
com1_init:
	movw $(COM1 + 1), %dx
	xorb %al, %al
	outb %al, %dx /* no interrupts */
	movw $(COM1 + 3), %dx
	movb $0x80, %al
	outb %al, %dx /* DLAB */
	movw $COM1, %dx
	movb $1, %al
	outb %al, %dx /* divisor 1 = 115200 baud */
	movw $(COM1 + 1), %dx
	xorb %al, %al
	outb %al, %dx
	movw $(COM1 + 3), %dx
	movb $0x03, %al
	outb %al, %dx /* 8 bits, no parity, 1 stop bit */
	ret

/* ------------------------------------------------------------------------ 64-bit code */
	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $higher_half, %rax
	jmpq *%rax

	.section .boot.data, "a"
msg_no_multiboot:
	.asciz "ExoLab: not loaded by a multiboot2 boot loader; halting.\r\n"
msg_no_long_mode:
	.asciz "ExoLab: this CPU has no 64-bit long mode; halting.\r\n"
msg_no_nx:
	.asciz "ExoLab: this CPU has no NX (execute-disable) bit; halting.\r\n"

/* Minimal GDT for the switch; cpu_init() loads the real one (kern/arch/x86_64/cpu.c). */
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF /* 0x08: 64-bit code, DPL 0 (L = 1, D = 0) */
	.quad 0x00CF92000000FFFF /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

/* ------------------------------------------------------------------------ higher half */
	.text
higher_half:
	/* The stack top keeps 64 zero bytes, so the walker reads kern_main's "args" inside the
	 * stack; rbp = 0 ends the frame chain at kern_main. */
	movq $kern_bootstack_top - 64, %rsp
	xorl %ebp, %ebp
	movl %esi, %r12d /* multiboot2 information, zero-extended (upper halves are undefined) */

	movq $kern_bss_start, %rdi
	movq $kern_bss_end, %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq
	movq $kern_bootstack_top - 64, %rdi
	movl $8, %ecx
	rep stosq

	movq %r12, %rdi
	call kern_main
7:	cli
	hlt
	jmp 7b

	.section .bootmem.pagetables, "aw", @nobits
	.balign 4096
	.globl kern_boot_pml4 /* the AP trampoline enters long mode on these tables (smp.c) */
kern_boot_pml4:
boot_pml4:
	.skip 4096
boot_pdpt_low:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4 * 4096

/* The boot stack, above its guard page (kern/arch/x86_64/include/kstack.h). */
	.section .kstacks, "aw", @nobits
	.balign KSTACK_GUARD_SIZE
	.skip KSTACK_GUARD_SIZE
	.globl kern_bootstack_bottom, kern_bootstack_top
kern_bootstack_bottom:
	.skip BOOTSTACK_SIZE
kern_bootstack_top:

	.section .kstack_list, "a"
	.balign 8
	.quad kern_bootstack_bottom, kern_bootstack_top
