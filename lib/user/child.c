/* The end of a forked or spawned child, as its parent sees it: the children not waited for
 * yet, their exit statuses, their deaths and the pipe ends they hold.  The kernel keeps no
 * exit status for other envs to read, so each env that forks has a status page (VM_WAIT_VA,
 * an entry per child; never shared by fork) and maps it into every child at
 * VM_PARENT_WAIT_VA.  exit finds its own entry there by id and writes its status before it
 * ends.  A child that ends without exit (a fault, a destroy) leaves the status as the parent
 * set it, WAIT_NONE.
 *
 * Deaths.  The parent has one notification (made with the status page) and binds each
 * child's death to the bit of its entry (env_notify, 36): the kernel signals it when the
 * child ends however it ends, at once if it already has.  wait blocks in notify_wait and
 * never polls; the bits of other children that a wait took from the word are kept in
 * kids_dead for their own wait.
 *
 * Pipe ends of a killed child.  A child killed without exit never closes its fds, so the
 * counts in its pipes' shared pages (pipe.c) would keep a reader waiting for ever.  The
 * kernel knows nothing of pipes, so the parent gives the ends back when it reaps such a
 * child: its entry records, for each pipe the child got from fork or spawn, how many fds
 * the child holds on each end.  The parent fills the record before the child runs and holds
 * each of those pipes (pipe_hold) until it reaps the child, so it can release them even
 * after closing its own ends (a shell that spawned a pipeline).  The child keeps its record
 * current: fd.c's close and dup2 call child_pipe_note, which moves the count before the fd
 * changes on a close and after it on a dup2, so a kill in between leaves one fd unreleased
 * (the old behaviour: a reader waits) rather than released twice.  Pipes the child made
 * itself are not recorded: its own children are their readers and writers, and its own
 * wait gives those back.  A child killed while it held a pipe page's lock leaves it held:
 * the pipe is dead then (pipe.c's lock is the LibOS's, the kernel cannot undo it). */
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "pipe.h"
#include "usyscall.h"
#include "vm.h"

#define WAIT_NONE   INT64_MIN /* the child has not called exit */
#define NOTE_RIGHTS (CAP_R_READ | CAP_R_WRITE)

struct kid {
	int64_t id;     /* 0: a free entry */
	int64_t status; /* written by the child's exit */
	uint64_t slot;  /* the child's env capability (in the parent's table) */
	uint64_t pad;   /* the last entry's: the page's own slot */
	uint8_t held;   /* pipes (pipe.c indexes, a bit each) the parent holds for the child */
	uint8_t track;  /* of those, the ones the child may still hold an end of (the child's) */
	uint8_t ends[PIPE_MAX][2]; /* the child's fds on each: [0] read end, [1] write end */
	uint8_t pad2[14];
};

static struct kid *const kids = (struct kid *)VM_WAIT_VA;
static struct kid *const parent_kids = (struct kid *)VM_PARENT_WAIT_VA;

_Static_assert(sizeof(struct kid) == 64, "a cache line per child");
_Static_assert(FORK_MAX_CHILDREN * sizeof(struct kid) <= ABI_PAGE_SIZE, "one status page");
_Static_assert(FORK_MAX_CHILDREN <= 64, "a notification bit per child");
_Static_assert(PIPE_MAX <= 8, "a bit of held per pipe");

/* Whose status page is mapped at VM_WAIT_VA (a child inherits the variables, not the page). */
static uint64_t kids_env;
static uint64_t kids_note;    /* the notification children's deaths signal */
static uint64_t kids_dead;    /* bits taken from it for children not waited for yet */
static uint64_t kids_unbound; /* children whose death could not be bound: wait polls them */
static uint8_t recorded[FORK_MAX_CHILDREN]; /* each child's pipes, for pipes_hold */

static int
page_own(void)
{
	long slot, err;

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
	return 0;
}

/* This env's status page and notification, made the first time it forks. */
static int
kids_own(void)
{
	long note, err;

	if (kids_env == libos_envinfo->envid)
		return 0;
	if ((note = slot_alloc()) < 0)
		return (int)note;
	if ((err = sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)note, NOTE_RIGHTS)) < 0) {
		slot_free((uint64_t)note);
		return (int)err;
	}
	if ((err = page_own()) < 0) {
		sys_cap_delete((uint64_t)note);
		slot_free((uint64_t)note);
		return (int)err;
	}
	kids_note = (uint64_t)note;
	kids_dead = kids_unbound = 0;
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

/* The pipe ends among this env's fds [0, nfds), which the child gets, recorded in k before
 * the child runs.  The pipes are held for it later (pipes_hold). */
static void
pipes_record(struct kid *k, int nfds)
{
	k->held = k->track = 0;
	for (int i = 0; i < PIPE_MAX; i++)
		k->ends[i][0] = k->ends[i][1] = 0;
	for (int fd = 0; fd < nfds; fd++) {
		const struct fd_ent *f = fd_get(fd);

		if (f == NULL || (f->type != FD_PIPE_R && f->type != FD_PIPE_W))
			continue;
		k->track |= (uint8_t)(1u << f->pipe);
		k->ends[f->pipe][f->type == FD_PIPE_W]++;
	}
}

