/* waittest: exit notifications (env_notify), the LibOS's blocking wait, and pipe ends given
 * back when a child is killed.  Prints one "waittest: TAG: what OK|FAIL" line per check
 * (grade/waittests.py counts them from this source), then "waittest: N checks failed".
 *   bad    env_notify and cons_notify refuse bad bits, slots, types and rights
 *   notify env_notify fires once an env dies: destroyed, killed by a fault, already dead
 *          (at once), the last binding wins, a notification deleted first is harmless
 *   wait   wait returns a child's exit status, WAIT_KILLED for a fault or a destroy
 *   block  while the parent waits it is blocked, never runnable (a polling wait would be
 *          runnable at every one of the child's looks, on one CPU and on four)
 *   eof    a reader sees end of file when the last writer is killed, for a forked writer,
 *          a spawned one (cat, stdout on the pipe, stdin on the console) and a writer that
 *          closed its end before it was killed (not given back twice)
 *   console a read of the console (fd 0) blocks until input arrives: a child looks at the
 *          reader LOOKS times, then prints "waittest[looker]: typing welcome", at which the
 *          grader types "abc" */
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "vm.h"
#include "xstring.h"

#define SHARED_VA   0x0000500000000000ull /* the block test's handshake page, VM_SHARE */
#define UNMAPPED    0x0000510000000000ull /* never mapped */
#define LOOKS       100                   /* the block test's child looks this often */
#define MAX_YIELDS  10000
#define CAT_PAGES   64
#define NOTE_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_DERIVE)

static int nfailed;

static void
check(int ok, const char *what)
{
	nfailed += !ok;
	printf("waittest: %s %s\n", what, ok ? "OK" : "FAIL");
}

static uint64_t
note_new(void)
{
	long slot = slot_alloc();

	if (slot < 0 || sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, NOTE_RIGHTS) < 0)
		panic("waittest: no notification");
	return (uint64_t)slot;
}

static void
slot_drop(uint64_t slot)
{
	sys_cap_delete(slot);
	slot_free(slot);
}

/* An env from exofork that never ran (its env capability's slot): set runnable, it faults
 * at once (its address space is empty). */
static uint64_t
bare_env(void)
{
	long slot = slot_alloc(), id;

	if (slot < 0 || (id = sys_exofork((uint64_t)slot)) < 0)
		panic("waittest: no exofork");
	if (id == 0)
		for (;;) /* never reached: the child has no pages */
			;
	return (uint64_t)slot;
}

static void
test_bad(void)
{
	uint64_t n = note_new(), e = bare_env(), ro = (uint64_t)slot_alloc();
	uint64_t free_slot = (uint64_t)slot_alloc();

	check(sys_env_notify(e, n, 0) == E_INVAL, "bad: env_notify with bits 0 is E_INVAL");
	check(sys_env_notify(free_slot, n, 1) == E_NOENT, "bad: an empty env slot is E_NOENT");
	check(sys_env_notify(0, n, 1) == E_INVAL, "bad: env slot 0 is E_INVAL");
	check(sys_env_notify(1ull << 40, n, 1) == E_RANGE, "bad: an env slot past the table");
	check(sys_env_notify(n, n, 1) == E_INVAL, "bad: a notification as the env is E_INVAL");
	check(sys_env_notify(e, e, 1) == E_INVAL, "bad: an env as the notification is E_INVAL");
	check(sys_env_notify(e, free_slot, 1) == E_NOENT, "bad: an empty notification slot");
	sys_cap_derive(n, ABI_SLOT_SELF, ro, CAP_R_READ, CAP_NO_BADGE);
	check(sys_env_notify(e, ro, 1) == E_PERM, "bad: a notification without WRITE is E_PERM");
	sys_cap_delete(ro);
	sys_cap_derive(e, ABI_SLOT_SELF, ro, CAP_R_READ, CAP_NO_BADGE);
	check(sys_env_notify(ro, n, 1) == E_PERM, "bad: an env without WRITE is E_PERM");
	sys_cap_delete(ro);
	check(sys_cons_notify(n, 0) == E_INVAL, "bad: cons_notify with bits 0 is E_INVAL");
	check(sys_cons_notify(e, 1) == E_INVAL, "bad: cons_notify on an env cap is E_INVAL");
	check(sys_cons_notify(free_slot, 1) == E_NOENT, "bad: cons_notify on an empty slot");
	check(sys_notify_poll(n, NULL) == E_AGAIN, "bad: and nothing was signalled");
	sys_env_destroy(e);
	slot_drop(e);
	slot_drop(n);
	slot_free(ro);
	slot_free(free_slot);
}

