#!/usr/bin/env python3
"""Kernel benchmarks in instructions: boots the ISO under `qemu -icount shift=0`, where the
guest TSC advances exactly once per executed instruction, so a path's rdtsc delta is its
instruction count.  The kernel options (--args) pick what runs; every `BENCH <name> <value>
instructions` line it prints is collected.  Boots --runs times and fails unless every boot
gives the same figures (they are exact counts) and every --want name is there; then prints
the BENCH lines once.  Used by bench/mm/mm.mk and bench/syscall/syscall.mk."""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_LINE = re.compile(r"^BENCH (\S+) (\S+) instructions$", re.M)
POLL_SECONDS = 0.05  # how often the serial file is read (waiting, not synchronising)


def read_serial(path):
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").replace("\r", "")


def boot(qemu, iso, args, want, timeout, smp=1, extra=(), until=None):
    """One boot; returns ({name: value}, serial text).  The boot ends when every wanted
    line is there (or, given `until`, a compiled pattern, when the serial text matches it),
    when QEMU exits, or at the timeout; QEMU's process group is killed."""
    with tempfile.TemporaryDirectory(prefix="exolab-bench-") as tmp:
        serial = os.path.join(tmp, "serial.out")
        argv = [qemu, "-cdrom", iso, "-m", "256", "-display", "none", "-no-reboot",
                "-nic", "none", "-monitor", "none", "-serial", "file:" + serial,
                # sleep=off: idle time (firmware, GRUB) passes at once instead of in real
                # time; the instruction counts the TSC shows are the same either way.
                "-icount", "shift=0,sleep=off", "-smp", str(smp),
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-fw_cfg", "name=opt/exolab/cmdline,string=" + args.replace(",", ",,")]
        argv += list(extra)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                text = read_serial(serial)
                if until is not None:
                    if until.search(text):
                        break
                elif all(name in dict(BENCH_LINE.findall(text)) for name in want):
                    break
                time.sleep(POLL_SECONDS)
            text = read_serial(serial)
            return dict(BENCH_LINE.findall(text)), text
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def app_figures(text, line, mode, names, bad, label):
    """{name: value} of one configuration's BENCH lines (`line`: groups mode, name, value,
    unit), or None, saying on stderr why with the serial tail, when a line matching `bad`
    (a check that failed) is there or a name of `names` has no figure."""
    figures = {name: int(v) for m, name, v, _ in line.findall(text) if m == mode}
    failed = re.findall(bad, text, re.M)
    missing = [n for n in names if n not in figures]
    if failed or missing:
        tail = "\n".join(text.rstrip("\n").splitlines()[-20:])
        print("bench-fastpath: %s: %s; serial tail:\n%s"
              % (label, "; ".join(failed) or "no figure for " + ", ".join(missing), tail),
              file=sys.stderr)
        return None
    return figures


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", required=True, help="the benchmark's name, for messages")
    p.add_argument("--args", required=True, help="kernel command line options")
    p.add_argument("--want", action="append", required=True, help="a BENCH name to expect")
    p.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "exolab.iso"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--runs", type=int, default=2, help="boots that must agree (default 2)")
    p.add_argument("--smp", type=int, default=1, help="CPUs (default 1)")
    p.add_argument("--timeout", type=float, default=120, help="seconds per boot")
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="one more QEMU argument (repeat; e.g. a device and its drive)")
    opts = p.parse_args()
    if not os.path.exists(opts.iso):
        print("%s: no ISO at %s (run make first)" % (opts.name, opts.iso), file=sys.stderr)
        return 1
    results = []
    for i in range(opts.runs):
        figures, text = boot(opts.qemu, opts.iso, opts.args, opts.want, opts.timeout,
                             opts.smp, opts.qemu_arg)
        missing = [name for name in opts.want if name not in figures]
        if missing:
            tail = "\n".join(text.rstrip("\n").splitlines()[-15:])
            print("%s: boot %d printed no BENCH line for %s; serial tail:\n%s"
                  % (opts.name, i + 1, ", ".join(missing), tail), file=sys.stderr)
            return 1
        results.append({name: figures[name] for name in opts.want})
    if any(r != results[0] for r in results):
        print("%s: boots disagree: %s" % (opts.name, results), file=sys.stderr)
        return 1
    for name in opts.want:
        print("BENCH %s %s instructions" % (name, results[0][name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
