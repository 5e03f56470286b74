/* Pipes in the LibOS: a ring buffer in one page shared by every env that holds an end, and
 * two notifications for blocking (a reader waits on `rnote` while the ring is empty, a writer
 * on `wnote` while it is full).
 *
 * Reference counts.  The LibOS cannot see page-table reference counts (JOS's pageref trick),
 * so the shared page itself counts the open fds on each end, over every env: pipe() sets
 * 1 reader and 1 writer; dup2 adds one; fork adds, before the child may run, one for every
 * pipe fd in the child's copy of the table (fd_fork); spawn adds one for every pipe fd it
 * hands over; close (and exit, which closes every fd) takes one away.  An env killed without
 * exit never closes its fds: its ends stay counted, so a reader of a pipe whose writer was
 * killed waits for ever (the cost of keeping the kernel out of it).
 *
 * Wake-ups.  The ring, the counts and the lock live in the page; a notification's word is
 * sticky (signal ORs a bit in, wait returns at once if one is set).  An env that finds the
 * ring empty (full) first yields once, the lock released: on one CPU a ready peer then runs
 * and usually fills (drains) it, with no signal and no sleep.  Only then does it sleep: it
 * counts itself in rwait (wwait) under the lock, releases it and waits on rnote (wnote).  A
 * writer that puts bytes in an empty ring signals rnote only if rwait is not zero, a reader
 * that takes bytes from a full ring signals wnote only if wwait is not zero.  The count and
 * the ring change under the same lock (acquire and release orderings: one CPU or several),
 * so either the sleeper saw the bytes or the writer sees the count; a signal that arrives
 * between the unlock and the wait stays in the word.  The last writer's (reader's) close
 * signals rnote (wnote).  A signal wakes one waiter: one that was woken and leaves
 * something for others still counted (bytes, space, end of file) signals again.  (An env
 * killed while counted stays counted: the signals it draws wake nobody, or wake a later
 * sleeper once for nothing, and every sleeper checks the ring again.) */
#include <stdbool.h>
#include <stdint.h>

#include "fd.h"
#include "libos.h"
#include "pipe.h"
#include "usyscall.h"
#include "vm.h"
#include "xstring.h"

#define PAGE        ABI_PAGE_SIZE
#define PIPE_BUF    (PAGE - 64)
#define NOTE_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_GRANT)

struct pipe_page {
	uint32_t lock;             /* 1 while an env changes the fields below */
	uint32_t readers, writers; /* open fds on each end, over every env */
	uint32_t rwait, wwait;     /* envs counted as sleeping on rnote / wnote */
	uint64_t rpos, wpos; /* bytes read and written since creation: wpos - rpos are queued */
	uint8_t pad[24];
	char buf[PIPE_BUF];
};
_Static_assert(sizeof(struct pipe_page) == PAGE, "one page");

/* This env's view of a pipe: how many of its fds name it (0: the entry is free). */
struct pipe_local {
	uint32_t users;
	uint32_t rnote, wnote; /* notification slots */
};

static struct pipe_local pipes[PIPE_MAX];

static struct pipe_page *
page_of(int idx)
{
	return (struct pipe_page *)(VM_PIPE_VA + (uint64_t)idx * PAGE);
}

/* Held for a few dozen instructions; a holder preempted on this CPU gets it back through
 * the yield. */
static void
lock(struct pipe_page *p)
{
	while (__atomic_exchange_n(&p->lock, 1, __ATOMIC_ACQUIRE))
		sys_yield();
}

static void
unlock(struct pipe_page *p)
{
	__atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

static void
note_free(uint32_t slot)
{
	sys_cap_delete(slot);
	slot_free(slot);
}

static long
note_new(void)
{
	long slot = slot_alloc(), err;

	if (slot < 0)
		return slot;
	if ((err = sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, NOTE_RIGHTS)) < 0) {
		slot_free((uint64_t)slot);
		return err;
	}
	return slot;
}

int
pipe_create(void)
{
	long r, w;
	int idx, err;

	for (idx = 0; idx < PIPE_MAX; idx++)
		if (pipes[idx].users == 0 && vm_find((uint64_t)page_of(idx)) == NULL)
			break;
	if (idx == PIPE_MAX)
		return E_NOMEM;
	if ((r = note_new()) < 0)
		return (int)r;
	if ((w = note_new()) < 0) {
		note_free((uint32_t)r);
		return (int)w;
	}
	if ((err = vm_page_alloc((uint64_t)page_of(idx), ABI_PERM_R | ABI_PERM_W)) < 0 ||
	    (err = vm_share((uint64_t)page_of(idx))) < 0) {
		vm_page_free((uint64_t)page_of(idx));
		note_free((uint32_t)r);
		note_free((uint32_t)w);
		return err;
	}
	page_of(idx)->readers = 1;
	page_of(idx)->writers = 1;
	pipes[idx] = (struct pipe_local){ .users = 2, .rnote = (uint32_t)r, .wnote = (uint32_t)w };
	return idx;
}

