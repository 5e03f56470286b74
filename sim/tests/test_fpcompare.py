#!/usr/bin/env python3
"""`make sim-fastpath-test`: sim/fpcompare.py (exosim's fast-path prediction against QEMU's
measurement) on the stored reference run sim/tests/fastpath/qemu-owned.txt, host only (about
a second): the prediction's checks hold and its error is within the tolerance; a measurement
far from the prediction fails; bad reference files and bad app-l2fwd workloads give one
FILE:LINE message and exit 2; the prediction is the same on every run."""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REF = os.path.join(HERE, "fastpath", "qemu-owned.txt")


def run(args, exosim):
    cmd = [sys.executable, os.path.join(ROOT, "sim", "fpcompare.py"), "--exosim", exosim] + args
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def tmpfile(text, suffix=".txt"):
    f = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False)
    f.write(text)
    f.close()
    return f.name


def t_reference(exosim):
    p = run(["--measured", REF, "--check"], exosim)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count(" OK\n") == 6 and "FAIL" not in p.stdout, p.stdout
    assert "(not booted now)" in p.stdout and "legion profile" in p.stdout, p.stdout
    q = run(["--measured", REF, "--check"], exosim)
    assert q.stdout == p.stdout, "two runs differ"


def t_far_measurement_fails(exosim):
    text = open(REF).read().replace("l2fwd_owned_lat_p50 6880", "l2fwd_owned_lat_p50 13760")
    p = run(["--measured", tmpfile(text), "--check"], exosim)
    assert p.returncode == 1 and "fpcompare: FAIL" in p.stderr, p.stdout + p.stderr


def t_bad_reference(exosim):
    path = tmpfile("# x\nBENCH l2fwd_owned_pkt two instructions\n")
    p = run(["--measured", path], exosim)
    assert p.returncode == 2 and "%s:2: not a 'BENCH" % path in p.stderr, p.stderr
    path = tmpfile("BENCH l2fwd_owned_pkt 208 instructions\n")
    p = run(["--measured", path], exosim)
    assert p.returncode == 2 and "%s:1: no BENCH l2fwd_owned_ line for rxtx_pkt" % path in \
        p.stderr, p.stderr


def t_bad_workload(exosim):
    path = tmpfile('{"net": {"nic": "e1000",\n "closed_loop": {"frames": 4}}}\n', ".json")
    p = subprocess.run([exosim, "run", "--machine", "qemu", "--workload", path],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "%s:2:" % path in p.stderr and "app" in p.stderr, p.stderr
    path = tmpfile('{"net": {"app": "l2fwd", "interrupts": true}}\n', ".json")
    p = subprocess.run([exosim, "run", "--machine", "qemu", "--workload", path],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "%s:1:" % path in p.stderr and "polls" in p.stderr, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exosim", required=True)
    ap.add_argument("--log")
    opts = ap.parse_args()
    failed = 0
    for name, fn in sorted((n, f) for n, f in globals().items() if n.startswith("t_")):
        try:
            fn(opts.exosim)
            r = "PASS"
        except AssertionError as e:
            failed += 1
            r = "FAIL"
            print("%s: %s" % (name, e))
        print("%s %s" % (r, name))
        if opts.log:
            with open(opts.log, "a") as f:
                f.write("%s sim-fastpath-test %s\n" % (r, name))
    print("sim-fastpath-test: %s" % ("%d failed" % failed if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
