/* The partition tables under the NVMe write protection (lib/drivers/nvme/gpt.c and
 * nvme_wp_scan, issue 16 item 5): GPT headers and arrays checked as UEFI 2.x §5.3 says, the
 * backup header when the primary is damaged, MBR-only and blank disks, every malformed field
 * refused without reading outside the buffers (ASan watches: the scan's buffer is exactly
 * NVME_WP_SCAN_BYTES), and a seeded fuzz of the primary header that never unprotects the
 * partition.  Disks are built here in memory. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "abi/error.h"
#include "nvme_wp.h"
#include "wpdisk.h"

static struct nvme_wp wp;

Test(gpt, crc32_is_the_uefi_one)
{
	cr_assert_eq(gpt_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u); /* check value */
	cr_assert_eq(gpt_crc32(NULL, 0), 0);
}

static bool
protects(uint64_t lba)
{
	return nvme_wp_decide(&wp, lba, 1, NULL) == NVME_WP_WHY_PARTITION;
}

/* Scans the test disk with a window over all of it. */
static int
scan(void)
{
	nvme_wp_configure(&wp, true, "0+0xffffffffffffffff");
	return wpdisk_scan(&wp);
}

Test(gpt, a_valid_gpt_protects_its_partitions_and_its_own_blocks)
{
	const struct wpdisk_part p[] = { { 2048, 4095 }, { 5000, 5000 } };

	wpdisk_build(512, 8192, p, 2, 128);
	cr_assert_eq(scan(), 0);
	cr_assert(wp.table_read);
	cr_assert_str_eq(wp.table_note, "GPT (primary header)");
	cr_assert_eq(wp.gpt_primary, GPT_OK);
	cr_assert_eq(wp.nranges, 4);
	cr_assert(protects(0) && protects(1) && protects(33));            /* MBR, header, array */
	cr_assert(protects(8158 + 1) && protects(8191));                  /* backup array, header */
	cr_assert(!protects(34) && !protects(2047) && !protects(8158));   /* usable, free */
	cr_assert(protects(2048) && protects(4095) && protects(5000));    /* the partitions */
	cr_assert(!protects(4096) && !protects(4999) && !protects(5001)); /* between them */
	cr_assert_eq(wp.ranges[1].src, NVME_WP_SRC_GPT);
	cr_assert_eq(wp.ranges[1].index, 1);
}

Test(gpt, four_kib_blocks_work_too)
{
	const struct wpdisk_part p[] = { { 100, 199 } };

	wpdisk_build(4096, 1024, p, 1, 128);
	cr_assert_eq(scan(), 0);
	cr_assert_str_eq(wp.table_note, "GPT (primary header)");
	cr_assert(protects(100) && protects(199) && !protects(99) && !protects(200));
}

Test(gpt, a_bad_primary_header_crc_falls_back_to_the_backup)
{
	const struct wpdisk_part p[] = { { 2048, 4095 } };

	wpdisk_build(512, 8192, p, 1, 128);
	wpdisk.data[512 + 40] ^= 1; /* FirstUsableLBA, CRC not redone */
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.gpt_primary, GPT_E_HEADER_CRC);
	cr_assert_eq(wp.gpt_backup, GPT_OK);
	cr_assert_str_eq(wp.table_note, "GPT (backup header; the primary is damaged)");
	cr_assert(protects(2048) && protects(4095) && !protects(4096));
}

Test(gpt, a_bad_primary_array_crc_falls_back_to_the_backup)
{
	const struct wpdisk_part p[] = { { 2048, 4095 } };

	wpdisk_build(512, 8192, p, 1, 128);
	wpdisk.data[2 * 512 + 40] ^= 0x10; /* entry 0's EndingLBA in the primary array */
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.gpt_primary, GPT_E_ARRAY_CRC);
	cr_assert_eq(wp.gpt_backup, GPT_OK);
	cr_assert(protects(2048) && protects(4095));
}

Test(gpt, both_headers_damaged_protect_the_whole_disk)
{
	const struct wpdisk_part p[] = { { 2048, 4095 } };

	wpdisk_build(512, 8192, p, 1, 128);
	wpdisk.data[512 + 16] ^= 1;
	wpdisk.data[8191 * 512 + 16] ^= 1;
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.gpt_backup, GPT_E_HEADER_CRC);
	cr_assert_str_eq(wp.table_note, "damaged GPT (both headers): the whole disk is protected");
	cr_assert(protects(34) && protects(7000) && protects(8158));
	cr_assert_eq(nvme_wp_decide(&wp, 1, UINT64_MAX - 1, NULL), NVME_WP_WHY_PARTITION);
}

