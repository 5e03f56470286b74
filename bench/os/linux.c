/* osbench's Linux layer (bench/os/osbench.h): raw system calls where the call itself is
 * timed, so the user-side instructions match ExoLab's inline stubs; libc for the set-up.
 * Built static (bench/linux/linux.mk) and run as the only program of a busybox initramfs.
 *
 *   null       getpid through an inline `syscall` (no libc wrapper in the path)
 *   yield      sched_yield, parent and a forked child, both pinned to CPU 0
 *   ipc        futex ping-pong on a shared word (FUTEX_WAIT/FUTEX_WAKE, shared mapping)
 *   notify     eventfd ping-pong, one eventfd each way
 *   pipe       one byte through a pipe each way
 *   ufault     write to a PROT_READ page -> SIGSEGV handler mprotect(RW) -> resume
 *   anon       first write to a page of a MAP_PRIVATE|MAP_ANONYMOUS mapping (no huge pages)
 *   fork       fork, the child _exit(0)s at once, waitpid */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "osbench.h"

static pid_t partner;
static int pipes[2][2];   /* pipes[s]: side s writes to [s][1], the other side reads [s][0] */
static int efd[2];        /* efd[s]: side s signals it, the other side reads it */
static volatile int *ftx; /* the futex word, in a shared mapping: whose turn (side) it is */
static volatile char *fpage, *anon;
static volatile uint64_t *turns; /* OSB_YIELD: the partner's turns, in a shared mapping */

static long
raw_syscall0(long num)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(num) : "rcx", "r11", "memory");
	return ret;
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

const char *
os_missing(enum osb_op op)
{
	return NULL;
}

volatile uint64_t *
os_partner_word(int side)
{
	return turns; /* mapped before the fork: both sides have it */
}

void
os_null(void)
{
	raw_syscall0(SYS_getpid);
}

void
os_yield(void)
{
	raw_syscall0(SYS_sched_yield);
}

static void
futex(volatile int *w, int cmd, int val)
{
	syscall(SYS_futex, w, cmd, val, NULL, NULL, 0);
}

void
os_send(enum osb_op op, int side)
{
	uint64_t one = 1;
	char c = 'x';

	if (op == OSB_IPC) {
		__atomic_store_n(ftx, !side, __ATOMIC_SEQ_CST);
		futex(ftx, FUTEX_WAKE, 1);
	} else if (op == OSB_NOTIFY) {
		if (write(efd[side], &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
	} else if (write(pipes[side][1], &c, 1) != 1) {
		die("pipe write");
	}
}

void
os_recv(enum osb_op op, int side)
{
	uint64_t v;
	char c;
	int w;

	if (op == OSB_IPC) {
		while ((w = __atomic_load_n(ftx, __ATOMIC_SEQ_CST)) != side)
			futex(ftx, FUTEX_WAIT, w);
	} else if (op == OSB_NOTIFY) {
		if (read(efd[!side], &v, sizeof(v)) != sizeof(v))
			die("eventfd read");
	} else if (read(pipes[!side][0], &c, 1) != 1) {
		die("pipe read");
	}
}

int
os_start_partner(enum osb_op op)
{
	partner = fork();
	if (partner < 0)
		die("fork");
	if (partner == 0)
		osb_partner(op);
	return 0;
}

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	if (osb_on_fault((uintptr_t)si->si_addr) < 0) {
		signal(SIGSEGV, SIG_DFL); /* not ours: the next fault kills the program */
		return;
	}
}

volatile char *
os_fault_page(void)
{
	if (fpage == NULL) {
		void *p =
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		fpage = p;
		fpage[0] = 0; /* populated: only the protection fault is timed */
	}
	return fpage;
}

void
os_protect(volatile char *page, int writable)
{
	if (mprotect((void *)page, 4096, writable ? PROT_READ | PROT_WRITE : PROT_READ) < 0)
		die("mprotect");
}

volatile char *
os_anon_page(int i)
{
	return anon + (long)i * 4096;
}

void
os_anon_done(int i)
{
}

void
os_fork_exit_wait(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		die("fork/waitpid");
}

static int
open_anon(void)
{
	void *p = mmap(NULL, OSB_ANON_PAGES * 4096L, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* 4 KiB faults only: Debian's THP default (always) could fill 2 MiB on one fault. */
	if (madvise(p, OSB_ANON_PAGES * 4096L, MADV_NOHUGEPAGE) < 0)
		die("madvise");
	anon = p;
	return 0;
}

int
os_open(enum osb_op op)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	void *p;

	switch (op) {
	case OSB_YIELD:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		turns = p;
		return os_start_partner(op);
	case OSB_IPC:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		ftx = p;
		*ftx = 0;
		return os_start_partner(op);
	case OSB_NOTIFY:
		if ((efd[0] = eventfd(0, 0)) < 0 || (efd[1] = eventfd(0, 0)) < 0)
			die("eventfd");
		return os_start_partner(op);
	case OSB_PIPE:
		if (pipe(pipes[0]) < 0 || pipe(pipes[1]) < 0)
			die("pipe");
		return os_start_partner(op);
	case OSB_UFAULT:
		if (sigaction(SIGSEGV, &sa, NULL) < 0)
			die("sigaction");
		return 0;
	case OSB_ANON:
		return open_anon();
	default:
		return 0;
	}
}

void
os_close(enum osb_op op)
{
	if (partner > 0) {
		kill(partner, SIGKILL);
		waitpid(partner, NULL, 0);
		partner = 0;
	}
	if (op == OSB_NOTIFY) {
		close(efd[0]);
		close(efd[1]);
	} else if (op == OSB_PIPE) {
		for (int s = 0; s < 2; s++) {
			close(pipes[s][0]);
			close(pipes[s][1]);
		}
	} else if (op == OSB_IPC) {
		munmap((void *)ftx, 4096);
	} else if (op == OSB_YIELD) {
		munmap((void *)turns, 4096);
	} else if (op == OSB_ANON) {
		munmap((void *)anon, OSB_ANON_PAGES * 4096L);
	}
}

#include "osbench.c"

int
main(void)
{
	cpu_set_t one;

	/* One CPU: the guest has only one, and the pinning (inherited by every child) says so
	 * should it ever get more. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		die("sched_setaffinity");
	setvbuf(stdout, NULL, _IOLBF, 0);
	return osb_main();
}
