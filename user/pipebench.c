/* pipebench: the LibOS pipe round trip (bench/ipc/ipc.mk, `make bench-pipe`).  Two envs
 * (fork) pass one byte each way through two pipes, ROUNDS times after WARMUP, on one CPU;
 * prints the mean rdtsc cycles of a round trip (each timed alone, so bench/sched/profile.py
 * can profile one), which under `qemu -icount shift=0` are instructions (issue 11's goal: <=
 * 2,000), as `BENCH pipe_roundtrip N instructions`.  The mean, not the best: every round trip
 * blocks and wakes through the kernel, and a wake-up the pipe's fast path skips must show here. */
#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"

#define WARMUP    100
#define ROUNDS    1000
#define PAIR_PRIO 16 /* smaller is more urgent; envs start at SCHED_PRIO_LEVELS / 2 = 32 */

/* A hint: a policy without priorities ignores it, one that refuses it changes nothing. */
static void
urgent(void)
{
	struct abi_sched_params p = { .priority = PAIR_PRIO, .tickets = 100 };

	(void)sys_env_set_sched(ABI_SLOT_SELF, &p, ~0ull);
}

int
main(int argc, char **argv)
{
	int there[2], back[2];
	uint64_t sum = 0;
	long id, err;
	char c = 'x';

	(void)argc;
	(void)argv;
	urgent();
	if ((err = pipe(there)) < 0 || (err = pipe(back)) < 0 || (err = id = fork()) < 0)
		panic("no pipes or no fork: %s", error_name((int)err));
	if (id == 0) {
		urgent();
		while (read(there[0], &c, 1) == 1)
			write(back[1], &c, 1);
		exit(0);
	}
	for (int i = 0; i < WARMUP + ROUNDS; i++) {
		uint64_t t = rdtsc();

		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			panic("round trip %d failed", i);
		t = rdtsc() - t;
		sum += i >= WARMUP ? t : 0;
	}
	printf("BENCH pipe_roundtrip %lu instructions\n", (unsigned long)(sum / ROUNDS));
	close(there[1]);
	wait(id, NULL);
	return 0;
}
