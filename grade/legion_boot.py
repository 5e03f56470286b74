#!/usr/bin/env python3
"""The Legion image booted on its stand-in (issue 16 item 2; `make test-legion-boot`).

For each menu entry, hw/legion/mkimage.py writes a variant of the USB image whose default is
that entry, with timeout 0 and the netconsole sent to a port of 127.0.0.1 this run holds
(netcons=169.254.77.1:PORT: the stand-in's user network maps 169.254.77.1 to 127.0.0.1).
It boots under OVMF from emulated USB on the exact machine of `make qemu-legion`
(hw/legion/Makefrag's LEGION_MACHINE, given after `--`), with copies of the NVMe disk and of
the firmware's variable store.  The serial output must show, in order, the kernel side (OVMF
starting the USB disk, GRUB booting the entry, the command line with legion=MODE, the GOP
framebuffer, the CPUs online, init starting) and then the entry's own lines
(grade/legion_expect.py, the table grade/legion.py uses too); the netconsole must have
carried legion's lines, in the same order (safe mode: nothing at all).  The bench entry's
netconsole goes to hw/legion/collect.py's own receiver, whose CSV must hold the screen's BENCH
lines, row for row, with the machine and the date; its echo port (collect.py --echo-port,
the image's netecho=PORT) is the packet bench's peer, so the stand-in measures the packet path
end to end and the CSV must hold its packet_* rows.  A run ends as soon as
everything is there, or at a kernel death, the kernel monitor, QEMU's exit or the deadline
(TIMEOUT seconds, times GRADE_TIMEOUT_SCALE); the checks read the output, never the clock.
One more run, "menu", boots a variant whose menu waits for a key and looks at the screen.

Until user/legion is in the ramdisk, init cannot start: the kernel side is checked up to
`env: cannot start init`, and the run says so."""

import argparse
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import legion_expect as lx  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "hw", "legion"))
import collect  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MKIMAGE = os.path.join(ROOT, "hw/legion/mkimage.py")
MENU = os.path.join(ROOT, "hw/legion/grub.cfg")
TIMEOUT = 240  # seconds per boot; a boot takes about 15 s under TCG on an idle machine
NETCONS_WAIT = 20  # seconds the netconsole may lag behind the serial line at most
POLL = 0.1  # how often the serial file is read (waiting, not synchronising)
KERNEL_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64"]
# The kernel monitor: nothing more comes (user space ended or never started).
ENDED = r"^ExoLab kernel monitor"
# GRUB draws the menu on the serial line with cursor moves, not newlines.
MENU_TITLES = r"ExoLab bench.*ExoLab selftest.*ExoLab shell.*ExoLab safe mode"
ANSI = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")

# CPUs each entry must bring up: safe mode boots with cpus=1.
CPUS = {"bench": 12, "selftest": 12, "shell": 12, "safe": 1}
MODES = ["bench", "selftest", "shell", "safe"]
# Where the bench entry's collector stops, as docs/legion.md tells the benchmarker.
BENCH_DONE = r"^legion: bench done"


def user_lines(mode):
    """What user/legion.c prints in that mode, after init has started: (what, regex) in
    order, from grade/legion_expect.py."""
    return [("legion: /%s/" % p, p) for p in lx.EXPECT[mode][0]]


def netcons_lines(mode):
    """What must come over the netconsole: legion's lines (not the shell's prompt, which is
    not a whole line); nothing in safe mode, which starts no driver."""
    return [] if mode == "safe" else [e for e in user_lines(mode) if e[1] != lx.PROMPT]


def ramdisk_names(path):
    """The file names of a newc cpio archive (the ramdisk)."""
    names, pos = [], 0
    with open(path, "rb") as f:
        data = f.read()
    while data[pos:pos + 6] == b"070701":
        fsize, nsize = int(data[pos + 54:pos + 62], 16), int(data[pos + 94:pos + 102], 16)
        name = data[pos + 110:pos + 110 + nsize - 1].decode()
        if name == "TRAILER!!!":
            break
        names.append(name)
        pos = (pos + 110 + nsize + 3) & ~3
        pos = (pos + fsize + 3) & ~3
    return names


def expectations(mode, has_legion):
    """The serial lines the run must show, in order."""
    cpus = CPUS[mode]
    exp = [("OVMF starts the USB disk", r'^BdsDxe: starting Boot\d+ "[^"]*USB'),
           ("GRUB boots the entry", r"Booting `ExoLab %s" % mode),
           ("GRUB is the loader", r"^loader: GRUB 2"),
           ("legion=%s on the command line" % mode,
            r"^cmdline: init=legion legion=%s .*nvme_ro" % mode),
           ("the GOP framebuffer", r"^fb: rgb \d+x\d+ 32 bpp"),
           ("%d CPU%s online" % (cpus, "s" if cpus > 1 else ""),
            r"^smp: %d CPUs? online" % cpus)]
    if not has_legion:
        return exp + [("init tried (no legion in the ramdisk)", r"^env: cannot start init")]
    return exp + [("init starts", r"^env: init is env 0x[0-9a-f]+")] + user_lines(mode)


