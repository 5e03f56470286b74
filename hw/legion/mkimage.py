#!/usr/bin/env python3
"""Disk images for the Legion target (issue 16, docs/legion.md), standard library only.

  mkimage.py usb -o obj/legion.img --efi BOOTX64.EFI --kernel K --initrd I --menu grub.cfg
        [--default MODE] [--timeout S] [--net "ip=A mask=M netcons=H:P"] [--esp-mib 64]
    The USB stick: a GPT with one EFI system partition, FAT32 made by mtools (no root, no
    loop device), holding EFI/BOOT/BOOTX64.EFI (GRUB), EFI/BOOT/grub.cfg (the menu template
    with its placeholders filled in), boot/kernel, boot/initrd.cpio and boot/legion.txt.
  mkimage.py disk -o nvme.img --mib 64 [--part START+COUNT[:NAME]]...
    A data disk (the stand-in's NVMe drive): a GPT whose partitions are Linux data ones.
  mkimage.py check IMAGE
    Reads an image's GPT back (both headers, both entry arrays, every CRC) and lists it.

The GPT is written here, per UEFI 2.10 §5.2.3 (protective MBR) and §5.3 (GPT header, entry
array, backup copies at the end of the disk).  Bad input: `FILE[:LINE]: what`, exit 1."""

import argparse
import os
import re
import struct
import subprocess
import sys
import uuid
import zlib

SECTOR = 512
ALIGN = 2048  # partitions start on 1 MiB boundaries (2048 sectors)
NENTRIES, ENTRY_SIZE = 128, 128  # the usual array: 16 KiB, 32 sectors (§5.3.2 minimum)
ARRAY_SECTORS = NENTRIES * ENTRY_SIZE // SECTOR
HEADER_SIZE = 92
GPT_SIGNATURE = b"EFI PART"
GPT_REVISION = 0x00010000
ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")  # UEFI 2.10 Table 5.7
LINUX_DATA_TYPE = uuid.UUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")  # freedesktop.org DPS
# GUIDs are derived from names so that a rebuild writes the same bytes (RFC 4122 version 5).
GUID_NAMESPACE = uuid.UUID("6c1d6c2a-3f0e-5b8e-9d55-4c6567696f6e")
NET_KEYS = ("ip", "mask", "gw", "netcons", "netecho")  # netecho=PORT: user/legion_pkt.h
DEFAULT_NET = "ip=169.254.77.2 mask=255.255.0.0 netcons=169.254.77.1:6666"
PLACEHOLDERS = ("TIMEOUT", "DEFAULT", "NET")
MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLSRC="/dev/null")


class Error(Exception):
    """Bad input: where (a file, or file:line) and what."""

    def __init__(self, where, what):
        super().__init__("%s: %s" % (where, what))


def guid(name):
    return uuid.uuid5(GUID_NAMESPACE, name)


# ---- GPT ----------------------------------------------------------------------------------

def protective_mbr(total):
    """UEFI 2.10 §5.2.3, Table 5.4: one record of type 0xEE from LBA 1 over the whole disk
    (capped at 0xFFFFFFFF sectors), CHS start 0/0/2, CHS end 0xFFFFFF (not representable)."""
    size = min(total - 1, 0xFFFFFFFF)
    record = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, size)
    return bytes(446) + record + bytes(48) + b"\x55\xaa"


def gpt_entry(part):
    """§5.3.3, Table 5.6: type GUID, unique GUID, first and last LBA (inclusive),
    attributes, 36 UTF-16LE code units of name."""
    name = part["name"].encode("utf-16-le")
    return struct.pack("<16s16sQQQ72s", part["type"].bytes_le, part["guid"].bytes_le,
                       part["first"], part["last"], 0, name)


def gpt_header(my, alt, first_usable, last_usable, disk_guid, array_lba, array_crc):
    """§5.3.2, Table 5.5; the header's CRC32 is over its HeaderSize bytes with the CRC field
    zero.  The rest of the sector is zero."""
    fields = [GPT_SIGNATURE, GPT_REVISION, HEADER_SIZE, 0, 0, my, alt, first_usable,
              last_usable, disk_guid.bytes_le, array_lba, NENTRIES, ENTRY_SIZE, array_crc]
    fmt = "<8sIIIIQQQQ16sQIII"
    crc = zlib.crc32(struct.pack(fmt, *fields))
    fields[3] = crc
    return struct.pack(fmt, *fields).ljust(SECTOR, b"\0")


def usable_range(total):
    """First and last usable LBA: after MBR, header and array; before the backup array and
    header at the end of the disk."""
    return 2 + ARRAY_SECTORS, total - 2 - ARRAY_SECTORS


