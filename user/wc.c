/* wc: lines, words and bytes of fd 0, as "LINES WORDS BYTES" on fd 1. */
#include <stdbool.h>

#include "fd.h"
#include "libos.h"

int
main(int argc, char **argv)
{
	unsigned long lines = 0, words = 0, bytes = 0;
	bool in_word = false;
	char buf[512];
	long n;

	(void)argc;
	(void)argv;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++) {
			bool space = buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t';

			lines += buf[i] == '\n';
			words += !space && !in_word;
			in_word = !space;
		}
		bytes += (unsigned long)n;
	}
	if (n < 0)
		return 1;
	dprintf(1, "%lu %lu %lu\n", lines, words, bytes);
	return 0;
}
