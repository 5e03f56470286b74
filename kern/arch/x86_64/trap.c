/* The IDT and the trap dispatcher: every exception either goes to a registered handler or
 * produces the trap dump (docs/architecture.md) and halts the machine. */
#include <stdint.h>

#include "backtrace.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "hal.h"
#include "lockcheck.h"
#include "machine.h"
#include "panic.h"
#include "percpu.h"
#include "trap.h"
#include "x86.h"

_Static_assert(TRAP_KERNEL_CS == GDT_KCODE, "trap.h names the kernel code selector");

/* 64-bit IDT gate descriptor (Intel SDM Vol. 3A 6.14.1, Figure 6-7). */
struct idt_gate {
	uint16_t off_lo;
	uint16_t selector;
	uint8_t ist;       /* bits 0..2: IST slot, 0 = stay on the current stack */
	uint8_t type_attr; /* P, DPL, type */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_PRESENT 0x80
#define GATE_INTR    0x0E /* interrupt gate: IF is cleared on entry */

extern const uint64_t trap_vectors[T_NEXC];
extern const uint64_t irq_vectors[256 - T_NEXC]; /* irqentry.S */

static struct idt_gate idt[256];
static trap_handler_fn handlers[256];

static const char *const names[T_NEXC] = {
	[T_DE] = "divide-error",
	[T_DB] = "debug",
	[T_NMI] = "nmi",
	[T_BP] = "breakpoint",
	[T_OF] = "overflow",
	[T_BR] = "bound-range",
	[T_UD] = "invalid-opcode",
	[T_NM] = "device-not-available",
	[T_DF] = "double-fault",
	[9] = "coprocessor-segment-overrun",
	[T_TS] = "invalid-tss",
	[T_NP] = "segment-not-present",
	[T_SS] = "stack-fault",
	[T_GP] = "general-protection",
	[T_PF] = "page-fault",
	[T_MF] = "x87-fpu-error",
	[T_AC] = "alignment-check",
	[T_MC] = "machine-check",
	[T_XM] = "simd-fp-error",
	[T_VE] = "virtualization",
	[T_CP] = "control-protection",
};

const char *
trap_name(unsigned vector)
{
	if (vector < T_NEXC)
		return names[vector] ? names[vector] : "reserved";
	return "interrupt";
}

static void
idt_set(unsigned vec, uint64_t entry, unsigned ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = entry & 0xFFFF,
		.selector = GDT_KCODE,
		.ist = ist,
		.type_attr = GATE_PRESENT | GATE_INTR,
		.off_mid = (entry >> 16) & 0xFFFF,
		.off_hi = entry >> 32,
	};
}

static void
idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void
trap_init_ap(void)
{
	idt_load();
}

void
trap_init(void)
{
	unsigned v;

	for (v = 0; v < T_NEXC; v++)
		idt_set(v, trap_vectors[v], 0);
	/* These can arrive on a broken kernel stack, or inside a handler (SDM Vol. 3A 6.14.5). */
	idt_set(T_DF, trap_vectors[T_DF], IST_DF);
	idt_set(T_NMI, trap_vectors[T_NMI], IST_NMI);
	idt_set(T_MC, trap_vectors[T_MC], IST_MC);
	idt_load();
}

void
trap_register(unsigned vector, trap_handler_fn fn)
{
	if (vector >= 256)
		panic("trap_register: vector %u out of range", vector);
	handlers[vector] = fn;
	/* An interrupt vector has no gate until someone handles it. */
	if (vector >= T_NEXC)
		idt_set(vector, irq_vectors[vector - T_NEXC], 0);
}

static void
print_pf_reason(uint64_t err)
{
	const char *access = (err & PF_I) ? "instruction fetch" : (err & PF_W) ? "write" : "read";

	printf(
	    "cr2=0x%016lx %s %s of a %s page%s%s\n", read_cr2(), (err & PF_U) ? "user" : "kernel",
	    access, (err & PF_P) ? "present (protection violation)" : "not-present",
	    (err & PF_RSVD) ? ", reserved bit set" : "", (err & PF_PK) ? ", protection key" : "");
}