def progress(exp, text):
    """How many of exp appear in order in text.  A pattern ending in `$` is looked for in
    the complete lines only (the last one may still be arriving); one that does not (the
    shell's prompt, a partial line) in the whole text."""
    pos = 0
    complete = text[:text.rfind("\n") + 1]
    for i, (_, pat) in enumerate(exp):
        m = re.compile(pat, re.M).search(complete if pat.endswith("$") else text, pos)
        if not m:
            return i
        pos = m.end()
    return len(exp)


def read_serial(path):
    try:
        with open(path, "rb") as f:
            raw = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    return ANSI.sub("", raw.replace("\r", ""))


def make_variant(a, tmp, mode, timeout=0, port=6666, echo_port=None):
    out = os.path.join(tmp, "legion-%s.img" % mode)
    net = "ip=169.254.77.2 mask=255.255.0.0 netcons=169.254.77.1:%d" % port
    if echo_port:
        net += " netecho=%d" % echo_port
    r = subprocess.run([sys.executable, MKIMAGE, "usb", "-o", out, "--efi", a.efi, "--kernel",
                        a.kernel, "--initrd", a.initrd, "--menu", MENU, "--default", mode,
                        "--timeout", str(timeout), "--net", net], stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode:
        raise SystemExit("legion_boot: mkimage.py: %s" % r.stderr.strip())
    return out


def qemu_argv(a, tmp, mode, image, monitor="none"):
    """The machine from the Makefrag plus the drives LEGION_DRIVES names, on copies."""
    vars_copy = os.path.join(tmp, "vars-%s.fd" % mode)
    nvme = os.path.join(tmp, "nvme-%s.img" % mode)
    shutil.copyfile(a.ovmf_vars, vars_copy)
    subprocess.run(["cp", "--sparse=always", a.nvme, nvme], check=True)
    return ([os.environ.get("QEMU", "qemu-system-x86_64")] + a.machine +
            ["-drive", "if=pflash,format=raw,file=" + vars_copy,
             "-drive", "if=none,id=stick,format=raw,file=" + image,
             "-device", "usb-storage,bus=xhci.0,drive=stick,bootindex=0",
             "-drive", "if=none,id=nvm,format=raw,file=" + nvme,
             "-device", "nvme,drive=nvm,serial=legion-nvme0",
             "-display", "none", "-monitor", monitor,
             "-serial", "file:" + os.path.join(tmp, "serial-%s.out" % mode)])


def drain(sock, got):
    """Every datagram waiting on the netconsole's socket, appended to got (bytes)."""
    try:
        while True:
            got.extend(sock.recv(65536))
    except BlockingIOError:
        return got


def ended(proc, text):
    """Why the run cannot get further, or None."""
    died = [p for p in KERNEL_DIED if re.search(p, text, re.M)]
    if died:
        return "kernel died (%s)" % died[0]
    if proc.poll() is not None:
        return "QEMU exited (%s)" % proc.poll()
    return "at the kernel monitor" if re.search(ENDED, text, re.M) else None


class Collector:
    """The bench entry's receiver: hw/legion/collect.py's own listen loop and Recorder (what a
    benchmarker runs on the receiving computer) on an ephemeral port of 127.0.0.1, in a
    thread, writing its log and CSV in tmp; `recv` hands over what it printed so far."""

    class Out:
        def __init__(self):
            self.parts, self.taken = [], 0

        def write(self, text):
            self.parts.append(text)

        def flush(self):
            pass

    def __init__(self, tmp):
        self.csv_path = os.path.join(tmp, "collect.csv")
        self.log = open(os.path.join(tmp, "collect.log"), "w")
        self.csv_file = open(self.csv_path, "w")
        rows = csv.writer(self.csv_file, lineterminator="\n")
        rows.writerow(collect.CSV_FIELDS)
        self.rec = collect.Recorder(self.log, rows, until=BENCH_DONE)
        self.out, bound = Collector.Out(), []
        ready = threading.Event()
        self.thread = threading.Thread(
            target=collect.listen, args=(self.rec, "127.0.0.1", 0, self.out),
            kwargs={"ready": lambda addr: (bound.append(addr), ready.set()), "echo_port": 0},
            daemon=True)
        self.thread.start()
        ready.wait(30)
        # collect.py's echo port too (ephemeral here; the image's netecho=PORT names it)
        self.port = bound[0][0][1] if bound else 0
        self.echo_port = bound[0][1][1] if bound else 0

    def recv(self, got):
        parts = self.out.parts
        got.extend("".join(parts[self.out.taken:]).encode())
        self.out.taken = len(parts)
        return got

    def close(self):
        """Waits briefly for the loop to see the last line; True when it ended by itself."""
        self.thread.join(NETCONS_WAIT)
        self.csv_file.close()
        self.log.close()
        return not self.thread.is_alive()


class Socket:
    """Every other entry's receiver: a plain socket, drained without blocking."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def recv(self, got):
        return drain(self.sock, got)

    def close(self):
        self.sock.close()
        return True


def check_csv(text, collector):
    """The bench entry's CSV from collect.py: one row per BENCH line on the screen, same name,
    value and unit, the MACHINE line's name and a date; (ok, what) lines to print."""
    screen = [tuple(m) for m in re.findall(r"^BENCH (\S+) (\S+) (\S+)\s*$", text, re.M)]
    want = re.search(r"^MACHINE (.+?)\s*$", text, re.M)
    with open(collector.csv_path) as f:
        rows = list(csv.DictReader(f))
    got = [(r["name"], r["value"], r["unit"]) for r in rows]
    out = [(bool(screen) and got == screen,
            "collect.py's CSV has the screen's %d BENCH lines as rows, in order (it has %d)"
            % (len(screen), len(got)))]
    out.append((bool(rows) and want is not None and
                all(r["machine"] == want.group(1) for r in rows),
                "every row names the MACHINE line's machine"))
    out.append((bool(rows) and all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["date"] or "")
                                   for r in rows), "every row has a date"))
    names = {r["name"] for r in rows}
    out.append(({"packet_tx_1", "packet_rtt_p50", "packet_rtt_p99"} <= names and
                collector.rec.echoed >= 16,
                "the packet path measured against collect.py's echo port (%d datagrams "
                "echoed)" % collector.rec.echoed))
    errors = collector.rec.errors
    out.append((not errors, "collect.py reported no bad line" +
                (": " + "; ".join(errors[:2]) if errors else "")))
    return out


