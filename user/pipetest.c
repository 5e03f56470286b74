/* pipetest: the LibOS's file descriptors, pipes and shell, checked from the inside.  Prints
 * one "pipetest: TAG: what OK|FAIL" line per check (grade/lab4c.py counts them from this
 * source), then "pipetest: N checks failed".
 *   eof    a reader sees the bytes, then end of file once every writer (here and in a forked
 *          child) has closed, and not before
 *   epipe  a write fails with E_PIPE once every reader (here and in a child) has closed
 *   fork   a forked child's copy of the fd table: it writes into the parent's pipe, its
 *          console fd still works, dup2 onto fd 1 sends its printf-less output there
 *   epipe  ... and a writer waiting on a full ring gets it when the last reader closes
 *   block  a write of more than the ring holds blocks until a child reads, nothing lost;
 *          several writers and readers at once (any of them may sleep, on any CPU): every
 *          byte arrives exactly once
 *   sh     shell lines run with fd 0 and 1 on pipes: their output, read back, and status
 *   bad    bad shell input: status, and one line on the console (the grader checks it) */
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

/* The shell's quota: primes 10 makes eleven envs, each with its env_cost and tables, and
 * primes 5 | wc leaves each command half of it less spawn's charge (sh.c, CMD_OVERHEAD). */
#define SH_PAGES   440
#define BIG        (3 * 4096 + 123) /* more than a pipe's ring */
#define MANY_W     3                /* writers of test_many */
#define MANY_R     2                /* readers of test_many, besides the parent */
#define MANY_BYTES 6000             /* each writer's, in chunks of MANY_CHUNK */
#define MANY_CHUNK 250
#define SAVE_IN    12
#define SAVE_OUT   13

static int nfailed;

static void
check(int ok, const char *what)
{
	nfailed += !ok;
	printf("pipetest: %s %s\n", what, ok ? "OK" : "FAIL");
}

