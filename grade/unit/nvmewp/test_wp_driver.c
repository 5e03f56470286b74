/* The write protection in the driver against the controller model (sim/dev/nvme_model.c):
 * nvme_init reads the GPT when a window is given, and a refused command never reaches the
 * controller (its command count and the disk's bytes do not move). */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "nvme_regs.h"
#include "nvme_wp.h"
#include "nvmefix.h"
#include "wpdisk.h"

static struct nvme_wp wp;
static struct nvme_ops ops;
static uint64_t pa;
static void *va;

/* The model with a GPT (one partition, 2048..4095) on its disk, then nvme_init with the
 * protection configured from `write_arg`. */
static void
start(const char *write_arg)
{
	const struct wpdisk_part p[] = { { 2048, 4095 } };

	fix_setup_model(0);
	wpdisk_build(512, FIX_NBLOCKS, p, 1, 128);
	memcpy(fix_model.disk, wpdisk.data, (size_t)FIX_NBLOCKS * 512);
	nvme_wp_configure(&wp, true, write_arg);
	ops = *fix_ops();
	ops.wp = &wp;
	cr_assert_eq(nvme_init(&fix_ctrl, &ops, 1, 8), 0, "%s", fix_model.last_error);
	pa = fix_dma(4096, &va);
}

static void
stop(void)
{
	nvme_fini(&fix_ctrl);
	fix_teardown();
}

TestSuite(wp_driver, .fini = stop);

static int
write1(uint64_t lba)
{
	struct nvme_req rq = { .op = NVME_OP_WRITE, .lba = lba, .nblocks = 1, .buf_pa = pa };

	memset(va, 0xa5, 512);
	return nvme_io(&fix_ctrl.ioq[0], &rq, NULL);
}

static bool
disk_is(uint64_t lba, int byte)
{
	for (unsigned i = 0; i < 512; i++)
		if (fix_model.disk[lba * 512 + i] != byte)
			return false;
	return true;
}

Test(wp_driver, init_reads_the_gpt_and_partition_writes_never_reach_the_device)
{
	start("0+16384");
	cr_assert(wp.table_read);
	cr_assert_str_eq(wp.table_note, "GPT (primary header)");
	uint64_t before = fix_model.commands;
	cr_assert_eq(write1(2048), E_PERM);
	cr_assert_eq(write1(4095), E_PERM);
	cr_assert_eq(write1(0), E_PERM);
	cr_assert_eq(fix_model.commands, before, "a refused write reached the controller");
	cr_assert_eq(memcmp(fix_model.disk, wpdisk.data, (size_t)FIX_NBLOCKS * 512), 0);
	cr_assert_eq(write1(4096), 0);
	cr_assert(disk_is(4096, 0xa5));
	cr_assert_eq(wp.refused, 3);
}

Test(wp_driver, read_only_needs_no_table_and_refuses_every_write)
{
	start(NULL);
	cr_assert(!wp.table_read);
	uint64_t before = fix_model.commands;
	cr_assert_eq(write1(5000), E_PERM);
	cr_assert_eq(fix_model.commands, before);
	struct nvme_req rd = { .op = NVME_OP_READ, .lba = 1, .nblocks = 1, .buf_pa = pa };
	cr_assert_eq(nvme_io(&fix_ctrl.ioq[0], &rd, NULL), 0);
	cr_assert_eq(memcmp(va, "EFI PART", 8), 0);
}

Test(wp_driver, format_and_sanitize_are_refused_before_the_admin_queue)
{
	start("0+16384");
	uint64_t before = fix_model.commands;
	uint32_t sqe[16] = { 0 };
	sqe[SQE_CDW0] = 0x80; /* Format NVM, §5.23 */
	sqe[SQE_NSID] = 1;
	cr_assert_eq(nvme_admin_cmd(&fix_ctrl, sqe, NULL, NULL), E_PERM);
	memset(sqe, 0, sizeof(sqe));
	sqe[SQE_CDW0] = 0x84; /* Sanitize, §5.24 */
	cr_assert_eq(nvme_admin_cmd(&fix_ctrl, sqe, NULL, NULL), E_PERM);
	cr_assert_eq(fix_model.commands, before);
	cr_assert_eq(wp.refused, 2);
}

Test(wp_driver, without_protection_the_driver_is_unchanged)
{
	fix_setup_model(0);
	cr_assert_eq(nvme_init(&fix_ctrl, fix_ops(), 1, 8), 0, "%s", fix_model.last_error);
	pa = fix_dma(4096, &va);
	cr_assert_eq(write1(2048), 0);
	cr_assert(disk_is(2048, 0xa5));
}