static void
test_notify(void)
{
	uint64_t n = note_new(), gone = note_new(), e, word = 0;

	e = bare_env();
	check(sys_env_notify(e, n, 0x10) == 0, "notify: env_notify on a live env");
	check(sys_notify_poll(n, NULL) == E_AGAIN, "notify: nothing before the death");
	sys_env_destroy(e);
	check(sys_notify_poll(n, &word) == 0 && word == 0x10, "notify: destroy signals its bits");
	slot_drop(e);

	e = bare_env();
	check(sys_env_notify(e, n, 0x1) == 0 && sys_env_notify(e, n, 0x2) == 0,
	      "notify: a second binding is taken");
	sys_env_set_status(e, ENV_RUNNABLE); /* it faults: the kernel kills it */
	check(sys_notify_wait(n, &word) == 0 && word == 0x2,
	      "notify: a fault kill wakes the waiter, with the last binding's bits only");
	check(sys_env_status(e) == ENV_DEAD, "notify: the killed env is dead");
	check(sys_env_notify(e, n, 0x4) == 0 && sys_notify_poll(n, &word) == 0 && word == 0x4,
	      "notify: binding a dead env signals at once");
	slot_drop(e);

	e = bare_env();
	check(sys_env_notify(e, gone, 0x8) == 0, "notify: bound to a notification deleted next");
	slot_drop(gone);
	check(sys_env_destroy(e) == 0 && sys_env_status(e) == ENV_DEAD,
	      "notify: the death of an env whose notification is gone");
	slot_drop(e);
	slot_drop(n);
}

static void
test_wait(void)
{
	long id;
	int st = 0;

	if ((id = fork()) == 0)
		exit(7);
	check(id > 0 && wait(id, &st) == 0 && st == 7, "wait: the child's exit status");
	if ((id = fork()) == 0)
		*(volatile int *)UNMAPPED = 1; /* killed */
	check(id > 0 && wait(id, &st) == 0 && st == WAIT_KILLED, "wait: a fault is WAIT_KILLED");
	if ((id = fork()) == 0)
		for (;;)
			sys_yield();
	sys_env_destroy((uint64_t)fork_child_slot(id));
	check(wait(id, &st) == 0 && st == WAIT_KILLED, "wait: a destroyed child is WAIT_KILLED");
	check(wait(id, &st) == E_NOENT, "wait: a child is waited for once");
	if ((id = fork()) == 0)
		exit(3);
	for (int i = 0; i < MAX_YIELDS && sys_env_status(fork_child_slot(id)) != ENV_DEAD; i++)
		sys_yield();
	check(wait(id, &st) == 0 && st == 3, "wait: a child dead before the wait");
}

/* The looker: waits until `ps` (its parent) is blocked, then counts how often it is
 * runnable in LOOKS looks; exits with the count. */
static void
look_at(volatile uint64_t *go, long ps, const char *done)
{
	int runnable = 0, i;

	while (*go == 0) /* the parent's capability arrives */
		sys_yield();
	/* The parent may still be on its way into its wait on another CPU. */
	for (i = 0; i < MAX_YIELDS && sys_env_status((uint64_t)ps) == ENV_RUNNABLE; i++)
		sys_yield();
	for (i = 0; i < LOOKS; i++) {
		runnable += sys_env_status((uint64_t)ps) == ENV_RUNNABLE;
		sys_yield();
	}
	if (done != NULL)
		printf("%s\n", done);
	exit(runnable);
}

/* A forked looker at this env, with a READ capability to it in slot ps; *go set. */
static long
looker(volatile uint64_t *go, long ps, const char *done)
{
	long id;

	*go = 0;
	if ((id = fork()) == 0)
		look_at(go, ps, done);
	sys_cap_derive(ABI_SLOT_SELF, (uint64_t)fork_child_slot(id), (uint64_t)ps, CAP_R_READ,
	               CAP_NO_BADGE);
	*go = 1;
	return id;
}

