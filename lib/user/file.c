/* Read-only ramdisk files (file.h): a reader of the cpio "newc" archive at ABI_INITRD_VA, the
 * file fds open() makes (fd.c reads them), and the sharing of the ramdisk with children.
 *
 * The format (GNU cpio manual, "newc"): each entry is a 110-byte ASCII header -- the magic
 * "070701" or "070702" then 13 fields of 8 hex digits (ino, mode, uid, gid, nlink, mtime,
 * filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check) -- then the name
 * (namesize bytes with its NUL), then the data; header + name, and the data, are each padded
 * to a multiple of 4 bytes.  The entry named TRAILER!!! ends the archive.  Nothing in the
 * archive is trusted: every field is checked against the archive's size. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/memlayout.h"
#include "fd.h"
#include "file.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define HDR_SIZE    110
#define FIELD_MODE  1 /* field numbers after the magic */
#define FIELD_SIZE  6
#define FIELD_NAMES 11
#define MODE_TYPE   0170000u
#define MODE_REG    0100000u

/* This env's ramdisk.  `env` says whose record this is: fork's child inherits a copy of
 * the parent's, which describes the parent, so a child looks again (see initrd_look). */
static struct {
	uint64_t env;
	size_t size; /* 0: none */
} rd;

/* Whether this env holds the ramdisk's frame capabilities: only the env the kernel made
 * them for (init, parent 0); a child's envinfo may be a copy of init's (fork). */
static bool
holds_caps(void)
{
	return libos_envinfo->parent == 0 && libos_envinfo->initrd_va == ABI_INITRD_VA &&
	       libos_envinfo->initrd_pages > 0;
}

/* An env that was not told (init, a forked child) has the ramdisk if its first page is
 * mapped: init's always is, a forked child's is when its parent held the capabilities. */
static void
initrd_look(void)
{
	rd.env = libos_envinfo->envid;
	rd.size = 0;
	if (libos_envinfo->initrd_size > 0 &&
	    sys_protect(ABI_SLOT_SELF, ABI_INITRD_VA, ABI_PERM_R) == 0)
		rd.size = libos_envinfo->initrd_size;
}

int
file_initrd(const char **base, size_t *size)
{
	if (rd.env != libos_envinfo->envid)
		initrd_look();
	if (rd.size == 0)
		return E_NOENT;
	*base = (const char *)ABI_INITRD_VA;
	*size = rd.size;
	return 0;
}

void
file_initrd_received(uint64_t size)
{
	rd.env = libos_envinfo->envid;
	rd.size = (size_t)size;
}

/* Mapped ABI_SHARE_MAX pages a call (share_pages, map only): the frames are the kernel's,
 * held for as long as it runs, and the child's mappings go when it does. */
long
file_initrd_share(uint64_t child)
{
	uint64_t pages = libos_envinfo->initrd_pages, slot = libos_envinfo->initrd_slot;
	struct abi_share sh[ABI_SHARE_MAX];
	long err;

	if (!holds_caps())
		return 0;
	for (uint64_t i = 0, n; i < pages; i += n) {
		n = pages - i < ABI_SHARE_MAX ? pages - i : ABI_SHARE_MAX;
		for (uint64_t j = 0; j < n; j++)
			sh[j] = (struct abi_share){ .va = ABI_INITRD_VA + (i + j) * ABI_PAGE_SIZE,
				                    .slot = (uint32_t)(slot + i + j),
				                    .perm = ABI_PERM_R,
				                    .flags = ABI_SHARE_MAPONLY };
		if ((err = sys_share_pages(child, sh, n)) < 0)
			return err;
	}
	return (long)libos_envinfo->initrd_size;
}

