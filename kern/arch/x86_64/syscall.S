/* The syscall entry and the two ways back to user mode: sysret after a system call that
 * returns to its caller, iretq for everything else (a switch to another env, a first run,
 * a frame changed by sys_env_set_regs).  Both build and consume struct trapframe (trap.h),
 * so a syscall frame and a trap frame look the same to the C code. */
#include "gprs.h"
#include "percpu.h"
#include "syscall.h"

	.text
	.globl syscall_entry
	.balign 16
syscall_entry:
	/* SYSCALL left the user rip in rcx and rflags in r11 (masked by FMASK) and did not
	 * touch rsp (SDM Vol. 2B SYSCALL).  IF is clear, so nothing else runs while the per-CPU
	 * area is swapped in (IA32_KERNEL_GS_BASE holds it, see percpu.h). */
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KSTACK_TOP, %rsp
	pushq $SYSCALL_USER_SS
	pushq %gs:PERCPU_USER_RSP
	pushq %r11		/* rflags */
	pushq $SYSCALL_USER_CS
	pushq %rcx		/* rip */
	pushq $0		/* error */
	pushq $SYSCALL_VECTOR
	PUSH_GPRS
	/* The arguments once more, in call order: the C array args[0..5]. */
	pushq %r9
	pushq %r8
	pushq %r10
	pushq %rdx
	pushq %rsi
	pushq %rdi
	movq %gs:PERCPU_SELF, %rsi
	swapgs
	/* struct syscall_frame: 28 words below a 16-byte aligned top, aligned for the call. */
	movq %rsp, %rdi
	call syscall_dispatch
	/* Back to the same env with the result in rax.  The C code preserved rbx, rbp and
	 * r12-r15 (SysV ABI), so only the registers it may have clobbered are reloaded; rcx
	 * and r11 get the rip and rflags sysret needs. */
	addq $88, %rsp		/* args, r15, r14, r13, r12, r11 */
	popq %r10
	popq %r9
	popq %r8
	addq $8, %rsp		/* rbp */
	popq %rdi
	popq %rsi
	popq %rdx
	addq $40, %rsp		/* rcx, rbx, rax (the number), vector, error */
	/* rip: the address after a syscall instruction in user memory, so canonical (the
	 * page below the 128 TiB boundary is never mapped, abi/memlayout.h); a rip changed
	 * by sys_env_set_regs leaves by iretq instead. */
	popq %rcx
	addq $8, %rsp		/* cs */
	popq %r11		/* rflags */
	popq %rsp		/* the user stack; IF stays clear until sysret */
	sysretq

	/* syscall_iret(const struct trapframe *tf): load every register from *tf and iretq.
	 * The CPU reloads cs and ss from the frame, so a bad user rip faults in user mode. */
	.globl syscall_iret
	.balign 16
syscall_iret:
	movq %rdi, %rsp
	jmp trap_return

	/* syscall_sysret(const struct trapframe *tf): the same by sysret, for a frame the stub
	 * above built: its rcx and r11 are its rip and rflags (checked by the caller), so
	 * sysret, which loads rip from rcx and rflags from r11 and cs/ss from IA32_STAR (SDM
	 * Vol. 2B SYSRET), returns exactly what iretq would.  IF stays clear until sysret. */
	.globl syscall_sysret
	.balign 16
syscall_sysret:
	movq %rdi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	addq $8, %rsp		/* r11: the rflags below */
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	addq $8, %rsp		/* rcx: the rip below */
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector, error */
	popq %rcx		/* rip */
	addq $8, %rsp		/* cs */
	popq %r11		/* rflags */
	popq %rsp
	sysretq
