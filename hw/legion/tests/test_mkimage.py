#!/usr/bin/env python3
"""Tests of hw/legion/mkimage.py (run by `make test-legion-boot`, about a second):
the built image read back byte by byte, independently of mkimage.py's own reader (protective
MBR, both GPT headers with their CRC32s, the ESP's type GUID and FAT32 boot sector, the
files on the ESP compared with their sources, the menu filled in); `check` refusing a
corrupted GPT; a test variant's menu; and bad input answered with FILE[:LINE]: what, exit 1."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MKIMAGE = os.path.join(os.path.dirname(HERE), "mkimage.py")
MENU = os.path.join(os.path.dirname(HERE), "grub.cfg")
SECTOR = 512
# C12A7328-F81F-11D2-BA4B-00A0C93EC93B as stored: the first three fields little-endian.
ESP_GUID_BYTES = bytes.fromhex("28732AC11FF8D211BA4B00A0C93EC93B")
MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLSRC="/dev/null")
ENTRIES = ("bench", "selftest", "shell", "safe")

failures = []


def check(ok, what):
    print("%s: %s" % ("ok" if ok else "FAIL", what))
    if not ok:
        failures.append(what)
    return ok


def mkimage(*args):
    return subprocess.run([sys.executable, MKIMAGE] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)


def u32(b, off):
    return int.from_bytes(b[off:off + 4], "little")


def u64(b, off):
    return int.from_bytes(b[off:off + 8], "little")


def check_header(data, lba, total, what):
    """UEFI 2.10 Table 5.5 read by offsets: signature, CRC32 over 92 bytes with the field
    zero, MyLBA, AlternateLBA, the entry array's CRC32."""
    h = data[lba * SECTOR:lba * SECTOR + 92]
    check(h[:8] == b"EFI PART", "%s: signature" % what)
    check(zlib.crc32(h[:16] + bytes(4) + h[20:]) == u32(h, 16), "%s: header CRC32" % what)
    check(u64(h, 24) == lba and u64(h, 32) == (total - 1 if lba == 1 else 1),
          "%s: MyLBA and AlternateLBA" % what)
    array_lba, n, size = u64(h, 72), u32(h, 80), u32(h, 84)
    array = data[array_lba * SECTOR:array_lba * SECTOR + n * size]
    check(zlib.crc32(array) == u32(h, 88), "%s: entry array CRC32" % what)
    return array


