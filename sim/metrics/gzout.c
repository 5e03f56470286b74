/* --trace F.gz: a stdio stream whose bytes go through zlib's gzip writer (RFC 1952, deflate
 * of RFC 1951), so the trace writers keep printing to a FILE *.  glibc's fopencookie. */
#define _GNU_SOURCE
#include "metrics.h"

#include <stdio.h>
#include <zlib.h>

static ssize_t
gz_cookie_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	/* gzwrite takes an unsigned length: feed it in chunks below 2^31. */
	while (done < n) {
		unsigned part = n - done > (1u << 30) ? 1u << 30 : (unsigned)(n - done);
		int w = gzwrite((gzFile)cookie, buf + done, part);

		if (w <= 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static int
gz_cookie_close(void *cookie)
{
	return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF;
}

FILE *
met_gzip_open(const char *path)
{
	static const cookie_io_functions_t io = { .write = gz_cookie_write,
		                                  .close = gz_cookie_close };
	/* Level 6 (zlib's default); the trace is repetitive JSON and shrinks about tenfold. */
	gzFile gz = gzopen(path, "wb6");
	FILE *f;

	if (!gz)
		return NULL;
	f = fopencookie(gz, "w", io);
	if (!f)
		gzclose(gz);
	else
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}
