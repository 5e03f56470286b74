/* Read-only files from the initial ramdisk (file.c): open() gives an fd (fd.h) that read()
 * and close() serve like any other.  The ramdisk is a cpio "newc" archive mapped read-only at
 * ABI_INITRD_VA.  Init gets it from the kernel as one region capability (abi/env.h
 * ABI_SLOT_INITRD); every env that has it gives a copy, in the same slot, to every child it
 * spawns (spawn.c) or forks (fd_fork), so grandchildren read files too; an env maps it with
 * one call when it first reads a file.  An env without it finds no file. */
#ifndef EXOLAB_FILE_H
#define EXOLAB_FILE_H

#include <stddef.h>
#include <stdint.h>

/* open() flags: only reading is possible. */
#define O_RDONLY  0
#define O_WRONLY  1
#define O_RDWR    2
#define O_ACCMODE 3

/* The fd of the ramdisk's regular file `path` ("motd", "/motd" and "./motd" are one file),
 * or a negative E_* code: E_NOENT (no such file, or no ramdisk in this env), E_PERM (flags
 * ask for writing), E_NOMEM (no free fd). */
int open(const char *path, int flags);
/* The size in bytes of the file open on fd, or a negative E_* code (E_INVAL: not a file). */
long fsize(int fd);

/* One entry of the ramdisk, as file_list gives it. */
struct file_entry {
	const char *name; /* not NUL-terminated: namelen bytes */
	size_t namelen;
	uint64_t size;
	uint32_t mode; /* the cpio mode: type and permission bits */
};
/* The ramdisk's entries one at a time: *cookie starts at 0; 1 with e filled and *cookie
 * advanced, 0 after the last one, or a negative E_* code (E_NOENT: no ramdisk, E_INVAL: a
 * malformed archive). */
int file_list(uint64_t *cookie, struct file_entry *e);

/* LibOS internals.  Where this env's ramdisk is (mapped on the first call): 0 with *base and
 * *size, or E_NOENT (none), or the map call's error. */
int file_initrd(const char **base, size_t *size);
/* spawn and fork: gives `child` the ramdisk (a copy of its capability in slot
 * ABI_SLOT_INITRD) when this env has it; its size (0: none), or a negative E_* code. */
long file_initrd_share(uint64_t child);
/* A spawned program's start-up: its parent gave it `size` bytes of ramdisk (0: none); 0, or
 * E_BUSY/E_RANGE if slot ABI_SLOT_INITRD is not free to reserve. */
int file_initrd_received(uint64_t size);

#endif
