/* fputest: each env's x87/SSE/AVX state is its own, whatever runs between its instructions.
 *
 *   fputest           (a test in init's list) shares a result page with NWORKERS copies of
 *                     `fputest worker K` it spawns, checks that the kernel path (system
 *                     calls, a yield, a page fault handled by an SSE-using upcall) leaves its
 *                     registers alone, waits for the workers and prints the summary.
 *   fputest worker K  gives itself rounding mode K % 4 (MXCSR and the x87 control word),
 *                     then, round after round, holds a pattern of its own in xmm0-15 (ymm0-15
 *                     with AVX) and in the eight x87 registers while it spins (until the timer
 *                     has preempted it several times: other workers' counters moved while it
 *                     made no system call) or yields, and checks every bit afterwards, and
 *                     every rounded result exactly against the IEEE 754 answer for its mode.
 *
 * One line per worker, `fputest: env K ok (checks M)`, then
 * `fputest: N of N envs ok, M checks, 0 failed`. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "pgfault.h"
#include "usyscall.h"
#include "xstring.h"

#define NWORKERS     4
#define SHARED_VA    0x30000000ull /* the result page, in every env of the test */
#define FAULT_VA     0x31000000ull /* unmapped until the upcall test's handler maps it */
#define SPIN_MAX     (1ull << 26)  /* a spin ends when another env ran, or after this many */
#define MIN_ROUNDS   8
#define MAX_ROUNDS   64
#define WANT_PREEMPT 3 /* spins of each kind the timer must interrupt, in each worker */
#define SUM_N        2048
#define MAX_WAIT     1000000

#define MXCSR_INIT 0x1F80u
#define MXCSR_PE   0x0020u /* precision (inexact) flag */
#define MXCSR_FTZ  0x8000u
#define FCW_INIT   0x037Fu
#define FCW_PC_53  0x0200u /* x87 precision control: double (SDM Vol. 1 8.1.5.2) */

struct shared {
	volatile uint64_t owner; /* who spins: a worker's index; the parent writes 0 */
	volatile uint64_t checks[NWORKERS + 1];
	volatile uint64_t failed[NWORKERS + 1];
	volatile uint64_t done[NWORKERS + 1];
};

/* 16 vector registers of 32 bytes (only the low 16 are used without AVX). */
struct vregs {
	uint8_t b[16][32];
};

/* A system call the register round makes: number, two arguments, the result. */
struct call {
	uint64_t num, a0, a1;
	int64_t ret;
};

static struct shared *const shared = (struct shared *)SHARED_VA;
static unsigned me; /* worker index 1..NWORKERS, 0 for the parent */
static uint64_t nchecks, nfailed;
static bool avx;

static void
check(bool ok, const char *what, uint64_t got, uint64_t want)
{
	nchecks++;
	if (ok)
		return;
	if (nfailed++ < 5)
		printf("fputest: env %u: %s FAIL (got 0x%lx, want 0x%lx)\n", me, what,
		       (unsigned long)got, (unsigned long)want);
}

/* AVX is usable when the CPU has it and the kernel enabled its state in XCR0 (SDM Vol. 1
 * 13.3, 14.3): CPUID.1:ECX.OSXSAVE and .AVX, and XCR0 bits 1 and 2. */
static bool
avx_usable(void)
{
	uint32_t a, b, c, d, lo, hi;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static void
set_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v) : "memory");
}

static uint32_t
get_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v) : : "memory");
	return v;
}

static void
set_fcw(uint16_t v)
{
	__asm__ volatile("fldcw %0" : : "m"(v) : "memory");
}

static uint16_t
get_fcw(void)
{
	uint16_t v;

	__asm__ volatile("fnstcw %0" : "=m"(v) : : "memory");
	return v;
}

/* ---- Vector registers held across a spin, system calls and a fault ---- */

#define EACH_REG(m)                                                                                \
	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define LOAD_SSE(i)  "movdqu " #i "*32(%[in]), %%xmm" #i "\n\t"