void
pipe_count(int idx, int end, int delta)
{
	struct pipe_page *p = page_of(idx);

	lock(p);
	if (end == FD_PIPE_R)
		p->readers += (uint32_t)delta;
	else
		p->writers += (uint32_t)delta;
	unlock(p);
}

void
pipe_ref(int idx, int end)
{
	pipe_count(idx, end, 1);
	pipes[idx].users++;
}

void
pipe_unref(int idx, int end)
{
	struct pipe_page *p = page_of(idx);
	struct pipe_local *l = &pipes[idx];
	uint32_t left;

	lock(p);
	left = end == FD_PIPE_R ? --p->readers : --p->writers;
	unlock(p);
	if (left == 0)
		sys_notify_signal(end == FD_PIPE_R ? l->wnote : l->rnote, 1);
	if (--l->users > 0)
		return;
	vm_page_free((uint64_t)p);
	note_free(l->rnote);
	note_free(l->wnote);
}

/* LAB 4c: the ring's mechanics for pipe_read and pipe_write (yours to keep or change). */
/* BEGIN LAB 4c */
/* Copies k bytes out of the ring from position rpos (the caller holds the lock). */
static void
ring_get(const struct pipe_page *p, char *to, uint64_t k)
{
	uint64_t at = p->rpos % PIPE_BUF, first = k < PIPE_BUF - at ? k : PIPE_BUF - at;

	memcpy(to, p->buf + at, first);
	memcpy(to + first, p->buf, k - first);
}

/* Copies k bytes into the ring at position wpos (the caller holds the lock). */
static void
ring_put(struct pipe_page *p, const char *from, uint64_t k)
{
	uint64_t at = p->wpos % PIPE_BUF, first = k < PIPE_BUF - at ? k : PIPE_BUF - at;

	memcpy(p->buf + at, from, first);
	memcpy(p->buf, from + first, k - first);
}

/* Sleeps until `note` is signalled; called and returns with the lock held.  Counted in
 * *waiting before the lock goes, so whoever changes the ring from then on sees the count
 * and signals; a signal that comes before the wait stays in the notification's word. */
static void
sleep_on(struct pipe_page *p, uint32_t *waiting, uint32_t note)
{
	(*waiting)++;
	unlock(p);
	sys_notify_wait(note, NULL);
	lock(p);
	(*waiting)--;
}

/* Lets the other envs of this CPU run once, the lock released: a peer that is ready may
 * fill or drain the ring, and that costs less than sleeping and being signalled. */
static void
yield_once(struct pipe_page *p)
{
	unlock(p);
	sys_yield();
	lock(p);
}
/* END LAB 4c */

long
pipe_read(int idx, void *buf, size_t n)
{
	/* LAB 4c: take up to n bytes (at least one) from the ring, waiting while it is empty
	 * and a writer is left; 0 at end of file.  Wake a writer waiting on a full ring, and,
	 * if you were woken, another reader if you leave it something. */
	/* BEGIN LAB 4c */
	struct pipe_page *p = page_of(idx);
	struct pipe_local *l = &pipes[idx];
	bool yielded = false, waited = false, wake_writer, wake_reader;
	uint64_t queued, k;

	if (n == 0)
		return 0;
	lock(p);
	while ((queued = p->wpos - p->rpos) == 0 && p->writers > 0) {
		if (!yielded) {
			yield_once(p);
			yielded = true;
		} else {
			sleep_on(p, &p->rwait, l->rnote);
			waited = true;
		}
	}
	k = queued < n ? queued : n;
	ring_get(p, buf, k);
	p->rpos += k;
	wake_writer = queued == PIPE_BUF && p->wwait > 0;
	wake_reader = waited && p->rwait > 0 && (queued > k || p->writers == 0);
	unlock(p);
	if (wake_writer)
		sys_notify_signal(l->wnote, 1);
	if (wake_reader)
		sys_notify_signal(l->rnote, 1);
	return (long)k;
	/* END LAB 4c */
	/* STUB LAB 4c: return E_NOSYS; */
}

