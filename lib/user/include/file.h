/* Read-only files from the initial ramdisk (file.c): open() gives an fd (fd.h) that read()
 * and close() serve like any other.  The ramdisk is a cpio "newc" archive mapped read-only at
 * ABI_INITRD_VA in init, which holds its frames' capabilities and maps it into every child
 * it spawns (spawn.c) or forks (fd_fork).  An env without it (one its parent could not give
 * it to: only init holds the capabilities) finds no file. */
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

/* LibOS internals.  Where this env's ramdisk is: 0 with *base and *size, or E_NOENT. */
int file_initrd(const char **base, size_t *size);
/* spawn: maps the ramdisk read-only into `child` at the same address when this env holds its
 * capabilities; the size mapped (0: none), or a negative E_* code. */
long file_initrd_share(uint64_t child);
/* A spawned program's start-up: its parent mapped `size` bytes of ramdisk (0: none). */
void file_initrd_received(uint64_t size);

#endif
