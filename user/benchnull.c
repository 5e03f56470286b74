/* benchnull: the cost of a null system call round trip (sys_null: user -> kernel -> user).
 * Under `qemu -icount shift=0` the TSC advances exactly once per guest instruction, so the
 * rdtsc difference around the call, minus the same sequence without the `syscall`, is the
 * number of instructions the round trip executes (bench/syscall runs it so).  `benchnull
 * cycles` names the unit `cycles` (the Legion's bench entry, user/legion_bench.h: on real
 * hardware the figure is TSC cycles). */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define REPS 1000

/* rdtsc; the timed instructions; rdtsc - in one asm block, so the compiler cannot put
 * anything of its own between the two reads (Intel SDM Vol. 2B RDTSC: EDX:EAX). */
#define TIMED_ASM(body)                                                                            \
	"rdtsc\n\t"                                                                                \
	"shl $32, %%rdx\n\t"                                                                       \
	"or %%rdx, %%rax\n\t"                                                                      \
	"mov %%rax, %%r8\n\t"                                                                      \
	"mov %[num], %%eax\n\t" body "rdtsc\n\t"                                                   \
	"shl $32, %%rdx\n\t"                                                                       \
	"or %%rdx, %%rax\n\t"                                                                      \
	"sub %%r8, %%rax\n\t"

static uint64_t
timed_syscall(void)
{
	uint64_t delta;

	__asm__ volatile(TIMED_ASM("syscall\n\t")
	                 : "=a"(delta)
	                 : [num] "i"(SYS_null)
	                 : "rcx", "rdx", "r8", "r11", "memory");
	return delta;
}

static uint64_t
timed_nothing(void)
{
	uint64_t delta;

	__asm__ volatile(TIMED_ASM("")
	                 : "=a"(delta)
	                 : [num] "i"(SYS_null)
	                 : "rcx", "rdx", "r8", "r11", "memory");
	return delta;
}

/* The smallest of REPS samples: anything that interrupts a sample only adds to it. */
static uint64_t
min_of(uint64_t (*timed)(void), uint64_t *max)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < REPS; i++) {
		uint64_t d = timed();

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	*max = hi;
	return lo;
}

int
main(int argc, char **argv)
{
	uint64_t call_max, base_max, call, base;
	const char *unit = argc > 1 && strcmp(argv[1], "cycles") == 0 ? "cycles" : "instructions";

	if (sys_null() != 0) {
		printf("benchnull: sys_null returned an error\n");
		return 1;
	}
	call = min_of(timed_syscall, &call_max);
	base = min_of(timed_nothing, &base_max);
	printf("benchnull: %d samples: with syscall min %lu max %lu, without min %lu max %lu\n",
	       REPS, (unsigned long)call, (unsigned long)call_max, (unsigned long)base,
	       (unsigned long)base_max);
	printf("BENCH syscall_null %lu %s\n", (unsigned long)(call - base), unit);
	return 0;
}
