#!/usr/bin/env python3
"""The reschedule IPI's cost on the receiving CPU, in instructions: boots the ISO with two
CPUs under `qemu -icount shift=0,sleep=off` running `init=benchirq tests=ipi sched=edf`
(user/benchirq.c: CPU 0 wakes, IPI_ROUNDS times, an env queued behind a spinner on CPU 1,
which switches nothing), with the insncount plugin (bench/ipi/insncount.c) counting CPU 1's
instructions from the IPI vector's entry stub back to user mode.  A TSC difference cannot
do it: on the shared icount clock the receiver's gap also holds the sender's instructions
(docs/sim.md).  The first IPI of a boot finds colder paths (its first wake-up there); the
figure is the value of the others, which must all agree, over --runs boots that agree."""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from icount import read_serial  # noqa: E402

ARGS = "init=benchirq tests=ipi sched=edf lockcheck=off"
DONE = "benchirq: ipi: 8 rounds done"
ROUNDS = 8
POLL_SECONDS = 0.05


def vector_entry(nm_path, lapic_h):
    """Address of the reschedule vector's stub: irq_vector_<LAPIC_VEC_RESCHED> (irqentry.S)."""
    with open(lapic_h, encoding="utf-8") as f:
        m = re.search(r"#define\s+LAPIC_VEC_RESCHED\s+(0x[0-9a-fA-F]+|\d+)", f.read())
    if not m:
        sys.exit("bench-ipi: %s: no LAPIC_VEC_RESCHED" % lapic_h)
    name = "irq_vector_%d" % int(m.group(1), 0)
    with open(nm_path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == name:
                return "0x" + parts[0]
    sys.exit("bench-ipi: %s: no symbol %s" % (nm_path, name))


def boot(opts, entry):
    """One boot; returns CPU 1's counts, in order."""
    with tempfile.TemporaryDirectory(prefix="exolab-bench-ipi-") as tmp:
        serial, out = os.path.join(tmp, "serial.out"), os.path.join(tmp, "counts")
        argv = [opts.qemu, "-cdrom", opts.iso, "-m", "256", "-display", "none", "-no-reboot",
                "-nic", "none", "-monitor", "none", "-serial", "file:" + serial,
                "-icount", "shift=0,sleep=off", "-smp", "2",
                "-plugin", "%s,entry=%s,out=%s" % (opts.plugin, entry, out),
                "-fw_cfg", "name=opt/exolab/cmdline,string=" + ARGS]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            deadline = time.monotonic() + opts.timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if DONE in read_serial(serial):
                    break
                time.sleep(POLL_SECONDS)
            text = read_serial(serial)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            err = proc.communicate()[1].decode("utf-8", "replace")
        if DONE not in text:
            tail = "\n".join(text.rstrip("\n").splitlines()[-10:])
            sys.exit("bench-ipi: no '%s'; QEMU said %r; serial tail:\n%s" % (DONE, err, tail))
        with open(out, encoding="utf-8") as f:
            return [int(line.split()[2]) for line in f if line.split()[1] == "1"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    obj = os.path.join(ROOT, os.environ.get("OBJ", "obj"))
    p.add_argument("--iso", default=os.path.join(obj, "exolab.iso"))
    p.add_argument("--nm", default=os.path.join(obj, "kern", "kernel.nm"))
    p.add_argument("--plugin", default=os.path.join(obj, "bench", "ipi", "insncount.so"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=240)
    opts = p.parse_args()
    entry = vector_entry(opts.nm, os.path.join(ROOT, "kern", "arch", "x86_64", "include",
                                               "lapic.h"))
    runs = [boot(opts, entry) for _ in range(opts.runs)]
    if any(r != runs[0] for r in runs):
        sys.exit("bench-ipi: boots disagree: %s" % runs)
    counts = runs[0]
    if len(counts) != ROUNDS or len(set(counts[1:])) != 1:
        sys.exit("bench-ipi: want %d IPIs on CPU 1, all but the first equal; got %s"
                 % (ROUNDS, counts))
    print("bench-ipi: CPU 1's IPIs: %s" % counts, file=sys.stderr)
    print("BENCH ipi_receive %d instructions" % counts[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
