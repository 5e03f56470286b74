#!/usr/bin/env python3
"""Writes the Linux guest's initramfs for `make bench-linux`: a cpio archive (newc, the
format the kernel unpacks: Documentation/driver-api/early-userspace/buffer-format.rst) with
busybox, the static benchmark and an /init script that runs it and powers the machine off.
Python's standard library only; owners 0:0 and mtime 0, so the same inputs give the same
bytes.  Usage: mkinitramfs.py --busybox PATH --bench PATH -o OUT"""

import argparse
import sys

# /init: PID 1.  The benchmark's output goes to the console (ttyS0); `poweroff -f` is the
# reboot(2) system call with RB_POWER_OFF: ACPI S5, and QEMU exits.
INIT = b"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
echo "linux: $(/bin/busybox uname -r), $(/bin/busybox nproc) CPU"
/osbench
echo "linux: osbench exited with status $?"
/bin/busybox poweroff -f
"""

S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR = 0o040000, 0o100000, 0o120000, 0o020000


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    """One newc record: the 110-byte ASCII header, the name with its NUL, the data, each
    padded to a multiple of 4 bytes."""
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    pad = lambda n: b"\0" * (-n % 4)
    rec = head + name.encode() + b"\0"
    rec += pad(len(rec))
    return rec + data + pad(len(data))


def archive(busybox, bench):
    files = [
        ("dev", S_IFDIR | 0o755, b"", (0, 0)),
        ("dev/console", S_IFCHR | 0o600, b"", (5, 1)),  # the kernel opens it for init
        ("proc", S_IFDIR | 0o755, b"", (0, 0)),
        ("sys", S_IFDIR | 0o755, b"", (0, 0)),
        ("bin", S_IFDIR | 0o755, b"", (0, 0)),
        ("bin/busybox", S_IFREG | 0o755, busybox, (0, 0)),
        ("bin/sh", S_IFLNK | 0o777, b"busybox", (0, 0)),
        ("init", S_IFREG | 0o755, INIT, (0, 0)),
        ("osbench", S_IFREG | 0o755, bench, (0, 0)),
    ]
    out = b"".join(entry(i + 1, n, m, d, r) for i, (n, m, d, r) in enumerate(files))
    out += entry(0, "TRAILER!!!", 0)
    return out + b"\0" * (-len(out) % 512)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--busybox", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("-o", "--output", required=True)
    o = p.parse_args()
    try:
        with open(o.busybox, "rb") as f:
            busybox = f.read()
        with open(o.bench, "rb") as f:
            bench = f.read()
        for path, data in ((o.busybox, busybox), (o.bench, bench)):
            if data[:4] != b"\x7fELF":
                print("%s:1: not an ELF executable" % path, file=sys.stderr)
                return 1
        with open(o.output, "wb") as f:
            f.write(archive(busybox, bench))
    except OSError as e:
        print("mkinitramfs: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
