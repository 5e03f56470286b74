/* File descriptors in the LibOS: a per-env table (fd.c) of open ends (the console, the two
 * ends of a pipe, a ramdisk file: file.h), inherited by fork (the table is ordinary data, copied on
 * write) and handed to spawned programs for fds 0-2 (spawn.c).  The kernel knows nothing of them.
 */
#ifndef EXOLAB_FD_H
#define EXOLAB_FD_H

#include <stddef.h>
#include <stdint.h>

#include "abi/error.h"

/* Open files per env. */
#define FD_MAX 16

/* A write to a pipe whose every read end is closed (POSIX EPIPE).  The LibOS's own code, out
 * of the kernel's E_* range (abi/error.h). */
#define E_PIPE (-32)

/* What an fd names. */
enum fd_type {
	FD_NONE = 0,
	FD_CONS,   /* reads come from sys_cgetc, writes go to sys_cputs */
	FD_PIPE_R, /* the read end of the pipe fd_ent.pipe */
	FD_PIPE_W, /* its write end */
	FD_FILE,   /* a read-only ramdisk file (file.c) */
};

/* A file's position is the fd's own: dup2, fork and spawn copy it. */
struct fd_ent {
	uint8_t type;  /* enum fd_type */
	uint8_t pipe;  /* FD_PIPE_*: the index in this env's pipe table (pipe.c) */
	uint32_t off;  /* FD_FILE: where its bytes start in the ramdisk */
	uint32_t size; /* FD_FILE: how many */
	uint32_t pos;  /* FD_FILE: the next one read() returns */
};

/* Reads at most n bytes: how many (0 at end of file), or a negative E_* code.  A console or
 * pipe read blocks until at least one byte is there. */
long read(int fd, void *buf, size_t n);
/* Writes all n bytes (blocking while a pipe is full): n, or a negative E_* code (E_PIPE once
 * no reader is left; the bytes written before that are lost to nobody). */
long write(int fd, const void *buf, size_t n);
int close(int fd);
/* Makes newfd name what oldfd names (closing newfd first); newfd, or a negative E_* code. */
int dup2(int oldfd, int newfd);
/* A new pipe: fds[0] its read end, fds[1] its write end.  0 or a negative E_* code. */
int pipe(int fds[2]);

/* printf to an fd (one write per call). */
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A program from the ramdisk run with these arguments (argv[0] names it; words with spaces are
 * quoted on the command line and start.c unquotes them), this env's fds 0-2 as its own, and
 * `pages` of this env's quota.  Its id, which wait() accepts, or a negative E_* code. */
long spawn(const char *path, const char *const argv[], uint64_t pages);
#define SPAWN_PAGES 64

/* LibOS internals: the table entry of an open fd (NULL if not open); fork's step that gives
 * the child env `child` everything its copy of the table names (before it runs; a negative
 * E_* code changed no count), and its undoing when the child cannot run after all; an fd
 * set to a pipe end already counted; exit's close of every fd; start-up's receipt of the fds a
 * LibOS spawn handed over (the last argument word was SPAWN_MARK: it is removed). */
struct fd_ent *fd_get(int fd);
int fd_fork(uint64_t child);
void fd_unfork(void);
void fd_install(int fd, int type, int pipe);
/* The lowest free fd made a copy of *f: the fd, or E_NOMEM.  fd_place: fd made one (a
 * file fd handed over by spawn). */
int fd_alloc(const struct fd_ent *f);
void fd_place(int fd, const struct fd_ent *f);
/* file.c's read of a file fd. */
long file_read(struct fd_ent *f, void *buf, size_t n);
void fd_close_all(void);
int spawn_receive(int *argc, char **argv);
#define SPAWN_MARK "\x1f"

#endif