/* Prints the trap dump (docs/architecture.md "Serial output contract"). */
static void
trap_print(const struct trapframe *tf)
{
	printf("TRAP %lu %s on cpu %u\n", tf->vector, trap_name(tf->vector), hal_cpu_id());
	printf("  rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n", tf->rax, tf->rbx, tf->rcx,
	       tf->rdx);
	printf("  rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx rsp 0x%016lx\n", tf->rsi, tf->rdi, tf->rbp,
	       tf->rsp);
	printf("  r8  0x%016lx r9  0x%016lx r10 0x%016lx r11 0x%016lx\n", tf->r8, tf->r9, tf->r10,
	       tf->r11);
	printf("  r12 0x%016lx r13 0x%016lx r14 0x%016lx r15 0x%016lx\n", tf->r12, tf->r13, tf->r14,
	       tf->r15);
	printf("  rip 0x%016lx cs 0x%04lx rflags 0x%016lx ss 0x%04lx\n", tf->rip, tf->cs,
	       tf->rflags, tf->ss);
	printf("  cr0 0x%016lx cr3 0x%016lx cr4 0x%016lx\n", read_cr0(), read_cr3(), read_cr4());
	printf("err 0x%lx\n", tf->error);
	if (tf->vector == T_PF)
		print_pf_reason(tf->error);
}

/* RFLAGS.AC (SDM Vol. 1 3.4.3.3).  Interrupt and trap gates clear TF, VM, RF and NT, IF for
 * an interrupt gate, but keep AC (Vol. 3A 6.12.1.3), so a handler entered from user mode
 * runs with the user's AC, which with SMAP on lets any supervisor access reach user pages
 * (Vol. 3A 4.6.1).  The syscall entry masks AC through IA32_FMASK (syscall_msr.c). */
#define FL_AC (1ull << 18)

static uint64_t ac_in_handler; /* handlers entered with AC still set: must stay 0 */

/* Clears AC with popfq rather than clac, which faults #UD without SMAP (where a set AC
 * means nothing at CPL 0, but is still cleared so the check below holds everywhere). */
static inline void
trap_clear_ac(void)
{
	if (read_rflags() & FL_AC)
		__asm__ volatile("pushfq; andq %0, (%%rsp); popfq"
		                 :
		                 : "i"(~FL_AC)
		                 : "memory", "cc");
}

/* The check the kernel invariant checker reports (kern/check): AC is clear whenever a
 * handler runs. */
static inline void
trap_note_ac(void)
{
	if (read_rflags() & FL_AC)
		__atomic_add_fetch(&ac_in_handler, 1, __ATOMIC_RELAXED);
}

uint64_t
trap_ac_violations(void)
{
	return __atomic_load_n(&ac_in_handler, __ATOMIC_RELAXED);
}

void
trap_dispatch(struct trapframe *tf)
{
	int *depth_of_this_cpu, depth;

	trap_clear_ac();

	/* Another CPU is printing a dump and stopped this one (panic_stop_all).  Checked before
	 * anything reads the per-CPU area: an NMI can arrive inside the syscall stub, where
	 * IA32_KERNEL_GS_BASE holds the user's value.  NMIs stay blocked: it never returns. */
	if (tf->vector == T_NMI && panic_in_progress())
		for (;;)
			hlt();

	/* An interrupt is nobody's fault: no dump, and its handler may switch to another env
	 * and never return, so it runs outside the nesting count. */
	if (tf->vector >= T_NEXC && tf->vector < 256 && handlers[tf->vector]) {
		percpu_count_irq(tf->vector); /* first: the handler may never return */
		lockcheck_irq_enter();
		trap_note_ac();
		handlers[tf->vector](tf);
		lockcheck_irq_exit();
		/* The handlers test cs & 3 for user mode, so they took a virtual-8086 env for
		 * the kernel and did not preempt it: it goes now, or it would keep the CPU. */
		if (trap_from_user(tf) && tf->cs != GDT_UCODE)
			env_user_bad_mode(tf);
		if (trap_from_user(tf))
			lockcheck_user_return();
		return;
	}
	/* An exception in user mode is the env's, not the kernel's (kern/env/fault.c), whatever
	 * mode the env was in (trap.h trap_from_user). */
	trap_note_ac();
	if (trap_from_user(tf) && env_user_trap(tf)) {
		lockcheck_user_return();
		return;
	}
	/* How many traps this CPU is handling: a trap that arrives while the dump of another is
	 * being printed must not recurse. */
	depth_of_this_cpu = &percpu_this()->trap_depth;
	depth = ++*depth_of_this_cpu;

	if (depth == 2) {
		/* The dump itself faulted: say so in as few steps as possible. */
		printf("TRAP %lu %s on cpu %u while handling a trap; rip 0x%016lx\n", tf->vector,
		       trap_name(tf->vector), hal_cpu_id(), tf->rip);
		machine_halt(1);
	}
	if (depth > 2)
		machine_halt(1); /* even printing faults: stop without a word */

	if (handlers[tf->vector]) {
		handlers[tf->vector](tf);
		--*depth_of_this_cpu;
		return;
	}
	panic_stop_all();
	trap_print(tf);
	backtrace_print_at(tf->rbp, tf->rip);
	machine_halt(1);
}
