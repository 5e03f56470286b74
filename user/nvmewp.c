/* nvmewp: the NVMe write protection (issue 16 item 5, lib/drivers/include/nvme_wp.h) on QEMU's
 * controller, run as init by grade/nvmewptests.py with the kernel word `nvme_ro` (QEMU sets
 * the hypervisor bit: without the word the disk is not protected) on a 4 MiB disk image that
 * carries a GPT with one partition, LBAs PART_FIRST..PART_LAST.
 *
 * Without nvme_write= (tag ro): every write is refused with E_PERM before it reaches the
 * queue, reads and Flush work.  With nvme_write=WIN_START+WIN_COUNT (tag win): the driver
 * read the GPT; writes touching the partition, the partition table's blocks or anything
 * outside the window are refused; writes inside the window and outside the partition go and
 * read back.  One line per check: `nvmewp: TAG: what = N OK|FAIL`, and the count of checks and
 * failures in the last line; the grader then checks the image file: the partition and the tables
 * unchanged, the allowed blocks written. */
#include <stdint.h>

#include "abi/dev.h"
#include "abi/error.h"
#include "kcmdline.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PART_FIRST 2048 /* the image's one partition (grade/nvmewptests.py) */
#define PART_LAST  4095
#define WIN_START  1000 /* the grader's nvme_write=1000+4000 */
#define WIN_LAST   4999
#define PAGE       4096u

static struct nvme_libos lo;
static struct nvme_ops ops;
static struct nvme_ctrl ctrl;
static struct nvme_dma buf;
static unsigned nchecks, nfailed;

