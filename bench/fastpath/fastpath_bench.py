#!/usr/bin/env python3
"""`make bench-fastpath` (issue 15 item 5): both fast-path applications under
`qemu -icount shift=0` (the TSC counts executed instructions), each on an owned core and
un-partitioned (an ordinary env pinned beside a busy env under the scheduler's tick), one
boot per application and configuration (four):

  l2fwd     bench/fastpath/l2fwd_bench.py: instructions per forwarded 64-byte frame at batch 32,
            the per-frame latency (generator's stamp to the forwarder's receive)
  blkserve  bench/fastpath/blkserve_bench.py: the service's instructions per 4 KiB read
            request, the request latency (client's post to its seeing the reply)

then one table: per application and configuration, instructions per packet or request, the
latency distribution in instructions (p50, p99, p99.9, max; lib/fastpath histograms, <= 0.78%
error, max exact) and the interrupts the fast-path core took (goal 0 owned).  Below it, the
closest Linux equivalents as recorded by `make bench-linux-l2fwd` and `make bench-linux-nvme`
(bench/linux/README.md; not re-run here: each needs a Linux guest image)."""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import blkserve_bench  # noqa: E402
import l2fwd_bench  # noqa: E402

MODES = ["owned", "shared"]
BLK = {}  # blkserve's figures by configuration, for its own table
# Recorded figures (bench/linux/README.md, Debian 6.1.0-57, QEMU 7.2, 2026-12-05): the row
# label, instructions per frame or read, p50, p99, p99.9, max, interrupts; None: not measured.
LINUX = [
    ("l2fwd", "Linux AF_PACKET, isolated CPU (bench-linux-l2fwd)", 5068, 297178, 494709,
     593235, 671711, "36"),
    ("blkserve", "Linux io_uring IOPOLL QD1, per-read software path (bench-linux-nvme)", 6490,
     None, None, None, None, "0 NVMe"),
    ("blkserve", "  the same, registered file and buffer", 5358, None, None, None, None,
     "0 NVMe"),
    ("blkserve", "Linux io_uring IOPOLL QD32, per read (bench-linux-nvme)", 4212, None, None,
     None, None, "0 NVMe"),
    ("blkserve", "  the same, registered file and buffer", 3080, None, None, None, None,
     "0 NVMe"),
]


def cell(v):
    return "-" if v is None else "{:,}".format(v)


def table(results):
    """results: {(app, mode): (per_item, p50, p99, p999, max, irqs)}."""
    head = ("app", "config", "insn/item", "lat p50", "p99", "p99.9", "max", "p99.9/p50",
            "irqs")
    fmt = "%-9s %-62s %9s %11s %11s %11s %11s %9s %7s"
    print(fmt % head)
    for (app, mode), (item, p50, p99, p999, mx, irqs) in results.items():
        print(fmt % (app, mode, cell(item), cell(p50), cell(p99), cell(p999), cell(mx),
                     "%.2f" % (p999 / max(p50, 1)), irqs))
    for app, label, item, p50, p99, p999, mx, irqs in LINUX:
        ratio = "-" if p50 is None else "%.2f" % (p999 / p50)
        print(fmt % (app, label, cell(item), cell(p50), cell(p99), cell(p999), cell(mx), ratio,
                     irqs))
    print("insn/item: the median; l2fwd per 64-byte frame (the median full batch of 32 / 32; "
          "least and mean on its BENCH lines), blkserve per 4 KiB read (least and mean in its "
          "own table); Linux rows recorded, not re-run.")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"),
                                                 "exolab.iso"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--timeout", type=float, default=900, help="seconds per boot")
    p.add_argument("--serial", help="keep blkserve's serial output in SERIAL.MODE")
    p.add_argument("--app", choices=["l2fwd", "blkserve"], help="one application")
    opts = p.parse_args()
    if not os.path.exists(opts.iso):
        print("bench-fastpath: no ISO at %s (run make first)" % opts.iso, file=sys.stderr)
        return 1
    results = {}
    for app in [opts.app] if opts.app else ["l2fwd", "blkserve"]:
        for mode in MODES:
            if app == "l2fwd":
                f = l2fwd_bench.run(mode, opts)
                if f is None:
                    return 1
                for name in l2fwd_bench.NAMES:
                    print("BENCH l2fwd_%s_%s %d %s" % (mode, name, f[name], "interrupts"
                                                       if name == "irqs" else "instructions"))
                row = (f["pkt_p50"], f["lat_p50"], f["lat_p99"], f["lat_p999"], f["lat_max"],
                       str(f["irqs"]))
            else:
                f = blkserve_bench.run(mode, opts)
                if f is None:
                    return 1
                for name in blkserve_bench.NAMES:
                    print("BENCH blkserve_%s_%s %d %s" % (mode, name, f[name], "interrupts"
                                                          if name == "irqs"
                                                          else "instructions"))
                BLK[mode] = f
                row = (f["svc_p50"], f["lat_p50"], f["lat_p99"], f["lat_p999"], f["lat_max"],
                       str(f["irqs"]))
            results[(app, mode)] = row
    table(results)
    if BLK:
        print("blkserve:")
        blkserve_bench.table(BLK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
