/* The kernel side of system calls: the entry (kern/arch/x86_64/syscall.S), the dispatcher
 * and its table (kern/env/syscall.c).  The numbers and the calling convention are in
 * abi/syscall.h. */
#ifndef EXOLAB_SYSCALL_H
#define EXOLAB_SYSCALL_H

/* The trapframe vector of a frame built by the syscall stub (no CPU vector is this large). */
#define SYSCALL_VECTOR 0x100

/* Selectors the stub writes in the frame; syscall.c checks they match cpu.h. */
#define SYSCALL_USER_CS 0x23
#define SYSCALL_USER_SS 0x1b

#ifndef __ASSEMBLY__
#include <stdint.h>

#include "trap.h"

/* Programs STAR/LSTAR/FMASK and turns on EFER.SCE on this CPU. */
void syscall_init(void);

struct percpu;

/* What the stub builds at the top of the kernel stack: the argument registers once more in
 * call order (rdi rsi rdx r10 r8 r9), above them the caller's full frame.  A trap from user
 * mode builds its trapframe at the same place (TSS.rsp0 = the same stack top). */
struct syscall_frame {
	uint64_t args[6];
	struct trapframe tf; /* tf.rax: the call number */
};

/* Called by the stub; returns the result, and only to go back to the same env by sysret
 * (the rest of the way out, to another env or by iretq, never returns). */
int64_t syscall_dispatch(struct syscall_frame *f, struct percpu *pc);

/* Turns trace=syscalls on or off for the syscalls that follow. */
void syscall_trace_init(void);

/* Leaves the kernel to the user state in `tf` by iretq (any frame, any env). */
_Noreturn void syscall_iret(const struct trapframe *tf);

/* Leaves the kernel to the user state in `tf` by sysret: only for a frame the syscall stub
 * built (tf->rcx == tf->rip, tf->r11 == tf->rflags, rip below ABI_USER_END), which sysret
 * restores exactly (the IPC fast path, kern/ipc/fastpath.c). */
_Noreturn void syscall_sysret(const struct trapframe *tf);

/* The syscall instruction's target. */
void syscall_entry(void);
#endif

#endif