static void
check(const char *tag, const char *what, long got, long want)
{
	nchecks++;
	nfailed += got != want;
	printf("nvmewp: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

/* Block `lba` of what this program writes: "nvmewp LBA <lba>" then the byte pattern lba + i,
 * which the grader recomputes. */
static void
fill(uint8_t *p, uint64_t lba, uint32_t nblocks)
{
	for (uint32_t b = 0; b < nblocks; b++, p += ctrl.lba_size) {
		for (uint32_t i = 0; i < ctrl.lba_size; i++)
			p[i] = (uint8_t)(lba + b + i);
		memcpy(p, "nvmewp LBA ", 11);
		for (uint64_t v = lba + b, k = 0; k < 8; k++, v >>= 4)
			p[18 - k] = "0123456789abcdef"[v & 15];
	}
}

static int
io(uint8_t op, uint64_t lba, uint32_t nblocks)
{
	struct nvme_req rq = { op, lba, nblocks, buf.pa, NULL };

	return nvme_io(&ctrl.ioq[0], &rq, NULL);
}

/* A write the protection must refuse: E_PERM and nothing submitted. */
static void
refused(const char *tag, const char *what, uint64_t lba, uint32_t nblocks)
{
	uint64_t before = ctrl.stats.submitted;

	fill(buf.va, lba, nblocks);
	check(tag, what, io(NVME_OP_WRITE, lba, nblocks), E_PERM);
	check(tag, "  ... and nothing reached the queue", (long)(ctrl.stats.submitted - before), 0);
}

/* A write the protection must let through: written, then read back equal. */
static void
allowed(const char *tag, const char *what, uint64_t lba, uint32_t nblocks)
{
	size_t len = (size_t)nblocks * ctrl.lba_size;
	int r;

	fill(buf.va, lba, nblocks);
	check(tag, what, r = io(NVME_OP_WRITE, lba, nblocks), 0);
	memset(buf.va, 0, len);
	if (r == 0)
		r = io(NVME_OP_READ, lba, nblocks);
	uint8_t *want = (uint8_t *)buf.va + len; /* the buffer's second half */
	fill(want, lba, nblocks);
	check(tag, "  ... and reads back", r == 0 && memcmp(buf.va, want, len) == 0, 1);
}

static void
readonly_cases(void)
{
	check("ro", "policy is read-only", lo.wp.mode, NVME_WP_READONLY);
	check("ro", "read LBA 1 (reads are allowed)", io(NVME_OP_READ, 1, 1), 0);
	check("ro", "  ... it is a GPT header", memcmp(buf.va, "EFI PART", 8), 0);
	refused("ro", "write LBA 500 (free space)", 500, 1);
	refused("ro", "write LBA 2048 (the partition)", PART_FIRST, 1);
	refused("ro", "write LBA 0 (the MBR)", 0, 1);
	check("ro", "flush (allowed)", io(NVME_OP_FLUSH, 0, 0), 0);
	check("ro", "refusals counted", (long)lo.wp.refused, 3);
}

static bool
has_range(uint64_t first, uint64_t last, enum nvme_wp_src src)
{
	for (unsigned i = 0; i < lo.wp.nranges; i++)
		if (lo.wp.ranges[i].first == first && lo.wp.ranges[i].last == last &&
		    lo.wp.ranges[i].src == src)
			return true;
	return false;
}

/* A batch of two: the first allowed, the second refused; the batch stops at the refusal. */
static void
batch_case(void)
{
	struct nvme_req rq[2] = { { NVME_OP_WRITE, 4200, 1, buf.pa, NULL },
		                  { NVME_OP_WRITE, PART_LAST, 1, buf.pa, NULL } };
	struct nvme_done d;
	int r;

	fill(buf.va, 4200, 1);
	check("win", "batch [allowed, partition]: 1 queued", nvme_submit(&ctrl.ioq[0], rq, 2), 1);
	while ((r = nvme_poll(&ctrl.ioq[0], &d, 1)) == 0)
		;
	check("win", "  ... the allowed one completes", r == 1 && d.err == 0, 1);
}

static void
window_cases(void)
{
	check("win", "policy is the window", lo.wp.mode, NVME_WP_WINDOW);
	check("win", "the partition table was read", lo.wp.table_read, 1);
	check("win", "GPT partition 0 protected", has_range(PART_FIRST, PART_LAST, NVME_WP_SRC_GPT),
	      1);
	refused("win", "write LBA 2048 (the partition's first)", PART_FIRST, 1);
	refused("win", "write LBAs 2040+16 (across its start)", PART_FIRST - 8, 16);
	refused("win", "write LBA 4095 (its last)", PART_LAST, 1);
	refused("win", "write LBAs 4090+8 (across its end)", PART_LAST - 5, 8);
	refused("win", "write LBA 0 (the MBR, outside the window)", 0, 1);
	refused("win", "write LBA 1 (the GPT header, outside the window)", 1, 1);
	refused("win", "write LBAs 999+2 (across the window's start)", WIN_START - 1, 2);
	refused("win", "write LBAs 4999+2 (across the window's end)", WIN_LAST, 2);
	allowed("win", "write LBA 1000 (the window's first)", WIN_START, 1);
	allowed("win", "write LBA 2047 (just before the partition)", PART_FIRST - 1, 1);
	allowed("win", "write LBAs 4096+8 (just after it)", PART_LAST + 1, 8);
	allowed("win", "write LBA 4999 (the window's last)", WIN_LAST, 1);
	batch_case();
	check("win", "refusals counted", (long)lo.wp.refused, 9);
}

int
main(int argc, char **argv)
{
	uint64_t dev = nvme_libos_find();
	bool window = kcmdline_get("nvme_write") != NULL;
	int r = E_NOENT;

	(void)argc;
	(void)argv;
	check("init", "nvme_ro on the command line", kcmdline_has("nvme_ro"), 1);
	if (dev != 0)
		check("init", "open the device", r = nvme_libos_open(&lo, dev, &ops), 0);
	check("init", "the protection is on (ops.wp)", ops.wp == &lo.wp, 1);
	if (r == 0)
		check("init", "nvme_init", r = nvme_init(&ctrl, &ops, 1, 4), 0);
	if (r == 0)
		check("init", "a 2-page buffer", r = nvme_libos_dma_alloc(&lo, 2 * PAGE, &buf), 0);
	if (r == 0 && window)
		window_cases();
	else if (r == 0)
		readonly_cases();
	if (buf.va != NULL)
		nvme_libos_dma_free(&lo, &buf);
	nvme_fini(&ctrl);
	nvme_libos_close(&lo);
	printf("nvmewp: done (%u checks, %u failed)\n", nchecks, nfailed);
	return 0;
}