#define STORE_SSE(i) "movdqu %%xmm" #i ", " #i "*32(%[out])\n\t"
#define LOAD_AVX(i)  "vmovdqu " #i "*32(%[in]), %%ymm" #i "\n\t"
#define STORE_AVX(i) "vmovdqu %%ymm" #i ", " #i "*32(%[out])\n\t"
#define VEC_CLOBBERS                                                                               \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",   \
	    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/* Spin: write `me` to *owner, then spin until another env overwrites it or n runs out.  No
 * system call is made, so only the timer can have let another env run. */
#define SPIN_BODY                                                                                  \
	"testq %[n], %[n]\n\t"                                                                     \
	"jz 2f\n\t"                                                                                \
	"movq %[me], (%[owner])\n"                                                                 \
	"1:\n\t"                                                                                   \
	"cmpq %[me], (%[owner])\n\t"                                                               \
	"jne 2f\n\t"                                                                               \
	"decq %[n]\n\t"                                                                            \
	"jnz 1b\n"                                                                                 \
	"2:\n\t"

/* Between the load and the store: spin, make the k calls at t, then write to *touch
 * unless it is 0. */
#define ROUND_BODY                                                                                 \
	SPIN_BODY                                                                                  \
	"testq %[k], %[k]\n\t"                                                                     \
	"jz 4f\n"                                                                                  \
	"3:\n\t"                                                                                   \
	"movq (%[t]), %%rax\n\t"                                                                   \
	"movq 8(%[t]), %%rdi\n\t"                                                                  \
	"movq 16(%[t]), %%rsi\n\t"                                                                 \
	"syscall\n\t"                                                                              \
	"movq %%rax, 24(%[t])\n\t"                                                                 \
	"addq $32, %[t]\n\t"                                                                       \
	"decq %[k]\n\t"                                                                            \
	"jnz 3b\n"                                                                                 \
	"4:\n\t"                                                                                   \
	"testq %[touch], %[touch]\n\t"                                                             \
	"jz 5f\n\t"                                                                                \
	"movq $1, (%[touch])\n"                                                                    \
	"5:\n\t"

#define VEC_ROUND(LOAD, STORE, TAIL)                                                               \
	__asm__ volatile(EACH_REG(LOAD) ROUND_BODY EACH_REG(STORE) TAIL                            \
	                 : [n] "+r"(spins), [k] "+r"(ncalls), [t] "+r"(calls)                      \
	                 : [in] "r"(in), [out] "r"(out), [me] "r"(owner_me), [owner] "r"(owner),   \
	                   [touch] "r"(touch)                                                      \
	                 : "rax", "rdi", "rsi", "rcx", "r11", "memory", VEC_CLOBBERS)

static void
vec_round(const struct vregs *in, struct vregs *out, uint64_t spins, struct call *calls,
          uint64_t ncalls, volatile uint64_t *touch)
{
	volatile uint64_t *owner = &shared->owner;
	uint64_t owner_me = me;

	if (avx)
		VEC_ROUND(LOAD_AVX, STORE_AVX, "vzeroupper\n\t");
	else
		VEC_ROUND(LOAD_SSE, STORE_SSE, "");
}

static void
vec_pattern(struct vregs *v, unsigned seed)
{
	for (unsigned r = 0; r < 16; r++)
		for (unsigned j = 0; j < 32; j++)
			v->b[r][j] = (uint8_t)(seed * 101 + r * 17 + j * 3 + 1);
}

/* Every byte the round held (32 per register with AVX, 16 without) came back. */
static void
vec_check(const struct vregs *in, const struct vregs *out, const char *what)
{
	unsigned width = avx ? 32 : 16, bad = 16;

	for (unsigned r = 0; r < 16 && bad == 16; r++)
		if (memcmp(in->b[r], out->b[r], width) != 0)
			bad = r;
	check(bad == 16, what, bad, 16);
}

/* ---- The x87 stack and control word across a spin or a yield ---- */

struct x87_out {
	int64_t ints[7];
	uint64_t third; /* 1/3 as the env's rounding mode gives it, in double */
	uint16_t fcw;
};

