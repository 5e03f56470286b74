#!/usr/bin/env python3
"""`make bench-fastpath`'s second application: user/blkserve.c serving 4 KiB NVMe reads to
user/blkclient.c (as init, tests=bench-MODE: user/blkclient_bench.h) under
`qemu -icount shift=0` (the TSC counts executed instructions), two CPUs, an NVMe controller
on grade/nvmetests.py's pre-filled image, once per configuration:

  owned   blkserve owns CPU 1 (part_app_start: core_claim): no tick, no device interrupt
  shared  blkserve is an ordinary env pinned to CPU 1 beside a busy env, under the
          scheduler's tick (sched=rr)

The client posts 16 warm-up and 2000 measured reads at queue depth 1 on the request ring.
Per configuration: the service's own instructions per request (the request ring's dequeue,
the checks, nvme_submit, and the reaping nvme_poll, the 4 KiB copy into the client's buffer
and the reply posted; polls that find nothing are the device's time, left out): least, p50
and mean; the request latency (the client's post to its seeing the reply) p50/p99/p99.9/max
in instructions from lib/fastpath's histogram (<= 0.78% error), and the interrupts CPU 1
took during the run (core_stat).  Every run must pass its own checks."""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "grade"))

import icount  # noqa: E402
import nvmetests  # noqa: E402

LINE = re.compile(r"^BENCH blkserve_(owned|shared)_(\S+) (\d+) (\S+)$", re.M)
END = re.compile(r"^blkclient: bench: (?:done|\S+ FAIL)", re.M)
NAMES = ["svc", "svc_p50", "svc_mean", "copy", "reply_p50", "reply_p999", "lat_p50", "lat_p99",
         "lat_p999", "lat_max", "irqs"]
MODES = ["owned", "shared"]


def run(mode, opts):
    """One configuration's figures {name: value}, or None (the reason on stderr)."""
    _, text = icount.boot(opts.qemu, opts.iso,
                          "init=blkclient tests=bench-%s sched=rr lockcheck=off" % mode, [],
                          opts.timeout, smp=2, extra=nvmetests.devices("blkbench"), until=END)
    if opts.serial:
        with open("%s.%s" % (opts.serial, mode), "w") as f:
            f.write(text)
    figures = icount.app_figures(text, LINE, mode, NAMES, r"^blkclient: .*FAIL$",
                                 "blkserve " + mode)
    if figures is None:
        return None
    for line in re.findall(r"^blkclient: bench: %s: .*$" % mode, text, re.M):
        print(line)
    return figures


def table(results):
    """blkserve's own figures: the service's instructions per request (least, median, mean,
    the 4 KiB copy's share), the latency to the reply's posting and to its being seen."""
    print("%-7s %9s %9s %9s %6s %10s %10s %9s %9s %9s %9s %6s" % (
        "config", "insn/req", "median", "mean", "copy", "posted p50", "p99.9", "seen p50",
        "p99", "p99.9", "max", "irqs"))
    for mode, f in results.items():
        print("%-7s %9d %9d %9d %6d %10d %10d %9d %9d %9d %9d %6d" % (
            mode, f["svc"], f["svc_p50"], f["svc_mean"], f["copy"], f["reply_p50"],
            f["reply_p999"], f["lat_p50"], f["lat_p99"], f["lat_p999"], f["lat_max"],
            f["irqs"]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "exolab.iso"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    p.add_argument("--only", choices=MODES, help="one configuration")
    p.add_argument("--serial", help="keep each boot's serial output in SERIAL.MODE")
    opts = p.parse_args(argv)
    if not os.path.exists(opts.iso):
        print("bench-fastpath: no ISO at %s (run make first)" % opts.iso, file=sys.stderr)
        return 1
    results = {}
    for mode in [opts.only] if opts.only else MODES:
        figures = run(mode, opts)
        if figures is None:
            return 1
        results[mode] = figures
        for name in NAMES:
            unit = "interrupts" if name == "irqs" else "instructions"
            print("BENCH blkserve_%s_%s %d %s" % (mode, name, figures[name], unit))
    table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
