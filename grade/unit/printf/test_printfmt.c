/* Host unit tests of lib/printfmt.c: every supported directive is compared with the host
 * C library's snprintf over a grid of flags, widths, precisions, length modifiers and edge
 * values, then truncation, NULL and unknown-directive behaviour are checked exactly. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "printfmt.h"

typedef int (*snprintf_fn)(char *buf, size_t n, const char *fmt, ...);

#define OUT_MAX 256

/* Width and precision fields; a star entry passes `arg` through '*'. */
struct field {
	const char *text;
	int star;
	int arg;
};

static const struct field widths[] = {
	{ "", 0, 0 },   { "0", 0, 0 }, { "1", 0, 0 },  { "5", 0, 0 },
	{ "20", 0, 0 }, { "*", 1, 7 }, { "*", 1, -7 }, { "*", 1, 0 },
};
static const struct field precs[] = {
	{ "", 0, 0 },   { ".", 0, 0 },  { ".0", 0, 0 },  { ".1", 0, 0 },
	{ ".5", 0, 0 }, { ".*", 1, 3 }, { ".*", 1, -1 },
};
#define NWIDTHS (sizeof(widths) / sizeof(widths[0]))
#define NPRECS  (sizeof(precs) / sizeof(precs[0]))

static const char *const lens[] = { "hh", "h", "", "l", "ll", "z" };
#define NLENS (sizeof(lens) / sizeof(lens[0]))

/* Bit patterns, converted to each argument type: zero, ones, extremes of every width, and
 * powers of 8, 10 and 16 with their neighbours (generated in value_table()).  Kept in
 * groups by hand: clang-format would put one value on each line. */
/* clang-format off */
static const unsigned long long fixed_values[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	INT_MAX, (unsigned long long)INT_MAX + 1, UINT_MAX, (unsigned long long)UINT_MAX + 1,
	LLONG_MAX, (unsigned long long)LLONG_MIN, ULLONG_MAX, (unsigned long long)-2LL,
	(unsigned long long)-10LL, (unsigned long long)-128LL, (unsigned long long)-129LL,
	(unsigned long long)INT_MIN, 0xdeadbeefcafef00dULL,
};
/* clang-format on */

static unsigned long long values[256];
static size_t nvalues;

static void
add_value(unsigned long long v)
{
	for (size_t i = 0; i < nvalues; i++)
		if (values[i] == v)
			return;
	cr_assert_lt(nvalues, sizeof(values) / sizeof(values[0]));
	values[nvalues++] = v;
}

static void
value_table(void)
{
	static const unsigned bases[] = { 8, 10, 16 };

	nvalues = 0;
	for (size_t i = 0; i < sizeof(fixed_values) / sizeof(fixed_values[0]); i++)
		add_value(fixed_values[i]);
	for (size_t b = 0; b < 3; b++) {
		for (unsigned long long p = bases[b];; p *= bases[b]) {
			add_value(p - 1);
			add_value(p);
			add_value(p + 1);
			add_value(0ULL - p);
			if (p > ULLONG_MAX / bases[b])
				break;
		}
	}
}

/* Calls fn with the '*' arguments the fields ask for, then `v`. */
#define CALL_FIELDS(fn, buf, fmt, w, p, v)                                                         \
	((w)->star && (p)->star ? (fn)(buf, OUT_MAX, fmt, (w)->arg, (p)->arg, v)                   \
	 : (w)->star            ? (fn)(buf, OUT_MAX, fmt, (w)->arg, v)                             \
	 : (p)->star            ? (fn)(buf, OUT_MAX, fmt, (p)->arg, v)                             \
	                        : (fn)(buf, OUT_MAX, fmt, v))

/* Formats bit pattern `v` as the argument type the length modifier and conversion expect. */
static int
call_integer(snprintf_fn fn, char *buf, const char *fmt, const char *len, char conv,
             const struct field *w, const struct field *p, unsigned long long v)
{
	int is_signed = conv == 'd' || conv == 'i';

	if (strcmp(len, "l") == 0)
		return is_signed ? CALL_FIELDS(fn, buf, fmt, w, p, (long)v)
		                 : CALL_FIELDS(fn, buf, fmt, w, p, (unsigned long)v);
	if (strcmp(len, "ll") == 0)
		return is_signed ? CALL_FIELDS(fn, buf, fmt, w, p, (long long)v)
		                 : CALL_FIELDS(fn, buf, fmt, w, p, v);
	if (strcmp(len, "z") == 0)
		return is_signed ? CALL_FIELDS(fn, buf, fmt, w, p, (ssize_t)v)
		                 : CALL_FIELDS(fn, buf, fmt, w, p, (size_t)v);
	/* hh, h and none all take an int (C99 7.19.6.1p7: promoted, then narrowed). */
	return is_signed ? CALL_FIELDS(fn, buf, fmt, w, p, (int)v)
	                 : CALL_FIELDS(fn, buf, fmt, w, p, (unsigned)v);
}

