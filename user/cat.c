/* cat [FILE...]: copies each ramdisk file in turn to fd 1, or fd 0 when there is none, to end
 * of file.  A file that cannot be opened prints one line and the others are still copied;
 * the exit status is then 1. */
#include "fd.h"
#include "file.h"
#include "libos.h"

/* fd to fd 1: 0, or 1 after saying what failed. */
static int
copy(int fd, const char *name)
{
	char buf[512];
	long n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1; /* fd 1's reader is gone: nothing to say it to */
	if (n < 0) {
		dprintf(2, "cat: %s: %s\n", name, error_name((int)n));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int status = 0;

	if (argc == 1)
		return copy(0, "stdin");
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0) {
			dprintf(2, "cat: %s: %s\n", argv[i],
			        fd == E_NOENT ? "no such file" : error_name(fd));
			status = 1;
			continue;
		}
		status |= copy(fd, argv[i]);
		close(fd);
	}
	return status;
}