static void
x87_round(uint16_t fcw, const int64_t ints[7], struct x87_out *o, uint64_t spins, bool yield)
{
	volatile uint64_t *owner = &shared->owner;
	uint64_t owner_me = me;
	int32_t three = 3;
	long num = yield ? SYS_yield : -1;

	__asm__ volatile("fninit\n\t"
	                 "fldcw %[cw]\n\t"
	                 "fld1\n\t"
	                 "fidivl %[three]\n\t" /* st0 = 1/3, rounded per the control word */
	                 "fildq 0(%[ints])\n\t"
	                 "fildq 8(%[ints])\n\t"
	                 "fildq 16(%[ints])\n\t"
	                 "fildq 24(%[ints])\n\t"
	                 "fildq 32(%[ints])\n\t"
	                 "fildq 40(%[ints])\n\t"
	                 "fildq 48(%[ints])\n\t" /* all eight registers hold a value */
	                 SPIN_BODY "testq %%rax, %%rax\n\t"
	                 "js 3f\n\t"
	                 "syscall\n"
	                 "3:\n\t"
	                 "fnstcw 64(%[o])\n\t"
	                 "fistpq 48(%[o])\n\t"
	                 "fistpq 40(%[o])\n\t"
	                 "fistpq 32(%[o])\n\t"
	                 "fistpq 24(%[o])\n\t"
	                 "fistpq 16(%[o])\n\t"
	                 "fistpq 8(%[o])\n\t"
	                 "fistpq 0(%[o])\n\t"
	                 "fstpl 56(%[o])\n\t"
	                 : [n] "+r"(spins), "+a"(num)
	                 : [cw] "m"(fcw), [three] "m"(three), [ints] "r"(ints), [o] "r"(o),
	                   [me] "r"(owner_me), [owner] "r"(owner)
	                 : "rcx", "r11", "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)",
	                   "st(5)", "st(6)", "st(7)");
}

_Static_assert(__builtin_offsetof(struct x87_out, third) == 56, "x87_round offsets");
_Static_assert(__builtin_offsetof(struct x87_out, fcw) == 64, "x87_round offsets");

/* IEEE 754 double results per rounding mode (RC 0 nearest, 1 down, 2 up, 3 toward zero,
 * the same encoding in MXCSR and the x87 control word, SDM Vol. 1 4.8.4): 1/3 lies just
 * above 0x3FD5555555555555, sqrt(2) just below 0x3FF6A09E667F3BCD. */
static const uint64_t third_bits[4] = { 0x3FD5555555555555ull, 0x3FD5555555555555ull,
	                                0x3FD5555555555556ull, 0x3FD5555555555555ull };
static const uint64_t mthird_bits[4] = { 0xBFD5555555555555ull, 0xBFD5555555555556ull,
	                                 0xBFD5555555555555ull, 0xBFD5555555555555ull };
static const uint64_t sqrt2_bits[4] = { 0x3FF6A09E667F3BCDull, 0x3FF6A09E667F3BCCull,
	                                0x3FF6A09E667F3BCDull, 0x3FF6A09E667F3BCCull };

static uint64_t
bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double
sqrt_sd(double x)
{
	__asm__ volatile("sqrtsd %1, %0" : "=x"(x) : "x"(x)); /* not moved across ldmxcsr */
	return x;
}

/* ---- A worker ---- */

/* The rounded results of this env's mode, and MXCSR with only the inexact flag added. */
static void
check_rounding(unsigned rc, uint32_t mxcsr)
{
	volatile double one = 1.0, three = 3.0, two = 2.0;
	volatile double third = one / three, mthird = -one / three;
	volatile double root = sqrt_sd(two);

	check(bits(third) == third_bits[rc], "sse: 1/3 rounded per MXCSR.RC", bits(third),
	      third_bits[rc]);
	check(bits(mthird) == mthird_bits[rc], "sse: -1/3 rounded per MXCSR.RC", bits(mthird),
	      mthird_bits[rc]);
	check(bits(root) == sqrt2_bits[rc], "sse: sqrt(2) rounded per MXCSR.RC", bits(root),
	      sqrt2_bits[rc]);
	check(get_mxcsr() == (mxcsr | MXCSR_PE), "sse: MXCSR is this env's", get_mxcsr(),
	      mxcsr | MXCSR_PE);
}

