#!/usr/bin/env python3
"""Kernel memory-management benchmark: boots the ISO with `test=bench-mm halt` under
`qemu -icount shift=0`, where the guest TSC advances exactly once per executed instruction, so
the kernel's rdtsc deltas (kern/mm/mmbench.c) are instruction counts.  Boots --runs times,
fails unless every boot prints the same figures, then prints the BENCH lines once."""

import argparse
import os
import re
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_LINE = re.compile(r"^BENCH (mm_\S+_kernel) (\S+) instructions$", re.M)
WANT = ("mm_alloc_free_4k_kernel", "mm_alloc_free_4k_hot_kernel", "mm_map_unmap_4k_kernel")


def boot(qemu, iso, timeout):
    """One boot; returns its serial output (the kernel halts QEMU after the test)."""
    argv = [qemu, "-cdrom", iso, "-m", "256", "-display", "none", "-no-reboot",
            "-nic", "none", "-monitor", "none", "-serial", "stdio", "-icount", "shift=0",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-fw_cfg", "name=opt/exolab/cmdline,string=test=bench-mm halt"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out.decode("utf-8", "replace").replace("\r", "")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "exolab.iso"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--runs", type=int, default=2, help="boots that must agree (default 2)")
    p.add_argument("--timeout", type=float, default=120, help="seconds per boot")
    opts = p.parse_args()
    if not os.path.exists(opts.iso):
        print("bench-mm-kernel: no ISO at %s (run make first)" % opts.iso, file=sys.stderr)
        return 1
    results = []
    for i in range(opts.runs):
        text = boot(opts.qemu, opts.iso, opts.timeout)
        figures = dict(BENCH_LINE.findall(text))
        if any(name not in figures for name in WANT):
            tail = "\n".join(text.rstrip("\n").splitlines()[-15:])
            print("bench-mm-kernel: boot %d printed no BENCH lines; serial tail:\n%s"
                  % (i + 1, tail), file=sys.stderr)
            return 1
        results.append(figures)
    if any(r != results[0] for r in results):
        print("bench-mm-kernel: boots disagree: %s" % results, file=sys.stderr)
        return 1
    for name in WANT:
        print("BENCH %s %s instructions" % (name, results[0][name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
