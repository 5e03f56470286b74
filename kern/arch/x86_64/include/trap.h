/* Traps: the frame every interrupt/exception entry stub builds, and the handler entry points. */
#ifndef EXOLAB_TRAP_H
#define EXOLAB_TRAP_H

#include <stdint.h>

/* Exception vectors (Intel SDM Vol. 3A 6.15). */
enum {
	T_DE = 0,   /* divide error */
	T_DB = 1,   /* debug */
	T_NMI = 2,  /* non-maskable interrupt */
	T_BP = 3,   /* breakpoint */
	T_OF = 4,   /* overflow */
	T_BR = 5,   /* BOUND range exceeded */
	T_UD = 6,   /* invalid opcode */
	T_NM = 7,   /* device not available */
	T_DF = 8,   /* double fault */
	T_TS = 10,  /* invalid TSS */
	T_NP = 11,  /* segment not present */
	T_SS = 12,  /* stack-segment fault */
	T_GP = 13,  /* general protection */
	T_PF = 14,  /* page fault */
	T_MF = 16,  /* x87 floating-point error */
	T_AC = 17,  /* alignment check */
	T_MC = 18,  /* machine check */
	T_XM = 19,  /* SIMD floating-point */
	T_VE = 20,  /* virtualization exception */
	T_CP = 21,  /* control protection */
	T_NEXC = 32 /* vectors 0..31 are reserved for exceptions */
};

/* Page-fault error code bits (SDM Vol. 3A 4.7). */
#define PF_P    (1u << 0) /* 0: not present; 1: protection violation */
#define PF_W    (1u << 1) /* write access */
#define PF_U    (1u << 2) /* user mode */
#define PF_RSVD (1u << 3) /* reserved bit set in a paging structure */
#define PF_I    (1u << 4) /* instruction fetch */
#define PF_PK   (1u << 5) /* protection key */

/* Layout fixed by kern/arch/x86_64/trapentry.S: the stub pushes the error code (0 when the
 * CPU pushes none) and the vector below the CPU's frame, then the common code pushes the
 * general registers.  Lowest address first. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;
	/* pushed by the CPU (SDM Vol. 3A 6.14.2) */
	uint64_t rip, cs, rflags, rsp, ss;
};

/* *dst = *src in one string move: 22 iterations of one instruction each (under `qemu -icount`
 * each iteration counts), where the struct assignment compiles to 44 four-byte moves in
 * this SSE-less kernel.  The frame switch of every reschedule from a syscall uses it. */
static inline void
trapframe_copy(struct trapframe *dst, const struct trapframe *src)
{
	uint64_t n = sizeof(*src) / 8;

	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/* The kernel runs only in its one code segment (cpu.h GDT_KCODE, value 0x08): a frame
 * with any other saved cs came from user mode, whatever its privilege bits say.  (QEMU's
 * TCG lets an `iretl` from ring 3 with VM set enter virtual-8086 mode, which IA-32e mode
 * cannot do on hardware, SDM Vol. 3A 20.1; its next trap arrives with cs = 0.) */
#define TRAP_KERNEL_CS 0x08

static inline int
trap_from_user(const struct trapframe *tf)
{
	return tf->cs != TRAP_KERNEL_CS;
}

/* How many trap handlers ran with RFLAGS.AC set since boot (trap.c): 0 unless an entry path
 * forgot to clear it; reported by the invariant checker (kern/check). */
uint64_t trap_ac_violations(void);

/* A handler for one vector.  Returning resumes the trapped code (with tf's registers). */
typedef void (*trap_handler_fn)(struct trapframe *tf);

/* Builds the IDT and loads it on the boot CPU. */
void trap_init(void);

/* Loads the same IDT on an application processor. */
void trap_init_ap(void);

/* Routes `vector` to `fn` instead of the dump-and-halt default.  For an interrupt vector
 * (>= T_NEXC) this also opens its IDT gate, and `fn` runs outside the trap-nesting check: it
 * may end by switching to another env instead of returning. */
void trap_register(unsigned vector, trap_handler_fn fn);

/* Called from the entry stubs with interrupts disabled. */
void trap_dispatch(struct trapframe *tf);

/* Human name of an exception vector ("divide-error", "page-fault", ...). */
const char *trap_name(unsigned vector);

#endif
