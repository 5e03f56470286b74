/* spawn(path, argv) (fd.h): a ramdisk program run by the kernel's spawn call, with this env's
 * fds 0-2.  The kernel makes the child runnable at once, so the handing over is a protocol:
 * the LibOS appends the word SPAWN_MARK to the command line; the child's start-up
 * (spawn_receive) sees it and waits, before main, until a page appears at VM_HANDOFF_VA.
 * The parent first gives the child everything that page names (each pipe's page mapped at
 * the same address, its frame and notification capabilities copied to the child's slots
 * SPAWN_SLOT_BASE and up, its exit-status page as fork does, the pipe counts raised, the
 * ramdisk's region capability copied to the child's ABI_SLOT_INITRD when this env has it:
 * file_initrd_share; the child maps it when it first reads a file; this env's device
 * capabilities copied to SPAWN_DEV_BASE and up, so that a program the shell runs can drive
 * the hardware the shell was given, as a Unix root shell's children are root; its core
 * capabilities likewise to SPAWN_CORE_BASE and up, partition.h; the partition board's to
 * SPAWN_BOARD), and
 * maps the page last: its appearance is the signal.  The child reads it, records what it
 * got and unmaps it (the page's frame goes with that mapping). */
#include <stdbool.h>
#include <stdint.h>

#include "fd.h"
#include "file.h"
#include "fork.h"
#include "libos.h"
#include "partition.h"
#include "pipe.h"
#include "usyscall.h"
#include "vm.h"
#include "xstring.h"

#define HANDOFF_MAGIC   0x66666f646e6168ull /* "handoff" */
#define SPAWN_SLOT_BASE 240                 /* in the child: 3 slots per pipe, 3 pipes at most */
#define HANDOFF_FDS     3
#define SPAWN_DEV_BASE  208 /* in the child: its device capabilities, up to SPAWN_DEV_MAX */
#define SPAWN_DEV_MAX   32
#define SPAWN_CORE_BASE 192 /* in the child: its core capabilities (partition.h), one per CPU */
#define SPAWN_CORE_MAX  16
#define SPAWN_BOARD     249 /* in the child: the partition board (partition.h), after the pipes */

struct handoff {
	uint64_t magic;
	uint32_t npipes;
	uint64_t initrd_size;          /* bytes of the ramdisk given (0: none) */
	uint32_t ndev;                 /* device capabilities at SPAWN_DEV_BASE and up */
	uint32_t ncore;                /* core capabilities at SPAWN_CORE_BASE and up */
	uint32_t board;                /* 1: the partition board at SPAWN_BOARD */
	struct fd_ent fd[HANDOFF_FDS]; /* .pipe: an index in pipe[] */
	struct {
		uint64_t va;
		uint32_t fslot, rslot, wslot;
	} pipe[HANDOFF_FDS];
};

/* "path arg1 arg2 ... SPAWN_MARK" in cmd, each space, quote and backslash of a word escaped
 * with a backslash and an empty word written '' (start.c undoes both); its length, or E_INVAL
 * if it is longer than the kernel takes. */
static long
build_cmd(char *cmd, const char *path, const char *const argv[])
{
	size_t len = 0, room = ABI_CMD_MAX - (sizeof(SPAWN_MARK) - 1);

	for (int i = 0;; i++) {
		const char *w = i == 0 ? path : argv[i];

		if (w == NULL)
			break;
		if (*w == '\0') {
			if (len + 2 > room)
				return E_INVAL;
			cmd[len++] = '\'';
			cmd[len++] = '\'';
		}
		for (; *w != '\0'; w++) {
			if (len + 2 > room)
				return E_INVAL;
			if (*w == ' ' || *w == '\'' || *w == '\\')
				cmd[len++] = '\\';
			cmd[len++] = *w;
		}
		if (len + 1 > room)
			return E_INVAL;
		cmd[len++] = ' ';
		if (i == 0 && (argv == NULL || argv[0] == NULL))
			break;
	}
	memcpy(cmd + len, SPAWN_MARK, sizeof(SPAWN_MARK) - 1);
	return (long)(len + sizeof(SPAWN_MARK) - 1);
}

/* The pipe behind fd `f` in h (added, its capabilities given to the child, if new): its index
 * in h, or a negative E_* code. */