/* Sums that are exact in every rounding mode, with yields between the terms. */
static void
check_sums(void)
{
	double roots = 0, quarters = 0;

	for (unsigned i = 1; i <= SUM_N; i++) {
		roots += sqrt_sd((double)i * (double)i);
		quarters += (double)i / 1024.0;
		if (i % 256 == 0)
			sys_yield();
	}
	check(roots == (double)SUM_N * (SUM_N + 1) / 2, "sum: sqrt(i*i) for i = 1..2048",
	      bits(roots), bits((double)SUM_N * (SUM_N + 1) / 2));
	check(quarters == (double)SUM_N * (SUM_N + 1) / 2 / 1024, "sum: i/1024 for i = 1..2048",
	      bits(quarters), bits((double)SUM_N * (SUM_N + 1) / 2 / 1024));
}

/* One round: the mode set, registers held across a spin that lasts until the timer hands
 * the CPU to another env (even rounds) or across a yield (odd rounds), then every result
 * checked.  Counts the spins another env interrupted. */
static void
worker_round(unsigned r, unsigned rc, uint32_t mxcsr, uint16_t fcw, unsigned preempts[2])
{
	struct call yield = { .num = SYS_yield };
	bool odd = r & 1;
	uint64_t spins = odd ? 0 : SPIN_MAX;
	struct vregs in, out;
	struct x87_out xo;
	int64_t ints[7];

	vec_pattern(&in, me * 1000 + r);
	for (unsigned i = 0; i < 7; i++)
		ints[i] = (int64_t)(me * 1000000 + r * 10 + i) * (i & 1 ? -1 : 1);
	set_mxcsr(mxcsr);
	vec_round(&in, &out, spins, odd ? &yield : NULL, odd, NULL);
	preempts[0] += !odd && shared->owner != me;
	vec_check(&in, &out,
	          odd ? "xmm: registers across a yield" : "xmm: registers across a spin");
	check(!odd || yield.ret == 0, "xmm: the yield returned 0", (uint64_t)yield.ret, 0);
	check_rounding(rc, mxcsr);
	x87_round(fcw, ints, &xo, spins, odd);
	preempts[1] += !odd && shared->owner != me;
	check(xo.fcw == fcw, "x87: the control word is this env's", xo.fcw, fcw);
	for (unsigned i = 0; i < 7; i++)
		check(xo.ints[i] == ints[i], "x87: a stack register held its value",
		      (uint64_t)xo.ints[i], (uint64_t)ints[i]);
	check(xo.third == third_bits[rc], "x87: 1/3 rounded per FCW.RC", xo.third, third_bits[rc]);
}

