/* forktree: the classic fork test.  Every env forks two children, whose names are its own
 * with '0' or '1' appended, down to names of DEPTH characters; each prints its name once.
 * Each env waits for its children before it exits, so when the first env ends the whole
 * tree has, and init's leak check sees every page back. */
#include <stdint.h>

#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define DEPTH 3

static void forktree(const char *cur);

/* Forks the child named cur + branch; its id (the child runs its subtree and exits). */
static long
forkchild(const char *cur, char branch)
{
	char next[DEPTH + 1];
	size_t n = strlen(cur);
	long id;

	memcpy(next, cur, n);
	next[n] = branch;
	next[n + 1] = '\0';
	if ((id = fork()) < 0)
		panic("fork: %s", error_name((int)id));
	if (id == 0) {
		forktree(next);
		exit(0);
	}
	return id;
}

static void
forktree(const char *cur)
{
	long kids[2];
	int nkids = 0;

	printf("forktree: %04lx: I am '%s'\n", (unsigned long)sys_env_id() & 0xffff, cur);
	if (strlen(cur) < DEPTH) {
		kids[nkids++] = forkchild(cur, '0');
		kids[nkids++] = forkchild(cur, '1');
	}
	for (int i = 0; i < nkids; i++)
		if (wait(kids[i], NULL) < 0)
			panic("wait for child %d failed", i);
}

int
main(int argc, char **argv)
{
	forktree("");
	printf("forktree: the whole tree is done\n");
	return 0;
}
