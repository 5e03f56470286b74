/* The end of a forked child, as its parent sees it: the children not waited for yet, and
 * their exit statuses.  The kernel keeps no exit status for other envs to read, so each env
 * that forks has a status page (VM_WAIT_VA, an entry per child: its id, its status; never
 * shared by fork) and maps it into every child at VM_PARENT_WAIT_VA.  exit finds its own
 * entry there by id and writes its status before it ends; it writes nothing else, so a
 * child that only exits copies no page.  A child that ends without exit (a fault, a
 * destroy) leaves the status as the parent set it, WAIT_NONE.  wait polls the child's
 * status with sys_yield until notifications exist (issue 11, step 2), then it will wait on
 * one; the interface stays. */
#include <stdint.h>

#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "vm.h"

#define WAIT_NONE INT64_MIN /* the child has not called exit */

struct kid {
	int64_t id;     /* 0: a free entry */
	int64_t status; /* written by the child's exit */
	uint64_t slot;  /* the child's env capability (in the parent's table) */
	uint64_t pad;
};

static struct kid *const kids = (struct kid *)VM_WAIT_VA;
static struct kid *const parent_kids = (struct kid *)VM_PARENT_WAIT_VA;

_Static_assert(FORK_MAX_CHILDREN * sizeof(struct kid) <= ABI_PAGE_SIZE, "one status page");

/* Whose status page is mapped at VM_WAIT_VA (a child inherits the variable, not the page). */
static uint64_t kids_env;

/* This env's status page, mapped the first time it forks. */
static int
kids_own(void)
{
	long slot, err;

	if (kids_env == libos_envinfo->envid)
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
	/* The page's own slot is kept in its last entry's pad (it lives as long as the env). */
	kids[FORK_MAX_CHILDREN - 1].pad = (uint64_t)slot;
	kids_env = libos_envinfo->envid;
	return 0;
}

int
child_prepare(void)
{
	int err;

	if ((err = kids_own()) < 0)
		return err;
	for (int i = 0; i < FORK_MAX_CHILDREN; i++)
		if (kids[i].id == 0)
			return i;
	return E_NOMEM;
}

int
child_attach(uint64_t child, int index, long id)
{
	kids[index].status = WAIT_NONE;
	kids[index].id = id;
	return (int)sys_map(child, kids[FORK_MAX_CHILDREN - 1].pad, VM_PARENT_WAIT_VA,
	                    ABI_PERM_R | ABI_PERM_W);
}

void
child_add(int index, uint64_t slot)
{
	kids[index].slot = slot;
}

long
fork_child_slot(long envid)
{
	if (envid <= 0 || kids_env != libos_envinfo->envid)
		return E_NOENT;
	for (int i = 0; i < FORK_MAX_CHILDREN; i++)
		if (kids[i].id == envid)
			return (long)kids[i].slot;
	return E_NOENT;
}

void
child_forget(int index)
{
	kids[index].id = 0;
}

void
child_exit_status(int status)
{
	/* Only a forked env has its parent's page: sys_protect finds out without a fault. */
	if (sys_protect(ABI_SLOT_SELF, VM_PARENT_WAIT_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		return;
	for (int i = 0; i < FORK_MAX_CHILDREN; i++)
		if (parent_kids[i].id == (int64_t)libos_envinfo->envid)
			((volatile struct kid *)parent_kids)[i].status = status;
}

int
wait(long envid, int *status)
{
	int i;
	long st;

	if (envid <= 0 || kids_env != libos_envinfo->envid)
		return E_NOENT;
	for (i = 0; i < FORK_MAX_CHILDREN && kids[i].id != envid; i++)
		;
	if (i == FORK_MAX_CHILDREN)
		return E_NOENT;
	while ((st = sys_env_status(kids[i].slot)) >= 0 && st != ENV_DEAD)
		sys_yield();
	if (status != NULL)
		*status = ((volatile struct kid *)kids)[i].status == WAIT_NONE
		              ? WAIT_KILLED
		              : (int)kids[i].status;
	sys_cap_delete(kids[i].slot);
	slot_free(kids[i].slot);
	kids[i].id = 0;
	return st < 0 ? (int)st : 0;
}
