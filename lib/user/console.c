/* User-space console output: printf, puts and putchar on top of the portable printf engine
 * (lib/printfmt.c), batched into one console-write syscall per line or full buffer; and the
 * wait of a console reader (cons_wait_input).  A program whose fd 1 is the write end of a
 * pipe prints into the pipe instead (as a Unix program's stdout): user/legion.c runs its
 * children so and forwards what they print to the screen and the netconsole. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libos.h"
#include "printfmt.h"
#include "console_tee.h"
#include "fd.h"
#include "usyscall.h"

/* A line longer than this is written in pieces; each piece is one syscall. */
#define CONSOLE_BUF 128

struct conbuf {
	char buf[CONSOLE_BUF];
	size_t len;
};

/* The tee (console_tee.h): one more place each piece of console text goes. */
static console_tee_fn *tee_fn;
static void *tee_arg;

void
console_tee(console_tee_fn *fn, void *arg)
{
	tee_fn = fn;
	tee_arg = arg;
}

static void
console_out(const char *s, size_t len)
{
	const struct fd_ent *out = fd_get(1);

	/* A pipe with no reader left (E_PIPE) falls back to the console: nothing is lost. */
	if (out == NULL || out->type != FD_PIPE_W || write(1, s, len) < 0)
		sys_cputs(s, len);
	if (tee_fn != NULL)
		tee_fn(tee_arg, s, len);
}

static void
conbuf_flush(struct conbuf *b)
{
	if (b->len > 0)
		console_out(b->buf, b->len);
	b->len = 0;
}

/* Flushing at every newline keeps the lines of different envs whole on the console. */
static void
conbuf_putch(int c, void *arg)
{
	struct conbuf *b = arg;

	b->buf[b->len++] = (char)c;
	if (c == '\n' || b->len == sizeof(b->buf))
		conbuf_flush(b);
}

int
vprintf(const char *fmt, va_list ap)
{
	struct conbuf b = { .len = 0 };
	int n;

	n = printfmt_v(conbuf_putch, &b, fmt, ap);
	conbuf_flush(&b);
	return n;
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

/* One syscall for the text and its newline, like every printf line. */
int
puts(const char *s)
{
	return printf("%s\n", s);
}

int
putchar(int c)
{
	char ch = (char)c;

	console_out(&ch, 1);
	return (unsigned char)c;
}

/* This env's console-input notification: bound with cons_notify at the first wait (a forked
 * child inherits the variables, not the binding, so each env makes its own). */
static uint64_t input_env;  /* whose binding `input_note` is */
static uint64_t input_note; /* its slot */
static bool input_polls;    /* the kernel has no input interrupts: poll with yields */

/* 0 once bound; a binding made just now returns without waiting, since input that came
 * before it signalled nothing (the caller looks again first). */
static int
input_bind(void)
{
	long slot, err;

	if (input_env == libos_envinfo->envid)
		return 0;
	input_env = libos_envinfo->envid;
	input_polls = true;
	if ((slot = slot_alloc()) < 0)
		return 1;
	if ((err = sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, CAP_R_READ | CAP_R_WRITE)) ==
	        0 &&
	    (err = sys_cons_notify((uint64_t)slot, 1)) == 0) {
		input_note = (uint64_t)slot;
		input_polls = false;
		return 1;
	}
	sys_cap_delete((uint64_t)slot); /* E_NOSYS, or no quota: polling it is */
	slot_free((uint64_t)slot);
	return 1;
}

void
cons_wait_input(void)
{
	if (input_bind() != 0)
		return;
	if (input_polls || sys_notify_wait(input_note, NULL) < 0)
		sys_yield();
}
