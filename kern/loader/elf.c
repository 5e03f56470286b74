/* The ELF64 executable parser: checks every header field the loader relies on and every
 * segment bound before anything is loaded, so a malformed program is an error code.
 * Field offsets and values are those of the System V gABI (ELF-64 Object File Format 1.5,
 * "ELF Header" and "Program Header Table") and the x86-64 psABI (EM_X86_64 = 62). */
#include "abi/error.h"
#include "loader.h"

#define EHDR_SIZE  64
#define PHDR_SIZE  56
#define ET_EXEC    2
#define EM_X86_64  62
#define PT_LOAD    1
#define PT_DYNAMIC 2
#define PT_INTERP  3
#define PAGE       4096ull

/* Little-endian loads at any alignment (the buffer is an archive member). */
static uint64_t
get(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static int
check_header(const unsigned char *h, size_t len)
{
	if (len < EHDR_SIZE)
		return E_INVAL;
	if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
		return E_INVAL;
	/* EI_CLASS = ELFCLASS64, EI_DATA = ELFDATA2LSB, EI_VERSION = EV_CURRENT. */
	if (h[4] != 2 || h[5] != 1 || h[6] != 1)
		return E_INVAL;
	if (get(h + 16, 2) != ET_EXEC || get(h + 18, 2) != EM_X86_64 || get(h + 20, 4) != 1)
		return E_INVAL;
	if (get(h + 52, 2) != EHDR_SIZE || get(h + 54, 2) != PHDR_SIZE)
		return E_INVAL;
	return 0;
}

/* One PT_LOAD program header into *s, with its bounds checked. */
static int
parse_load(const unsigned char *ph, size_t len, uint64_t lo, uint64_t hi, struct elf_segment *s)
{
	s->flags = (uint32_t)get(ph + 4, 4);
	s->offset = get(ph + 8, 8);
	s->vaddr = get(ph + 16, 8);
	s->filesz = get(ph + 32, 8);
	s->memsz = get(ph + 40, 8);
	if (s->filesz > s->memsz || s->offset > len || s->filesz > len - s->offset)
		return E_INVAL;
	if (s->vaddr < lo || s->vaddr > hi || s->memsz > hi - s->vaddr)
		return E_RANGE;
	if (!(s->flags & ELF_SEG_R) || ((s->flags & ELF_SEG_W) && (s->flags & ELF_SEG_X)))
		return E_INVAL;
	return 0;
}

/* Segments get their own page permissions, so no two may share a page. */
static int
check_overlap(const struct elf_image *img)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *a = &img->seg[i];
		uint64_t a0 = a->vaddr & ~(PAGE - 1), a1 = a->vaddr + a->memsz;

		for (unsigned j = i + 1; j < img->nsegs; j++) {
			const struct elf_segment *b = &img->seg[j];
			uint64_t b0 = b->vaddr & ~(PAGE - 1), b1 = b->vaddr + b->memsz;

			/* The page ranges [a0, up(a1)) and [b0, up(b1)) intersect. */
			if (a0 < ((b1 + PAGE - 1) & ~(PAGE - 1)) &&
			    b0 < ((a1 + PAGE - 1) & ~(PAGE - 1)))
				return E_INVAL;
		}
	}
	return 0;
}

static int
entry_ok(const struct elf_image *img)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->seg[i];

		if ((s->flags & ELF_SEG_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			return 1;
	}
	return 0;
}

int
elf_parse(const void *buf, size_t len, uint64_t lo, uint64_t hi, struct elf_image *img)
{
	const unsigned char *h = buf;
	uint64_t phoff, phnum;
	int err;

	if (buf == NULL || img == NULL || lo > hi)
		return E_INVAL;
	if ((err = check_header(h, len)) < 0)
		return err;
	phoff = get(h + 32, 8);
	phnum = get(h + 56, 2);
	if (phnum == 0 || phoff > len || phnum > (len - phoff) / PHDR_SIZE)
		return E_INVAL;
	img->entry = get(h + 24, 8);
	img->nsegs = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		const unsigned char *ph = h + phoff + i * PHDR_SIZE;
		uint32_t type = (uint32_t)get(ph, 4);

		if (type == PT_DYNAMIC || type == PT_INTERP)
			return E_INVAL; /* only static executables */
		if (type != PT_LOAD || get(ph + 40, 8) == 0)
			continue;
		if (img->nsegs == ELF_MAX_SEGMENTS)
			return E_NOMEM;
		if ((err = parse_load(ph, len, lo, hi, &img->seg[img->nsegs])) < 0)
			return err;
		img->nsegs++;
	}
	if (img->nsegs == 0 || (err = check_overlap(img)) < 0)
		return img->nsegs == 0 ? E_INVAL : err;
	return entry_ok(img) ? 0 : E_INVAL;
}
