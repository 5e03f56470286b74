/* Memory and string helpers (memset, memcpy, strlen, ...) for the kernel and user space.
 * Simple loops: correctness and readability first.  memset and memcpy move eight bytes at a
 * time once the destination is aligned: zeroing a fresh 4 KiB frame a byte at a time cost
 * about 16,000 instructions (ExoLab's anonymous-fault row in `make bench-linux`). */
#include <stddef.h>
#include <stdint.h>

#include "xstring.h"

/* gcc (-O2, -ftree-loop-distribute-patterns) may turn the loop in memset into a call to
 * memset, that is into endless recursion; clang already refuses to inside these functions. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

/* A 64-bit word that may alias any object (the C aliasing rules otherwise let the compiler
 * assume a uint64_t store does not change, say, a struct read next). */
typedef uint64_t __attribute__((may_alias)) word_t;

void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	word_t w = 0x0101010101010101ull * (unsigned char)c;

	for (; n > 0 && ((uintptr_t)d & 7) != 0; n--)
		*d++ = (unsigned char)c;
	for (; n >= 32; n -= 32, d += 32) {
		((word_t *)d)[0] = w;
		((word_t *)d)[1] = w;
		((word_t *)d)[2] = w;
		((word_t *)d)[3] = w;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(word_t *)d = w;
	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

/* Word copies when source and destination are equally misaligned (x86-64 allows unaligned
 * loads, but only the common aligned case is worth the branch). */
void *
memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
		for (; n > 0 && ((uintptr_t)d & 7) != 0; n--)
			*d++ = *s++;
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(word_t *)d = *(const word_t *)s;
	}
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

/* Overlapping ranges: copy backwards when dst lies inside [src, src + n), so every byte is
 * read before it is overwritten.  The unsigned difference is >= n exactly when it does not
 * (dst below src wraps around to a huge value). */
void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((uintptr_t)d - (uintptr_t)s >= n) {
		while (n-- > 0)
			*d++ = *s++;
	} else {
		while (n-- > 0)
			d[n] = s[n];
	}
	return dst;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

/* Characters compare as unsigned char (C99 7.21.4p1). */
int
strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++)
		if (*a != *b || *a == '\0')
			return (int)(unsigned char)*a - (int)(unsigned char)*b;
	return 0;
}

/* The terminator counts as part of the string: strchr(s, '\0') finds it. */
char *
strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
