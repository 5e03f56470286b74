/* The LibOS's file-descriptor table (fd.h): an array in this env's data, so fork's child gets
 * a copy-on-write copy of it, and fd_fork makes the copy's pipe ends count and gives the
 * child the ramdisk its file fds read (file.c).  Every env starts
 * with the console on fds 0, 1 and 2 (a program spawned by the LibOS's spawn gets its
 * parent's instead: spawn.c). */
#include <stdarg.h>
#include <stdint.h>

#include "fd.h"
#include "file.h"
#include "fork.h"
#include "libos.h"
#include "pipe.h"
#include "printfmt.h"
#include "usyscall.h"

static struct fd_ent fds[FD_MAX] = {
	[0] = { .type = FD_CONS },
	[1] = { .type = FD_CONS },
	[2] = { .type = FD_CONS },
};

struct fd_ent *
fd_get(int fd)
{
	if (fd < 0 || fd >= FD_MAX || fds[fd].type == FD_NONE)
		return NULL;
	return &fds[fd];
}

/* At least one character: those waiting, without blocking once one is read.  An empty
 * console is waited for with cons_wait_input (console.c): a notification the kernel signals
 * when input arrives. */
static long
cons_read(char *buf, size_t n)
{
	size_t got = 0;
	long c;

	while (got < n) {
		c = sys_cgetc();
		if (c == E_AGAIN) {
			if (got > 0)
				break;
			cons_wait_input();
			continue;
		}
		if (c < 0)
			return got > 0 ? (long)got : c;
		buf[got++] = (char)c;
	}
	return (long)got;
}

static long
cons_write(const char *buf, size_t n)
{
	size_t done = 0;
	long err;

	while (done < n) {
		size_t k = n - done < ABI_CPUTS_MAX ? n - done : ABI_CPUTS_MAX;

		if ((err = sys_cputs(buf + done, k)) < 0)
			return err;
		done += k;
	}
	return (long)n;
}

long
read(int fd, void *buf, size_t n)
{
	struct fd_ent *f = fd_get(fd);

	if (f == NULL)
		return E_NOENT;
	switch (f->type) {
	case FD_CONS:
		return n == 0 ? 0 : cons_read(buf, n);
	case FD_PIPE_R:
		return pipe_read(f->pipe, buf, n);
	case FD_FILE:
		return file_read(f, buf, n);
	default:
		return E_PERM; /* a write end */
	}
}

long
write(int fd, const void *buf, size_t n)
{
	struct fd_ent *f = fd_get(fd);

	if (f == NULL)
		return E_NOENT;
	switch (f->type) {
	case FD_CONS:
		return cons_write(buf, n);
	case FD_PIPE_W:
		return pipe_write(f->pipe, buf, n);
	default:
		return E_PERM; /* a read end, or a read-only file */
	}
}

int
close(int fd)
{
	struct fd_ent *f = fd_get(fd);

	if (f == NULL)
		return E_NOENT;
	if (f->type == FD_PIPE_R || f->type == FD_PIPE_W) {
		child_pipe_note(f->pipe, f->type, -1); /* before: a kill between leaks, not frees */
		pipe_unref(f->pipe, f->type);
	}
	f->type = FD_NONE;
	return 0;
}

int
dup2(int oldfd, int newfd)
{
	struct fd_ent *f = fd_get(oldfd);

	if (f == NULL || newfd < 0 || newfd >= FD_MAX)
		return E_NOENT;
	if (oldfd == newfd)
		return newfd;
	/* The new reference first: closing newfd may drop the pipe's last one otherwise. */
	if (f->type == FD_PIPE_R || f->type == FD_PIPE_W) {
		pipe_ref(f->pipe, f->type);
		child_pipe_note(f->pipe, f->type, 1);
	}
	close(newfd);
	fds[newfd] = *f;
	return newfd;
}

int
fd_alloc(const struct fd_ent *f)
{
	for (int i = 0; i < FD_MAX; i++) {
		if (fds[i].type == FD_NONE) {
			fds[i] = *f;
			return i;
		}
	}
	return E_NOMEM;
}

int
pipe(int pfd[2])
{
	int r = -1, w = -1, idx;

	for (int i = 0; i < FD_MAX && w < 0; i++) {
		if (fds[i].type != FD_NONE)
			continue;
		if (r < 0)
			r = i;
		else
			w = i;
	}
	if (w < 0)
		return E_NOMEM;
	if ((idx = pipe_create()) < 0)
		return idx;
	fds[r] = (struct fd_ent){ .type = FD_PIPE_R, .pipe = (uint8_t)idx };
	fds[w] = (struct fd_ent){ .type = FD_PIPE_W, .pipe = (uint8_t)idx };
	pfd[0] = r;
	pfd[1] = w;
	return 0;
}

/* The child's capabilities and ramdisk first (a failure leaves the counts alone: the child
 * is destroyed), then the counts, which cannot fail.  The ramdisk costs one call (its
 * region capability copied: file_initrd_share) when this env has it. */
int
fd_fork(uint64_t child)
{
	long err;

	if ((err = pipe_fork(child)) < 0 || (err = file_initrd_share(child)) < 0)
		return (int)err;
	for (int i = 0; i < FD_MAX; i++)
		if (fds[i].type == FD_PIPE_R || fds[i].type == FD_PIPE_W)
			pipe_count(fds[i].pipe, fds[i].type, 1);
	return 0;
}

void
fd_unfork(void)
{
	for (int i = 0; i < FD_MAX; i++)
		if (fds[i].type == FD_PIPE_R || fds[i].type == FD_PIPE_W)
			pipe_count(fds[i].pipe, fds[i].type, -1);
}

void
fd_install(int fd, int type, int pipe)
{
	fds[fd] = (struct fd_ent){ .type = (uint8_t)type, .pipe = (uint8_t)pipe };
}

void
fd_place(int fd, const struct fd_ent *f)
{
	fds[fd] = *f;
}

void
fd_close_all(void)
{
	for (int i = 0; i < FD_MAX; i++)
		close(i);
}

/* dprintf: the text gathered in a buffer, written in pieces of its size. */
struct fdbuf {
	int fd;
	size_t len;
	char buf[256];
};

static void
fdbuf_putch(int c, void *arg)
{
	struct fdbuf *b = arg;

	b->buf[b->len++] = (char)c;
	if (b->len == sizeof(b->buf)) {
		write(b->fd, b->buf, b->len);
		b->len = 0;
	}
}

int
dprintf(int fd, const char *fmt, ...)
{
	struct fdbuf b = { .fd = fd, .len = 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = printfmt_v(fdbuf_putch, &b, fmt, ap);
	va_end(ap);
	if (b.len > 0)
		write(fd, b.buf, b.len);
	return n;
}