def boot(a, tmp, mode, has_legion):
    """One boot: (serial text, netconsole text, why it ended, seconds, csv checks)."""
    receiver = Collector(tmp) if mode == "bench" and has_legion else Socket()
    image = make_variant(a, tmp, mode, port=receiver.port,
                         echo_port=getattr(receiver, "echo_port", None))
    serial = os.path.join(tmp, "serial-%s.out" % mode)
    scale = float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    start, net, exp = time.monotonic(), bytearray(), expectations(mode, has_legion)
    nexp = netcons_lines(mode) if has_legion else []
    with open(os.path.join(tmp, "qemu-%s.err" % mode), "wb") as err:
        proc = subprocess.Popen(qemu_argv(a, tmp, mode, image), stdin=subprocess.DEVNULL,
                                stdout=err, stderr=subprocess.STDOUT, start_new_session=True)
    deadline, why = start + TIMEOUT * scale, "deadline (%d s)" % (TIMEOUT * scale)
    try:
        while time.monotonic() < deadline:
            stop = ended(proc, read_serial(serial))  # then one last look at the output
            text, nettext = read_serial(serial), receiver.recv(net).decode("utf-8", "replace")
            if progress(exp, text) == len(exp):
                if progress(nexp, nettext) == len(nexp):
                    why = "done"
                    break
                if deadline > time.monotonic() + NETCONS_WAIT * scale:
                    # The screen is complete: its datagrams were sent as each line was.
                    deadline = time.monotonic() + NETCONS_WAIT * scale
                    why = "the netconsole's lines %d s after the screen's" % NETCONS_WAIT
            if stop:
                why = stop
                break
            time.sleep(POLL)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    os.remove(image)
    nettext = receiver.recv(net).decode("utf-8", "replace").replace("\r", "")
    ended_itself = receiver.close()
    text, csv_checks = read_serial(serial), []
    if isinstance(receiver, Collector):
        csv_checks = [(ended_itself, "collect.py stopped by itself at 'legion: bench done'")]
        csv_checks += check_csv(text, receiver)
    return text, nettext, why, time.monotonic() - start, csv_checks


