#!/usr/bin/env python3
"""NVMe write-protection grader (issue 16 item 5), run by `make test-nvmewp` and `make test`.

QEMU gets an NVMe controller on a 4 MiB raw image made here under obj/nvme/ carrying a GPT
(UEFI 2.x §5.3: protective MBR, primary header and entry array, backup array and header)
with one partition, LBAs 2048..4095.  user/nvmewp.c runs as init with the kernel word
`nvme_ro` (under QEMU the hypervisor bit is set, so without it the disk is not protected):

- nvmewp-readonly: no nvme_write=, every write refused (E_PERM, nothing queued), reads work;
  the image is byte for byte what was written before the boot;
- nvmewp-window: nvme_write=1000+4000, a window over the partition and free blocks on both
  sides: writes touching the partition or the tables or leaving the window refused, writes
  inside the window and outside the partition land; afterwards the image's partition and
  partition tables are unchanged and the allowed blocks hold what nvmewp wrote.

`python3 grade/nvmewptests.py --make-image NAME` writes the image and prints its path."""

import os
import re
import struct
import sys
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("nvmewp", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

IMAGE_DIR = os.path.join(gradelib.ROOT, "obj", "nvme")
BLOCK = 512  # QEMU's nvme default logical block size
BLOCKS = 8192  # 4 MiB
PART = (2048, 4095)  # the partition, inclusive (user/nvmewp.c PART_FIRST, PART_LAST)
WINDOW = (1000, 4000)  # nvme_write=START+COUNT (user/nvmewp.c WIN_START, WIN_LAST)
ENTRIES, ENTRY_SIZE = 128, 128
ARRAY_BLOCKS = ENTRIES * ENTRY_SIZE // BLOCK  # 32
FIRST_USABLE = 2 + ARRAY_BLOCKS  # 34
LAST_USABLE = BLOCKS - 2 - ARRAY_BLOCKS  # 8158
LINUX_FS = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")  # a partition type GUID
# Blocks nvmewp writes in the window test (allowed: inside the window, outside the partition).
WRITTEN = [1000, 2047] + list(range(4096, 4104)) + [4200, 4999]


def gpt_header(my_lba, alt_lba, entries_lba, array_crc):
    """UEFI §5.3.2 table 5-5, 92 bytes, CRC over them with the CRC field zero."""
    fields = [b"EFI PART", 0x00010000, 92, 0, 0, my_lba, alt_lba, FIRST_USABLE, LAST_USABLE,
              uuid.UUID(int=0x5EED).bytes_le, entries_lba, ENTRIES, ENTRY_SIZE, array_crc]
    fmt = "<8sIIIIQQQQ16sQIII"
    head = struct.pack(fmt, *fields)
    fields[3] = zlib.crc32(head) & 0xFFFFFFFF
    return struct.pack(fmt, *fields).ljust(BLOCK, b"\0")


def gpt_blocks():
    """{lba: 512 bytes} of the protective MBR, both headers and both entry arrays."""
    entry = struct.pack("<16s16sQQQ72s", LINUX_FS.bytes_le, uuid.UUID(int=1).bytes_le,
                        PART[0], PART[1], 0, "exolab-test".encode("utf-16-le"))
    array = entry.ljust(ENTRIES * ENTRY_SIZE, b"\0")
    crc = zlib.crc32(array) & 0xFFFFFFFF
    # §5.2.3: one record of type 0xEE from LBA 1 over the rest of the disk.
    mbr = bytearray(BLOCK)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\2\0", 0xEE, b"\xff\xff\xff", 1,
                               BLOCKS - 1)
    mbr[510:512] = b"\x55\xaa"
    out = {0: bytes(mbr), 1: gpt_header(1, BLOCKS - 1, 2, crc),
           BLOCKS - 1: gpt_header(BLOCKS - 1, 1, LAST_USABLE + 1, crc)}
    for i in range(ARRAY_BLOCKS):
        out[2 + i] = out[LAST_USABLE + 1 + i] = array[i * BLOCK:(i + 1) * BLOCK]
    return out


