/* The cpio newc reader against archives built here byte by byte: well-formed ones, and
 * every kind of damage (bad magic, non-hex fields, names and sizes past the end, missing
 * NUL, every truncation, seeded random corruption).  Whatever the input, a file it returns
 * lies inside the buffer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "abi/error.h"
#include "loader.h"
#include "rng/rng.h"

#define MODE_FILE 0100755u
#define MODE_DIR  0040755u

static unsigned char ar[8192];
static size_t arlen;

static void
pad4(void)
{
	while (arlen % 4)
		ar[arlen++] = 0;
}

/* One entry: 110-byte header, name + NUL, padding, data, padding. */
static void
add(const char *name, const void *data, size_t size, unsigned mode)
{
	char hdr[160];
	uint32_t nl = (uint32_t)strlen(name) + 1;

	snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 1u,
	         mode, 0u, 0u, 1u, 0u, (uint32_t)size, 0u, 0u, 0u, 0u, nl, 0u);
	memcpy(ar + arlen, hdr, 110);
	arlen += 110;
	memcpy(ar + arlen, name, nl);
	arlen += nl;
	pad4();
	memcpy(ar + arlen, data, size);
	arlen += size;
	pad4();
}

static void
build(void)
{
	arlen = 0;
	add(".", "", 0, MODE_DIR);
	add("hello", "HELLO", 5, MODE_FILE);
	add("./init", "INIT-BYTES!", 11, MODE_FILE);
	add("dir", "", 0, MODE_DIR);
	add("empty", "", 0, MODE_FILE);
	add("TRAILER!!!", "", 0, 0);
}

/* A returned file must lie inside [buf, buf + len). */
static void
assert_inside(const struct cpio_file *f, size_t len)
{
	const unsigned char *d = f->data, *n = (const unsigned char *)f->name;

	cr_assert(n >= ar && n + f->namelen <= ar + len);
	cr_assert(d >= ar && d <= ar + len && f->size <= (size_t)(ar + len - d));
}

Test(cpio, finds_each_regular_file_with_its_bytes)
{
	struct cpio_file f;

	build();
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), 0);
	cr_assert_eq(f.size, 5);
	cr_assert_eq(memcmp(f.data, "HELLO", 5), 0);
	cr_assert_eq(cpio_find(ar, arlen, "empty", 5, &f), 0);
	cr_assert_eq(f.size, 0);
}

Test(cpio, leading_dot_slash_is_ignored)
{
	struct cpio_file f;

	build();
	cr_assert_eq(cpio_find(ar, arlen, "init", 4, &f), 0);
	cr_assert_eq(f.size, 11);
	cr_assert_eq(memcmp(f.data, "INIT-BYTES!", 11), 0);
}

Test(cpio, missing_name_prefix_and_directory_are_not_found)
{
	struct cpio_file f;

	build();
	cr_assert_eq(cpio_find(ar, arlen, "nothere", 7, &f), E_NOENT);
	cr_assert_eq(cpio_find(ar, arlen, "hell", 4, &f), E_NOENT);
	cr_assert_eq(cpio_find(ar, arlen, "hello2", 6, &f), E_NOENT);
	cr_assert_eq(cpio_find(ar, arlen, "dir", 3, &f), E_NOENT);
	cr_assert_eq(cpio_find(ar, arlen, "TRAILER!!!", 10, &f), E_NOENT);
}

Test(cpio, next_walks_every_entry_then_stops_at_the_trailer)
{
	static const char *const names[] = { ".", "hello", "./init", "dir", "empty" };
	struct cpio_file f;
	size_t pos = 0;

	build();
	for (unsigned i = 0; i < 5; i++) {
		cr_assert_eq(cpio_next(ar, arlen, &pos, &f), 1);
		cr_assert_eq(f.namelen, strlen(names[i]));
		cr_assert_eq(memcmp(f.name, names[i], f.namelen), 0);
	}
	cr_assert_eq(cpio_next(ar, arlen, &pos, &f), 0);
}

Test(cpio, bad_magic_is_invalid)
{
	struct cpio_file f;

	build();
	ar[5] = '9'; /* "070709" */
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
	build();
	memcpy(ar, "070707", 6); /* the old binary-compatible ASCII format, not newc */
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
}

Test(cpio, a_field_that_is_not_hex_is_invalid)
{
	struct cpio_file f;

	build();
	ar[6 + 8 * 6 + 3] = 'g'; /* filesize of the first entry */
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
}

/* The second entry ("hello") starts at 112: 110 + "." + NUL, padded. */
#define HELLO_AT 112

static void
set_field(size_t entry, unsigned field, uint32_t v)
{
	char tmp[9];

	snprintf(tmp, sizeof(tmp), "%08x", v);
	memcpy(ar + entry + 6 + 8 * field, tmp, 8);
}

Test(cpio, a_size_past_the_end_is_invalid)
{
	struct cpio_file f;

	build();
	set_field(HELLO_AT, 6, 0xffffffffu);
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
	build();
	set_field(HELLO_AT, 6, (uint32_t)arlen);
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
}

Test(cpio, a_name_size_of_zero_past_the_end_or_without_nul_is_invalid)
{
	struct cpio_file f;

	build();
	set_field(HELLO_AT, 11, 0);
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
	build();
	set_field(HELLO_AT, 11, 0xfffffff0u);
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
	build();
	set_field(HELLO_AT, 11, 5); /* "hello" without its NUL */
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, &f), E_INVAL);
}

Test(cpio, every_truncation_finds_or_fails_inside_the_buffer)
{
	struct cpio_file f;

	build();
	for (size_t len = 0; len < arlen; len++) {
		int r = cpio_find(ar, len, "empty", 5, &f);

		cr_assert(r == 0 || r == E_INVAL || r == E_NOENT, "len %zu: %d", len, r);
		if (r == 0)
			assert_inside(&f, len);
	}
}

Test(cpio, null_arguments_are_invalid)
{
	struct cpio_file f;
	size_t pos = 0;

	build();
	cr_assert_eq(cpio_next(NULL, arlen, &pos, &f), E_INVAL);
	cr_assert_eq(cpio_next(ar, arlen, NULL, &f), E_INVAL);
	cr_assert_eq(cpio_find(ar, arlen, NULL, 1, &f), E_INVAL);
	cr_assert_eq(cpio_find(ar, arlen, "hello", 5, NULL), E_INVAL);
	pos = arlen + 1;
	cr_assert_eq(cpio_next(ar, arlen, &pos, &f), E_INVAL);
}

/* The project's deterministic random streams (sim/rng), seeded per test. */
static struct rng rng;

static uint64_t
rnd(void)
{
	return rng_next(&rng);
}

/* 20,000 archives with 1-4 random bytes replaced (seed fixed): the walk ends, and anything
 * returned is inside the buffer (ASan checks every read). */
Test(cpio, random_corruption_never_reads_outside)
{
	static const char hex[] = "0123456789abcdefXg\0 ";

	rng_stream(&rng, 42, "cpio", 0);
	for (int round = 0; round < 20000; round++) {
		struct cpio_file f;
		size_t pos = 0;
		int r, steps = 0;

		build();
		for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
			ar[rnd() % arlen] = (unsigned char)hex[rnd() % (sizeof(hex) - 1)];
		while ((r = cpio_next(ar, arlen, &pos, &f)) == 1) {
			assert_inside(&f, arlen);
			cr_assert(pos <= arlen && ++steps < 1000);
		}
		cr_assert(r == 0 || r == E_INVAL);
	}
}