def write_gpt(f, total, parts, disk_guid):
    """Protective MBR, primary header at LBA 1 and array at LBA 2, backup array ending just
    before the backup header in the disk's last LBA (§5.3.1)."""
    array = b"".join(gpt_entry(p) for p in parts).ljust(NENTRIES * ENTRY_SIZE, b"\0")
    crc = zlib.crc32(array)
    first, last = usable_range(total)
    backup_array = total - 1 - ARRAY_SECTORS
    f.seek(0)
    f.write(protective_mbr(total))
    f.write(gpt_header(1, total - 1, first, last, disk_guid, 2, crc))
    f.write(array)
    f.seek(backup_array * SECTOR)
    f.write(array)
    f.write(gpt_header(total - 1, 1, first, last, disk_guid, backup_array, crc))


def read_header(img, f, lba, alt_ok):
    """One header, checked: signature, size, its CRC, its own LBA, where it says the other
    copy is (alt_ok), the array's CRC.  Returns (fields that must agree, other LBA, array)."""
    where = "%s: GPT header at LBA %d" % (img, lba)
    f.seek(lba * SECTOR)
    hdr = f.read(HEADER_SIZE)
    if len(hdr) < HEADER_SIZE:
        raise Error(where, "beyond the end of the disk")
    (sig, rev, size, crc, _, my, alt, first, last, dguid, array_lba, n, esize,
     array_crc) = struct.unpack("<8sIIIIQQQQ16sQIII", hdr)
    if sig != GPT_SIGNATURE or size != HEADER_SIZE or rev != GPT_REVISION:
        raise Error(where, "no GPT header (signature, revision or size wrong)")
    if zlib.crc32(hdr[:16] + b"\0\0\0\0" + hdr[20:]) != crc:
        raise Error(where, "header CRC32 wrong")
    if my != lba or not alt_ok(alt):
        raise Error(where, "MyLBA %d / AlternateLBA %d wrong" % (my, alt))
    if n * esize != NENTRIES * ENTRY_SIZE or esize != ENTRY_SIZE:
        raise Error(where, "entry array of %d x %d bytes, expected %d x %d"
                    % (n, esize, NENTRIES, ENTRY_SIZE))
    f.seek(array_lba * SECTOR)
    array = f.read(n * esize)
    if zlib.crc32(array) != array_crc:
        raise Error(where, "entry array CRC32 wrong")
    return (first, last, uuid.UUID(bytes_le=dguid)), alt, array


def parse_entries(img, array, first, last):
    parts = []
    for i in range(NENTRIES):
        e = array[i * ENTRY_SIZE:(i + 1) * ENTRY_SIZE]
        tguid, uguid, lo, hi, _, name = struct.unpack("<16s16sQQQ72s", e)
        if tguid == bytes(16):
            continue
        if not first <= lo <= hi <= last:
            raise Error(img, "partition %d (LBA %d-%d) outside the usable LBAs %d-%d"
                        % (i + 1, lo, hi, first, last))
        for p in parts:
            if lo <= p["last"] and p["first"] <= hi:
                raise Error(img, "partitions %d and %d overlap" % (p["index"], i + 1))
        parts.append({"index": i + 1, "type": uuid.UUID(bytes_le=tguid),
                      "guid": uuid.UUID(bytes_le=uguid), "first": lo, "last": hi,
                      "name": name.decode("utf-16-le").rstrip("\0")})
    return parts


def read_gpt(img):
    """The partitions of img's GPT, after checking the protective MBR and that the primary
    and backup copies are both valid and agree.  img may be a disk larger than the image
    written to it (a USB stick): the backup is then where the primary header says, before
    the disk's last LBA.  Returns (disk sectors, backup LBA, disk GUID, partitions)."""
    with open(img, "rb") as f:
        size = f.seek(0, 2)
        if size % SECTOR or size < SECTOR * (3 + 2 * ARRAY_SECTORS):
            raise Error(img, "size %d is not a disk of 512-byte sectors" % size)
        total = size // SECTOR
        f.seek(0)
        mbr = f.read(SECTOR)
        if (mbr[510:] != b"\x55\xaa" or mbr[450] != 0xEE or
                struct.unpack("<I", mbr[454:458])[0] != 1):
            raise Error(img, "no protective MBR (type 0xEE from LBA 1)")
        primary, alt, parray = read_header(img, f, 1, lambda a: 1 + 2 * ARRAY_SECTORS < a < total)
        backup, _, barray = read_header(img, f, alt, lambda a: a == 1)
    if primary != backup or parray != barray:
        raise Error(img, "primary and backup GPT differ")
    first, last, disk_guid = primary
    if last >= alt - ARRAY_SECTORS:
        raise Error(img, "last usable LBA %d overlaps the backup array" % last)
    return total, alt, disk_guid, parse_entries(img, parray, first, last)


