/* The end of a forked child, as its parent sees it: the children not waited for yet, and
 * their exit statuses.  The kernel keeps no exit status for other envs to read, so each env
 * that forks has a status page (VM_WAIT_VA, one word per child, never shared by fork), and
 * maps it into every child at VM_PARENT_WAIT_VA; exit writes its status into its own word
 * there before it ends.  A child that ends without exit (a fault, a destroy) leaves the word
 * as the parent set it, WAIT_NONE.  wait polls the child's status with sys_yield until
 * notifications exist (issue 11, step 2), then it will wait on one; the interface stays. */
#include <stdint.h>

#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "vm.h"

#define WAIT_NONE INT64_MIN /* the child has not called exit */

/* id 0: a free entry.  Its index is also the child's word in the status page. */
static struct {
	long id;
	uint64_t slot;
} kids[FORK_MAX_CHILDREN];

/* Each variable below is inherited by a child, whose it is not: *_env names the env the
 * value belongs to, and anything else is treated as empty. */
static uint64_t kids_env;
static uint64_t status_env;
static uint64_t status_slot;
static uint64_t parent_env;
static int parent_index;
static int next_index; /* set before exofork: the child reads it as its parent_index */

static volatile int64_t *const status_page = (volatile int64_t *)VM_WAIT_VA;
static volatile int64_t *const parent_page = (volatile int64_t *)VM_PARENT_WAIT_VA;

static void
kids_own(void)
{
	if (kids_env != libos_envinfo->envid) {
		for (unsigned i = 0; i < FORK_MAX_CHILDREN; i++)
			kids[i].id = 0;
		kids_env = libos_envinfo->envid;
	}
}

/* This env's status page, mapped the first time it forks. */
static int
status_page_own(void)
{
	long slot, err;

	if (status_env == libos_envinfo->envid)
		return 0;
	if ((slot = slot_alloc()) < 0)
		return (int)slot;
	if ((err = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, VM_FRAME_RIGHTS)) < 0 ||
	    (err = sys_map(ABI_SLOT_SELF, (uint64_t)slot, VM_WAIT_VA, ABI_PERM_R | ABI_PERM_W)) <
	        0) {
		sys_cap_delete((uint64_t)slot);
		slot_free((uint64_t)slot);
		return (int)err;
	}
	status_slot = (uint64_t)slot;
	status_env = libos_envinfo->envid;
	return 0;
}

int
child_prepare(void)
{
	int err;

	kids_own();
	if ((err = status_page_own()) < 0)
		return err;
	for (int i = 0; i < FORK_MAX_CHILDREN; i++) {
		if (kids[i].id == 0) {
			status_page[i] = WAIT_NONE;
			next_index = i;
			return i;
		}
	}
	return E_NOMEM;
}

void
child_started(void)
{
	parent_index = next_index;
	parent_env = libos_envinfo->envid;
}

int
child_attach(uint64_t child)
{
	return (int)sys_map(child, status_slot, VM_PARENT_WAIT_VA, ABI_PERM_R | ABI_PERM_W);
}

void
child_add(int index, long id, uint64_t slot)
{
	kids[index].id = id;
	kids[index].slot = slot;
}

void
child_exit_status(int status)
{
	if (parent_env == libos_envinfo->envid)
		parent_page[parent_index] = status;
}

int
wait(long envid, int *status)
{
	int i;
	long st;

	kids_own();
	for (i = 0; i < FORK_MAX_CHILDREN && kids[i].id != envid; i++)
		;
	if (i == FORK_MAX_CHILDREN)
		return E_NOENT;
	while ((st = sys_env_status(kids[i].slot)) >= 0 && st != ENV_DEAD)
		sys_yield();
	if (status != NULL)
		*status = status_page[i] == WAIT_NONE ? WAIT_KILLED : (int)status_page[i];
	sys_cap_delete(kids[i].slot);
	slot_free(kids[i].slot);
	kids[i].id = 0;
	return st < 0 ? (int)st : 0;
}
