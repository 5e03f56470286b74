/* cat: copies fd 0 to fd 1 until end of file (no file arguments: the LibOS has no files yet). */
#include "fd.h"
#include "libos.h"

int
main(int argc, char **argv)
{
	char buf[512];
	long n;

	if (argc > 1) {
		dprintf(2, "cat: files are not supported; reading stdin only\n");
		return 2;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1;
	return n < 0 ? 1 : 0;
}
