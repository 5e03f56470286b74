/* The NVMe write-protection policy (lib/drivers/nvme/wprotect.c, issue 16 item 5): the
 * nvme_write= window's syntax and overflow, the decision at the window's and the partitions'
 * boundaries, the opcodes that count as writes, and the refusal reports. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "abi/error.h"
#include "nvme_wp.h"

static struct nvme_wp wp;

static void
parse_ok(const char *s, uint64_t start, uint64_t count)
{
	uint64_t a = 7, b = 7;
	const char *why = NULL;

	cr_assert_eq(nvme_wp_parse_window(s, &a, &b, &why), 0, "'%s': %s", s, why);
	cr_assert_eq(a, start, "'%s'", s);
	cr_assert_eq(b, count, "'%s'", s);
}

static void
parse_bad(const char *s, const char *want_why)
{
	uint64_t a, b;
	const char *why = NULL;

	cr_assert_eq(nvme_wp_parse_window(s, &a, &b, &why), E_INVAL, "'%s' parsed", s);
	cr_assert_str_eq(why, want_why, "'%s'", s);
}

Test(wp_window, decimal_and_hex_starts_and_counts_parse)
{
	parse_ok("1000+4000", 1000, 4000);
	parse_ok("0x800+0X10", 0x800, 0x10);
	parse_ok("0xABCdef+1", 0xabcdef, 1);
	parse_ok("0+1", 0, 1);
	parse_ok("18446744073709551615+1", UINT64_MAX, 1);
	parse_ok("1+18446744073709551615", 1, UINT64_MAX);
	parse_ok("0+0xffffffffffffffff", 0, UINT64_MAX);
}

Test(wp_window, malformed_values_are_refused_with_the_reason)
{
	parse_bad("", "nvme_write= has no value (want START+COUNT)");
	parse_bad("1000", "no '+' after START (want START+COUNT)");
	parse_bad("1000-5", "no '+' after START (want START+COUNT)");
	parse_bad("+5", "START is not a number");
	parse_bad("-1+5", "START is not a number");
	parse_bad("0x+5", "START is not a number");
	parse_bad("10+", "COUNT is not a number");
	parse_bad("10+x", "COUNT is not a number");
	parse_bad("10+5 ", "junk after COUNT");
	parse_bad("10+5+6", "junk after COUNT");
	parse_bad("10+0xg", "COUNT is not a number");
	parse_bad("12+0", "COUNT is 0");
	parse_bad("0x10+0x0", "COUNT is 0");
}

Test(wp_window, numbers_past_64_bits_and_windows_past_the_last_lba_are_refused)
{
	parse_bad("18446744073709551616+1", "START does not fit in 64 bits");
	parse_bad("0x10000000000000000+1", "START does not fit in 64 bits");
	parse_bad("1+99999999999999999999", "COUNT does not fit in 64 bits");
	parse_bad("2+18446744073709551615", "START+COUNT is past the last 64-bit LBA");
	parse_bad("18446744073709551615+2", "START+COUNT is past the last 64-bit LBA");
	uint64_t a, b;
	const char *why;
	cr_assert_eq(nvme_wp_parse_window(NULL, &a, &b, &why), E_INVAL);
}

Test(wp_policy, configure_picks_off_readonly_or_window)
{
	nvme_wp_configure(&wp, false, "1+1");
	cr_assert_eq(wp.mode, NVME_WP_OFF);
	nvme_wp_configure(&wp, true, NULL);
	cr_assert_eq(wp.mode, NVME_WP_READONLY);
	cr_assert_str_eq(wp.note, "no nvme_write=START+COUNT on the command line");
	nvme_wp_configure(&wp, true, "5+0");
	cr_assert_eq(wp.mode, NVME_WP_READONLY);
	cr_assert_str_eq(wp.note, "COUNT is 0");
	nvme_wp_configure(&wp, true, "");
	cr_assert_eq(wp.mode, NVME_WP_READONLY);
	nvme_wp_configure(&wp, true, "100+50");
	cr_assert_eq(wp.mode, NVME_WP_WINDOW);
	cr_assert_eq(wp.win_start, 100);
	cr_assert_eq(wp.win_count, 50);
	cr_assert_eq(wp.table_read, false);
}

Test(wp_policy, off_allows_everything_and_readonly_nothing)
{
	nvme_wp_configure(&wp, false, NULL);
	cr_assert_eq(nvme_wp_decide(&wp, 0, 1, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_check_io(&wp, 0x09, 0, 1), 0); /* even Dataset Management */
	cr_assert_eq(nvme_wp_check_admin(&wp, 0x80), 0);    /* even Format NVM */
	cr_assert_eq(nvme_wp_check_io(NULL, 0x01, 0, 1), 0);
	nvme_wp_configure(&wp, true, NULL);
	cr_assert_eq(nvme_wp_decide(&wp, 0, 1, NULL), NVME_WP_WHY_READONLY);
	cr_assert_eq(nvme_wp_decide(&wp, 12345, 8, NULL), NVME_WP_WHY_READONLY);
	cr_assert_eq(nvme_wp_check_io(&wp, 0x01, 12345, 8), E_PERM);
	cr_assert_eq(nvme_wp_check_io(&wp, 0x02, 12345, 8), 0); /* Read */
	cr_assert_eq(nvme_wp_check_io(&wp, 0x00, 0, 0), 0);     /* Flush */
}

