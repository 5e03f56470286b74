/* The ELF64 parser against executables built here field by field: a good one, then each
 * header field and segment bound broken on its own, every truncation, and seeded random
 * corruption.  Whatever the input, a parsed image only names bytes inside the buffer and
 * addresses inside [lo, hi). */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "loader.h"
#include "rng/rng.h"

#define LO   0x1000ull
#define HI   0x100000000000ull
#define TEXT 0x400000ull
#define DATA 0x401000ull

#define PT_LOAD   1
#define PT_INTERP 3
#define PT_NOTE   4
#define PF_X      1
#define PF_W      2
#define PF_R      4

static unsigned char elf[4096];
static size_t elflen;

static void
put(size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		elf[off + i] = (unsigned char)(v >> (8 * i));
}

static void
phdr(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t va, uint64_t filesz,
     uint64_t memsz)
{
	size_t p = 64 + 56 * (size_t)i;

	put(p, type, 4);
	put(p + 4, flags, 4);
	put(p + 8, off, 8);
	put(p + 16, va, 8);
	put(p + 24, va, 8);
	put(p + 32, filesz, 8);
	put(p + 40, memsz, 8);
	put(p + 48, 0x1000, 8);
}

/* Header, three program headers (text R-X, data RW- with bss, a note), 1 KiB of bytes. */
static void
build(void)
{
	memset(elf, 0, sizeof(elf));
	memcpy(elf,
	       "\x7f"
	       "ELF",
	       4);
	elf[4] = 2;     /* ELFCLASS64 */
	elf[5] = 1;     /* little endian */
	elf[6] = 1;     /* EV_CURRENT */
	put(16, 2, 2);  /* ET_EXEC */
	put(18, 62, 2); /* EM_X86_64 */
	put(20, 1, 4);
	put(24, TEXT + 0x10, 8); /* entry */
	put(32, 64, 8);          /* phoff */
	put(52, 64, 2);
	put(54, 56, 2);
	put(56, 3, 2);
	phdr(0, PT_LOAD, PF_R | PF_X, 0x200, TEXT, 0x100, 0x100);
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, DATA, 0x80, 0x2000);
	phdr(2, PT_NOTE, PF_R, 0x380, 0, 0x10, 0x10);
	elflen = 0x400;
}

static int
parse(struct elf_image *img)
{
	return elf_parse(elf, elflen, LO, HI, img);
}

Test(elf, a_good_executable_lists_its_load_segments)
{
	struct elf_image img;

	build();
	cr_assert_eq(parse(&img), 0);
	cr_assert_eq(img.entry, TEXT + 0x10);
	cr_assert_eq(img.nsegs, 2);
	cr_assert_eq(img.seg[0].vaddr, TEXT);
	cr_assert_eq(img.seg[0].offset, 0x200);
	cr_assert_eq(img.seg[0].filesz, 0x100);
	cr_assert_eq(img.seg[0].flags, ELF_SEG_R | ELF_SEG_X);
	cr_assert_eq(img.seg[1].vaddr, DATA);
	cr_assert_eq(img.seg[1].filesz, 0x80);
	cr_assert_eq(img.seg[1].memsz, 0x2000);
	cr_assert_eq(img.seg[1].flags, ELF_SEG_R | ELF_SEG_W);
}

Test(elf, bad_magic_class_endianness_or_version_is_invalid)
{
	static const size_t at[] = { 0, 1, 3, 4, 5, 6 };
	static const unsigned char bad[] = { 0x7e, 'e', 'G', 1, 2, 0 };
	struct elf_image img;

	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		build();
		elf[at[i]] = bad[i];
		cr_assert_eq(parse(&img), E_INVAL, "byte %zu", at[i]);
	}
}

Test(elf, wrong_type_machine_version_or_entry_sizes_are_invalid)
{
	static const struct {
		size_t off;
		uint64_t v;
		unsigned n;
	} bad[] = {
		{ 16, 3, 2 },  /* ET_DYN */
		{ 16, 1, 2 },  /* ET_REL */
		{ 18, 3, 2 },  /* EM_386 */
		{ 20, 0, 4 },  /* e_version */
		{ 52, 52, 2 }, /* e_ehsize of ELF32 */
		{ 54, 32, 2 }, /* e_phentsize of ELF32 */
		{ 56, 0, 2 },  /* no program headers */
	};
	struct elf_image img;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build();
		put(bad[i].off, bad[i].v, bad[i].n);
		cr_assert_eq(parse(&img), E_INVAL, "case %u", i);
	}
}

Test(elf, program_headers_past_the_end_are_invalid)
{
	struct elf_image img;

	build();
	put(32, elflen - 56, 8); /* three headers need 168 bytes */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	put(32, UINT64_MAX - 8, 8);
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	put(56, 0xffff, 2);
	cr_assert_eq(parse(&img), E_INVAL);
}

Test(elf, every_truncation_is_refused)
{
	struct elf_image img;

	build();
	/* The data segment's file bytes end at 0x380: any shorter buffer is incomplete. */
	for (size_t len = 0; len < 0x380; len++)
		cr_assert_eq(elf_parse(elf, len, LO, HI, &img), E_INVAL, "len %zu", len);
	cr_assert_eq(elf_parse(elf, 0x380, LO, HI, &img), 0);
}

