/* pipebench: the LibOS pipe round trip.  Two envs (fork) pass one byte each way through two
 * pipes, ROUNDS times after WARMUP; prints the mean rdtsc cycles per round trip, which under
 * `qemu -icount shift=0` are instructions (issue 11's goal: <= 2,000).  Run it as
 * `make qemu-nox ARGS="tests=pipebench lockcheck=off" QEMUEXTRA="-icount shift=0,sleep=off"`. */
#include "fd.h"
#include "fork.h"
#include "libos.h"

#define WARMUP 100
#define ROUNDS 1000

int
main(int argc, char **argv)
{
	int there[2], back[2];
	uint64_t t0 = 0;
	long id;
	char c = 'x';

	(void)argc;
	(void)argv;
	if (pipe(there) < 0 || pipe(back) < 0 || (id = fork()) < 0)
		panic("no pipes or no fork");
	if (id == 0) {
		while (read(there[0], &c, 1) == 1)
			write(back[1], &c, 1);
		exit(0);
	}
	for (int i = 0; i < WARMUP + ROUNDS; i++) {
		if (i == WARMUP)
			t0 = rdtsc();
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			panic("round trip %d failed", i);
	}
	printf("pipebench: %lu cycles per round trip (%d rounds)\n",
	       (unsigned long)((rdtsc() - t0) / ROUNDS), ROUNDS);
	close(there[1]);
	wait(id, NULL);
	return 0;
}
