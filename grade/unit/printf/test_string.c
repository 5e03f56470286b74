/* Host unit tests of lib/string.c.  printf.mk renames its functions (memset -> xs_memset,
 * ...) with -D and builds with -fno-builtin, so they are tested beside libc, not instead. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "xstring.h"

#define N 64

/* A reference copy: what memmove(dst, src, n) must leave in a buffer `b` of N bytes. */
static void
model_move(unsigned char *b, size_t dst, size_t src, size_t n)
{
	unsigned char tmp[N];

	for (size_t i = 0; i < n; i++)
		tmp[i] = b[src + i];
	for (size_t i = 0; i < n; i++)
		b[dst + i] = tmp[i];
}

Test(string, memmove_handles_every_overlap)
{
	unsigned char got[N], want[N];
	size_t cases = 0;

	for (size_t n = 0; n <= 24; n++)
		for (size_t src = 0; src + n <= 32; src++)
			for (size_t dst = 0; dst + n <= 32; dst++) {
				for (size_t i = 0; i < N; i++)
					got[i] = want[i] = (unsigned char)(i * 7 + 1);
				cr_assert_eq(memmove(got + dst, got + src, n), got + dst);
				model_move(want, dst, src, n);
				for (size_t i = 0; i < N; i++)
					cr_assert_eq(got[i], want[i],
					             "n %zu src %zu dst %zu byte %zu", n, src, dst,
					             i);
				cases++;
			}
	cr_assert_eq(cases, 12325); /* sum over n of (33 - n)^2 */
}

Test(string, memset_and_memcpy_touch_exactly_n_bytes)
{
	unsigned char b[N] = { 0 }, c[N];

	cr_assert_eq(memset(b + 3, 0x1ab, 5), b + 3);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(b[i], i >= 3 && i < 8 ? 0xab : 0, "byte %zu", i);
	for (size_t i = 0; i < N; i++)
		c[i] = 0xee;
	cr_assert_eq(memcpy(c + 1, b + 3, 5), c + 1);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(c[i], i >= 1 && i < 6 ? 0xab : 0xee, "byte %zu", i);
}

/* The word loops: every destination and source alignment, every length up to 100 (short
 * tails, the 8- and 32-byte loops, and their ends), checked byte by byte against a buffer
 * filled by hand, with untouched bytes on both sides.  The buffers are 8-byte aligned. */
#define W 128
Test(string, memset_and_memcpy_are_exact_at_every_alignment_and_length)
{
	_Alignas(8) unsigned char b[W + 16], src[W + 16];
	size_t cases = 0;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 13 + 5);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n <= 100; n++) {
			for (size_t i = 0; i < sizeof(b); i++)
				b[i] = 0xee;
			cr_assert_eq(memset(b + off, 0x5a, n), b + off);
			for (size_t i = 0; i < sizeof(b); i++)
				cr_assert_eq(b[i], i >= off && i < off + n ? 0x5a : 0xee,
				             "memset off %zu n %zu byte %zu", off, n, i);
			for (size_t soff = 0; soff < 8; soff++) {
				for (size_t i = 0; i < sizeof(b); i++)
					b[i] = 0xee;
				cr_assert_eq(memcpy(b + off, src + soff, n), b + off);
				for (size_t i = 0; i < sizeof(b); i++)
					cr_assert_eq(b[i],
					             i >= off && i < off + n ? src[soff + i - off]
					                                     : 0xee,
					             "memcpy off %zu soff %zu n %zu byte %zu", off,
					             soff, n, i);
				cases++;
			}
		}
	cr_assert_eq(cases, 8 * 101 * 8);
}

Test(string, comparisons_treat_bytes_as_unsigned)
{
	cr_assert_lt(memcmp("a\x01", "a\xff", 2), 0);
	cr_assert_gt(memcmp("b", "a", 1), 0);
	cr_assert_eq(memcmp("abc", "abd", 2), 0);
	cr_assert_eq(memcmp("x", "y", 0), 0);
	cr_assert_lt(strcmp("abc", "abd"), 0);
	cr_assert_lt(strcmp("ab", "abc"), 0);
	cr_assert_gt(strcmp("\xff", "a"), 0);
	cr_assert_eq(strcmp("same", "same"), 0);
	cr_assert_eq(strncmp("abcX", "abcY", 3), 0);
	cr_assert_lt(strncmp("abcX", "abcY", 4), 0);
	cr_assert_eq(strncmp("ab", "ab", 10), 0);
	cr_assert_gt(strncmp("abc", "ab", 10), 0);
}

Test(string, lengths_and_search)
{
	static const char s[] = "hello";

	cr_assert_eq(strlen(""), 0);
	cr_assert_eq(strlen(s), 5);
	cr_assert_eq(strnlen(s, 3), 3);
	cr_assert_eq(strnlen(s, 99), 5);
	cr_assert_eq(strchr(s, 'l'), s + 2);
	cr_assert_eq(strchr(s, '\0'), s + 5);
	cr_assert_null(strchr(s, 'z'));
}

Test(string, strlcpy_truncates_terminates_and_reports_source_length)
{
	char d[8];

	memset(d, 'x', sizeof(d));
	cr_assert_eq(strlcpy(d, "abcdefghij", sizeof(d)), 10);
	cr_assert_str_eq(d, "abcdefg");
	cr_assert_eq(strlcpy(d, "hi", sizeof(d)), 2);
	cr_assert_str_eq(d, "hi");
	d[0] = 'q';
	cr_assert_eq(strlcpy(d, "abc", 0), 3);
	cr_assert_eq(d[0], 'q');
	cr_assert_eq(strlcpy(d, "abc", 1), 3);
	cr_assert_eq(d[0], '\0');
}
