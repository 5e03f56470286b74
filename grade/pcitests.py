#!/usr/bin/env python3
"""PCI and device-capability grader (issue 12 items 1-2), run by `make test-pci` and
`make test`.  QEMU gets an NVMe controller on a 1 MiB raw image made here under obj/pci/,
an e1000 and an rtl8139 on user-mode networks with restrict=on (no route out of the guest;
the tests send no traffic at all), on i440fx (`pc`: configuration space through ports
0xCF8/0xCFC) and q35 (ECAM from the ACPI MCFG, the NVMe controller behind a PCIe root
port, so the bridge walk is needed to find it).

pcitest-*: user/pcitest.c runs as init and prints one `pcitest: TAG: ... OK|FAIL` line per
check; its two leak-check lines must match; its last access, to a revoked BAR window, must
be reported as a page fault by the kernel, which then runs the monitor, whose `lspci` must
list the three devices exactly.  lspci-user: user/lspci.c as init prints what dev_info
reports, which must equal the monitor's lspci line for line.  lspci-shell: the same from the
shell, whose programs get the shell's device capabilities by the spawn handoff."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("pci", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

IMAGE_DIR = os.path.join(gradelib.ROOT, "obj", "pci")  # one image per test: QEMU locks it
TAGS = ["find", "map", "nvme", "cfg", "type", "bar", "revoke"]
FAULT_VA = 0x10008000  # VA2 of user/pcitest.c


def source_checks():
    """{tag: checks} of user/pcitest.c: its check("TAG", ...) calls, and the two checks of
    each nvme_regs(va, "TAG") call."""
    counts = lab3.check_calls("pcitest", TAGS)
    with open(os.path.join(gradelib.ROOT, "user", "pcitest.c")) as f:
        src = f.read()
    for tag in re.findall(r'\bnvme_regs\(\w+, "(\w+)"\)', src):
        counts[tag] = counts.get(tag, 0) + 2
    return counts


def check_lines(run):
    lab3.score_check_calls(run, "pcitest", TAGS, source_checks())


def make_image(name):
    """A 1 MiB raw image of zeros for the test's NVMe controller; its path."""
    path = os.path.join(IMAGE_DIR, name + ".img")
    os.makedirs(IMAGE_DIR, exist_ok=True)
    if not os.path.exists(path) or os.path.getsize(path) != 1 << 20:
        with open(path, "wb") as f:
            f.write(bytes(1 << 20))
    return path


def devices(q35, name):
    nvme = ["-drive", "file=%s,if=none,format=raw,id=nv0" % make_image(name)]
    if q35:
        nvme += ["-device", "pcie-root-port,id=rp0,chassis=1,slot=1",
                 "-device", "nvme,drive=nv0,serial=exolab0,bus=rp0"]
    else:
        nvme += ["-device", "nvme,drive=nv0,serial=exolab0"]
    nics = ["-netdev", "user,id=n0,restrict=on", "-device", "e1000,netdev=n0",
            "-netdev", "user,id=n1,restrict=on", "-device", "rtl8139,netdev=n1"]
    return (["-M", "q35"] if q35 else []) + nvme + nics


# The lines lspci must print for the test's devices: (IDs and class, the BARs' types and
# sizes).  Addresses and BAR bases are the firmware's choice and are only checked for
# alignment.  On q35 the NVMe controller sits on a PCIe port (PCIe capability present on
# both machines: QEMU's nvme is a PCIe endpoint even on the conventional i440fx bus).
WANT = {
    "nvme": (r"1b36:0010 class 01/08/02 irq intx,msix pcie", [("0", "mem64", 0x4000)]),
    "e1000": (r"8086:100e class 02/00/00 irq intx", [("0", "mem32", 0x20000), ("1", "io", 0x40)]),
    "rtl8139": (r"10ec:8139 class 02/00/00 irq intx", [("0", "io", 0x100), ("1", "mem32", 0x100)]),
}
DEV_LINE = re.compile(r"^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ([0-9a-f]{4}:[0-9a-f]{4} .*)$", re.M)
BAR_LINE = re.compile(r"^  bar(\d) (io|mem32|mem64)( prefetch)? base 0x([0-9a-f]+) size 0x([0-9a-f]+)$")


def parse_lspci(text):
    """[(address, description, [(bar, type, base, size)])] from lspci lines."""
    out = []
    for line in text.splitlines():
        m = DEV_LINE.match(line)
        if m:
            out.append(("%s:%s.%s" % m.group(1, 2, 3), m.group(4), []))
            continue
        b = BAR_LINE.match(line)
        if b and out:
            out[-1][2].append((b.group(1), b.group(2), int(b.group(4), 16), int(b.group(5), 16)))
    return out