long
pipe_write(int idx, const void *buf, size_t n)
{
	/* LAB 4c: put all n bytes in the ring, waiting while it is full; E_PIPE once no
	 * reader is left.  Wake a reader sleeping on an empty ring, and, if you were woken,
	 * another writer if you leave it room (or find no reader). */
	/* BEGIN LAB 4c */
	struct pipe_page *p = page_of(idx);
	struct pipe_local *l = &pipes[idx];
	bool yielded = false, waited = false, wake_writer;
	uint64_t queued, k;
	size_t done = 0;

	lock(p);
	while (done < n && p->readers > 0) {
		queued = p->wpos - p->rpos;
		if (queued == PIPE_BUF && !yielded) {
			yield_once(p);
			yielded = true;
		} else if (queued == PIPE_BUF) {
			sleep_on(p, &p->wwait, l->wnote);
			waited = true;
		} else {
			k = PIPE_BUF - queued < n - done ? PIPE_BUF - queued : n - done;
			ring_put(p, (const char *)buf + done, k);
			p->wpos += k;
			done += k;
			if (queued == 0 && p->rwait > 0) {
				unlock(p);
				sys_notify_signal(l->rnote, 1);
				lock(p);
			}
		}
	}
	wake_writer = (waited || p->readers == 0) && p->wwait > 0 &&
	              (p->readers == 0 || p->wpos - p->rpos < PIPE_BUF);
	unlock(p);
	if (wake_writer)
		sys_notify_signal(l->wnote, 1);
	return done == n ? (long)n : E_PIPE;
	/* END LAB 4c */
	/* STUB LAB 4c: return E_NOSYS; */
}

void
pipe_hold(int idx)
{
	pipes[idx].users++;
}

int
pipe_caps(int idx, uint64_t *va, uint64_t *fslot, uint64_t *rslot, uint64_t *wslot)
{
	struct vm_rec *r = vm_find((uint64_t)page_of(idx));

	if (idx < 0 || idx >= PIPE_MAX || pipes[idx].users == 0 || r == NULL)
		return E_NOENT;
	*va = r->va;
	*fslot = r->slot;
	*rslot = pipes[idx].rnote;
	*wslot = pipes[idx].wnote;
	return 0;
}

int
pipe_fork(uint64_t child)
{
	long err;

	for (int i = 0; i < PIPE_MAX; i++) {
		if (pipes[i].users == 0)
			continue;
		if ((err = sys_cap_copy(pipes[i].rnote, child, pipes[i].rnote)) < 0 ||
		    (err = sys_cap_copy(pipes[i].wnote, child, pipes[i].wnote)) < 0)
			return (int)err;
	}
	return 0;
}

int
pipe_import(uint64_t va, uint64_t fslot, uint64_t rslot, uint64_t wslot)
{
	int idx = (int)((va - VM_PIPE_VA) / PAGE), err;

	if (va < VM_PIPE_VA || idx >= PIPE_MAX || va % PAGE != 0)
		return E_INVAL;
	if (pipes[idx].users == 0) {
		if ((err = vm_record_shared(va, fslot, ABI_PERM_R | ABI_PERM_W)) < 0)
			return err;
		pipes[idx] =
		    (struct pipe_local){ .rnote = (uint32_t)rslot, .wnote = (uint32_t)wslot };
	}
	return idx;
}

/* A parent reaping a child that was killed without exit (child.c) gives back the child's `n`
 * fds on `end`, as the child's close would have: the last writer (reader) gone wakes the
 * readers (writers).  The parent holds the pipe (pipe_hold) while the child lives, so its
 * page and notifications are still here even if the parent closed its own ends. */
void
pipe_release_end(int idx, int end, unsigned n)
{
	struct pipe_page *p = page_of(idx);
	struct pipe_local *l = &pipes[idx];
	uint32_t left;

	if (n == 0)
		return;
	lock(p);
	if (end == FD_PIPE_R)
		left = p->readers -= n;
	else
		left = p->writers -= n;
	unlock(p);
	if (left == 0)
		sys_notify_signal(end == FD_PIPE_R ? l->wnote : l->rnote, 1);
}

/* Drops a hold of pipe_hold's (no fd, no shared count): this env's last one on the pipe
 * unmaps its page and deletes its capabilities, as pipe_unref does. */
void
pipe_put(int idx)
{
	struct pipe_local *l = &pipes[idx];

	if (--l->users > 0)
		return;
	vm_page_free((uint64_t)page_of(idx));
	note_free(l->rnote);
	note_free(l->wnote);
}