/* Flag strings for every subset of `flags`. */
static size_t
flag_subsets(const char *flags, char out[][8])
{
	size_t n = strlen(flags), count = 0;

	for (unsigned mask = 0; mask < (1u << n); mask++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (mask & (1u << i))
				out[count][k++] = flags[i];
		out[count++][k] = '\0';
	}
	return count;
}

/* Compares one conversion over the whole grid; returns the number of comparisons. */
static size_t
compare_integer_grid(char conv, const char *flags)
{
	char sets[32][8], fmt[64], want[OUT_MAX], got[OUT_MAX];
	size_t nsets = flag_subsets(flags, sets), done = 0;

	value_table();
	for (size_t f = 0; f < nsets; f++)
		for (size_t w = 0; w < NWIDTHS; w++)
			for (size_t p = 0; p < NPRECS; p++)
				for (size_t l = 0; l < NLENS; l++) {
					snprintf(fmt, sizeof(fmt), "%%%s%s%s%s%c", sets[f],
					         widths[w].text, precs[p].text, lens[l], conv);
					for (size_t v = 0; v < nvalues; v++) {
						int rw =
						    call_integer(snprintf, want, fmt, lens[l], conv,
						                 &widths[w], &precs[p], values[v]);
						int rg = call_integer(fmt_snprintf, got, fmt,
						                      lens[l], conv, &widths[w],
						                      &precs[p], values[v]);
						if (rw != rg || strcmp(want, got) != 0)
							cr_assert_fail(
							    "format \"%s\" (star %d/%d) value "
							    "0x%llx: "
							    "got [%s] (%d), libc [%s] (%d)",
							    fmt, widths[w].arg, precs[p].arg,
							    values[v], got, rg, want, rw);
						done++;
					}
				}
	return done;
}

#define GRID_SIZE(nflags) (((size_t)1 << (nflags)) * NWIDTHS * NPRECS * NLENS * nvalues)

Test(printfmt_grid, d_matches_libc)
{
	cr_assert_eq(compare_integer_grid('d', "-0+ "), GRID_SIZE(4));
}

Test(printfmt_grid, i_matches_libc)
{
	cr_assert_eq(compare_integer_grid('i', "-0+ "), GRID_SIZE(4));
}

Test(printfmt_grid, u_matches_libc)
{
	cr_assert_eq(compare_integer_grid('u', "-0+ "), GRID_SIZE(4));
}

Test(printfmt_grid, x_matches_libc)
{
	cr_assert_eq(compare_integer_grid('x', "-0#"), GRID_SIZE(3));
}

Test(printfmt_grid, X_matches_libc)
{
	cr_assert_eq(compare_integer_grid('X', "-0#"), GRID_SIZE(3));
}

Test(printfmt_grid, o_matches_libc)
{
	cr_assert_eq(compare_integer_grid('o', "-0#"), GRID_SIZE(3));
}

/* %s, %c and %p take only the flags C defines for them (and '0', which glibc ignores). */
static const char *const text_flags[] = { "", "-", "0" };

Test(printfmt_grid, s_matches_libc)
{
	static const char *const strs[] = { "", "a", "hello", "a string longer than twenty" };
	char fmt[64], want[OUT_MAX], got[OUT_MAX];
	size_t done = 0;

	for (size_t f = 0; f < 3; f++)
		for (size_t w = 0; w < NWIDTHS; w++)
			for (size_t p = 0; p < NPRECS; p++)
				for (size_t s = 0; s < 4; s++) {
					snprintf(fmt, sizeof(fmt), "%%%s%s%ss", text_flags[f],
					         widths[w].text, precs[p].text);
					int rw = CALL_FIELDS(snprintf, want, fmt, &widths[w],
					                     &precs[p], strs[s]);
					int rg = CALL_FIELDS(fmt_snprintf, got, fmt, &widths[w],
					                     &precs[p], strs[s]);
					cr_assert_eq(rg, rw,
					             "format \"%s\" on \"%s\": length %d, libc %d",
					             fmt, strs[s], rg, rw);
					cr_assert_str_eq(got, want, "format \"%s\"", fmt);
					done++;
				}
	cr_assert_eq(done, 3 * NWIDTHS * NPRECS * 4);
}