/* Field i (0-based after the magic) of the header at h, or -1 unless 8 hex digits. */
static int64_t
field(const char *h, unsigned i)
{
	uint32_t v = 0;

	for (const char *p = h + 6 + 8 * i; p < h + 14 + 8 * i; p++) {
		char c = *p;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return v;
}

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The entry at offset *pos of the archive (base, len): 1 with e filled (e->name skips a
 * leading "./") and *pos at the next one, 0 at the trailer, E_INVAL if malformed.  *data is
 * the offset of the entry's bytes. */
static int
entry_at(const char *base, size_t len, uint64_t *pos, struct file_entry *e, size_t *data)
{
	const char *h = base + *pos;
	int64_t mode, size, namesize;
	size_t name_end;

	if (*pos > len || len - *pos < HDR_SIZE ||
	    (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0))
		return E_INVAL;
	mode = field(h, FIELD_MODE);
	size = field(h, FIELD_SIZE);
	namesize = field(h, FIELD_NAMES);
	if (mode < 0 || size < 0 || namesize < 1 || (uint64_t)namesize > len - *pos - HDR_SIZE ||
	    h[HDR_SIZE + namesize - 1] != '\0')
		return E_INVAL;
	name_end = *pos + HDR_SIZE + (size_t)namesize;
	if (pad4(name_end) > len || (uint64_t)size > len - pad4(name_end))
		return E_INVAL;
	e->name = h + HDR_SIZE;
	e->namelen = (size_t)namesize - 1;
	e->size = (uint64_t)size;
	e->mode = (uint32_t)mode;
	*data = pad4(name_end);
	if (e->namelen == 10 && memcmp(e->name, "TRAILER!!!", 10) == 0)
		return 0;
	if (e->namelen >= 2 && e->name[0] == '.' && e->name[1] == '/') {
		e->name += 2;
		e->namelen -= 2;
	}
	*pos = pad4(*data + (size_t)size) < len ? pad4(*data + (size_t)size) : len;
	return 1;
}

int
file_list(uint64_t *cookie, struct file_entry *e)
{
	const char *base;
	size_t len, data;
	int err;

	if ((err = file_initrd(&base, &len)) < 0)
		return err;
	return entry_at(base, len, cookie, e, &data);
}

/* The regular file `name` (namelen bytes): 0 with its data's offset and size, or E_*. */
static int
lookup(const char *name, size_t namelen, size_t *off, uint64_t *size)
{
	struct file_entry e;
	const char *base;
	uint64_t pos = 0;
	size_t len;
	int r;

	if ((r = file_initrd(&base, &len)) < 0)
		return r;
	while ((r = entry_at(base, len, &pos, &e, off)) == 1) {
		if ((e.mode & MODE_TYPE) == MODE_REG && e.namelen == namelen &&
		    memcmp(e.name, name, namelen) == 0) {
			*size = e.size;
			return 0;
		}
	}
	return r < 0 ? r : E_NOENT;
}

int
open(const char *path, int flags)
{
	struct fd_ent f = { .type = FD_FILE };
	uint64_t size;
	size_t off;
	int err;

	if ((flags & O_ACCMODE) != O_RDONLY)
		return E_PERM;
	if (flags != O_RDONLY)
		return E_INVAL;
	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path += path[0] == '/' ? 1 : 2;
	if (*path == '\0')
		return E_NOENT;
	if ((err = lookup(path, strlen(path), &off, &size)) < 0)
		return err;
	f.off = (uint32_t)off;
	f.size = (uint32_t)size;
	return fd_alloc(&f);
}

long
fsize(int fd)
{
	struct fd_ent *f = fd_get(fd);

	if (f == NULL || f->type != FD_FILE)
		return E_INVAL;
	return (long)f->size;
}

/* fd.c's read of a file fd: the bytes from its position on. */
long
file_read(struct fd_ent *f, void *buf, size_t n)
{
	const char *base;
	size_t len;
	int err;

	if ((err = file_initrd(&base, &len)) < 0)
		return err;
	if (f->off > len || f->size > len - f->off || f->pos > f->size)
		return E_INVAL; /* an fd handed over from an env with another ramdisk */
	if (n > f->size - f->pos)
		n = f->size - f->pos;
	memcpy(buf, base + f->off + f->pos, n);
	f->pos += (uint32_t)n;
	return (long)n;
}
