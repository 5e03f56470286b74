/* echo: its arguments, separated by spaces, and a newline, in one write to fd 1. */
#include "abi/syscall.h"
#include "fd.h"
#include "libos.h"
#include "xstring.h"

int
main(int argc, char **argv)
{
	char line[ABI_CMD_MAX + 2];
	size_t len = 0;

	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 2 > sizeof(line))
			break;
		if (i > 1)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len++] = '\n';
	return write(1, line, len) == (long)len ? 0 : 1;
}
