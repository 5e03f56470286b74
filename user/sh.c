/* sh: the LibOS shell.  Reads command lines from fd 0 (`sh`, with a prompt when fd 0 is the
 * console) or runs one (`sh -c LINE`, exiting with its status).  A line is a pipeline
 * `cmd [args] | cmd ... [&]`: every command is a ramdisk program spawned with spawn(), fd 0
 * and 1 joined by pipes; the shell waits for all of them unless the line ends with `&`, and
 * `$?` is the last one's exit status.  `< FILE` after a command gives it the ramdisk file
 * FILE as fd 0 (file.h; `>` has nowhere to write).  Words may be quoted with '...'
 * (literal) or "..." ($? expanded).  Built-ins, alone on a line: `exit [N]`, `wait` (every
 * background job), `monitor` (see do_monitor), `leaks` (the kernel's leak-check line).  Bad input
 * prints one line and the shell goes on.  At start-up it makes the partition board that
 * every command inherits (partition.h, docs/partitions.md "The board"). */
#include <stdbool.h>
#include <stdint.h>

#include "fd.h"
#include "file.h"
#include "fork.h"
#include "abi/syscall.h"
#include "libos.h"
#include "partition.h"
#include "usyscall.h"
#include "xstring.h"

#define LINE_MAX  256
#define MAX_CMDS  8
#define MAX_WORDS (LIBOS_MAX_ARGS - 1) /* spawn appends its mark */
#define MAX_JOBS  16
#define SAVE_IN   (FD_MAX - 2) /* the shell's own fd 0 and 1 while a pipeline is set up */
#define SAVE_OUT  (FD_MAX - 1)
/* Pages the shell keeps for itself; the rest of its quota is split among a line's commands
 * (at most CMD_PAGES_MAX each: primes' filters share their program's; a driver's packet
 * pool and rings, e.g. udpecho's 256 buffers, take about 140). */
#define SH_PAGES      36
#define CMD_PAGES_MAX 512
/* What spawn charges the shell's quota beside a command's pages: the env (env_cost: its
 * PML4, FPU area and capability table), its program's page tables and every page the loader
 * maps (segments, 16 stack pages, the info page; docs/architecture.md, "Lifetimes"): 38
 * for most programs, up to 58 for the network ones (udpecho), which run alone and take the
 * rest from SH_PAGES. */
#define CMD_OVERHEAD 48
/* The partition board (partition.h) costs PART_BOARD_PAGES; a shell with less quota than this
 * has none (legion's 512-page shell), and fpstat shows only the cores there. */
#define BOARD_MIN_QUOTA (4 * CMD_PAGES_MAX)

struct cmd {
	int argc;
	char *argv[MAX_WORDS + 1];
	char *in; /* `< in`, or NULL */
};

struct line {
	int ncmds;
	bool background;
	bool redirect; /* a `<` waits for its file name: the next word */
	struct cmd cmd[MAX_CMDS];
	char words[LINE_MAX * 2]; /* the words' text, NUL-separated ($? may lengthen one) */
};

static int last_status;
static uint64_t board_pages; /* of the quota, kept for the partition board */
static long jobs[MAX_JOBS];
static int njobs;

/* Appends the word being built to the command (or makes it the file of a pending `<`); false
 * (with the message) if too many. */
static bool
end_word(struct line *l, char **w, char **out, bool *in_word)
{
	struct cmd *c = &l->cmd[l->ncmds - 1];

	if (!*in_word)
		return true;
	*(*out)++ = '\0';
	if (l->redirect) {
		c->in = *w;
		l->redirect = false;
	} else if (c->argc == MAX_WORDS) {
		dprintf(2, "sh: more than %d words in a command\n", MAX_WORDS);
		return false;
	} else {
		c->argv[c->argc++] = *w;
		c->argv[c->argc] = NULL;
	}
	*w = *out;
	*in_word = false;
	return true;
}

/* $? at s (inside a word): the status's digits at *out; true if s was $?. */
static bool
expand_status(const char **s, char **out)
{
	char digits[16];
	int n = 0;
	unsigned v = last_status < 0 ? (unsigned)-last_status : (unsigned)last_status;

	if ((*s)[0] != '$' || (*s)[1] != '?')
		return false;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (last_status < 0)
		*(*out)++ = '-';
	while (n > 0)
		*(*out)++ = digits[--n];
	*s += 2;
	return true;
}