/* Reads fd until end of file (or max - 1 bytes) into buf, NUL-terminated; the byte count. */
static long
slurp(int fd, char *buf, size_t max)
{
	size_t got = 0;
	long n;

	while (got < max - 1 && (n = read(fd, buf + got, max - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return (long)got;
}

static void
test_eof(void)
{
	int p[2];
	char buf[64];
	long id, n;

	check(pipe(p) == 0, "eof: pipe() gives two fds");
	if ((id = fork()) == 0) {
		write(p[1], "from child", 10);
		exit(0); /* closes the child's copies */
	}
	wait(id, NULL);
	write(p[1], "+parent", 7);
	n = read(p[0], buf, sizeof(buf));
	check(n == 17 && memcmp(buf, "from child+parent", 17) == 0,
	      "eof: the child's and the parent's bytes, in order");
	close(p[1]);
	check(read(p[0], buf, sizeof(buf)) == 0, "eof: end of file once every writer closed");
	check(read(p[0], buf, sizeof(buf)) == 0, "eof: and again");
	close(p[0]);
	check(read(p[0], buf, 1) == E_NOENT, "eof: a closed fd reads E_NOENT");
}

static void
test_epipe(void)
{
	int p[2], st = -1;
	long id;

	pipe(p);
	if ((id = fork()) == 0) {
		char c;

		close(p[1]);
		exit(read(p[0], &c, 1) == 1 && c == 'x' ? 0 : 1);
	}
	close(p[0]);
	check(write(p[1], "x", 1) == 1, "epipe: a write while the child still reads");
	wait(id, &st);
	check(st == 0, "epipe: the child read it");
	check(write(p[1], "y", 1) == E_PIPE, "epipe: E_PIPE once every reader closed");
	close(p[1]);
}

/* A writer that fills the ring and waits there gets E_PIPE when the last reader goes. */
static void
test_epipe_waiting(void)
{
	static char big[BIG];
	int p[2], st = -1;
	long id;
	char c;

	pipe(p);
	if ((id = fork()) == 0) {
		close(p[0]);
		exit(write(p[1], big, BIG) == E_PIPE ? 0 : 1);
	}
	close(p[1]);
	check(read(p[0], &c, 1) == 1, "epipe: the writer's first byte arrives");
	close(p[0]);
	check(wait(id, &st) == 0 && st == 0,
	      "epipe: a writer with more than the ring holds gets E_PIPE when the reader closes");
}

static void
test_fork(void)
{
	int p[2], st = -1;
	char buf[64];
	long id;

	pipe(p);
	if ((id = fork()) == 0) {
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		dprintf(1, "child via fd 1");
		exit(dprintf(2, "pipetest[child]: fd 2 is still the console\n") > 0 ? 0 : 1);
	}
	close(p[1]);
	check(slurp(p[0], buf, sizeof(buf)) == 14 && strcmp(buf, "child via fd 1") == 0,
	      "fork: the child's dup2'd fd 1 writes into the parent's pipe, then EOF");
	close(p[0]);
	check(wait(id, &st) == 0 && st == 0, "fork: the child exits 0");
}

static void
test_block(void)
{
	static char big[BIG];
	int p[2], st = -1;
	long id;

	for (int i = 0; i < BIG; i++)
		big[i] = (char)(i * 7);
	pipe(p);
	if ((id = fork()) == 0) {
		long got = 0, n;
		char c[512];
		int bad = 0;

		close(p[1]);
		while ((n = read(p[0], c, sizeof(c))) > 0) {
			for (long i = 0; i < n; i++)
				bad += c[i] != (char)((got + i) * 7);
			got += n;
		}
		exit(got == BIG && !bad ? 0 : 1);
	}
	close(p[0]);
	check(write(p[1], big, BIG) == BIG, "block: a write three times the ring returns whole");
	close(p[1]);
	check(wait(id, &st) == 0 && st == 0, "block: the child read every byte in order");
}

/* One of test_many's readers: counts each writer's bytes until end of file. */
static void
count_bytes(int fd, uint32_t got[MANY_W])
{
	char c[96];
	long n;

	while ((n = read(fd, c, sizeof(c))) > 0)
		for (long i = 0; i < n; i++)
			if (c[i] >= 'a' && c[i] < 'a' + MANY_W)
				got[c[i] - 'a']++;
}

/* MANY_W writers and MANY_R + 1 readers on one pipe, each forked reader sending its counts
 * back through a second pipe: the sums are each writer's bytes, exactly. */
static void
test_many(void)
{
	uint32_t got[MANY_W] = { 0 }, theirs[MANY_W];
	int p[2], res[2], st, bad = 0;
	long ids[MANY_W + MANY_R];

	pipe(p);
	pipe(res);
	for (int i = 0; i < MANY_W + MANY_R; i++) {
		if ((ids[i] = fork()) != 0)
			continue;
		close(res[0]);
		if (i < MANY_W) {
			char chunk[MANY_CHUNK];

			close(p[0]);
			memset(chunk, 'a' + i, sizeof(chunk));
			for (int k = 0; k < MANY_BYTES / MANY_CHUNK; k++)
				if (write(p[1], chunk, sizeof(chunk)) != sizeof(chunk))
					exit(1);
			exit(0);
		}
		close(p[1]);
		count_bytes(p[0], got);
		exit(write(res[1], got, sizeof(got)) == sizeof(got) ? 0 : 1);
	}
	close(p[1]);
	close(res[1]);
	count_bytes(p[0], got);
	close(p[0]);
	for (int i = 0; i < MANY_R; i++) {
		bad += read(res[0], theirs, sizeof(theirs)) != sizeof(theirs);
		for (int w = 0; w < MANY_W; w++)
			got[w] += theirs[w];
	}
	close(res[0]);
	for (int i = 0; i < MANY_W + MANY_R; i++)
		bad += wait(ids[i], &st) != 0 || st != 0;
	for (int w = 0; w < MANY_W; w++)
		bad += got[w] != MANY_BYTES;
	check(bad == 0, "block: 3 writers, 3 readers: each writer's 6000 bytes read exactly once");
}

/* Runs `sh -c line` (or `sh` reading `input`) with fd 1 on a pipe whose text ends up in out
 * (with out NULL, fd 1 stays the console); its exit status. */
static int
run_sh(const char *line, const char *input, char *out, size_t max)
{
	const char *argv[] = { "sh", line ? "-c" : NULL, line, NULL };
	int po[2] = { -1, -1 }, pi[2] = { -1, -1 }, st = -1;
	long id;

	dup2(0, SAVE_IN);
	dup2(1, SAVE_OUT);
	if (out != NULL) {
		pipe(po);
		dup2(po[1], 1);
		close(po[1]);
	}
	if (input != NULL) {
		pipe(pi);
		dup2(pi[0], 0);
		close(pi[0]);
	}
	id = spawn("sh", argv, SH_PAGES);
	dup2(SAVE_IN, 0);
	dup2(SAVE_OUT, 1);
	close(SAVE_IN);
	close(SAVE_OUT);
	if (input != NULL) {
		write(pi[1], input, strlen(input));
		close(pi[1]);
	}
	if (out != NULL) {
		slurp(po[0], out, max);
		close(po[0]);
	}
	if (id < 0)
		printf("pipetest: spawn sh: %s\n", error_name((int)id));
	if (id < 0 || wait(id, &st) < 0)
		return -1000;
	return st;
}

static void
test_sh(void)
{
	char out[256];

	check(run_sh("echo hi | wc", NULL, out, sizeof(out)) == 0 && strcmp(out, "1 1 3\n") == 0,
	      "sh: echo hi | wc prints 1 1 3");
	check(run_sh("echo a  'b c' \"d\" | cat | wc", NULL, out, sizeof(out)) == 0 &&
	          strcmp(out, "1 4 8\n") == 0,
	      "sh: a 3-stage pipeline with quoted words prints 1 4 8");
	check(run_sh("primes 10", NULL, out, sizeof(out)) == 0 &&
	          strcmp(out, "2\n3\n5\n7\n11\n13\n17\n19\n23\n29\n") == 0,
	      "sh: primes 10 prints the first ten primes");
	check(run_sh("primes 5 | wc", NULL, out, sizeof(out)) == 0 && strcmp(out, "5 5 11\n") == 0,
	      "sh: primes 5 | wc prints 5 5 11");
	check(run_sh(NULL, "echo one two | grep two\necho three | grep two\necho $?\n", out,
	             sizeof(out)) == 0 &&
	          strcmp(out, "one two\n1\n") == 0,
	      "sh: grep prints the matching line, and exits 1 without one");
	check(run_sh("exit 7", NULL, out, sizeof(out)) == 7, "sh: exit 7 exits with 7");
	check(run_sh(NULL, "nosuchprog\necho $?\necho one &\nwait\necho two\n", out, sizeof(out)) ==
	              0 &&
	          strcmp(out, "127\none\ntwo\n") == 0,
	      "sh: a script on fd 0: $? after an unknown command, & and wait");
}

static void
test_bad(void)
{
	char out[256];

	check(run_sh("nosuchprog a b", NULL, out, sizeof(out)) == 127 && out[0] == '\0',
	      "bad: an unknown command: status 127");
	check(run_sh("echo 'open", NULL, out, sizeof(out)) == 2 && out[0] == '\0',
	      "bad: an unmatched quote: status 2");
	check(run_sh("echo hi |", NULL, out, sizeof(out)) == 2 && out[0] == '\0',
	      "bad: a pipe to nothing: status 2");
	/* On the console: wc's fd 1 would otherwise be one more writer of a pipe here, and it
	 * is destroyed, not closed (pipe.c's limit). */
	check(run_sh("faultread | wc", NULL, NULL, 0) == WAIT_KILLED,
	      "bad: a killed writer: the shell destroys its reader and goes on");
	check(run_sh(NULL, "| wc\necho still here\n", out, sizeof(out)) == 0 &&
	          strcmp(out, "still here\n") == 0,
	      "bad: a pipe from nothing, and the shell goes on");
}

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_eof();
	test_epipe();
	test_epipe_waiting();
	test_fork();
	test_block();
	test_many();
	test_sh();
	test_bad();
	printf("pipetest: %d checks failed\n", nfailed);
	return nfailed != 0;
}
