/* Boot-time self-tests: a registry (section .ktests) that test=NAME picks from, and the
 * machine-independent tests (backtrace, panic).  The other tests of kern/test register
 * themselves with KTEST (ktest.h), one file per subject. */
#include <stdbool.h>
#include <stddef.h>

#include "backtrace.h"
#include "console.h"
#include "ktest.h"
#include "panic.h"
#include "xstring.h"

/* The linker gathers KTEST entries here (kern/kernel.ld). */
extern const struct ktest kern_ktests_start[], kern_ktests_end[];

/* Passed in memory (an aggregate larger than 16 bytes, SysV x86-64 ABI 3.2.3), so a
 * frame's first stack words rbp+16, rbp+24, rbp+32 are exactly depth, magic, pad. */
struct bt_arg {
	long depth;
	long magic;
	long pad;
};

#define BT_MAGIC 0xb7ace
#define BT_DEPTH 5

/* Written after each recursive call, so the call is never the last thing the function
 * does: no compiler may turn it into a jump or a loop. */
static volatile long bt_unwound;

/* Kept out of line and out of interprocedural rewrites that would change how `a` is
 * passed (gcc's noipa; clang has no such pass for functions with external linkage). */
#ifdef __clang__
#define BT_NOIPA __attribute__((noinline))
#else
#define BT_NOIPA __attribute__((noinline, noipa))
#endif

BT_NOIPA long test_backtrace(struct bt_arg a);

BT_NOIPA long
test_backtrace(struct bt_arg a)
{
	long r;

	printf("entering test_backtrace %ld\n", a.depth);
	if (a.depth > 0) {
		struct bt_arg next = { a.depth - 1, a.magic, a.pad };

		r = test_backtrace(next);
	} else {
		backtrace_here();
		r = 0;
	}
	bt_unwound = a.depth;
	printf("leaving test_backtrace %ld\n", a.depth);
	return r + 1;
}

static void
ktest_backtrace(void)
{
	struct bt_arg a = { BT_DEPTH, BT_MAGIC, 0 };

	test_backtrace(a);
}

static void
ktest_panic(void)
{
	panic("ktest: deliberate panic (magic %#x)", BT_MAGIC);
}

KTEST(backtrace, ktest_backtrace, "test_backtrace(5): a backtrace with args 0..5, magic 0xb7ace");
KTEST(panic, ktest_panic, "panic(): message, backtrace, halt with status 3");

static const struct ktest *
ktest_find(const char *name)
{
	const struct ktest *t;

	for (t = kern_ktests_start; t < kern_ktests_end; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

bool
ktest_run(const char *name)
{
	const struct ktest *t = ktest_find(name);

	if (t == NULL) {
		printf("ktest: no test '%s'\n", name);
		ktest_list();
		return false;
	}
	printf("ktest: %s\n", t->name);
	t->fn();
	printf("ktest: %s done\n", t->name);
	return true;
}

void
ktest_list(void)
{
	const struct ktest *t;

	printf("tests:\n");
	for (t = kern_ktests_start; t < kern_ktests_end; t++)
		printf("  %-10s %s\n", t->name, t->what);
}
