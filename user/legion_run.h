/* legion's runner (user/legion.c): one program run with its stdout and stderr on a pipe that
 * legion reads, a line at a time, and forwards to the screen and the netconsole (the console
 * tee), within a bound of time.
 *
 * The LibOS's pipe read blocks and has no deadline, so the bound is kept by a second env: for
 * each run legion spawns itself as a runner (`legion -run SECONDS PAGES PROG ARGS...`, fds 1 and
 * 2 the pipe; a spawn, not a fork, so it gets legion's device capabilities to hand on), which
 * spawns the program with the same fds (so its printf lands in the pipe: lib/user/console.c),
 * watches it, destroys it when the bound passes, reaps it (wait gives a killed child's pipe
 * ends back) and writes one last line into the pipe, the status line: LEGION_MARK then the
 * status in decimal.  legion stops reading at that line, not at end of file, so a grandchild
 * left holding the pipe cannot keep it waiting.  Only the runner sleeps; legion blocks in the
 * pipe's read. */
#ifndef EXOLAB_USER_LEGION_RUN_H
#define EXOLAB_USER_LEGION_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define LEGION_MARK       '\x1e'  /* ASCII RS: starts the runner's status line */
#define LEGION_ST_TIMEOUT 0x10000 /* statuses beyond any exit's byte: the bound passed */
#define LEGION_ST_NOSPAWN 0x10001 /* ... the program could not be started */
#define LEGION_PAGES      512     /* quota pages a program gets, as init gives a test */
#define LEGION_RUN_OWN    256     /* the runner's own pages, beyond what it gives the program */
#define LEGION_SAVE_FD    (FD_MAX - 1) /* legion's console, while fds 1 and 2 are the pipe */
#define LEGION_LINE       256
#define LEGION_WATCH_HZ   20 /* the runner looks at its program this often */

/* What a run's lines are given to (bench and selftest parse them) and what it ended with. */
struct legion_run {
	void (*line)(struct legion_run *run, const char *line);
	void *arg;
	bool raw;   /* forward bytes as they come (a shell's prompt), not whole lines */
	int status; /* exit status, WAIT_KILLED, or a LEGION_ST_* */
	bool ended; /* the status line came */
	bool marker;
	unsigned len;
	char buf[LEGION_LINE];
};

static int
legion_atoi(const char *s)
{
	int v = 0, neg = *s == '-';

	for (s += neg; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

/* The runner's main: argv is `legion -run SECONDS PAGES PROG ARGS...` (SECONDS 0: no bound;
 * PAGES: the program's quota). */
static int
legion_runner(int argc, char **argv)
{
	uint64_t hz = libos_envinfo->tsc_hz ? libos_envinfo->tsc_hz : 1000000000ull;
	unsigned seconds = argc > 4 ? (unsigned)legion_atoi(argv[2]) : 0;
	uint64_t pages = argc > 4 ? (uint64_t)legion_atoi(argv[3]) : 0;
	int status = 0, st;
	long id, slot;

	if (argc < 5) {
		printf("usage: legion -run SECONDS PAGES PROG [ARGS...]\n");
		return 1;
	}
	id = spawn(argv[4], (const char *const *)argv + 4, pages);
	if (id < 0) {
		printf("legion: cannot start %s: %s\n", argv[4], error_name((int)id));
		dprintf(1, "%c%d\n", LEGION_MARK, LEGION_ST_NOSPAWN);
		return 0;
	}
	slot = fork_child_slot(id);
	if (seconds != 0 && slot >= 0) {
		uint64_t end = rdtsc() + seconds * hz;

		while (sys_env_status((uint64_t)slot) != ENV_DEAD && rdtsc() < end)
			sys_sleep_until(rdtsc() + hz / LEGION_WATCH_HZ, 0);
		if (sys_env_status((uint64_t)slot) != ENV_DEAD) {
			printf("legion: %s did not end within %u s: destroyed\n", argv[4], seconds);
			sys_env_destroy((uint64_t)slot);
			status = LEGION_ST_TIMEOUT;
		}
	}
	if (wait(id, &st) < 0)
		st = WAIT_KILLED;
	dprintf(1, "%c%d\n", LEGION_MARK, status != 0 ? status : st);
	return 0;
}

/* One byte from the pipe: a line is complete at '\n' (or when the buffer is full). */
static void
legion_byte(struct legion_run *r, char c)
{
	if (r->len == 0)
		r->marker = c == LEGION_MARK;
	if (c != '\n' && r->len < sizeof(r->buf) - 1) {
		r->buf[r->len++] = c;
		return;
	}
	r->buf[r->len] = 0;
	if (r->marker) {
		r->status = legion_atoi(r->buf + 1);
		r->ended = true;
		return;
	}
	/* One console write per line: the kernel's own lines cannot land inside it. */
	if (!r->raw)
		printf("%s\n", r->buf);
	if (r->line != NULL)
		r->line(r, r->buf);
	r->len = 0;
	if (c != '\n')
		legion_byte(r, c);
}

/* Takes buf[0..n) from the pipe: the lines before the status line go to the console (and so
 * the tee) whole, or in raw mode the bytes as they come: a shell's prompt has no newline. */
static void
legion_forward(struct legion_run *r, const char *buf, long n)
{
	long i, shown = -1;

	for (i = 0; i < n && !r->ended; i++) {
		if (shown < 0 && (r->len == 0 ? buf[i] == LEGION_MARK : r->marker))
			shown = i;
		legion_byte(r, buf[i]);
	}
	if (shown < 0)
		shown = i;
	if (r->raw && shown > 0)
		printf("%.*s", (int)shown, buf);
}

#endif
