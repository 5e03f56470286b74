#!/usr/bin/env python3
"""NVMe driver grader (issue 12 items 5 and 8), run by `make test-nvme` and `make test`.
QEMU gets an NVMe controller on a 4 MiB raw image made here under obj/nvme/, pre-filled so
that block b holds the 32-bit little-endian words b * 0x9e3779b1 + j (j = 0, 1, ...): the
test can check blocks it never wrote.  user/nvmetest.c runs as init and drives the
controller with the portable driver (lib/drivers/nvme) through the LibOS ops
(lib/user/nvme_ops.c), polled, then in interrupt mode with INTx, then with MSI-X; it prints
one `nvmetest: TAG: what = N OK|FAIL` line per check, and this grader wants every check of its source to pass, the identify line exactly,
the decoded error of the read beyond the namespace by name, and equal leak-check lines.
user/blktest.c (test blktest) starts the block service user/blksrv.c on the same kind of
image and checks it through clients (docs/storage.md)."""

import array
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("nvme", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

IMAGE_DIR = os.path.join(gradelib.ROOT, "obj", "nvme")
IMAGE_BYTES = 4 << 20
BLOCK = 512  # QEMU's nvme default logical block size
PRE_MUL = 0x9E3779B1
TAGS = ["init", "spread", "prp", "error", "bad"]
MODES = ["polled", "interrupt (INTx)", "interrupt (MSI-X)"]


def make_image(name):
    """The pre-filled image (rewritten every run: the test writes to it); its path."""
    path = os.path.join(IMAGE_DIR, name + ".img")
    os.makedirs(IMAGE_DIR, exist_ok=True)
    words = BLOCK // 4
    data = array.array("I", bytes(IMAGE_BYTES))
    for b in range(IMAGE_BYTES // BLOCK):
        base = (b * PRE_MUL) & 0xFFFFFFFF
        data[b * words:(b + 1) * words] = array.array(
            "I", [(base + j) & 0xFFFFFFFF for j in range(words)])
    if sys.byteorder != "little":
        data.byteswap()
    with open(path, "wb") as f:
        data.tofile(f)
    return path


def devices(name):
    return ["-drive", "file=%s,if=none,format=raw,id=nv0" % make_image(name),
            "-device", "nvme,drive=nv0,serial=exolab-nvme0"]


BLOCKS = IMAGE_BYTES // BLOCK
IDENTIFY = (r"^nvmetest: model 'QEMU NVMe Ctrl' serial 'exolab-nvme0' %d blocks of %d bytes, "
            r"max transfer \d+$" % (BLOCKS, BLOCK))
OOR = (r"^nvmetest: read at block %d \(the namespace's size\): LBA Out of Range "
       r"\(SCT 0 SC 0x80\), error -\d+$" % BLOCKS)


def split_modes(run):
    """The output of each run, by its `nvmetest: mode M` line (polled, INTx, MSI-X)."""
    parts = re.split(r"^nvmetest: mode (.*)$", run.text, flags=re.M)
    texts = dict(zip(parts[1::2], parts[2::2]))
    texts["polled"] = parts[0] + texts.get("polled", "")  # the device is looked for first
    for mode in MODES[1:]:
        if mode not in texts:
            run.fail("no 'nvmetest: mode %s' line: that run never started" % mode, "irq")
    return [texts.get(mode, "") for mode in MODES]


def score_modes(run):
    """Every data-integrity check passes in each mode (polled, then INTx, then MSI-X), and
    each interrupt mode's own checks (tag irq) pass: interrupts were really taken."""
    want = lab3.check_calls("nvmetest", TAGS + ["irq"])
    texts = split_modes(run)
    for tag in TAGS:
        # The device is looked for once, before the polled run: one init check less after.
        each = [want[tag] - (tag == "init" and i > 0) for i in range(len(MODES))]
        ok = sum(min(len(re.findall(r"^nvmetest: %s: .* OK$" % tag, text, re.M)), n)
                 for text, n in zip(texts, each))
        run.fraction(tag, ok, sum(each), "%s checks passed (polled + INTx + MSI-X)" % tag)
    # bind_irq's 3 checks and irq_cases' 3 in both interrupt modes; the 2 MSI-X Enable
    # checks in the MSI-X run only.
    each = [0, want["irq"] - 2, want["irq"]]
    ok = sum(min(len(re.findall(r"^nvmetest: irq: .* OK$", text, re.M)), n)
             for text, n in zip(texts, each))
    run.fraction("irq", ok, sum(each), "irq checks passed (INTx + MSI-X)")


@LAB.test("nvmetest", parts=dict(dict.fromkeys(TAGS + ["irq"], 2), identify=2, decoded=2, leak=2),
          args="init=nvmetest leakcheck", qemu_args=devices("nvmetest"),
          until=[r"^nvmetest: done$"], reject=lab3.KERNEL_DIED, timeout=120)
def nvmetest(run):
    run.reject(r"^nvmetest: .* FAIL$")
    score_modes(run)
    run.expect(IDENTIFY, part="identify")
    run.expect(OOR, part="decoded")
    run.expect(r"^nvmetest: write across the end: LBA Out of Range$", part="decoded")
    leaks = lab3.LEAK.findall(run.text)
    if len(leaks) != 2 or leaks[0] != leaks[1]:
        run.fail("leak-check lines before and after the tests differ: %s" % leaks, "leak")


BLK_TAGS = ["owner", "io", "range", "iso", "frame"]


@LAB.test("blktest", parts=dict(dict.fromkeys(BLK_TAGS, 2), service=2, leak=2),
          args="init=blktest leakcheck", qemu_args=devices("blktest"),
          until=[r"^blktest: done$"], reject=lab3.KERNEL_DIED + [r"^\[env .*\] page fault"],
          timeout=120)
def blktest(run):
    """The block service (user/blksrv.c) and its clients (user/blktest.c, lib/user/blk.c)."""
    run.reject(r"^blktest: .* FAIL$")
    lab3.score_check_calls(run, "blktest", BLK_TAGS)
    run.expect(r"^blksrv: controller up \(0\), %d blocks of %d bytes, interrupts \(MSI-X\)$"
               % (BLOCKS, BLOCK), part="service")
    run.expect(r"^blksrv: \d+ requests, \d+ refused, [1-9]\d* interrupts; stopping$",
               part="service")
    # The first and the last are blktest's own; the kernel adds one as each spawned env goes.
    leaks = lab3.LEAK.findall(run.text)
    if len(leaks) < 2 or leaks[0] != leaks[-1]:
        run.fail("leak-check lines before and after the tests differ: %s" % leaks, "leak")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make-image":
        print(make_image(sys.argv[2]))
        sys.exit(0)
    sys.exit(gradelib.main([LAB]))
