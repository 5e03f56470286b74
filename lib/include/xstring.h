/* Memory and string helpers for the kernel and user space (lib/string.c).  Named xstring.h
 * so host builds still get the C library's <string.h>; host programs never link lib/string.c. */
#ifndef EXOLAB_XSTRING_H
#define EXOLAB_XSTRING_H

#include <stddef.h>

/* The compiler may emit calls to these four even in freestanding code, under these names. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Copies at most size - 1 characters and always terminates when size > 0; returns
 * strlen(src), so a result >= size means the copy was cut. */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
