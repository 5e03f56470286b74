/* iommutest: a malicious NVMe driver against the IOMMU (issue 14 item 5).  It drives the
 * controller with the portable driver (lib/drivers/nvme, through lib/user/nvme_ops.c, used
 * as is) and points one-block Reads (the device writes host memory) at a kernel page, at a
 * page of another env (a forked child) and at a page of its own that it withdrew from its
 * DMA domain (iommu_unmap, 55).  Each transfer must fail, the kernel must print its
 * `iommu: fault:` line, count it (iommu_faults, 57) and wake the driver through the fault
 * notification it registered (iommu_fault_notify, 58: the fault event interrupt), and every
 * target page must keep its checksum.  The same read into a page mapped again (iommu_map)
 * succeeds: the checks can fail.  Then the revoke rules: a page whose last capability the
 * driver deleted, a page a parent revokes from a child driver, and a device capability
 * revoked while a read is pending (its doorbell held back until after the revoke) leave no
 * mapping behind; and every refused argument of syscalls 55-58 (bad_args).  One
 * `iommutest: TAG: what = N OK|FAIL` line per check;
 * grade/iommutests.py. */
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
#define DELETE_VA   0x0000540000200000ull /* the page whose capability it deletes */
#define REVOKE_VA   0x0000540000300000ull /* the page a parent revokes from a child driver */
#define PENDING_VA  0x0000540000400000ull /* the target of the read pending at a revoke */
#define ARGS_VA     0x0000540000500000ull /* bad_args' frame */
#define FAULT_BIT   0x4ull
#define FRAME_R     (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS | CAP_R_DERIVE | CAP_R_GRANT)

static struct nvme_libos lo;
static struct nvme_ops ops;
static struct nvme_ctrl ctrl;
static uint64_t note; /* the fault notification's slot */
/* The doorbell write held back while `holding` (pending_case); 0: none. */
static bool holding;
static uint32_t held_off, held_val;
static void (*real_write32)(void *ctx, uint32_t off, uint32_t val);

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

/* A notification for faults (iommu_fault_notify): its slot, 0 on failure. */
static uint64_t
fault_note(void)
{
	long s = slot_alloc();

	if (s < 0 ||
	    sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_READ | CAP_R_WRITE) < 0 ||
	    sys_iommu_fault_notify((uint64_t)s, FAULT_BIT) < 0)
		return 0;
	return (uint64_t)s;
}

/* Blocks until the kernel signals the fault notification: only the fault event interrupt
 * reads the records between a blocked transfer and this wait (no iommu_faults call).  The
 * deadline (about 30 s at 3 GHz; the wake-up takes microseconds) only turns a missing
 * wake-up into a FAIL line instead of a grader timeout. */
static void
fault_woken(const char *tag)
{
	uint64_t word = 0;

	check(tag, "the fault notification wakes the driver",
	      sys_notify_wait_until(note, rdtsc() + (100ull << 30), &word) == 0 &&
	          word == FAULT_BIT,
	      1);
}

/* A read at pa that the IOMMU must block: the fault wakes the driver, one more is counted. */
static void
blocked(const char *tag, uint64_t pa)
{
	long before = sys_iommu_faults();

	/* QEMU 7.2's NVMe model completes such a Read with success status (it ignores the DMA
	 * error): the fault count and the checksums are the evidence, not the status. */
	(void)dma_read(pa);
	fault_woken(tag);
	/* At least one: QEMU 7.2's DMA helpers may retry a blocked transfer once, a second
	 * fault, or drop it when the unit's one fault record is still full (overflow). */
	check(tag, "its fault counted for this driver", sys_iommu_faults() - before > 0, 1);
}

/* Every argument of syscalls 55-58 that docs/syscalls.md says is refused, is (the driver's
 * fault notification stays registered: a refused call changes nothing). */
