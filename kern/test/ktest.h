/* Boot-time self-tests, selected with test=NAME on the command line. */
#ifndef EXOLAB_KTEST_H
#define EXOLAB_KTEST_H

#include <stdbool.h>

struct ktest {
	const char *name;
	void (*fn)(void);
	const char *what;
};

/* Registers a test from any kernel file; the linker gathers them in section .ktests.
 *   KTEST(divzero, ktest_divzero, "divide by zero: #DE trap dump");  */
#define KTEST(id, func, whatstr)                                                                   \
	static const struct ktest ktest_entry_##id                                                 \
	    __attribute__((used, section(".ktests"), aligned(8))) = { #id, func, whatstr }

/* The same, for a test whose name is no C identifier:
 *   KTEST_NAMED(bench_mm, "bench-mm", ktest_bench_mm, "...");  */
#define KTEST_NAMED(id, namestr, func, whatstr)                                                    \
	static const struct ktest ktest_entry_##id                                                 \
	    __attribute__((used, section(".ktests"), aligned(8))) = { namestr, func, whatstr }

/* Runs the test called `name`; false when there is no such test. */
bool ktest_run(const char *name);

/* Prints the registered tests. */
void ktest_list(void);

#endif
