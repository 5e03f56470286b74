#!/usr/bin/env python3
"""`make bench-linux`: the same benchmark (bench/os/osbench.c) on ExoLab and on Linux in the
same QEMU, one table.  Boots the ExoLab ISO with `init=osbench` and the Linux guest (a Debian
kernel with the busybox initramfs bench/linux/mkinitramfs.py makes), each under `-icount
shift=0,sleep=off` with one CPU of QEMU's default model (qemu64) and 256 MiB, as
bench/icount.py boots ExoLab; collects the `BENCH <name> <value> instructions` and
`BENCH-NA <name> <reason>` lines each prints and prints, per operation, both figures and
their ratio.  --exolab-log/--linux-log read saved serial output instead of booting."""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = re.compile(r"^BENCH (\S+) (\d+) instructions$")
BENCH_NA = re.compile(r"^BENCH-NA (\S+) (.+)$")
DONE = re.compile(r"^osbench: done, (\d+) failed$", re.M)
POLL_SECONDS = 0.1  # how often the serial file is read (waiting, not synchronising)

# (BENCH name, what it is on ExoLab, what it is on Linux), in table order.
ROWS = [
    ("null_syscall", "sys_null", "getpid"),
    ("yield_roundtrip", "sys_yield x2 (2 envs)", "sched_yield x2 (2 procs)"),
    ("ipc_roundtrip", "endpoint call+reply", "futex ping-pong"),
    ("notify_roundtrip", "notification ping-pong", "eventfd ping-pong"),
    ("pipe_roundtrip", "LibOS pipe ping-pong", "pipe ping-pong"),
    ("ufault_roundtrip", "upcall + sys_protect", "SIGSEGV + mprotect"),
    ("anon_fault", "upcall + frame_alloc + map", "anonymous page fault"),
    ("fork_exit_wait", "COW fork + exit + wait", "fork + exit + wait"),
]


class ParseError(Exception):
    pass


def parse(text, source):
    """{name: int or 'n/a (reason)'} from one boot's serial output; ParseError when a line
    is malformed, a name repeats, or the run did not end with `osbench: done, 0 failed`."""
    figures = {}
    for lineno, line in enumerate(text.replace("\r", "").splitlines(), 1):
        m = BENCH.match(line) or BENCH_NA.match(line)
        if not m:
            if line.startswith("BENCH"):
                raise ParseError("%s:%d: malformed BENCH line: %r" % (source, lineno, line))
            continue
        name, value = m.groups()
        if name in figures:
            raise ParseError("%s:%d: %s printed twice" % (source, lineno, name))
        figures[name] = int(value) if m.re is BENCH else "n/a (%s)" % value
    done = DONE.search(text.replace("\r", ""))
    if not done:
        raise ParseError("%s: no `osbench: done` line (the run did not finish)" % source)
    if done.group(1) != "0":
        raise ParseError("%s: %s operation(s) failed" % (source, done.group(1)))
    return figures


def fmt(v):
    return "{:,}".format(v) if isinstance(v, int) else (v or "missing")


def table(exo, lin):
    """The side-by-side table as text: ratio = Linux / ExoLab (> 1: ExoLab runs fewer)."""
    head = ("operation", "ExoLab (instructions)", "Linux (instructions)", "Linux/ExoLab")
    lines = []
    for name, what_exo, what_lin in ROWS:
        e, l = exo.get(name), lin.get(name)
        ratio = "%.1f" % (l / e) if isinstance(e, int) and isinstance(l, int) and e else "-"
        lines.append((name, "%s  %s" % (fmt(e), what_exo), "%s  %s" % (fmt(l), what_lin), ratio))
    widths = [max(len(r[i]) for r in [head] + lines) for i in range(4)]
    out = []
    for i, r in enumerate([head] + lines):
        out.append(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def boot(argv, timeout, done=DONE):
    """Runs QEMU with the serial port in a file until `done` (default: `osbench: done`)
    matches or QEMU exits or the timeout; returns the serial text.  QEMU's process group is
    killed at the end."""
    with tempfile.TemporaryDirectory(prefix="exolab-osbench-") as tmp:
        serial = os.path.join(tmp, "serial.out")
        proc = subprocess.Popen(argv + ["-serial", "file:" + serial],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

        def text():
            if not os.path.exists(serial):
                return ""
            with open(serial, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if done.search(text()):
                    break
                time.sleep(POLL_SECONDS)
            time.sleep(POLL_SECONDS)
            return text()
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


# The machine both OSes get: bench/icount.py's (QEMU's default CPU model, qemu64; one CPU).
COMMON = ["-m", "256", "-display", "none", "-no-reboot", "-nic", "none", "-monitor", "none",
          "-icount", "shift=0,sleep=off"]


def exolab_argv(qemu, iso, args):
    return [qemu, "-cdrom", iso] + COMMON + [
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-fw_cfg", "name=opt/exolab/cmdline,string=" + args.replace(",", ",,")]


def linux_argv(qemu, kernel, initrd, append):
    return [qemu, "-kernel", kernel, "-initrd", initrd, "-append", append] + COMMON


def get(log, argv, name, timeout, keep):
    if log:
        with open(log, encoding="utf-8", errors="replace") as f:
            return parse(f.read(), log)
    t0 = time.monotonic()
    text = boot(argv, timeout)
    if keep:
        with open(keep, "w") as f:
            f.write(text)
    print("%s: booted and ran in %.0f s (serial in %s)" % (name, time.monotonic() - t0,
                                                            keep or "-"), file=sys.stderr)
    try:
        return parse(text, name + " serial")
    except ParseError:
        tail = "\n".join(text.rstrip("\n").splitlines()[-20:])
        print("%s: serial tail:\n%s" % (name, tail), file=sys.stderr)
        raise


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--iso", default=os.path.join(ROOT, "obj", "exolab.iso"))
    p.add_argument("--exolab-args", default="init=osbench sched=rr lockcheck=off")
    p.add_argument("--kernel", help="the Linux guest's vmlinuz")
    p.add_argument("--initrd", help="the Linux guest's initramfs (mkinitramfs.py)")
    p.add_argument("--append", default="console=ttyS0 quiet panic=-1",
                   help="the Linux kernel command line")
    p.add_argument("--exolab-log", help="parse this saved ExoLab serial output instead")
    p.add_argument("--linux-log", help="parse this saved Linux serial output instead")
    p.add_argument("--save", help="directory to keep each boot's serial output in")
    p.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    o = p.parse_args()
    if not o.linux_log and not (o.kernel and o.initrd):
        p.error("--kernel and --initrd (or --linux-log) are needed")
    keep = lambda n: os.path.join(o.save, n + ".serial") if o.save else None
    try:
        exo = get(o.exolab_log, exolab_argv(o.qemu, o.iso, o.exolab_args), "exolab",
                  o.timeout, keep("exolab"))
        lin = get(o.linux_log, linux_argv(o.qemu, o.kernel, o.initrd, o.append), "linux",
                  o.timeout, keep("linux"))
    except (ParseError, OSError) as e:
        print("bench-linux: %s" % e, file=sys.stderr)
        return 1
    print(table(exo, lin))
    return 0


if __name__ == "__main__":
    sys.exit(main())