Test(printfmt_grid, c_matches_libc)
{
	static const int chars[] = { 'a', ' ', '~', '%', 0xe9 };
	char fmt[64], want[OUT_MAX], got[OUT_MAX];
	const struct field none = { "", 0, 0 };

	for (size_t f = 0; f < 3; f++)
		for (size_t w = 0; w < NWIDTHS; w++)
			for (size_t c = 0; c < 5; c++) {
				snprintf(fmt, sizeof(fmt), "%%%s%sc", text_flags[f],
				         widths[w].text);
				int rw =
				    CALL_FIELDS(snprintf, want, fmt, &widths[w], &none, chars[c]);
				int rg = CALL_FIELDS(fmt_snprintf, got, fmt, &widths[w], &none,
				                     chars[c]);
				cr_assert_eq(rg, rw, "format \"%s\"", fmt);
				cr_assert_str_eq(got, want, "format \"%s\" char 0x%x", fmt,
				                 chars[c]);
			}
}

Test(printfmt_grid, p_matches_libc)
{
	static void *const ptrs[] = {
		NULL,
		(void *)1,
		(void *)0xdeadbeef,
		(void *)0xffff800000000000,
		(void *)UINTPTR_MAX,
	};
	char fmt[64], want[OUT_MAX], got[OUT_MAX];
	const struct field none = { "", 0, 0 };

	for (size_t f = 0; f < 3; f++)
		for (size_t w = 0; w < NWIDTHS; w++)
			for (size_t i = 0; i < 5; i++) {
				snprintf(fmt, sizeof(fmt), "%%%s%sp", text_flags[f],
				         widths[w].text);
				int rw =
				    CALL_FIELDS(snprintf, want, fmt, &widths[w], &none, ptrs[i]);
				int rg =
				    CALL_FIELDS(fmt_snprintf, got, fmt, &widths[w], &none, ptrs[i]);
				cr_assert_eq(rg, rw, "format \"%s\"", fmt);
				cr_assert_str_eq(got, want, "format \"%s\" pointer %p", fmt,
				                 ptrs[i]);
			}
}

/* The self-test cases the kernel prints at boot must agree with libc too.  One case prints
 * a NULL string on purpose; gcc's overflow check would reject it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
Test(printfmt_cases, boot_cases_match_libc)
{
	char want[OUT_MAX], got[OUT_MAX];
	size_t n = 0;

	typedef signed char SCHAR;
	typedef unsigned char UCHAR;
	typedef short SHORT;
	typedef unsigned short USHORT;
	typedef int INT;
	typedef unsigned UINT;
	typedef long LONG;
	typedef unsigned long ULONG;
	typedef long long LLONG;
	typedef unsigned long long ULLONG;
	typedef size_t SIZE;
	typedef int CHAR;
	typedef const char *STR;
	typedef void *PTR;
#define CASE(fmt, type, value)                                                                     \
	do {                                                                                       \
		int rw = snprintf(want, OUT_MAX, fmt, (type)(value));                              \
		int rg = fmt_snprintf(got, OUT_MAX, fmt, (type)(value));                           \
		cr_assert_eq(rg, rw, "case \"%s\"", fmt);                                          \
		cr_assert_str_eq(got, want, "case \"%s\"", fmt);                                   \
		n++;                                                                               \
	} while (0);
#define CASE_STAR(fmt, width, type, value)                                                         \
	do {                                                                                       \
		int rw = snprintf(want, OUT_MAX, fmt, (int)(width), (type)(value));                \
		int rg = fmt_snprintf(got, OUT_MAX, fmt, (int)(width), (type)(value));             \
		cr_assert_eq(rg, rw, "case \"%s\"", fmt);                                          \
		cr_assert_str_eq(got, want, "case \"%s\"", fmt);                                   \
		n++;                                                                               \
	} while (0);
#include "../../../lib/printfmt_cases.h"
#undef CASE
#undef CASE_STAR
	cr_assert_gt(n, 40);
}