Test(elf, file_bytes_beyond_the_buffer_or_the_memory_size_are_invalid)
{
	struct elf_image img;

	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, DATA, 0x200, 0x2000); /* ends at 0x500 > 0x400 */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, UINT64_MAX - 0x10, DATA, 0x80, 0x2000);
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, DATA, 0x80, 0x40); /* filesz > memsz */
	cr_assert_eq(parse(&img), E_INVAL);
}

Test(elf, addresses_outside_the_range_or_wrapping_are_out_of_range)
{
	struct elf_image img;

	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, 0, 0x80, 0x100); /* page 0 */
	cr_assert_eq(parse(&img), E_RANGE);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, HI - 0x1000, 0x80, 0x2000); /* crosses hi */
	cr_assert_eq(parse(&img), E_RANGE);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, 0xffffffff80000000ull, 0x80, 0x100); /* kernel */
	cr_assert_eq(parse(&img), E_RANGE);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, DATA, 0x80, UINT64_MAX - 0x100); /* wraps */
	cr_assert_eq(parse(&img), E_RANGE);
}

Test(elf, segments_sharing_a_page_are_invalid)
{
	struct elf_image img;

	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, TEXT + 0x800, 0x80, 0x100); /* text's page */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, TEXT + 0x100, 0x80, 0x100); /* right after text */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, TEXT - 0x2000, 0x80, 0x3000); /* covers text */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	phdr(1, PT_LOAD, PF_R | PF_W, 0x300, TEXT - 0x1000, 0x80, 0x1000); /* page below: ok */
	cr_assert_eq(parse(&img), 0);
}

Test(elf, writable_and_executable_or_unreadable_segments_are_invalid)
{
	struct elf_image img;

	build();
	phdr(1, PT_LOAD, PF_R | PF_W | PF_X, 0x300, DATA, 0x80, 0x2000);
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	phdr(0, PT_LOAD, PF_X, 0x200, TEXT, 0x100, 0x100);
	cr_assert_eq(parse(&img), E_INVAL);
}

Test(elf, an_entry_outside_every_executable_segment_is_invalid)
{
	struct elf_image img;

	build();
	put(24, DATA + 0x10, 8); /* in the data segment */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	put(24, TEXT + 0x100, 8); /* one past the text */
	cr_assert_eq(parse(&img), E_INVAL);
	build();
	put(24, TEXT + 0xff, 8); /* its last byte */
	cr_assert_eq(parse(&img), 0);
}

Test(elf, dynamic_executables_are_invalid)
{
	struct elf_image img;

	build();
	phdr(2, PT_INTERP, PF_R, 0x380, 0, 0x10, 0x10);
	cr_assert_eq(parse(&img), E_INVAL);
}

Test(elf, empty_load_segments_are_skipped_and_a_limit_holds)
{
	struct elf_image img;

	build();
	phdr(2, PT_LOAD, PF_R, 0, 0, 0, 0); /* memsz 0, even at address 0 */
	cr_assert_eq(parse(&img), 0);
	cr_assert_eq(img.nsegs, 2);

	build();
	put(56, ELF_MAX_SEGMENTS + 1, 2);
	for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
		phdr(i, PT_LOAD, PF_R | (i == 0 ? PF_X : 0), 0x200, TEXT + 0x1000ull * i, 0x10,
		     0x10);
	put(24, TEXT, 8);
	elflen = 4096;
	cr_assert_eq(parse(&img), E_NOMEM);
	put(56, ELF_MAX_SEGMENTS, 2);
	cr_assert_eq(parse(&img), 0);
	cr_assert_eq(img.nsegs, ELF_MAX_SEGMENTS);
}

Test(elf, null_arguments_and_an_empty_range_are_invalid)
{
	struct elf_image img;

	build();
	cr_assert_eq(elf_parse(NULL, elflen, LO, HI, &img), E_INVAL);
	cr_assert_eq(elf_parse(elf, elflen, LO, HI, NULL), E_INVAL);
	cr_assert_eq(elf_parse(elf, elflen, HI, LO, &img), E_INVAL);
}

/* The project's deterministic random streams (sim/rng), seeded per test. */
static struct rng rng;

static uint64_t
rnd(void)
{
	return rng_next(&rng);
}

/* 50,000 executables with 1-3 random bytes of the headers replaced (seed fixed): a success
 * only ever names file bytes inside the buffer and memory inside [LO, HI). */
Test(elf, random_corruption_yields_only_images_inside_the_bounds)
{
	rng_stream(&rng, 7, "elf", 0);
	for (int round = 0; round < 50000; round++) {
		struct elf_image img;

		build();
		for (int k = 1 + (int)(rnd() % 3); k > 0; k--)
			elf[rnd() % (64 + 3 * 56)] = (unsigned char)rnd();
		if (parse(&img) != 0)
			continue;
		cr_assert(img.nsegs >= 1 && img.nsegs <= ELF_MAX_SEGMENTS);
		for (unsigned i = 0; i < img.nsegs; i++) {
			const struct elf_segment *s = &img.seg[i];

			cr_assert(s->offset <= elflen && s->filesz <= elflen - s->offset);
			cr_assert(s->filesz <= s->memsz);
			cr_assert(s->vaddr >= LO && s->memsz <= HI - s->vaddr);
		}
	}
}
