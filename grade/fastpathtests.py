#!/usr/bin/env python3
"""Fast-path grader (issue 15 items 3-4), run by `make test-fastpath` and `make test`.
One boot on four CPUs with an NVMe controller, the shell as init; the lines typed:

- `fpstat` (core counters alone) as a warm-up, then `leaks`;
- `watchdog -r 2 fpspin 300`: fpspin's handler spins for ever after 300 iterations on CPU 2;
  the watchdog must see each stall (heartbeat unchanged 10 ms), revoke the core (the kernel's
  `core: cpu 2 taken ...` line), restart the app on CPU 2 twice and end after the third
  stall, with every restart's detection-to-running time under RESTART_BOUND_US;
- `leaks` again: the same pages, capabilities and heap as before the watchdog ran."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402
import shelltests  # noqa: E402

LAB = gradelib.Lab("fastpath", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])
PROMPT = r"^\$ "
# The goal is 10 ms of TSC (issue 15); TCG on a loaded two-core host schedules the four
# vCPUs unevenly, so the test's bound is looser and the measured value is printed.
RESTART_BOUND_US = 200000
WATCHDOG = "watchdog -r 2 fpspin 300"


@LAB.test("watchdog-restart", parts={"stall": 2, "revoke": 2, "restart": 3, "bound": 2,
                                     "log": 1, "leak": 2},
          smp=4, args="init=sh",
          steps=[(PROMPT, l) for l in ["fpstat", "leaks", WATCHDOG, "leaks ", "monitor"]],
          until=[r"^K> "], reject=lab3.KERNEL_DIED, timeout=180)
def watchdog_restart(run):
    """Three stalls detected, each revoked and the first two restarted within the bound."""
    out = shelltests.output(run, WATCHDOG) or ""
    stalls = re.findall(r"^watchdog: stall: heartbeat (\d+) unchanged for (\d+) us", out, re.M)
    if len(stalls) != 3:
        run.fail("%d stalls detected, expected 3" % len(stalls), "stall")
    taken = re.findall(r"^core: cpu 2 taken from env 0x[0-9a-f]+: its capability is gone$",
                       out, re.M)
    revokes = re.findall(r"^watchdog: revoke ok: cpu 2 free \d+ us after detection; "
                         r"env 0x[0-9a-f]+ status (\d+)$", out, re.M)
    if len(taken) != 3 or len(revokes) != 3:
        run.fail("%d kernel stop lines, %d revokes, expected 3 each" % (len(taken),
                                                                         len(revokes)), "revoke")
    restarts = [int(x) for x in re.findall(r"^watchdog: restart \d+: running again (\d+) us "
                                           r"after detection", out, re.M)]
    started = re.findall(r"^watchdog: started 'fpspin 300' \(generation (\d)\)", out, re.M)
    if len(restarts) != 2 or started != ["1", "2", "3"]:
        run.fail("%d restarts, generations %s; expected 2, 1 2 3" % (len(restarts), started),
                 "restart")
    if not re.search(r"^watchdog: done: 2 restarts", out, re.M):
        run.fail("no 'watchdog: done: 2 restarts' line", "restart")
    if not restarts or max(restarts) > RESTART_BOUND_US:
        run.fail("restart times %s us, bound %d" % (restarts, RESTART_BOUND_US), "bound")
    stuck = re.findall(r"^app: \[\d+\.\d{9}\] WARN +handler stuck after 300 iterations$", out,
                       re.M)
    if len(stuck) != 3:
        run.fail("%d 'handler stuck' log lines with a timestamp, expected 3" % len(stuck),
                 "log")
    shelltests.check_leaks(run, "leak")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