/* Splits `s` into l; 0, or -1 after printing what is wrong. */
static int
parse(const char *s, struct line *l)
{
	char *out = l->words, *w = out, quote = 0;
	bool in_word = false;

	memset(l, 0, sizeof(*l) - sizeof(l->words));
	l->ncmds = 1;
	for (;;) {
		char c = *s;

		if (quote != 0 && c != '\0' && c != quote) {
			if (quote == '"' && expand_status(&s, &out))
				continue;
			*out++ = c;
			s++;
			continue;
		}
		if (c == '\0' && quote != 0) {
			dprintf(2, "sh: unmatched %c\n", quote);
			return -1;
		}
		if (c == '\'' || c == '"') {
			quote = quote ? 0 : c;
			in_word = true;
			s++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\0' || c == '|' || c == '&' ||
		    c == '<' || c == '>') {
			if (!end_word(l, &w, &out, &in_word))
				return -1;
		}
		if (l->redirect && (c == '\0' || c == '|' || c == '&' || c == '<' || c == '>')) {
			dprintf(2, "sh: '<' needs a file name\n");
			return -1;
		}
		if (c == '\0')
			break;
		if (l->background) {
			dprintf(2, "sh: '&' must end the line\n");
			return -1;
		}
		if (c == '|') {
			if (l->cmd[l->ncmds - 1].argc == 0 || l->ncmds == MAX_CMDS) {
				dprintf(2, "sh: a pipe from nothing (or more than %d commands)\n",
				        MAX_CMDS);
				return -1;
			}
			l->ncmds++;
		} else if (c == '&') {
			l->background = true;
		} else if (c == '<') {
			l->redirect = true;
		} else if (c == '>') {
			dprintf(2, "sh: '>' is not supported: the ramdisk is read-only\n");
			return -1;
		} else if (c != ' ' && c != '\t' && c != '\n') {
			if (!expand_status(&s, &out)) {
				*out++ = c;
				s++;
			}
			in_word = true;
			continue;
		}
		s++;
	}
	if (l->cmd[l->ncmds - 1].argc == 0 && (l->ncmds > 1 || l->background)) {
		dprintf(2, "sh: %s\n", l->ncmds > 1 ? "a pipe to nothing" : "'&' with no command");
		return -1;
	}
	return 0;
}

static void
wait_jobs(void)
{
	for (int i = 0; i < njobs; i++) {
		int st;

		if (wait(jobs[i], &st) == 0)
			dprintf(2, "[%lx] done, status %d\n", (unsigned long)jobs[i], st);
	}
	njobs = 0;
}

/* The kernel monitor runs once no env is left (kern/env/run.c all_done), so the shell can
 * reach it only by ending, and only if it is the first env (`init=sh`) and every job is done;
 * a shell another env started says so instead. */
static void
do_monitor(void)
{
	if (libos_envinfo->parent != 0) {
		dprintf(2,
		        "sh: the kernel monitor comes when every env has ended; env %lx started "
		        "this shell (boot with init=sh)\n",
		        (unsigned long)libos_envinfo->parent);
		last_status = 1;
		return;
	}
	wait_jobs();
	dprintf(2, "sh: ending: the kernel monitor follows\n");
	exit(0);
}

/* A built-in on its own: true if line l was one (done). */
static bool
builtin(struct line *l)
{
	struct cmd *c = &l->cmd[0];
	int n = 0;

	if (l->ncmds != 1 || l->background)
		return false;
	if (strcmp(c->argv[0], "exit") == 0) {
		for (const char *s = c->argc > 1 ? c->argv[1] : ""; *s >= '0' && *s <= '9'; s++)
			n = n * 10 + (*s - '0');
		wait_jobs();
		exit(c->argc > 1 ? n : last_status);
	}
	if (strcmp(c->argv[0], "wait") == 0) {
		wait_jobs();
		last_status = 0;
		return true;
	}
	if (strcmp(c->argv[0], "monitor") == 0) {
		do_monitor();
		return true;
	}
	if (strcmp(c->argv[0], "leaks") == 0) {
		last_status = (int)sys_leak_check();
		return true;
	}
	return false;
}

/* Spawns command i of l with fd 0 = in and fd 1 = out (the shell's own saved ones when
 * negative); its id, or a negative E_* code after printing why. */
static long
start_cmd(struct line *l, int i, int in, int out, uint64_t pages)
{
	struct cmd *c = &l->cmd[i];
	long id;

	if (c->in != NULL && (in = open(c->in, O_RDONLY)) < 0) {
		dprintf(2, "sh: %s: %s\n", c->in, in == E_NOENT ? "no such file" : error_name(in));
		return in;
	}
	dup2(in >= 0 ? in : SAVE_IN, 0);
	dup2(out >= 0 ? out : SAVE_OUT, 1);
	id = spawn(c->argv[0], (const char *const *)c->argv, pages);
	if (c->in != NULL)
		close(in);
	dup2(SAVE_IN, 0);
	dup2(SAVE_OUT, 1);
	if (id == E_NOENT)
		dprintf(2, "sh: unknown command: %s\n", c->argv[0]);
	else if (id < 0)
		dprintf(2, "sh: cannot start %s: %s\n", c->argv[0], error_name((int)id));
	return id;
}

/* Waits for every command of a foreground pipeline: the last one's status.  A command killed
 * without exit never closed its pipe ends (pipe.c), so its neighbours could wait for ever:
 * once one is seen killed, the others are destroyed too.  wait() blocks, so the commands'
 * states are polled (sys_env_status, as wait itself does) to see which one ends first. */
