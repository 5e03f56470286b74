#!/usr/bin/env python3
"""`make bench-fastpath`: user/l2fwd.c under `qemu -icount shift=0` (the TSC counts executed
instructions), two CPUs, four e1000s on two QEMU hubs (grade/l2fwdtests.py's devices:
nothing leaves QEMU), once per configuration:

  owned   the forwarder owns CPU 1 (core_claim): no tick, no device interrupt
  shared  the forwarder is an ordinary env pinned to CPU 1 beside a busy env, under the
          scheduler's tick (sched=rr)

Per configuration: instructions per forwarded frame at batch 32 (the whole handler: the
least full batch / 32, the undisturbed path; the median full batch / 32, the steady state
(the first batch after the warm-up is cheaper); and the mean; net_rx + net_tx alone, least), the per-frame latency (generator's stamp to the forwarder's
receive) p50/p99/p99.9/max in instructions from lib/fastpath's histogram (<= 0.78% error),
and the interrupts CPU 1 took during the run (core_stat).  Then the tail ratio p99.9/p50 per
configuration (goal for owned: <= 1.5).  Every run must pass its own checks."""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "grade"))

import icount  # noqa: E402
import l2fwdtests  # noqa: E402

LINE = re.compile(r"^BENCH l2fwd_(owned|shared)_(\S+) (\d+) (\S+)$", re.M)
NAMES = ["pkt", "pkt_p50", "pkt_mean", "rxtx_pkt", "lat_p50", "lat_p99", "lat_p999", "lat_max", "irqs"]


def run(mode, opts):
    args = "init=l2fwd tests=%s sched=rr lockcheck=off" % mode
    # The boot ends at the last BENCH line, lat_max (irqs, in interrupts, comes before it);
    # the forwarder's end checks are the grader's.
    _, text = icount.boot(opts.qemu, opts.iso, args, ["l2fwd_%s_%s" % (mode, n) for n in NAMES[:-1]],
                          opts.timeout, smp=2, extra=l2fwdtests.devices())
    return icount.app_figures(text, LINE, mode, NAMES, r"^l2(?:fwd|gen): .* FAIL$", mode)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "exolab.iso"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    p.add_argument("--only", choices=["owned", "shared"], help="one configuration")
    opts = p.parse_args()
    results = {}
    for mode in [opts.only] if opts.only else ["owned", "shared"]:
        figures = run(mode, opts)
        if figures is None:
            return 1
        results[mode] = figures
        for name in NAMES:
            unit = "interrupts" if name == "irqs" else "instructions"
            print("BENCH l2fwd_%s_%s %d %s" % (mode, name, figures[name], unit))
    print("%-7s %9s %9s %9s %9s %9s %9s %9s %11s %10s %6s" % (
        "config", "insn/pkt", "median", "mean", "rx+tx", "p50", "p99", "p99.9", "max",
        "p99.9/p50", "irqs"))
    for mode, f in results.items():
        print("%-7s %9d %9d %9d %9d %9d %9d %9d %11d %10.2f %6d" % (
            mode, f["pkt"], f["pkt_p50"], f["pkt_mean"], f["rxtx_pkt"], f["lat_p50"],
            f["lat_p99"],
            f["lat_p999"],
            f["lat_max"], f["lat_p999"] / max(f["lat_p50"], 1), f["irqs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
