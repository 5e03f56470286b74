#!/usr/bin/env python3
"""exosim's prediction of the fast path against QEMU's measurement (issue 15 item 6,
docs/sim.md "The fast path in exosim").

exosim runs l2fwd's forwarding step (lib/fastpath/l2fwd/l2fwd_loop.c, the code user/l2fwd.c
runs) on the qemu profile with bench-fastpath's workload (sim/workloads/l2fwd-fastpath-qemu.json:
2048 64-byte frames in batches of 32 from user/l2gen.c's closed loop, polled, an owned core)
and prints its figures beside the measured ones with the relative error, then its prediction
for the legion profile at 10 GbE line rate (sim/workloads/l2fwd-fastpath-10g.json).

The measured figures come from a QEMU boot (--qemu: bench/fastpath/l2fwd_bench.py --only
owned, about two minutes under TCG) or from the BENCH lines of a stored run (--measured FILE,
which the output names as such).  --check (the test): the prediction forwarded every frame,
unmodified but for the MAC header, recorded 2048 latencies and took no interrupt, and every
compared figure is within --tolerance of the measured one.  Exit 0, 1 (a check failed), 2
(bad input: FILE:LINE: what)."""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QEMU_WL = os.path.join(ROOT, "sim", "workloads", "l2fwd-fastpath-qemu.json")
LEGION_WL = os.path.join(ROOT, "sim", "workloads", "l2fwd-fastpath-10g.json")
FRAMES = 2048  # user/l2fwd.h L2_NFRAMES, the workload's closed_loop frames
# Compared: (name, what).  pkt_mean is shown, not compared: QEMU's mean holds the other
# vCPU's instructions whenever round-robin TCG switched in the middle of a batch, which
# exosim does not model (docs/l2fwd.md); the least batch is the undisturbed path.
COMPARED = [("pkt", "insn/frame (least full batch / 32)"),
            ("rxtx_pkt", "net_rx + net_tx per frame (least)"),
            ("lat_p50", "latency p50 (stamp to receive)"),
            ("lat_p99", "latency p99"),
            ("lat_p999", "latency p99.9"),
            ("lat_max", "latency max")]
SHOWN = [("pkt_mean", "insn/frame, mean of full batches")]
BENCH = re.compile(r"^BENCH l2fwd_(\w+?)_(\w+) (\d+) (\w+)$")


class BadInput(Exception):
    pass


def parse_bench(text, prefix, where):
    """{name: value} of the `BENCH l2fwd_<prefix>_<name> N unit` lines; bad lines raise."""
    out = {}
    for no, line in enumerate(text.splitlines(), 1):
        if not line.startswith("BENCH "):
            continue
        m = BENCH.match(line.strip())
        if not m:
            raise BadInput("%s:%d: not a 'BENCH l2fwd_MODE_NAME N UNIT' line: %r"
                           % (where, no, line.strip()))
        if m.group(1) != prefix:
            continue
        if m.group(2) in out:
            raise BadInput("%s:%d: l2fwd_%s_%s given twice" % (where, no, prefix, m.group(2)))
        out[m.group(2)] = int(m.group(3))
    return out


