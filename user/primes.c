/* primes: the first N primes (default 10) by the concurrent prime sieve (McIlroy; Hoare's CSP
 * paper): a generator writes 2, 3, 4, ... into a pipe; each filter env prints the first
 * number it reads, a prime p, forks the next filter and passes on the numbers p does not
 * divide.  The filter that prints the N-th prime exits: its upstream's next write fails with
 * E_PIPE, which ends that one, and so on back to the generator.  Each env waits for the one
 * it forked, so when the generator exits every filter has. */
#include "fd.h"
#include "fork.h"
#include "libos.h"

/* One int from fd, or 0 at end of file (a pipe read may return part of it). */
static int
read_int(int fd, int *v)
{
	char *p = (char *)v;
	size_t got = 0;
	long n;

	while (got < sizeof(*v)) {
		if ((n = read(fd, p + got, sizeof(*v) - got)) <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

static __attribute__((noreturn)) void
filter(int left, int k, int n)
{
	int p, x, fds[2];
	long child;

	if (!read_int(left, &p))
		exit(1);
	dprintf(1, "%d\n", p);
	if (k == n)
		exit(0); /* closes left: the upstream's writes fail */
	if (pipe(fds) < 0 || (child = fork()) < 0)
		panic("no pipe or no fork for the filter after %d", p);
	if (child == 0) {
		close(fds[1]);
		close(left);
		filter(fds[0], k + 1, n);
	}
	close(fds[0]);
	while (read_int(left, &x))
		if (x % p != 0 && write(fds[1], &x, sizeof(x)) != sizeof(x))
			break;
	close(left);
	close(fds[1]);
	wait(child, NULL);
	exit(0);
}

int
main(int argc, char **argv)
{
	int n = 0, fds[2];
	long child;

	for (const char *s = argc > 1 ? argv[1] : "10"; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (*s - '0');
	if (n <= 0 || n > 50) {
		dprintf(2, "usage: primes [N], 1 <= N <= 50\n");
		return 2;
	}
	if (pipe(fds) < 0 || (child = fork()) < 0)
		panic("no pipe or no fork for the first filter");
	if (child == 0) {
		close(fds[1]);
		filter(fds[0], 1, n);
	}
	close(fds[0]);
	for (int x = 2;; x++)
		if (write(fds[1], &x, sizeof(x)) != sizeof(x))
			break;
	close(fds[1]);
	wait(child, NULL);
	return 0;
}
