#!/usr/bin/env python3
"""`make sim-fastpath-test`: sim/fpcompare.py (exosim's fast-path prediction against QEMU's
measurement) on the stored reference run sim/tests/fastpath/qemu-owned.txt, host only (about
a second): the prediction's checks hold and its error is within the tolerance; a measurement
far from the prediction fails; bad reference files and bad app-l2fwd workloads give one
FILE:LINE message and exit 2; the prediction is the same on every run.  Several owned cores
("cores": n, sim/net/netsim_cores.c): one core prints what it printed before them
(sim/tests/fastpath/legion-10g-1core.txt), each of n cores gets exactly its port's frames and
the totals are the sums, bad core counts are refused with the exact FILE:LINE:COL message;
the two-core pipeline (fp_l2fwd_rx_stage, fp_l2fwd_tx_stage, an SPSC ring) loses no frame
at line rate and pays the profile's cache_line_transfer per ring index handoff."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REF = os.path.join(HERE, "fastpath", "qemu-owned.txt")
ONE_CORE = os.path.join(HERE, "fastpath", "legion-10g-1core.txt")
W10G = "sim/workloads/l2fwd-fastpath-10g.json"


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
    # The stored p50 doubled, whatever the stored run holds.
    text = re.sub(r"l2fwd_owned_lat_p50 (\d+)", lambda m: "l2fwd_owned_lat_p50 %d" %
                  (2 * int(m.group(1))), open(REF).read())
    assert text != open(REF).read()
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


def exosim_net(exosim, workload, *extra):
    return subprocess.run([exosim, "run", "--machine", "legion", "--workload", workload,
                           "--no-host"] + list(extra), capture_output=True, text=True, cwd=ROOT)


def with_cores(n, **net):
    """The 10 GbE workload with "cores": n and the keys given, as a temporary file."""
    w = json.load(open(os.path.join(ROOT, W10G)))
    w["net"].update(net, cores=n)
    return tmpfile(json.dumps(w, indent=1) + "\n", ".json")


def t_cores_one_unchanged(exosim):
    # Recorded with exosim from before "cores" existed (main at ced485c).
    p = exosim_net(exosim, W10G)
    assert p.returncode == 0 and p.stdout == open(ONE_CORE).read(), p.stdout + p.stderr
    q = exosim_net(exosim, with_cores(1))
    assert q.stdout.split("\n", 1)[1] == p.stdout.split("\n", 1)[1], q.stdout + q.stderr


CORE = re.compile(r"  core (\d+): offered (\d+), forwarded (\d+), sunk (\d+) \((\d+) bad\), "
                  r"drops (\d+) ")
TOTAL = re.compile(r"  total: offered (\d+), forwarded (\d+), sunk (\d+) \((\d+) bad\), "
                   r"drops (\d+), ([0-9.]+) Mpps")


def cores_run(exosim, n, **net):
    p = exosim_net(exosim, with_cores(n, **net), "--duration", "1ms")
    assert p.returncode == 0, p.stdout + p.stderr
    cores = [tuple(int(x) for x in m.groups()) for m in CORE.finditer(p.stdout)]
    total = TOTAL.search(p.stdout)
    assert [c[0] for c in cores] == list(range(n)) and total, p.stdout
    for k in range(1, 6):  # offered, forwarded, sunk, bad, drops
        assert sum(c[k] for c in cores) == int(total.group(k)), (k, p.stdout)
    return p.stdout, cores, total


def t_cores_shares(exosim):
    one = exosim_net(exosim, W10G, "--duration", "1ms").stdout
    offered = int(re.search(r"frames: offered (\d+)", one).group(1))
    forwarded = int(re.search(r"forwarded (\d+), sunk", one).group(1))
    # 10 GbE line rate of 64-byte frames for 1 ms on each port: 14880.95 frames.
    assert offered == 14881, one
    for n in (2, 4):
        out, cores, total = cores_run(exosim, n)
        assert all(c[1] == offered and c[2] == forwarded for c in cores), out
        assert int(total.group(1)) == n * offered, out
        assert exosim_net(exosim, with_cores(n), "--duration", "1ms").stdout.split(
            "\n", 1)[1] == out.split("\n", 1)[1], "two runs differ"
    # Poisson arrivals: each port its own stream, the totals still the sums.
    out, cores, _ = cores_run(exosim, 2, arrival="poisson", rate_pps=5000000)
    assert cores[0][1] != cores[1][1], out


def t_cores_refused(exosim):
    bad = [('{"net": {"app": "l2fwd",\n  "cores": 13}}\n', ":2:12: ", "found 13"),
           ('{"net": {"app": "l2fwd", "cores": 0}}\n', ":1:35: ", "found 0"),
           ('{"net": {"app": "l2fwd", "cores": "two"}}\n', ":1:35: ", "found a string")]
    for text, where, found in bad:
        path = tmpfile(text, ".json")
        p = exosim_net(exosim, path)
        want = ('exosim: %s%s"cores" must be an integer 1..12 (owned cores, a NIC port pair '
                'each), %s\n' % (path, where, found))
        assert p.returncode == 2 and p.stderr == want, p.stderr
    path = tmpfile('{"net": {"app": "l2fwd", "cores": 2,\n "closed_loop": {"frames": 64}}}\n',
                   ".json")
    p = exosim_net(exosim, path)
    assert p.returncode == 2 and p.stderr == (
        'exosim: %s:1:35: more than one core needs "app": "l2fwd", a generated arrival '
        '(fixed, poisson or bursty) and no faults\n' % path), p.stderr
    p = subprocess.run([exosim, "run", "--machine", "qemu", "--workload", with_cores(2)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 1 and "serial CPUs" in p.stderr, p.stderr


def pipeline_run(exosim, hw=None):
    extra = ["--duration", "1ms"] + (["--hw-dir", hw] if hw else [])
    p = exosim_net(exosim, os.path.join(ROOT, "sim/workloads/l2fwd-fastpath-10g-pipeline.json"),
                   *extra)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def t_pipeline(exosim):
    out = pipeline_run(exosim)
    m = re.search(r"frames: offered (\d+), received (\d+), forwarded (\d+), sunk (\d+) "
                  r"\((\d+) bad\)", out)
    assert m and [int(x) for x in m.groups()] == [14881] * 4 + [0], out
    assert "core 0 fp_l2fwd_rx_stage" in out and "100 cycles per index handoff" in out, out
    assert pipeline_run(exosim).split("\n", 1)[1] == out.split("\n", 1)[1], "two runs differ"
    # A slow handoff (2000 cycles, --hw-dir) must show in the latency.
    hw = tempfile.mkdtemp()
    shutil.copytree(os.path.join(ROOT, "hw", "legion"), os.path.join(hw, "legion"))
    prof = os.path.join(hw, "legion", "machine.json")
    text = open(prof).read()
    slow = re.sub(r'("cache_line_transfer": \{ "cycles": )100,', r"\g<1>2000,", text)
    assert slow != text
    open(prof, "w").write(slow)
    out2 = pipeline_run(exosim, hw)
    shutil.rmtree(hw)
    p50 = [float(re.search(r"\n  latency us: p50 ([0-9.]+)", o).group(1)) for o in (out, out2)]
    assert "2000 cycles per index handoff" in out2 and p50[1] > 10 * p50[0], (p50, out2)
    path = tmpfile('{"net": {"app": "l2fwd", "cores": 3,\n "layout": "pipeline"}}\n', ".json")
    p = exosim_net(exosim, path)
    assert p.returncode == 2 and p.stderr == (
        'exosim: %s:2:12: the pipeline layout is two cores, "cores": 2 (the receive stage '
        'and the transmit stage), found 3\n' % path), p.stderr


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
