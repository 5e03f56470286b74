/* spin: code that never gives the CPU back, to show that the timer takes it anyway.
 *
 *   spin           (a test in init's list) spawns "spin forever" and shares a page with it;
 *                  its own yields must come back, with the spinner's counter in that page
 *                  grown meanwhile; then it destroys the spinner through its env capability
 *                  and exits.  Both are kept on CPU 0 (env_set_sched's affinity) so that on
 *                  a multiprocessor too only the timer can bring the parent's turn back.
 *   spin forever   waits until the counter page is mapped, prints one line, then counts in
 *                  a loop with no system call until it is destroyed.
 *   init=spin      as the first env: spawns every program of tests=a,b,c at once, then
 *                  spins itself; the programs still run to their end (the monitor, which
 *                  only runs once nothing is runnable, is never reached). */
#include <stdint.h>

#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define COUNTER_VA 0x30000000ull /* the spinner's counter, in both envs */
#define NYIELDS    10
#define MAX_YIELDS 100000
#define INIT_QUOTA 64 /* pages for each program init=spin starts */

static int nchecks, nfailed;

static void
check(int ok, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("spin: %s %s\n", what, ok ? "OK" : "FAIL");
}

/* Spins for good: the loop makes no system call, so only the timer ends its turns. */
static __attribute__((noreturn)) void
spin(volatile uint64_t *counter)
{
	for (;;)
		(*counter)++;
}

/* The parent may map the counter page only after this env has started: wait for it
 * (protect to its own permissions fails with E_NOENT until it is mapped). */
static void
spinner(void)
{
	int i;

	for (i = 0; i < MAX_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, COUNTER_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			break;
		sys_yield();
	}
	if (i == MAX_YIELDS) {
		printf("spin[forever]: sync: the counter page is mapped FAIL\n");
		exit(1);
	}
	printf("spin[forever]: env 0x%lx spins\n", (unsigned long)sys_env_id());
	spin((volatile uint64_t *)COUNTER_VA);
}

static long
share_counter(uint64_t env)
{
	long page = slot_alloc();

	if (page < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)page,
	                    CAP_R_READ | CAP_R_WRITE | CAP_R_MAP) < 0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)page, COUNTER_VA, ABI_PERM_R | ABI_PERM_W) < 0 ||
	    sys_map(env, (uint64_t)page, COUNTER_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot share the counter page");
	return page;
}

/* Keeps `env` on CPU 0 with the default parameters (a kernel without env_set_sched has one
 * CPU anyway: its error is ignored). */
static void
pin_to_cpu0(uint64_t env)
{
	struct abi_sched_params p = { .priority = 32, .tickets = 100 };

	(void)sys_env_set_sched(env, &p, 1);
}

/* Every yield hands the CPU to the spinner (the next runnable env after this one); it
 * comes back only because the timer preempts the spinner. */
static void
watch(void)
{
	volatile uint64_t *counter = (volatile uint64_t *)COUNTER_VA;
	long env = slot_alloc(), page;
	uint64_t start;

	if (env < 0 || sys_spawn("spin forever", 12, (uint64_t)env, ABI_SLOT_UNTYPED, 0) < 0)
		panic("cannot spawn the spinner");
	pin_to_cpu0(ABI_SLOT_SELF);
	pin_to_cpu0((uint64_t)env);
	page = share_counter((uint64_t)env);
	for (int i = 0; i < MAX_YIELDS && *counter == 0; i++)
		sys_yield();
	check(*counter != 0, "preempt: the spinner runs, and this env gets the CPU back");
	start = *counter;
	for (int i = 0; i < NYIELDS; i++)
		sys_yield();
	check(*counter > start, "preempt: 10 more yields to the spinner came back, and it ran");
	check(sys_env_status((uint64_t)env) == ENV_RUNNABLE, "preempt: the spinner stays runnable");
	check(sys_env_destroy((uint64_t)env) == 0 && sys_env_status((uint64_t)env) == ENV_DEAD,
	      "destroy: the spinner is destroyed through its env capability");
	check(sys_cap_delete((uint64_t)env) == 0 && sys_unmap(ABI_SLOT_SELF, COUNTER_VA) == 0 &&
	          sys_cap_delete((uint64_t)page) == 0,
	      "destroy: its capability and the counter page are gone");
	slot_free((uint64_t)env);
	slot_free((uint64_t)page);
}

/* init=spin: starts the whole test list at once, then never yields again. */
static __attribute__((noreturn)) void
spin_as_init(void)
{
	const char *list = libos_envinfo->tests;
	uint64_t local = 0;
	int n = 0;

	while (*list != '\0') {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);
		long slot = slot_alloc();

		if (len > 0 && slot >= 0 &&
		    sys_spawn(list, len, (uint64_t)slot, ABI_SLOT_UNTYPED, INIT_QUOTA) >= 0)
			n++;
		list += comma ? len + 1 : len;
	}
	printf("spin: init started %d programs and spins\n", n);
	spin(&local);
}

int
main(int argc, char **argv)
{
	if (libos_envinfo->parent == 0)
		spin_as_init();
	if (argc > 1 && strcmp(argv[1], "forever") == 0)
		spinner();
	watch();
	printf("spin: %d of %d checks failed\n", nfailed, nchecks);
	return nfailed ? 1 : 0;
}
