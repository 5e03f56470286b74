#!/usr/bin/env python3
"""Writes the Linux guest's initramfs for `make bench-linux`: a cpio archive (newc, the
format the kernel unpacks: Documentation/driver-api/early-userspace/buffer-format.rst) with
busybox, the static benchmark and an /init script that runs it and powers the machine off.
With --module (bench-linux-nvme) the kernel modules are added under /lib/modules/ and /init
mounts devtmpfs on /dev and insmods them in the order given, with their arguments, first; a
`.ko.xz` is decompressed here (busybox's insmod takes a plain ELF module).
Python's standard library only; owners 0:0 and mtime 0, so the same inputs give the same
bytes.  Usage: mkinitramfs.py --busybox PATH --bench PATH [--name NAME]
[--module 'PATH[ ARGS]']... -o OUT"""

import argparse
import lzma
import os
import sys

# /init: PID 1.  The benchmark's output goes to the console (ttyS0); `poweroff -f` is the
# reboot(2) system call with RB_POWER_OFF: ACPI S5, and QEMU exits.
INIT = b"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
echo "linux: $(/bin/busybox uname -r), $(/bin/busybox nproc) CPU"
@MODULES@/@NAME@
echo "linux: @NAME@ exited with status $?"
/bin/busybox poweroff -f
"""

# With modules: devtmpfs makes the device nodes (/dev/nvme0n1) as the drivers register them;
# `mdev -s` is not needed.  The /dev/console record stays: the kernel opened it before.
MODULES = b"""/bin/busybox mount -t devtmpfs devtmpfs /dev
"""
INSMOD = b"""/bin/busybox insmod /lib/modules/%s %s || echo "linux: insmod %s failed"
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


def init_script(name, modules):
    """/init's text: `modules` is [(file name, arguments)] in insmod order."""
    mods = b""
    if modules:
        mods = MODULES + b"".join(INSMOD % (n.encode(), a.encode(), n.encode())
                                  for n, a in modules)
    return INIT.replace(b"@MODULES@", mods).replace(b"@NAME@", name.encode())


def archive(busybox, bench, name="osbench", modules=()):
    """The archive's bytes; `modules` is [(file name, arguments, ELF bytes)]."""
    files = [
        ("dev", S_IFDIR | 0o755, b"", (0, 0)),
        ("dev/console", S_IFCHR | 0o600, b"", (5, 1)),  # the kernel opens it for init
        ("proc", S_IFDIR | 0o755, b"", (0, 0)),
        ("sys", S_IFDIR | 0o755, b"", (0, 0)),
        ("bin", S_IFDIR | 0o755, b"", (0, 0)),
        ("bin/busybox", S_IFREG | 0o755, busybox, (0, 0)),
        ("bin/sh", S_IFLNK | 0o777, b"busybox", (0, 0)),
        ("init", S_IFREG | 0o755, init_script(name, [(n, a) for n, a, _ in modules]),
         (0, 0)),
        (name, S_IFREG | 0o755, bench, (0, 0)),
    ]
    if modules:
        files += [("lib", S_IFDIR | 0o755, b"", (0, 0)),
                  ("lib/modules", S_IFDIR | 0o755, b"", (0, 0))]
        files += [("lib/modules/" + n, S_IFREG | 0o644, d, (0, 0)) for n, _, d in modules]
    out = b"".join(entry(i + 1, n, m, d, r) for i, (n, m, d, r) in enumerate(files))
    out += entry(0, "TRAILER!!!", 0)
    return out + b"\0" * (-len(out) % 512)


class BadInput(Exception):
    pass


def read_elf(path):
    """The file's bytes (PATH, else PATH.xz decompressed); BadInput unless an ELF file."""
    if not os.path.exists(path) and os.path.exists(path + ".xz"):
        path += ".xz"  # Debian may ship modules compressed
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    if data[:4] != b"\x7fELF":
        raise BadInput("%s:1: not an ELF file" % path)
    return data


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--busybox", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("--name", default="osbench", help="the benchmark's name in the archive")
    p.add_argument("--module", action="append", default=[], metavar="'PATH[ ARGS]'",
                   help="a kernel module (.ko or .ko.xz) to insmod before the benchmark")
    p.add_argument("-o", "--output", required=True)
    o = p.parse_args()
    try:
        busybox, bench = read_elf(o.busybox), read_elf(o.bench)
        modules = []
        for spec in o.module:
            path, _, args = spec.partition(" ")
            data = read_elf(path)
            name = os.path.basename(path)
            modules.append((name[:-3] if name.endswith(".xz") else name, args.strip(), data))
        with open(o.output, "wb") as f:
            f.write(archive(busybox, bench, o.name, modules))
    except BadInput as e:
        print(e, file=sys.stderr)
        return 1
    except (OSError, lzma.LZMAError) as e:
        print("mkinitramfs: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