static int
wait_pipeline(const long *ids, int n)
{
	int st[MAX_CMDS], left = n;
	bool done[MAX_CMDS] = { false }, killed = false;

	while (left > 0) {
		for (int i = 0; i < n; i++) {
			long slot = done[i] ? -1 : fork_child_slot(ids[i]);

			if (done[i] ||
			    (slot >= 0 && !killed && sys_env_status((uint64_t)slot) != ENV_DEAD))
				continue;
			if (killed && slot >= 0)
				sys_env_destroy((uint64_t)slot);
			if (wait(ids[i], &st[i]) < 0)
				st[i] = 127;
			killed = killed || st[i] == WAIT_KILLED;
			done[i] = true;
			left--;
		}
		if (left > 0)
			sys_yield();
	}
	return n > 0 ? st[n - 1] : 127;
}

static void
run(struct line *l)
{
	uint64_t quota = libos_envinfo->quota_pages - board_pages, pages;
	long ids[MAX_CMDS];
	int prev = -1, p[2], n = 0, st = 0;

	pages = quota > SH_PAGES + CMD_OVERHEAD * (uint64_t)l->ncmds
	            ? (quota - SH_PAGES) / (uint64_t)l->ncmds - CMD_OVERHEAD
	            : 0;
	pages = pages > CMD_PAGES_MAX ? CMD_PAGES_MAX : pages;
	dup2(0, SAVE_IN);
	dup2(1, SAVE_OUT);
	for (int i = 0; i < l->ncmds; i++) {
		p[0] = p[1] = -1;
		if (i + 1 < l->ncmds && pipe(p) < 0) {
			dprintf(2, "sh: no pipe\n");
			break;
		}
		ids[n] = start_cmd(l, i, prev, p[1], pages);
		if (prev >= 0)
			close(prev);
		if (p[1] >= 0)
			close(p[1]);
		prev = p[0];
		if (ids[n] < 0)
			break;
		n++;
	}
	if (prev >= 0)
		close(prev); /* a failed start: the commands before it see EOF or E_PIPE */
	close(SAVE_IN);
	close(SAVE_OUT);
	if (n < l->ncmds)
		st = 127;
	if (l->background) {
		for (int i = 0; i < n && njobs < MAX_JOBS; i++)
			jobs[njobs++] = ids[i];
		if (n > 0)
			dprintf(2, "[%lx]\n", (unsigned long)ids[n - 1]);
		last_status = n < l->ncmds ? 127 : 0;
		return;
	}
	st = wait_pipeline(ids, n);
	last_status = n < l->ncmds ? 127 : st;
}

/* A host on the partition board that this shell started has ended once it is dead or
 * reaped (fork_child_slot forgets it then). */
static int
host_gone(uint64_t id)
{
	long slot = fork_child_slot((long)id);

	return slot < 0 || sys_env_status((uint64_t)slot) == ENV_DEAD;
}

/* The partition board for every child (spawn hands it on): made once, unless a parent shell
 * gave this one its own. */
static void
board_setup(void)
{
	long n;

	if (libos_envinfo->quota_pages < BOARD_MIN_QUOTA)
		return;
	if ((n = part_board_create()) < 0)
		dprintf(2, "sh: no partition board: %s\n", error_name((int)n));
	else
		board_pages = (uint64_t)n;
}

static void
do_line(const char *s)
{
	static struct line l;

	part_board_sweep(host_gone);
	if (parse(s, &l) < 0) {
		last_status = 2;
		return;
	}
	if (l.cmd[0].argc == 0) {
		if (l.cmd[0].in != NULL) {
			dprintf(2, "sh: a redirection with no command\n");
			last_status = 2;
		}
		return;
	}
	if (!builtin(&l))
		run(&l);
}

/* One line from fd 0 into buf (echoed, with backspace, when fd 0 is the console): its length,
 * or -1 at end of file. */
static int
read_line(char *buf, int max, bool tty)
{
	int len = 0;
	char c;

	for (;;) {
		if (read(0, &c, 1) != 1) {
			buf[len] = '\0';
			return len > 0 ? len : -1;
		}
		if (c == '\r')
			c = '\n';
		if (tty && (c == 0x7f || c == '\b')) {
			if (len > 0) {
				len--;
				write(1, "\b \b", 3);
			}
			continue;
		}
		if (tty)
			write(1, &c, 1);
		if (c == '\n')
			break;
		if (len < max - 1)
			buf[len++] = c;
	}
	buf[len] = '\0';
	return len;
}

int
main(int argc, char **argv)
{
	static char buf[LINE_MAX];
	struct fd_ent *in = fd_get(0);
	bool tty = in != NULL && in->type == FD_CONS;

	board_setup();
	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		do_line(argv[2]);
		wait_jobs();
		return last_status;
	}
	if (argc != 1) {
		dprintf(2, "usage: sh [-c LINE]\n");
		return 2;
	}
	for (;;) {
		if (tty)
			write(1, "$ ", 2);
		if (read_line(buf, sizeof(buf), tty) < 0)
			break;
		do_line(buf);
	}
	wait_jobs();
	return last_status;
}