static int
handoff_pipe(uint64_t child, struct handoff *h, const struct fd_ent *f)
{
	uint64_t va, fslot, rslot, wslot, cs = SPAWN_SLOT_BASE + 3 * h->npipes;
	uint32_t j;
	long err;

	if ((err = pipe_caps(f->pipe, &va, &fslot, &rslot, &wslot)) < 0)
		return (int)err;
	for (j = 0; j < h->npipes; j++)
		if (h->pipe[j].va == va)
			return (int)j;
	if ((err = sys_cap_copy(fslot, child, cs)) < 0 ||
	    (err = sys_map(child, fslot, va, ABI_PERM_R | ABI_PERM_W)) < 0 ||
	    (err = sys_cap_copy(rslot, child, cs + 1)) < 0 ||
	    (err = sys_cap_copy(wslot, child, cs + 2)) < 0)
		return (int)err;
	h->pipe[j].va = va;
	h->pipe[j].fslot = (uint32_t)cs;
	h->pipe[j].rslot = (uint32_t)cs + 1;
	h->pipe[j].wslot = (uint32_t)cs + 2;
	h->npipes++;
	return (int)j;
}

/* h's page mapped read-only at VM_HANDOFF_VA in the child: the child's mapping alone holds it. */
static int
handoff_page(uint64_t child, const struct handoff *h)
{
	long slot = slot_alloc(), err;

	if (slot < 0)
		return (int)slot;
	err = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, VM_FRAME_RIGHTS);
	if (err == 0 && (err = sys_map(ABI_SLOT_SELF, (uint64_t)slot, VM_TEMP_VA,
	                               ABI_PERM_R | ABI_PERM_W)) == 0) {
		memcpy((void *)VM_TEMP_VA, h, sizeof(*h));
		err = sys_unmap(ABI_SLOT_SELF, VM_TEMP_VA);
	}
	if (err == 0)
		err = sys_map(child, (uint64_t)slot, VM_HANDOFF_VA, ABI_PERM_R);
	sys_cap_delete((uint64_t)slot);
	slot_free((uint64_t)slot);
	return (int)err;
}

/* Copies of this env's device capabilities (libos_devices) for the child. */
static int
handoff_devices(uint64_t child, struct handoff *h)
{
	uint64_t first, n = libos_devices(&first);
	long err;

	for (uint64_t i = 0; i < n && h->ndev < SPAWN_DEV_MAX; i++) {
		err = sys_cap_copy(first + i, child, SPAWN_DEV_BASE + h->ndev);
		if (err == E_NOENT)
			continue; /* dropped (legion's safe mode), or a forked env's (not copied) */
		if (err < 0)
			return (int)err;
		h->ndev++;
	}
	return 0;
}

/* Copies of this env's core capabilities (part_cores): a shell's `watchdog` owns cores. */
static int
handoff_cores(uint64_t child, struct handoff *h)
{
	uint64_t first, n = part_cores(&first);
	long err;

	for (uint64_t i = 0; i < n && i < SPAWN_CORE_MAX; i++) {
		err = sys_cap_copy(first + i, child, SPAWN_CORE_BASE + i);
		if (err == E_NOENT)
			break; /* a forked env's (not copied): CPU i's must stay at BASE + i */
		if (err < 0)
			return (int)err;
		h->ncore++;
	}
	return 0;
}

/* A copy of this env's partition board (part_board_slot): a shell's child can put its
 * partition where a shell-typed fpstat sees it. */
static int
handoff_board(uint64_t child, struct handoff *h)
{
	uint64_t s = part_board_slot();
	long err;

	if (s == 0)
		return 0;
	if ((err = sys_cap_copy(s, child, SPAWN_BOARD)) < 0)
		return err == E_NOENT ? 0 : (int)err; /* a forked env's (not copied) */
	h->board = 1;
	return 0;
}

static void
count_fds(const struct handoff *h, int delta)
{
	for (int fd = 0; fd < HANDOFF_FDS; fd++) {
		const struct fd_ent *f = fd_get(fd);

		if (h->fd[fd].type == FD_PIPE_R || h->fd[fd].type == FD_PIPE_W)
			pipe_count(f->pipe, f->type, delta);
	}
}