def monitor_command(path, command):
    """One HMP command on QEMU's monitor socket; waits for the prompt after it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        got = b""
        for _ in range(2):
            while not got.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                if not chunk:
                    return
                got += chunk
            s.sendall(command.encode() + b"\n")
            command, got = "", b""


def highlight_bar(path):
    """The screendump (P6) has a row with a run of one non-black colour over at least 40%
    of the width: the menu's highlighted entry, drawn by the firmware's text console."""
    with open(path, "rb") as f:
        data = f.read()
    fields = data.split(b"\n", 3)
    if fields[0] != b"P6":
        return False
    width, height = map(int, fields[1].split())
    rgb = fields[3]
    for y in range(height):
        row = rgb[3 * width * y:3 * width * (y + 1)]
        x = width // 2
        px = row[3 * x:3 * x + 3]
        if px == b"\0\0\0" or len(px) < 3:
            continue
        lo = hi = x
        while lo > 0 and row[3 * (lo - 1):3 * lo] == px:
            lo -= 1
        while hi + 1 < width and row[3 * (hi + 1):3 * (hi + 2)] == px:
            hi += 1
        if hi - lo + 1 >= width * 2 // 5:
            return True
    return False


def menu_run(a, tmp):
    """The menu with no timeout (GRUB waits for a key): every entry's title on the serial
    line, then the highlighted entry on the framebuffer (a screendump).  Returns
    (ok, what was wrong, seconds)."""
    image = make_variant(a, tmp, "bench", timeout=-1)
    serial, mon = os.path.join(tmp, "serial-menu.out"), os.path.join(tmp, "monitor.sock")
    dump = os.path.join(tmp, "menu.ppm")
    scale = float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    start = time.monotonic()
    argv = qemu_argv(a, tmp, "menu", image, monitor="unix:%s,server,nowait" % mon)
    with open(os.path.join(tmp, "qemu-menu.err"), "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                stderr=subprocess.STDOUT, start_new_session=True)
    problem = "the menu's four titles never reached the serial line"
    deadline = start + TIMEOUT * scale
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if problem.startswith("the menu's"):
                if re.search(MENU_TITLES, read_serial(serial)):
                    problem = "no highlighted entry on the framebuffer"
                    # The screen is drawn with the serial line: a few screendumps will do.
                    deadline = time.monotonic() + 20 * scale
            else:
                monitor_command(mon, "screendump " + dump)
                if os.path.exists(dump) and highlight_bar(dump):
                    problem = None
                    break
            time.sleep(POLL * 5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    os.remove(image)
    return problem, time.monotonic() - start


def report_list(title, exp, text):
    n = progress(exp, text)
    for i, (what, pat) in enumerate(exp):
        if i < n:
            print("  ok   %s%s" % (title, what))
        elif re.search(pat, text, re.M):
            print("  MISS %s%s: there, but not after the lines above" % (title, what))
        else:
            print("  MISS %s%s" % (title, what))
    return n == len(exp)


def report(mode, has_legion, text, nettext, why, seconds, csv_checks):
    ok = report_list("", expectations(mode, has_legion), text)
    if has_legion:
        ok = report_list("netconsole: ", netcons_lines(mode), nettext) and ok
    for good, what in csv_checks:
        print("  %s %s" % ("ok  " if good else "MISS", what))
        ok = ok and good
    if has_legion and mode == "safe":
        quiet = not nettext
        print("  %s the netconsole got nothing" % ("ok  " if quiet else "MISS"))
        ok = ok and quiet
    print("legion-boot %s: %s in %.1f s (%s)" % (mode, "PASS" if ok else "FAIL", seconds, why))
    if not ok:
        print("  --- serial output, last 30 lines:")
        for line in [ln for ln in text.splitlines() if ln.strip()][-30:]:
            print("  | " + line)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for opt in ("efi", "kernel", "initrd", "nvme", "ovmf-vars"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--only", action="append", choices=["menu"] + sorted(CPUS),
                    help="only these runs (menu: the menu on the framebuffer)")
    ap.add_argument("--log", help="append PASS/FAIL lines for `make test`")
    ap.add_argument("machine", nargs=argparse.REMAINDER, help="-- then QEMU's machine options")
    a = ap.parse_args()
    a.machine = a.machine[1:] if a.machine[:1] == ["--"] else a.machine
    if not a.machine:
        ap.error("give the machine's QEMU options after --")
    has_legion = "legion" in ramdisk_names(a.initrd)
    if not has_legion:
        print("legion-boot: no legion in %s: checking the kernel side only" % a.initrd)
    results = []
    with tempfile.TemporaryDirectory(prefix="legion-boot-") as tmp:
        runs = a.only or ["menu"] + MODES
        if "menu" in runs:
            problem, seconds = menu_run(a, tmp)
            print("legion-boot menu: %s in %.1f s%s" % ("FAIL" if problem else "PASS", seconds,
                                                        ": " + problem if problem else ""))
            results.append(("menu", problem is None))
        for mode in [r for r in runs if r != "menu"]:
            text, nettext, why, seconds, csv_checks = boot(a, tmp, mode, has_legion)
            results.append((mode, report(mode, has_legion, text, nettext, why, seconds,
                                         csv_checks)))
    if a.log:
        with open(a.log, "a") as f:
            for mode, ok in results:
                f.write("%s legion-boot-%s\n" % ("PASS" if ok else "FAIL", mode))
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
