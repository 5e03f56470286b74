/* osbench: one benchmark source for ExoLab and Linux (issue 11 item 5).  bench/os/osbench.c is
 * the portable part: what each operation does, the timing, the statistics and the output.  An
 * OS layer (bench/os/linux.c for Linux, user/osbench.c for ExoLab) implements the calls below
 * and then includes osbench.c, so each build is one translation unit.
 *
 * Everything is timed with rdtsc; under `qemu -icount shift=0` the TSC advances exactly once
 * per guest instruction, so a delta is an instruction count (kernel and user together). */
#ifndef EXOLAB_OSBENCH_H
#define EXOLAB_OSBENCH_H

#include <stdint.h>

/* The operations, in the order they run and print. */
enum osb_op {
	OSB_NULL,   /* null system call */
	OSB_YIELD,  /* yield round trip between two processes on one CPU */
	OSB_IPC,    /* synchronous IPC round trip (ExoLab endpoints; Linux futex) */
	OSB_NOTIFY, /* notification round trip (ExoLab notifications; Linux eventfd) */
	OSB_PIPE,   /* one-byte pipe ping-pong */
	OSB_UFAULT, /* user-level fault -> handler (makes the page writable) -> resume */
	OSB_ANON,   /* first touch of a fresh anonymous page */
	OSB_FORK,   /* fork + exit + wait of a small process */
	OSB_NOPS
};

/* The per-OS layer. */

/* NULL when the OS has the operation, else why not (e.g. "issue 11"): printed as n/a. */
const char *os_missing(enum osb_op op);

/* Makes what `op` needs (channels, the partner process, pages, the fault handler): 0, or -1
 * after printing why.  os_close undoes it (ends the partner). */
int os_open(enum osb_op op);
void os_close(enum osb_op op);

/* Starts a partner process that runs osb_partner(op) (portable, below) until os_close. */
int os_start_partner(enum osb_op op);

/* OSB_YIELD: a word shared by the measuring process (side 0) and its partner (side 1), made
 * by os_open; the partner counts its turns in it, so each sample can check that the yield
 * really ran the partner exactly once.  Side 1 may wait (yielding) until it is there. */
volatile uint64_t *os_partner_word(int side);

void os_null(void);  /* the cheapest system call: getpid / sys_null */
void os_yield(void); /* sched_yield / sys_yield */

/* One message on op's channel from `side` (0 the measuring process, 1 its partner) to the
 * other side, and waiting for one from the other side. */
void os_send(enum osb_op op, int side);
void os_recv(enum osb_op op, int side);

/* OSB_UFAULT: the page whose protection the benchmark flips, and flipping it. */
volatile char *os_fault_page(void);
void os_protect(volatile char *page, int writable);

/* OSB_ANON: the first byte of anonymous page i (i < OSB_ANON_PAGES), never touched before;
 * os_anon_done(i) after its sample (ExoLab gives the frame back, Linux keeps it). */
volatile char *os_anon_page(int i);
void os_anon_done(int i);

/* OSB_FORK: one fork of a process that exits at once, and the wait for it. */
void os_fork_exit_wait(void);

/* The portable side, called by the layer. */

/* The partner's loop: answers every message (or yields), never returns. */
__attribute__((noreturn)) void osb_partner(enum osb_op op);

/* The OS's fault handler calls this with the faulting address: on the OSB_UFAULT page it
 * makes the page writable (os_protect) and returns 0; any other address is not the
 * benchmark's: -1.  (ExoLab's handler serves its OSB_ANON pages itself.) */
int osb_on_fault(uintptr_t va);

/* Runs every operation; the OS's main calls it and exits with its result. */
int osb_main(void);

/* Pages the anonymous-fault benchmark touches (warm-up included). */
#define OSB_ANON_PAGES 1024

#endif
