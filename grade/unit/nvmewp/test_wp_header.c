/* GPT header fields as device input (lib/drivers/nvme/gpt.c, UEFI 2.x §5.3.2): each bad
 * size, count or place is refused by name, with the CRC made valid so that the field check
 * itself is what refuses; then a seeded fuzz of the primary header and array: the scan never
 * reads outside its buffer (wpdisk.c asserts it, ASan watches) and the partition stays
 * protected whatever the primary says (the backup and the protective MBR stand behind it). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "abi/error.h"
#include "nvme_wp.h"
#include "wpdisk.h"

static const struct wpdisk_part part[] = { { 2048, 4095 } };

/* The primary header with the 32-bit (`wide` 0) or 64-bit field at `off` set to `v`, CRC
 * redone: its gpt_err. */
static int
with_field(unsigned off, uint64_t v, bool wide)
{
	struct gpt_header h;

	wpdisk_build(512, 8192, part, 1, 128);
	if (wide)
		wpdisk_put64(512 + off, v);
	else
		wpdisk_put32(512 + off, (uint32_t)v);
	wpdisk_rehash(1);
	return gpt_header_parse(wpdisk.data + 512, 512, 1, 8192, &h);
}

Test(gpt_header, the_built_header_is_valid)
{
	cr_assert_eq(with_field(8, 0x00010000, false), GPT_OK);
}

Test(gpt_header, the_signature_and_the_crc_are_checked)
{
	struct gpt_header h;

	wpdisk_build(512, 8192, part, 1, 128);
	wpdisk.data[512 + 7] = 'S';
	cr_assert_eq(gpt_header_parse(wpdisk.data + 512, 512, 1, 8192, &h), GPT_E_SIGNATURE);
	wpdisk_build(512, 8192, part, 1, 128);
	wpdisk.data[512 + 60] ^= 0x80; /* DiskGUID: covered by the CRC */
	cr_assert_eq(gpt_header_parse(wpdisk.data + 512, 512, 1, 8192, &h), GPT_E_HEADER_CRC);
	cr_assert_str_eq(gpt_err_name(GPT_E_HEADER_CRC), "bad header CRC32");
}

Test(gpt_header, a_header_size_outside_92_to_the_block_is_refused)
{
	cr_assert_eq(with_field(12, 91, false), GPT_E_HEADER_SIZE);
	cr_assert_eq(with_field(12, 0, false), GPT_E_HEADER_SIZE);
	cr_assert_eq(with_field(12, 513, false), GPT_E_HEADER_SIZE);
	cr_assert_eq(with_field(12, 0xffffffffu, false), GPT_E_HEADER_SIZE);
	cr_assert_eq(with_field(12, 512, false), GPT_OK); /* the whole block, zeros after 92 */
}

Test(gpt_header, my_lba_must_be_where_the_header_was_read)
{
	cr_assert_eq(with_field(24, 2, true), GPT_E_MY_LBA);
	cr_assert_eq(with_field(24, 8191, true), GPT_E_MY_LBA);
}

Test(gpt_header, the_usable_range_must_fit_between_the_headers)
{
	cr_assert_eq(with_field(40, 1, true), GPT_E_USABLE);    /* FirstUsable on the header */
	cr_assert_eq(with_field(40, 8159, true), GPT_E_USABLE); /* past LastUsable */
	cr_assert_eq(with_field(48, 8191, true), GPT_E_USABLE); /* LastUsable on the backup */
	cr_assert_eq(with_field(48, UINT64_MAX, true), GPT_E_USABLE); /* off the disk */
}

Test(gpt_header, the_entry_size_must_be_128_times_a_power_of_two)
{
	cr_assert_eq(with_field(84, 0, false), GPT_E_ENTRY_SIZE);
	cr_assert_eq(with_field(84, 100, false), GPT_E_ENTRY_SIZE);
	cr_assert_eq(with_field(84, 129, false), GPT_E_ENTRY_SIZE);
	cr_assert_eq(with_field(84, 384, false), GPT_E_ENTRY_SIZE);
	cr_assert_eq(with_field(84, 0x80000000u, false), GPT_E_ENTRY_SIZE);
	/* 256 is a valid size, but 128 entries of it run into the usable range at LBA 34. */
	cr_assert_eq(with_field(84, 256, false), GPT_E_ARRAY_PLACE);
}