static void
bad_args(void)
{
	uint64_t slot = page_new(ARGS_VA, 0x11);
	long nophys = slot_alloc();

	check("args", "a frame without PHYS",
	      nophys > 0 && sys_cap_derive(slot, ABI_SLOT_SELF, (uint64_t)nophys,
	                                   CAP_R_READ | CAP_R_WRITE | CAP_R_MAP, 0) == 0,
	      1);
	check("args", "iommu_map of slot 0", sys_iommu_map(0), E_INVAL);
	check("args", "iommu_map past the table", sys_iommu_map(1ull << 40), E_RANGE);
	check("args", "iommu_map of a notification", sys_iommu_map(note), E_INVAL);
	check("args", "iommu_map without PHYS", sys_iommu_map((uint64_t)nophys), E_PERM);
	check("args", "iommu_unmap without PHYS", sys_iommu_unmap((uint64_t)nophys), E_PERM);
	check("args", "iommu_fault_notify with no bits", sys_iommu_fault_notify(note, 0), E_INVAL);
	check("args", "iommu_fault_notify on a frame", sys_iommu_fault_notify(slot, 1), E_INVAL);
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

/* The last capability of a page goes (cap_delete) while the page stays mapped in the
 * driver's address space: the device loses it at once. */
static void
delete_case(void)
{
	uint64_t slot = page_new(DELETE_VA, 0x44), sum;
	long pa = slot ? sys_frame_phys(slot) : -1; /* frame_phys: the page joins the domain */

	check("deleted", "a read into the page", dma_read((uint64_t)pa), 0);
	sum = checksum((void *)DELETE_VA, PAGE);
	check("deleted", "delete its only capability", sys_cap_delete(slot), 0);
	blocked("deleted", (uint64_t)pa);
	check("deleted", "the page is unchanged", checksum((void *)DELETE_VA, PAGE) == sum, 1);
}

static void
held_write32(void *ctx, uint32_t off, uint32_t val)
{
	if (holding) {
		held_off = off;
		held_val = val;
		return;
	}
	real_write32(ctx, off, val);
}

/* A read is submitted through a window made with a derived device capability, its doorbell
 * held back; the derived capability is revoked (the device leaves the domain) and only then
 * is the doorbell rung: the device cannot even fetch the command, the target page keeps its
 * checksum, and the fault still wakes the driver.  The controller is left stalled (the next
 * driver resets it). */
static void
pending_case(uint64_t dev)
{
	long d = slot_alloc(), d2 = slot_alloc(), w = slot_alloc();
	uint64_t slot = page_new(PENDING_VA, 0x77), sum = checksum((void *)PENDING_VA, PAGE);
	long pa = slot ? sys_frame_phys(slot) : -1;
	struct nvme_req rq = { .op = NVME_OP_READ, .lba = 1, .nblocks = 1, .buf_pa = (uint64_t)pa };
	uint32_t rights = CAP_R_READ | CAP_R_WRITE | CAP_R_MAP;

	check("revoke", "derive the device capability twice",
	      sys_cap_derive(dev, ABI_SLOT_SELF, (uint64_t)d, rights | CAP_R_DERIVE, 0) == 0 &&
	          sys_cap_derive((uint64_t)d, ABI_SLOT_SELF, (uint64_t)d2, rights, 0) == 0,
	      1);
	check("revoke", "a window through it",
	      sys_dev_bar((uint64_t)d2, 0, (uint64_t)w, CAP_R_READ), 0);
	real_write32 = ctrl.ops.write32;
	ctrl.ops.write32 = held_write32;
	holding = true;
	check("revoke", "a read submitted, its doorbell held", nvme_submit(&ctrl.ioq[0], &rq, 1),
	      1);
	holding = false;
	check("revoke", "revoke the capability it came through", sys_cap_revoke((uint64_t)d), 0);
	printf("iommutest: revoked\n");
	real_write32(ctrl.ops.ctx, held_off, held_val);
	fault_woken("revoke");
	check("revoke", "the target page is unchanged", checksum((void *)PENDING_VA, PAGE) == sum,
	      1);
}

/* The child driver of revoke_frame_case: opens the device its parent gave it, reads into the
 * parent's page (allowed), then again after the parent revoked the page (blocked). */
static void
child_driver(int to_parent, int from_parent)
{
	long dev = slot_alloc(), frame = slot_alloc(), pa;
	static struct nvme_libos clo;
	static struct nvme_ops cops;
	char c;

	write(to_parent, &dev, sizeof(dev));
	write(to_parent, &frame, sizeof(frame));
	read(from_parent, &c, 1);
	note = fault_note();
	pa = sys_iommu_map((uint64_t)frame);
	check("child", "open the device, map the parent's page",
	      nvme_libos_open(&clo, (uint64_t)dev, &cops) == 0 && note != 0 && pa > 0, 1);
	check("child", "nvme_init", nvme_init(&ctrl, &cops, 1, 2), 0);
	check("child", "a read into the parent's page", dma_read((uint64_t)pa), 0);
	write(to_parent, "r", 1);
	read(from_parent, &c, 1); /* the parent revoked the page */
	blocked("child", (uint64_t)pa);
	nvme_fini(&ctrl);
	nvme_libos_close(&clo);
	write(to_parent, "d", 1);
	exit(0);
}

/* A parent gives a child driver a device and a page; the child maps the page for DMA; the
 * parent revokes the page: the child's next DMA to it faults and the page is unchanged. */
static void
revoke_frame_case(uint64_t dev)
{
	uint64_t slot = page_new(REVOKE_VA, 0x21), sum = checksum((void *)REVOKE_VA, PAGE);
	int up[2], down[2];
	long child, cs, cdev = 0, cframe = 0;
	char c;

	if (pipe(up) < 0 || pipe(down) < 0 || (child = fork()) < 0) {
		printf("iommutest: frame: pipes and fork FAIL\n");
		return;
	}
	if (child == 0)
		child_driver(up[1], down[0]);
	cs = fork_child_slot(child);
	read(up[0], &cdev, sizeof(cdev));
	read(up[0], &cframe, sizeof(cframe));
	check("frame", "give the child the device and the page",
	      sys_cap_derive(dev, (uint64_t)cs, (uint64_t)cdev,
	                     CAP_R_READ | CAP_R_WRITE | CAP_R_MAP, 0) == 0 &&
	          sys_cap_derive(slot, (uint64_t)cs, (uint64_t)cframe, FRAME_R, 0) == 0,
	      1);
	write(down[1], "g", 1);
	read(up[0], &c, 1);
	check("frame", "the child's read reached the page",
	      checksum((void *)REVOKE_VA, PAGE) != sum, 1);
	sum = checksum((void *)REVOKE_VA, PAGE);
	check("frame", "revoke the child's capability", sys_cap_revoke(slot), 0);
	write(down[1], "g", 1);
	read(up[0], &c, 1);
	check("frame", "the page is unchanged", checksum((void *)REVOKE_VA, PAGE) == sum, 1);
	wait(child, NULL);
}

int
main(int argc, char **argv)
{
	uint64_t dev = nvme_libos_find();
	int up[2], down[2];
	long child, other_pa = -1;

	(void)argc;
	(void)argv;
	if (sys_iommu_faults() < 0) {
		/* Trusted-driver mode: taking the device is what the kernel warns about when the
		 * machine has no DMAR table (grade/iommutests.py: no-dmar). */
		printf("iommutest: no DMA remapping (iommu_faults: %ld), device opened: %d\n",
		       sys_iommu_faults(), dev != 0 && nvme_libos_open(&lo, dev, &ops) == 0);
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
	check("init", "a notification for faults", (note = fault_note()) != 0, 1);
	bad_args();
	attacks(other_pa, down[1]);
	delete_case();
	pending_case(dev);
	nvme_libos_close(&lo); /* the controller stalled: no nvme_fini */
	wait(child, NULL);
	revoke_frame_case(dev);
	printf("iommutest: %ld faults counted for this driver\n", sys_iommu_faults());
	printf("iommutest: done\n");
	return 0;
}
