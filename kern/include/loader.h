/* The initial ramdisk and program loader (kern/loader): a cpio "newc" reader and an ELF64
 * parser.  Both are pure functions over a buffer (no allocation, no machine access), so the
 * host unit tests feed them malformed input directly; kern/env/load.c puts a parsed ELF into
 * an address space. */
#ifndef EXOLAB_LOADER_H
#define EXOLAB_LOADER_H

#include <stddef.h>
#include <stdint.h>

/* One file of a cpio archive. */
struct cpio_file {
	const char *name; /* not NUL-terminated: namelen bytes */
	size_t namelen;
	const void *data;
	size_t size;
	uint32_t mode;
};

/* The entry at byte `*pos` of the archive [buf, buf + len): fills *f, advances *pos to the
 * next entry.  Returns 1 for a file, 0 at the trailer (end of archive), E_INVAL for a
 * malformed entry (bad magic, a field that is not hex, a name or data past the end). */
int cpio_next(const void *buf, size_t len, size_t *pos, struct cpio_file *f);

/* Finds the regular file whose name is exactly [name, name + namelen) (a leading "./" in the
 * archive is ignored).  0 and *f, E_NOENT, or E_INVAL for a malformed archive. */
int cpio_find(const void *buf, size_t len, const char *name, size_t namelen, struct cpio_file *f);

#define ELF_MAX_SEGMENTS 16

#define ELF_SEG_R 4 /* p_flags bits (ELF gABI, "Segment Permissions") */
#define ELF_SEG_W 2
#define ELF_SEG_X 1

struct elf_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset; /* of the file bytes */
	uint64_t filesz; /* <= memsz; the rest is zero */
	uint32_t flags;  /* ELF_SEG_* */
};

struct elf_image {
	uint64_t entry;
	unsigned nsegs;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/* Validates an x86-64 ELF64 executable in [buf, buf + len) and lists its PT_LOAD segments.
 * Every segment must lie in [lo, hi), have its file bytes inside the buffer, be readable and
 * not both writable and executable, and share no page with another segment; the entry must
 * lie in an executable segment.  Returns 0 or E_INVAL (bad header or magic, truncation,
 * overlap), E_RANGE (an address outside [lo, hi) or an overflowing size), E_NOMEM (more
 * than ELF_MAX_SEGMENTS segments). */
int elf_parse(const void *buf, size_t len, uint64_t lo, uint64_t hi, struct elf_image *img);

#endif