Test(gpt_header, a_huge_entry_count_is_refused_before_any_read)
{
	cr_assert_eq(with_field(80, 0xffffffffu, false), GPT_E_ARRAY_SIZE);
	cr_assert_eq(with_field(80, GPT_ARRAY_MAX / 128 + 1, false), GPT_E_ARRAY_SIZE);
	cr_assert_eq(with_field(80, 0, false), GPT_OK); /* no entries: no partition */
}

Test(gpt_header, the_array_must_lie_on_the_disk_outside_the_usable_range)
{
	cr_assert_eq(with_field(72, 0, true), GPT_E_ARRAY_PLACE);
	cr_assert_eq(with_field(72, 1, true), GPT_E_ARRAY_PLACE); /* over the header */
	cr_assert_eq(with_field(72, 100, true), GPT_E_ARRAY_PLACE);
	cr_assert_eq(with_field(72, 8180, true), GPT_E_ARRAY_PLACE); /* runs off the end */
	cr_assert_eq(with_field(72, 8192, true), GPT_E_ARRAY_PLACE);
	cr_assert_eq(with_field(72, UINT64_MAX - 5, true), GPT_E_ARRAY_PLACE);
	cr_assert_eq(with_field(72, 8159, true), GPT_OK); /* the backup's array: well placed */
}

Test(gpt_header, a_tiny_disk_is_refused)
{
	struct gpt_header h;

	wpdisk_build(512, 8192, part, 1, 128);
	cr_assert_eq(gpt_header_parse(wpdisk.data + 512, 512, 1, 2, &h), GPT_E_USABLE);
	struct nvme_wp wp = { 0 };
	cr_assert_eq(nvme_wp_scan(&wp, 512, 2, NULL, NULL, NULL, 0), E_INVAL);
	cr_assert_eq(nvme_wp_decide(&wp, 0, 1, NULL), NVME_WP_ALLOWED, "OFF: the wp's mode");
	cr_assert_eq(wp.ranges[0].src, NVME_WP_SRC_DISK);
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(gpt_header, a_fuzzed_primary_never_unprotects_the_partition)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned valid = 0;
	static uint8_t pristine[34 * 512]; /* the MBR, the primary header and array */

	wpdisk_build(512, 8192, part, 1, 128);
	memcpy(pristine, wpdisk.data, sizeof(pristine));
	for (unsigned round = 0; round < 3000; round++) {
		struct nvme_wp wp = { 0 };
		memcpy(wpdisk.data, pristine, sizeof(pristine));
		unsigned flips = 1 + xorshift(&seed) % 4;
		for (unsigned i = 0; i < flips; i++) {
			uint64_t r = xorshift(&seed);
			/* the header's 92 bytes, or the first entry of the primary array */
			unsigned at = (r & 1) ? 512 + (r >> 8) % 92 : 1024 + (r >> 8) % 128;
			wpdisk.data[at] ^= (uint8_t)(1u << ((r >> 32) % 8));
		}
		if (xorshift(&seed) & 1)
			wpdisk_rehash(
			    1); /* a header that passes its CRC: only its fields protect */
		nvme_wp_configure(&wp, true, "0+8192");
		cr_assert_eq(wpdisk_scan(&wp), 0, "round %u", round);
		valid += wp.gpt_primary == GPT_OK;
		for (uint64_t lba = 2048; lba <= 4095; lba += 2047)
			cr_assert_eq(nvme_wp_decide(&wp, lba, 1, NULL), NVME_WP_WHY_PARTITION,
			             "round %u: LBA %lu writable (%s; primary: %s)", round,
			             (unsigned long)lba, wp.table_note,
			             gpt_err_name(wp.gpt_primary));
		cr_assert_eq(nvme_wp_decide(&wp, 0, 1, NULL), NVME_WP_WHY_PARTITION, "round %u",
		             round);
	}
	cr_assert(valid > 0 && valid < 3000, "the fuzz reached both outcomes (%u valid)", valid);
}