static int
worker(unsigned k)
{
	unsigned rc = k % 4, preempts[2] = { 0, 0 }, r;
	uint32_t mxcsr = MXCSR_INIT | rc << 13 | (k & 1 ? MXCSR_FTZ : 0);
	uint16_t fcw = (uint16_t)(0x007F | FCW_PC_53 | rc << 10);
	int i;

	me = k;
	for (i = 0; i < MAX_WAIT; i++) {
		if (sys_protect(ABI_SLOT_SELF, SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			break;
		sys_yield();
	}
	if (i == MAX_WAIT) {
		printf("fputest: env %u: sync: the result page is mapped FAIL\n", k);
		return 1;
	}
	check(get_mxcsr() == MXCSR_INIT, "init: a new env starts with MXCSR 0x1F80", get_mxcsr(),
	      MXCSR_INIT);
	check(get_fcw() == FCW_INIT, "init: a new env starts with FCW 0x37F", get_fcw(), FCW_INIT);
	for (r = 0; r < MAX_ROUNDS &&
	            (r < MIN_ROUNDS || preempts[0] < WANT_PREEMPT || preempts[1] < WANT_PREEMPT);
	     r++)
		worker_round(r, rc, mxcsr, fcw, preempts);
	check(preempts[0] >= WANT_PREEMPT, "preempt: the timer preempted xmm spins", preempts[0],
	      WANT_PREEMPT);
	check(preempts[1] >= WANT_PREEMPT, "preempt: the timer preempted x87 spins", preempts[1],
	      WANT_PREEMPT);
	check_sums();
	shared->checks[k] = nchecks;
	shared->failed[k] = nfailed;
	shared->done[k] = 1;
	if (nfailed == 0)
		printf("fputest: env %u ok (checks %lu)\n", k, (unsigned long)nchecks);
	else
		printf("fputest: env %u FAIL (%lu of %lu checks failed)\n", k,
		       (unsigned long)nfailed, (unsigned long)nchecks);
	return nfailed ? 1 : 0;
}

/* ---- The parent: the kernel path, the upcall, the summary ---- */

static long fault_slot = -1;
static long worker_slots[NWORKERS + 1];
static volatile double handler_sink;

#define SET_ONES(i) "pcmpeqd %%xmm" #i ", %%xmm" #i "\n\t"

/* SSE arithmetic (inexact: MXCSR.PE goes up) and every xmm register overwritten, as any C
 * handler may do; then a fresh page at the fault. */
static void
fault_handler(struct abi_fault *f)
{
	volatile double x = (double)(f->va & 0xFFF) + 0.1;
	long slot = slot_alloc();

	handler_sink = x / 3.0;
	__asm__ volatile(EACH_REG(SET_ONES) : : : VEC_CLOBBERS);
	if (slot < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot,
	                    CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) < 0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)slot, f->va & ~(ABI_PAGE_SIZE - 1),
	            ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot map a frame at 0x%lx", (unsigned long)f->va);
	fault_slot = slot;
}

static const char kernel_msg[] = "fputest: a line printed with every vector register live\n";

/* System calls, one yielding to the workers and two failing, in one stretch of code that
 * holds every vector register, a non-default MXCSR and x87 control word. */
static void
check_kernel_path(void)
{
	struct call calls[] = {
		{ .num = SYS_null },
		{ .num = SYS_env_id },
		{ .num = SYS_cputs, .a0 = (uintptr_t)kernel_msg, .a1 = sizeof(kernel_msg) - 1 },
		{ .num = SYS_yield },
		{ .num = 9999 },
		{ .num = SYS_env_status, .a0 = 1ull << 40 },
	};
	uint32_t mxcsr = MXCSR_INIT | 2u << 13 | MXCSR_FTZ;
	uint16_t fcw = 0x0F7F; /* round toward zero, extended precision */
	struct vregs in, out;

	vec_pattern(&in, 7);
	set_mxcsr(mxcsr);
	set_fcw(fcw);
	vec_round(&in, &out, 0, calls, sizeof(calls) / sizeof(calls[0]), NULL);
	vec_check(&in, &out, "kernel: vector registers across six system calls");
	check(get_mxcsr() == mxcsr, "kernel: MXCSR across six system calls", get_mxcsr(), mxcsr);
	check(get_fcw() == fcw, "kernel: x87 control word across six system calls", get_fcw(), fcw);
	check(calls[0].ret == 0 && calls[1].ret == sys_env_id() && calls[3].ret == 0,
	      "kernel: null, env_id and yield returned their results", (uint64_t)calls[1].ret,
	      (uint64_t)sys_env_id());
	check(calls[4].ret == E_NOSYS && calls[5].ret < 0, "kernel: the two bad calls failed",
	      (uint64_t)calls[4].ret, (uint64_t)(int64_t)E_NOSYS);
	set_mxcsr(MXCSR_INIT);
	set_fcw(FCW_INIT);
}

/* A write that faults in the middle of the vector round: upcall.S must give the faulting
 * code back its registers although the handler used SSE. */
static void
check_upcall(void)
{
	uint32_t mxcsr = MXCSR_INIT | 1u << 13;
	uint16_t fcw = 0x077F; /* round down, extended precision */
	struct vregs in, out;
	int err = pgfault_set_handler(fault_handler);

	check(err == 0, "upcall: the handler is set", (uint64_t)err, 0);
	if (err < 0)
		return;
	vec_pattern(&in, 9);
	set_mxcsr(mxcsr);
	set_fcw(fcw);
	vec_round(&in, &out, 0, NULL, 0, (volatile uint64_t *)FAULT_VA);
	vec_check(&in, &out, "upcall: vector registers across a handled fault");
	check(get_mxcsr() == mxcsr, "upcall: MXCSR across a handled fault (its flags too)",
	      get_mxcsr(), mxcsr);
	check(get_fcw() == fcw, "upcall: x87 control word across a handled fault", get_fcw(), fcw);
	check(fault_slot >= 0 && *(volatile uint64_t *)FAULT_VA == 1,
	      "upcall: the handler mapped the page and the write landed", (uint64_t)fault_slot, 0);
	set_mxcsr(MXCSR_INIT);
	set_fcw(FCW_INIT);
	if (fault_slot >= 0 &&
	    (sys_unmap(ABI_SLOT_SELF, FAULT_VA) < 0 || sys_cap_delete((uint64_t)fault_slot) < 0))
		panic("cannot free the fault page");
	if (fault_slot >= 0)
		slot_free((uint64_t)fault_slot);
}

static void
spawn_workers(long page, long envs[NWORKERS + 1])
{
	char cmd[] = "fputest worker 0";

	for (unsigned k = 1; k <= NWORKERS; k++) {
		cmd[sizeof(cmd) - 2] = (char)('0' + k);
		envs[k] = slot_alloc();
		if (envs[k] < 0 ||
		    sys_spawn(cmd, sizeof(cmd) - 1, (uint64_t)envs[k], ABI_SLOT_UNTYPED, 0) < 0 ||
		    sys_map((uint64_t)envs[k], (uint64_t)page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) <
		        0)
			panic("cannot start worker %u", k);
	}
}

static bool
all_done(void)
{
	for (unsigned k = 1; k <= NWORKERS; k++)
		if (!shared->done[k] && sys_env_status((uint64_t)worker_slots[k]) != ENV_DEAD)
			return false;
	return true;
}

static int
parent(void)
{
	long page = slot_alloc(), *envs = worker_slots;
	uint64_t checks = 0, failed = 0;
	unsigned ok = 0;

	printf("fputest: x87 sse2%s, %d workers\n", avx ? " avx" : "", NWORKERS);
	if (page < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)page,
	                    CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) < 0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot map the result page");
	spawn_workers(page, envs);
	check_kernel_path();
	check_upcall();
	printf("fputest: kernel path %s (checks %lu)\n", nfailed ? "FAIL" : "ok",
	       (unsigned long)nchecks);
	/* Round robin runs this env between two turns of a worker: its mark tells a worker's
	 * spin that the timer took the CPU even when no other worker is left to run. */
	for (unsigned i = 0; i < MAX_WAIT && !all_done(); i++) {
		shared->owner = 0;
		sys_yield();
	}
	for (unsigned k = 1; k <= NWORKERS; k++) {
		if (env_wait_dead((uint64_t)envs[k], MAX_WAIT) < 0)
			sys_env_destroy((uint64_t)envs[k]);
		sys_cap_delete((uint64_t)envs[k]);
		slot_free((uint64_t)envs[k]);
		ok += shared->done[k] && shared->failed[k] == 0;
		checks += shared->checks[k];
		failed += shared->failed[k] + !shared->done[k];
	}
	checks += nchecks;
	failed += nfailed;
	printf("fputest: %u of %d envs ok, %lu checks, %lu failed\n", ok, NWORKERS,
	       (unsigned long)checks, (unsigned long)failed);
	if (sys_unmap(ABI_SLOT_SELF, SHARED_VA) < 0 || sys_cap_delete((uint64_t)page) < 0)
		panic("cannot free the result page");
	slot_free((uint64_t)page);
	return failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	avx = avx_usable();
	if (argc == 3 && strcmp(argv[1], "worker") == 0 && argv[2][0] > '0' &&
	    argv[2][0] <= '0' + NWORKERS)
		return worker((unsigned)(argv[2][0] - '0'));
	return parent();
}