def new_image(path, total, parts, disk_guid):
    """A sparse file of `total` sectors carrying the GPT (partitions' contents zero)."""
    with open(path, "wb") as f:
        f.truncate(total * SECTOR)
        write_gpt(f, total, parts, disk_guid)


def partition(name, first, count, ptype, tag):
    return {"name": name, "type": ptype, "guid": guid("%s/%s" % (tag, name)),
            "first": first, "last": first + count - 1}


# ---- The menu -----------------------------------------------------------------------------

def menu_ids(path, text):
    """The --id of every menuentry, in order."""
    ids = []
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*menuentry\b", line):
            m = re.search(r"--id\s+([A-Za-z0-9_-]+)", line)
            if not m:
                raise Error("%s:%d" % (path, n), "menuentry without an --id")
            if m.group(1) in ids:
                raise Error("%s:%d" % (path, n), "second menuentry with --id %s" % m.group(1))
            ids.append(m.group(1))
    if not ids:
        raise Error(path, "no menuentry")
    return ids


def check_net(words):
    """The lib/net words (net_cfg): each key at most once, addresses dotted quads, netcons
    HOST:PORT.  Returns the normalised string; nothing else may reach grub.cfg."""
    seen = {}
    quad = r"(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}"
    for w in words.split():
        key, eq, val = w.partition("=")
        if not eq or key not in NET_KEYS:
            raise Error("--net", "'%s' is not KEY=VALUE with KEY one of %s"
                        % (w, ", ".join(NET_KEYS)))
        if key in seen:
            raise Error("--net", "%s= given twice" % key)
        host, _, port = val.partition(":") if key == "netcons" else (val, "", "")
        if key == "netecho":
            port, host = val, "0.0.0.0"
        if not re.fullmatch(quad, host):
            raise Error("--net", "%s=%s: not an IPv4 address A.B.C.D" % (key, val))
        if key in ("netcons", "netecho") and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise Error("--net", "%s=%s: not %s with a port 1-65535"
                        % (key, val, "HOST:PORT" if key == "netcons" else "PORT"))
        seen[key] = w
    if "ip" not in seen:
        raise Error("--net", "no ip= word")
    return " ".join(seen[k] for k in NET_KEYS if k in seen)


def render_menu(path, default, timeout, net):
    """The template with TIMEOUT, DEFAULT and NET filled in; an unknown placeholder, an
    unknown default or a bad timeout is an error."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise Error(path, e.strerror)
    for n, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"@([A-Za-z_]*)@", line):
            if m.group(1) not in PLACEHOLDERS:
                raise Error("%s:%d" % (path, n), "unknown placeholder @%s@" % m.group(1))
    ids = menu_ids(path, text)
    default = ids[0] if default is None else default
    if default not in ids:
        raise Error("--default", "'%s' is no entry of %s (entries: %s)"
                    % (default, path, ", ".join(ids)))
    if not -1 <= timeout <= 600:
        raise Error("--timeout", "%d: not 0-600 seconds, or -1 (wait for a key)" % timeout)
    subst = {"TIMEOUT": str(timeout), "DEFAULT": default, "NET": check_net(net)}
    return re.sub(r"@([A-Z]+)@", lambda m: subst[m.group(1)], text)


# ---- The ESP (mtools) ---------------------------------------------------------------------

def mtool(argv):
    r = subprocess.run(argv, env=MTOOLS_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode:
        raise Error(argv[0], "failed (%s): %s" % (" ".join(argv), r.stdout.decode().strip()))


def fill_esp(img, first, count, files):
    """FAT32 over the partition (mformat on img@@offset: no loop device), then the files.
    -H: hidden sectors = the partition's first LBA; one sector per cluster keeps a 64 MiB
    volume above FAT32's 65525-cluster minimum (Microsoft FAT spec, "FAT type")."""
    dev = "%s@@%d" % (img, first * SECTOR)
    mtool(["mformat", "-i", dev, "-F", "-T", str(count), "-h", "64", "-s", "32",
           "-H", str(first), "-c", "1", "-N", "4c474e31", "-v", "EXOLAB", "::"])
    for folder in ("EFI", "EFI/BOOT", "boot"):
        mtool(["mmd", "-i", dev, "::/" + folder])
    for dest, src in files:
        mtool(["mcopy", "-i", dev, src, "::/" + dest])


def readable(path, device_ok=False):
    if not (os.path.isfile(path) or device_ok and os.path.exists(path)):
        raise Error(path, "no such file")
    return path


