/* head [-n N] [FILE]: the first N lines (10 by default) of the ramdisk file, or of fd 0. */
#include <stdbool.h>

#include "fd.h"
#include "file.h"
#include "libos.h"

#define DEFAULT_LINES 10

/* The decimal number s, or -1 unless s is one. */
static long
number(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Copies up to `lines` lines of fd to fd 1; 0, or 1 on a read error. */
static int
copy_lines(int fd, long lines)
{
	char buf[512];
	long n = 0;

	while (lines > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		long k = 0;

		while (k < n && lines > 0)
			lines -= buf[k++] == '\n';
		if (write(1, buf, (size_t)k) != k)
			return 1;
		if (lines == 0)
			return 0;
	}
	return lines > 0 && n < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	long lines = DEFAULT_LINES;
	int i = 1, fd = 0;

	if (argc > 2 && argv[1][0] == '-' && argv[1][1] == 'n' && argv[1][2] == '\0') {
		lines = number(argv[2]);
		i = 3;
	}
	if (lines < 0 || argc - i > 1) {
		dprintf(2, "usage: head [-n N] [FILE]\n");
		return 2;
	}
	if (i < argc && (fd = open(argv[i], O_RDONLY)) < 0) {
		dprintf(2, "head: %s: %s\n", argv[i],
		        fd == E_NOENT ? "no such file" : error_name(fd));
		return 1;
	}
	return copy_lines(fd, lines);
}
