#!/usr/bin/env python3
"""DMA isolation grader (issue 14), run by `make test-iommu`: QEMU's q35 with Intel VT-d
(intel-iommu, 4-level tables, no interrupt remapping) in front of an NVMe controller.
user/iommutest.c, a malicious driver, points NVMe reads at a kernel page, at another env's
page and at a page it withdrew from its DMA domain: each is blocked (one `iommu: fault:`
line and one counted fault each) and the targets keep their checksums.  The honest
nvmetest and blktest of grade/nvmetests.py (imported, not changed) pass in full with
translation on and no fault."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402
import nvmetests  # noqa: E402

LAB = gradelib.Lab("iommu", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

IOMMU = ["-M", "q35,kernel-irqchip=split",
         "-device", "intel-iommu,intremap=off,aw-bits=48"]  # before the devices (QEMU)
BOOT = r"^iommu: 1 units, translation on \(4-level tables, 0 RMRRs\)$"
TAGS = ["init", "kernel", "other", "unmapped", "revoke"]


def fault_line(addr=r"0x[0-9a-f]+"):
    return (r"^iommu: fault: [0-9a-f]{2}:[0-9a-f]{2}\.\d write at %s blocked: "
            r"no write permission \(reason 5\), env [0-9a-f]+$" % addr)


@LAB.test("malicious", parts=dict(dict.fromkeys(TAGS, 2), boot=2, faults=2),
          args="init=iommutest", qemu_args=IOMMU + nvmetests.devices("iommutest"),
          until=[r"^iommutest: done$"], reject=lab3.KERNEL_DIED, timeout=120)
def malicious(run):
    run.reject(r"^iommutest: .* FAIL$")
    want = lab3.check_calls("iommutest", TAGS)
    for tag in ("kernel", "other", "unmapped"):  # blocked(TAG, ...): one check each
        want[tag] += 1
    lab3.score_check_calls(run, "iommutest", TAGS, want)
    run.expect(BOOT, part="boot")
    run.expect(fault_line("0x100000"), part="faults")  # the kernel page
    if len(re.findall(fault_line(), run.text, re.M)) != 3:
        run.fail("want exactly 3 fault lines (kernel, other env, unmapped page)", "faults")
    run.expect(r"^iommutest: 3 faults counted for this driver$", part="faults")
    run.expect(r"^iommu: [0-9a-f]{2}:[0-9a-f]{2}\.\d detached: its driver's capability is "
               r"gone\n(.*\n)?iommutest: revoked$", part="revoke")


@LAB.test("nvmetest", parts=dict(dict.fromkeys(nvmetests.TAGS + ["irq"], 2), identify=2,
                                 decoded=2, leak=2, boot=2),
          args="init=nvmetest leakcheck",
          qemu_args=IOMMU + nvmetests.devices("iommu-nvmetest"),
          until=[r"^nvmetest: done$"], reject=lab3.KERNEL_DIED, timeout=120)
def nvmetest(run):
    """The honest driver, every check of grade/nvmetests.py, with translation on and no
    fault."""
    run.expect(BOOT, part="boot")
    run.reject(r"^iommu: fault:")
    nvmetests.nvmetest(run)


@LAB.test("blktest", parts=dict(dict.fromkeys(nvmetests.BLK_TAGS, 2), service=2, leak=2, boot=2),
          args="init=blktest leakcheck", qemu_args=IOMMU + nvmetests.devices("iommu-blktest"),
          until=[r"^blktest: done$"], reject=lab3.KERNEL_DIED + [r"^\[env .*\] page fault"],
          timeout=120)
def blktest(run):
    """The block service and its clients (grade/nvmetests.py's checks) with translation on."""
    run.expect(BOOT, part="boot")
    run.reject(r"^iommu: fault:")
    nvmetests.blktest(run)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