def check_devices(run, listing, part, q35):
    for name, (desc, bars) in WANT.items():
        found = [d for d in listing if d[1] == desc]
        if len(found) != 1:
            run.fail("%s: %d lines /%s/, want 1" % (name, len(found), desc), part)
            continue
        addr, _, got = found[0]
        if name == "nvme" and q35 and addr.startswith("00:"):
            run.fail("nvme at %s: not behind the root port (bridge walk)" % addr, part)
        if [(b, t, s) for b, t, _, s in got] != bars:
            run.fail("%s BARs %s, want %s" % (name, [(b, t, hex(s)) for b, t, _, s in got],
                                              [(b, t, hex(s)) for b, t, s in bars]), part)
        for b, t, base, size in got:
            if base == 0 or base % size:
                run.fail("%s bar%s base 0x%x not aligned to its size" % (name, b, base), part)


def pcitest(machine):
    q35 = machine == "q35"
    parts = dict.fromkeys(TAGS, 2)
    parts.update({"mechanism": 2, "fault": 3, "leak": 3, "lspci": 4})

    @LAB.test("pcitest-" + machine, parts=parts, args="init=pcitest leakcheck",
              qemu_args=devices(q35, "pcitest-" + machine), steps=[(r"^\[env 0x[0-9a-f]+\] page fault[\s\S]*^K> ", "lspci")],
              until=[r"^00:00\.0 .*$[\s\S]*^K> "], reject=lab3.KERNEL_DIED, timeout=90)
    def check(run):
        want = (r"ECAM at 0x[0-9a-f]+ \(MCFG, buses 0-\d+\)" if q35 else r"ports 0xcf8/0xcfc")
        run.expect(r"^pci: \d+ functions through %s$" % want, part="mechanism")
        run.reject(r"^pcitest: .* FAIL$")
        check_lines(run)
        leaks = lab3.LEAK.findall(run.text.split("pcitest: touching")[0])
        if len(leaks) < 2 or leaks[-1] != leaks[-2]:
            run.fail("leak-check lines before and after the tests differ: %s" % leaks, "leak")
        m = lab3.FAULT.search(run.text)
        if not m or int(m.group(2), 16) != FAULT_VA or m.group(4) != "read" or \
                m.group(5) != "not present":
            run.fail("no 'page fault va 0x%x ... (read, not present)' report" % FAULT_VA,
                     "fault")
        run.reject(r"^pcitest: survived", part="fault")
        reply = run.reply("lspci")
        if reply is None:
            run.fail("the monitor never ran lspci", "lspci")
        else:
            check_devices(run, parse_lspci(reply), "lspci", q35)

    return check


pcitest("pc")
pcitest("q35")


@LAB.test("lspci-user-q35", parts={"user": 3, "same": 3}, args="init=lspci",
          qemu_args=devices(True, "lspci-user-q35"), steps=[(r"^lspci: end$[\s\S]*^K> ", "lspci")],
          until=[r"^00:00\.0 .*$[\s\S]*^K> "], reject=lab3.KERNEL_DIED, timeout=90)
def lspci_user(run):
    m = re.search(r"^lspci: (\d+) devices\n([\s\S]*?)^lspci: end$", run.text, re.M)
    if not m:
        run.fail("no 'lspci: N devices' ... 'lspci: end' output", "user")
        return
    user = parse_lspci(m.group(2))
    if len(user) != int(m.group(1)):
        run.fail("%d device lines for %s devices" % (len(user), m.group(1)), "user")
    check_devices(run, user, "user", True)
    mon = run.reply("lspci")
    if mon is None or parse_lspci(mon) != user:
        run.fail("user lspci differs from the monitor's", "same")


@LAB.test("lspci-shell-pc", parts={"shell": 3, "same": 3}, args="init=sh",
          qemu_args=devices(False, "lspci-shell-pc"),
          steps=[(r"^\$ ", "lspci"), (r"^lspci: end$[\s\S]*^\$ ", "exit"), (r"^K> ", "lspci")],
          until=[r"^00:00\.0 .*$[\s\S]*^K> "], reject=lab3.KERNEL_DIED, timeout=90)
def lspci_shell(run):
    """lspci run by the shell (not init) lists what the monitor lists."""
    m = re.search(r"^lspci: (\d+) devices\n([\s\S]*?)^lspci: end$", run.text, re.M)
    if not m or int(m.group(1)) == 0:
        run.fail("the shell's lspci saw no devices (its child got no device capabilities)",
                 "shell")
        return
    user = parse_lspci(m.group(2))
    check_devices(run, user, "shell", False)
    mon = run.reply("lspci")
    if mon is None or parse_lspci(mon) != user:
        run.fail("the shell's lspci differs from the monitor's", "same")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
