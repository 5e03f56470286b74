/* lib/fastpath's private helper: a bounded string copy built on memcpy and strnlen, which
 * both lib/string.c and every host C library have (strlcpy is missing from older glibc). */
#ifndef EXOLAB_FP_STR_H
#define EXOLAB_FP_STR_H

#include <stddef.h>

#include "xstring.h"

/* Copies at most size - 1 bytes of src and terminates dst (size > 0). */
static inline void
fp_copy_str(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

#endif
