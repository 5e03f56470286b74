/* The LibOS interface of user programs: start-up information, console output, panic, exit,
 * capability slot allocation and waiting for a child env. */
#ifndef EXOLAB_LIBOS_H
#define EXOLAB_LIBOS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/env.h"
#include "abi/error.h"
#include "abi/syscall.h"

/* The exit status of a program that panicked or could not start. */
#define LIBOS_PANIC_STATUS 255

/* Command-line words beyond this many are dropped. */
#define LIBOS_MAX_ARGS 16

/* Every program's main; argv comes from the env info page's command line split at spaces,
 * argv[0] is the program's name.  Returning from main exits with its value. */
int main(int argc, char **argv);

/* This env's info page (ABI_ENVINFO_VA, read-only), set before main runs. */
extern const struct abi_envinfo *libos_envinfo;

const char *libos_progname(void);

/* Sorts n values ascending in place (lib/user/sort.c: small sample arrays). */
void sort_u64(uint64_t *v, unsigned n);
__attribute__((noreturn)) void exit(int status);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int puts(const char *s);
int putchar(int c);
/* For a console reader whose sys_cgetc said E_AGAIN: blocks until console input arrives
 * (a notification the kernel signals, cons_notify), or just yields where the kernel cannot
 * say (no input interrupts); either way the caller calls sys_cgetc again. */
void cons_wait_input(void);

/* Prints "<prog>: panic at <file>:<line>: <message>" and exits with LIBOS_PANIC_STATUS. */
__attribute__((noreturn, format(printf, 3, 4))) void libos_panic(const char *file, int line,
                                                                 const char *fmt, ...);
#define panic(...) libos_panic(__FILE__, __LINE__, __VA_ARGS__)
#define assert(x)                                                                                  \
	do {                                                                                       \
		if (!(x))                                                                          \
			panic("assertion failed: %s", #x);                                         \
	} while (0)

/* Capability slots of this env's table: the lowest free one at or above the first slot the
 * kernel left free (E_NOMEM when none is left), and giving one back.  Only slots this
 * allocator handed out are tracked; the caller deletes the capability itself. */
long slot_alloc(void);
void slot_free(uint64_t slot);
/* Marks `slot` used (a capability someone else put there): 0, E_RANGE or E_BUSY. */
int slot_reserve(uint64_t slot);
/* The pages left in this env's quota (the untyped capability in ABI_SLOT_UNTYPED), 0 when
 * it cannot be read. */
uint64_t libos_quota_pages(void);
/* The pages the kernel's loader maps for this program (its segments, ABI_USTACK_PAGES of
 * stack and the env info page): what spawn charges its creator's quota for them. */
uint64_t libos_image_pages(void);

/* devices.c: this env's device capabilities, slots *first .. *first + count - 1 (count 0:
 * none).  init's come from the kernel, a spawned program's from its parent (spawn.c). */
uint64_t libos_devices(uint64_t *first);
void libos_devices_received(uint64_t first, uint64_t count);

/* The time-stamp counter (SDM Vol. 2B RDTSC): under `qemu -icount shift=0` it counts
 * instructions, which the kernel benchmarks and the scheduling tests rely on. */
static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* A drivers' nanosecond deadline (their clock is rdtsc / tsc_per_ns) as the TSC value
 * sleep_until and notify_wait_until take, clamped below ABI_SLEEP_MAX. */
static inline uint64_t
libos_tsc_deadline(uint64_t ns, uint64_t tsc_per_ns)
{
	if (ns >= (ABI_SLEEP_MAX - 1) / tsc_per_ns)
		return ABI_SLEEP_MAX - 1;
	return ns * tsc_per_ns == 0 ? 1 : ns * tsc_per_ns;
}

/* Yields until the env named by the capability in `eslot` is ENV_DEAD: 0 then, E_AGAIN after
 * `max_yields` yields without that, or the error sys_env_status returned. */
int env_wait_dead(uint64_t eslot, uint64_t max_yields);

#endif
