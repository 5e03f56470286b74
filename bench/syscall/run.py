#!/usr/bin/env python3
"""Null-syscall benchmark: boots the ISO under `qemu -icount shift=0` (the guest TSC then
advances once per instruction), runs user/benchnull through init's test list and prints its
`BENCH syscall_null <n> instructions` line.  With --runs N it boots N times and fails unless
every run gives the same figure (instruction counts are exact, so they must agree)."""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = re.compile(r"^BENCH syscall_null (\d+) instructions$", re.M)
POLL_SECONDS = 0.05  # how often the serial file is read (waiting, not synchronising)


def boot_once(qemu, iso, timeout):
    """One boot; returns (figure or None, serial text)."""
    with tempfile.TemporaryDirectory(prefix="exolab-bench-") as tmp:
        serial = os.path.join(tmp, "serial.out")
        argv = [qemu, "-cdrom", iso, "-m", "256", "-display", "none", "-no-reboot",
                "-nic", "none", "-monitor", "none", "-serial", "file:" + serial,
                # sleep=off: idle time (firmware, GRUB) passes at once instead of in real
                # time; the instruction count the TSC shows is the same either way.
                "-icount", "shift=0,sleep=off",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-fw_cfg", "name=opt/exolab/cmdline,string=tests=benchnull"]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        text = ""
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if os.path.exists(serial):
                    with open(serial, "rb") as f:
                        text = f.read().decode("utf-8", "replace").replace("\r", "")
                    m = BENCH.search(text)
                    if m:
                        return int(m.group(1)), text
                time.sleep(POLL_SECONDS)
            if os.path.exists(serial):
                with open(serial, "rb") as f:
                    text = f.read().decode("utf-8", "replace").replace("\r", "")
            m = BENCH.search(text)
            return (int(m.group(1)) if m else None), text
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "exolab.iso"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--runs", type=int, default=2, help="boots whose figures must agree")
    p.add_argument("--timeout", type=float, default=120, help="seconds per boot")
    opts = p.parse_args()
    if not os.path.exists(opts.iso):
        print("bench-syscall: no ISO at %s (run make first)" % opts.iso, file=sys.stderr)
        return 1
    figures = []
    for run in range(opts.runs):
        n, text = boot_once(opts.qemu, opts.iso, opts.timeout)
        if n is None:
            tail = "\n".join(text.rstrip("\n").splitlines()[-15:])
            print("bench-syscall: run %d printed no BENCH line; serial tail:\n%s"
                  % (run + 1, tail), file=sys.stderr)
            return 1
        figures.append(n)
    if len(set(figures)) != 1:
        print("bench-syscall: runs disagree: %s" % figures, file=sys.stderr)
        return 1
    print("BENCH syscall_null %d instructions" % figures[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
