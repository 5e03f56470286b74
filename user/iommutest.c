/* iommutest: a malicious NVMe driver against the IOMMU (issue 14 item 5).  It drives the
 * controller with the portable driver (lib/drivers/nvme, through lib/user/nvme_ops.c, used
 * as is) and points one-block Reads (the device writes host memory) at a kernel page, at a
 * page of another env (a forked child) and at a page of its own that it withdrew from its
 * DMA domain (iommu_unmap, 55).  Each transfer must fail, the kernel must print its
 * `iommu: fault:` line and count it (iommu_faults, 57), and every target page must keep its
 * checksum.  The same read into a page mapped again (iommu_map) succeeds: the checks can
 * fail.  One `iommutest: TAG: what = N OK|FAIL` line per check; grade/iommutests.py. */
#include <stddef.h>
#include <stdint.h>

#include "abi/cap.h"
#include "abi/dev.h"
#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE        4096u
#define KERNEL_PAGE 0x100000ull           /* the kernel image's first page (kern/kernel.ld) */
#define VICTIM_VA   0x0000540000000000ull /* the forked victim's page */
#define OWN_VA      0x0000540000100000ull /* the driver's page it unmaps */
#define FRAME_R     (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS)

static struct nvme_libos lo;
static struct nvme_ops ops;
static struct nvme_ctrl ctrl;

static void
check(const char *tag, const char *what, long got, long want)
{
	printf("iommutest: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

/* FNV-1a, 64-bit. */
static uint64_t
checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t
find_nvme(void)
{
	struct abi_dev_info info;
	uint64_t first = libos_envinfo->dev_slot;

	for (uint64_t s = first; s < first + libos_envinfo->dev_count; s++)
		if (sys_dev_info(s, &info) == 0 && info.class == 1 && info.subclass == 8 &&
		    info.progif == 2)
			return s;
	return 0;
}

/* A fresh frame mapped at va and filled with `seed`; its slot (0 on failure). */
static uint64_t
page_new(uint64_t va, uint8_t seed)
{
	long s = slot_alloc();

	if (s < 0 || sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, FRAME_R) < 0 ||
	    sys_map(ABI_SLOT_SELF, (uint64_t)s, va, ABI_PERM_R | ABI_PERM_W) < 0)
		return 0;
	for (unsigned i = 0; i < PAGE; i++)
		((uint8_t *)va)[i] = (uint8_t)(seed + i * 7);
	return (uint64_t)s;
}

/* One block read from LBA 1 into physical `pa`: 0, or the driver's error. */
static int
dma_read(uint64_t pa)
{
	struct nvme_req rq = { .op = NVME_OP_READ, .lba = 1, .nblocks = 1, .buf_pa = pa };
	uint16_t status = 0;
	int r = nvme_io(&ctrl.ioq[0], &rq, &status);

	return r != 0 ? r : status != 0 ? -1 : 0;
}

/* A read at pa that the IOMMU must block: the command fails, one more fault is counted. */
static void
blocked(const char *tag, uint64_t pa)
{
	long before = sys_iommu_faults();

	/* QEMU 7.2's NVMe model completes such a Read with success status (it ignores the DMA
	 * error): the fault count and the checksums are the evidence, not the status. */
	(void)dma_read(pa);
	check(tag, "one more fault counted for this driver", sys_iommu_faults() - before, 1);
}

/* The victim: a child env's page; its address goes to the parent, its checksum is checked
 * when the parent says so. */
static void
victim(int to_parent, int from_parent)
{
	uint64_t slot = page_new(VICTIM_VA, 0x5a), sum = checksum((void *)VICTIM_VA, PAGE);
	long pa = slot ? sys_frame_phys(slot) : -1;
	char c;

	write(to_parent, &pa, sizeof(pa));
	read(from_parent, &c, 1);
	check("other", "the other env's page is unchanged",
	      checksum((void *)VICTIM_VA, PAGE) == sum, 1);
	exit(0);
}

static void
attacks(long other_pa, int to_victim)
{
	uint64_t va = OWN_VA, slot = page_new(va, 0x33), sum;
	long pa = slot ? sys_frame_phys(slot) : -1;

	blocked("kernel", KERNEL_PAGE);
	blocked("other", (uint64_t)other_pa);
	write(to_victim, "x", 1);

	check("unmapped", "iommu_unmap of its own page", sys_iommu_unmap(slot), 0);
	sum = checksum((void *)va, PAGE);
	blocked("unmapped", (uint64_t)pa);
	check("unmapped", "the page is unchanged", checksum((void *)va, PAGE) == sum, 1);
	check("unmapped", "iommu_map gives it back", sys_iommu_map(slot), pa);
	check("unmapped", "the same read now succeeds", dma_read((uint64_t)pa), 0);
	check("unmapped", "and the page holds the block", checksum((void *)va, PAGE) != sum, 1);
}

/* A revoke takes the device out of its driver's domain: a window made through a derived
 * capability attaches the device; revoking the original's children detaches it (the kernel
 * prints the line grade/iommutests.py wants). */
static void
revoke_case(uint64_t dev)
{
	long d = slot_alloc(), w = slot_alloc();

	check("revoke", "derive the device capability",
	      sys_cap_derive(dev, ABI_SLOT_SELF, (uint64_t)d, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP,
	                     0),
	      0);
	check("revoke", "a window through it", sys_dev_bar((uint64_t)d, 0, (uint64_t)w, CAP_R_READ),
	      0);
	check("revoke", "revoke the original's children", sys_cap_revoke(dev), 0);
	printf("iommutest: revoked\n");
}

int
main(int argc, char **argv)
{
	uint64_t dev = find_nvme();
	int up[2], down[2];
	long child, other_pa = -1;

	(void)argc;
	(void)argv;
	if (sys_iommu_faults() < 0) {
		printf("iommutest: no DMA remapping (iommu_faults: %ld)\n", sys_iommu_faults());
		return 1;
	}
	check("init", "pipes", pipe(up) == 0 && pipe(down) == 0, 1);
	if ((child = fork()) == 0)
		victim(up[1], down[0]);
	check("init", "fork the victim", child > 0, 1);
	check("init", "the victim's page address", read(up[0], &other_pa, sizeof(other_pa)),
	      (long)sizeof(other_pa));
	check("init", "open the device", dev != 0 && nvme_libos_open(&lo, dev, &ops) == 0, 1);
	check("init", "nvme_init", nvme_init(&ctrl, &ops, 1, 2), 0);
	attacks(other_pa, down[1]);
	nvme_fini(&ctrl);
	nvme_libos_close(&lo);
	revoke_case(dev);
	wait(child, NULL);
	printf("iommutest: %ld faults counted for this driver\n", sys_iommu_faults());
	printf("iommutest: done\n");
	return 0;
}