/* The child looks at its parent's status LOOKS times while the parent waits for it. */
static void
test_block(void)
{
	long id, ps = slot_alloc();
	int st = -1;

	id = looker((volatile uint64_t *)SHARED_VA, ps, NULL);
	check(wait(id, &st) == 0 && st == 0,
	      "block: the waiting parent was never runnable in the child's 100 looks");
	slot_free((uint64_t)ps);
}

/* The parent reads a line from the console while a child looks at it. */
static void
test_console(void)
{
	long id, ps = slot_alloc(), n;
	char line[16];
	size_t got = 0;
	int st = -1;

	id = looker((volatile uint64_t *)SHARED_VA, ps, "waittest[looker]: typing welcome");
	/* No looker (no fork: the lab 4C handout) means nobody will type: no read then. */
	while (id > 0 && got < sizeof(line) - 1 &&
	       (n = read(0, line + got, sizeof(line) - 1 - got)) > 0) {
		got += (size_t)n;
		if (line[got - 1] == '\r' || line[got - 1] == '\n')
			break;
	}
	line[got] = '\0';
	check(got == 4 && memcmp(line, "abc", 3) == 0, "console: the line typed, abc");
	check(wait(id, &st) == 0 && st == 0,
	      "console: the reader was never runnable while it waited for input");
	slot_free((uint64_t)ps);
}

/* A child that reads p[0] until end of file and exits with the byte count (it closes its
 * copy of p[1], if this env still has one). */
static long
reader(int p[2])
{
	long id;
	char buf[16];

	if ((id = fork()) == 0) {
		long n, got = 0;

		close(p[1]);
		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			got += n;
		exit(n == 0 ? (int)got : -2);
	}
	return id;
}

/* A child that keeps fd `keep` of pipe p (closing the other end, and `keep` too if
 * close_first), writes `msg` unless it closed, then blocks for ever. */
static long
writer(int p[2], const char *msg, int close_first)
{
	long id;

	if ((id = fork()) == 0) {
		uint64_t never = note_new();

		close(p[0]);
		if (close_first)
			close(p[1]);
		else
			write(p[1], msg, strlen(msg));
		sys_notify_wait(never, NULL);
		exit(99);
	}
	return id;
}

static void
test_eof(void)
{
	int p[2], st = -1, rst = -1;
	long w, r, c;

	char buf[8];

	pipe(p);
	w = writer(p, "hello", 0);
	close(p[1]);
	check(read(p[0], buf, sizeof(buf)) == 5, "eof: the forked writer's 5 bytes");
	r = reader(p); /* it blocks: the writer lives and holds its end */
	close(p[0]);
	sys_env_destroy((uint64_t)fork_child_slot(w));
	check(wait(w, &st) == 0 && st == WAIT_KILLED, "eof: the forked writer was killed");
	check(wait(r, &rst) == 0 && rst == 0, "eof: its reader got end of file");

	pipe(p);
	dup2(p[1], 1); /* cat's stdout on the pipe */
	{
		const char *argv[] = { "cat", NULL };
		int save = p[1];

		c = spawn("cat", argv, CAT_PAGES);
		dup2(0, 1); /* fd 0 is the console: fd 1 back on it */
		close(save);
	}
	r = reader(p);
	close(p[0]);
	check(c > 0, "eof: cat spawned with stdout on a pipe");
	sys_env_destroy((uint64_t)fork_child_slot(c));
	check(wait(c, &st) == 0 && st == WAIT_KILLED, "eof: the spawned cat was killed");
	check(wait(r, &rst) == 0 && rst == 0, "eof: its reader got end of file");

	pipe(p);
	w = writer(p, "", 1);
	sys_env_destroy((uint64_t)fork_child_slot(w));
	check(wait(w, &st) == 0 && st == WAIT_KILLED, "eof: a writer that closed first killed");
	write(p[1], "xyz", 3);
	close(p[1]);
	r = reader(p);
	close(p[0]);
	check(wait(r, &rst) == 0 && rst == 3,
	      "eof: our 3 bytes, then end of file (its end was not given back twice)");
}

int
main(int argc, char **argv)
{
	test_bad();
	test_notify();
	test_wait();
	if (vm_page_alloc(SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0 || vm_share(SHARED_VA) < 0)
		panic("waittest: no shared page");
	test_block();
	test_eof();
	test_console();
	vm_page_free(SHARED_VA);
	printf("waittest: %d checks failed\n", nfailed);
	return 0;
}
