/* For tests that check a diagnostic's "driver pc FILE:LINE": the number of the first line
 * holding `needle` after the line that starts with `func` in `file` (a source file, read from
 * the tree's root, where the unit tests run); 0 when there is none.  Header-only, so each test
 * binary that needs it includes it (grade/unit/net, grade/unit/nvme). */
#ifndef GRADE_UNIT_SRCLINE_H
#define GRADE_UNIT_SRCLINE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static inline unsigned
src_line(const char *file, const char *func, const char *needle)
{
	char line[512];
	unsigned n = 0, found = 0;
	bool in_func = false;
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (!strncmp(line, func, strlen(func)))
			in_func = true;
		else if (in_func && strstr(line, needle) != NULL)
			found = n;
	}
	fclose(f);
	return found;
}

#endif
