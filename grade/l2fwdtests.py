#!/usr/bin/env python3
"""Layer-2 forwarding grader (issue 15 items 4 and 7), run by `make test-l2fwd` and `make test`.
user/l2fwd.c runs as init on two CPUs with four e1000s on two QEMU hubs (-netdev hubport:
nothing leaves QEMU, no host address at all): it claims CPU 1 (core_claim) and forwards, in
batches of 32 from lib/fastpath's poll loop, what user/l2gen.c sends from CPU 0, while a
busy env that asked for CPU 1 (tests=load) is moved by the claim to CPU 0, beside the
generator.  Checked:
every one of the 2048 stamped frames comes back to the generator exactly once, 60 bytes,
with the MAC header rewritten (destination 02:00:00:00:00:01, source the out port's address)
and every other byte as sent; the forwarder counts 2049 frames (with the warm-up frame) and
2048 latencies in its histogram; CPU 1's interrupt counters (core_stat: timer, device, IPI,
other) do not move during the run; the core is released and every buffer is back; the
forwarder's metrics page, published in a partition area, reads back through `fpstat -p`
(its counters, both histograms' percentiles, the stopped heartbeat, its log line).  The
generator's and the forwarder's check lines (`l2gen: TAG: what = N OK|FAIL`, `l2fwd: ...`)
must all say OK."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("l2fwd", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

# unit 0, 1: the forwarder's ports; unit 2, 3: the generator's (user/l2fwd.h).  Hub 0 joins
# units 0 and 2, hub 1 units 1 and 3.
PORTS = [("52:54:00:f0:00:00", 0), ("52:54:00:f0:00:01", 1),
         ("52:54:00:e0:00:00", 0), ("02:00:00:00:00:01", 1)]


def devices():
    args = []
    for i, (mac, hub) in enumerate(PORTS):
        args += ["-netdev", "hubport,id=p%d,hubid=%d" % (i, hub),
                 "-device", "e1000,netdev=p%d,mac=%s" % (i, mac)]
    return args


def checks_ok(run, prog, tag, n, part):
    ok = len(re.findall(r"^%s: %s: .* OK$" % (prog, tag), run.text, re.M))
    run.fraction(part, min(ok, n), n, "%s %s checks passed" % (prog, tag))


FPSTAT = [r"^fpstat: partition on cpu 1, generation 1, tsc \d+ Hz$",
          r"^fpstat: frames +2049 \(\d+/s\)$",
          r"^fpstat: tx drops +0 ",
          r"^fpstat: latency: 2048 values(?: \(busy copy\))?, cycles p50 \d+ p90 \d+ p99 \d+ "
          r"p99\.9 \d+ p99\.99 \d+ max \d+$",
          r"^fpstat: full batch: \d+ values(?: \(busy copy\))?, cycles p50 \d+ ",
          r"^fpstat: heartbeat \d+, loop stopped$",
          r"^fpstat: log: 1 lines waiting, 0 dropped$",
          r"^fpstat: log: \[\d+\.\d{9}\] INFO forwarding on cpu 1, batch 32$"]


@LAB.test("l2fwd-owned", parts=dict(setup=1, forward=4, quiet=3, end=2, fpstat=2),
          smp=2, args="init=l2fwd tests=load sched=rr", qemu_args=devices(),
          until=[r"^l2fwd: done$"], reject=lab3.KERNEL_DIED, timeout=90)
def owned(run):
    """Every frame forwarded once, unchanged but for the MAC header; CPU 1 took nothing."""
    run.reject(r"^l2(fwd|gen): .* FAIL$")
    checks_ok(run, "l2fwd", "setup", 2, "setup")
    checks_ok(run, "l2gen", "run", 5, "forward")
    checks_ok(run, "l2fwd", "run", 2, "forward")
    checks_ok(run, "l2fwd", "quiet", 1, "quiet")
    run.expect(r"^l2fwd: owned: cpu 1 took timer 0 device 0 ipi 0 other 0$", part="quiet")
    checks_ok(run, "l2fwd", "end", 6, "end")
    for pat in FPSTAT:
        run.expect(pat, part="fpstat")
    run.expect(r"^l2fwd: owned: 0 checks failed$", part="end")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
