/* LibOS internals of pipes (pipe.c) for the fd table (fd.c) and spawn (spawn.c).  A pipe is
 * one page shared by every env holding an end (VM_SHARE: fork maps the same frame in the
 * child) and two notifications; `end` below is FD_PIPE_R or FD_PIPE_W. */
#ifndef EXOLAB_PIPE_H
#define EXOLAB_PIPE_H

#include <stddef.h>
#include <stdint.h>

/* Pipes one env can hold an end of at once. */
#define PIPE_MAX 8

/* A new pipe with one reader and one writer (the caller's two fds); its index, or a negative
 * E_* code. */
int pipe_create(void);
/* One more fd of this env on `end` (dup2), or one fewer (close: the last writer gone wakes the
 * readers for EOF, the last reader gone wakes the writers for E_PIPE; this env's last fd on
 * the pipe unmaps its page and deletes its capabilities). */
void pipe_ref(int idx, int end);
void pipe_unref(int idx, int end);
/* Another env's fd on `end` (a fork or spawn child's copy): only the shared count moves. */
void pipe_count(int idx, int end, int delta);
/* One more fd of this env on the pipe, already counted in the page (an imported end). */
void pipe_hold(int idx);
long pipe_read(int idx, void *buf, size_t n);
long pipe_write(int idx, const void *buf, size_t n);

/* What another env needs to use the pipe: its page's address and frame capability slot, and
 * its two notifications' slots (NULL-free: every pointer is written).  0, or E_NOENT. */
int pipe_caps(int idx, uint64_t *va, uint64_t *fslot, uint64_t *rslot, uint64_t *wslot);
/* Copies the notification capabilities to the same slots of `child` (fork: the page's frame
 * goes with fork's own page walk). */
int pipe_fork(uint64_t child);
/* A pipe a parent handed over (already mapped at va, capabilities in the given slots, which
 * the caller has reserved): its index, or a negative E_* code. */
int pipe_import(uint64_t va, uint64_t fslot, uint64_t rslot, uint64_t wslot);

/* For a parent reaping a child killed without exit (child.c): the child's n fds on `end` go
 * away from the shared count (waking the other side when it drops to 0); and the hold the
 * parent took for the child (pipe_hold) is dropped. */
void pipe_release_end(int idx, int end, unsigned n);
void pipe_put(int idx);

#endif
