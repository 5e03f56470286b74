/* How legion's selftest mode (user/legion.c) judges a test from the lines it printed and its
 * status (legion_tests.h says the rule): the summary-line parser and the verdict. */
#ifndef EXOLAB_USER_LEGION_JUDGE_H
#define EXOLAB_USER_LEGION_JUDGE_H

#include <stdbool.h>

#include "fork.h"
#include "legion_run.h"
#include "legion_tests.h"
#include "xstring.h"

struct verdict {
	const struct legion_test *t;
	int failed;         /* the last summary line's count; -1: none seen */
	unsigned fail_says; /* lines with a FAIL word */
	bool done;          /* t->done was printed */
};

/* The digits ending just before s[at]: their value, *start set to where they begin; -1 if none. */
static long
number_before(const char *s, long at, long *start)
{
	long v = 0, mul = 1, i = at;

	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9' && mul < 1000000000l) {
		v += (s[i - 1] - '0') * mul;
		mul *= 10;
		i--;
	}
	*start = i;
	return i == at ? -1 : v;
}

/* The count a summary line gives: "N checks failed", "N of M checks failed", "N checks, M
 * failed", "... M failed"; -1 if the line is not one. */
static long
summary_failed(const char *line)
{
	long len = (long)strlen(line), at = -1, start, n, m;

	for (long i = 0; i + 7 <= len; i++)
		if (strncmp(line + i, " failed", 7) == 0)
			at = i;
	if (at < 0)
		return -1;
	if (at >= 7 && strncmp(line + at - 7, " checks", 7) == 0)
		at -= 7;
	if ((m = number_before(line, at, &start)) < 0)
		return -1;
	if (start >= 4 && strncmp(line + start - 4, " of ", 4) == 0 &&
	    (n = number_before(line, start - 4, &start)) >= 0)
		return n;
	return m;
}

static bool
says_fail(const char *line)
{
	for (const char *p = line; (p = strchr(p, 'F')) != NULL; p++)
		if (strncmp(p, "FAIL", 4) == 0 && (p == line || p[-1] == ' ') &&
		    (p[4] == 0 || p[4] == ' ' || p[4] == '(' || p[4] == ':'))
			return true;
	return false;
}

/* Why the test failed, or NULL if it passed. */
static const char *
judge(const struct verdict *v, int status)
{
	if (status == LEGION_ST_TIMEOUT)
		return "timeout";
	if (status == LEGION_ST_NOSPAWN)
		return "not started";
	if (status == WAIT_KILLED)
		return "killed";
	if (status != 0)
		return "exit status";
	if (v->fail_says > 0)
		return "a check said FAIL";
	if (v->t->done != NULL)
		return v->done ? NULL : "no end line";
	if (v->failed < 0)
		return "no summary line";
	return v->failed == 0 ? NULL : "checks failed";
}

#endif