Test(gpt, a_protective_mbr_without_any_gpt_protects_the_disk)
{
	wpdisk_build(512, 8192, NULL, 0, 128);
	memset(wpdisk.data + 512, 0, 512);        /* no primary header */
	memset(wpdisk.data + 8191 * 512, 0, 512); /* no backup */
	cr_assert_eq(scan(), 0);
	cr_assert_str_eq(wp.table_note, "protective MBR without a GPT: the disk is protected");
	for (uint64_t lba = 0; lba < 8192; lba += 91)
		cr_assert(protects(lba), "LBA %lu", (unsigned long)lba);
}

Test(gpt, mbr_partitions_are_protected_and_a_blank_disk_only_at_lba_0)
{
	wpdisk_build(512, 8192, NULL, 0, 128);
	memset(wpdisk.data, 0, 8192 * 512);
	cr_assert_eq(scan(), 0);
	cr_assert_str_eq(wp.table_note, "no partition table (blank disk): LBA 0 protected");
	cr_assert(protects(0) && !protects(1) && !protects(8191));
	wpdisk_mbr(0, 0x83, 63, 1000);   /* LBAs 63..1062 */
	wpdisk_mbr(2, 0x07, 8000, 1000); /* past the end: clamped to 8191 */
	wpdisk_mbr(3, 0x00, 3000, 100);  /* unused (type 0) */
	cr_assert_eq(scan(), 0);
	cr_assert_str_eq(wp.table_note, "MBR partitions (no GPT)");
	cr_assert(protects(0) && !protects(62) && protects(63) && protects(1062));
	cr_assert(!protects(1063) && !protects(3000) && protects(8000) && protects(8191));
}

Test(gpt, a_hybrid_mbr_adds_its_own_partitions_to_the_gpts)
{
	const struct wpdisk_part p[] = { { 2048, 4095 } };

	wpdisk_build(512, 8192, p, 1, 128);
	wpdisk_mbr(1, 0x0c, 6000, 100);
	cr_assert_eq(scan(), 0);
	cr_assert_str_eq(wp.table_note, "GPT (primary header)");
	cr_assert(protects(6000) && protects(6099) && !protects(6100) && !protects(5999));
}

Test(gpt, a_read_error_refuses_every_write)
{
	const struct wpdisk_part p[] = { { 2048, 4095 } };

	wpdisk_build(512, 8192, p, 1, 128);
	wpdisk.fail_lba = 1;
	cr_assert_eq(scan(), E_AGAIN);
	cr_assert(!wp.table_read);
	cr_assert_eq(nvme_wp_decide(&wp, 5000, 1, NULL), NVME_WP_WHY_NO_TABLE);
	wpdisk.fail_lba = 0;
	cr_assert_eq(scan(), E_AGAIN, "LBA 0 unreadable");
	cr_assert_str_eq(wp.table_note, "LBA 0 unreadable: the whole disk is protected");
}

Test(gpt, used_entries_must_lie_in_the_usable_range_and_be_few_enough)
{
	struct wpdisk_part many[GPT_MAX_PARTS + 1];

	for (unsigned i = 0; i <= GPT_MAX_PARTS; i++)
		many[i] = (struct wpdisk_part){ 100 + 10 * i, 105 + 10 * i };
	wpdisk_build(512, 8192, many, GPT_MAX_PARTS, 256);
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.nranges, GPT_MAX_PARTS + 2);
	wpdisk_build(512, 8192, many, GPT_MAX_PARTS + 1, 256);
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.gpt_primary, GPT_E_TOO_MANY);
	cr_assert(protects(3000), "the protective MBR covers the disk");
	const struct wpdisk_part out[] = { { 2048, 8190 } }; /* past LastUsableLBA 8158 */
	wpdisk_build(512, 8192, out, 1, 128);
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.gpt_primary, GPT_E_ENTRY);
	const struct wpdisk_part rev[] = { { 4095, 2048 } };
	wpdisk_build(512, 8192, rev, 1, 128);
	cr_assert_eq(scan(), 0);
	cr_assert_eq(wp.gpt_primary, GPT_E_ENTRY);
}