def mtools_read(image, offset, path):
    r = subprocess.run(["mtype", "-i", "%s@@%d" % (image, offset), "::/" + path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=MTOOLS_ENV)
    return r.stdout if r.returncode == 0 else None


def test_image(a):
    with open(a.image, "rb") as f:
        data = f.read()
    total = len(data) // SECTOR
    mbr = data[:SECTOR]
    check(mbr[510:] == b"\x55\xaa" and mbr[0x1C2] == 0xEE and u32(mbr, 0x1C6) == 1,
          "protective MBR: type 0xEE from LBA 1")
    primary = check_header(data, 1, total, "primary GPT header")
    backup = check_header(data, total - 1, total, "backup GPT header")
    check(primary == backup, "primary and backup entry arrays equal")
    check(primary[:16] == ESP_GUID_BYTES, "partition 1 is an EFI system partition")
    first, last = u64(primary, 32), u64(primary, 40)
    check((last - first + 1) * SECTOR == 64 << 20, "the ESP is 64 MiB")
    boot = data[first * SECTOR:(first + 1) * SECTOR]
    check(boot[82:90] == b"FAT32   " and boot[510:] == b"\x55\xaa", "the ESP is FAT32")
    off = first * SECTOR
    for path, src in (("EFI/BOOT/BOOTX64.EFI", a.efi), ("boot/kernel", a.kernel),
                      ("boot/initrd.cpio", a.initrd)):
        with open(src, "rb") as f:
            check(mtools_read(a.image, off, path) == f.read(), "%s is %s" % (path, src))
    cfg = (mtools_read(a.image, off, "EFI/BOOT/grub.cfg") or b"").decode()
    ids = re.findall(r"^menuentry .* --id (\S+) \{", cfg, re.M)
    check(tuple(ids) == ENTRIES, "menu entries %s (got %s)" % (", ".join(ENTRIES), ids))
    check("@" not in cfg and re.search(r"^set timeout=[1-9]\d*$", cfg, re.M),
          "the menu is filled in, with a timeout")
    check(mtools_read(a.image, off, "boot/legion.txt") is not None, "the marker file is there")


def test_variant(a, tmp):
    out = os.path.join(tmp, "variant.img")
    net = "ip=10.0.2.15 mask=255.255.255.0 netcons=10.0.2.2:7000"
    r = mkimage("usb", "-o", out, "--efi", a.efi, "--kernel", a.kernel, "--initrd", a.initrd,
                "--menu", MENU, "--default", "safe", "--timeout", "0", "--net", net)
    if not check(r.returncode == 0, "a test variant builds: %s" % r.stderr.strip()):
        return
    cfg = mtools_read(out, 2048 * SECTOR, "EFI/BOOT/grub.cfg").decode()
    check("set default=safe\n" in cfg and "set timeout=0\n" in cfg,
          "the variant's default is safe, timeout 0")
    lines = re.findall(r"^\s*multiboot2 (.*)$", cfg, re.M)
    check(len(lines) == 4 and all(" %s nvme_ro" % net in ln for ln in lines),
          "every entry carries the variant's network words")
    check(lines[3].endswith(" cpus=1") and not any("cpus=" in ln for ln in lines[:3]),
          "only safe mode has cpus=1")
    os.remove(out)


def test_corruption(tmp):
    disk = os.path.join(tmp, "disk.img")
    r = mkimage("disk", "-o", disk, "--mib", "2", "--part", "2048+1024:data")
    check(r.returncode == 0 and mkimage("check", disk).returncode == 0, "a small disk checks")
    for where, what in ((2 * SECTOR + 40, "entry array CRC32 wrong"),
                        (-(SECTOR - 40), "header CRC32 wrong")):
        bad = os.path.join(tmp, "bad.img")
        shutil.copyfile(disk, bad)
        with open(bad, "r+b") as f:
            size = f.seek(0, 2)
            f.seek(where if where > 0 else size + where)
            f.write(b"\x5a")
        r = mkimage("check", bad)
        check(r.returncode == 1 and what in r.stderr, "check refuses: %s (%s)"
              % (what, r.stderr.strip()))


def bad_input(tmp, a):
    """Each bad input: the arguments, and the message it must give (a regex)."""
    tmpl = os.path.join(tmp, "bad.cfg")
    with open(tmpl, "w") as f:
        f.write("set timeout=@TIMEOUT@\n\nmenuentry \"x\" {\n\tmultiboot2 /boot/kernel @NETS@\n}\n")
    usb = ["usb", "-o", os.path.join(tmp, "x.img"), "--efi", a.efi, "--kernel", a.kernel,
           "--initrd", a.initrd]
    return [
        (usb + ["--menu", tmpl], re.escape(tmpl) + r":4: unknown placeholder @NETS@"),
        (usb + ["--menu", MENU, "--default", "nosuch"], r"--default: 'nosuch' is no entry"),
        (usb + ["--menu", MENU, "--net", "ip=10.0.2.15 netcons=10.0.2.2:70000"],
         r"--net: netcons=10.0.2.2:70000: not HOST:PORT"),
        (usb + ["--menu", MENU, "--net", "ip=10.0.2.15 mask=255.255.255.0; reboot"],
         r"--net: mask=255.255.255.0;: not an IPv4 address"),
        (usb + ["--menu", MENU, "--net", "ip=10.0.2.15 init=sh"],
         r"--net: 'init=sh' is not KEY=VALUE with KEY one of ip, mask"),
        (usb + ["--menu", MENU, "--timeout", "-2"], r"--timeout: -2: not 0-600"),
        (usb[:4] + ["/nonexistent/kernel"] + usb[5:] + ["--menu", MENU],
         r"^/nonexistent/kernel: no such file"),
        (["disk", "-o", os.path.join(tmp, "d.img"), "--mib", "4", "--part", "2048+100",
          "--part", "2100+10"], r"--part: '2100\+10' overlaps"),
        (["disk", "-o", os.path.join(tmp, "d.img"), "--mib", "4", "--part", "8000+1000"],
         r"--part: '8000\+1000' is outside the usable LBAs 34-8158"),
    ]


def test_bad_input(a, tmp):
    with open(MENU) as f:
        menu = f.read()
    noid = os.path.join(tmp, "noid.cfg")
    with open(noid, "w") as f:
        f.write(menu.replace(" --id shell", ""))
    n = menu[:menu.index(" --id shell")].count("\n") + 1
    cases = bad_input(tmp, a)
    cases.append((["usb", "-o", os.path.join(tmp, "x.img"), "--efi", a.efi, "--kernel",
                   a.kernel, "--initrd", a.initrd, "--menu", noid],
                  re.escape(noid) + r":%d: menuentry without an --id" % n))
    for args, msg in cases:
        r = mkimage(*args)
        check(r.returncode == 1 and re.search(msg, r.stderr, re.M) and
              not os.path.exists(os.path.join(tmp, "x.img")),
              "bad input refused: %s (got: %s)" % (msg, r.stderr.strip() or r.returncode))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for opt in ("efi", "kernel", "initrd", "image"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--log", help="append one PASS/FAIL line for `make test`")
    a = ap.parse_args()
    test_image(a)
    with tempfile.TemporaryDirectory(prefix="legion-mkimage-") as tmp:
        test_variant(a, tmp)
        test_corruption(tmp)
        test_bad_input(a, tmp)
    result = "FAIL" if failures else "PASS"
    print("test_mkimage: %s (%d failed)" % (result, len(failures)))
    if a.log:
        with open(a.log, "a") as f:
            f.write("%s legion-mkimage\n" % result)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
