/* The portable printf engine: parses a format and emits characters through a callback.
 * Freestanding C only, so the kernel, user space and host unit tests share this file. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "printfmt.h"

enum {
	FL_LEFT = 1,  /* '-': pad on the right */
	FL_ZERO = 2,  /* '0': pad numbers with zeros after the sign or prefix */
	FL_PLUS = 4,  /* '+': signed conversions always show a sign */
	FL_SPACE = 8, /* ' ': a space where a '+' would go */
	FL_ALT = 16,  /* '#': 0x/0X prefix for hex, a leading 0 for octal */
};

enum fmt_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z };

/* One parsed directive. */
struct fmt_spec {
	unsigned flags;
	int width; /* 0 when absent */
	int prec;  /* -1 when absent */
	enum fmt_len len;
	char conv; /* the conversion character */
};

/* Where characters go, and how many went. */
struct fmt_out {
	printfmt_putch_fn putch;
	void *arg;
	int count;
};

static void
fmt_putc(struct fmt_out *o, int c)
{
	o->putch(c, o->arg);
	o->count++;
}

static void
fmt_repeat(struct fmt_out *o, int c, int n)
{
	while (n-- > 0)
		fmt_putc(o, c);
}

static void
fmt_puts(struct fmt_out *o, const char *s, int n)
{
	while (n-- > 0)
		fmt_putc(o, *s++);
}

/* Writes `mag` (the magnitude; `neg` says whether a '-' belongs in front) in `base`,
 * as C99 7.19.6.1 describes: the precision is the minimum number of digits (0 with
 * value 0 prints no digit), '0' pads up to the width only when no precision is given. */
static void
fmt_number(struct fmt_out *o, const struct fmt_spec *sp, unsigned long long mag, bool neg,
           unsigned base)
{
	/* LAB 1: print the digits of mag in base with sign/prefix, precision and width padding. */
	/* BEGIN LAB 1 */
	const char *set = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	bool is_signed = sp->conv == 'd' || sp->conv == 'i';
	char digits[24]; /* 64 bits in octal is 22 digits */
	const char *prefix = "";
	int nd = 0, nprefix, zeros, pad;

	for (; mag != 0; mag /= base)
		digits[nd++] = set[mag % base];
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	if (sp->prec < 0 && nd == 0)
		zeros = 1;
	if (neg)
		prefix = "-";
	else if (is_signed && (sp->flags & FL_PLUS))
		prefix = "+";
	else if (is_signed && (sp->flags & FL_SPACE))
		prefix = " ";
	else if ((sp->flags & FL_ALT) && base == 16 && nd > 0)
		prefix = sp->conv == 'X' ? "0X" : "0x";
	else if ((sp->flags & FL_ALT) && base == 8 && zeros == 0)
		zeros = 1;
	nprefix = prefix[0] == '\0' ? 0 : prefix[1] == '\0' ? 1 : 2;
	pad = sp->width - nprefix - zeros - nd;
	if ((sp->flags & (FL_ZERO | FL_LEFT)) == FL_ZERO && sp->prec < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & FL_LEFT))
		fmt_repeat(o, ' ', pad);
	fmt_puts(o, prefix, nprefix);
	fmt_repeat(o, '0', zeros);
	while (nd > 0)
		fmt_putc(o, digits[--nd]);
	if (sp->flags & FL_LEFT)
		fmt_repeat(o, ' ', pad);
	/* END LAB 1 */
	/* STUB LAB 1: fmt_putc(o, '?'); */
}

/* Pads `s` (n characters) to the width with spaces; '0' does not apply to text. */
static void
fmt_text(struct fmt_out *o, const struct fmt_spec *sp, const char *s, int n)
{
	int pad = sp->width - n;

	if (!(sp->flags & FL_LEFT))
		fmt_repeat(o, ' ', pad);
	fmt_puts(o, s, n);
	if (sp->flags & FL_LEFT)
		fmt_repeat(o, ' ', pad);
}

/* va_arg promotes char and short to int: narrow them back as hh and h ask. */
static long long
fmt_arg_signed(enum fmt_len len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
		return (ptrdiff_t)va_arg(*ap, size_t);
	default:
		return va_arg(*ap, int);
	}
}