def cmd_usb(a):
    for p in (a.efi, a.kernel, a.initrd, a.menu):
        readable(p)
    if not 34 <= a.esp_mib <= 4096:
        raise Error("--esp-mib", "%d: not 34-4096 (FAT32 at one sector per cluster)"
                    % a.esp_mib)
    menu = render_menu(a.menu, a.default, a.timeout, a.net)
    count = a.esp_mib * 2048
    total = ALIGN + count + ALIGN  # the tail holds the backup array and header
    esp = partition("EFI system partition", ALIGN, count, ESP_TYPE, "legion-usb")
    tmp = a.out + ".tmp"
    cfg, note = tmp + ".cfg", tmp + ".txt"
    with open(cfg, "w") as f:
        f.write(menu)
    with open(note, "w") as f:
        f.write("ExoLab Legion image (docs/legion.md): menu %s, default %s, timeout %d s\n"
                % (a.menu, a.default or "the first entry", a.timeout))
    try:
        new_image(tmp, total, [esp], guid("legion-usb"))
        fill_esp(tmp, esp["first"], count,
                 [("EFI/BOOT/BOOTX64.EFI", a.efi), ("EFI/BOOT/grub.cfg", cfg),
                  ("boot/kernel", a.kernel), ("boot/initrd.cpio", a.initrd),
                  ("boot/legion.txt", note)])
        os.replace(tmp, a.out)
    finally:
        for p in (tmp, cfg, note):
            if os.path.exists(p):
                os.remove(p)


def parse_part(spec, n):
    m = re.fullmatch(r"(\d+)\+(\d+)(?::([\x20-\x7e]{1,36}))?", spec)
    if not m or int(m.group(2)) == 0:
        raise Error("--part", "'%s' is not START+COUNT[:NAME] (sectors, COUNT > 0)" % spec)
    name = m.group(3) or "exolab-data-%d" % n
    return partition(name, int(m.group(1)), int(m.group(2)), LINUX_DATA_TYPE, "legion-disk")


def cmd_disk(a):
    if not 1 <= a.mib <= 1 << 20:
        raise Error("--mib", "%d: not 1-1048576" % a.mib)
    total = a.mib * 2048
    first, last = usable_range(total)
    parts = [parse_part(s, i + 1) for i, s in enumerate(a.part)]
    for i, p in enumerate(parts):
        if not first <= p["first"] <= p["last"] <= last:
            raise Error("--part", "'%s' is outside the usable LBAs %d-%d" % (a.part[i], first,
                                                                             last))
        for q in parts[:i]:
            if p["first"] <= q["last"] and q["first"] <= p["last"]:
                raise Error("--part", "'%s' overlaps '%s'" % (a.part[i], q["name"]))
    tmp = a.out + ".tmp"
    new_image(tmp, total, parts, guid("legion-disk/%d" % total))
    os.replace(tmp, a.out)


def cmd_check(a):
    total, alt, disk_guid, parts = read_gpt(readable(a.image, device_ok=True))
    print("%s: GPT ok: %d sectors, disk %s, %d partition(s)"
          % (a.image, total, disk_guid, len(parts)))
    if alt != total - 1:
        print("  the backup header is at LBA %d, not the last (%d): an image written to a "
              "larger disk" % (alt, total - 1))
    for p in parts:
        kind = "esp" if p["type"] == ESP_TYPE else str(p["type"])
        print("  %d: LBA %d-%d (%d MiB) %s '%s'" % (p["index"], p["first"], p["last"],
                                                    (p["last"] - p["first"] + 1) // 2048,
                                                    kind, p["name"]))


def arguments(argv):
    ap = argparse.ArgumentParser(prog="mkimage.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("usb", help="the bootable USB image")
    u.add_argument("-o", "--out", required=True)
    for opt in ("efi", "kernel", "initrd", "menu"):
        u.add_argument("--" + opt, required=True)
    u.add_argument("--default", help="the entry booted after the timeout (its --id)")
    u.add_argument("--timeout", type=int, default=5,
                   help="seconds (0: boot at once, -1: wait for a key)")
    u.add_argument("--net", default=DEFAULT_NET, help="lib/net words for every entry")
    u.add_argument("--esp-mib", type=int, default=64)
    d = sub.add_parser("disk", help="a data disk carrying a GPT")
    d.add_argument("-o", "--out", required=True)
    d.add_argument("--mib", type=int, required=True)
    d.add_argument("--part", action="append", default=[], help="START+COUNT[:NAME] sectors")
    c = sub.add_parser("check", help="verify and list an image's GPT")
    c.add_argument("image")
    return ap.parse_args(argv)


def main(argv):
    a = arguments(argv)
    try:
        {"usb": cmd_usb, "disk": cmd_disk, "check": cmd_check}[a.cmd](a)
    except Error as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