/* A window 1000+4000 (LBAs 1000..4999) over a partition 2048..4095, tables read. */
static void
window_with_partition(void)
{
	nvme_wp_configure(&wp, true, "1000+4000");
	wp.ranges[0] = (struct nvme_wp_range){ 2048, 4095, NVME_WP_SRC_GPT, 3 };
	wp.ranges[1] = (struct nvme_wp_range){ 0, 33, NVME_WP_SRC_TABLE, 0 };
	wp.nranges = 2;
	wp.table_read = true;
}

Test(wp_policy, the_window_bounds_are_exact)
{
	window_with_partition();
	cr_assert_eq(nvme_wp_decide(&wp, 1000, 1, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_decide(&wp, 999, 1, NULL), NVME_WP_WHY_OUTSIDE);
	cr_assert_eq(nvme_wp_decide(&wp, 999, 2, NULL), NVME_WP_WHY_OUTSIDE);
	cr_assert_eq(nvme_wp_decide(&wp, 4999, 1, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_decide(&wp, 4999, 2, NULL), NVME_WP_WHY_OUTSIDE);
	cr_assert_eq(nvme_wp_decide(&wp, 5000, 1, NULL), NVME_WP_WHY_OUTSIDE);
	cr_assert_eq(nvme_wp_decide(&wp, 4100, 900, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_decide(&wp, 4100, 901, NULL), NVME_WP_WHY_OUTSIDE);
}

Test(wp_policy, a_write_touching_a_partition_block_is_refused_at_both_edges)
{
	struct nvme_wp_range hit = { 0 };

	window_with_partition();
	cr_assert_eq(nvme_wp_decide(&wp, 2047, 1, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_decide(&wp, 2047, 2, &hit), NVME_WP_WHY_PARTITION);
	cr_assert_eq(hit.first, 2048);
	cr_assert_eq(hit.last, 4095);
	cr_assert_eq(hit.src, NVME_WP_SRC_GPT);
	cr_assert_eq(hit.index, 3);
	cr_assert_eq(nvme_wp_decide(&wp, 2048, 1, NULL), NVME_WP_WHY_PARTITION);
	cr_assert_eq(nvme_wp_decide(&wp, 3000, 1, NULL), NVME_WP_WHY_PARTITION);
	cr_assert_eq(nvme_wp_decide(&wp, 4095, 1, NULL), NVME_WP_WHY_PARTITION);
	cr_assert_eq(nvme_wp_decide(&wp, 4094, 2, NULL), NVME_WP_WHY_PARTITION);
	cr_assert_eq(nvme_wp_decide(&wp, 4096, 1, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_decide(&wp, 1000, 4000, NULL), NVME_WP_WHY_PARTITION); /* covers it */
}

Test(wp_policy, before_the_tables_are_read_every_window_write_is_refused)
{
	window_with_partition();
	wp.table_read = false;
	cr_assert_eq(nvme_wp_decide(&wp, 1000, 1, NULL), NVME_WP_WHY_NO_TABLE);
	cr_assert_eq(nvme_wp_decide(&wp, 900, 1, NULL), NVME_WP_WHY_OUTSIDE);
}

Test(wp_policy, empty_and_wrapping_ranges_are_refused)
{
	nvme_wp_configure(&wp, true, "0+0xffffffffffffffff");
	wp.table_read = true;
	cr_assert_eq(nvme_wp_decide(&wp, 5, 0, NULL), NVME_WP_WHY_BAD_RANGE);
	cr_assert_eq(nvme_wp_decide(&wp, UINT64_MAX, 2, NULL), NVME_WP_WHY_BAD_RANGE);
	cr_assert_eq(nvme_wp_decide(&wp, 2, UINT64_MAX, NULL), NVME_WP_WHY_BAD_RANGE);
	cr_assert_eq(nvme_wp_decide(&wp, UINT64_MAX - 1, 1, NULL), NVME_WP_ALLOWED);
	cr_assert_eq(nvme_wp_decide(&wp, UINT64_MAX, 1, NULL), NVME_WP_WHY_OUTSIDE);
	/* A window ending at the last LBA: 2^64 - 1 is in it. */
	nvme_wp_configure(&wp, true, "18446744073709551615+1");
	wp.table_read = true;
	cr_assert_eq(nvme_wp_decide(&wp, UINT64_MAX, 1, NULL), NVME_WP_ALLOWED);
}

Test(wp_policy, data_modifying_opcodes_are_writes_and_the_rest_are_not)
{
	const uint8_t io_safe[] = { 0x00, 0x02, 0x05, 0x0c };
	const uint8_t io_mod[] = { 0x01, 0x04, 0x08, 0x09, 0x0d, 0x11, 0x19, 0x80, 0xff };
	const uint8_t adm_safe[] = { 0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0a, 0x0c };
	const uint8_t adm_mod[] = { 0x0d, 0x10, 0x11, 0x14, 0x15, 0x80, 0x81, 0x84, 0xc0, 0xff };

	for (unsigned i = 0; i < sizeof(io_safe); i++)
		cr_assert(!nvme_wp_io_modifies(io_safe[i]), "I/O %#x", io_safe[i]);
	for (unsigned i = 0; i < sizeof(io_mod); i++)
		cr_assert(nvme_wp_io_modifies(io_mod[i]), "I/O %#x", io_mod[i]);
	for (unsigned i = 0; i < sizeof(adm_safe); i++)
		cr_assert(!nvme_wp_admin_modifies(adm_safe[i]), "admin %#x", adm_safe[i]);
	for (unsigned i = 0; i < sizeof(adm_mod); i++)
		cr_assert(nvme_wp_admin_modifies(adm_mod[i]), "admin %#x", adm_mod[i]);
}

static struct nvme_wp_refusal last;
static unsigned reports;

static void
record(void *ctx, const struct nvme_wp *w, const struct nvme_wp_refusal *r)
{
	cr_assert_eq(ctx, &reports);
	cr_assert_eq(w, &wp);
	last = *r;
	reports++;
}

Test(wp_policy, refusals_are_counted_and_reported_with_the_range_and_why)
{
	wp.report = record;
	wp.report_ctx = &reports;
	window_with_partition();
	cr_assert_eq(wp.report, record, "configure keeps the callback");
	cr_assert_eq(nvme_wp_check_io(&wp, 0x01, 4000, 16), E_PERM);
	cr_assert_eq(reports, 1);
	cr_assert_eq(last.opcode, 0x01);
	cr_assert_eq(last.lba, 4000);
	cr_assert_eq(last.count, 16);
	cr_assert_eq(last.why, NVME_WP_WHY_PARTITION);
	cr_assert_eq(last.hit.first, 2048);
	cr_assert_eq(nvme_wp_check_io(&wp, 0x08, 4096, 8), 0); /* Write Zeroes, free blocks */
	cr_assert_eq(nvme_wp_check_io(&wp, 0x09, 4096, 8), E_PERM);
	cr_assert_eq(last.why, NVME_WP_WHY_COMMAND);
	cr_assert_eq(nvme_wp_check_admin(&wp, 0x84), E_PERM);
	cr_assert(last.admin);
	cr_assert_eq(last.opcode, 0x84);
	cr_assert_eq(nvme_wp_check_admin(&wp, 0x06), 0);
	cr_assert_eq(reports, 3);
	cr_assert_eq(wp.refused, 3);
	cr_assert_str_eq(nvme_wp_why_name(NVME_WP_WHY_OUTSIDE), "outside the nvme_write= window");
}