static int
handoff(uint64_t child, long id, int index)
{
	struct handoff h = { .magic = HANDOFF_MAGIC };
	bool files = false;
	long size;
	int err, j;

	for (int fd = 0; fd < HANDOFF_FDS; fd++) {
		const struct fd_ent *f = fd_get(fd);

		if (f == NULL)
			continue;
		h.fd[fd] = *f;
		files = files || f->type == FD_FILE;
		if (f->type == FD_PIPE_R || f->type == FD_PIPE_W) {
			if ((j = handoff_pipe(child, &h, f)) < 0)
				return j;
			h.fd[fd].pipe = (uint8_t)j;
		}
	}
	/* A file fd reads the ramdisk: a child that cannot have it cannot have the fd. */
	if ((size = file_initrd_share(child)) < 0)
		return (int)size;
	if (files && size == 0)
		return E_PERM;
	h.initrd_size = (uint64_t)size;
	if ((err = handoff_devices(child, &h)) < 0 || (err = handoff_cores(child, &h)) < 0 ||
	    (err = handoff_board(child, &h)) < 0)
		return err;
	if ((err = child_attach(child, index, id, HANDOFF_FDS)) < 0)
		return err;
	count_fds(&h, 1);
	if ((err = handoff_page(child, &h)) < 0)
		count_fds(&h, -1);
	return err;
}

long
spawn(const char *path, const char *const argv[], uint64_t pages)
{
	char cmd[ABI_CMD_MAX];
	long len = build_cmd(cmd, path, argv), slot, id;
	int index, err;

	if (len < 0)
		return len;
	if ((index = child_prepare()) < 0)
		return index;
	if ((slot = slot_alloc()) < 0)
		return slot;
	if ((id = sys_spawn(cmd, (size_t)len, (uint64_t)slot, ABI_SLOT_UNTYPED, pages)) < 0) {
		slot_free((uint64_t)slot);
		return id;
	}
	if ((err = handoff((uint64_t)slot, id, index)) < 0) {
		child_abandon(index, (uint64_t)slot);
		return err;
	}
	child_add(index, (uint64_t)slot);
	return id;
}

int
spawn_receive(int *argc, char **argv)
{
	const struct handoff *h = (const struct handoff *)VM_HANDOFF_VA;
	int idx[HANDOFF_FDS], err;

	if (*argc < 1 || strcmp(argv[*argc - 1], SPAWN_MARK) != 0)
		return 0;
	argv[--*argc] = NULL;
	while (sys_protect(ABI_SLOT_SELF, VM_HANDOFF_VA, ABI_PERM_R) < 0)
		sys_yield();
	if (h->magic != HANDOFF_MAGIC || h->npipes > HANDOFF_FDS || h->ndev > SPAWN_DEV_MAX ||
	    h->ncore > SPAWN_CORE_MAX)
		return E_INVAL;
	for (uint32_t i = 0; i < h->ndev; i++)
		if ((err = slot_reserve(SPAWN_DEV_BASE + i)) < 0)
			return err;
	libos_devices_received(SPAWN_DEV_BASE, h->ndev);
	for (uint32_t i = 0; i < h->ncore; i++)
		if ((err = slot_reserve(SPAWN_CORE_BASE + i)) < 0)
			return err;
	part_cores_received(SPAWN_CORE_BASE, h->ncore);
	if (h->board) {
		if ((err = slot_reserve(SPAWN_BOARD)) < 0)
			return err;
		part_board_received(SPAWN_BOARD);
	}
	for (uint32_t j = 0; j < h->npipes; j++) {
		if ((err = slot_reserve(h->pipe[j].fslot)) < 0 ||
		    (err = slot_reserve(h->pipe[j].rslot)) < 0 ||
		    (err = slot_reserve(h->pipe[j].wslot)) < 0 ||
		    (err = idx[j] = pipe_import(h->pipe[j].va, h->pipe[j].fslot, h->pipe[j].rslot,
		                                h->pipe[j].wslot)) < 0)
			return err;
	}
	if ((err = file_initrd_received(h->initrd_size)) < 0)
		return err;
	for (int fd = 0; fd < HANDOFF_FDS; fd++) {
		const struct fd_ent *f = &h->fd[fd];

		if (f->type == FD_FILE && h->initrd_size > 0) {
			fd_place(fd, f);
		} else if ((f->type == FD_PIPE_R || f->type == FD_PIPE_W) && f->pipe < h->npipes) {
			fd_install(fd, f->type, idx[f->pipe]);
			pipe_hold(idx[f->pipe]);
		} else {
			fd_install(fd, f->type == FD_CONS ? FD_CONS : FD_NONE, 0);
		}
	}
	return (int)sys_unmap(ABI_SLOT_SELF, VM_HANDOFF_VA);
}