def read_measured(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise BadInput("%s:1: cannot read: %s" % (path, e.strerror))
    figures = parse_bench(text, "owned", path)
    missing = [n for n, _ in COMPARED + SHOWN if n not in figures] + \
        ([] if "irqs" in figures else ["irqs"])
    if missing:
        raise BadInput("%s:1: no BENCH l2fwd_owned_ line for %s" % (path, ", ".join(missing)))
    return figures


def run_qemu(opts):
    cmd = [sys.executable, os.path.join(ROOT, "bench", "fastpath", "l2fwd_bench.py"),
           "--only", "owned"] + (["--iso", opts.iso] if opts.iso else [])
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise BadInput("bench/fastpath/l2fwd_bench.py:1: the QEMU run failed (exit %d)"
                       % p.returncode)
    return parse_bench(p.stdout, "owned", "l2fwd_bench.py output")


def run_exosim(exosim, machine, workload, extra=()):
    cmd = [exosim, "run", "--machine", machine, "--workload", workload, "--no-host"] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise BadInput("%s:1: exosim failed (exit %d): %s"
                       % (workload, p.returncode, p.stderr.strip()))
    return p.stdout, parse_bench(p.stdout, "sim", "exosim output")


def sim_checks(text, sim):
    """The run's own facts: (what, ok) pairs."""
    l2 = re.search(r"l2fwd: frames (\d+) batches \d+ full \d+ drops (\d+), stop frame (\w+)",
                   text)
    lat = re.search(r"l2fwd: latency us: .* \((\d+)\)", text)
    sunk = re.search(r"sunk (\d+) \((\d+) bad\)", text)
    return [("frames forwarded = %d" % FRAMES, bool(l2) and int(l2.group(1)) == FRAMES),
            ("tx drops = 0", bool(l2) and l2.group(2) == "0"),
            ("stop frame seen", bool(l2) and l2.group(3) == "seen"),
            ("latencies recorded = %d" % FRAMES, bool(lat) and int(lat.group(1)) == FRAMES),
            ("frames at the sink with the rewritten header, the rest unchanged",
             bool(sunk) and int(sunk.group(1)) == FRAMES and sunk.group(2) == "0"),
            ("interrupts = 0", sim.get("irqs") == 0)]


def compare(sim, meas, tol):
    rows, worst = [], 0.0
    for name, what in COMPARED + SHOWN:
        p, m = sim.get(name), meas[name]
        err = (p - m) / m if p is not None and m else float("nan")
        if (name, what) in COMPARED:
            worst = max(worst, abs(err)) if err == err else float("inf")
        rows.append((what, p, m, err, (name, what) in COMPARED))
    rows.append(("interrupts on the forwarder's core", sim.get("irqs"), meas["irqs"],
                 0.0 if sim.get("irqs") == meas["irqs"] else float("inf"), True))
    print("%-40s %10s %10s %8s" % ("qemu profile vs QEMU -icount", "exosim", "QEMU", "error"))
    for what, p, m, err, cmp in rows:
        print("%-40s %10s %10d %+7.1f%%%s" % (what, "-" if p is None else p, m, 100 * err,
                                              "" if cmp else "  (not compared)"))
    return worst <= tol and sim.get("irqs") == meas["irqs"], worst


def legion(exosim, duration):
    text, sim = run_exosim(exosim, "legion", LEGION_WL, ["--duration", duration])
    rate = re.search(r"rate: ([\d.]+) Mpps forwarded", text)
    offered = re.search(r"([\d.]+) Mpps offered", text)
    lat = re.search(r"l2fwd: latency us: p50 (\S+) p90 \S+ p99 (\S+) p99.9 (\S+) max (\S+)",
                    text)
    print("legion profile, %s of 64-byte frames at 10 GbE line rate (%s Mpps offered), one "
          "owned core:" % (duration, offered.group(1) if offered else "?"))
    print("  forwarded %s Mpps; %s cycles per frame busy; latency (wire arrival to receive) "
          "us p50 %s p99 %s p99.9 %s max %s" % (
              rate.group(1) if rate else "?", sim.get("busy_pkt", "?"),
              *(lat.groups() if lat else ("?",) * 4)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exosim", default=os.path.join(ROOT, os.environ.get("OBJ", "obj"), "sim",
                                                     "exosim"))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--qemu", action="store_true", help="measure: boot QEMU (about 2 min)")
    src.add_argument("--measured", metavar="FILE", help="BENCH lines of a stored run")
    ap.add_argument("--iso", help="the ISO for --qemu (default: l2fwd_bench.py's)")
    ap.add_argument("--check", action="store_true", help="exit 1 unless every check holds")
    ap.add_argument("--tolerance", type=float, default=0.30,
                    help="largest relative error --check accepts (default 0.30)")
    ap.add_argument("--legion-duration", default="10ms",
                    help="simulated time of the legion run (default 10ms)")
    opts = ap.parse_args()
    try:
        meas = run_qemu(opts) if opts.qemu else read_measured(opts.measured)
        text, sim = run_exosim(opts.exosim, "qemu", QEMU_WL)
        print("measured: %s" % ("QEMU -icount, booted now (bench/fastpath/l2fwd_bench.py "
                                "--only owned)" if opts.qemu else
                                "the stored run %s (not booted now)" % opts.measured))
        ok, worst = compare(sim, meas, opts.tolerance)
        checks = sim_checks(text, sim)
        for what, good in checks:
            print("check: %s %s" % (what, "OK" if good else "FAIL"))
        print("largest error of the compared figures: %.1f%% (tolerance %.0f%%)"
              % (100 * worst, 100 * opts.tolerance))
        legion(opts.exosim, opts.legion_duration)
    except BadInput as e:
        print("fpcompare: %s" % e, file=sys.stderr)
        return 2
    if opts.check and not (ok and all(g for _, g in checks)):
        print("fpcompare: FAIL", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
