/* User-space console output: printf, puts and putchar on top of the portable printf engine
 * (lib/printfmt.c), batched into one console-write syscall per line or full buffer. */
#include <stdarg.h>
#include <stddef.h>

#include "libos.h"
#include "printfmt.h"
#include "usyscall.h"

/* A line longer than this is written in pieces; each piece is one syscall. */
#define CONSOLE_BUF 128

struct conbuf {
	char buf[CONSOLE_BUF];
	size_t len;
};

static void
conbuf_flush(struct conbuf *b)
{
	if (b->len > 0)
		sys_cputs(b->buf, b->len);
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

	sys_cputs(&ch, 1);
	return (unsigned char)c;
}