def filler(lba):
    """A block no one wrote: a tag naming it, repeated."""
    tag = (b"PART%08x" if PART[0] <= lba <= PART[1] else b"FREE%08x") % lba
    return (tag * (BLOCK // len(tag) + 1))[:BLOCK]


def written(lba):
    """What user/nvmewp.c's fill() puts in block `lba`."""
    b = bytearray((lba + i) & 0xFF for i in range(BLOCK))
    b[0:19] = b"nvmewp LBA %08x" % lba
    return bytes(b)


def make_image(name):
    """The image (rewritten every run: the test writes to it); its path."""
    path = os.path.join(IMAGE_DIR, name + ".img")
    os.makedirs(IMAGE_DIR, exist_ok=True)
    table = gpt_blocks()
    with open(path, "wb") as f:
        f.write(b"".join(table.get(b, filler(b)) for b in range(BLOCKS)))
    return path


def read_image(name):
    with open(os.path.join(IMAGE_DIR, name + ".img"), "rb") as f:
        data = f.read()
    return [data[b * BLOCK:(b + 1) * BLOCK] for b in range(len(data) // BLOCK)]


def devices(name):
    """The disk as nvmetests.py attaches it; `-boot order=d`: the protective MBR's 0x55AA
    would make SeaBIOS boot the disk (its empty boot code) before the CD."""
    return ["-boot", "order=d", "-drive", "file=%s,if=none,format=raw,id=nv0" % make_image(name),
            "-device", "nvme,drive=nv0,serial=exolab-nvme0"]


def check_blocks(run, name, part, wrote):
    """The image after the run: every block as made, except those in `wrote` (nvmewp's)."""
    blocks = read_image(name)
    if len(blocks) != BLOCKS:
        run.fail("%s: %d blocks, want %d" % (name, len(blocks), BLOCKS), part)
        return
    table = gpt_blocks()
    bad = []
    for b in range(BLOCKS):
        want = written(b) if b in wrote else table.get(b, filler(b))
        if blocks[b] != want:
            bad.append(b)
    if bad:
        run.fail("%s: %d blocks differ from what they must hold, first LBAs %s"
                 % (name, len(bad), bad[:8]), part)


def score(run, part, checks):
    """No check failed and all `checks` ran (user/nvmewp.c counts them in its last line)."""
    run.reject(r"^nvmewp: .* FAIL$", part=part)
    run.expect(r"^nvmewp: done \(%d checks, 0 failed\)$" % checks, part=part)


REFUSAL = r"^nvme: write of LBAs %d\.\.%d \(\d+ blocks?\) refused \(E_PERM, opcode 0x01\): "


@LAB.test("nvmewp-readonly", parts=dict(checks=2, refusal=1, image=2),
          args="init=nvmewp nvme_ro", qemu_args=devices("nvmewp-ro"),
          until=[r"^nvmewp: done"], reject=lab3.KERNEL_DIED, timeout=90)
def nvmewp_readonly(run):
    score(run, "checks", 16)
    run.expect(r"^nvme: write protection \(nvme_ro\): read-only: no nvme_write=", part="refusal")
    run.expect(REFUSAL % (PART[0], PART[0]) + r"the disk is read-only", part="refusal")
    check_blocks(run, "nvmewp-ro", "image", set())


@LAB.test("nvmewp-window", parts=dict(checks=2, refusal=1, image=2),
          args="init=nvmewp nvme_ro nvme_write=%d+%d" % WINDOW,
          qemu_args=devices("nvmewp-win"), until=[r"^nvmewp: done"],
          reject=lab3.KERNEL_DIED, timeout=90)
def nvmewp_window(run):
    score(run, "checks", 35)
    run.expect(r"^nvme: write protection \(nvme_ro\): writes only in LBAs 1000\.\.4999, ",
               part="refusal")
    run.expect(r"^nvme: partition table: GPT \(primary header\); 3 protected ranges$",
               part="refusal")
    run.expect(REFUSAL % (PART[0], PART[0]) + r"inside a protected range: GPT partition 0, "
               r"LBAs %d\.\.%d$" % PART, part="refusal")
    run.expect(REFUSAL % (0, 0) + r"outside the nvme_write= window", part="refusal")
    check_blocks(run, "nvmewp-win", "image", set(WRITTEN))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make-image":
        print(make_image(sys.argv[2]))
        sys.exit(0)
    sys.exit(gradelib.main([LAB]))
