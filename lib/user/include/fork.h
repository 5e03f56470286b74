/* Processes in the LibOS: copy-on-write fork, waiting for a child, and the counts of the
 * page faults fork's handler served.  JOS style: the kernel knows nothing of copy-on-write;
 * fork is exofork, the LibOS's page records (vm.h), capability copies, and a page-fault
 * handler that copies a shared page at its first write. */
#ifndef EXOLAB_FORK_H
#define EXOLAB_FORK_H

#include <stdint.h>

/* A copy of this env: the child's id in the parent, 0 in the child, or a negative E_* code
 * (no child then).  The child shares every page the LibOS recorded: writable ones
 * copy-on-write, read-only ones as they are, VM_SHARE ones writable in both.  It gets its
 * own exception stack and env info page, and a copy of the quota capability (one quota
 * for the whole family).  fork makes its page-fault handler this env's (a handler set
 * with pgfault_set_handler before is replaced).  The first fork takes over the loader's
 * pages (vm_adopt_image), which costs a page of quota for each one in use. */
long fork(void);

/* Waits until the child `envid` (from this env's fork) has ended, then forgets it: 0, or
 * E_NOENT if it is not a child of this env not waited for yet.  With `status` not NULL,
 * stores the child's exit status there (exit's argument, or main's return value), or
 * WAIT_KILLED if it ended without exit (a fault, a destroy).  It blocks on a notification
 * the kernel signals at the child's death (env_notify), never polls; a killed child's pipe
 * ends are given back then (child.c), so their readers see end of file. */
int wait(long envid, int *status);
#define WAIT_KILLED (-1)

/* The slot of this env's capability to its child `envid` (not waited for yet), or E_NOENT:
 * to give the child capabilities beyond what fork copies. */
long fork_child_slot(long envid);

/* At most this many children not waited for. */
#define FORK_MAX_CHILDREN 64

/* The faults fork's handler served in this env since it started (or was forked). */
struct fork_stats {
	uint64_t cow_copies; /* write faults on a copy-on-write page: page copied */
	uint64_t zero_fills; /* first touches of a demand-zero page */
};
void fork_stats(struct fork_stats *st);

/* LibOS internals (lib/user/child.c) for fork and exit: a free entry for one more child
 * (its index, or a negative E_* code); the entry filled and the status page mapped into
 * the child; the child's capability slot recorded once it runs; the entry freed when fork
 * fails; exit's status report. */
int child_prepare(void);
int child_attach(uint64_t child, int index, long id, int nfds); /* the child gets fds < nfds */
void child_add(int index, uint64_t slot);
void child_forget(int index);
/* A child whose set-up failed after it was made: forgotten, destroyed, its slot freed. */
void child_abandon(int index, uint64_t slot);
void child_exit_status(int status);
/* In a child: its fds on `end` of pipe idx change by delta (fd.c's close and dup2), kept in
 * its parent's record so that a parent reaping it killed gives back exactly those. */
void child_pipe_note(int idx, int end, int delta);

#endif