/* The parent holds each recorded pipe until it reaps the child.  Taken once the child is
 * made, after fork's page walk: pipe.c's table is in this env's data, and a hold taken
 * before the walk would be copied into the child, which would keep the pipe (and its index)
 * for as long as it lives.  The child may have run and closed ends by now: the pipes are
 * the ones recorded then (kept in `recorded`: the child may have cleared bits of `track`). */
static void
pipes_hold(struct kid *k, uint8_t pipes)
{
	for (int i = 0; i < PIPE_MAX; i++)
		if (pipes & (1u << i))
			pipe_hold(i);
	k->held = pipes;
}

/* The child is gone: its recorded ends given back if it was killed, the holds dropped. */
static void
pipes_release(struct kid *k, int killed)
{
	for (int i = 0; i < PIPE_MAX; i++) {
		if (!(k->held & (1u << i)))
			continue;
		if (killed && (k->track & (1u << i))) {
			pipe_release_end(i, FD_PIPE_R, k->ends[i][0]);
			pipe_release_end(i, FD_PIPE_W, k->ends[i][1]);
		}
		pipe_put(i);
	}
	k->held = k->track = 0;
}

int
child_attach(uint64_t child, int index, long id, int nfds)
{
	kids[index].status = WAIT_NONE;
	kids[index].id = id;
	pipes_record(&kids[index], nfds);
	recorded[index] = kids[index].track;
	return (int)sys_map(child, kids[FORK_MAX_CHILDREN - 1].pad, VM_PARENT_WAIT_VA,
	                    ABI_PERM_R | ABI_PERM_W);
}

void
child_add(int index, uint64_t slot)
{
	uint64_t bit = 1ull << index;

	kids[index].slot = slot;
	pipes_hold(&kids[index], recorded[index]);
	kids_dead &= ~bit;
	kids_unbound &= ~bit;
	/* Cannot fail with the arguments made here; if it did, wait would poll this child. */
	if (sys_env_notify(slot, kids_note, bit) < 0)
		kids_unbound |= bit;
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
	pipes_release(&kids[index], 0);
	kids[index].id = 0;
}

void
child_abandon(int index, uint64_t slot)
{
	child_forget(index);
	sys_env_destroy(slot);
	sys_cap_delete(slot);
	slot_free(slot);
}

/* This env's entry in its parent's status page, or NULL (not a child of a LibOS parent).
 * Only a forked or spawned env has the page: sys_protect finds out without a fault. */
static volatile struct kid *
my_entry(void)
{
	static uint64_t env;   /* whose answer `entry` is (a child inherits the variables) */
	static int entry = -1; /* its index, -1: none */

	if (env != libos_envinfo->envid) {
		env = libos_envinfo->envid;
		entry = -1;
		if (sys_protect(ABI_SLOT_SELF, VM_PARENT_WAIT_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			for (int i = 0; i < FORK_MAX_CHILDREN; i++)
				if (parent_kids[i].id == (int64_t)env)
					entry = i;
	}
	return entry < 0 ? NULL : &((volatile struct kid *)parent_kids)[entry];
}

void
child_pipe_note(int idx, int end, int delta)
{
	volatile struct kid *k = my_entry();
	int w = end == FD_PIPE_W;

	if (k == NULL || idx < 0 || idx >= PIPE_MAX || !(k->track & (1u << idx)))
		return;
	k->ends[idx][w] = (uint8_t)(k->ends[idx][w] + delta);
	/* No fd left on the pipe: pipe.c may reuse the index for a pipe of the child's own. */
	if (k->ends[idx][0] == 0 && k->ends[idx][1] == 0)
		k->track &= (uint8_t) ~(1u << idx);
}

void
child_exit_status(int status)
{
	volatile struct kid *k = my_entry();

	if (k != NULL)
		k->status = status;
}

/* Blocks until child i has died: its bit in the death notification's word. */
static int
await_death(int i)
{
	uint64_t bit = 1ull << i, word = 0;
	long st, err;

	while (!(kids_dead & bit)) {
		if (kids_unbound & bit) { /* never taken: see child_add */
			if ((st = sys_env_status(kids[i].slot)) < 0 || st == ENV_DEAD)
				return st < 0 ? (int)st : 0;
			sys_yield();
			continue;
		}
		if ((err = sys_notify_wait(kids_note, &word)) < 0)
			return (int)err;
		kids_dead |= word;
	}
	kids_dead &= ~bit;
	return 0;
}

int
wait(long envid, int *status)
{
	int i, err, killed;

	if (envid <= 0 || kids_env != libos_envinfo->envid)
		return E_NOENT;
	for (i = 0; i < FORK_MAX_CHILDREN && kids[i].id != envid; i++)
		;
	if (i == FORK_MAX_CHILDREN)
		return E_NOENT;
	if ((err = await_death(i)) < 0)
		return err;
	killed = ((volatile struct kid *)kids)[i].status == WAIT_NONE;
	if (status != NULL)
		*status = killed ? WAIT_KILLED : (int)kids[i].status;
	pipes_release(&kids[i], killed);
	sys_cap_delete(kids[i].slot);
	slot_free(kids[i].slot);
	kids[i].id = 0;
	return 0;
}
