/* grep: the lines of fd 0 that contain the fixed string argv[1], on fd 1; exits 0 if a line
 * matched, 1 if none did, 2 on bad usage.  Lines longer than LINE_MAX are cut there. */
#include <stdbool.h>

#include "fd.h"
#include "libos.h"
#include "xstring.h"

#define LINE_MAX 512

static bool
contains(const char *line, size_t len, const char *pat, size_t plen)
{
	for (size_t i = 0; i + plen <= len; i++)
		if (memcmp(line + i, pat, plen) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	static char line[LINE_MAX + 1];
	size_t len = 0, plen;
	bool matched = false, more = true;
	char c;

	if (argc != 2) {
		dprintf(2, "usage: grep STRING (a fixed string; reads fd 0)\n");
		return 2;
	}
	plen = strlen(argv[1]);
	while (more) {
		more = read(0, &c, 1) == 1;
		if (more && c != '\n') {
			if (len < LINE_MAX)
				line[len++] = c;
			continue;
		}
		if ((more || len > 0) && contains(line, len, argv[1], plen)) {
			line[len++] = '\n';
			write(1, line, len);
			matched = true;
		}
		len = 0;
	}
	return matched ? 0 : 1;
}