static unsigned long long
fmt_arg_unsigned(enum fmt_len len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

static void
fmt_integer(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	long long v;

	switch (sp->conv) {
	case 'd':
	case 'i':
		v = fmt_arg_signed(sp->len, ap);
		/* Negate in unsigned arithmetic: -LLONG_MIN does not fit a long long. */
		fmt_number(o, sp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v,
		           v < 0, 10);
		break;
	case 'u':
		fmt_number(o, sp, fmt_arg_unsigned(sp->len, ap), false, 10);
		break;
	case 'o':
		fmt_number(o, sp, fmt_arg_unsigned(sp->len, ap), false, 8);
		break;
	default: /* x, X */
		fmt_number(o, sp, fmt_arg_unsigned(sp->len, ap), false, 16);
		break;
	}
}

/* glibc's %p: "0x" and lowercase hex, "(nil)" for NULL; %s: "(null)" for NULL, but nothing
 * when the precision is too short to show all of it (a cut "(nu" would mislead). */
static void
fmt_pointer_or_text(struct fmt_out *o, struct fmt_spec *sp, va_list *ap)
{
	const char *s;
	uintptr_t p;
	char c;
	int n;

	switch (sp->conv) {
	case 'p':
		p = (uintptr_t)va_arg(*ap, void *);
		if (p == 0) {
			fmt_text(o, sp, "(nil)", 5);
		} else {
			sp->flags = (sp->flags & (FL_LEFT | FL_ZERO)) | FL_ALT;
			sp->conv = 'x';
			fmt_number(o, sp, p, false, 16);
		}
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		fmt_text(o, sp, &c, 1);
		break;
	default: /* s */
		s = va_arg(*ap, const char *);
		if (s == NULL)
			s = sp->prec < 0 || sp->prec >= 6 ? "(null)" : "";
		for (n = 0; s[n] != '\0' && (sp->prec < 0 || n < sp->prec); n++)
			;
		fmt_text(o, sp, s, n);
		break;
	}
}

/* Reads a decimal field or '*' (an int argument) into *out, clamped to FMT_MAX_FIELD;
 * returns the first character after it.  A negative '*' value is returned as given. */
static const char *
fmt_parse_field(const char *f, int *out, va_list *ap)
{
	int v = 0;

	if (*f == '*') {
		v = va_arg(*ap, int);
		if (v > FMT_MAX_FIELD)
			v = FMT_MAX_FIELD;
		else if (v < -FMT_MAX_FIELD)
			v = -FMT_MAX_FIELD;
		*out = v;
		return f + 1;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		if (v < FMT_MAX_FIELD)
			v = v * 10 + (*f - '0');
	*out = v > FMT_MAX_FIELD ? FMT_MAX_FIELD : v;
	return f;
}

static const char *
fmt_parse_flags(const char *f, unsigned *flags)
{
	for (;; f++) {
		switch (*f) {
		case '-':
			*flags |= FL_LEFT;
			break;
		case '0':
			*flags |= FL_ZERO;
			break;
		case '+':
			*flags |= FL_PLUS;
			break;
		case ' ':
			*flags |= FL_SPACE;
			break;
		case '#':
			*flags |= FL_ALT;
			break;
		default:
			return f;
		}
	}
}

static const char *
fmt_parse_len(const char *f, enum fmt_len *len)
{
	if (f[0] == 'h' && f[1] == 'h') {
		*len = LEN_HH;
		return f + 2;
	}
	if (f[0] == 'l' && f[1] == 'l') {
		*len = LEN_LL;
		return f + 2;
	}
	*len = *f == 'h' ? LEN_H : *f == 'l' ? LEN_L : *f == 'z' ? LEN_Z : LEN_NONE;
	return *len == LEN_NONE ? f : f + 1;
}

/* Parses the directive after a '%' into *sp, consuming '*' arguments; returns the
 * character after the conversion, or after the last character examined when the
 * directive ends early (sp->conv is then '\0'). */
static const char *
fmt_parse(const char *f, struct fmt_spec *sp, va_list *ap)
{
	sp->flags = 0;
	sp->prec = -1;
	f = fmt_parse_flags(f, &sp->flags);
	f = fmt_parse_field(f, &sp->width, ap);
	if (sp->width < 0) { /* C99 7.19.6.1p5: a negative '*' width means '-' */
		sp->flags |= FL_LEFT;
		sp->width = -sp->width;
	}
	if (*f == '.') {
		f = fmt_parse_field(f + 1, &sp->prec, ap);
		if (sp->prec < 0) /* a negative '*' precision counts as absent */
			sp->prec = -1;
	}
	f = fmt_parse_len(f, &sp->len);
	sp->conv = *f;
	return *f == '\0' ? f : f + 1;
}

/* Emits one parsed directive; false when it is not one this engine supports. */
static bool
fmt_convert(struct fmt_out *o, struct fmt_spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd':
	case 'i':
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		fmt_integer(o, sp, ap);
		return true;
	case 'p':
	case 'c':
	case 's':
		if (sp->len != LEN_NONE) /* %lc, %ls: wide characters are not supported */
			return false;
		fmt_pointer_or_text(o, sp, ap);
		return true;
	case '%':
		fmt_putc(o, '%');
		return true;
	default:
		return false;
	}
}

int
printfmt_v(printfmt_putch_fn putch, void *arg, const char *fmt, va_list ap)
{
	struct fmt_out o = { putch, arg, 0 };
	struct fmt_spec spec;
	const char *start;
	va_list args;

	/* A pointer to a copy lets the helpers consume arguments portably (C99 7.15p3). */
	va_copy(args, ap);
	while (*fmt != '\0') {
		if (*fmt != '%') {
			fmt_putc(&o, *fmt++);
			continue;
		}
		start = fmt;
		fmt = fmt_parse(fmt + 1, &spec, &args);
		if (!fmt_convert(&o, &spec, &args))
			fmt_puts(&o, start, (int)(fmt - start));
	}
	va_end(args);
	return o.count;
}

int
printfmt(printfmt_putch_fn putch, void *arg, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = printfmt_v(putch, arg, fmt, ap);
	va_end(ap);
	return n;
}

/* The unwritten tail of an fmt_vsnprintf buffer; `left` keeps room for the NUL. */
struct fmt_buf {
	char *p;
	size_t left;
};

static void
fmt_buf_putch(int c, void *arg)
{
	struct fmt_buf *b = arg;

	if (b->left > 0) {
		*b->p++ = (char)c;
		b->left--;
	}
}

int
fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct fmt_buf b = { buf, n > 0 ? n - 1 : 0 };
	int len;

	len = printfmt_v(fmt_buf_putch, &b, fmt, ap);
	if (n > 0)
		*b.p = '\0';
	return len;
}

int
fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = fmt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}
