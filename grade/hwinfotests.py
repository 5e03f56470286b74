"""The hardware report grader (issue 16 item 3), run by `make test-hwinfo` (grade/hwinfotests.py).

hwinfo: QEMU q35 under OVMF with 4 CPUs, VT-d, an NVMe drive (a read-only 8 MiB image: QEMU
itself refuses any write) and an rtl8139 boots init=hwinfo (user/hwinfo.c); the lines QEMU
fixes must be there exactly: the CPU count and the MADT's CPUs, the ACPI tables QEMU's q35
provides, the DMAR unit, the MCFG window, the PM timer, the clock's source under TCG, the framebuffer, the PCI IDs,
the NVMe Identify data, the NIC's chip, MAC and link, and a memory map that adds up to -m.
The report starts with the hwinfo system call's argument checks (abi/hwinfo.h): every one
must pass.

fault-on-screen: a kernel page fault (test=pgfault) with `legion=` on the command line: the
trap dump must be on the framebuffer when the machine has stopped (a screendump compared
with the serial lines, glyph by glyph count as in lab 1's framebuffer test), and QEMU must
still be running (the kernel halted; it did not exit or reboot)."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab1  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("hwinfo", fail_fast=[r"^panic: ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64"])

MEM_MIB = 256
IMAGE_BYTES = 8 << 20
IMAGE = os.path.join(gradelib.ROOT, "obj", "hwinfo", "nvme.img")
SERIAL = "exolab-hw0"


def devices():
    os.makedirs(os.path.dirname(IMAGE), exist_ok=True)
    with open(IMAGE, "wb") as f:
        f.truncate(IMAGE_BYTES)
    return ["-device", "intel-iommu,intremap=off,aw-bits=48",  # before the devices (QEMU)
            "-drive", "file=%s,if=none,format=raw,id=nv0,readonly=on" % IMAGE,
            "-device", "nvme,drive=nv0,serial=" + SERIAL,
            "-netdev", "user,id=n0,restrict=on", "-device", "rtl8139,netdev=n0"]


def source_checks():
    with open(os.path.join(gradelib.ROOT, "user", "hwinfo.c")) as f:
        return len(re.findall(r"\bcheck\(\"", f.read()))


# QEMU 7.2's q35 tables (hw/i386/acpi-build.c): OEM id BOCHS, table id BXPC.
QEMU_TABLES = ["FACP", "APIC", "HPET", "MCFG", "WAET", "DSDT", "DMAR"]
HEX = r"0x[0-9a-f]+"
LINES = [
    r"^hwinfo: cpus online 4 of 4 in the MADT, mask 0xf$",
    r"^\[env 0x[0-9a-f]+\] exit status 0$",
    r"^hwinfo: tsc \d+ Hz \(acpi pm timer\), crystal 0 Hz$",
    r"^hwinfo: lapic timer \d+ Hz \(measured against the tsc\), one-shot by (count|tsc-deadline)$",
    r"^hwinfo: pm timer at port 0x608, 24 bits$",
    r"^hwinfo: acpi rsdp v2 at %s, root XSDT, \d+ tables; iommu on$" % HEX,
    # QEMU 7.2 lists the devices by scope instead of setting INCLUDE_PCI_ALL (kern/dev/iommu.c).
    r"^hwinfo: dmar unit 0 at 0xfed90000 segment 0 haw 48$",
    r"^hwinfo: acpi XSDT rev 1 len \d+ at %s oem 'BOCHS ' table 'BXPC    ' .* sum ok$" % HEX,
    r"^hwinfo: acpi FACS rev \d+ len 64 at %s$" % HEX,
    r"^hwinfo: ioapic id 0 at 0xfec00000 gsi 0$",
    r"^hwinfo: mcfg segment 0 buses 00-ff ecam 0xb0000000 \(used\)$",
    r"^hwinfo: fb \d+x\d+ pitch \d+ bpp 32 at %s rgb r 16:8 g 8:8 b 0:8$" % HEX,
    r"^hwinfo: pci 00:00\.0 8086:29c0 class 06/00/00 Intel Q35 host bridge$",
    r"^hwinfo: pci [0-9a-f:.]+ 1b36:0010 class 01/08/02 QEMU NVMe controller$",
    r"^hwinfo: pci [0-9a-f:.]+ 10ec:8139 class 02/00/00 Realtek RTL8139$",
    r"^hwinfo: nvme model \"QEMU NVMe Ctrl\" serial \"%s\" firmware \"[^\"]+\" namespaces \d+$"
    % SERIAL,
    r"^hwinfo: nvme namespace 1: %d blocks of 512 bytes \(%d MiB\)$"
    % (IMAGE_BYTES // 512, IMAGE_BYTES >> 20),
    r"^hwinfo: nic [0-9a-f:.]+ rtl8139 chip RTL8139C\+ xid 0x74800000 "
    r"mac 52:54:00:12:34:56 link up$",
] + [r"^hwinfo: acpi %s rev \d+ len \d+ at %s oem 'BOCHS ' table 'BXPC    ' .* sum ok$"
     % (sig, HEX) for sig in QEMU_TABLES]


def check_memory(run):
    """The available entries add up to -m less what OVMF keeps (at most 16 MiB), all of them
    below -m (256 MiB: no RAM above the 32-bit hole)."""
    m = re.search(r"^hwinfo: mem total available (\d+) KiB", run.text, re.M)
    if not m:
        run.fail("no 'hwinfo: mem total' line")
        return
    kib = int(m.group(1))
    if not (MEM_MIB - 16) * 1024 < kib <= MEM_MIB * 1024:
        run.fail("available memory %d KiB, want %d-%d KiB for -m %d"
                 % (kib, (MEM_MIB - 16) * 1024, MEM_MIB * 1024, MEM_MIB))
    entries = re.findall(r"^hwinfo: mem (0x[0-9a-f]+)-(0x[0-9a-f]+) available \((\d+) KiB\)$",
                         run.text, re.M)
    if sum(int(e[2]) for e in entries) != kib:
        run.fail("the available entries add up to %d KiB, the total line says %d"
                 % (sum(int(e[2]) for e in entries), kib))
    if any(int(e[1], 16) >= MEM_MIB << 20 for e in entries):
        run.fail("an available entry ends above -m %d MiB" % MEM_MIB)


@LAB.test("hwinfo", points=10, args="init=hwinfo", uefi=True, smp=4, mem=MEM_MIB,
          qemu_args=devices(), expect=LINES, until=[r"^hwinfo: end$"],
          reject=lab3.KERNEL_DIED + [r"^hwinfo: .*(FAIL|SUM BAD|failed|cannot)", r"^ubsan: "],
          timeout=300)
def hwinfo(run):
    n = source_checks()
    run.expect(r"^hwinfo: syscall checks: %d of %d ok$" % (n, n))
    cpus = re.findall(r"^hwinfo: madt cpu apic (\d+) uid \d+ enabled, cpu (\d+) online$",
                      run.text, re.M)
    if sorted(int(c) for _, c in cpus) != [0, 1, 2, 3]:
        run.fail("MADT CPU lines name CPUs %s, want 0-3 online" % [c for _, c in cpus])
    run.expect(r"^hwinfo: cpu \"[^\"]*\" family 0x[0-9a-f]+ model 0x[0-9a-f]+ stepping \d+$")
    check_memory(run)


class HaltWatch:
    """The fault test's `peer`: when the run is complete (the dump's last line is on the serial
    port), waits until every CPU is in its final hlt (`HLT=1` in each CPU's `info registers
    -a` state, QEMU's x86 CPU dump), so the screendump taken next sees the screen the kernel
    left, not a scroll in progress.  Polls the CPU state, never a fixed delay."""

    qemu_args = []

    def __init__(self, test, workdir, iso):
        self.monitor = os.path.join(workdir, "monitor.sock")
        self.halted = None

    def start(self, run):
        run.peer = self

    def _hmp(self, command, deadline):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            sock.connect(self.monitor)
            got = b""
            for cmd in (None, command):
                if cmd:
                    sock.sendall(cmd.encode() + b"\n")
                    got = b""
                while not got.endswith(b"(qemu) "):
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise OSError("monitor closed")
                    got += chunk
            return got.decode("utf-8", "replace")

    def stop(self, run):
        if run.reason != "complete":
            return
        deadline = time.monotonic() + 30 * gradelib.timeout_scale()
        while time.monotonic() < deadline:
            try:
                state = self._hmp("info registers -a", deadline)
            except OSError:
                self.halted = False  # QEMU is gone: the kernel exited it
                return
            flags = re.findall(r"\bHLT=(\d)", state)
            if flags and all(f == "1" for f in flags):
                self.halted = True
                return
            time.sleep(0.2)
        self.halted = False

    def close(self):
        pass


LAST_FRAME = r"^  rbp [0-9a-f]+ rip [0-9a-f]+ kern_main\+0x[0-9a-f]+ args .*$"


@LAB.test("fault-on-screen", points=5, args="test=pgfault console=serial,fb legion=selftest",
          uefi=True, screendump=True, expect=[lab1.TRAP_LINE % (14, "page-fault"), LAST_FRAME],
          timeout=200, peer=HaltWatch)
def fault_on_screen(run):
    if not run.peer.halted:
        run.fail("the CPUs did not all stay halted after the dump")
    if run.exit_status is not None:
        run.fail("QEMU exited (status %d): with legion= the machine must stay halted"
                 % run.exit_status)
    if run.screen is None:
        run.fail("no screendump")
        return
    fb = re.search(r"^console: framebuffer \d+x\d+x\d+ .*$", run.text, re.M)
    trap = re.search(r"^TRAP 14 ", run.text, re.M)
    if not fb or not trap:
        run.fail("no framebuffer console line or no trap line")
        return
    shown = run.text[fb.start():].rstrip("\n").split("\n")
    glyphs = lab1.font_glyphs(os.path.join(gradelib.ROOT, "kern/dev/font8x16.c"))
    rows = [lab1.lit_pixels(run.screen, r) for r in range(run.screen.height // 16)]
    lit = [i for i, r in enumerate(rows) if r]
    last = lit[-1] if lit else -1
    # The dump is the last thing printed: the screen's last lit row is the serial's last line,
    # and every row above it up to the TRAP line shows its line's glyphs.
    first = shown.index(next(l for l in shown if l.startswith("TRAP 14 ")))
    need = len(shown) - first
    if last < 0 or last + 1 < need:
        run.fail("the screen shows %d text rows, the dump needs %d" % (last + 1, need))
        return
    want = [lab1.glyph_bits(glyphs, line) for line in shown[first:]]
    got = rows[last + 1 - need:last + 1]
    if got != want:
        run.fail("the last %d rows of the screen are not the trap dump: white pixels %s, "
                 "glyph bits %s" % (need, got, want))


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
