/* The TSan tests' harness: Criterion's forking runner cannot map its shared arena under
 * ThreadSanitizer ("Could not initialize inheritable arena"), so these binaries are plain
 * programs.  TCHECK stops at the first failed check with its file and line; each test
 * prints "PASS name" when it returns; a data race makes TSan exit non-zero (halt_on_error). */
#ifndef FPTEST_TCHECK_H
#define FPTEST_TCHECK_H

#include <stdio.h>
#include <stdlib.h>

#define TCHECK(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define TRUN(test)                                                                                 \
	do {                                                                                       \
		test();                                                                            \
		printf("PASS %s\n", #test);                                                        \
		fflush(stdout);                                                                    \
	} while (0)

/* Every report is an error: a race exits with status 66 at once. */
const char *
__tsan_default_options(void)
{
	return "halt_on_error=1:exitcode=66";
}

#endif
